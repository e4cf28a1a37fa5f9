//! Test plans for assert and check references: the tests split into statements, with the
//! expected value of each `assert A == B` computed from the reference alone (in the sandbox,
//! without the candidate), so that it never enters the candidate's process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use assay_sandbox::{Execution, Limits, Nonce, Task};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::reference::Tests;

/// The harnesses' source, preloaded as a module by the grader's sandbox.
pub(crate) const HARNESS: &str = include_str!("harness.py");
/// The module name the harnesses are preloaded under.
pub(crate) const HARNESS_MODULE: &str = "assay_code_harness";
/// Plans kept before the cache is emptied.
const CACHE_ENTRIES: usize = 4096;
/// Approximate bytes of the plans kept before the cache is emptied (a plan may hold large
/// expected values).
const CACHE_BYTES: usize = 512 << 20;

/// One statement of a test suite.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct PlanTest {
    /// The statement's source.
    pub src: String,
    /// Whether it asserts (and so counts as a test).
    pub scored: bool,
    /// For `assert A == B` (and the tolerance forms) judged on the host: the ways to judge it,
    /// one per operand that evaluates without the candidate. Empty when the judge process
    /// runs the whole statement.
    #[serde(default)]
    pub sides: Vec<Side>,
    /// For `math.isclose(A, B, ...)` and `abs(A - B) < eps`: how close is equal.
    #[serde(default)]
    pub tolerance: Option<crate::pyvalue::Tolerance>,
}

impl PlanTest {
    /// Whether the host judges this test (from a reported value).
    pub(crate) fn host_judged(&self) -> bool {
        !self.sides.is_empty()
    }
}

/// One way to judge an `assert A == B` on the host: evaluate `expr` with the candidate and
/// compare it with `expected`, the other operand's value.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Side {
    /// The operand evaluated with the candidate.
    pub expr: String,
    /// The other operand's value, as tagged plain data (see [`crate::pyvalue`]; `null` is
    /// Python's `None`).
    #[serde(default)]
    pub expected: Value,
    /// The names `expr` uses: the judge picks the side that uses one of the candidate's.
    #[serde(default)]
    pub uses: Vec<String>,
    /// The names the other operand (whose value is `expected`) uses: a side whose other
    /// operand names one of the candidate's is not judged on the host.
    #[serde(default)]
    pub other: Vec<String>,
}

/// A prepared test suite.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Plan {
    /// Code run after the candidate and before the tests.
    pub setup: String,
    /// The name `check` calls the candidate by (`None` for assert lists).
    pub param: Option<String>,
    /// The statements, in order.
    pub tests: Vec<PlanTest>,
}

impl Plan {
    /// Roughly how many bytes the plan holds (its sources and expected values).
    pub(crate) fn approximate_bytes(&self) -> usize {
        self.setup.len()
            + self
                .tests
                .iter()
                .map(|t| {
                    t.src.len()
                        + t.sides
                            .iter()
                            .map(|s| s.expr.len() + s.expected.to_string().len())
                            .sum::<usize>()
                })
                .sum::<usize>()
    }

    /// The scored statements, in order: test `i` of the reports is `scored()[i]`.
    pub(crate) fn scored(&self) -> Vec<&PlanTest> {
        self.tests.iter().filter(|t| t.scored).collect()
    }
}

/// The reference part of a harness spec (what a plan depends on), or `None` for stdin/stdout
/// tests.
pub(crate) fn reference_spec(tests: &Tests) -> Option<Value> {
    match tests {
        Tests::Io(_) => None,
        Tests::Asserts { asserts, setup, .. } => {
            Some(json!({"kind": "asserts", "asserts": asserts, "setup": setup}))
        }
        Tests::Check { test, entry_point } => {
            Some(json!({"kind": "check", "test": test, "entry_point": entry_point}))
        }
    }
}

fn program(function: &str, spec: &Value) -> String {
    let literal = serde_json::to_string(&spec.to_string()).expect("strings serialize");
    format!(
        "from {HARNESS_MODULE} import {function} as run\nrun(__import__('json').loads({literal}))\n"
    )
}

/// Bytes the plan may write on its result channel: it carries every expected value of the
/// tests (a list of 100,000 numbers is 1.5 MB), and runs only the reference's code. Plans
/// are cached, so this also bounds what one cached plan can hold.
const PLAN_CHANNEL_BYTES: usize = 16 << 20;

/// The task computing the plan of `reference` (a [`reference_spec`]).
pub(crate) fn plan_task(reference: &Value, nonce: &Nonce, mut limits: Limits) -> Task {
    limits.output_bytes = limits.output_bytes.max(PLAN_CHANNEL_BYTES);
    let mut spec = reference.clone();
    spec["nonce"] = json!(nonce.as_str());
    Task::python(program("__assay_plan", &spec)).with_limits(limits)
}

/// The task running `candidate` against `plan`; expected values are left out.
///
/// The program carries the candidate and the nonce; the setup and the tests travel on stdin,
/// which only the judge reads, after the candidate's process was forked without them.
pub(crate) fn harness_task(
    plan: &Plan,
    entry_point: Option<&str>,
    candidate: &str,
    nonce: &Nonce,
    limits: Limits,
) -> Task {
    let tests: Vec<Value> = plan
        .tests
        .iter()
        // A test judged on the host travels without its source: the source holds the
        // expected value.
        .map(|t| {
            if t.host_judged() {
                let sides: Vec<Value> = t
                    .sides
                    .iter()
                    .map(|s| json!({"expr": s.expr, "uses": s.uses, "other": s.other}))
                    .collect();
                json!({"src": null, "scored": t.scored, "sides": sides})
            } else {
                json!({"src": t.src, "scored": t.scored, "sides": []})
            }
        })
        .collect();
    let spec = json!({
        "nonce": nonce.as_str(),
        "candidate": candidate,
        "param": plan.param,
        "entry_point": entry_point,
    });
    let suite = json!({"setup": plan.setup, "tests": tests});
    Task::python(program("__assay_harness", &spec))
        .with_stdin(suite.to_string())
        .with_limits(limits)
}

/// Reads a plan from the plan task's execution: `Ok(plan)`, or `Err` with the reason
/// (a test that does not parse is the reference's fault).
pub(crate) fn read_plan(exec: &Execution, nonce: &Nonce) -> Result<Plan, PlanError> {
    for line in exec.reports(nonce) {
        let Ok(report) = serde_json::from_str::<Value>(line) else {
            continue;
        };
        if let Some(e) = report.get("error").and_then(Value::as_str) {
            return Err(PlanError::BadTests(e.to_owned()));
        }
        return serde_json::from_value(report)
            .map_err(|e| PlanError::Failed(format!("unreadable plan: {e}")));
    }
    Err(PlanError::Failed(format!(
        "preparing the tests gave no plan ({:?}): {}",
        exec.status,
        String::from_utf8_lossy(&exec.stderr)
            .chars()
            .rev()
            .take(500)
            .collect::<String>()
            .chars()
            .rev()
            .collect::<String>()
    )))
}

/// Why a plan could not be made.
#[derive(Debug, Clone)]
pub(crate) enum PlanError {
    /// The reference's tests do not parse (a bad reference).
    BadTests(String),
    /// Running the plan failed (a sandbox or resource problem).
    Failed(String),
}

/// Plans by reference spec, shared by the items of a group (and across batches).
#[derive(Debug, Default)]
pub(crate) struct PlanCache {
    plans: Mutex<HashMap<String, Arc<Result<Plan, PlanError>>>>,
    /// Approximate bytes held by `plans`.
    bytes: Mutex<usize>,
}

impl PlanCache {
    /// The cached plan for `key`.
    pub(crate) fn get(&self, key: &str) -> Option<Arc<Result<Plan, PlanError>>> {
        self.plans
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
            .cloned()
    }

    /// Caches a plan (or a reference whose tests do not parse).
    pub(crate) fn insert(&self, key: String, plan: Arc<Result<Plan, PlanError>>) {
        let size = key.len() + plan.as_ref().as_ref().map_or(0, Plan::approximate_bytes);
        let mut plans = self.plans.lock().unwrap_or_else(|p| p.into_inner());
        let mut bytes = self.bytes.lock().unwrap_or_else(|p| p.into_inner());
        if plans.len() >= CACHE_ENTRIES || *bytes + size > CACHE_BYTES {
            plans.clear();
            *bytes = 0;
        }
        *bytes += size;
        plans.insert(key, plan);
    }
}

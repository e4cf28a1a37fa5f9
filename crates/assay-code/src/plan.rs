//! Test plans for assert and check references: the tests split into statements, with the
//! expected value of each `assert A == B` computed from the reference alone (in the sandbox,
//! without the candidate), so that it never enters the candidate's process.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use assay_sandbox::{Execution, Limits, Nonce, Task};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::reference::Tests;

/// The harnesses' modules, `(name, source)`, in the order the grader's sandbox preloads them
/// (each after those it imports; see `python/assay_code_harness/__init__.py`).
pub(crate) const HARNESS_MODULES: [(&str, &str); 9] = [
    (
        "assay_code_harness",
        include_str!("../python/assay_code_harness/__init__.py"),
    ),
    (
        "assay_code_harness.values",
        include_str!("../python/assay_code_harness/values.py"),
    ),
    (
        "assay_code_harness.report",
        include_str!("../python/assay_code_harness/report.py"),
    ),
    (
        "assay_code_harness.names",
        include_str!("../python/assay_code_harness/names.py"),
    ),
    (
        "assay_code_harness.lending",
        include_str!("../python/assay_code_harness/lending.py"),
    ),
    (
        "assay_code_harness.peer",
        include_str!("../python/assay_code_harness/peer.py"),
    ),
    (
        "assay_code_harness.plan",
        include_str!("../python/assay_code_harness/plan.py"),
    ),
    (
        "assay_code_harness.candidate",
        include_str!("../python/assay_code_harness/candidate.py"),
    ),
    (
        "assay_code_harness.judge",
        include_str!("../python/assay_code_harness/judge.py"),
    ),
];
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
    /// For a scored statement: the names it reads from outside the tests' code (from the
    /// program or the builtins), following the tests' own helpers; empty when it reads none
    /// (`assert True`). See [`CodeOptions::require_program_names`](crate::CodeOptions).
    #[serde(default)]
    pub reads: Vec<String>,
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

/// A program calling `module.main(argument)`, the argument given as JSON (a JSON string or
/// object literal is a Python literal too; it is decoded by `json.loads` to keep it exact).
fn program(module: &str, argument: &Value) -> String {
    let literal = serde_json::to_string(&argument.to_string()).expect("strings serialize");
    format!("from {module} import main as run\nrun(__import__('json').loads({literal}))\n")
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
    Task::python(program("assay_code_harness.plan", &spec)).with_limits(limits)
}

/// The task running `candidate` against `plan`; expected values are left out.
///
/// The program carries the candidate's source only. The nonce, the setup and the tests travel
/// on stdin, which only the judge reads, after the candidate's process was forked without
/// them: the candidate's memory holds nothing of them.
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
    let mut reads: Vec<&str> = plan
        .tests
        .iter()
        .flat_map(|t| t.reads.iter().map(String::as_str))
        .collect();
    reads.sort_unstable();
    reads.dedup();
    let suite = json!({
        "nonce": nonce.as_str(),
        "param": plan.param,
        "entry_point": entry_point,
        "setup": plan.setup,
        "tests": tests,
        "reads": reads,
    });
    Task::python(program("assay_code_harness.judge", &json!(candidate)))
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
    /// The request's deadline passed, or it was cancelled, before the plan was made: what the
    /// items become.
    Stopped(Box<assay_core::Outcome>),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::run::shared_sandbox;
    use std::time::Duration;

    /// XORed with a token before it is embedded in a program, so that the program's source
    /// and memory never hold the token's text unless something else put it there.
    const MASK: u128 = 0x5a5a_0f0f_3c3c_a5a5_1234_5678_9abc_def0;

    fn masked(token: &str) -> u128 {
        u128::from_str_radix(token, 16).expect("hexadecimal") ^ MASK
    }

    /// Found by review: the candidate's process was forked from a judge that held the nonce
    /// (and the spec it came in), and only the host's `fs.suid_dumpable = 0` kept the judge's
    /// `/proc/<pid>/mem` and descriptors from a process of the same uid. Now the nonce and the
    /// tests reach the judge after the fork, and the judge makes itself non-dumpable.
    #[test]
    fn the_candidates_memory_holds_neither_nonce_nor_tests_and_the_judge_is_not_dumpable() {
        let sandbox = shared_sandbox(None).unwrap_or_else(|e| panic!("{e}"));
        let nonce = Nonce::random();
        let suite_marker = Nonce::random();
        let decoy = Nonce::random();
        let candidate = format!(
            r#"
import ctypes, os, re
DECOY = "{decoy}"
def count(target):
    token = re.compile(rb"(?<![0-9a-f])[0-9a-f]{{32}}(?![0-9a-f])")
    hits = 0
    for line in open("/proc/self/maps").readlines():
        fields = line.split()
        lo, hi = (int(v, 16) for v in fields[0].split("-"))
        if "r" not in fields[1] or (len(fields) > 5 and fields[5].startswith("[v")):
            continue
        try:
            data = ctypes.string_at(lo, hi - lo)
        except Exception:
            continue
        hits += sum(int(m.group(), 16) ^ {MASK} == target for m in token.finditer(data))
    return hits
reached = []
judge = os.getppid()
for path in ("mem", "fd/0", "fd/3", "environ"):
    try:
        os.close(os.open(f"/proc/{{judge}}/{{path}}", os.O_RDONLY))
        reached.append(path)
    except OSError:
        pass
print("decoy", count({decoy_masked}), "nonce", count({nonce_masked}), "tests", count({tests_masked}), "reached", reached, flush=True)
def f():
    return 1
"#,
            decoy = decoy.as_str(),
            decoy_masked = masked(decoy.as_str()),
            nonce_masked = masked(nonce.as_str()),
            tests_masked = masked(suite_marker.as_str()),
        );
        let plan: Plan = serde_json::from_value(json!({
            "setup": format!("SECRET = {:?}", suite_marker.as_str()),
            "param": null,
            "tests": [{"src": format!("assert f() != {:?}", suite_marker.as_str()), "scored": true,
                       "reads": ["f"]}],
        }))
        .unwrap();
        // Scanning every mapping in Python takes seconds, more on a loaded machine.
        let limits = Limits {
            wall: Duration::from_secs(120),
            cpu: Duration::from_secs(120),
            ..Limits::default()
        };
        let mut task = harness_task(&plan, None, &candidate, &nonce, limits);
        // As on a host whose fs.suid_dumpable lets a process that changed uid stay dumpable.
        let mut program = b"__import__('ctypes').CDLL(None).prctl(4, 1, 0, 0, 0)\n".to_vec();
        program.extend_from_slice(&task.program);
        task.program = program;
        let exec = sandbox.run(&task).expect("runs");
        let stdout = String::from_utf8_lossy(&exec.stdout);
        let words: Vec<&str> = stdout.split_whitespace().collect();
        let stderr = String::from_utf8_lossy(&exec.stderr);
        assert_eq!(words.len(), 8, "{stdout}{stderr}");
        // The scan works: it finds the token of the candidate's own source (in several
        // copies: the source, its compiled constants …).
        assert!(words[1].parse::<u32>().unwrap() >= 1, "{stdout}");
        assert_eq!(
            words[2..],
            ["nonce", "0", "tests", "0", "reached", "[]"],
            "{stdout}"
        );
        // The judge ran the test with the nonce it read after the fork.
        let reports: Vec<&str> = exec.reports(&nonce).collect();
        assert!(reports.contains(&r#"{"i": 0, "ok": true}"#), "{reports:?}");
    }
}

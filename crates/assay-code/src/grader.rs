//! The `code` grader: options, preparation of sandbox tasks, and scoring.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use assay_core::{
    BatchContext, Budget, BuildContext, ErrorKind, Grader, GraderKind, Item, Outcome, SharedGrader,
};
use assay_sandbox::{Execution, Limits, Nonce, RunError, Sandbox, SandboxConfig, Status, Task};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::compare::Comparator;
use crate::extract::last_code_block;
use crate::language::CodeLanguage;
use crate::plan::{self, Plan, PlanCache, PlanError};
use crate::pyvalue::{close, py_eq};
use crate::reference::{Reference, Tests};

/// Failures listed in an explanation.
const SHOWN_FAILURES: usize = 5;
/// Bytes of stderr kept in an explanation.
const STDERR_TAIL: usize = 1000;

/// Where the program is taken from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Extract {
    /// The last fenced code block in the language (or untagged); none is `invalid`.
    LastBlock,
    /// The last fenced code block, or the whole response when it has none.
    #[default]
    LastBlockOrWhole,
    /// The whole response.
    Whole,
}

/// How test results become a reward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RewardMode {
    /// 1 when every test passes, else 0.
    #[default]
    All,
    /// The fraction of tests passed.
    Fraction,
    /// The weighted fraction of tests passed (weights from the reference, default 1).
    Weighted,
}

/// Options of the `code` grader.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct CodeOptions {
    /// Language of the programs, when the reference does not say: `python` or `cpp` (C++17,
    /// stdin/stdout tests only).
    pub language: CodeLanguage,
    /// Where the program is taken from: `last_block`, `last_block_or_whole` or `whole`.
    pub extract: Extract,
    /// How test results become the reward: `all` (1/0), `fraction` or `weighted`.
    pub reward: RewardMode,
    /// How stdout is compared for stdin/stdout tests: `exact`, `lines`, `tokens` or
    /// `case_insensitive`.
    pub comparator: Comparator,
    /// Tolerance of the `tokens` comparator for numbers (absolute, or relative above 1).
    pub float_tolerance: f64,
    /// Time limit per execution in seconds, when the reference sets none.
    pub time_limit_s: f64,
    /// Memory (address space) limit per process in MiB, when the reference sets none.
    pub memory_mb: u64,
    /// Bytes of stdout and of stderr kept per execution; more kills the program.
    pub output_limit_bytes: usize,
}

impl Default for CodeOptions {
    fn default() -> Self {
        CodeOptions {
            language: CodeLanguage::Python,
            extract: Extract::default(),
            reward: RewardMode::default(),
            comparator: Comparator::default(),
            float_tolerance: 1e-6,
            time_limit_s: 10.0,
            memory_mb: 1024,
            output_limit_bytes: 1 << 20,
        }
    }
}

/// The process-wide sandbox shared by every `code` grader (cells are costly to start).
fn shared_sandbox() -> Result<&'static Sandbox, String> {
    static SANDBOX: OnceLock<Result<Sandbox, String>> = OnceLock::new();
    SANDBOX
        .get_or_init(|| {
            Sandbox::new(SandboxConfig {
                python_modules: vec![(plan::HARNESS_MODULE.into(), plan::HARNESS.into())],
                ..SandboxConfig::default()
            })
            .map_err(|e| e.to_string())
        })
        .as_ref()
        .map_err(Clone::clone)
}

/// The `code` grader.
#[derive(Debug)]
pub struct CodeGrader {
    options: CodeOptions,
    plans: PlanCache,
}

/// What one item needs run, or its verdict already.
enum Prepared {
    Done(Outcome),
    Io {
        reference: Reference,
        first_task: usize,
    },
    /// Assert or check tests: waiting for the plan of `key`.
    Planned {
        reference: Reference,
        key: String,
        code: String,
        limits: Limits,
    },
    Harness {
        reference: Reference,
        plan: Arc<Result<Plan, PlanError>>,
        nonce: Nonce,
        task: usize,
    },
}

impl CodeGrader {
    /// A grader with `options`.
    pub fn new(options: CodeOptions) -> Result<CodeGrader, String> {
        if options.time_limit_s.is_nan() || options.time_limit_s <= 0.0 || options.memory_mb == 0 {
            return Err("time_limit_s and memory_mb must be positive".into());
        }
        Ok(CodeGrader {
            options,
            plans: PlanCache::default(),
        })
    }

    fn limits(&self, reference: &Reference, budget: Option<Duration>) -> Limits {
        let seconds = reference.time_limit_s.unwrap_or(self.options.time_limit_s);
        let mut wall = Duration::from_secs_f64(seconds.clamp(0.001, 3600.0));
        if let Some(b) = budget {
            wall = wall.min(b.max(Duration::from_millis(1)));
        }
        Limits {
            wall,
            cpu: wall,
            memory_bytes: reference.memory_mb.unwrap_or(self.options.memory_mb) << 20,
            output_bytes: self.options.output_limit_bytes,
            ..Limits::default()
        }
    }

    fn prepare(&self, item: &Item, timeout: Option<Duration>, tasks: &mut Vec<Task>) -> Prepared {
        let reference = match Reference::parse(&item.reference) {
            Ok(r) => r,
            Err(e) => return Prepared::Done(Outcome::error(ErrorKind::BadReference, e)),
        };
        let language = reference.language.unwrap_or(self.options.language);
        if language != CodeLanguage::Python && !matches!(reference.tests, Tests::Io(_)) {
            return Prepared::Done(Outcome::error(
                ErrorKind::BadReference,
                "assert and check tests need Python; other languages take stdin/stdout tests",
            ));
        }
        let response = item.response_text();
        let block = last_code_block(response, language.fence_tags());
        let code = match (self.options.extract, block) {
            (Extract::Whole, _) => response,
            (_, Some(block)) => block,
            (Extract::LastBlockOrWhole, None) => response,
            (Extract::LastBlock, None) => {
                return Prepared::Done(
                    Outcome::invalid(0.0, "no fenced code block in the language in the response")
                        .component("passed", 0.0)
                        .component("total", 0.0),
                )
            }
        };
        if code.trim().is_empty() {
            return Prepared::Done(
                Outcome::invalid(0.0, "empty program")
                    .component("passed", 0.0)
                    .component("total", 0.0),
            );
        }
        let limits = self.limits(&reference, timeout);
        match &reference.tests {
            Tests::Io(cases) => {
                let first_task = tasks.len();
                for case in cases {
                    tasks.push(Task {
                        language: language.sandbox(),
                        stdin: case.stdin.clone().into_bytes(),
                        ..Task::python(code).with_limits(limits.clone())
                    });
                }
                Prepared::Io {
                    reference,
                    first_task,
                }
            }
            tests => Prepared::Planned {
                key: plan::reference_spec(tests)
                    .expect("not stdin/stdout")
                    .to_string(),
                reference,
                code: code.to_owned(),
                limits,
            },
        }
    }

    /// Makes the plans the `Planned` items need (one per distinct reference), then turns
    /// each into a harness task in `tasks`.
    fn plan_all(&self, prepared: &mut [Prepared], sandbox: &Sandbox, tasks: &mut Vec<Task>) {
        let mut wanted: Vec<(String, Value, Limits)> = Vec::new();
        for p in prepared.iter() {
            if let Prepared::Planned {
                key,
                reference,
                limits,
                ..
            } = p
            {
                if self.plans.get(key).is_none() && !wanted.iter().any(|(k, _, _)| k == key) {
                    let spec = plan::reference_spec(&reference.tests).expect("planned");
                    wanted.push((key.clone(), spec, limits.clone()));
                }
            }
        }
        let nonces: Vec<Nonce> = wanted.iter().map(|_| Nonce::random()).collect();
        let plan_tasks: Vec<Task> = wanted
            .iter()
            .zip(&nonces)
            .map(|((_, spec, limits), nonce)| plan::plan_task(spec, nonce, limits.clone()))
            .collect();
        let mut fresh: HashMap<String, Arc<Result<Plan, PlanError>>> = HashMap::new();
        for (((key, _, _), nonce), run) in wanted
            .into_iter()
            .zip(&nonces)
            .zip(run_all(sandbox, &plan_tasks))
        {
            let plan = match run {
                Ok(exec) => plan::read_plan(&exec, nonce),
                Err(e) => Err(PlanError::Failed(e.to_string())),
            };
            let plan = Arc::new(plan);
            if !matches!(*plan, Err(PlanError::Failed(_))) {
                self.plans.insert(key.clone(), plan.clone());
            }
            fresh.insert(key, plan);
        }
        for p in prepared.iter_mut() {
            let Prepared::Planned { .. } = p else {
                continue;
            };
            let Prepared::Planned {
                reference,
                key,
                code,
                limits,
            } = std::mem::replace(p, Prepared::Done(Outcome::ok(0.0)))
            else {
                unreachable!("matched above")
            };
            let plan = fresh
                .get(&key)
                .cloned()
                .or_else(|| self.plans.get(&key))
                .expect("every wanted plan was made");
            *p = match &*plan {
                Err(PlanError::BadTests(e)) => Prepared::Done(Outcome::error(
                    ErrorKind::BadReference,
                    format!("the reference's tests do not parse: {e}"),
                )),
                Err(PlanError::Failed(e)) => {
                    Prepared::Done(Outcome::error(ErrorKind::Execution, e.clone()))
                }
                Ok(ok) => {
                    let nonce = Nonce::random();
                    let entry = match &reference.tests {
                        Tests::Check { entry_point, .. } => Some(entry_point.as_str()),
                        _ => None,
                    };
                    tasks.push(plan::harness_task(ok, entry, &code, &nonce, limits));
                    Prepared::Harness {
                        reference,
                        plan: plan.clone(),
                        nonce,
                        task: tasks.len() - 1,
                    }
                }
            };
        }
    }

    /// A `timeout` outcome when a program ran out of time only because the item's deadline
    /// was shorter than the reference's time limit: no verdict on the response, not a zero.
    fn cut_by_budget(
        &self,
        reference: &Reference,
        timeout: Option<Duration>,
        runs: &[Result<Execution, RunError>],
    ) -> Option<Outcome> {
        let limit = reference.time_limit_s.unwrap_or(self.options.time_limit_s);
        let budget = timeout?;
        let cut = budget.as_secs_f64() < limit
            && runs
                .iter()
                .any(|r| matches!(r, Ok(e) if e.status == Status::Timeout));
        cut.then(|| {
            Outcome::timeout(format!(
                "the item's deadline ({budget:?}) passed before the program finished \
                 (the reference allows {limit} s)"
            ))
        })
    }

    fn reward(&self, passed: &[bool], weights: &[f64]) -> f64 {
        let total = passed.len();
        let n = passed.iter().filter(|&&p| p).count();
        match self.options.reward {
            RewardMode::All => f64::from(u8::from(total > 0 && n == total)),
            RewardMode::Fraction => n as f64 / total.max(1) as f64,
            RewardMode::Weighted => {
                let sum: f64 = weights.iter().sum();
                let got: f64 = passed
                    .iter()
                    .zip(weights)
                    .filter(|(p, _)| **p)
                    .map(|(_, w)| w)
                    .sum();
                if sum > 0.0 {
                    got / sum
                } else {
                    0.0
                }
            }
        }
    }

    fn score(&self, passed: &[bool], weights: &[f64]) -> Outcome {
        let n = passed.iter().filter(|&&p| p).count();
        Outcome::ok(self.reward(passed, weights))
            .component("passed", n as f64)
            .component("total", passed.len() as f64)
            .pred(format!("{n}/{} tests passed", passed.len()))
    }

    fn judge_io(&self, reference: &Reference, runs: &[Result<Execution, RunError>]) -> Outcome {
        let Tests::Io(cases) = &reference.tests else {
            unreachable!("judge_io on an io reference")
        };
        let mut passed = Vec::with_capacity(cases.len());
        let mut failures = Vec::new();
        for (i, (case, run)) in cases.iter().zip(runs).enumerate() {
            let exec = match run {
                Ok(e) => e,
                Err(e) => return sandbox_error(e),
            };
            let ok = exec.status == Status::Ok
                && self.options.comparator.matches(
                    &exec.stdout,
                    &case.stdout,
                    self.options.float_tolerance,
                );
            if !ok && failures.len() < SHOWN_FAILURES {
                failures.push(json!({
                    "test": i,
                    "status": status_name(exec.status),
                    "stderr": tail(&exec.stderr),
                }));
            }
            passed.push(ok);
        }
        let weights: Vec<f64> = cases.iter().map(|c| c.weight).collect();
        self.score(&passed, &weights)
            .explain("failures", Value::Array(failures))
    }

    fn judge_harness(
        &self,
        reference: &Reference,
        plan: &Plan,
        nonce: &Nonce,
        run: &Result<Execution, RunError>,
    ) -> Outcome {
        let exec = match run {
            Ok(e) => e,
            Err(e) => return sandbox_error(e),
        };
        let scored = plan.scored();
        let total = scored.len();
        let mut results: Vec<Option<Result<(), String>>> = vec![None; total];
        let mut problem: Option<String> = None;
        let mut finished = false;
        for line in exec.reports(nonce) {
            let Ok(report) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if let Some(i) = report.get("i").and_then(Value::as_u64) {
                let Some(slot) = results.get_mut(i as usize) else {
                    continue;
                };
                if slot.is_some() {
                    continue; // the first report of a test stands
                }
                let test = scored[i as usize];
                let expected = test.expr.as_ref().map(|_| &test.expected);
                *slot = Some(match (report.get("value"), expected) {
                    (Some(value), Some(expected)) => {
                        let equal = match test.tolerance {
                            Some(t) => close(value, expected, t.rel, t.abs, t.strict),
                            None => py_eq(value, expected),
                        };
                        if equal {
                            Ok(())
                        } else {
                            Err(format!("{}: got {}", test.src, short_json(value)))
                        }
                    }
                    (None, None) if report.get("ok") == Some(&Value::Bool(true)) => Ok(()),
                    _ => Err(report
                        .get("error")
                        .and_then(Value::as_str)
                        .unwrap_or("failed")
                        .to_owned()),
                });
            } else if report.get("finished").is_some() {
                finished = true;
            } else {
                for key in ["compile_error", "load_error"] {
                    if let Some(msg) = report.get(key).and_then(Value::as_str) {
                        problem.get_or_insert_with(|| format!("{key}: {msg}"));
                    }
                }
            }
        }
        let weights = match &reference.tests {
            Tests::Asserts { weights, .. } => weights.clone(),
            _ => vec![1.0; total],
        };
        let mut passed = vec![false; total];
        let mut failures = Vec::new();
        for (i, p) in passed.iter_mut().enumerate() {
            match &results[i] {
                Some(Ok(())) => *p = true,
                Some(Err(e)) if failures.len() < SHOWN_FAILURES => {
                    failures.push(json!({"test": i, "error": e}))
                }
                _ => {}
            }
        }
        let mut outcome = self
            .score(&passed, &weights)
            .explain("failures", Value::Array(failures))
            .explain("status", status_name(exec.status));
        if let Some(p) = problem {
            outcome = outcome.explain("error", p);
        }
        if !finished {
            outcome = outcome.explain(
                "incomplete",
                format!(
                    "the program ended before every test ran ({}); unreported tests fail. stderr: {}",
                    status_name(exec.status),
                    tail(&exec.stderr)
                ),
            );
        }
        outcome
    }
}

fn short_json(v: &Value) -> String {
    let s = v.to_string();
    if s.len() > 200 {
        let mut end = 200;
        while !s.is_char_boundary(end) {
            end -= 1;
        }
        format!("{}…", &s[..end])
    } else {
        s
    }
}

fn sandbox_error(e: &RunError) -> Outcome {
    Outcome::error(ErrorKind::Execution, e.to_string())
}

fn status_name(s: Status) -> &'static str {
    match s {
        Status::Ok => "exited 0",
        Status::Failed => "exited non-zero",
        Status::Crashed => "crashed",
        Status::Timeout => "timeout",
        Status::MemoryLimit => "memory limit",
        Status::OutputLimit => "output limit",
        Status::CompileError => "compile error",
    }
}

fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let start = text.len().saturating_sub(STDERR_TAIL);
    let start = (start..text.len())
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(text.len());
    text[start..].to_string()
}

/// Runs `tasks` on the sandbox with one thread per cell.
fn run_all(sandbox: &Sandbox, tasks: &[Task]) -> Vec<Result<Execution, RunError>> {
    let next = AtomicUsize::new(0);
    let workers = sandbox.config().cells.clamp(1, tasks.len().max(1));
    let mut results: Vec<Option<Result<Execution, RunError>>> = Vec::new();
    results.resize_with(tasks.len(), || None);
    let slots: Vec<std::sync::Mutex<Option<Result<Execution, RunError>>>> =
        results.into_iter().map(std::sync::Mutex::new).collect();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(task) = tasks.get(i) else { break };
                let r = sandbox.run(task);
                *slots[i].lock().unwrap_or_else(|p| p.into_inner()) = Some(r);
            });
        }
    });
    slots
        .into_iter()
        .map(|m| {
            m.into_inner()
                .unwrap_or_else(|p| p.into_inner())
                .expect("every task ran")
        })
        .collect()
}

impl Grader for CodeGrader {
    fn components(&self) -> Vec<String> {
        vec!["passed".into(), "total".into()]
    }

    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        let ctx = BatchContext::new(budget.remaining());
        self.grade_batch(&[item], &ctx)
            .pop()
            .expect("one outcome per item")
    }

    fn grade_batch(&self, items: &[&Item], ctx: &BatchContext) -> Vec<Outcome> {
        let mut tasks = Vec::new();
        let mut prepared: Vec<Prepared> = items
            .iter()
            .map(|item| self.prepare(item, ctx.timeout(), &mut tasks))
            .collect();
        if prepared.iter().all(|p| matches!(p, Prepared::Done(_))) {
            return prepared
                .into_iter()
                .map(|p| match p {
                    Prepared::Done(o) => o,
                    _ => unreachable!("all done"),
                })
                .collect();
        }
        let sandbox = match shared_sandbox() {
            Ok(sandbox) => sandbox,
            Err(e) => {
                let message = format!("the sandbox is unavailable: {e}");
                return prepared
                    .into_iter()
                    .map(|p| match p {
                        Prepared::Done(o) => o,
                        _ => Outcome::error(ErrorKind::Execution, message.clone()),
                    })
                    .collect();
            }
        };
        self.plan_all(&mut prepared, sandbox, &mut tasks);
        let runs = run_all(sandbox, &tasks);
        prepared
            .into_iter()
            .map(|p| match p {
                Prepared::Done(o) => o,
                Prepared::Io {
                    reference,
                    first_task,
                } => {
                    let n = match &reference.tests {
                        Tests::Io(c) => c.len(),
                        _ => 0,
                    };
                    let runs = &runs[first_task..first_task + n];
                    self.cut_by_budget(&reference, ctx.timeout(), runs)
                        .unwrap_or_else(|| self.judge_io(&reference, runs))
                }
                Prepared::Harness {
                    reference,
                    plan,
                    nonce,
                    task,
                } => match &*plan {
                    Ok(plan) => {
                        let runs = &runs[task..=task];
                        self.cut_by_budget(&reference, ctx.timeout(), runs)
                            .unwrap_or_else(|| {
                                self.judge_harness(&reference, plan, &nonce, &runs[0])
                            })
                    }
                    Err(_) => unreachable!("failed plans are resolved in plan_all"),
                },
                Prepared::Planned { .. } => unreachable!("plan_all resolves every plan"),
            })
            .collect()
    }
}

/// Registry entry of the `code` grader.
#[derive(Debug)]
pub struct CodeKind;

impl GraderKind for CodeKind {
    type Options = CodeOptions;
    const NAME: &'static str = "code";
    const FAMILY: &'static str = "code";
    const SUMMARY: &'static str =
        "Runs the response's program against tests in an isolated sandbox; pass/fail or partial credit.";
    const REFERENCE: &'static str =
        "{\"tests\": [{\"stdin\", \"stdout\"}]} | {\"asserts\": [...], \
        \"setup\"} | {\"test\": \"def check(candidate): ...\", \"entry_point\"}; optional \
        \"time_limit_s\", \"memory_mb\"";

    fn build(options: CodeOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        Ok(Arc::new(CodeGrader::new(options)?))
    }
}

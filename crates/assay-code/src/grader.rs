//! The `code` grader: its options, and the preparation of an item's sandbox tasks (the
//! verdicts are in [`crate::judge`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use assay_core::{
    BatchContext, Budget, BuildContext, ErrorKind, Grader, GraderKind, Item, Outcome, SharedGrader,
};
use assay_sandbox::{Limits, Nonce, RunControl, RunError, Sandbox, Task};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::compare::Comparator;
use crate::extract::last_code_block;
use crate::language::CodeLanguage;
use crate::plan::{self, Plan, PlanCache, PlanError};
use crate::reference::{Reference, Tests};
use crate::run::{run_scheduled, shared_sandbox, Schedule};

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
    /// Tolerance of the `tokens` comparator for numbers (absolute, or relative above 1);
    /// an expected integer is compared exactly.
    pub float_tolerance: f64,
    /// Time limit per execution in seconds, when the reference sets none.
    pub time_limit_s: f64,
    /// Memory (address space) limit per process in MiB, when the reference sets none.
    pub memory_mb: u64,
    /// Bytes of stdout and of stderr kept per execution; more kills the program.
    pub output_limit_bytes: usize,
    /// Assert and check tests: a scored test that reads names from outside the tests but none
    /// that the program defines makes the item `invalid` (reward 0): `assert divmod(7, 2) ==
    /// (3, 1)` against a program that defines no `divmod` would pass with the builtin. Tests
    /// that read nothing from outside the tests (`assert True`) are not flagged, but a
    /// reference made only of them is an error (`bad_reference`). On by default; turn it off
    /// for references whose tests check builtins on purpose.
    pub require_program_names: bool,
    /// The Python interpreter that runs the programs and the test harness (a `python3`
    /// executable, 3.8 or later); default: `python3` on `PATH`. Every result names the one
    /// that ran (`explanation.python`). Modules the tests import must be installed for it: a
    /// test setup that cannot import one is an `error` of kind `execution` (the grader's
    /// environment), never the program's failure.
    pub python: Option<std::path::PathBuf>,
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
            require_program_names: true,
            python: None,
        }
    }
}

/// The `code` grader.
#[derive(Debug)]
pub struct CodeGrader {
    pub(crate) options: CodeOptions,
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

    /// The limits of the reference (or the grader's defaults). The item's own timeout lowers
    /// the wall limit when a task starts ([`CodeGrader::schedule`]).
    fn limits(&self, reference: &Reference) -> Limits {
        let seconds = reference.time_limit_s.unwrap_or(self.options.time_limit_s);
        let wall = Duration::from_secs_f64(seconds.clamp(0.001, 3600.0));
        Limits {
            wall,
            cpu: wall,
            memory_bytes: reference.memory_mb.unwrap_or(self.options.memory_mb) << 20,
            output_bytes: self.options.output_limit_bytes,
            ..Limits::default()
        }
    }

    /// The bounds of task `owner`'s next run. The program's own time limit is the reference's,
    /// lowered to what is left of its item's timeout minus the grader's overhead
    /// ([`overhead`]): a program that hangs runs out of its own time (a failed test, reward 0)
    /// before the item's deadline, so a policy cannot trade a 0 for a `timeout` by hanging.
    /// The run itself is bounded by the item's deadline (the earlier of its timeout and the
    /// request's deadline) and the request's cancellation: a task stopped by those is the
    /// grader's `timeout` (or `cancelled`), never the program's failure. Tasks of no item
    /// (planning) are bounded by the request alone.
    fn schedule(&self, ctx: &BatchContext, owner: Option<usize>) -> Schedule {
        let control = RunControl::new().with_cancel(ctx.cancel_token().flag());
        let Some(k) = owner else {
            let control = match ctx.deadline() {
                Some(deadline) => control.with_deadline(deadline),
                None => control,
            };
            return Schedule {
                wall_cap: None,
                control,
            };
        };
        let budget = ctx.item_budget(k);
        let own_deadline = ctx.timeout().and_then(|t| budget.start().checked_add(t));
        let wall_cap = own_deadline.map(|d| {
            d.saturating_duration_since(Instant::now())
                .saturating_sub(overhead(ctx.timeout()))
        });
        let control = match budget.deadline() {
            Some(deadline) => control.with_deadline(deadline),
            None => control,
        };
        Schedule { wall_cap, control }
    }

    fn prepare(
        &self,
        item: &Item,
        k: usize,
        tasks: &mut Vec<Task>,
        owners: &mut Vec<Option<usize>>,
    ) -> Prepared {
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
        let limits = self.limits(&reference);
        match &reference.tests {
            Tests::Io(cases) => {
                let first_task = tasks.len();
                for case in cases {
                    owners.push(Some(k));
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
    fn plan_all(
        &self,
        prepared: &mut [Prepared],
        sandbox: &Sandbox,
        ctx: &BatchContext,
        tasks: &mut Vec<Task>,
        owners: &mut Vec<Option<usize>>,
    ) {
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
        for (((key, _, _), nonce), run) in
            wanted
                .into_iter()
                .zip(&nonces)
                .zip(run_scheduled(sandbox, &plan_tasks, |_| {
                    self.schedule(ctx, None)
                }))
        {
            let plan = match run {
                Ok(exec) => plan::read_plan(&exec, nonce),
                Err(e) if e.is_deadline() || matches!(e, RunError::Cancelled) => Err(
                    PlanError::Stopped(Box::new(crate::judge::sandbox_error(&e))),
                ),
                Err(e) => Err(PlanError::Failed(e.to_string())),
            };
            let plan = Arc::new(plan);
            if !matches!(*plan, Err(PlanError::Failed(_) | PlanError::Stopped(_))) {
                self.plans.insert(key.clone(), plan.clone());
            }
            fresh.insert(key, plan);
        }
        for (k, p) in prepared.iter_mut().enumerate() {
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
                Err(PlanError::Stopped(outcome)) => Prepared::Done((**outcome).clone()),
                Ok(ok) if ok.scored().is_empty() => Prepared::Done(Outcome::error(
                    ErrorKind::BadReference,
                    "the reference's tests check nothing: no statement of `check` asserts or \
                     calls a function of the tests that asserts",
                )),
                Ok(ok) => {
                    let nonce = Nonce::random();
                    let entry = match &reference.tests {
                        Tests::Check { entry_point, .. } => Some(entry_point.as_str()),
                        _ => None,
                    };
                    owners.push(Some(k));
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
}

impl Grader for CodeGrader {
    fn components(&self) -> Vec<String> {
        vec!["passed".into(), "total".into()]
    }

    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        let mut ctx = BatchContext::new(budget.remaining());
        if let Some(cancel) = budget.cancel_token() {
            ctx = ctx.with_cancel(cancel.clone());
        }
        self.grade_batch(&[item], &ctx)
            .pop()
            .expect("one outcome per item")
    }

    fn grade_batch(&self, items: &[&Item], ctx: &BatchContext) -> Vec<Outcome> {
        if let Err(expired) = ctx.check_request() {
            return vec![Outcome::expired(expired); items.len()];
        }
        let mut tasks = Vec::new();
        let mut owners = Vec::new();
        let mut prepared: Vec<Prepared> = items
            .iter()
            .enumerate()
            .map(|(k, item)| self.prepare(item, k, &mut tasks, &mut owners))
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
        let sandbox = match shared_sandbox(self.options.python.as_deref()) {
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
        self.plan_all(&mut prepared, sandbox, ctx, &mut tasks, &mut owners);
        let runs = run_scheduled(sandbox, &tasks, |i| self.schedule(ctx, owners[i]));
        let python = sandbox.python().to_string();
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
                    self.judge_io(&reference, &runs[first_task..first_task + n])
                }
                Prepared::Harness {
                    reference,
                    plan,
                    nonce,
                    task,
                } => match &*plan {
                    Ok(plan) => self.judge_harness(&reference, plan, &nonce, &runs[task]),
                    Err(_) => unreachable!("failed plans are resolved in plan_all"),
                },
                Prepared::Planned { .. } => unreachable!("plan_all resolves every plan"),
            })
            .map(|outcome| with_python(outcome, &python))
            .collect()
    }
}

/// Names the interpreter that ran the item (`explanation.python`), and says in an environment
/// error which interpreter lacks what.
fn with_python(mut outcome: Outcome, python: &str) -> Outcome {
    if let Some(error) = outcome.error.as_mut() {
        if error.message.starts_with(ENVIRONMENT) {
            error.message = format!(
                "{} (the interpreter: {python}; install the module for it, or set `python = \
                 \"/path/to/python3\"` to an interpreter that has it)",
                error.message
            );
        }
    }
    outcome.explain("python", python)
}

/// How an error of the grader's environment (not of the program) begins.
pub(crate) const ENVIRONMENT: &str = "environment:";

/// Time the grader keeps for itself out of an item's timeout (starting the task, the harness,
/// judging): a tenth of the timeout, at most 200 ms. A program's own time limit is at most the
/// rest.
pub fn overhead(timeout: Option<Duration>) -> Duration {
    timeout.map_or(Duration::ZERO, |t| (t / 10).min(Duration::from_millis(200)))
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
    const EXAMPLE: &'static str = r#"
[graders.code]
kind = "code"
reward = "fraction"     # share of the tests passed
time_limit_s = 5
"#;

    fn build(options: CodeOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        Ok(Arc::new(CodeGrader::new(options)?))
    }
}

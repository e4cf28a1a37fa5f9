//! Turning executions into outcomes: comparing outputs and reports with the expected
//! results, partial credit, and the explanation.

use assay_core::{ErrorKind, Outcome};
use assay_sandbox::{Execution, Nonce, RunError, Status};
use serde_json::{json, Value};

use crate::grader::{CodeGrader, RewardMode};
use crate::plan::{Plan, PlanTest};
use crate::pyvalue::{close, py_eq};
use crate::reference::{Reference, Tests};

/// Failures listed in an explanation.
const SHOWN_FAILURES: usize = 5;
/// Bytes of stderr kept in an explanation.
const STDERR_TAIL: usize = 1000;

impl CodeGrader {
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

    pub(crate) fn judge_io(
        &self,
        reference: &Reference,
        runs: &[Result<Execution, RunError>],
    ) -> Outcome {
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

    pub(crate) fn judge_harness(
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
        let mut broken: Option<String> = None;
        // The program's names among those the tests read, once the program has loaded.
        let mut program_names: Option<Vec<String>> = None;
        for line in exec.reports(nonce) {
            let Ok(report) = serde_json::from_str::<Value>(line) else {
                continue;
            };
            if let Some(e) = report.get("environment_error").and_then(Value::as_str) {
                return Outcome::error(
                    ErrorKind::Execution,
                    format!(
                        "{} the tests' setup cannot import a module: {e}",
                        crate::grader::ENVIRONMENT
                    ),
                );
            }
            if let Some(e) = report.get("harness_error").and_then(Value::as_str) {
                return Outcome::error(
                    ErrorKind::Execution,
                    format!("the test harness failed: {e}"),
                );
            }
            if let Some(names) = report.get("names").and_then(Value::as_array) {
                program_names.get_or_insert_with(|| {
                    names
                        .iter()
                        .filter_map(|n| n.as_str().map(str::to_owned))
                        .collect()
                });
                continue;
            }
            if let Some(i) = report.get("i").and_then(Value::as_u64) {
                let Some(slot) = results.get_mut(i as usize) else {
                    continue;
                };
                if slot.is_some() {
                    continue; // the first report of a test stands
                }
                let test = scored[i as usize];
                *slot = Some(verdict(test, &report));
            } else if report.get("finished").is_some() {
                finished = true;
                if let Some(step) = report.get("broken").and_then(Value::as_str) {
                    broken.get_or_insert_with(|| step.to_owned());
                }
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
        // A check that did not run to its end (a step after the last test raised, or the
        // program was stopped after it) fails its last test, as it fails in-process.
        if let (Some(Some(last)), false) = (results.last_mut(), finished && broken.is_none()) {
            if last.is_ok() {
                *last = Err(broken.clone().unwrap_or_else(|| {
                    "the check did not run to its end after this test".to_owned()
                }));
            }
        }
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
        if self.options.require_program_names {
            if let Some(flagged) = not_about_the_program(&scored, program_names.as_deref()) {
                let n = passed.iter().filter(|&&p| p).count();
                return flagged
                    .component("passed", n as f64)
                    .component("total", total as f64);
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

/// With `require_program_names`: `invalid` when a scored test reads names from outside the
/// tests but none the program defines (`assert divmod(7, 2) == (3, 1)` against a program that
/// defines no `divmod` passes with the builtin: it tests nothing of the program), and an error
/// when no scored test reads anything from outside the tests (`assert True` only: every
/// program passes). `program_names` is `None` when the program did not load (its tests fail
/// anyway).
fn not_about_the_program(
    scored: &[&PlanTest],
    program_names: Option<&[String]>,
) -> Option<Outcome> {
    if !scored.is_empty() && scored.iter().all(|t| t.reads.is_empty()) {
        return Some(Outcome::error(
            ErrorKind::BadReference,
            "the reference's tests read no name from outside the tests (like `assert True`): \
             every program passes them (set require_program_names = false to score them anyway)",
        ));
    }
    let names = program_names?;
    let (i, test) = scored
        .iter()
        .enumerate()
        .find(|(_, t)| !t.reads.is_empty() && !t.reads.iter().any(|r| names.contains(r)))?;
    Some(Outcome::invalid(
        0.0,
        format!(
            "test {i} ({}) reads no name the program defines (it reads {}): the program must \
             define what the tests call (require_program_names)",
            short_src(&test.src),
            test.reads.join(", ")
        ),
    ))
}

fn short_src(src: &str) -> String {
    let line = src.lines().next().unwrap_or_default();
    let mut end = line.len().min(120);
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    if end < src.len() {
        format!("{}…", &line[..end])
    } else {
        line.to_owned()
    }
}

/// A test's verdict from its report: a host-judged test passes only by a value equal to
/// the expected value of the side the judge evaluated; any other test by `"ok": true`.
fn verdict(test: &PlanTest, report: &Value) -> Result<(), String> {
    let failed = || {
        Err(report
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("failed")
            .to_owned())
    };
    if !test.host_judged() {
        return if report.get("ok") == Some(&Value::Bool(true)) {
            Ok(())
        } else {
            failed()
        };
    }
    // The side the judge evaluated (the first when it does not say).
    let side = report
        .get("side")
        .map_or(Some(0), Value::as_u64)
        .and_then(|k| test.sides.get(usize::try_from(k).ok()?));
    let (Some(value), Some(side)) = (report.get("value"), side) else {
        return failed();
    };
    let equal = match test.tolerance {
        Some(t) => close(value, &side.expected, t),
        None => py_eq(value, &side.expected),
    };
    if equal {
        Ok(())
    } else {
        Err(format!("{}: got {}", test.src, short_json(value)))
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

/// The outcome of a run the sandbox could not complete: `timeout` when the caller's deadline
/// stopped it (before or during the program: no verdict on it), otherwise `error` (kind
/// `execution`; a cancelled run is one too, until the core has a status for it).
pub(crate) fn sandbox_error(e: &RunError) -> Outcome {
    if e.is_deadline() {
        return Outcome::timeout(e.to_string());
    }
    if matches!(e, RunError::Cancelled) {
        return Outcome::error(ErrorKind::Cancelled, e.to_string());
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn test(sides: Value) -> PlanTest {
        serde_json::from_value(json!({"src": "assert f(1) == 2", "scored": true, "sides": sides}))
            .unwrap()
    }

    #[test]
    fn host_judged_tests_pass_only_by_an_equal_value_of_a_known_side() {
        let judged = test(json!([
            {"expr": "f(1)", "expected": {"int": "2"}, "uses": ["f"]},
            {"expr": "2", "expected": {"int": "7"}, "uses": []},
        ]));
        let cases = [
            (json!({"i": 0, "value": {"int": "2"}}), true),
            (json!({"i": 0, "value": {"int": "2"}, "side": 0}), true),
            (json!({"i": 0, "value": {"int": "2"}, "side": 1}), false),
            (json!({"i": 0, "value": {"int": "7"}, "side": 1}), true),
            (json!({"i": 0, "value": {"int": "3"}}), false),
            // A judge that says "ok" (or names a side that does not exist) proves nothing.
            (json!({"i": 0, "ok": true}), false),
            (json!({"i": 0, "ok": true, "side": 5}), false),
            (json!({"i": 0, "value": {"int": "2"}, "side": 5}), false),
            (json!({"i": 0, "value": {"int": "2"}, "side": "0"}), false),
        ];
        for (report, passes) in cases {
            assert_eq!(verdict(&judged, &report).is_ok(), passes, "{report}");
        }
    }

    #[test]
    fn a_run_the_deadline_stopped_is_a_timeout_and_other_failures_are_errors() {
        use assay_core::Status;
        for e in [RunError::DeadlineBeforeStart, RunError::DeadlineDuringRun] {
            assert_eq!(sandbox_error(&e).status, Status::Timeout, "{e}");
        }
        for e in [RunError::Cancelled, RunError::Sandbox("cell died".into())] {
            assert_eq!(sandbox_error(&e).status, Status::Error, "{e}");
        }
    }

    #[test]
    fn other_tests_pass_only_by_ok() {
        let run = test(json!([]));
        assert!(verdict(&run, &json!({"i": 0, "ok": true})).is_ok());
        assert!(verdict(&run, &json!({"i": 0, "value": {"int": "2"}})).is_err());
        let failed = verdict(
            &run,
            &json!({"i": 0, "ok": false, "error": "AssertionError"}),
        );
        assert_eq!(failed, Err("AssertionError".to_owned()));
    }
}

//! Running tasks: the process-wide sandbox of the code graders, and a batch of tasks spread
//! over its cells.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use assay_sandbox::{Execution, RunControl, RunError, Sandbox, SandboxConfig, Task};

use crate::plan;

/// Runs `tasks` on the sandbox with one thread per cell, bounded only by their own limits.
pub(crate) fn run_all(sandbox: &Sandbox, tasks: &[Task]) -> Vec<Result<Execution, RunError>> {
    run_all_with(sandbox, tasks, &RunControl::default())
}

/// Runs `tasks` on the sandbox with one thread per cell, each within `control` (an absolute
/// deadline and a cancel flag): a task that cannot start by the deadline is
/// [`RunError::DeadlineBeforeStart`], one the deadline stops is
/// [`RunError::DeadlineDuringRun`], and a raised flag ends them all with
/// [`RunError::Cancelled`].
pub(crate) fn run_all_with(
    sandbox: &Sandbox,
    tasks: &[Task],
    control: &RunControl,
) -> Vec<Result<Execution, RunError>> {
    let next = AtomicUsize::new(0);
    let workers = sandbox.config().cells.clamp(1, tasks.len().max(1));
    let mut results: Vec<Option<Result<Execution, RunError>>> = Vec::new();
    results.resize_with(tasks.len(), || None);
    let slots: Vec<Mutex<Option<Result<Execution, RunError>>>> =
        results.into_iter().map(Mutex::new).collect();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(task) = tasks.get(i) else { break };
                let r = sandbox.run_with(task, control);
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

/// How long a failure to start the sandbox is remembered before the next attempt.
const RETRY_AFTER: Duration = Duration::from_secs(30);

/// The process-wide sandbox shared by every `code` grader (cells are costly to start).
///
/// A failure to start is returned to the callers for [`RETRY_AFTER`], then retried: a
/// transient failure (a loaded machine missing the startup deadline) does not disable the
/// grader for the life of the process.
pub(crate) fn shared_sandbox() -> Result<&'static Sandbox, String> {
    static STATE: Mutex<Option<Result<&'static Sandbox, (Instant, String)>>> = Mutex::new(None);
    let mut state = STATE.lock().unwrap_or_else(|p| p.into_inner());
    match &*state {
        Some(Ok(sandbox)) => return Ok(sandbox),
        Some(Err((when, error))) if when.elapsed() < RETRY_AFTER => return Err(error.clone()),
        _ => {}
    }
    let started = Sandbox::new(SandboxConfig {
        python_modules: plan::HARNESS_MODULES
            .iter()
            .map(|(name, source)| (name.to_string(), source.to_string()))
            .collect(),
        ..SandboxConfig::default()
    });
    let result = match started {
        // Leaked on purpose: one sandbox for the life of the process.
        Ok(sandbox) => Ok(&*Box::leak(Box::new(sandbox))),
        Err(e) => Err((Instant::now(), e.to_string())),
    };
    *state = Some(result.clone());
    result.map_err(|(_, e)| e)
}

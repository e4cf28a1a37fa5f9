//! Running tasks: the process-wide sandbox of the code graders, and a batch of tasks spread
//! over its cells.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use assay_sandbox::{Execution, RunControl, RunError, Sandbox, SandboxConfig, Task};

use crate::plan;

/// How one task of a batch is to run: a cap on its wall limit (the program's own time limit,
/// from its item's budget) and the bounds of the run (the request's deadline, the cancel flag).
pub(crate) struct Schedule {
    /// Lowers the task's wall and CPU limits to this, when it is lower.
    pub wall_cap: Option<Duration>,
    /// The run's absolute deadline and cancel flag.
    pub control: RunControl,
}

/// Runs `tasks` on the sandbox with one thread per cell; `schedule` is asked for each task's
/// bounds as a worker picks it up (so an item's clock starts when its first task does).
pub(crate) fn run_scheduled(
    sandbox: &Sandbox,
    tasks: &[Task],
    schedule: impl Fn(usize) -> Schedule + Sync,
) -> Vec<Result<Execution, RunError>> {
    let next = AtomicUsize::new(0);
    let workers = sandbox.config().cells.clamp(1, tasks.len().max(1));
    let slots: Vec<Mutex<Option<Result<Execution, RunError>>>> =
        (0..tasks.len()).map(|_| Mutex::new(None)).collect();
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(task) = tasks.get(i) else { break };
                let Schedule { wall_cap, control } = schedule(i);
                let r = match wall_cap.filter(|cap| *cap < task.limits.wall) {
                    None => sandbox.run_with(task, &control),
                    Some(cap) => {
                        let mut capped = task.clone();
                        capped.limits.wall = cap.max(Duration::from_millis(1));
                        capped.limits.cpu = capped.limits.cpu.min(capped.limits.wall);
                        sandbox.run_with(&capped, &control)
                    }
                };
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

/// The process-wide sandbox of the `code` graders that run `python` (`None`: `python3` on
/// `PATH`); graders naming the same interpreter share it (cells are costly to start).
///
/// A failure to start is returned to the callers for [`RETRY_AFTER`], then retried: a
/// transient failure (a loaded machine missing the startup deadline) does not disable the
/// grader for the life of the process.
pub(crate) fn shared_sandbox(python: Option<&Path>) -> Result<&'static Sandbox, String> {
    type State = HashMap<Option<PathBuf>, Result<&'static Sandbox, (Instant, String)>>;
    static STATE: Mutex<Option<State>> = Mutex::new(None);
    let mut guard = STATE.lock().unwrap_or_else(|p| p.into_inner());
    let state = guard.get_or_insert_with(HashMap::new);
    let key = python.map(Path::to_path_buf);
    match state.get(&key) {
        Some(Ok(sandbox)) => return Ok(sandbox),
        Some(Err((when, error))) if when.elapsed() < RETRY_AFTER => return Err(error.clone()),
        _ => {}
    }
    let started = Sandbox::new(SandboxConfig {
        python: key.clone(),
        python_modules: plan::HARNESS_MODULES
            .iter()
            .map(|(name, source)| (name.to_string(), source.to_string()))
            .collect(),
        ..SandboxConfig::default()
    });
    let result = match started {
        // Leaked on purpose: one sandbox per interpreter for the life of the process.
        Ok(sandbox) => Ok(&*Box::leak(Box::new(sandbox))),
        Err(e) => Err((Instant::now(), e.to_string())),
    };
    state.insert(key, result.clone());
    result.map_err(|(_, e)| e)
}

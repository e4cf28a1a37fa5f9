//! Running tasks: the process-wide sandbox of the code graders, and a batch of tasks spread
//! over its cells.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};

use assay_sandbox::{Execution, RunError, Sandbox, SandboxConfig, Task};

use crate::plan;

/// Runs `tasks` on the sandbox with one thread per cell.
pub(crate) fn run_all(sandbox: &Sandbox, tasks: &[Task]) -> Vec<Result<Execution, RunError>> {
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

/// The process-wide sandbox shared by every `code` grader (cells are costly to start).
pub(crate) fn shared_sandbox() -> Result<&'static Sandbox, String> {
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

//! The supervisor: a pool of cells, the startup self-test, and [`Sandbox::run`].

use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};

use serde_json::json;

use crate::cell::{Cell, CellBounds, CellError};
use crate::config::{Layer, SandboxConfig};
use crate::landlock::{self, CellPolicy};
use crate::namespaces::{CellPlan, PlanSpec, TASK_UID};
use crate::native::{self, Compiler};
use crate::protocol::{Job, JobKind};
use crate::python::{self, Interpreter};
use crate::seccomp::Filter;
use crate::selftest::{self, IsolationReport};
use crate::task::{Execution, Task};
use crate::task::{Language, Status};
use std::sync::Arc;

/// Why the sandbox could not start.
#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    /// The Python interpreter could not be found or run.
    #[error(
        "no usable Python interpreter: {0} (set SandboxConfig::python to a python3 executable)"
    )]
    Python(String),
    /// The host-side preparation failed (mount point, paths).
    #[error("cannot prepare the sandbox: {0}")]
    Prepare(String),
    /// A cell could not be started.
    #[error("cannot start a sandbox cell: {0}")]
    Cell(String),
    /// The self-test found required layers missing.
    #[error("{}", insufficient_message(.missing, .report))]
    Insufficient {
        /// The required layers that are not in force.
        missing: Vec<Layer>,
        /// What the self-test found.
        report: IsolationReport,
    },
}

fn insufficient_message(missing: &[Layer], report: &IsolationReport) -> String {
    let mut msg =
        String::from("refusing to run untrusted code: required isolation layers are missing:\n");
    for layer in missing {
        msg += &format!("  - {layer}: {}\n", layer.remedy());
    }
    msg += "self-test report:\n";
    msg += &report.to_string();
    msg
}

/// Why a task could not be run. A task that fails, times out or crashes is not an error: it is
/// an [`Execution`] with that status.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    /// The task is malformed (for example a file name with a `/`).
    #[error("invalid task: {0}")]
    InvalidTask(String),
    /// The sandbox failed (a cell died or could not be started); the task's outcome is
    /// unknown and must not be scored.
    #[error("sandbox failure: {0}")]
    Sandbox(String),
    /// The task needs something this machine lacks (for example a compiler).
    #[error("unsupported task: {0}")]
    Unsupported(String),
}

struct Pool {
    idle: Vec<Cell>,
    total: usize,
}

/// A pool of isolated cells that run [`Task`]s. Cheap to share across threads (`&Sandbox` is
/// `Sync`); each call to [`run`](Sandbox::run) takes one cell for the task's duration.
pub struct Sandbox {
    plan: CellPlan,
    config: SandboxConfig,
    pool: Mutex<Pool>,
    freed: Condvar,
    report: IsolationReport,
    compiler: native::Compiler,
}

impl std::fmt::Debug for Sandbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sandbox")
            .field("cells", &self.config.cells)
            .field("report", &self.report)
            .finish_non_exhaustive()
    }
}

impl Sandbox {
    /// Prepares the cells, starts one, and runs the self-test. Fails with
    /// [`SetupError::Insufficient`] when a layer of `config.required` is not in force.
    pub fn new(config: SandboxConfig) -> Result<Sandbox, SetupError> {
        let python = config
            .python
            .clone()
            .unwrap_or_else(|| PathBuf::from("python3"));
        let interp = Interpreter::discover(&python).map_err(SetupError::Python)?;
        let root = std::env::temp_dir().join("assay-sandbox-root");
        std::fs::create_dir_all(&root)
            .map_err(|e| SetupError::Prepare(format!("create {}: {e}", root.display())))?;
        let mut read_only: Vec<PathBuf> = [
            "/usr",
            "/bin",
            "/sbin",
            "/lib",
            "/lib64",
            "/lib32",
            "/libx32",
            "/etc/ld.so.cache",
            "/etc/alternatives",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        read_only.extend(interp.runtime_paths());
        read_only.extend(config.extra_read_only.iter().cloned());
        let landlock = landlock::abi_version().map(CellPolicy::new);
        let zygote_config = json!({
            "task_uid": TASK_UID,
            "preload": config.preload,
            "modules": config.python_modules,
            "landlock": landlock.map(|p| p.task_layer()),
        })
        .to_string();
        let plan = CellPlan::new(PlanSpec {
            root: &root,
            read_only: &read_only,
            tmp_bytes: config.scratch_bytes,
            exe: Path::new(&interp.executable),
            argv: interp.zygote_argv(&zygote_config),
            env: python::zygote_env(),
            landlock,
            seccomp: Some(Filter::deny_list()),
            uid_base: config.uid_base,
        })
        .map_err(|e| SetupError::Prepare(e.to_string()))?;
        let first = Cell::start(&plan, bounds(&config), config.startup_timeout)
            .map_err(|e| SetupError::Cell(e.to_string()))?;
        let mut sandbox = Sandbox {
            plan,
            pool: Mutex::new(Pool {
                idle: vec![first],
                total: 1,
            }),
            freed: Condvar::new(),
            report: IsolationReport { checks: Vec::new() },
            compiler: Compiler::discover(),
            config,
        };
        let probe = sandbox
            .run(&selftest::probe_task())
            .map_err(|e| SetupError::Cell(format!("self-test: {e}")))?;
        sandbox.report = IsolationReport::from_probe(&probe.channel).ok_or_else(|| {
            SetupError::Cell(format!(
                "self-test gave no report ({:?}): {}",
                probe.status,
                String::from_utf8_lossy(&probe.stderr)
            ))
        })?;
        let missing = sandbox.report.missing(&sandbox.config.required);
        if !missing.is_empty() {
            return Err(SetupError::Insufficient {
                missing,
                report: sandbox.report.clone(),
            });
        }
        Ok(sandbox)
    }

    /// What the startup self-test found.
    pub fn isolation(&self) -> &IsolationReport {
        &self.report
    }

    /// The configuration the sandbox runs with.
    pub fn config(&self) -> &SandboxConfig {
        &self.config
    }

    /// Runs `task` in an idle cell (starting one if fewer than `config.cells` exist, waiting
    /// otherwise).
    pub fn run(&self, task: &Task) -> Result<Execution, RunError> {
        validate(task)?;
        let files = task
            .files
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_slice(), false));
        match task.language {
            Language::Python => self.run_job(&Job {
                kind: JobKind::Python,
                program: &task.program,
                stdin: &task.stdin,
                files: files.collect(),
                limits: &task.limits,
            }),
            Language::Cpp => {
                let binary = match &*self.compile(&task.program)? {
                    Ok(binary) => binary.clone(),
                    Err(failed) => return Ok(failed.clone()),
                };
                let mut files: Vec<_> = files.collect();
                files.push((native::BINARY, binary.as_slice(), true));
                self.run_job(&Job {
                    kind: JobKind::Exec {
                        argv: vec![format!("./{}", native::BINARY)],
                        env: native::env(),
                    },
                    program: &[],
                    stdin: &task.stdin,
                    files,
                    limits: &task.limits,
                })
            }
        }
    }

    /// The binary for C++ `source`, or the failed compilation (status
    /// [`Status::CompileError`](crate::Status::CompileError)), from the cache when possible.
    fn compile(&self, source: &[u8]) -> Result<Arc<native::Compiled>, RunError> {
        if let Some(hit) = self.compiler.cached(source) {
            return Ok(hit);
        }
        let gpp = self.compiler.gpp().ok_or_else(|| {
            RunError::Unsupported("C++ needs g++ on PATH (apt-get install g++)".into())
        })?;
        let limits = native::compile_limits();
        let exec = self.run_job(&self.compiler.compile_job(gpp, source, &limits))?;
        let compiled = if exec.status == Status::Ok && !exec.stdout.is_empty() {
            Ok(exec.stdout)
        } else {
            Err(Execution {
                status: Status::CompileError,
                stdout: Vec::new(),
                ..exec
            })
        };
        let compiled = Arc::new(compiled);
        self.compiler.remember(source, compiled.clone());
        Ok(compiled)
    }

    fn run_job(&self, job: &Job<'_>) -> Result<Execution, RunError> {
        let mut cell = self.acquire()?;
        let result = cell.run(job);
        match result {
            Ok(exec) => {
                self.release(Some(cell));
                Ok(exec)
            }
            Err(e) => {
                drop(cell);
                self.release(None);
                Err(RunError::Sandbox(e.to_string()))
            }
        }
    }

    fn acquire(&self) -> Result<Cell, RunError> {
        // Declared before the guard: dead cells are destroyed after the lock is released.
        let mut dead = Vec::new();
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(cell) = pool.idle.pop() {
                if cell.is_usable() {
                    return Ok(cell);
                }
                pool.total -= 1;
                dead.push(cell);
                continue;
            }
            if pool.total < self.config.cells.max(1) {
                pool.total += 1;
                drop(pool);
                return Cell::start(
                    &self.plan,
                    bounds(&self.config),
                    self.config.startup_timeout,
                )
                .map_err(|e| {
                    self.release(None);
                    RunError::Sandbox(start_error(&e))
                });
            }
            pool = self.freed.wait(pool).unwrap_or_else(|p| p.into_inner());
        }
    }

    /// Returns a cell to the pool, or accounts for a destroyed one.
    fn release(&self, cell: Option<Cell>) {
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        match cell {
            Some(c) => pool.idle.push(c),
            None => pool.total -= 1,
        }
        drop(pool);
        self.freed.notify_one();
    }
}

fn bounds(config: &SandboxConfig) -> CellBounds {
    CellBounds {
        memory_bytes: config.cell_memory_bytes,
        processes: config.cell_processes,
    }
}

fn start_error(e: &CellError) -> String {
    format!("cannot start a cell: {e}")
}

fn validate(task: &Task) -> Result<(), RunError> {
    for (name, _) in &task.files {
        if name.is_empty()
            || name == "."
            || name == ".."
            || name.contains('/')
            || name.contains('\0')
            || name == "main.py"
            || name == native::SOURCE
            || name == native::BINARY
        {
            return Err(RunError::InvalidTask(format!(
                "file name {name:?}: use a plain name (no '/', not main.py, main.cpp or prog)"
            )));
        }
    }
    if task.limits.wall.is_zero() || task.limits.output_bytes == 0 {
        return Err(RunError::InvalidTask(
            "limits.wall and limits.output_bytes must be positive".into(),
        ));
    }
    Ok(())
}

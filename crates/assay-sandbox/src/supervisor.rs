//! The supervisor: a pool of cells, the startup self-test, and [`Sandbox::run`].

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};

use serde_json::json;

use crate::cell::{Cell, CellBounds, Ran};
use crate::config::{Layer, SandboxConfig};
use crate::control::RunControl;
use crate::error::{CellError, Stop};
use crate::landlock::{self, CellPolicy};
use crate::namespaces::{CellPlan, PlanSpec, TASK_UID};
use crate::native::{self, Compiler};
use crate::protocol::{Job, JobKind};
use crate::python::{self, Interpreter};
use crate::seccomp::Filter;
use crate::selftest::{self, IsolationReport};
use crate::task::{Execution, Language, Status, Task};
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
///
/// Mapping to a grader's statuses: [`DeadlineBeforeStart`](RunError::DeadlineBeforeStart)
/// and [`DeadlineDuringRun`](RunError::DeadlineDuringRun) are `timeout` (no verdict on the
/// program), [`Cancelled`](RunError::Cancelled) is `cancelled`, the others are `error`.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
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
    /// The caller's deadline ([`RunControl::deadline`]) passed before the task could start
    /// (all cells were busy, or the deadline had passed already): the task did not run.
    #[error("the deadline passed before the task could start")]
    DeadlineBeforeStart,
    /// The caller's deadline passed while the task ran, before the task's own wall-clock
    /// limit: the task was killed and its outcome is unknown (not a verdict on the program).
    #[error("the deadline passed while the task ran, before its own time limit; it was killed")]
    DeadlineDuringRun,
    /// The caller raised the cancel flag ([`RunControl::cancel`]): the task was not started,
    /// or was killed with every process it started.
    #[error("cancelled")]
    Cancelled,
}

impl RunError {
    /// Whether the caller's deadline stopped the run (before or during the task): a
    /// `timeout`, not a verdict on the program.
    pub fn is_deadline(&self) -> bool {
        matches!(
            self,
            RunError::DeadlineBeforeStart | RunError::DeadlineDuringRun
        )
    }

    fn stopped(stop: Stop, started: bool) -> RunError {
        match (stop, started) {
            (Stop::Cancelled, _) => RunError::Cancelled,
            (Stop::Deadline, false) => RunError::DeadlineBeforeStart,
            (Stop::Deadline, true) => RunError::DeadlineDuringRun,
        }
    }
}

struct Pool {
    idle: Vec<Cell>,
    total: usize,
}

/// A pool of isolated cells that run [`Task`]s. Cheap to share across threads (`&Sandbox` is
/// `Sync`); each call to [`run`](Sandbox::run) takes one cell for the task's duration.
///
/// Dropping the sandbox kills every cell (and every process in them) and removes their
/// cgroups.
pub struct Sandbox {
    plan: CellPlan,
    /// Names this instance's cell cgroups apart from every other instance's, in this process
    /// or another (see `cgroup_name`).
    instance: String,
    /// Cells started so far (numbers the cgroups).
    started: AtomicUsize,
    config: SandboxConfig,
    pool: Mutex<Pool>,
    freed: Condvar,
    report: IsolationReport,
    compiler: native::Compiler,
    python: PythonInfo,
}

/// The Python interpreter a sandbox runs programs with.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PythonInfo {
    /// The real executable (shims such as pyenv's resolved).
    pub executable: PathBuf,
    /// Its version, `3.11.2`.
    pub version: String,
}

impl std::fmt::Display for PythonInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (Python {})", self.executable.display(), self.version)
    }
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
        let mut random = [0u8; 8];
        crate::sys::random_bytes(&mut random)
            .map_err(|e| SetupError::Prepare(format!("getrandom: {e}")))?;
        let instance: String = random.iter().map(|b| format!("{b:02x}")).collect();
        let first = Cell::start(
            &plan,
            bounds(&config),
            &cgroup_name(&instance, 0),
            config.startup_timeout,
            &RunControl::default(),
        )
        .map_err(|e| SetupError::Cell(e.to_string()))?;
        let mut sandbox = Sandbox {
            plan,
            instance,
            started: AtomicUsize::new(1),
            pool: Mutex::new(Pool {
                idle: vec![first],
                total: 1,
            }),
            freed: Condvar::new(),
            report: IsolationReport { checks: Vec::new() },
            compiler: Compiler::discover(),
            python: PythonInfo {
                executable: interp.executable.clone(),
                version: interp.version.clone(),
            },
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

    /// The Python interpreter programs run with ([`SandboxConfig::python`], or `python3` on
    /// `PATH`).
    pub fn python(&self) -> &PythonInfo {
        &self.python
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
    /// otherwise), bounded only by the task's own limits: [`run_with`](Sandbox::run_with)
    /// with an unbounded [`RunControl`].
    pub fn run(&self, task: &Task) -> Result<Execution, RunError> {
        self.run_with(task, &RunControl::default())
    }

    /// Runs `task` in an idle cell within `control`'s deadline and cancel flag.
    ///
    /// Waiting for an idle cell ends at the deadline ([`RunError::DeadlineBeforeStart`]) or
    /// when the flag is raised ([`RunError::Cancelled`]); the task then runs for at most
    /// `min(task.limits.wall, deadline - now)`. If the deadline, not the task's own limit,
    /// stops the task, the result is [`RunError::DeadlineDuringRun`]; a flag raised while it
    /// runs kills it, with every process it started, within about 50 ms
    /// ([`RunError::Cancelled`]). C++ compilation counts against the same deadline (a
    /// stopped compilation is not cached). The call returns within a few milliseconds of the
    /// deadline, and within a second even if a cell must be destroyed.
    pub fn run_with(&self, task: &Task, control: &RunControl) -> Result<Execution, RunError> {
        validate(task)?;
        if let Some(stop) = control.stop() {
            return Err(RunError::stopped(stop, false));
        }
        let files = task
            .files
            .iter()
            .map(|(n, c)| (n.as_str(), c.as_slice(), false));
        match task.language {
            Language::Python => self.run_job(
                &Job {
                    kind: JobKind::Python,
                    program: &task.program,
                    stdin: &task.stdin,
                    files: files.collect(),
                    limits: &task.limits,
                },
                control,
            ),
            Language::Cpp => {
                let binary = match &*self.compile(&task.program, control)? {
                    Ok(binary) => binary.clone(),
                    Err(failed) => return Ok(failed.clone()),
                };
                let mut files: Vec<_> = files.collect();
                files.push((native::BINARY, binary.as_slice(), true));
                self.run_job(
                    &Job {
                        kind: JobKind::Exec {
                            argv: vec![format!("./{}", native::BINARY)],
                            env: native::env(),
                        },
                        program: &[],
                        stdin: &task.stdin,
                        files,
                        limits: &task.limits,
                    },
                    control,
                )
            }
        }
    }

    /// The binary for C++ `source`, or the failed compilation (status
    /// [`Status::CompileError`](crate::Status::CompileError)), from the cache when possible.
    fn compile(
        &self,
        source: &[u8],
        control: &RunControl,
    ) -> Result<Arc<native::Compiled>, RunError> {
        if let Some(hit) = self.compiler.cached(source) {
            return Ok(hit);
        }
        let gpp = self.compiler.gpp().ok_or_else(|| {
            RunError::Unsupported("C++ needs g++ on PATH (apt-get install g++)".into())
        })?;
        let limits = native::compile_limits();
        // A compilation stopped by the caller is an error, never cached.
        let exec = self.run_job(&self.compiler.compile_job(gpp, source, &limits), control)?;
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

    fn run_job(&self, job: &Job<'_>, control: &RunControl) -> Result<Execution, RunError> {
        let mut cell = self.acquire(control)?;
        match cell.run(job, control) {
            Ok(Ran::Done(exec)) => {
                self.release(Some(cell));
                Ok(exec)
            }
            Ok(Ran::Stopped(stop)) => {
                self.release(Some(cell));
                Err(RunError::stopped(stop, true))
            }
            Ok(Ran::NotStarted(stop)) => {
                self.release(Some(cell));
                Err(RunError::stopped(stop, false))
            }
            Err(e) => {
                drop(cell);
                self.release(None);
                match e {
                    CellError::Stopped(stop) => Err(RunError::stopped(stop, true)),
                    e => Err(RunError::Sandbox(e.to_string())),
                }
            }
        }
    }

    /// An idle cell, or a new one while fewer than `config.cells` exist; otherwise waits for
    /// one, until `control` says to stop.
    fn acquire(&self, control: &RunControl) -> Result<Cell, RunError> {
        // Declared before the guard: dead cells are destroyed after the lock is released.
        let mut dead = Vec::new();
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(stop) = control.stop() {
                return Err(RunError::stopped(stop, false));
            }
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
                let serial = self.started.fetch_add(1, Ordering::Relaxed);
                return Cell::start(
                    &self.plan,
                    bounds(&self.config),
                    &cgroup_name(&self.instance, serial),
                    self.config.startup_timeout,
                    control,
                )
                .map_err(|e| {
                    self.release(None);
                    match e {
                        CellError::Stopped(stop) => RunError::stopped(stop, false),
                        e => RunError::Sandbox(start_error(&e)),
                    }
                });
            }
            pool = if control.is_bounded() {
                let step = control.wait_step(std::time::Duration::from_secs(3600));
                self.freed
                    .wait_timeout(pool, step)
                    .unwrap_or_else(|p| p.into_inner())
                    .0
            } else {
                self.freed.wait(pool).unwrap_or_else(|p| p.into_inner())
            };
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

/// The name of a cell's cgroups: the supervisor's pid (as this process sees it: 1 for every
/// supervisor that is pid 1 of a container), the instance's random suffix, and the cell's
/// number. The pid is read at each start, so that a process forked from the one that made the
/// sandbox names its own cells apart from its parent's.
fn cgroup_name(instance: &str, serial: usize) -> String {
    format!("{}-{instance}-{serial}", std::process::id())
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

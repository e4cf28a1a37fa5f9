//! A sandbox for untrusted programs that is both safe and fast.
//!
//! # Layers
//!
//! Outer to inner (each one is checked from inside by the startup self-test, see
//! [`IsolationReport`]):
//!
//! - **cells**: long-lived processes in new user, mount, pid, network, IPC and UTS namespaces,
//!   seeing a read-only view of the runtimes (`/usr`, `/lib*`, the interpreter's prefix), a
//!   private `/proc`, `/dev/{null,zero,random,urandom}` and a size-capped `/tmp` tmpfs; no
//!   network interface but a downed loopback; where cgroup v1 is available, memory and pids
//!   cgroups bound the whole cell (so a task's processes together cannot exhaust the host).
//!   Each cell's cgroups are its own: named from the supervisor's pid, a random suffix drawn
//!   per [`Sandbox`] and the cell's number (so supervisors that are all pid 1 of their
//!   containers never share them), removed when the cell is destroyed or the sandbox
//!   dropped, and swept by the next supervisor when a process exited without dropping its
//!   sandbox;
//! - a **zygote** per cell (pid 1 of the cell): a Python interpreter started once with
//!   `-S -s`, the standard library preloaded, hash seed fixed and one BLAS/OMP thread, that
//!   forks one child per task;
//! - per task: a new session, a fresh scratch directory, rlimits (CPU, address space, file
//!   size, open files, processes, no core dumps), an unprivileged uid, `no_new_privs`, a
//!   Landlock layer (read the runtimes, write only the scratch directory, no TCP, no signals
//!   out of the domain) and a seccomp filter (see [`seccomp`](crate#seccomp));
//! - the supervisor enforces the wall deadline (the zygote kills at the deadline; the
//!   supervisor destroys the whole cell if the zygote does not report shortly after), caps
//!   stdout, stderr and the result channel while reading them (killing on overflow), and the
//!   zygote kills every other process of the cell after each task, detached daemons included.
//!
//! # Deadlines and cancellation
//!
//! [`Sandbox::run`] is bounded only by the task's [`Limits`]. [`Sandbox::run_with`] also takes
//! a [`RunControl`]: an absolute deadline and a cancel flag (an `Arc<AtomicBool>` the caller
//! raises). Waiting for an idle cell ends at the deadline
//! ([`RunError::DeadlineBeforeStart`]) or on the flag ([`RunError::Cancelled`]); a task runs for
//! at most `min(limits.wall, deadline - now)`, and if the deadline, not its own limit, stops
//! it, the call returns [`RunError::DeadlineDuringRun`] rather than an [`Execution`] with
//! status [`Status::Timeout`] (a `timeout` for the caller, not a verdict on the program). A
//! raised flag kills a running task, with every process it started, within about 50 ms.
//! The call returns within a few milliseconds of the deadline (within a second if a cell
//! that does not answer must be destroyed).
//!
//! ```no_run
//! use std::sync::{atomic::AtomicBool, Arc};
//! use std::time::{Duration, Instant};
//! use assay_sandbox::{RunControl, RunError, Sandbox, SandboxConfig, Task};
//!
//! let sandbox = Sandbox::new(SandboxConfig::default())?;
//! let cancel = Arc::new(AtomicBool::new(false));
//! let control = RunControl::new()
//!     .with_deadline(Instant::now() + Duration::from_secs(2))
//!     .with_cancel(cancel.clone());
//! match sandbox.run_with(&Task::python("while True: pass"), &control) {
//!     Err(RunError::DeadlineDuringRun) => println!("stopped at the deadline"),
//!     other => println!("{other:?}"),
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Results
//!
//! A task's exit status is never proof of success. Programs report on a dedicated channel,
//! file descriptor 3, and tag genuine reports with a per-task random [`Nonce`] the caller
//! embeds in the program ([`Execution::reports`]). Expected outputs never need to enter the
//! sandbox: compare [`Execution::stdout`] on the host.
//!
//! # Requirements
//!
//! Linux (5.13 or later for Landlock), run as root (or with `CAP_SYS_ADMIN`, `CAP_SETUID` and
//! `CAP_SETGID`), with user namespaces, seccomp and Landlock enabled; Python 3.9 or later (the
//! zygote uses `os.pidfd_open` and `socket.recv_fds`); `g++` for C++ tasks.
//!
//! [`Sandbox::new`] refuses to start when a layer of [`SandboxConfig::required`] is missing,
//! with an error naming the layer and the remedy ([`Layer::remedy`]). Landlock and the cgroups
//! degrade gracefully: without them cells still start, the self-test reports the layer off,
//! and a user who accepts the loss can remove it from `required`. The namespaces, the uid
//! switch, `no_new_privs` and seccomp are not optional: without them no cell starts, and the
//! error names the setup step that failed (for user namespaces: enable them, as
//! [`Layer::UserNamespace`]'s remedy says; there is no weaker fallback for untrusted code).
//!
//! `cargo run -p assay-sandbox --example selftest` prints what a machine gives.
//!
//! A process forked from the one that made a [`Sandbox`] may keep using it: it leaves the
//! inherited cells to their owner and starts its own (do not fork while tasks are running).
//!
//! ```no_run
//! use assay_sandbox::{Sandbox, SandboxConfig, Status, Task};
//!
//! let sandbox = Sandbox::new(SandboxConfig::default())?;
//! let run = sandbox.run(&Task::python("print(input()[::-1])").with_stdin("abc\n"))?;
//! assert_eq!(run.status, Status::Ok);
//! assert_eq!(run.stdout, b"cba\n");
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Seccomp
//!
//! The filter lets everything through except what a test program never needs: `ptrace`,
//! cross-process memory access, mounts, namespace creation (`unshare`, `setns`, `clone` with
//! `CLONE_NEW*`), `bpf`, `perf_event_open`, `io_uring`, `userfaultfd`, keyrings, `kexec`,
//! modules, `open_by_handle_at`, clocks, `reboot`, `swapon`, `acct`, `personality`, System V
//! IPC and POSIX message queues (they would outlive the task in its cell), and every socket
//! family but `AF_UNIX`.

mod cell;
mod cgroup;
mod config;
mod control;
mod error;
mod landlock;
mod namespaces;
mod native;
mod protocol;
mod python;
mod seccomp;
mod selftest;
mod supervisor;
mod sys;
mod task;

pub use config::{Layer, Limits, SandboxConfig, DEFAULT_PRELOAD};
pub use control::RunControl;
pub use selftest::{IsolationReport, LayerCheck};
pub use supervisor::{PythonInfo, RunError, Sandbox, SetupError};
pub use task::{Execution, Language, Nonce, Status, Task};

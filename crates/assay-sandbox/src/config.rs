//! Sandbox configuration: resource limits, isolation layers and the runtime view.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

/// Per-task resource limits.
#[derive(Clone, Debug, PartialEq)]
pub struct Limits {
    /// Wall-clock deadline, measured from the fork of the task.
    pub wall: Duration,
    /// CPU-time limit of the task's main process (`RLIMIT_CPU`, rounded up to whole seconds).
    pub cpu: Duration,
    /// Address-space limit per process in bytes (`RLIMIT_AS`). With no memory cgroup, the
    /// task's total is bounded by `memory_bytes * processes`.
    pub memory_bytes: u64,
    /// Largest file the task may write, in bytes (`RLIMIT_FSIZE`).
    pub file_size_bytes: u64,
    /// Most open file descriptors per process (`RLIMIT_NOFILE`).
    pub open_files: u64,
    /// Most processes (and threads) the task uid may have at once (`RLIMIT_NPROC`).
    pub processes: u64,
    /// Bytes kept of each of stdout, stderr and the result channel; a task writing more is
    /// killed with [`Status::OutputLimit`](crate::Status::OutputLimit).
    pub output_bytes: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            wall: Duration::from_secs(10),
            cpu: Duration::from_secs(10),
            memory_bytes: 1 << 30,
            file_size_bytes: 16 << 20,
            open_files: 64,
            processes: 16,
            output_bytes: 1 << 20,
        }
    }
}

/// One isolation mechanism, as reported by the startup self-test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Layer {
    /// A user namespace whose uids map to unprivileged host uids.
    UserNamespace,
    /// A mount namespace with a read-only view of the runtimes only.
    MountNamespace,
    /// A pid namespace per cell: tasks see only their own processes.
    PidNamespace,
    /// A network namespace with no interface up: no network at all.
    NetworkNamespace,
    /// An IPC namespace (System V IPC, POSIX message queues).
    IpcNamespace,
    /// A UTS namespace (host name).
    UtsNamespace,
    /// Tasks run under a non-root uid (so `RLIMIT_NPROC` is enforced).
    UnprivilegedUid,
    /// `no_new_privs`: no privilege gain through `execve`.
    NoNewPrivs,
    /// The seccomp filter denying dangerous system calls and non-Unix sockets.
    Seccomp,
    /// Landlock: writes only to the task's scratch directory, no TCP.
    Landlock,
    /// Per-task rlimits (CPU, address space, file size, files, processes, no core).
    Rlimits,
    /// Memory and pids cgroups per cell (cgroup v1): a bound on a cell's total memory and
    /// processes. Not required by default: the layers above do not depend on it.
    Cgroups,
}

impl Layer {
    /// Every layer, outer to inner.
    pub const ALL: [Layer; 12] = [
        Layer::UserNamespace,
        Layer::MountNamespace,
        Layer::PidNamespace,
        Layer::NetworkNamespace,
        Layer::IpcNamespace,
        Layer::UtsNamespace,
        Layer::UnprivilegedUid,
        Layer::NoNewPrivs,
        Layer::Seccomp,
        Layer::Landlock,
        Layer::Rlimits,
        Layer::Cgroups,
    ];

    /// The layers required by default: all but [`Layer::Cgroups`].
    pub const DEFAULT_REQUIRED: [Layer; 11] = [
        Layer::UserNamespace,
        Layer::MountNamespace,
        Layer::PidNamespace,
        Layer::NetworkNamespace,
        Layer::IpcNamespace,
        Layer::UtsNamespace,
        Layer::UnprivilegedUid,
        Layer::NoNewPrivs,
        Layer::Seccomp,
        Layer::Landlock,
        Layer::Rlimits,
    ];

    /// What a user whose machine lacks this layer can do about it.
    pub fn remedy(self) -> &'static str {
        match self {
            Layer::UserNamespace => {
                "enable user namespaces (sysctl user.max_user_namespaces=15000, and on Debian/Ubuntu \
                 kernel.unprivileged_userns_clone=1 or kernel.apparmor_restrict_unprivileged_userns=0); \
                 in a container, run it with --privileged or a seccomp profile allowing unshare/clone"
            }
            Layer::MountNamespace
            | Layer::PidNamespace
            | Layer::NetworkNamespace
            | Layer::IpcNamespace
            | Layer::UtsNamespace => {
                "run the supervisor as root (or with CAP_SYS_ADMIN) on a kernel with namespaces; \
                 in a container, grant CAP_SYS_ADMIN or use --privileged"
            }
            Layer::UnprivilegedUid => {
                "allow writing multi-line uid/gid maps (the supervisor needs CAP_SETUID and CAP_SETGID)"
            }
            Layer::NoNewPrivs => "use a Linux kernel of version 3.5 or later",
            Layer::Seccomp => "use a kernel built with CONFIG_SECCOMP_FILTER",
            Layer::Landlock => {
                "use a kernel of version 5.13 or later built with CONFIG_SECURITY_LANDLOCK, and enable it \
                 at boot (add landlock to the lsm= kernel parameter)"
            }
            Layer::Rlimits => "check that the supervisor may lower resource limits",
            Layer::Cgroups => {
                "run as root on a machine with the cgroup v1 memory and pids hierarchies mounted \
                 (/sys/fs/cgroup/memory, /sys/fs/cgroup/pids)"
            }
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Layer::UserNamespace => "user namespace",
            Layer::MountNamespace => "mount namespace",
            Layer::PidNamespace => "pid namespace",
            Layer::NetworkNamespace => "network namespace",
            Layer::IpcNamespace => "IPC namespace",
            Layer::UtsNamespace => "UTS namespace",
            Layer::UnprivilegedUid => "unprivileged uid",
            Layer::NoNewPrivs => "no_new_privs",
            Layer::Seccomp => "seccomp filter",
            Layer::Landlock => "Landlock",
            Layer::Rlimits => "rlimits",
            Layer::Cgroups => "cgroups",
        };
        f.write_str(name)
    }
}

/// How to build the sandbox.
#[derive(Clone, Debug)]
pub struct SandboxConfig {
    /// The Python interpreter; `None` finds `python3` on `PATH` (resolving shims such as
    /// pyenv's to the real executable).
    pub python: Option<PathBuf>,
    /// Most cells (and so tasks) running at once; each cell runs one task at a time.
    pub cells: usize,
    /// Size of each cell's `/tmp` scratch tmpfs, in bytes.
    pub scratch_bytes: u64,
    /// Host paths exposed read-only inside cells, besides `/usr`, `/bin`, `/lib*`, `/sbin`,
    /// `/etc/ld.so.cache` and the interpreter's prefix.
    pub extra_read_only: Vec<PathBuf>,
    /// Layers that must be in force; [`Sandbox::new`](crate::Sandbox::new) refuses to start
    /// without them. Defaults to [`Layer::DEFAULT_REQUIRED`].
    pub required: Vec<Layer>,
    /// Memory limit of a whole cell (its zygote, its task's processes and its `/tmp`), in
    /// bytes, where per-cell cgroups are available.
    pub cell_memory_bytes: u64,
    /// Most processes in a whole cell, where per-cell cgroups are available.
    pub cell_processes: u64,
    /// Host uid (and gid) that a cell's root maps to; tasks map to the next uid. Neither may
    /// belong to a real user.
    pub uid_base: u32,
    /// Modules the Python zygote imports before forking tasks.
    pub preload: Vec<String>,
    /// Python modules given as source, `(name, source)`: the zygote compiles and executes
    /// each once at startup, in order, and registers it in `sys.modules`, so that tasks can
    /// import it for free (a test harness, for example). A dotted name `pkg.mod` is a
    /// submodule of `pkg`, which must come earlier in the list and so becomes a package
    /// (`from pkg import mod` and `import pkg.mod` work). Trusted code: it runs as the
    /// cell's root.
    pub python_modules: Vec<(String, String)>,
    /// Deadline for a cell to start and for the self-test.
    pub startup_timeout: Duration,
}

impl Default for SandboxConfig {
    fn default() -> SandboxConfig {
        SandboxConfig {
            python: None,
            cells: std::thread::available_parallelism().map_or(2, |n| n.get()),
            scratch_bytes: 256 << 20,
            extra_read_only: Vec::new(),
            required: Layer::DEFAULT_REQUIRED.to_vec(),
            cell_memory_bytes: 2 << 30,
            cell_processes: 128,
            uid_base: 2_000_000_000,
            preload: DEFAULT_PRELOAD.iter().map(|s| s.to_string()).collect(),
            python_modules: Vec::new(),
            startup_timeout: Duration::from_secs(30),
        }
    }
}

/// Standard-library modules preloaded by the Python zygote.
pub const DEFAULT_PRELOAD: &[&str] = &[
    "abc",
    "array",
    "bisect",
    "cmath",
    "collections",
    "copy",
    "dataclasses",
    "datetime",
    "decimal",
    "enum",
    "fractions",
    "functools",
    "hashlib",
    "heapq",
    "inspect",
    "itertools",
    "json",
    "math",
    "numbers",
    "operator",
    "queue",
    "random",
    "re",
    "statistics",
    "string",
    "struct",
    "textwrap",
    "typing",
    "unicodedata",
];

//! Cells: long-lived processes in their own user, mount, pid, network, IPC and UTS namespaces.
//!
//! [`spawn`] clones a child into fresh mount, pid, network, IPC and UTS namespaces. While still
//! privileged it builds the cell's file system (a read-only tmpfs root holding read-only bind
//! mounts of the runtimes, a private `/proc`, a few device nodes, a size-capped `/tmp`),
//! pivots into it and drops the old root. It then enters a new *user* namespace in which its
//! uid 0 and the task uid map to unprivileged host uids, so nothing in the cell has any
//! capability over the host or over the namespaces built above. Finally it sets
//! `no_new_privs`, applies the cell's Landlock layer and the seccomp filter, and executes the
//! zygote as pid 1 of the cell.
//!
//! The code between `clone` and `execve` runs in a copy of a possibly multi-threaded process,
//! so it makes system calls only: every string, path and buffer is prepared beforehand in a
//! [`CellPlan`]. It uses raw system calls where the C library would consult its (stale)
//! thread list, as `setresuid` does.

use std::ffi::CString;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::cgroup::CellCgroup;
use crate::config::Layer;
use crate::landlock::CellPolicy;
use crate::seccomp::Filter;
use crate::sys;

/// The uid (and gid) that tasks run under inside a cell.
pub(crate) const TASK_UID: u32 = 1000;
/// File descriptor of the control socket in the zygote.
pub(crate) const CONTROL_FD: RawFd = 3;
const ERROR_FD: RawFd = 4;

/// The steps of cell setup; a failing one is reported to the supervisor by number.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
enum Step {
    /// Make the mount tree private.
    PrivateMounts,
    /// Mount the root tmpfs.
    RootTmpfs,
    /// Create a directory in the new root.
    Mkdir,
    /// Create a symbolic link in the new root.
    Symlink,
    /// Create a file in the new root.
    File,
    /// Bind-mount a runtime path.
    Bind,
    /// Remount a runtime path read-only.
    RemountReadOnly,
    /// Mount /proc.
    Proc,
    /// Mount the /tmp scratch tmpfs.
    Scratch,
    /// Pivot_root into the new root.
    PivotRoot,
    /// Detach the old root.
    DetachOldRoot,
    /// Remount the new root read-only.
    ReadOnlyRoot,
    /// Set the host name.
    Hostname,
    /// Unshare the user namespace (CLONE_NEWUSER).
    UserNamespace,
    /// Wait for the uid/gid maps.
    IdMaps,
    /// Drop supplementary groups and switch to the cell's root uid.
    DropToCellRoot,
    /// Set no_new_privs.
    NoNewPrivs,
    /// Apply the Landlock cell layer.
    Landlock,
    /// Install the seccomp filter.
    Seccomp,
    /// Set up the zygote's file descriptors.
    Descriptors,
    /// Execute the zygote.
    Exec,
}

impl Step {
    const ALL: [Step; 21] = [
        Step::PrivateMounts,
        Step::RootTmpfs,
        Step::Mkdir,
        Step::Symlink,
        Step::File,
        Step::Bind,
        Step::RemountReadOnly,
        Step::Proc,
        Step::Scratch,
        Step::PivotRoot,
        Step::DetachOldRoot,
        Step::ReadOnlyRoot,
        Step::Hostname,
        Step::UserNamespace,
        Step::IdMaps,
        Step::DropToCellRoot,
        Step::NoNewPrivs,
        Step::Landlock,
        Step::Seccomp,
        Step::Descriptors,
        Step::Exec,
    ];

    /// The isolation layer the step builds.
    fn layer(self) -> Option<Layer> {
        match self {
            Step::Hostname => Some(Layer::UtsNamespace),
            Step::UserNamespace | Step::IdMaps => Some(Layer::UserNamespace),
            Step::DropToCellRoot => Some(Layer::UnprivilegedUid),
            Step::NoNewPrivs => Some(Layer::NoNewPrivs),
            Step::Landlock => Some(Layer::Landlock),
            Step::Seccomp => Some(Layer::Seccomp),
            Step::Descriptors | Step::Exec => None,
            _ => Some(Layer::MountNamespace),
        }
    }

    /// What the step does, for error messages ("could not …").
    fn describe(self) -> &'static str {
        match self {
            Step::PrivateMounts => "make the mount tree private",
            Step::RootTmpfs => "mount the root tmpfs",
            Step::Mkdir => "create a directory in the new root",
            Step::Symlink => "create a symbolic link in the new root",
            Step::File => "create a file in the new root",
            Step::Bind => "bind-mount a runtime path",
            Step::RemountReadOnly => "remount a runtime path read-only",
            Step::Proc => "mount /proc",
            Step::Scratch => "mount the /tmp scratch tmpfs",
            Step::PivotRoot => "pivot_root into the new root",
            Step::DetachOldRoot => "detach the old root",
            Step::ReadOnlyRoot => "remount the new root read-only",
            Step::Hostname => "set the host name",
            Step::UserNamespace => "unshare the user namespace (CLONE_NEWUSER)",
            Step::IdMaps => "wait for the uid/gid maps",
            Step::DropToCellRoot => "drop supplementary groups and switch to the cell's root uid",
            Step::NoNewPrivs => "set no_new_privs",
            Step::Landlock => "apply the Landlock cell layer",
            Step::Seccomp => "install the seccomp filter",
            Step::Descriptors => "set up the zygote's file descriptors",
            Step::Exec => "execute the zygote",
        }
    }
}

/// How a cell's file system and processes are laid out.
#[derive(Debug)]
pub(crate) struct CellPlan {
    root: CString,
    mkdirs: Vec<CString>,
    symlinks: Vec<(CString, CString)>,
    files: Vec<(CString, Vec<u8>)>,
    binds: Vec<(CString, CString, bool)>,
    proc_dir: CString,
    tmp_dir: CString,
    tmp_opts: CString,
    exe: CString,
    argv: Vec<CString>,
    envp: Vec<CString>,
    landlock: Option<CellPolicy>,
    seccomp: Option<Filter>,
    uid_base: u32,
    keep_stderr: bool,
}

/// Inputs of [`CellPlan::new`].
pub(crate) struct PlanSpec<'a> {
    /// Host directory used as the (empty) mount point of the cell's root.
    pub root: &'a Path,
    /// Host paths exposed read-only at the same path inside the cell.
    pub read_only: &'a [PathBuf],
    /// Size of the `/tmp` scratch tmpfs in bytes.
    pub tmp_bytes: u64,
    /// The zygote executable and its arguments (argv[0] included).
    pub exe: &'a Path,
    /// Arguments, argv[0] included.
    pub argv: Vec<Vec<u8>>,
    /// Environment, `KEY=value`.
    pub env: Vec<Vec<u8>>,
    /// Landlock cell layer, when the kernel supports it.
    pub landlock: Option<CellPolicy>,
    /// Seccomp filter, when enabled.
    pub seccomp: Option<Filter>,
    /// Host uid that the cell's root maps to; the task uid maps to the next one.
    pub uid_base: u32,
}

fn cstring(bytes: &[u8]) -> io::Result<CString> {
    CString::new(bytes).map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "NUL in path"))
}

fn under(root: &Path, path: &Path) -> io::Result<CString> {
    let rel = path.strip_prefix("/").unwrap_or(path);
    cstring(root.join(rel).as_os_str().as_bytes())
}

impl CellPlan {
    /// Resolves the runtime paths on the host and prepares every string the child needs.
    pub(crate) fn new(spec: PlanSpec<'_>) -> io::Result<CellPlan> {
        let root = spec.root;
        let mut dirs = std::collections::BTreeSet::new();
        let add_dir = |dirs: &mut std::collections::BTreeSet<PathBuf>, p: &Path| {
            for a in p.ancestors() {
                if a != Path::new("/") && !a.as_os_str().is_empty() {
                    dirs.insert(a.to_path_buf());
                }
            }
        };
        let mut symlinks = Vec::new();
        let mut files = Vec::new();
        let mut binds = Vec::new();
        let mut bound: Vec<PathBuf> = Vec::new();
        for path in spec.read_only {
            if !path.is_absolute() || bound.iter().any(|b| path.starts_with(b)) {
                continue;
            }
            let Ok(meta) = std::fs::symlink_metadata(path) else {
                continue; // an optional runtime path this machine lacks
            };
            if let Some(parent) = path.parent() {
                add_dir(&mut dirs, parent);
            }
            if meta.file_type().is_symlink() {
                let target = std::fs::read_link(path)?;
                symlinks.push((cstring(target.as_os_str().as_bytes())?, under(root, path)?));
                continue;
            }
            if meta.is_dir() {
                add_dir(&mut dirs, path);
            } else {
                files.push((under(root, path)?, Vec::new()));
            }
            binds.push((
                cstring(path.as_os_str().as_bytes())?,
                under(root, path)?,
                true,
            ));
            bound.push(path.clone());
        }
        for dev in ["null", "zero", "random", "urandom"] {
            let host = Path::new("/dev").join(dev);
            files.push((under(root, &host)?, Vec::new()));
            binds.push((
                cstring(host.as_os_str().as_bytes())?,
                under(root, &host)?,
                false,
            ));
        }
        for d in ["/dev", "/proc", "/tmp", "/etc"] {
            dirs.insert(PathBuf::from(d));
        }
        files.push((
            under(root, Path::new("/etc/passwd"))?,
            format!(
                "root:x:0:0::/tmp:/bin/false\nsandbox:x:{TASK_UID}:{TASK_UID}::/tmp:/bin/false\n"
            )
            .into_bytes(),
        ));
        files.push((
            under(root, Path::new("/etc/group"))?,
            format!("root:x:0:\nsandbox:x:{TASK_UID}:\n").into_bytes(),
        ));
        let mkdirs = dirs
            .iter()
            .map(|d| under(root, d))
            .collect::<io::Result<Vec<_>>>()?;
        Ok(CellPlan {
            root: cstring(root.as_os_str().as_bytes())?,
            mkdirs,
            symlinks,
            files,
            binds,
            proc_dir: under(root, Path::new("/proc"))?,
            tmp_dir: under(root, Path::new("/tmp"))?,
            tmp_opts: cstring(
                format!(
                    "size={},nr_inodes=16384,mode=0755,uid={},gid={}",
                    spec.tmp_bytes, spec.uid_base, spec.uid_base
                )
                .as_bytes(),
            )?,
            exe: cstring(spec.exe.as_os_str().as_bytes())?,
            argv: spec
                .argv
                .iter()
                .map(|a| cstring(a))
                .collect::<io::Result<_>>()?,
            envp: spec
                .env
                .iter()
                .map(|a| cstring(a))
                .collect::<io::Result<_>>()?,
            landlock: spec.landlock,
            seccomp: spec.seccomp,
            uid_base: spec.uid_base,
            // Debugging aid: let the zygote's stderr through to the supervisor's.
            keep_stderr: std::env::var_os("ASSAY_SANDBOX_DEBUG").is_some(),
        })
    }
}

/// A started cell: its zygote's host pid and the supervisor's end of the control socket.
#[derive(Debug)]
pub(crate) struct CellProcess {
    /// Host pid of the zygote (pid 1 of the cell).
    pub pid: libc::pid_t,
    /// Supervisor end of the control socket.
    pub control: OwnedFd,
}

/// A failed cell start: the step and the OS error.
#[derive(Debug)]
pub(crate) struct SpawnError {
    /// What was being done.
    pub step: &'static str,
    /// The OS error.
    pub error: io::Error,
    /// The isolation layer the failed step builds, if any (its remedy tells the user what to
    /// do).
    pub layer: Option<Layer>,
}

impl SpawnError {
    fn host(step: &'static str, error: io::Error) -> SpawnError {
        SpawnError {
            step,
            error,
            layer: None,
        }
    }

    fn with_layer(mut self, layer: Layer) -> SpawnError {
        self.layer = Some(layer);
        self
    }
}

/// Starts a cell following `plan`. Returns once the zygote has been executed (not yet ready).
pub(crate) fn spawn(
    plan: &CellPlan,
    cgroup: Option<&CellCgroup>,
) -> Result<CellProcess, SpawnError> {
    let h = |step| move |e| SpawnError::host(step, e);
    let (to_parent_r, to_parent_w) = sys::pipe().map_err(h("create a pipe"))?;
    let (to_child_r, to_child_w) = sys::pipe().map_err(h("create a pipe"))?;
    let (err_r, err_w) = sys::pipe().map_err(h("create a pipe"))?;
    let (control, control_cell) = sys::socketpair().map_err(h("create the control socket"))?;

    let mut argv: Vec<*const libc::c_char> = plan.argv.iter().map(|a| a.as_ptr()).collect();
    argv.push(std::ptr::null());
    let mut envp: Vec<*const libc::c_char> = plan.envp.iter().map(|a| a.as_ptr()).collect();
    envp.push(std::ptr::null());
    let fprog = plan.seccomp.as_ref().map(Filter::as_fprog);
    let fds = ChildFds {
        to_parent: to_parent_w.as_raw_fd(),
        from_parent: to_child_r.as_raw_fd(),
        error: err_w.as_raw_fd(),
        control: control_cell.as_raw_fd(),
        parent_ends: [
            to_parent_r.as_raw_fd(),
            to_child_w.as_raw_fd(),
            err_r.as_raw_fd(),
            control.as_raw_fd(),
        ],
    };

    let flags = libc::CLONE_NEWNS
        | libc::CLONE_NEWPID
        | libc::CLONE_NEWNET
        | libc::CLONE_NEWIPC
        | libc::CLONE_NEWUTS;
    // SAFETY: a fork-like clone (no new stack, no shared memory). The child runs only
    // `child_main`, which makes system calls on memory prepared above and never returns.
    let pid = unsafe {
        libc::syscall(
            libc::SYS_clone,
            (flags | libc::SIGCHLD) as libc::c_ulong,
            std::ptr::null_mut::<libc::c_void>(),
            std::ptr::null_mut::<libc::c_int>(),
            std::ptr::null_mut::<libc::c_int>(),
            0 as libc::c_ulong,
        )
    };
    if pid == 0 {
        child_main(plan, &fds, &argv, &envp, fprog.as_ref());
    }
    if pid < 0 {
        let error = io::Error::last_os_error();
        return Err(SpawnError::host(
            "clone new mount/pid/net/ipc/uts namespaces (needs root or CAP_SYS_ADMIN)",
            error,
        )
        .with_layer(Layer::MountNamespace));
    }
    let pid = pid as libc::pid_t;
    drop((to_parent_w, to_child_r, err_w, control_cell));
    let fail = |e: SpawnError| {
        kill_and_reap(pid);
        e
    };

    // Wait until the child has entered its user namespace, then write its maps.
    let mut byte = [0u8; 1];
    let n = read_full(&to_parent_r, &mut byte).map_err(|e| fail(h("wait for the cell")(e)))?;
    if n == 0 {
        return Err(fail(child_error(&err_r)));
    }
    if let Some(cgroup) = cgroup {
        cgroup
            .add(pid)
            .map_err(|e| fail(SpawnError::host("move the cell into its cgroups", e)))?;
    }
    // Out-of-memory kills should pick a task, not the zygote (tasks raise their own score).
    let _ = std::fs::write(format!("/proc/{pid}/oom_score_adj"), "-999");
    let base = plan.uid_base;
    let map = format!("0 {base} 1\n{TASK_UID} {} 1\n", base + 1);
    for file in ["uid_map", "gid_map"] {
        std::fs::write(format!("/proc/{pid}/{file}"), &map).map_err(|e| {
            fail(
                SpawnError::host(
                    "write the cell's uid/gid map (needs CAP_SETUID and CAP_SETGID)",
                    e,
                )
                .with_layer(Layer::UnprivilegedUid),
            )
        })?;
    }
    sys::write_all(to_child_w.as_fd(), b"g").map_err(|e| fail(h("signal the cell")(e)))?;
    // The error pipe closes on a successful execve and carries (step, errno) otherwise.
    let mut report = [0u8; 8];
    let n = read_full(&err_r, &mut report).map_err(|e| fail(h("wait for the cell")(e)))?;
    if n != 0 {
        return Err(fail(decode_error(&report)));
    }
    Ok(CellProcess { pid, control })
}

/// How long cell setup (before the zygote runs) may take: only system calls, so a bound
/// this loose is never reached unless the child is stuck.
const SETUP_TIMEOUT_MS: i32 = 20_000;

/// Reads until `buf` is full or end of file, failing if nothing comes for
/// [`SETUP_TIMEOUT_MS`].
fn read_full(fd: &OwnedFd, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        let mut pfd = [libc::pollfd {
            fd: fd.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        }];
        if sys::poll(&mut pfd, SETUP_TIMEOUT_MS)? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the cell's setup stopped responding",
            ));
        }
        match sys::read(fd.as_fd(), &mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn child_error(err_r: &OwnedFd) -> SpawnError {
    let mut report = [0u8; 8];
    match read_full(err_r, &mut report) {
        Ok(8) => decode_error(&report),
        _ => SpawnError::host(
            "start the cell",
            io::Error::other("the cell exited silently"),
        ),
    }
}

fn decode_error(report: &[u8; 8]) -> SpawnError {
    let step = u32::from_ne_bytes(report[..4].try_into().expect("4 bytes")) as usize;
    let errno = i32::from_ne_bytes(report[4..].try_into().expect("4 bytes"));
    let step = Step::ALL.get(step).copied();
    SpawnError {
        step: step.map_or("set up the cell", Step::describe),
        error: io::Error::from_raw_os_error(errno),
        layer: step.and_then(Step::layer),
    }
}

/// Kills a cell's zygote (and so, as pid 1, its whole pid namespace) and reaps it.
pub(crate) fn kill_and_reap(pid: libc::pid_t) {
    // SAFETY: signalling and reaping our own child process.
    unsafe {
        libc::kill(pid, libc::SIGKILL);
        let mut status = 0;
        while libc::waitpid(pid, &mut status, 0) == -1
            && io::Error::last_os_error().kind() == io::ErrorKind::Interrupted
        {}
    }
}

struct ChildFds {
    to_parent: RawFd,
    from_parent: RawFd,
    error: RawFd,
    control: RawFd,
    /// The parent's ends of the same pipes and socket, which the clone inherits: the child
    /// closes them first, so that a parent that dies before the handshake ends it with end of
    /// file instead of leaving the child waiting for ever on a pipe it holds itself.
    parent_ends: [RawFd; 4],
}

/// Reports failure of `step` to the supervisor and exits. Async-signal-safe.
fn die(error_fd: RawFd, step: Step) -> ! {
    let errno = io::Error::last_os_error().raw_os_error().unwrap_or(0);
    let mut report = [0u8; 8];
    report[..4].copy_from_slice(&(step as u32).to_ne_bytes());
    report[4..].copy_from_slice(&errno.to_ne_bytes());
    // SAFETY: writing a stack buffer to a pipe, then exiting without running destructors.
    unsafe {
        libc::write(error_fd, report.as_ptr().cast(), report.len());
        libc::_exit(127)
    }
}

/// Runs in the cloned child. System calls only; never returns.
fn child_main(
    plan: &CellPlan,
    fds: &ChildFds,
    argv: &[*const libc::c_char],
    envp: &[*const libc::c_char],
    seccomp: Option<&libc::sock_fprog>,
) -> ! {
    let e = fds.error;
    let null = std::ptr::null::<libc::c_char>();
    let check = |ok: bool, step: Step| {
        if !ok {
            die(e, step)
        }
    };
    // SAFETY (whole block): every pointer passed below is a NUL-terminated string or buffer
    // owned by `plan` (or a literal) that outlives the calls; this process is a private copy.
    unsafe {
        for fd in fds.parent_ends {
            libc::close(fd);
        }
        check(
            libc::mount(
                null,
                c"/".as_ptr(),
                null,
                libc::MS_REC | libc::MS_PRIVATE,
                std::ptr::null(),
            ) == 0,
            Step::PrivateMounts,
        );
        check(
            libc::mount(
                c"tmpfs".as_ptr(),
                plan.root.as_ptr(),
                c"tmpfs".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV,
                c"size=1m,mode=0755".as_ptr().cast(),
            ) == 0,
            Step::RootTmpfs,
        );
        for dir in &plan.mkdirs {
            check(libc::mkdir(dir.as_ptr(), 0o755) == 0, Step::Mkdir);
        }
        for (target, link) in &plan.symlinks {
            check(
                libc::symlink(target.as_ptr(), link.as_ptr()) == 0,
                Step::Symlink,
            );
        }
        for (path, content) in &plan.files {
            let fd = libc::open(
                path.as_ptr(),
                libc::O_WRONLY | libc::O_CREAT | libc::O_CLOEXEC,
                0o644,
            );
            check(fd >= 0, Step::File);
            if !content.is_empty() {
                check(
                    libc::write(fd, content.as_ptr().cast(), content.len())
                        == content.len() as isize,
                    Step::File,
                );
            }
            libc::close(fd);
        }
        for (src, dst, read_only) in &plan.binds {
            check(
                libc::mount(
                    src.as_ptr(),
                    dst.as_ptr(),
                    null,
                    libc::MS_BIND | libc::MS_REC,
                    std::ptr::null(),
                ) == 0,
                Step::Bind,
            );
            if *read_only {
                let flags = libc::MS_BIND
                    | libc::MS_REMOUNT
                    | libc::MS_RDONLY
                    | libc::MS_NOSUID
                    | libc::MS_NODEV;
                check(
                    libc::mount(null, dst.as_ptr(), null, flags, std::ptr::null()) == 0,
                    Step::RemountReadOnly,
                );
            }
        }
        check(
            libc::mount(
                c"proc".as_ptr(),
                plan.proc_dir.as_ptr(),
                c"proc".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV | libc::MS_NOEXEC,
                std::ptr::null(),
            ) == 0,
            Step::Proc,
        );
        check(
            libc::mount(
                c"tmpfs".as_ptr(),
                plan.tmp_dir.as_ptr(),
                c"tmpfs".as_ptr(),
                libc::MS_NOSUID | libc::MS_NODEV,
                plan.tmp_opts.as_ptr().cast(),
            ) == 0,
            Step::Scratch,
        );
        check(libc::chdir(plan.root.as_ptr()) == 0, Step::PivotRoot);
        check(
            libc::syscall(libc::SYS_pivot_root, c".".as_ptr(), c".".as_ptr()) == 0,
            Step::PivotRoot,
        );
        check(
            libc::umount2(c".".as_ptr(), libc::MNT_DETACH) == 0,
            Step::DetachOldRoot,
        );
        check(libc::chdir(c"/".as_ptr()) == 0, Step::DetachOldRoot);
        let ro =
            libc::MS_BIND | libc::MS_REMOUNT | libc::MS_RDONLY | libc::MS_NOSUID | libc::MS_NODEV;
        check(
            libc::mount(null, c"/".as_ptr(), null, ro, std::ptr::null()) == 0,
            Step::ReadOnlyRoot,
        );
        let host = b"assay";
        check(
            libc::sethostname(host.as_ptr().cast(), host.len()) == 0,
            Step::Hostname,
        );

        check(libc::unshare(libc::CLONE_NEWUSER) == 0, Step::UserNamespace);
        check(
            libc::write(fds.to_parent, b"u".as_ptr().cast(), 1) == 1,
            Step::IdMaps,
        );
        let mut go = [0u8; 1];
        check(
            libc::read(fds.from_parent, go.as_mut_ptr().cast(), 1) == 1,
            Step::IdMaps,
        );
        // Raw system calls: glibc's set*id wrappers synchronize credentials across every
        // thread it knows of, and after a raw clone it still "knows" the parent's threads
        // (it would wait forever for them).
        check(
            libc::syscall(libc::SYS_setgroups, 0usize, std::ptr::null::<libc::gid_t>()) == 0,
            Step::DropToCellRoot,
        );
        check(
            libc::syscall(libc::SYS_setresgid, 0u32, 0u32, 0u32) == 0,
            Step::DropToCellRoot,
        );
        check(
            libc::syscall(libc::SYS_setresuid, 0u32, 0u32, 0u32) == 0,
            Step::DropToCellRoot,
        );
        check(
            libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0,
            Step::NoNewPrivs,
        );
        if let Some(policy) = &plan.landlock {
            if policy.apply().is_err() {
                die(e, Step::Landlock);
            }
        }
        if let Some(prog) = seccomp {
            check(crate::seccomp::install(prog) == 0, Step::Seccomp);
        }
        // Control socket on fd 3, error pipe on fd 4 (closed by execve), nothing else.
        let c = libc::fcntl(fds.control, libc::F_DUPFD_CLOEXEC, Step::DetachOldRoot);
        let err = libc::fcntl(e, libc::F_DUPFD_CLOEXEC, Step::DetachOldRoot);
        check(c >= 0 && err >= 0, Step::Descriptors);
        let e = err;
        let check = |ok: bool, step: Step| {
            if !ok {
                die(e, step)
            }
        };
        check(
            libc::dup3(c, CONTROL_FD, 0) == CONTROL_FD,
            Step::Descriptors,
        );
        check(
            libc::dup3(e, ERROR_FD, libc::O_CLOEXEC) == ERROR_FD,
            Step::Descriptors,
        );
        let e = ERROR_FD;
        let check = |ok: bool, step: Step| {
            if !ok {
                die(e, step)
            }
        };
        check(
            libc::syscall(libc::SYS_close_range, ERROR_FD as u32 + 1, u32::MAX, 0u32) == 0,
            Step::Descriptors,
        );
        let n = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        check(n >= 0, Step::Descriptors);
        for std_fd in 0..if plan.keep_stderr { 2 } else { 3 } {
            if n != std_fd {
                check(libc::dup2(n, std_fd) == std_fd, Step::Descriptors);
            }
        }
        if n > 2 {
            libc::close(n);
        }
        libc::execve(plan.exe.as_ptr(), argv.as_ptr(), envp.as_ptr());
        die(e, Step::Exec)
    }
}

//! Landlock: unprivileged file system, network and IPC access control.
//!
//! Two layers are stacked:
//!
//! 1. the *cell* layer, applied before the zygote starts: read and execute anywhere in the
//!    cell's (read-only) view, write only under `/tmp` and to `/dev/null`, no TCP bind or
//!    connect (ABI 4+), no signals or abstract Unix sockets to processes outside the domain
//!    (ABI 6+);
//! 2. the *task* layer, applied by the zygote's child after it drops privileges: write only in
//!    the task's own scratch directory.
//!
//! The cell layer also lets the zygote's child write files under `/proc` (its own
//! `oom_score_adj`); the task layer takes that away before the program runs. Its parameters come from [`TaskLayer`].

use serde::Serialize;

const CREATE_RULESET_VERSION: u32 = 1;
const RULE_PATH_BENEATH: u32 = 1;

const FS_EXECUTE: u64 = 1 << 0;
const FS_WRITE_FILE: u64 = 1 << 1;
const FS_READ_FILE: u64 = 1 << 2;
const FS_READ_DIR: u64 = 1 << 3;
/// `REMOVE_DIR` … `MAKE_SYM`: everything that changes a directory's entries (ABI 1).
const FS_DIR_CHANGES: u64 = 0b1_1111_1111 << 4;
const FS_REFER: u64 = 1 << 13; // ABI 2
const FS_TRUNCATE: u64 = 1 << 14; // ABI 3
const FS_IOCTL_DEV: u64 = 1 << 15; // ABI 5
const NET_BIND_TCP: u64 = 1 << 0; // ABI 4
const NET_CONNECT_TCP: u64 = 1 << 1; // ABI 4
const SCOPE_ABSTRACT_UNIX_SOCKET: u64 = 1 << 0; // ABI 6
const SCOPE_SIGNAL: u64 = 1 << 1; // ABI 6

/// `struct landlock_ruleset_attr` (ABI 6 layout; older kernels get a prefix of it).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub(crate) struct RulesetAttr {
    handled_access_fs: u64,
    handled_access_net: u64,
    scoped: u64,
}

/// `struct landlock_path_beneath_attr`.
#[repr(C, packed)]
struct PathBeneathAttr {
    allowed_access: u64,
    parent_fd: i32,
}

/// The Landlock ABI version of the running kernel, or `None` when Landlock is unavailable
/// (not built, not enabled at boot with `lsm=...,landlock`, or blocked by a filter).
pub(crate) fn abi_version() -> Option<u32> {
    // SAFETY: the version query takes no pointer and has no side effect.
    let v = unsafe {
        libc::syscall(
            libc::SYS_landlock_create_ruleset,
            std::ptr::null::<RulesetAttr>(),
            0usize,
            CREATE_RULESET_VERSION,
        )
    };
    (v > 0).then_some(v as u32)
}

/// The write-side rights a kernel with `abi` knows.
fn write_rights(abi: u32) -> u64 {
    let mut rights = FS_WRITE_FILE | FS_DIR_CHANGES;
    if abi >= 2 {
        rights |= FS_REFER;
    }
    if abi >= 3 {
        rights |= FS_TRUNCATE;
    }
    rights
}

/// Everything the cell layer decides, computed in the supervisor (no allocation in the child).
#[derive(Clone, Copy, Debug)]
pub(crate) struct CellPolicy {
    attr: RulesetAttr,
    attr_size: usize,
    read: u64,
    write: u64,
    file_rw: u64,
}

impl CellPolicy {
    /// The policy for a kernel speaking Landlock `abi`.
    pub(crate) fn new(abi: u32) -> CellPolicy {
        let read = FS_EXECUTE | FS_READ_FILE | FS_READ_DIR;
        let mut handled = read | write_rights(abi);
        if abi >= 5 {
            handled |= FS_IOCTL_DEV;
        }
        let (net, scoped, attr_size) = match abi {
            1..=3 => (0, 0, 8),
            4 | 5 => (NET_BIND_TCP | NET_CONNECT_TCP, 0, 16),
            _ => (
                NET_BIND_TCP | NET_CONNECT_TCP,
                SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL,
                24,
            ),
        };
        let file_rw = FS_READ_FILE | FS_WRITE_FILE | (write_rights(abi) & FS_TRUNCATE);
        CellPolicy {
            attr: RulesetAttr {
                handled_access_fs: handled,
                handled_access_net: net,
                scoped,
            },
            attr_size,
            read,
            write: write_rights(abi),
            file_rw,
        }
    }

    /// Applies the cell layer to the calling process. Runs in the cell child after
    /// `pivot_root` and `no_new_privs`: system calls only, no allocation.
    ///
    /// On failure returns the failing step's name and `errno`.
    pub(crate) fn apply(&self) -> Result<(), (&'static str, i32)> {
        // SAFETY: `attr` is valid for `attr_size` bytes (a prefix of the struct).
        let ruleset = unsafe {
            libc::syscall(
                libc::SYS_landlock_create_ruleset,
                &self.attr as *const RulesetAttr,
                self.attr_size,
                0u32,
            )
        };
        if ruleset < 0 {
            return Err(("landlock_create_ruleset", errno()));
        }
        let ruleset = ruleset as i32;
        let rules: [(&std::ffi::CStr, u64); 6] = [
            (c"/", self.read),
            (c"/tmp", self.read | self.write),
            (c"/dev/null", self.file_rw),
            (c"/dev/zero", self.file_rw),
            (c"/dev/urandom", FS_READ_FILE),
            // The zygote's child raises its own oom_score_adj before the task layer forbids
            // writes outside the scratch directory.
            (c"/proc", self.read | FS_WRITE_FILE),
        ];
        for (path, access) in rules {
            // SAFETY: `path` is a NUL-terminated string.
            let fd = unsafe { libc::open(path.as_ptr(), libc::O_PATH | libc::O_CLOEXEC) };
            if fd < 0 {
                return Err(("landlock: open rule path", errno()));
            }
            let rule = PathBeneathAttr {
                allowed_access: access,
                parent_fd: fd,
            };
            // SAFETY: `rule` is a valid path-beneath attribute for the call.
            let r = unsafe {
                libc::syscall(
                    libc::SYS_landlock_add_rule,
                    ruleset,
                    RULE_PATH_BENEATH,
                    &rule as *const PathBeneathAttr,
                    0u32,
                )
            };
            // SAFETY: closing the descriptor opened above.
            unsafe { libc::close(fd) };
            if r < 0 {
                return Err(("landlock_add_rule", errno()));
            }
        }
        // SAFETY: restricting ourselves with a ruleset we own.
        let r = unsafe { libc::syscall(libc::SYS_landlock_restrict_self, ruleset, 0u32) };
        // SAFETY: closing the ruleset descriptor.
        unsafe { libc::close(ruleset) };
        if r < 0 {
            return Err(("landlock_restrict_self", errno()));
        }
        Ok(())
    }

    /// The parameters of the per-task layer the zygote applies.
    pub(crate) fn task_layer(&self) -> TaskLayer {
        TaskLayer {
            create_ruleset: libc::SYS_landlock_create_ruleset,
            add_rule: libc::SYS_landlock_add_rule,
            restrict_self: libc::SYS_landlock_restrict_self,
            handled_fs: self.write,
            scoped: self.attr.scoped,
            attr_size: self.attr_size,
            dir_rights: self.write,
            file_rights: self.file_rw & self.write,
        }
    }
}

/// Parameters of the task layer, sent to the zygote (which applies them with `ctypes`).
#[derive(Clone, Copy, Debug, Serialize)]
pub(crate) struct TaskLayer {
    create_ruleset: libc::c_long,
    add_rule: libc::c_long,
    restrict_self: libc::c_long,
    handled_fs: u64,
    scoped: u64,
    attr_size: usize,
    dir_rights: u64,
    file_rights: u64,
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

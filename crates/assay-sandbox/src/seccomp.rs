//! A seccomp-BPF filter that denies the system calls a test program never needs.
//!
//! The filter is built once in the supervisor and installed by each cell right before it
//! executes its zygote, so it covers the zygote and every task it forks. Denied calls fail
//! with `EPERM` (a test program sees an ordinary error, not a crash):
//!
//! - debugging and other processes' memory: `ptrace`, `process_vm_readv/writev`, `pidfd_getfd`;
//! - mounts and namespaces: `mount`, `umount2`, `pivot_root`, `chroot`, the new mount API,
//!   `unshare`, `setns`, and `clone` with any `CLONE_NEW*` flag (`clone3`, whose flags BPF
//!   cannot read, fails with `ENOSYS` so that the C library falls back to `clone`);
//! - kernel attack surface: `bpf`, `perf_event_open`, `io_uring_*`, `userfaultfd`, `keyctl`,
//!   `add_key`, `request_key`, `kexec_*`, module loading, `open_by_handle_at`, `fanotify_init`;
//! - machine state: `reboot`, `swapon/off`, `acct`, clocks, `syslog`, `quotactl`, `personality`;
//! - state that outlives a task: System V IPC (`shmget`, `msgget`, `semget`) and POSIX message
//!   queues (`mq_open`), which would persist in the cell's IPC namespace for the next tasks;
//! - networking: `socket` and `socketpair` for any family but `AF_UNIX` (`EAFNOSUPPORT`).
//!
//! Calls from a foreign architecture (for example 32-bit calls on x86-64) kill the process.

/// `struct seccomp_data` offsets.
const OFF_NR: u32 = 0;
const OFF_ARCH: u32 = 4;
const OFF_ARG0: u32 = 16;

const BPF_LD_W_ABS: u16 = (libc::BPF_LD | libc::BPF_W | libc::BPF_ABS) as u16;
const BPF_JEQ_K: u16 = (libc::BPF_JMP | libc::BPF_JEQ | libc::BPF_K) as u16;
const BPF_JGE_K: u16 = (libc::BPF_JMP | libc::BPF_JGE | libc::BPF_K) as u16;
const BPF_JSET_K: u16 = (libc::BPF_JMP | libc::BPF_JSET | libc::BPF_K) as u16;
const BPF_RET_K: u16 = (libc::BPF_RET | libc::BPF_K) as u16;

const RET_ALLOW: u32 = libc::SECCOMP_RET_ALLOW;
const RET_KILL: u32 = libc::SECCOMP_RET_KILL_PROCESS;

#[cfg(target_arch = "x86_64")]
const AUDIT_ARCH: u32 = 0xc000_003e; // AUDIT_ARCH_X86_64
#[cfg(target_arch = "aarch64")]
const AUDIT_ARCH: u32 = 0xc000_00b7; // AUDIT_ARCH_AARCH64

/// Every `CLONE_NEW*` flag: creating a namespace is never needed by a test program.
const CLONE_NEW_ANY: u32 = (libc::CLONE_NEWNS
    | libc::CLONE_NEWUSER
    | libc::CLONE_NEWPID
    | libc::CLONE_NEWNET
    | libc::CLONE_NEWIPC
    | libc::CLONE_NEWUTS
    | libc::CLONE_NEWCGROUP) as u32
    | 0x80; // CLONE_NEWTIME

/// System calls that fail with `EPERM`.
const DENIED: &[libc::c_long] = &[
    libc::SYS_ptrace,
    libc::SYS_process_vm_readv,
    libc::SYS_process_vm_writev,
    libc::SYS_pidfd_getfd,
    libc::SYS_mount,
    libc::SYS_umount2,
    libc::SYS_pivot_root,
    libc::SYS_chroot,
    libc::SYS_open_tree,
    libc::SYS_move_mount,
    libc::SYS_fsopen,
    libc::SYS_fsconfig,
    libc::SYS_fsmount,
    libc::SYS_fspick,
    libc::SYS_mount_setattr,
    libc::SYS_unshare,
    libc::SYS_setns,
    libc::SYS_bpf,
    libc::SYS_perf_event_open,
    libc::SYS_io_uring_setup,
    libc::SYS_io_uring_enter,
    libc::SYS_io_uring_register,
    libc::SYS_userfaultfd,
    libc::SYS_keyctl,
    libc::SYS_add_key,
    libc::SYS_request_key,
    libc::SYS_kexec_load,
    libc::SYS_kexec_file_load,
    libc::SYS_init_module,
    libc::SYS_finit_module,
    libc::SYS_delete_module,
    libc::SYS_open_by_handle_at,
    libc::SYS_name_to_handle_at,
    libc::SYS_fanotify_init,
    libc::SYS_reboot,
    libc::SYS_swapon,
    libc::SYS_swapoff,
    libc::SYS_acct,
    libc::SYS_settimeofday,
    libc::SYS_clock_settime,
    libc::SYS_clock_adjtime,
    libc::SYS_adjtimex,
    libc::SYS_syslog,
    libc::SYS_quotactl,
    libc::SYS_personality,
    libc::SYS_vhangup,
    // System V IPC objects and POSIX message queues outlive the task that creates them: a
    // task could leave memory or messages behind for the next tasks of its cell.
    libc::SYS_shmget,
    libc::SYS_msgget,
    libc::SYS_semget,
    libc::SYS_mq_open,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_iopl,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_ioperm,
    #[cfg(target_arch = "x86_64")]
    libc::SYS_uselib,
];

/// A compiled seccomp-BPF program, ready to install.
#[derive(Clone, Debug)]
pub(crate) struct Filter {
    code: Vec<libc::sock_filter>,
}

fn stmt(code: u16, k: u32) -> libc::sock_filter {
    libc::sock_filter {
        code,
        jt: 0,
        jf: 0,
        k,
    }
}

fn jump(code: u16, k: u32, jt: u8, jf: u8) -> libc::sock_filter {
    libc::sock_filter { code, jt, jf, k }
}

fn ret_errno(errno: i32) -> libc::sock_filter {
    stmt(BPF_RET_K, libc::SECCOMP_RET_ERRNO | (errno as u32 & 0xffff))
}

impl Filter {
    /// Builds the filter described in the module documentation.
    pub(crate) fn deny_list() -> Filter {
        let mut p = vec![
            stmt(BPF_LD_W_ABS, OFF_ARCH),
            jump(BPF_JEQ_K, AUDIT_ARCH, 1, 0),
            stmt(BPF_RET_K, RET_KILL),
            stmt(BPF_LD_W_ABS, OFF_NR),
        ];
        #[cfg(target_arch = "x86_64")]
        {
            // x32 system calls share the architecture tag; refuse them all.
            p.push(jump(BPF_JGE_K, 0x4000_0000, 0, 1));
            p.push(stmt(BPF_RET_K, RET_KILL));
        }
        // clone: refuse namespace flags (argument 0 holds the flags on every architecture).
        p.extend([
            jump(BPF_JEQ_K, libc::SYS_clone as u32, 0, 4),
            stmt(BPF_LD_W_ABS, OFF_ARG0),
            jump(BPF_JSET_K, CLONE_NEW_ANY, 0, 1),
            ret_errno(libc::EPERM),
            stmt(BPF_RET_K, RET_ALLOW),
        ]);
        // socket and socketpair: AF_UNIX only.
        for nr in [libc::SYS_socket, libc::SYS_socketpair] {
            p.extend([
                jump(BPF_JEQ_K, nr as u32, 0, 4),
                stmt(BPF_LD_W_ABS, OFF_ARG0),
                jump(BPF_JEQ_K, libc::AF_UNIX as u32, 0, 1),
                stmt(BPF_RET_K, RET_ALLOW),
                ret_errno(libc::EAFNOSUPPORT),
            ]);
        }
        p.extend([
            jump(BPF_JEQ_K, libc::SYS_clone3 as u32, 0, 1),
            ret_errno(libc::ENOSYS),
        ]);
        for &nr in DENIED {
            p.push(jump(BPF_JEQ_K, nr as u32, 0, 1));
            p.push(ret_errno(libc::EPERM));
        }
        p.push(stmt(BPF_RET_K, RET_ALLOW));
        Filter { code: p }
    }

    /// The program in the form `seccomp(2)` takes. The returned value borrows `self`.
    pub(crate) fn as_fprog(&self) -> libc::sock_fprog {
        libc::sock_fprog {
            len: self.code.len() as u16,
            filter: self.code.as_ptr() as *mut libc::sock_filter,
        }
    }
}

/// Installs `prog` on the calling thread. Requires `no_new_privs` (or `CAP_SYS_ADMIN`).
///
/// Async-signal-safe: a single system call, safe to use between `clone` and `execve`.
pub(crate) fn install(prog: &libc::sock_fprog) -> libc::c_long {
    // SAFETY: `prog` points to a valid program whose instructions outlive the call (the
    // kernel copies them).
    unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            0,
            prog as *const libc::sock_fprog,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jumps_stay_inside_the_program() {
        let f = Filter::deny_list();
        for (i, ins) in f.code.iter().enumerate() {
            if ins.code & 0x07 == libc::BPF_JMP as u16 {
                assert!(i + 1 + (ins.jt.max(ins.jf) as usize) < f.code.len());
            }
        }
        assert_eq!(f.code.last().unwrap().k, RET_ALLOW);
        assert!(f.code.len() < 4096);
    }
}

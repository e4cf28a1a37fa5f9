//! Regression: System V IPC objects and POSIX message queues live in the cell's IPC namespace,
//! not in a process, so a task could leave them behind for the next tasks of its cell (shared
//! memory filling the cell's memory cgroup made every later task of the cell fail with
//! `MemoryLimit`). Creating them is refused.

use assay_sandbox::{Sandbox, SandboxConfig, Status, Task};

const CREATE: &str = r#"
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
def attempt(name, call):
    r = call()
    print(name, r, ctypes.get_errno() if r == -1 else 0)
attempt("shmget", lambda: libc.shmget(0x5eed, 1 << 20, 0o1666))
attempt("msgget", lambda: libc.msgget(0x5eee, 0o1666))
attempt("semget", lambda: libc.semget(0x5eef, 1, 0o1666))
attempt("mq_open", lambda: libc.mq_open(b"/assay", 0o100 | 2, 0o666, None))
"#;

const LOOK: &str = r#"
import ctypes
libc = ctypes.CDLL(None, use_errno=True)
print(libc.shmget(0x5eed, 0, 0), libc.msgget(0x5eee, 0), libc.semget(0x5eef, 0, 0),
      libc.mq_open(b"/assay", 2))
"#;

#[test]
fn ipc_objects_cannot_outlive_a_task() {
    let sandbox = Sandbox::new(SandboxConfig {
        cells: 1,
        ..SandboxConfig::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let create = sandbox.run(&Task::python(CREATE)).expect("runs");
    let out = String::from_utf8_lossy(&create.stdout).into_owned();
    assert_eq!(
        create.status,
        Status::Ok,
        "{}",
        String::from_utf8_lossy(&create.stderr)
    );
    for name in ["shmget", "msgget", "semget", "mq_open"] {
        assert!(
            out.contains(&format!("{name} -1 1")), // EPERM
            "{name} was not refused:\n{out}"
        );
    }
    // The same cell's next task finds nothing left behind.
    let look = sandbox.run(&Task::python(LOOK)).expect("runs");
    assert_eq!(
        String::from_utf8_lossy(&look.stdout),
        "-1 -1 -1 -1\n",
        "{}",
        String::from_utf8_lossy(&look.stderr)
    );
}

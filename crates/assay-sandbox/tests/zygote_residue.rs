//! Regression: tasks are forked from the zygote, so whatever the zygote's heap held of an
//! earlier task's program (freed, but not overwritten) was readable by the next task of the
//! cell, for example another candidate's code or a test suite with its expected values. The
//! zygote now receives each task into a mapping of its own, unmapped after the task.

use assay_sandbox::{Sandbox, SandboxConfig, Status, Task};

/// Scans the task's whole address space for the marker (built at run time, so that the
/// scanner's own source does not contain it).
const SCAN: &str = r#"
import ctypes
marker = bytes(b ^ 1 for b in b"RDBSDUQM@OL@SJ")
hits = 0
for line in open("/proc/self/maps"):
    parts = line.split()
    lo, hi = (int(x, 16) for x in parts[0].split("-"))
    if "r" not in parts[1] or parts[-1].startswith("[v"):  # not [vvar], [vdso], [vsyscall]
        continue
    try:
        data = ctypes.string_at(lo, hi - lo)
    except Exception:
        continue
    hits += data.count(marker)
print(hits - 1)  # the marker object built above
"#;

#[test]
fn an_earlier_program_is_not_readable_by_the_next_task() {
    let sandbox = Sandbox::new(SandboxConfig {
        cells: 1,
        ..SandboxConfig::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    for size in [200, 3_000, 40_000] {
        let secret = format!(
            "x = {:?}\n# SECRETPLANMARK assert f(3) == 67890 {}\nprint('ok')\n",
            "Q".repeat(size),
            "Z".repeat(size)
        );
        let first = sandbox.run(&Task::python(secret)).expect("runs");
        assert_eq!(first.status, Status::Ok);
        let scan = sandbox.run(&Task::python(SCAN)).expect("runs");
        assert_eq!(
            String::from_utf8_lossy(&scan.stdout),
            "0\n",
            "a {size}-byte earlier program was found; stderr: {}",
            String::from_utf8_lossy(&scan.stderr)
        );
    }
}

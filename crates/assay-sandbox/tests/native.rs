//! C++ tasks: compiled in a cell, cached, executed under the same isolation.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use assay_sandbox::{Limits, Sandbox, SandboxConfig, Status, Task};

fn sandbox() -> &'static Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX.get_or_init(|| {
        Sandbox::new(SandboxConfig {
            cells: 2,
            uid_base: 2_300_000_000,
            ..SandboxConfig::default()
        })
        .unwrap_or_else(|e| panic!("{e}"))
    })
}

const SUM: &str = "#include <iostream>\nint main() { long a, b; std::cin >> a >> b; std::cout << a + b << '\\n'; }\n";

#[test]
fn compiles_once_and_runs() {
    let first = sandbox().run(&Task::cpp(SUM).with_stdin("2 40")).unwrap();
    assert_eq!(
        first.status,
        Status::Ok,
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    assert_eq!(first.stdout, b"42\n");
    let started = Instant::now();
    let again = sandbox().run(&Task::cpp(SUM).with_stdin("1 1")).unwrap();
    assert_eq!(again.stdout, b"2\n");
    // A cache hit does not run the compiler (which takes most of a second).
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn compile_errors_are_reported() {
    let exec = sandbox()
        .run(&Task::cpp("int main() { return x; }"))
        .unwrap();
    assert_eq!(exec.status, Status::CompileError);
    assert!(String::from_utf8_lossy(&exec.stderr).contains("error"));
}

#[test]
fn native_programs_are_contained() {
    let program = r#"
#include <cstdio>
#include <fstream>
#include <iostream>
#include <sys/socket.h>
#include <unistd.h>
int main() {
    std::ifstream shadow("/etc/shadow");
    std::cout << (shadow.good() ? "read" : "denied") << "\n";
    std::cout << (socket(AF_INET, SOCK_STREAM, 0) < 0 ? "denied" : "socket") << "\n";
    std::cout << getuid() << "\n";
    std::fflush(stdout);
    for (;;) {}
}
"#;
    let exec = sandbox()
        .run(&Task::cpp(program).with_limits(Limits {
            wall: Duration::from_secs(1),
            cpu: Duration::from_secs(1),
            ..Limits::default()
        }))
        .unwrap();
    assert_eq!(exec.status, Status::Timeout);
    assert_eq!(
        String::from_utf8_lossy(&exec.stdout),
        "denied\ndenied\n1000\n"
    );
}

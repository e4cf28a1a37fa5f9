//! Hostile programs: each attack is attempted for real, must be contained with the right
//! verdict, and must leave the host and the next task unaffected.

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use assay_sandbox::{Execution, Layer, Limits, Nonce, Sandbox, SandboxConfig, Status, Task};

fn sandbox() -> &'static Sandbox {
    static SANDBOX: OnceLock<Sandbox> = OnceLock::new();
    SANDBOX.get_or_init(|| {
        Sandbox::new(SandboxConfig {
            cells: 2,
            ..SandboxConfig::default()
        })
        .unwrap_or_else(|e| panic!("{e}"))
    })
}

fn run(program: &str) -> Execution {
    run_task(Task::python(program))
}

fn run_task(task: Task) -> Execution {
    let exec = sandbox()
        .run(&task)
        .expect("the sandbox itself must not fail");
    assert_next_task_works();
    exec
}

/// After any attack, an ordinary task still runs normally.
fn assert_next_task_works() {
    let exec = sandbox()
        .run(&Task::python("print(sum(range(10)))"))
        .expect("sandbox works after the attack");
    assert_eq!(exec.status, Status::Ok, "{}", text(&exec.stderr));
    assert_eq!(exec.stdout, b"45\n");
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn short(wall_s: u64) -> Limits {
    Limits {
        wall: Duration::from_secs(wall_s),
        cpu: Duration::from_secs(wall_s),
        ..Limits::default()
    }
}

#[test]
fn self_test_finds_every_layer() {
    let report = sandbox().isolation();
    assert!(report.missing(&Layer::ALL).is_empty(), "{report}");
}

#[test]
fn runs_a_program_with_stdin() {
    let exec = run("import sys\nprint(sys.stdin.read().upper(), end='')");
    assert_eq!(exec.status, Status::Ok);
    let big = "ab\n".repeat(200_000);
    let exec = run_task(
        Task::python("import sys\nsys.stdout.write(sys.stdin.read())").with_stdin(big.clone()),
    );
    assert_eq!(exec.status, Status::Ok, "{}", text(&exec.stderr));
    assert_eq!(exec.stdout, big.as_bytes());
}

#[test]
fn exit_codes_and_exceptions() {
    let exec = run("import sys\nsys.exit(3)");
    assert_eq!((exec.status, exec.exit_code), (Status::Failed, Some(3)));
    let exec = run("raise ValueError('boom')");
    assert_eq!(exec.status, Status::Failed);
    assert!(text(&exec.stderr).contains("ValueError: boom"));
    let exec = run("def f(:\n  pass");
    assert_eq!(exec.status, Status::Failed);
    assert!(text(&exec.stderr).contains("SyntaxError"));
}

#[test]
fn early_exit_is_not_success() {
    let nonce = Nonce::random();
    let program = format!(
        "import os\nos._exit(0)\nassert 1 == 2\nos.write(3, b'{} passed\\n')",
        nonce.as_str()
    );
    let exec = run(&program);
    assert_eq!(exec.status, Status::Ok);
    assert_eq!(exec.reports(&nonce).count(), 0);
    let program = format!("import os\nos.write(3, b'{} passed\\n')", nonce.as_str());
    assert_eq!(
        run(&program).reports(&nonce).collect::<Vec<_>>(),
        ["passed"]
    );
}

#[test]
fn network_is_unreachable() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let port = listener.local_addr().unwrap().port();
    let program = format!(
        r#"
import socket, os
for family, addr in ((socket.AF_INET, ("127.0.0.1", {port})), (socket.AF_INET6, ("::1", {port}))):
    try:
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(2)
        s.connect(addr)
        print("connected")
    except OSError as e:
        print("refused", e.errno)
try:
    socket.socket(socket.AF_NETLINK, socket.SOCK_RAW)
    print("netlink")
except OSError:
    print("refused")
"#
    );
    let exec = run(&program);
    let out = text(&exec.stdout);
    assert!(
        !out.contains("connected") && !out.contains("netlink"),
        "{out}"
    );
    assert_eq!(
        out.matches("refused").count(),
        3,
        "{out}{}",
        text(&exec.stderr)
    );
    assert!(
        listener.accept().is_err(),
        "the listener must see no connection"
    );
}

#[test]
fn host_files_are_invisible() {
    let secret = std::env::temp_dir().join(format!("assay-secret-{}", std::process::id()));
    std::fs::write(&secret, "hunter2").unwrap();
    let program = format!(
        r#"
import os
for p in ("/etc/shadow", "/root/.bash_history", "/root/.ssh", "{}", "/proc/1/environ", "/home"):
    try:
        print(p, "READ", open(p).read()[:20])
    except OSError as e:
        print(p, "denied", type(e).__name__)
print(sorted(os.listdir("/root")))
"#,
        secret.display()
    );
    let exec = run(&program);
    std::fs::remove_file(&secret).unwrap();
    let out = text(&exec.stdout);
    assert!(!out.contains("READ"), "{out}");
    assert!(!out.contains("hunter2"));
    assert!(out.contains("['.pyenv']") || out.contains("[]"), "{out}");
}

#[test]
fn writes_outside_scratch_fail() {
    let exec = run(r#"
import os
for p in ("/usr/evil", "/tmp/evil", "/tmp/.landlock-canary/evil", "/evil", "/root/evil", "/etc/passwd", "/proc/sys/kernel/hostname"):
    try:
        with open(p, "w") as f:
            f.write("x")
        print(p, "WROTE")
    except OSError as e:
        print(p, "denied")
with open("mine.txt", "w") as f:
    f.write("ok")
print("scratch", open("mine.txt").read())
"#);
    let out = text(&exec.stdout);
    assert!(!out.contains("WROTE"), "{out}");
    assert!(out.contains("scratch ok"), "{out}{}", text(&exec.stderr));
}

#[test]
fn fork_bomb_is_bounded() {
    let started = Instant::now();
    let exec = run_task(
        Task::python(
            r#"
import os, time
ok = failed = 0
for _ in range(200):
    try:
        if os.fork() == 0:
            time.sleep(30)
            os._exit(0)
        ok += 1
    except OSError:
        failed += 1
print(ok, failed)
"#,
        )
        .with_limits(Limits {
            processes: 8,
            ..short(5)
        }),
    );
    let out = text(&exec.stdout);
    let ok: u64 = out
        .split_whitespace()
        .next()
        .unwrap_or("999")
        .parse()
        .unwrap();
    assert!(ok < 8, "forks allowed: {out} {}", text(&exec.stderr));
    assert_eq!(exec.status, Status::Ok);
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn memory_hog_is_stopped() {
    let exec = run_task(
        Task::python("x = bytearray(3 << 30)\nprint(len(x))").with_limits(Limits {
            memory_bytes: 512 << 20,
            ..Limits::default()
        }),
    );
    assert_eq!(exec.status, Status::MemoryLimit, "{}", text(&exec.stderr));
    let exec = run("x = []\nwhile True:\n    x.append(bytearray(1 << 24))");
    assert_eq!(exec.status, Status::MemoryLimit, "{}", text(&exec.stderr));
}

#[test]
fn infinite_loop_hits_the_deadline() {
    let started = Instant::now();
    let exec = run_task(Task::python("while True:\n    pass").with_limits(short(1)));
    assert_eq!(exec.status, Status::Timeout);
    assert!(started.elapsed() < Duration::from_secs(15));
    let exec = run_task(
        Task::python("import time\ntime.sleep(60)").with_limits(Limits {
            wall: Duration::from_millis(500),
            ..Limits::default()
        }),
    );
    assert_eq!(exec.status, Status::Timeout);
    assert!(exec.wall < Duration::from_secs(10));
}

#[test]
fn huge_output_is_capped() {
    let limits = Limits {
        output_bytes: 100_000,
        ..short(10)
    };
    let exec = run_task(
        Task::python("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)")
            .with_limits(limits.clone()),
    );
    assert_eq!(exec.status, Status::OutputLimit);
    assert_eq!(exec.stdout.len(), 100_000);
    let exec = run_task(
        Task::python("import os\nwhile True:\n    os.write(2, b'e' * 65536)").with_limits(limits),
    );
    assert_eq!(exec.status, Status::OutputLimit);
}

#[test]
fn posix_system_does_not_escape() {
    let exec = run(r#"
import posix
posix.system("id -u; cat /etc/shadow; ls /root; echo $(hostname)")
"#);
    let out = text(&exec.stdout);
    assert!(out.starts_with("1000\n"), "{out}{}", text(&exec.stderr));
    assert!(!out.contains("root:"), "{out}");
    assert!(out.contains("assay"), "{out}");
}

#[test]
fn signals_cannot_reach_the_zygote_or_the_host() {
    let exec = run(r#"
import os, signal
for pid in (1, os.getppid(), -1):
    try:
        os.kill(pid, signal.SIGKILL)
        print(pid, "sent")
    except OSError as e:
        print(pid, "denied")
print("alive")
"#);
    let out = text(&exec.stdout);
    assert!(out.contains("1 denied"), "{out}");
    assert!(out.contains("alive"), "{out}");
}

#[test]
fn dangerous_syscalls_are_refused() {
    let exec = run(r#"
import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
print("unshare", libc.unshare(0x10000000))        # CLONE_NEWUSER
print("ptrace", libc.ptrace(16, 1, 0, 0))         # PTRACE_ATTACH to the zygote
print("mount", libc.mount(b"none", b"/tmp", b"tmpfs", 0, None))
"#);
    let out = text(&exec.stdout);
    assert_eq!(
        out,
        "unshare -1\nptrace -1\nmount -1\n",
        "{}",
        text(&exec.stderr)
    );
}

#[test]
fn detached_grandchildren_are_killed() {
    // A sandbox of its own, with its own uids, so that surviving processes are attributable.
    let uid_base = 2_100_000_000;
    let sb = Sandbox::new(SandboxConfig {
        cells: 1,
        uid_base,
        ..SandboxConfig::default()
    })
    .unwrap();
    let exec = sb
        .run(&Task::python(
            r#"
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.close(1); os.close(2)
        while True:
            time.sleep(1)
    os._exit(0)
time.sleep(0.2)
print("parent done")
"#,
        ))
        .unwrap();
    assert_eq!(exec.status, Status::Ok);
    let survivors: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter_map(|e| std::fs::read_to_string(e.path().join("status")).ok())
        .filter(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.contains(&(uid_base + 1).to_string()))
        })
        .collect();
    assert!(survivors.is_empty(), "{survivors:?}");
}

#[test]
fn memory_spread_over_processes_is_bounded_by_the_cell() {
    // Each process stays under its address-space limit; together they pass the cell's limit.
    let sb = Sandbox::new(SandboxConfig {
        cells: 1,
        cell_memory_bytes: 600 << 20,
        uid_base: 2_200_000_000,
        ..SandboxConfig::default()
    })
    .unwrap();
    assert!(sb.isolation().has(Layer::Cgroups), "{}", sb.isolation());
    let exec = sb
        .run(&Task::python(
            r#"
import os, time
for _ in range(3):
    if os.fork() == 0:
        b = bytearray(150 << 20)
        for i in range(0, len(b), 4096):
            b[i] = 1
        time.sleep(30)
        os._exit(0)
time.sleep(1)
b = bytearray(400 << 20)
for i in range(0, len(b), 4096):
    b[i] = 1
print("survived")
"#,
        ))
        .unwrap();
    assert_eq!(exec.status, Status::MemoryLimit, "{exec:?}");
    let next = sb.run(&Task::python("print('next')")).unwrap();
    assert_eq!(next.stdout, b"next\n");
}

#[test]
fn deep_and_wide_scratch_trees_are_cleaned() {
    let exec = run(r#"
import os
os.makedirs("/".join(["d"] * 400), exist_ok=True)
for i in range(2000):
    open(f"f{i}", "w").close()
os.symlink("/usr", "link")
print("made")
"#);
    assert_eq!(exec.stdout, b"made\n", "{}", text(&exec.stderr));
    // Both cells: /tmp holds the Landlock canary and the running task's own scratch only.
    for _ in 0..4 {
        let exec = run("import os\nprint(len(os.listdir('/tmp')), os.listdir('.'))");
        assert_eq!(exec.stdout, b"2 []\n");
    }
}

#[test]
fn a_dead_cell_is_replaced() {
    let uid_base = 2_400_000_000;
    let sb = Sandbox::new(SandboxConfig {
        cells: 1,
        uid_base,
        ..SandboxConfig::default()
    })
    .unwrap();
    assert_eq!(sb.run(&Task::python("print(1)")).unwrap().stdout, b"1\n");
    // Kill the idle zygote (the only process running as the cell's root uid) from the host.
    let zygotes: Vec<i32> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|s| {
                s.lines().any(|l| {
                    l.starts_with("Uid:")
                        && l.split_whitespace().nth(1) == Some(&uid_base.to_string())
                })
            })
        })
        .collect();
    assert_eq!(zygotes.len(), 1, "{zygotes:?}");
    std::process::Command::new("kill")
        .args(["-9", &zygotes[0].to_string()])
        .status()
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let exec = sb
        .run(&Task::python("print(2)"))
        .expect("a fresh cell runs the task");
    assert_eq!(exec.stdout, b"2\n");
}

#[test]
fn setup_errors_say_what_to_do() {
    let err = Sandbox::new(SandboxConfig {
        python: Some("/nonexistent/python3".into()),
        ..SandboxConfig::default()
    })
    .unwrap_err();
    assert!(err.to_string().contains("SandboxConfig::python"), "{err}");
    for layer in Layer::ALL {
        assert!(!layer.remedy().is_empty());
    }
    // A uid map the kernel refuses (uid 4294967295 is invalid): the error names the layer
    // and what to do.
    let err = Sandbox::new(SandboxConfig {
        uid_base: u32::MAX - 1,
        ..SandboxConfig::default()
    })
    .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("uid/gid map"), "{message}");
    assert!(message.contains("unprivileged uid missing"), "{message}");
}

#[test]
fn large_programs_and_files_get_through() {
    let padding = format!("# {}\n", "x".repeat(100)).repeat(30_000); // 3 MB of comments
    let mut task = Task::python(format!(
        "{padding}print(len(open('data.bin', 'rb').read()))"
    ));
    task.files.push(("data.bin".into(), vec![7u8; 2 << 20]));
    let exec = run_task(task);
    assert_eq!(exec.status, Status::Ok, "{}", text(&exec.stderr));
    assert_eq!(exec.stdout, b"2097152\n");
}

/// Live (not zombie) processes whose real uid is `uid`.
fn live_processes_of(uid: u32) -> Vec<i32> {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/status")).is_ok_and(|s| {
                let field = |name: &str| {
                    s.lines()
                        .find(|l| l.starts_with(name))
                        .and_then(|l| l.split_whitespace().nth(1).map(str::to_owned))
                };
                field("Uid:").as_deref() == Some(uid.to_string().as_str())
                    && field("State:").as_deref() != Some("Z")
            })
        })
        .collect()
}

#[test]
fn a_forked_process_starts_its_own_cells() {
    let uid_base = 2_500_000_000;
    let sb = Sandbox::new(SandboxConfig {
        cells: 1,
        uid_base,
        ..SandboxConfig::default()
    })
    .unwrap();
    let zygotes = live_processes_of(uid_base);
    assert_eq!(zygotes.len(), 1);
    // SAFETY: the child only uses this test's own sandbox (no other thread touches it) and
    // leaves with _exit.
    let pid = unsafe { libc::fork() };
    if pid == 0 {
        let ok = sb
            .run(&Task::python("print('child')"))
            .is_ok_and(|e| e.stdout == b"child\n");
        // Dropping the inherited sandbox must not kill the parent's cells.
        drop(sb);
        // SAFETY: ends the forked child immediately.
        unsafe { libc::_exit(if ok { 0 } else { 1 }) };
    }
    assert!(pid > 0);
    let mut status = 0;
    // SAFETY: reaping the child forked above.
    assert_eq!(unsafe { libc::waitpid(pid, &mut status, 0) }, pid);
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{status}"
    );
    // The parent's cell was left alone: same zygote, alive, serving.
    std::thread::sleep(Duration::from_millis(100));
    assert!(live_processes_of(uid_base).contains(&zygotes[0]));
    assert_eq!(
        sb.run(&Task::python("print('parent')")).unwrap().stdout,
        b"parent\n"
    );
}

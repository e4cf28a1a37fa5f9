//! Deadlines and cancellation ([`RunControl`]): waiting for a cell ends at the deadline, a
//! deadline shorter than the task's limit stops the task, a raised cancel flag kills a running
//! task and everything it started, and the cell serves the next task afterwards.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use assay_sandbox::{Limits, RunControl, RunError, Sandbox, SandboxConfig, Status, Task};

/// A sandbox of `cells` cells whose uids are `uid_base` (cell root) and `uid_base + 1`
/// (tasks), so that the processes of its tasks can be found in `/proc`.
fn sandbox(cells: usize, uid_base: u32) -> Sandbox {
    Sandbox::new(SandboxConfig {
        cells,
        uid_base,
        ..SandboxConfig::default()
    })
    .unwrap_or_else(|e| panic!("{e}"))
}

fn limits(wall_s: u64) -> Limits {
    Limits {
        wall: Duration::from_secs(wall_s),
        cpu: Duration::from_secs(wall_s),
        ..Limits::default()
    }
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

/// Raises `flag` after `delay`, from another thread.
fn raise_after(flag: &Arc<AtomicBool>, delay: Duration) -> thread::JoinHandle<Instant> {
    let flag = flag.clone();
    thread::spawn(move || {
        thread::sleep(delay);
        flag.store(true, Ordering::SeqCst);
        Instant::now()
    })
}

/// A program that starts detached grandchildren that spin, then spins itself.
const SPINNERS: &str = r#"
import os, sys
for _ in range(3):
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            while True:
                pass
        os._exit(0)
print("started", flush=True)
while True:
    pass
"#;

#[test]
fn a_raised_cancel_flag_kills_a_task_that_loops_forever_and_everything_it_started() {
    let uid_base = 2_600_000_000;
    let sb = sandbox(1, uid_base);
    let flag = Arc::new(AtomicBool::new(false));
    let control = RunControl::new().with_cancel(flag.clone());
    let raiser = raise_after(&flag, Duration::from_millis(700));
    let result = sb.run_with(&Task::python(SPINNERS).with_limits(limits(60)), &control);
    let returned = Instant::now();
    let raised = raiser.join().unwrap();
    assert!(matches!(result, Err(RunError::Cancelled)), "{result:?}");
    let late = returned.duration_since(raised);
    assert!(
        late < Duration::from_secs(1),
        "returned {late:?} after the flag"
    );
    // Every process of the task is gone (the zygote reaps them before it reports).
    let survivors = live_processes_of(uid_base + 1);
    assert!(survivors.is_empty(), "{survivors:?}");
    // The same cell (its zygote still the only cell-root process) serves the next task.
    let zygotes = live_processes_of(uid_base);
    assert_eq!(zygotes.len(), 1, "{zygotes:?}");
    let next = sb.run(&Task::python("print('next')")).unwrap();
    assert_eq!(next.stdout, b"next\n");
    assert_eq!(live_processes_of(uid_base), zygotes);
}

#[test]
fn a_deadline_shorter_than_the_tasks_limit_stops_it_and_says_so() {
    let sb = sandbox(1, 2_610_000_000);
    let started = Instant::now();
    let deadline = started + Duration::from_millis(800);
    let control = RunControl::new().with_deadline(deadline);
    let result = sb.run_with(
        &Task::python("while True:\n    pass").with_limits(limits(30)),
        &control,
    );
    let late = Instant::now().saturating_duration_since(deadline);
    assert!(
        matches!(result, Err(RunError::DeadlineDuringRun)),
        "{result:?}"
    );
    assert!(result.unwrap_err().is_deadline());
    assert!(
        late < Duration::from_millis(800),
        "{late:?} past the deadline"
    );
    // The task's own limit, shorter than the deadline, is the program's timeout.
    let control = RunControl::new().with_deadline(Instant::now() + Duration::from_secs(20));
    let exec = sb
        .run_with(
            &Task::python("while True:\n    pass").with_limits(Limits {
                wall: Duration::from_millis(400),
                ..limits(5)
            }),
            &control,
        )
        .unwrap();
    assert_eq!(exec.status, Status::Timeout);
    // A task that ends in time is unaffected.
    let exec = sb
        .run_with(&Task::python("print(6 * 7)"), &control)
        .unwrap();
    assert_eq!((exec.status, exec.stdout), (Status::Ok, b"42\n".to_vec()));
    // A deadline that has passed already: nothing runs.
    let past = RunControl::new().with_deadline(Instant::now() - Duration::from_millis(1));
    let result = sb.run_with(&Task::python("print(1)"), &past);
    assert!(
        matches!(result, Err(RunError::DeadlineBeforeStart)),
        "{result:?}"
    );
}

#[test]
fn waiting_for_a_busy_cell_ends_at_the_deadline_or_on_cancellation() {
    let uid_base = 2_620_000_000;
    let sb = sandbox(1, uid_base);
    let busy = Arc::new(AtomicBool::new(false));
    thread::scope(|s| {
        // Holds the only cell until it is cancelled.
        let holder = s.spawn(|| {
            sb.run_with(
                &Task::python("import time\nprint('holding', flush=True)\ntime.sleep(60)")
                    .with_limits(limits(60)),
                &RunControl::new().with_cancel(busy.clone()),
            )
        });
        // Until the holder's task runs, there is no busy cell to wait for.
        let until = Instant::now() + Duration::from_secs(20);
        while live_processes_of(uid_base + 1).is_empty() {
            assert!(Instant::now() < until, "the holder's task never started");
            thread::sleep(Duration::from_millis(10));
        }

        let started = Instant::now();
        let deadline = started + Duration::from_millis(600);
        let result = sb.run_with(
            &Task::python("print(1)"),
            &RunControl::new().with_deadline(deadline),
        );
        let returned = Instant::now();
        assert!(
            matches!(result, Err(RunError::DeadlineBeforeStart)),
            "{result:?}"
        );
        assert!(returned >= deadline, "returned before the deadline");
        let late = returned.duration_since(deadline);
        assert!(
            late < Duration::from_millis(500),
            "{late:?} past the deadline"
        );

        let flag = Arc::new(AtomicBool::new(false));
        let raiser = raise_after(&flag, Duration::from_millis(300));
        let result = sb.run_with(
            &Task::python("print(1)"),
            &RunControl::new().with_cancel(flag.clone()),
        );
        let late = Instant::now().duration_since(raiser.join().unwrap());
        assert!(matches!(result, Err(RunError::Cancelled)), "{result:?}");
        assert!(late < Duration::from_millis(500), "{late:?} after the flag");

        busy.store(true, Ordering::SeqCst);
        let held = holder.join().unwrap();
        assert!(matches!(held, Err(RunError::Cancelled)), "{held:?}");
    });
    // The cell is free again.
    let exec = sb
        .run_with(
            &Task::python("print('free')"),
            &RunControl::new().with_deadline(Instant::now() + Duration::from_secs(20)),
        )
        .unwrap();
    assert_eq!(exec.stdout, b"free\n");
}

#[test]
fn a_cancelled_compilation_is_not_remembered() {
    let sb = sandbox(1, 2_630_000_000);
    if sb.run(&Task::cpp("int main() { return 0; }")).is_err() {
        eprintln!("no g++ here: nothing to check");
        return;
    }
    // A program that takes the compiler a while (the whole standard library).
    let slow = "#include <bits/stdc++.h>\nint main() { std::vector<int> v{3, 1, 2}; \
                std::sort(v.begin(), v.end()); std::cout << v[0] << std::endl; }\n";
    let flag = Arc::new(AtomicBool::new(false));
    let raiser = raise_after(&flag, Duration::from_millis(150));
    let result = sb.run_with(
        &Task::cpp(slow),
        &RunControl::new().with_cancel(flag.clone()),
    );
    let late = Instant::now().duration_since(raiser.join().unwrap());
    assert!(matches!(result, Err(RunError::Cancelled)), "{result:?}");
    assert!(late < Duration::from_secs(1), "{late:?} after the flag");
    // Compiled for real the next time, not answered from the cache with the cancellation.
    let exec = sb.run(&Task::cpp(slow)).unwrap();
    assert_eq!(
        exec.status,
        Status::Ok,
        "{}",
        String::from_utf8_lossy(&exec.stderr)
    );
    assert_eq!(exec.stdout, b"1\n");
}

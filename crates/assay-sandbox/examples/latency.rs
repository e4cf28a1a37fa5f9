//! Per-task latency of trivial tasks on one cell: supervisor round trip vs. the zygote's view.

use std::time::{Duration, Instant};

use assay_sandbox::{Sandbox, SandboxConfig, Task};

fn main() {
    let sandbox = Sandbox::new(SandboxConfig {
        cells: 1,
        ..SandboxConfig::default()
    })
    .unwrap_or_else(|e| panic!("{e}"));
    let task = Task::python("pass");
    let n = 500;
    let (mut total, mut inner, mut cpu) = (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    for _ in 0..n {
        let t = Instant::now();
        let e = sandbox.run(&task).expect("run");
        total += t.elapsed();
        inner += e.wall;
        cpu += e.cpu;
    }
    println!(
        "per task: round trip {:?}, fork-to-reap {:?}, task cpu {:?}",
        total / n,
        inner / n,
        cpu / n
    );
}

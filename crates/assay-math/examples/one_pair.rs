//! Times one (reference, answer) comparison, for profiling: `one_pair REF ANSWER [N]`.

use assay_math::{check_answer, Options, Steps};
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (reference, answer) = (&args[0], &args[1]);
    let n: u32 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1000);
    let opts = Options::default();
    let start = Instant::now();
    let mut last = None;
    let mut used = 0;
    for _ in 0..n {
        let mut budget = Steps::default();
        last = Some(check_answer(reference, answer, &opts, &mut budget));
        used = assay_math::steps::DEFAULT_STEPS - budget.steps_left();
    }
    println!("{:?} per pair, {used} steps", start.elapsed() / n);
    println!("{}", last.expect("n > 0"));
}

//! The engine's cost per item, without HTTP: scores the same batch of 256 `string_check`
//! items (a grader whose own work is tiny) again and again for a few seconds, serializes the
//! results as the server does, and prints items per second and microseconds per item. Run
//! it with `RAYON_NUM_THREADS=1` on a quiet machine: the time per item is then its CPU cost.
//! `KIND=math` grades eight math pairs instead, like those of the `load` example; `BATCH=1`
//! scores one item per request (the per-request cost).
//!
//! ```text
//! [KIND=math] [BATCH=N] cargo run --release -p assay-server --example engine_overhead -- [SECONDS]
//! ```

use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use assay::Item;
use serde_json::json;

const PAIRS: [(&str, &str); 8] = [
    ("\\frac{3}{4}", "The answer is \\boxed{0.75}."),
    (
        "12",
        "We count the cases: 5 + 7 = 12. The answer is $\\boxed{12}$.",
    ),
    (
        "\\sqrt{2}",
        "Therefore $x = \\boxed{\\frac{2}{\\sqrt{2}}}$.",
    ),
    ("2\\pi", "The circumference is \\boxed{6.28}."),
    ("(1, 2)", "The point is \\boxed{(1,2)}."),
    ("x^2 + 2x + 1", "Expanding, \\boxed{(x+1)^2}."),
    ("\\frac{1}{3}", "So the probability is \\boxed{0.3333}."),
    ("1000", "The total is **1,000**."),
];

fn main() {
    let seconds: f64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(3.0);
    let engine = if std::env::var("KIND").is_ok_and(|k| k == "math") {
        assay::engine_for_kind("math", json!({}))
    } else {
        assay::engine_for_kind("string_check", json!({"operation": "contains"}))
    }
    .expect("engine");
    let math = std::env::var("KIND").is_ok_and(|k| k == "math");
    let batch: usize = std::env::var("BATCH")
        .ok()
        .and_then(|b| b.parse().ok())
        .unwrap_or(256);
    let items: Vec<Item> = (0..batch)
        .map(|i| {
            let (reference, response) = if math {
                PAIRS[i % PAIRS.len()]
            } else {
                ("answer is", "The answer is 12, as the working shows.")
            };
            serde_json::from_value(json!({"id": i, "response": response, "reference": reference}))
                .expect("item")
        })
        .collect();
    // Warm up.
    let _ = engine.score(&items);
    let started = Instant::now();
    let mut graded = 0usize;
    let mut bytes = 0usize;
    while started.elapsed() < Duration::from_secs_f64(seconds) {
        let results = engine.score(&items);
        assert!(results.iter().all(|r| r.reward.is_some()));
        bytes += serde_json::to_vec(&results).expect("json").len();
        graded += results.len();
    }
    let wall = started.elapsed().as_secs_f64();
    println!(
        "{graded} items in {wall:.2} s: {:.0} items/s, {:.2} us/item, {} bytes/item",
        graded as f64 / wall,
        wall / graded as f64 * 1e6,
        bytes / graded.max(1)
    );
}

//! The engine's cost per item, without HTTP: scores the same batch of 256 `string_check`
//! items (a grader whose own work is tiny) again and again for a few seconds, serializes the
//! results as the server does, and prints items per second and microseconds per item. Run
//! it with `RAYON_NUM_THREADS=1` on a quiet machine: the time per item is then its CPU cost.
//! `KIND=math` grades the `load` example's eight math pairs instead; `BATCH=1`
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

#[path = "common/math_pairs.rs"]
mod math_pairs;
use math_pairs::MATH_PAIRS;

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
                MATH_PAIRS[i % MATH_PAIRS.len()]
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

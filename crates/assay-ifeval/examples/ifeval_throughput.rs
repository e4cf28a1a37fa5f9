//! Throughput of the `ifeval` grader on one core: every IFEval prompt's instructions checked
//! against a generated ~350-word markdown response, strict and loose.
//!
//! `cargo run --release -p assay-ifeval --example ifeval_throughput [ifeval_input.jsonl]` (default: the
//! three records in tests/data, repeated).

use std::time::Instant;

use assay_core::{Budget, Grader, Item};
use assay_ifeval::{Ifeval, Mode, RewardMode};
use serde_json::Value;

fn main() {
    let text = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(path).expect("read the data file"),
        None => include_str!("../tests/data/ifeval_sample.jsonl").repeat(180),
    };
    let records: Vec<Value> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect();
    let paragraph =
        "**Overview** The Count of Tripoli, Raymond III, ruled in the twelfth century. \
        He was regent of Jerusalem twice; *his* policies [name] shaped the kingdom. \
        Section 1 covers his youth, and P.S. notes follow.\n\n* first point\n* second point\n\n";
    let response = paragraph.repeat(6);
    let items: Vec<Item> = records
        .iter()
        .map(|r| Item::new(response.clone(), r.clone()))
        .collect();
    let instructions: usize = records
        .iter()
        .map(|r| r["instruction_id_list"].as_array().map_or(0, Vec::len))
        .sum();
    for mode in [Mode::Strict, Mode::Loose] {
        let grader = Ifeval::new(mode, RewardMode::Fraction);
        let rounds = 5;
        let start = Instant::now();
        for _ in 0..rounds {
            for item in &items {
                let outcome = grader.grade(item, &Budget::unlimited());
                assert!(outcome.reward.is_some(), "{:?}", outcome.error);
            }
        }
        let secs = start.elapsed().as_secs_f64();
        let n = (items.len() * rounds) as f64;
        println!(
            "ifeval {mode:?}: {} items ({} instructions), {:.0} items/s, {:.1} µs/item on one core",
            items.len(),
            instructions,
            n / secs,
            secs / n * 1e6
        );
    }
}

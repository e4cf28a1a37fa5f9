//! Throughput of the `ifeval` grader per instruction on one core: IFEval's instructions against
//! IFBench's, on the same generated ~350-word markdown response, strict and loose, side by side.
//!
//! `cargo run --release -p assay-ifeval --example ifbench_throughput [ifeval_input.jsonl]`
//! (default IFEval records: the three in tests/data, repeated; IFBench: its 300 test records).

use std::time::Instant;

use assay_core::{Budget, Grader, Item};
use assay_ifeval::{Ifeval, Mode, RewardMode};
use serde_json::Value;

fn records(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("JSON line"))
        .collect()
}

/// Microseconds per instruction for `records` graded against `response`.
fn per_instruction(mode: Mode, records: &[Value], response: &str) -> f64 {
    let items: Vec<Item> = records
        .iter()
        .map(|r| {
            let mut item = Item::new(response.to_string(), r.clone());
            item.prompt = r["prompt"]
                .as_str()
                .map(|p| assay_core::Content::Text(p.into()));
            item
        })
        .collect();
    let instructions: usize = records
        .iter()
        .map(|r| r["instruction_id_list"].as_array().map_or(0, Vec::len))
        .sum();
    let grader = Ifeval::new(mode, RewardMode::Fraction);
    let rounds = 5;
    let start = Instant::now();
    for _ in 0..rounds {
        for item in &items {
            let outcome = grader.grade(item, &Budget::unlimited());
            assert!(outcome.reward.is_some(), "{:?}", outcome.error);
        }
    }
    start.elapsed().as_secs_f64() / (instructions * rounds) as f64 * 1e6
}

fn main() {
    let ifeval = match std::env::args().nth(1) {
        Some(path) => std::fs::read_to_string(path).expect("read the IFEval data file"),
        None => include_str!("../tests/data/ifeval_sample.jsonl").repeat(100),
    };
    let ifeval = records(&ifeval);
    let ifbench = records(include_str!("../tests/data/ifbench_test.jsonl"));
    let paragraph =
        "**Overview** The Count of Tripoli, Raymond III, ruled in the twelfth century. \
        He was regent of Jerusalem twice; *his* policies [name] shaped the kingdom. \
        Section 1 covers his youth, and P.S. notes follow.\n\n* first point\n* second point\n\n";
    let response = paragraph.repeat(6);
    for mode in [Mode::Strict, Mode::Loose] {
        // Warm the shared tables (Punkt, tagger, langdetect) before timing.
        per_instruction(mode, &ifeval[..3], &response);
        per_instruction(mode, &ifbench[..3], &response);
        let a = per_instruction(mode, &ifeval, &response);
        let b = per_instruction(mode, &ifbench, &response);
        println!(
            "{mode:?}: IFEval {a:.1} µs/instruction ({} records), IFBench {b:.1} µs/instruction ({} records), ratio {:.2}",
            ifeval.len(),
            ifbench.len(),
            b / a
        );
    }
}

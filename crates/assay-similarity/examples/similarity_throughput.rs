//! Throughput of `similarity` (every metric) and `tool_call` on one core.
//!
//! `cargo run --release -p assay-similarity --example similarity_throughput`

use std::time::Instant;

use assay_core::{Budget, Grader, Item};
use assay_similarity::similarity::{Metric, Similarity, SimilarityOptions};
use assay_similarity::tool_call::{ToolCall, ToolCallOptions};
use serde_json::json;

fn time(name: &str, grader: &dyn Grader, items: &[Item]) {
    let rounds = 20;
    let start = Instant::now();
    for _ in 0..rounds {
        for item in items {
            let o = grader.grade(item, &Budget::unlimited());
            assert!(o.reward.is_some(), "{name}: {:?}", o.error);
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let n = (items.len() * rounds) as f64;
    println!(
        "{name:12} {:>9.0} items/s  {:>8.1} µs/item",
        n / secs,
        secs / n * 1e6
    );
}

fn main() {
    let sentence =
        "The quick brown fox, having jumped over the lazy dog twice, ran into the forest \
                    where 3,000 birds (mostly sparrows) were singing; nobody noticed.";
    let reference = "A quick brown fox jumped over the lazy dog and ran into a forest where \
                     thousands of sparrows sang, and nobody noticed it.";
    // ~30-word sentences, two references each.
    let items: Vec<Item> = (0..200)
        .map(|i| {
            let hyp = format!("{sentence} Item {i}.");
            Item::new(hyp, json!([reference, sentence]))
        })
        .collect();
    println!("similarity: 30-word response, 2 references");
    for metric in [
        Metric::Bleu,
        Metric::Chrf,
        Metric::ChrfPlusPlus,
        Metric::Rouge1,
        Metric::Rouge2,
        Metric::RougeL,
        Metric::ExactMatch,
        Metric::F1,
        Metric::Edit,
    ] {
        let grader = Similarity::new(SimilarityOptions {
            metric,
            lowercase: false,
            stemmer: false,
            max_chars: 100_000,
        })
        .expect("valid options");
        time(&format!("{metric:?}"), &grader, &items);
    }
    let grader = Similarity::new(SimilarityOptions {
        metric: Metric::RougeL,
        lowercase: false,
        stemmer: true,
        max_chars: 100_000,
    })
    .expect("valid options");
    time("RougeL+stem", &grader, &items);

    let gold = json!([{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius", "days": 3}},
                      {"name": "get_time", "arguments": {"tz": "Europe/Paris"}}]);
    let response = "<think>I need the weather and the time.</think>\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"unit\": \"celsius\", \"days\": 3}}\n</tool_call>\n<tool_call>\n{\"name\": \"get_time\", \"arguments\": {\"tz\": \"Europe/Paris\"}}\n</tool_call>";
    let items: Vec<Item> = (0..200)
        .map(|_| Item::new(response, gold.clone()))
        .collect();
    println!("tool_call: two Hermes calls against two gold calls");
    time(
        "tool_call",
        &ToolCall::new(ToolCallOptions::default()),
        &items,
    );
}

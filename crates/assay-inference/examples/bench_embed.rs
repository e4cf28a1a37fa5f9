//! Throughput and latency of an embedding model, or with `reward` of a sequence classifier
//! (a decoder reward model), beside transformers (bench/models/run.sh and run_reward.sh):
//! `bench_embed MODEL_DIR SENTENCES.txt [f32|bf16] [embed|reward]`.
//!
//! Prints one JSON object: items per second and median/p90 latency of one call at batch 1 and
//! at batch 32, and the process's peak resident memory.

use std::time::Instant;

use assay_inference::{
    Batching, Embedder, Input, LoadOptions, Precision, RunOptions, SequenceClassifier,
};

/// The model under test: either kind, called the same way.
enum Model {
    Embedder(Embedder),
    Reward(SequenceClassifier),
}

impl Model {
    /// Runs every input; true when all of them succeeded.
    fn run(&self, inputs: &[Input], run: &RunOptions) -> bool {
        match self {
            Model::Embedder(m) => m.embed_each(inputs, run).iter().all(Result::is_ok),
            Model::Reward(m) => m.score_each(inputs, run).iter().all(Result::is_ok),
        }
    }
}

// The allocator of the `assay` binary, which serves these models.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kib| kib / 1024.0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let (dir, sentences) = (&args[1], &args[2]);
    let precision = match args.get(3).map(String::as_str) {
        Some("bf16") => Precision::Bf16,
        _ => Precision::F32,
    };
    let texts: Vec<String> = std::fs::read_to_string(sentences)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect();
    let load = Instant::now();
    let options = LoadOptions {
        precision,
        ..LoadOptions::default()
    };
    let model = match args.get(4).map(String::as_str) {
        Some("reward") => Model::Reward(SequenceClassifier::load(dir.as_ref(), &options).unwrap()),
        _ => Model::Embedder(Embedder::load(dir.as_ref(), &options).unwrap()),
    };
    let load_s = load.elapsed().as_secs_f64();
    let mut report = serde_json::Map::new();
    report.insert("load_s".into(), load_s.into());
    if let Model::Reward(m) = &model {
        // The scores of the first four texts in one padded batch, to compare with
        // transformers' in the same report.
        let first: Vec<Input> = texts
            .iter()
            .take(4)
            .map(|t| Input::Text(t.clone()))
            .collect();
        let scores: Vec<f32> = m
            .score_each(&first, &RunOptions::default())
            .into_iter()
            .map(|r| r.unwrap().values[0])
            .collect();
        report.insert("first_scores".into(), scores.into());
    }
    // BATCH_SIZES="32" runs only those sizes (to profile one of them).
    let sizes: Vec<usize> = std::env::var("BATCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1, 32]);
    for batch in sizes {
        let run = RunOptions {
            batching: Batching {
                max_batch_size: batch,
                max_batch_tokens: usize::MAX,
            },
            ..RunOptions::default()
        };
        // Warm-up: one call.
        let warm: Vec<Input> = texts
            .iter()
            .take(batch)
            .map(|t| Input::Text(t.clone()))
            .collect();
        assert!(model.run(&warm, &run));
        let mut latencies = Vec::new();
        let start = Instant::now();
        for chunk in texts.chunks(batch) {
            let inputs: Vec<Input> = chunk.iter().map(|t| Input::Text(t.clone())).collect();
            let t = Instant::now();
            let ok = model.run(&inputs, &run);
            latencies.push(t.elapsed().as_secs_f64() * 1e3);
            assert!(ok);
        }
        let total = start.elapsed().as_secs_f64();
        latencies.sort_by(f64::total_cmp);
        report.insert(
            format!("batch_{batch}"),
            serde_json::json!({
                "items_per_s": texts.len() as f64 / total,
                "latency_ms_p50": percentile(&latencies, 0.5),
                "latency_ms_p90": percentile(&latencies, 0.9),
            }),
        );
    }
    report.insert("peak_rss_mib".into(), peak_rss_mib().into());
    println!("{}", serde_json::Value::Object(report));
}

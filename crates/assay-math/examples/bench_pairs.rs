//! Grades (reference, response) pairs from a JSONL file and reports per-pair verdicts and
//! latencies, for the Math-Verify comparison in `bench/math/`.
//!
//! ```text
//! cargo run --release -p assay-math --example bench_pairs -- pairs.jsonl [repeats] > out.jsonl
//! ```
//!
//! Each input line is `{"reference": "...", "response": "..."}` (other fields are echoed
//! back under `"id"` if present). Each output line is
//! `{"id": ..., "equal": bool, "status": "...", "rule": "...", "ns": median nanoseconds,
//! "steps": work steps used}`.
//! A summary goes to stderr.

use assay_math::steps::DEFAULT_STEPS;
use assay_math::{verify, Options, Steps};
use std::io::{BufRead, BufReader, Write};
use std::time::{Duration, Instant};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .ok_or("usage: bench_pairs PAIRS.jsonl [REPEATS]")?;
    let repeats: usize = args.next().map(|r| r.parse()).transpose()?.unwrap_or(5);
    let file = std::fs::File::open(&path).map_err(|e| format!("cannot open {path}: {e}"))?;
    let opts = Options::default();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let mut times = Vec::new();
    for line in BufReader::new(file).lines() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = serde_json::from_str(&line)?;
        let reference = v["reference"].as_str().ok_or("missing `reference`")?;
        let response = v["response"].as_str().ok_or("missing `response`")?;
        // `"extract_reference": true`: the reference is a worked solution.
        let mut opts = opts.clone();
        opts.extract_reference = v["extract_reference"].as_bool().unwrap_or(false);
        let mut samples = Vec::with_capacity(repeats);
        let mut verdict = None;
        let mut steps = 0;
        for _ in 0..repeats.max(1) {
            let start = Instant::now();
            let mut budget = Steps::with_timeout(Duration::from_secs(5));
            let r = verify(reference, response, &opts, &mut budget);
            samples.push(start.elapsed());
            steps = DEFAULT_STEPS - budget.steps_left();
            verdict = Some(r);
        }
        samples.sort();
        let median = samples[samples.len() / 2];
        times.push(median);
        let verdict = verdict.expect("at least one run");
        let record = serde_json::json!({
            "id": v.get("id").cloned().unwrap_or(serde_json::Value::Null),
            "equal": verdict.is_equal(),
            "status": verdict.status.name(),
            "rule": verdict.rule,
            "answer": verdict.answer,
            "reference_form": verdict.reference_form,
            "answer_form": verdict.answer_form,
            "class": verdict.extracted.as_ref().map(|e| e.source.class()),
            "ns": median.as_nanos() as u64,
            "steps": steps,
        });
        writeln!(out, "{record}")?;
    }
    times.sort();
    if !times.is_empty() {
        let pct = |p: f64| times[((times.len() - 1) as f64 * p).round() as usize];
        eprintln!(
            "{} pairs: median {:?}, p99 {:?}, max {:?}",
            times.len(),
            pct(0.5),
            pct(0.99),
            times[times.len() - 1]
        );
    }
    Ok(())
}

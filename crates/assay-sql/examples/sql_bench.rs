//! Grades a JSONL file of items with the SQL engine and reports throughput: the Rust side of
//! `bench/sql/run.sh`.
//!
//! ```text
//! cargo run --release -p assay-sql --example sql_bench -- ITEMS.jsonl \
//!     [--threads N] [--no-gold-cache] [--no-pred-cache] [--mode bird|spider|strict]
//!     [--out verdicts.jsonl]
//! ```
//!
//! Each line needs `id`, `response` and `reference` (`{"db": ..., "gold": ...}`). Prints one
//! JSON summary line on stdout.

use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use assay_sql::{CompareMode, SqlEngine, SqlOptions, VerdictStatus};
use serde_json::{json, Value};

struct Args {
    items: String,
    threads: usize,
    gold_cache: bool,
    pred_cache: bool,
    mode: CompareMode,
    out: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = std::env::args().skip(1);
    let mut parsed = Args {
        items: String::new(),
        threads: 1,
        gold_cache: true,
        pred_cache: true,
        mode: CompareMode::Bird,
        out: None,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => {
                let n = args.next().ok_or("--threads needs a number")?;
                parsed.threads = n.parse().map_err(|_| format!("bad --threads {n}"))?;
            }
            "--no-gold-cache" => parsed.gold_cache = false,
            "--no-pred-cache" => parsed.pred_cache = false,
            "--mode" => {
                let mode = args.next().ok_or("--mode needs bird, spider or strict")?;
                parsed.mode = serde_json::from_value(Value::String(mode.clone()))
                    .map_err(|_| format!("bad --mode {mode}: use bird, spider or strict"))?;
            }
            "--out" => parsed.out = Some(args.next().ok_or("--out needs a path")?),
            other if parsed.items.is_empty() && !other.starts_with('-') => {
                parsed.items = other.to_string()
            }
            other => return Err(format!("unexpected argument {other}")),
        }
    }
    if parsed.items.is_empty() {
        return Err(
            "usage: sql_bench ITEMS.jsonl [--threads N] [--no-gold-cache] [--no-pred-cache] [--mode M] [--out F]"
                .into(),
        );
    }
    parsed.threads = parsed.threads.max(1);
    Ok(parsed)
}

/// User + system CPU time of this process, from `/proc/self/stat` (Linux; `None` elsewhere).
/// Less sensitive than wall time to other load on a shared machine.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the parenthesized command name; utime and stime are fields 14 and 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every mainstream Linux configuration.
    Some(ticks / 100.0)
}

fn main() {
    let args = parse_args().unwrap_or_else(|e| {
        eprintln!("{e}");
        std::process::exit(2)
    });
    let file = std::fs::File::open(&args.items).unwrap_or_else(|e| {
        eprintln!("cannot read {}: {e}", args.items);
        std::process::exit(2)
    });
    let items: Vec<Value> = std::io::BufReader::new(file)
        .lines()
        .map(|line| {
            serde_json::from_str(&line.expect("readable line")).expect("one JSON item per line")
        })
        .collect();
    let mut options = SqlOptions {
        mode: args.mode,
        ..SqlOptions::default()
    };
    if !args.gold_cache {
        options.limits.gold_cache_entries = 0;
    }
    if !args.pred_cache {
        options.limits.pred_cache_entries = 0;
    }
    let engine = SqlEngine::new(options).expect("valid options");

    let next = AtomicUsize::new(0);
    let cpu_start = cpu_seconds();
    let start = Instant::now();
    let mut results: Vec<(usize, Value)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..args.threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        let response = item["response"].as_str().unwrap_or_default();
                        let deadline = Instant::now() + Duration::from_secs(5);
                        let verdict = match engine.grade(&item["reference"], response, Some(deadline)) {
                            Ok(v) => json!({
                                "id": item["id"],
                                "status": match v.status {
                                    VerdictStatus::Ok => "ok",
                                    VerdictStatus::Invalid => "invalid",
                                    VerdictStatus::Timeout => "timeout",
                                },
                                "reward": v.reward,
                            }),
                            Err(e) => json!({"id": item["id"], "status": "error", "reward": null, "why": e.to_string()}),
                        };
                        done.push((i, verdict));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker finished"))
            .collect()
    });
    let elapsed = start.elapsed().as_secs_f64();
    let cpu = cpu_seconds().zip(cpu_start).map(|(end, start)| end - start);
    results.sort_by_key(|(i, _)| *i);
    if let Some(path) = &args.out {
        let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("writable --out"));
        for (_, verdict) in &results {
            writeln!(out, "{verdict}").expect("write verdict");
        }
    }
    let mean = results
        .iter()
        .map(|(_, v)| v["reward"].as_f64().unwrap_or(0.0))
        .sum::<f64>()
        / results.len().max(1) as f64;
    println!(
        "{}",
        json!({
            "impl": "assay-sql",
            "threads": args.threads,
            "gold_cache": args.gold_cache,
            "pred_cache": args.pred_cache,
            "items": results.len(),
            "seconds": (elapsed * 1000.0).round() / 1000.0,
            "items_per_s": (results.len() as f64 / elapsed * 10.0).round() / 10.0,
            "cpu_seconds": cpu.map(|c| (c * 1000.0).round() / 1000.0),
            "mean_reward": (mean * 10000.0).round() / 10000.0,
        })
    );
}

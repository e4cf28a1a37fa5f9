//! Loopback load benchmark for `assay serve` (see bench/server/NOTES.md).
//!
//! Starts a server in this process on 127.0.0.1 (an ephemeral port), drives it with a
//! bounded closed-loop load from a keep-alive HTTP/1.1 client, and prints requests/s, items/s
//! and latency percentiles for batches of 1 and 256, then an overload run against a server
//! with small limits, showing load shedding (429/503 with Retry-After) and recovery.
//!
//! ```text
//! cargo run --release -p assay-server --example load -- [--seconds S] [--clients N] [--grader string_check] [--url http://HOST:PORT]
//! ```
//!
//! `--url` drives a server already running elsewhere (for example `assay serve` in its own
//! process, as users run it) instead of one in this process; only the normal-load phases run,
//! since the overload phase needs a server with small limits. `--phase K` runs only the K-th
//! of them (1: batch 1, one client; 2: batch 1, N clients; 3 and 4: batch 256), for profiling.
//!
//! Every phase stops after S seconds (default 5) or 200,000 requests, whichever comes first;
//! nothing leaves the loopback interface.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use assay_server::{serve, Limits, ServerConfig};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::{json, Value};
use tokio::net::TcpListener;

/// The allocator of the `assay` binary (see crates/assay-cli/src/main.rs), so that the server
/// measured here allocates as `assay serve` does.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The most requests one phase sends.
const MAX_REQUESTS: usize = 200_000;

#[path = "common/math_pairs.rs"]
mod math_pairs;
use math_pairs::MATH_PAIRS;

fn items(batch: usize, math: bool, offset: usize) -> Vec<Value> {
    (0..batch)
        .map(|i| {
            let (reference, response) = MATH_PAIRS[(offset + i) % MATH_PAIRS.len()];
            if math {
                json!({"id": i, "response": response, "reference": reference})
            } else {
                json!({"id": i, "response": response, "reference": "answer is"})
            }
        })
        .collect()
}

struct Phase {
    name: String,
    elapsed: Duration,
    ok: usize,
    items: usize,
    codes: std::collections::BTreeMap<u16, usize>,
    latencies: Vec<Duration>,
    retry_after_missing: usize,
}

impl Phase {
    fn percentile(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return f64::NAN;
        }
        let mut sorted = self.latencies.clone();
        sorted.sort();
        let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
        sorted[i].as_secs_f64() * 1e3
    }

    fn print(&self) {
        let secs = self.elapsed.as_secs_f64();
        println!(
            "{:<30} {:>8.0} req/s {:>10.0} items/s   p50 {:>8.2} ms   p99 {:>8.2} ms   codes {:?}{}",
            self.name,
            self.ok as f64 / secs,
            self.items as f64 / secs,
            self.percentile(0.50),
            self.percentile(0.99),
            self.codes,
            if self.retry_after_missing > 0 {
                format!("   ({} sheds without Retry-After!)", self.retry_after_missing)
            } else {
                String::new()
            }
        );
    }
}

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

/// Closed loop: `clients` tasks, each sending the next request as soon as the last returns.
async fn drive(
    client: &HttpClient,
    addr: SocketAddr,
    name: &str,
    body: Bytes,
    batch: usize,
    clients: usize,
    seconds: f64,
) -> Phase {
    let stop = Arc::new(AtomicBool::new(false));
    let budget = Arc::new(std::sync::atomic::AtomicUsize::new(MAX_REQUESTS));
    let started = Instant::now();
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let client = client.clone();
            let body = body.clone();
            let stop = Arc::clone(&stop);
            let budget = Arc::clone(&budget);
            tokio::spawn(async move {
                let mut out = Vec::new();
                while !stop.load(Ordering::Relaxed)
                    && budget
                        .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                        .is_ok()
                {
                    let request = Request::builder()
                        .method(Method::POST)
                        .uri(format!("http://{addr}/v1/score"))
                        .header("content-type", "application/json")
                        .body(Full::new(body.clone()))
                        .expect("valid request");
                    let t = Instant::now();
                    let response = client.request(request).await;
                    let (code, retry_after) = match response {
                        Ok(r) => {
                            let code = r.status().as_u16();
                            let retry = r.headers().contains_key("retry-after");
                            let _ = r.into_body().collect().await;
                            (code, retry)
                        }
                        Err(_) => (0, false),
                    };
                    out.push((code, t.elapsed(), retry_after));
                    if code == 429 || code == 503 {
                        // A well-behaved client backs off a little (not the full Retry-After,
                        // so the overload persists for the benchmark).
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
                out
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    let mut phase = Phase {
        name: name.to_string(),
        elapsed: Duration::ZERO,
        ok: 0,
        items: 0,
        codes: Default::default(),
        latencies: Vec::new(),
        retry_after_missing: 0,
    };
    for t in tasks {
        for (code, latency, retry_after) in t.await.expect("client task") {
            *phase.codes.entry(code).or_default() += 1;
            if code == 200 {
                phase.ok += 1;
                phase.items += batch;
                phase.latencies.push(latency);
            } else if (code == 429 || code == 503) && !retry_after {
                phase.retry_after_missing += 1;
            }
        }
    }
    phase.elapsed = started.elapsed();
    phase
}

async fn start(config: ServerConfig) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        serve(listener, config, async move {
            let _ = rx.await;
        })
        .await
        .expect("server");
    });
    (addr, tx)
}

async fn metric_lines(client: &HttpClient, addr: SocketAddr, prefix: &str) -> Vec<String> {
    let request = Request::builder()
        .uri(format!("http://{addr}/metrics"))
        .body(Full::new(Bytes::new()))
        .expect("valid request");
    let Ok(response) = client.request(request).await else {
        return Vec::new();
    };
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    String::from_utf8_lossy(&body)
        .lines()
        .filter(|l| l.starts_with(prefix))
        .map(String::from)
        .collect()
}

/// Sends `body` once and summarizes the results: how many, by status, and the mean reward.
async fn sample(client: &HttpClient, addr: SocketAddr, body: &Bytes) -> String {
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("http://{addr}/v1/score"))
        .body(Full::new(body.clone()))
        .expect("valid request");
    let Ok(response) = client.request(request).await else {
        return "no response".into();
    };
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let v: Value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    let Some(results) = v["results"].as_array() else {
        return format!("no results: {v}");
    };
    let mut statuses = std::collections::BTreeMap::<String, usize>::new();
    let mut sum = 0.0;
    for r in results {
        *statuses
            .entry(r["status"].as_str().unwrap_or("?").to_string())
            .or_default() += 1;
        sum += r["reward"].as_f64().unwrap_or(0.0);
    }
    format!(
        "{} results, statuses {statuses:?}, mean reward {:.3}, {} response bytes per item",
        results.len(),
        sum / results.len().max(1) as f64,
        bytes.len() / results.len().max(1)
    )
}

fn arg(args: &[String], name: &str, default: f64) -> f64 {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let seconds = arg(&args, "--seconds", 5.0).clamp(0.5, 60.0);
    let clients = arg(&args, "--clients", 16.0).clamp(1.0, 256.0) as usize;

    let registry = assay::registry();
    // `--grader string_check` measures the server with a grader whose results are small and
    // have not changed across versions (to compare builds without the math grader's changes).
    let forced_text = args
        .iter()
        .position(|a| a == "--grader")
        .and_then(|i| args.get(i + 1))
        .is_some_and(|g| g == "string_check");
    let math = registry.kind("math").is_some() && !forced_text;
    let (kind, options) = if math {
        ("math", json!({}))
    } else {
        ("string_check", json!({"operation": "contains"}))
    };
    let engine = assay::engine_for_kind(kind, options).expect("engine");
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "grader: {kind}{}; {cores} cores; {clients} closed-loop clients; {seconds} s per phase",
        if math {
            ""
        } else if forced_text {
            " (--grader string_check)"
        } else {
            " (the math kind is not registered)"
        }
    );

    let client: HttpClient = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(256)
        .build_http();

    // Normal load, on a server in this process or on the one `--url` names.
    let external = args
        .iter()
        .position(|a| a == "--url")
        .and_then(|i| args.get(i + 1))
        .map(|url| {
            let host = url.trim_start_matches("http://").trim_end_matches('/');
            host.parse::<SocketAddr>()
                .unwrap_or_else(|_| panic!("--url takes http://IP:PORT, not {url}"))
        });
    let (addr, stop) = match external {
        Some(addr) => (addr, None),
        None => {
            let (addr, stop) = start(ServerConfig::new(engine)).await;
            (addr, Some(stop))
        }
    };
    let only = arg(&args, "--phase", 0.0) as usize;
    let phases = [(1usize, 1usize), (1, clients), (256, 1), (256, clients)];
    for (k, &(batch, n)) in phases.iter().enumerate() {
        if only != 0 && only != k + 1 {
            continue;
        }
        let body = Bytes::from(json!({"grader": kind, "items": items(batch, math, 0)}).to_string());
        if n == 1 {
            println!(
                "  sample batch {batch}: {}",
                sample(&client, addr, &body).await
            );
        }
        // Warm up (connections, caches), then measure.
        let _ = drive(&client, addr, "warm-up", body.clone(), batch, n, 0.5).await;
        let name = format!("batch {batch}, {n} client(s)");
        let phase = drive(&client, addr, &name, body, batch, n, seconds).await;
        phase.print();
    }
    let Some(stop) = stop else {
        println!("(--url: the overload phase needs a server with small limits; not run)");
        return;
    };
    let _ = stop.send(());

    // Overload: a server with 2 scoring slots, 8 queue places and a 50 ms queue timeout, hit
    // by 4x the clients with batches of 256, then a recovery phase at a light load.
    let engine = assay::engine_for_kind(
        kind,
        if math {
            json!({})
        } else {
            json!({"operation": "contains"})
        },
    )
    .expect("engine");
    let mut config = ServerConfig::new(engine);
    config.limits = Limits {
        max_concurrent: 2,
        max_queue: 8,
        queue_timeout: Duration::from_millis(50),
        ..Limits::default()
    };
    let (addr, stop) = start(config).await;
    let big = Bytes::from(json!({"grader": kind, "items": items(256, math, 3)}).to_string());
    let overload = drive(
        &client,
        addr,
        "overload batch 256",
        big,
        256,
        clients * 4,
        seconds,
    )
    .await;
    overload.print();
    for line in metric_lines(&client, addr, "assay_rejected_total").await {
        println!("    {line}");
    }
    let one = Bytes::from(json!({"grader": kind, "items": items(1, math, 0)}).to_string());
    let recovery = drive(
        &client,
        addr,
        "recovery batch 1",
        one,
        1,
        clients.min(4),
        seconds,
    )
    .await;
    recovery.print();
    for line in metric_lines(&client, addr, "assay_queue_depth").await {
        println!("    {line}");
    }
    let _ = stop.send(());
    // Peak memory of this process (server and load generator together).
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        if let Some(line) = status.lines().find(|l| l.starts_with("VmHWM")) {
            println!(
                "peak resident memory (server + client): {}",
                line[6..].trim()
            );
        }
    }
}

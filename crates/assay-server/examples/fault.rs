//! Load and fault run against a real `assay serve` process (see bench/server/NOTES.md).
//!
//! ```text
//! cargo build --release -p assay-cli -p assay-server --example fault
//! target/release/examples/fault --assay target/release/assay [--sustain 600] [--phase 10]
//!     [--clients 64]
//! ```
//!
//! Starts `assay serve --grader math` on a free 127.0.0.1 port (defaults for every limit),
//! samples the server's resident memory and open file descriptors every second from /proc,
//! and runs, in order:
//!
//! 1. **capacity**: `--clients` closed-loop keep-alive clients, batches of 1, for `--phase`
//!    seconds: the measured capacity C (requests/s);
//! 2. **sustained**: the same closed-loop clients for `--sustain` seconds (the issue asks for
//!    600), which holds the server at its capacity C and never beyond; throughput is printed
//!    per minute. (An open-loop generator at C on the same two cores did not hold C: the
//!    generator's own connection churn took CPU from the server and pushed it into overload,
//!    which phase 3 tests on purpose.)
//! 3. **overload**: open-loop arrivals at 3C for `--phase` seconds: the server must shed
//!    (429/503 with `Retry-After`), keep its queue, its connections and its memory bounded;
//!    requests on connections past its `max_connections`, which the kernel resets, are
//!    reported apart;
//! 4. **faults**, while a light load runs: clients that send a request of 256 math items and
//!    hang up before the answer; slow clients that send their headers, or their body, one
//!    byte a second; bodies over the size limit; JSON nested 100,000 deep;
//! 5. **after**: the server's gauges (`assay_in_flight`, `assay_queue_depth`) back at 0, and
//!    the responses the server counts (`assay_http_requests_total`) equal to the responses the
//!    clients received: every accepted request got exactly one response.
//!
//! Memory is "flat" when the peak of the sustained phase's second half is within 20% (plus
//! 8 MiB) of its first half's. Exit code 1 when a check fails.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

type HttpClient = Client<hyper_util::client::legacy::connect::HttpConnector, Full<Bytes>>;

/// Every response the clients of this program received, by status code (0: sent and not
/// answered; 1: the connection could not be made).
#[derive(Default)]
struct Tally {
    codes: Mutex<BTreeMap<u16, u64>>,
    latencies_ms: Mutex<Vec<f64>>,
    retry_after_missing: AtomicU64,
}

impl Tally {
    fn record(&self, code: u16, latency: Duration, retry_after: bool) {
        *self.codes.lock().unwrap().entry(code).or_default() += 1;
        if code == 200 {
            self.latencies_ms
                .lock()
                .unwrap()
                .push(latency.as_secs_f64() * 1e3);
        }
        if (code == 429 || code == 503) && !retry_after {
            self.retry_after_missing.fetch_add(1, Ordering::Relaxed);
        }
    }
    fn count(&self, code: u16) -> u64 {
        self.codes.lock().unwrap().get(&code).copied().unwrap_or(0)
    }
    fn responses(&self) -> u64 {
        self.codes
            .lock()
            .unwrap()
            .iter()
            .filter(|(c, _)| **c != 0 && **c != NOT_CONNECTED)
            .map(|(_, n)| n)
            .sum()
    }
    fn line(&self, name: &str, seconds: f64) -> String {
        let mut l = self.latencies_ms.lock().unwrap().clone();
        l.sort_by(f64::total_cmp);
        let p = |q: f64| {
            l.get(((l.len() as f64 - 1.0) * q).round() as usize)
                .copied()
                .unwrap_or(f64::NAN)
        };
        format!(
            "{name:<12} {:>8.0} ok/s   p50 {:>7.2} ms   p99 {:>8.2} ms   codes {:?}   no Retry-After: {}",
            self.count(200) as f64 / seconds,
            p(0.5),
            p(0.99),
            self.codes.lock().unwrap(),
            self.retry_after_missing.load(Ordering::Relaxed)
        )
    }
}

#[path = "common/math_pairs.rs"]
mod math_pairs;
use math_pairs::MATH_PAIRS as PAIRS;

fn body(batch: usize) -> Bytes {
    let items: Vec<_> = (0..batch)
        .map(|i| {
            let (r, s) = PAIRS[i % PAIRS.len()];
            json!({"id": i, "response": s, "reference": r})
        })
        .collect();
    Bytes::from(json!({"items": items}).to_string())
}

async fn post(client: &HttpClient, addr: SocketAddr, body: Bytes, tally: &Tally) {
    let request = Request::builder()
        .method(Method::POST)
        .uri(format!("http://{addr}/v1/score"))
        .header("content-type", "application/json")
        .body(Full::new(body))
        .expect("request");
    let t = Instant::now();
    match client.request(request).await {
        Ok(r) => {
            let code = r.status().as_u16();
            let retry = r.headers().contains_key("retry-after");
            let _ = r.into_body().collect().await;
            tally.record(code, t.elapsed(), retry);
        }
        // Not connected at all (the listen backlog was full, the generator out of ports): the
        // request never reached the server. Counted apart from requests sent and not answered.
        Err(e) if e.is_connect() => tally.record(NOT_CONNECTED, t.elapsed(), false),
        Err(_) => tally.record(0, t.elapsed(), false),
    }
}

/// The pseudo status of a request whose connection could not be made.
const NOT_CONNECTED: u16 = 1;

/// `clients` closed-loop clients for `seconds`.
async fn closed(
    client: &HttpClient,
    addr: SocketAddr,
    clients: usize,
    seconds: f64,
    tally: Arc<Tally>,
) {
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..clients)
        .map(|_| {
            let (client, stop, tally) = (client.clone(), Arc::clone(&stop), Arc::clone(&tally));
            tokio::spawn(async move {
                while !stop.load(Ordering::Relaxed) {
                    post(&client, addr, body(1), &tally).await;
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_secs_f64(seconds)).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
}

/// Open-loop arrivals at `rate` requests/s for `seconds` (each arrival its own task, whether or
/// not earlier ones finished: the load does not slow down when the server does).
async fn open(client: &HttpClient, addr: SocketAddr, rate: f64, seconds: f64, tally: Arc<Tally>) {
    let started = Instant::now();
    let mut sent: u64 = 0;
    let mut tasks = tokio::task::JoinSet::new();
    let mut tick = tokio::time::interval(Duration::from_millis(5));
    while started.elapsed().as_secs_f64() < seconds {
        tick.tick().await;
        let due = (started.elapsed().as_secs_f64() * rate) as u64;
        while sent < due {
            sent += 1;
            let (client, tally) = (client.clone(), Arc::clone(&tally));
            tasks.spawn(async move { post(&client, addr, body(1), &tally).await });
        }
        while tasks.try_join_next().is_some() {}
    }
    while tasks.join_next().await.is_some() {}
}

/// The server's open file descriptors (its connections, mostly).
fn open_fds(pid: u32) -> u64 {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count() as u64)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

async fn metrics(client: &HttpClient, addr: SocketAddr) -> String {
    let request = Request::builder()
        .uri(format!("http://{addr}/metrics"))
        .body(Full::new(Bytes::new()))
        .expect("request");
    match client.request(request).await {
        Ok(r) => {
            String::from_utf8_lossy(&r.into_body().collect().await.unwrap().to_bytes()).into_owned()
        }
        Err(e) => format!("no metrics: {e}"),
    }
}

/// The sum of a metric's samples whose line starts with `prefix`.
fn metric_sum(text: &str, prefix: &str) -> f64 {
    text.lines()
        .filter(|l| l.starts_with(prefix))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

/// A raw connection sending `head` then `body` at one byte per `every`; returns what the
/// server answered (its status line, or how the connection ended) and after how long.
async fn slow(
    addr: SocketAddr,
    head: String,
    body: Vec<u8>,
    slow_head: bool,
    every: Duration,
    give_up: Duration,
) -> (String, Duration) {
    let t = Instant::now();
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return ("connect failed".into(), t.elapsed());
    };
    let (mut r, mut w) = s.split();
    let send = async {
        let head = head.into_bytes();
        let (fast, trickle): (Vec<u8>, Vec<u8>) = if slow_head {
            (Vec::new(), head.into_iter().chain(body).collect())
        } else {
            (head, body)
        };
        if w.write_all(&fast).await.is_err() {
            return;
        }
        for b in trickle {
            if w.write_all(&[b]).await.is_err() {
                return;
            }
            tokio::time::sleep(every).await;
        }
        std::future::pending::<()>().await
    };
    let mut buf = vec![0u8; 4096];
    let read = async {
        match r.read(&mut buf).await {
            Ok(0) => "closed by the server".to_string(),
            Ok(n) => String::from_utf8_lossy(&buf[..n])
                .lines()
                .next()
                .unwrap_or("")
                .to_string(),
            Err(e) => format!("error: {e}"),
        }
    };
    let answer = tokio::select! {
        a = read => a,
        _ = send => "sender stopped".into(),
        _ = tokio::time::sleep(give_up) => format!("still open after {} s", give_up.as_secs()),
    };
    (answer, t.elapsed())
}

/// Sends `request` on a raw connection and returns the status line.
async fn raw(addr: SocketAddr, request: Vec<u8>) -> String {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return "connect failed".into();
    };
    let _ = s.write_all(&request).await;
    let mut buf = vec![0u8; 4096];
    match tokio::time::timeout(Duration::from_secs(30), s.read(&mut buf)).await {
        Ok(Ok(n)) if n > 0 => String::from_utf8_lossy(&buf[..n])
            .lines()
            .next()
            .unwrap_or("")
            .to_string(),
        Ok(_) => "closed without an answer".into(),
        Err(_) => "no answer in 30 s".into(),
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn start(assay: &str) -> (Child, SocketAddr) {
    let mut child = Command::new(assay)
        .args(["serve", "--grader", "math", "--addr", "127.0.0.1:0"])
        // The address is in the "listening on" line, logged at the info level.
        .env("ASSAY_LOG", "info")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("assay serve starts");
    let mut stderr = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "assay serve exited early"
        );
        if let Some(rest) = line.trim().split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().parse().unwrap();
        }
    };
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    (child, addr)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let assay = arg(&args, "--assay").unwrap_or_else(|| "target/release/assay".into());
    let sustain: f64 = arg(&args, "--sustain").map_or(600.0, |s| s.parse().unwrap());
    let phase: f64 = arg(&args, "--phase").map_or(10.0, |s| s.parse().unwrap());
    let clients: usize = arg(&args, "--clients").map_or(64, |s| s.parse().unwrap());
    let (mut child, addr) = start(&assay);
    let pid = child.id();
    let client: HttpClient = Client::builder(TokioExecutor::new())
        .pool_max_idle_per_host(1024)
        .build_http();
    let mut failed = Vec::new();

    let samples: Arc<Mutex<Vec<(f64, u64)>>> = Arc::default();
    let fds: Arc<Mutex<Vec<(f64, u64)>>> = Arc::default();
    let started = Instant::now();
    let sampler = {
        let (samples, fds) = (Arc::clone(&samples), Arc::clone(&fds));
        tokio::spawn(async move {
            loop {
                let t = started.elapsed().as_secs_f64();
                samples.lock().unwrap().push((t, rss_kib(pid)));
                fds.lock().unwrap().push((t, open_fds(pid)));
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        })
    };
    let all = Arc::new(Tally::default());
    println!(
        "assay serve (pid {pid}) on {addr}; idle RSS {} KiB",
        rss_kib(pid)
    );

    // 1. Capacity.
    let t = Arc::new(Tally::default());
    closed(&client, addr, clients, phase, Arc::clone(&t)).await;
    let capacity = t.count(200) as f64 / phase;
    println!("{}", t.line("capacity", phase));
    merge(&all, &t);

    // 2. Sustained, at the measured capacity: the same closed-loop clients, reported per
    // minute.
    let t = Arc::new(Tally::default());
    let from = started.elapsed().as_secs_f64();
    let minutes = {
        let t = Arc::clone(&t);
        tokio::spawn(async move {
            let mut last = 0;
            for minute in 1.. {
                tokio::time::sleep(Duration::from_secs(60)).await;
                let now = t.count(200);
                println!(
                    "    minute {minute}: {:.0} ok/s",
                    (now - last) as f64 / 60.0
                );
                last = now;
            }
        })
    };
    closed(&client, addr, clients, sustain, Arc::clone(&t)).await;
    minutes.abort();
    let to = started.elapsed().as_secs_f64();
    println!("{}", t.line("sustained", sustain));
    let fd_peak = |a: f64, b: f64| {
        fds.lock()
            .unwrap()
            .iter()
            .filter(|(t, _)| *t >= a && *t < b)
            .map(|(_, n)| *n)
            .max()
            .unwrap_or(0)
    };
    println!(
        "    server open fds peak: first half {}, second half {}",
        fd_peak(from, (from + to) / 2.0),
        fd_peak((from + to) / 2.0, to)
    );
    merge(&all, &t);
    let (first, second) = {
        let s = samples.lock().unwrap();
        let mid = (from + to) / 2.0;
        let peak = |a: f64, b: f64| {
            s.iter()
                .filter(|(t, _)| *t >= a && *t < b)
                .map(|(_, r)| *r)
                .max()
                .unwrap_or(0)
        };
        (peak(from, mid), peak(mid, to))
    };
    let flat = (second as f64) <= first as f64 * 1.2 + 8192.0;
    println!(
        "    server RSS peak: first half {:.1} MiB, second half {:.1} MiB ({})",
        first as f64 / 1024.0,
        second as f64 / 1024.0,
        if flat { "flat" } else { "GROWING" }
    );
    if !flat {
        failed.push("memory grew during the sustained phase");
    }

    // 3. Overload, 3x.
    let t = Arc::new(Tally::default());
    let m = metrics(&client, addr).await;
    let rejected_before = metric_sum(&m, "assay_rejected_total");
    let overload_from = started.elapsed().as_secs_f64();
    open(&client, addr, capacity * 3.0, phase, Arc::clone(&t)).await;
    let overload_to = started.elapsed().as_secs_f64();
    println!("{}", t.line("overload 3x", phase));
    let rss_peak = samples
        .lock()
        .unwrap()
        .iter()
        .filter(|(t, _)| *t >= overload_from && *t <= overload_to)
        .map(|(_, r)| *r)
        .max()
        .unwrap_or(0);
    println!(
        "    server during overload: RSS peak {:.1} MiB, open fds peak {}",
        rss_peak as f64 / 1024.0,
        fd_peak(overload_from, overload_to + 1.0)
    );
    // The open-loop generator opens a connection for every arrival it has no idle one for, far
    // past the server's `max_connections`; the server stops accepting there, and the kernel
    // resets connections that overflow its listen queue after the client has sent its request.
    // Those requests never reached the server (its response count below shows whether any
    // request it accepted went unanswered), so here they are reported, not failed.
    let overload_unanswered = t.count(0);
    println!(
        "    sent on connections the server had not accepted and reset (past max_connections): {overload_unanswered}"
    );
    merge(&all, &t);
    let m = metrics(&client, addr).await;
    let shed = metric_sum(&m, "assay_rejected_total") - rejected_before;
    println!("    shed by the server (assay_rejected_total): {shed}");
    if t.count(429) + t.count(503) == 0 {
        failed.push("3x overload was not shed with 429/503");
    }
    if t.retry_after_missing.load(Ordering::Relaxed) > 0 {
        failed.push("a 429/503 came without Retry-After");
    }

    // 4. Faults, under a light load.
    let t = Arc::new(Tally::default());
    let light = {
        let (client, t) = (client.clone(), Arc::clone(&t));
        tokio::spawn(async move { closed(&client, addr, 4, phase.max(35.0), t).await })
    };
    // Clients that hang up: a batch of 256 sent, the connection dropped 50 ms later.
    let big = body(256);
    for _ in 0..50 {
        let Ok(mut s) = TcpStream::connect(addr).await else {
            continue;
        };
        let head = format!(
            "POST /v1/score HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
            big.len()
        );
        let _ = s.write_all(head.as_bytes()).await;
        let _ = s.write_all(&big).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(s);
    }
    println!("    disconnects: 50 clients hung up 50 ms after sending 256 items");
    // Slow clients, one byte a second: 20 on the headers, 20 on the body.
    let payload = body(1).to_vec();
    let head = format!(
        "POST /v1/score HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        payload.len()
    );
    let give_up = Duration::from_secs(40);
    let mut slows = tokio::task::JoinSet::new();
    for i in 0..40 {
        let (head, payload) = (head.clone(), payload.clone());
        slows.spawn(async move {
            (
                i < 20,
                slow(addr, head, payload, i < 20, Duration::from_secs(1), give_up).await,
            )
        });
    }
    // Oversized bodies: announced, and sent without a length (chunked).
    let oversized = raw(
        addr,
        format!("POST /v1/score HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{{", 64 << 20).into_bytes(),
    )
    .await;
    println!("    oversized (content-length 64 MiB): {oversized}");
    let mut chunked = b"POST /v1/score HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n".to_vec();
    for _ in 0..20 {
        chunked.extend_from_slice(format!("{:x}\r\n", 1 << 20).as_bytes());
        chunked.extend(std::iter::repeat_n(b' ', 1 << 20));
        chunked.extend_from_slice(b"\r\n");
    }
    let chunked_answer = raw(addr, chunked).await;
    println!("    oversized (20 MiB chunked): {chunked_answer}");
    if !oversized.contains("413") || !chunked_answer.contains("413") {
        failed.push("an oversized body did not get 413");
    }
    let nested = format!(
        "{{\"items\": {}{}}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let nested_answer = raw(
        addr,
        format!("POST /v1/score HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{nested}", nested.len()).into_bytes(),
    )
    .await;
    println!("    JSON nested 100,000 deep: {nested_answer}");
    if !nested_answer.contains("400") {
        failed.push("deeply nested JSON did not get 400");
    }
    let mut slow_results: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    while let Some(Ok((head_slow, (answer, took)))) = slows.join_next().await {
        let kind = if head_slow {
            "slow headers"
        } else {
            "slow body"
        };
        let answer: String = answer.chars().take(40).collect();
        slow_results
            .entry(format!("{kind}: {answer}"))
            .or_default()
            .push(took.as_secs_f64());
    }
    for (k, v) in &slow_results {
        let max = v.iter().copied().fold(0.0, f64::max);
        println!("    {k} ×{} (ended after at most {max:.0} s)", v.len());
    }
    if slow_results.keys().any(|k| k.contains("still open")) {
        failed.push("a slow client held its connection past 40 s");
    }
    let _ = light.await;
    println!("{}", t.line("under faults", phase.max(35.0)));
    merge(&all, &t);

    // 5. After: gauges at rest, one response per accepted request.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let m = metrics(&client, addr).await;
    let in_flight = metric_sum(&m, "assay_in_flight ");
    let queue = metric_sum(&m, "assay_queue_depth");
    let served = metric_sum(&m, "assay_http_requests_total{endpoint=\"/v1/score\"");
    println!("    after: assay_in_flight {in_flight}, assay_queue_depth {queue}");
    if in_flight != 0.0 || queue != 0.0 {
        failed.push("work left in flight after the run");
    }
    let fault_requests = 50.0 + 40.0 + 3.0; // hung up, slow, oversized and nested
    println!(
        "    responses: the server counted {served} on /v1/score; this program's clients received {} \
         (+ up to {fault_requests} fault requests, which the server counts whether or not the client stayed); \
         sent and not answered: {}; not connected (never reached the server): {}",
        all.responses(),
        all.count(0),
        all.count(NOT_CONNECTED)
    );
    let received = all.responses() as f64;
    if served < received || served > received + fault_requests {
        failed.push("the server's response count and the clients' do not match");
    }
    if all.count(0) > overload_unanswered {
        failed.push("some requests were sent and got no response outside the overload phase");
    }
    sampler.abort();
    let peak = samples
        .lock()
        .unwrap()
        .iter()
        .map(|(_, r)| *r)
        .max()
        .unwrap_or(0);
    println!(
        "server RSS peak over the run: {:.1} MiB; wall {:.0} s",
        peak as f64 / 1024.0,
        started.elapsed().as_secs_f64()
    );
    let _ = child.kill();
    let _ = child.wait();
    if failed.is_empty() {
        println!("PASS");
    } else {
        println!("FAIL: {}", failed.join("; "));
        std::process::exit(1);
    }
}

fn merge(all: &Tally, t: &Tally) {
    for (code, n) in t.codes.lock().unwrap().iter() {
        *all.codes.lock().unwrap().entry(*code).or_default() += n;
    }
}

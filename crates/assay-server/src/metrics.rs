//! Prometheus metrics, written by hand in the text exposition format (version 0.0.4).
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `assay_http_requests_total` | counter | `endpoint`, `grader`, `code` |
//! | `assay_http_request_duration_seconds` | histogram | `endpoint` |
//! | `assay_items_total` | counter | `grader`, `status` (`ok`, `invalid`, `not_applicable`, `timeout`, `error`) |
//! | `assay_item_duration_seconds` | histogram | `grader` (time spent grading one item) |
//! | `assay_rejected_total` | counter | `reason` (`queue_full`, `memory_full`, `queue_timeout`, `draining`, `body_too_large`, `batch_too_large`, `invalid_json` …) |
//! | `assay_inline_cache_total` | counter | `result` (`hit`, `miss`) |
//! | `assay_queue_depth` | gauge | requests admitted and waiting for a scoring slot |
//! | `assay_in_flight` | gauge | scoring jobs running |
//! | `assay_in_flight_items` | gauge | items in the running jobs |
//! | `assay_inflight_body_bytes` | gauge | request body bytes admitted |
//! | `assay_uptime_seconds` | gauge | |
//! | `assay_model_requests_total` | counter | `grader`: requests model graders sent (retries included) |
//! | `assay_model_tokens_total` | counter | `grader`, `kind` (`prompt`, `completion`) |
//! | `assay_model_cache_hits_total` | counter | `grader`: requests answered from the reply cache |
//! | `assay_remote_in_flight` | gauge | `server`: requests in flight to a remote model server |
//! | `assay_remote_max_concurrency` | gauge | `server`: its `max_concurrency` |
//! | `assay_remote_breaker_open` | gauge | `server`: 1 while its circuit breaker refuses requests |
//! | `assay_remote_consecutive_failures` | gauge | `server`: failed attempts in a row |
//!
//! The `grader` label is a configured grader's name, `routes` (routed by `data_source`),
//! `inline` (an inline configuration), `unknown` (a name the server does not have) or `none`
//! (the request failed before naming one). Request-supplied strings never become labels.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use assay::{GradeResult, Status, Usage};

/// Bucket bounds, in seconds, of both histograms.
const BUCKETS: [f64; 16] = [
    0.0001, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
    30.0,
];

/// Which grader a response was for, set by handlers for the request metrics.
#[derive(Debug, Clone)]
pub(crate) struct GraderLabel(pub Option<String>);

#[derive(Debug, Default, Clone)]
struct Histogram {
    counts: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, seconds: f64) {
        if let Some(i) = BUCKETS.iter().position(|&b| seconds <= b) {
            self.counts[i] += 1;
        }
        self.sum += seconds;
        self.count += 1;
    }

    fn write(&self, out: &mut String, name: &str, labels: &str) {
        let sep = if labels.is_empty() { "" } else { "," };
        let mut cumulative = 0;
        for (bound, count) in BUCKETS.iter().zip(self.counts) {
            cumulative += count;
            let _ = writeln!(
                out,
                "{name}_bucket{{{labels}{sep}le=\"{bound}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{{{labels}{sep}le=\"+Inf\"}} {}",
            self.count
        );
        let _ = writeln!(out, "{name}_sum{{{labels}}} {}", self.sum);
        let _ = writeln!(out, "{name}_count{{{labels}}} {}", self.count);
    }
}

#[derive(Debug, Default)]
struct Inner {
    requests: BTreeMap<(&'static str, String, u16), u64>,
    request_latency: BTreeMap<&'static str, Histogram>,
    items: BTreeMap<(String, Status), u64>,
    item_latency: BTreeMap<String, Histogram>,
    rejected: BTreeMap<&'static str, u64>,
    inline_cache: BTreeMap<&'static str, u64>,
    usage: BTreeMap<String, Usage>,
}

/// The gauges, read when the metrics are rendered.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Gauges {
    pub queue_depth: usize,
    pub in_flight: usize,
    pub in_flight_items: usize,
    pub inflight_body_bytes: usize,
}

/// Every counter and histogram of a server.
#[derive(Debug)]
pub(crate) struct Metrics {
    inner: Mutex<Inner>,
    started: Instant,
}

impl Metrics {
    pub fn new() -> Self {
        Metrics {
            inner: Mutex::new(Inner::default()),
            started: Instant::now(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // A panic while holding the lock leaves plain counters: still fine to read.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub fn request(
        &self,
        endpoint: &'static str,
        grader: &str,
        code: u16,
        elapsed: Duration,
        rejected: Option<&'static str>,
    ) {
        let mut inner = self.lock();
        *inner
            .requests
            .entry((endpoint, grader.to_string(), code))
            .or_default() += 1;
        inner
            .request_latency
            .entry(endpoint)
            .or_default()
            .observe(elapsed.as_secs_f64());
        if let Some(reason) = rejected {
            *inner.rejected.entry(reason).or_default() += 1;
        }
    }

    /// Counts the results of one request; `grader_of` labels each result.
    pub fn items<'a>(
        &self,
        results: &'a [GradeResult],
        grader_of: impl Fn(&'a GradeResult) -> &'a str,
    ) {
        let mut counts: BTreeMap<(&str, Status), u64> = BTreeMap::new();
        let mut latency: BTreeMap<&str, Histogram> = BTreeMap::new();
        let mut usage: BTreeMap<&str, Usage> = BTreeMap::new();
        for r in results {
            let g = grader_of(r);
            if let Some(u) = r.usage {
                *usage.entry(g).or_default() += u;
            }
            *counts.entry((g, r.status)).or_default() += 1;
            latency
                .entry(g)
                .or_default()
                .observe(r.elapsed_ms.max(0.0) / 1e3);
        }
        let mut inner = self.lock();
        for (g, u) in usage {
            *inner.usage.entry(g.to_string()).or_default() += u;
        }
        for ((g, status), n) in counts {
            *inner.items.entry((g.to_string(), status)).or_default() += n;
        }
        for (g, h) in latency {
            let total = inner.item_latency.entry(g.to_string()).or_default();
            for (t, c) in total.counts.iter_mut().zip(h.counts) {
                *t += c;
            }
            total.sum += h.sum;
            total.count += h.count;
        }
    }

    pub fn inline_cache(&self, hit: bool) {
        *self
            .lock()
            .inline_cache
            .entry(if hit { "hit" } else { "miss" })
            .or_default() += 1;
    }

    /// The metrics in Prometheus' text format.
    pub fn render(&self, gauges: Gauges) -> String {
        let inner = self.lock();
        let mut out = String::with_capacity(8192);
        header(
            &mut out,
            "assay_http_requests_total",
            "counter",
            "HTTP requests by endpoint, grader and status code.",
        );
        for ((endpoint, grader, code), n) in &inner.requests {
            let _ = writeln!(
                out,
                "assay_http_requests_total{{endpoint=\"{}\",grader=\"{}\",code=\"{code}\"}} {n}",
                escape(endpoint),
                escape(grader)
            );
        }
        header(
            &mut out,
            "assay_http_request_duration_seconds",
            "histogram",
            "Time from request to response, by endpoint.",
        );
        for (endpoint, h) in &inner.request_latency {
            h.write(
                &mut out,
                "assay_http_request_duration_seconds",
                &format!("endpoint=\"{}\"", escape(endpoint)),
            );
        }
        header(
            &mut out,
            "assay_items_total",
            "counter",
            "Items scored, by grader and result status.",
        );
        for ((grader, status), n) in &inner.items {
            let _ = writeln!(
                out,
                "assay_items_total{{grader=\"{}\",status=\"{status}\"}} {n}",
                escape(grader)
            );
        }
        header(
            &mut out,
            "assay_item_duration_seconds",
            "histogram",
            "Time spent grading one item, by grader.",
        );
        for (grader, h) in &inner.item_latency {
            h.write(
                &mut out,
                "assay_item_duration_seconds",
                &format!("grader=\"{}\"", escape(grader)),
            );
        }
        header(
            &mut out,
            "assay_rejected_total",
            "counter",
            "Requests refused as a whole, by reason.",
        );
        for (reason, n) in &inner.rejected {
            let _ = writeln!(out, "assay_rejected_total{{reason=\"{reason}\"}} {n}");
        }
        header(
            &mut out,
            "assay_inline_cache_total",
            "counter",
            "Inline grader configurations found built (hit) or built anew (miss).",
        );
        for (result, n) in &inner.inline_cache {
            let _ = writeln!(out, "assay_inline_cache_total{{result=\"{result}\"}} {n}");
        }
        let gauges = [
            (
                "assay_queue_depth",
                "Requests admitted and waiting for a scoring slot.",
                gauges.queue_depth as f64,
            ),
            (
                "assay_in_flight",
                "Scoring jobs running.",
                gauges.in_flight as f64,
            ),
            (
                "assay_in_flight_items",
                "Items in the scoring jobs running.",
                gauges.in_flight_items as f64,
            ),
            (
                "assay_inflight_body_bytes",
                "Request body bytes admitted.",
                gauges.inflight_body_bytes as f64,
            ),
            (
                "assay_uptime_seconds",
                "Seconds since the server started.",
                self.started.elapsed().as_secs_f64(),
            ),
        ];
        for (name, help, value) in gauges {
            header(&mut out, name, "gauge", help);
            let _ = writeln!(out, "{name} {value}");
        }
        render_usage(&mut out, &inner.usage);
        render_remote(&mut out, &assay::remote_servers());
        out
    }
}

/// What the model graders spent, per grader.
fn render_usage(out: &mut String, usage: &BTreeMap<String, Usage>) {
    type Counter = (
        &'static str,
        &'static str,
        &'static [(&'static str, fn(&Usage) -> u64)],
    );
    let counters: [Counter; 3] = [
        (
            "assay_model_requests_total",
            "Requests model graders sent to their servers (retries included), by grader.",
            &[("", |u| u.requests)],
        ),
        (
            "assay_model_tokens_total",
            "Tokens the model servers reported, by grader and kind (prompt, completion).",
            &[
                (",kind=\"prompt\"", |u| u.prompt_tokens),
                (",kind=\"completion\"", |u| u.completion_tokens),
            ],
        ),
        (
            "assay_model_cache_hits_total",
            "Model requests answered from the reply cache instead of being sent, by grader.",
            &[("", |u| u.cache_hits)],
        ),
    ];
    for (name, help, series) in counters {
        header(out, name, "counter", help);
        for (grader, u) in usage {
            for (labels, value) in series {
                let _ = writeln!(
                    out,
                    "{name}{{grader=\"{}\"{labels}}} {}",
                    escape(grader),
                    value(u)
                );
            }
        }
    }
}

/// The remote model servers' gauges. Backends with the same URL (different settings) are
/// summed, their breaker reported open if any is.
fn render_remote(out: &mut String, servers: &[assay::RemoteServer]) {
    #[derive(Default)]
    struct Server {
        in_flight: usize,
        max_concurrency: usize,
        breaker_open: bool,
        consecutive_failures: u32,
    }
    let mut by_url: BTreeMap<&str, Server> = BTreeMap::new();
    for s in servers {
        let total = by_url.entry(&s.url).or_default();
        total.in_flight += s.in_flight;
        total.max_concurrency += s.max_concurrency;
        total.breaker_open |= s.breaker_open;
        total.consecutive_failures = total.consecutive_failures.max(s.consecutive_failures);
    }
    type Gauge = (&'static str, &'static str, fn(&Server) -> f64);
    let gauges: [Gauge; 4] = [
        (
            "assay_remote_in_flight",
            "Requests in flight to a remote model server.",
            |s| s.in_flight as f64,
        ),
        (
            "assay_remote_max_concurrency",
            "The most requests in flight a remote model server is sent (max_concurrency).",
            |s| s.max_concurrency as f64,
        ),
        (
            "assay_remote_breaker_open",
            "1 while a remote model server's circuit breaker refuses requests.",
            |s| f64::from(u8::from(s.breaker_open)),
        ),
        (
            "assay_remote_consecutive_failures",
            "Failed attempts in a row to a remote model server.",
            |s| f64::from(s.consecutive_failures),
        ),
    ];
    for (name, help, value) in gauges {
        header(out, name, "gauge", help);
        for (url, server) in &by_url {
            let _ = writeln!(
                out,
                "{name}{{server=\"{}\"}} {}",
                escape(url),
                value(server)
            );
        }
    }
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// Escapes a label value: backslash, double quote and newline.
fn escape(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histograms_are_cumulative_and_labels_escaped() {
        let m = Metrics::new();
        m.request("/v1/score", "a\"b", 200, Duration::from_millis(3), None);
        m.request(
            "/v1/score",
            "a\"b",
            429,
            Duration::from_millis(40),
            Some("queue_full"),
        );
        let text = m.render(Gauges::default());
        assert!(text.contains(
            "assay_http_requests_total{endpoint=\"/v1/score\",grader=\"a\\\"b\",code=\"429\"} 1"
        ));
        assert!(text.contains(
            "assay_http_request_duration_seconds_bucket{endpoint=\"/v1/score\",le=\"0.005\"} 1"
        ));
        assert!(text.contains(
            "assay_http_request_duration_seconds_bucket{endpoint=\"/v1/score\",le=\"0.05\"} 2"
        ));
        assert!(text.contains(
            "assay_http_request_duration_seconds_bucket{endpoint=\"/v1/score\",le=\"+Inf\"} 2"
        ));
        assert!(text.contains("assay_rejected_total{reason=\"queue_full\"} 1"));
        assert!(text.contains("# TYPE assay_queue_depth gauge"));
    }
}

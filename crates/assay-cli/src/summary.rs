//! The end-of-run summary: counts per status and error kind, mean reward, latency percentiles,
//! a per-`data_source` breakdown and group statistics.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use assay::{GradeResult, GroupSummary, Status};
use serde::Serialize;

/// Latencies in log-spaced buckets (about 2% wide) from 1 µs up: fixed memory, percentiles
/// within 2%.
#[derive(Debug, Clone)]
pub struct Histogram {
    counts: Vec<u64>,
    total: u64,
    max_ms: f64,
}

const BUCKET_GROWTH: f64 = 1.02;
const FIRST_BUCKET_MS: f64 = 1e-3;
const BUCKETS: usize = 1400; // 1 µs × 1.02^1400 ≈ 10^9 ms: beyond any deadline

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            counts: vec![0; BUCKETS],
            total: 0,
            max_ms: 0.0,
        }
    }
}

impl Histogram {
    /// Records one latency in milliseconds.
    pub fn record(&mut self, ms: f64) {
        let ms = if ms.is_finite() { ms.max(0.0) } else { 0.0 };
        let bucket = if ms <= FIRST_BUCKET_MS {
            0
        } else {
            ((ms / FIRST_BUCKET_MS).ln() / BUCKET_GROWTH.ln()).ceil() as usize
        };
        self.counts[bucket.min(BUCKETS - 1)] += 1;
        self.total += 1;
        self.max_ms = self.max_ms.max(ms);
    }

    /// The latency below which a fraction `q` of the recorded ones fall (upper bucket edge).
    pub fn quantile(&self, q: f64) -> Option<f64> {
        if self.total == 0 {
            return None;
        }
        let rank = ((q * self.total as f64).ceil() as u64).clamp(1, self.total);
        let mut seen = 0;
        for (bucket, count) in self.counts.iter().enumerate() {
            seen += count;
            if seen >= rank {
                let edge = FIRST_BUCKET_MS * BUCKET_GROWTH.powi(bucket as i32);
                return Some(edge.min(self.max_ms));
            }
        }
        Some(self.max_ms)
    }
}

/// Counts of one slice of the results.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// Results.
    pub items: u64,
    /// Results per status.
    pub status: BTreeMap<&'static str, u64>,
    /// Sum of numeric rewards.
    #[serde(skip)]
    reward_sum: f64,
    /// Results with a numeric reward.
    pub rewarded: u64,
    /// Mean of the numeric rewards.
    pub mean_reward: Option<f64>,
}

impl Counts {
    fn add(&mut self, result: &GradeResult) {
        self.items += 1;
        *self.status.entry(result.status.as_str()).or_default() += 1;
        if let Some(r) = result.reward {
            self.reward_sum += r;
            self.rewarded += 1;
            self.mean_reward = Some(self.reward_sum / self.rewarded as f64);
        }
    }

    fn status_line(&self) -> String {
        Status::ALL
            .iter()
            .map(|s| {
                format!(
                    "{} {}",
                    s.as_str(),
                    self.status.get(s.as_str()).unwrap_or(&0)
                )
            })
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// Everything the summary reports.
#[derive(Debug, Default, Serialize)]
pub struct Summary {
    /// All results.
    #[serde(flatten)]
    pub all: Counts,
    /// Errors and timeouts by kind.
    pub error_kinds: BTreeMap<&'static str, u64>,
    /// Results by `data_source` (`(none)` when missing).
    pub by_data_source: BTreeMap<String, Counts>,
    /// Median per-item latency, ms.
    pub latency_p50_ms: Option<f64>,
    /// 99th percentile per-item latency, ms.
    pub latency_p99_ms: Option<f64>,
    /// Largest per-item latency, ms.
    pub latency_max_ms: Option<f64>,
    /// Groups seen (items sharing `group`).
    pub groups: u64,
    /// Groups of two or more scored items whose rewards were all equal.
    pub zero_spread_groups: u64,
    /// Groups whose items were not adjacent in the input (their statistics were computed per
    /// part).
    pub split_groups: u64,
    /// Wall time, seconds.
    pub wall_seconds: f64,
    /// Items per second.
    pub items_per_second: f64,
    /// Peak resident memory of the process, bytes (Linux).
    pub peak_rss_bytes: Option<u64>,
    #[serde(skip)]
    latency: Histogram,
}

impl Summary {
    /// Records one result of `data_source`.
    pub fn add(&mut self, result: &GradeResult, data_source: Option<&str>) {
        self.all.add(result);
        if let Some(e) = &result.error {
            *self.error_kinds.entry(e.kind.as_str()).or_default() += 1;
        }
        let source = data_source.unwrap_or("(none)");
        match self.by_data_source.get_mut(source) {
            Some(counts) => counts.add(result),
            None => {
                let mut counts = Counts::default();
                counts.add(result);
                self.by_data_source.insert(source.to_string(), counts);
            }
        }
        self.latency.record(result.elapsed_ms);
    }

    /// Records one group's statistics.
    pub fn add_group(&mut self, group: &GroupSummary) {
        self.groups += 1;
        if group.zero_spread {
            self.zero_spread_groups += 1;
        }
    }

    /// Fills in the figures known only at the end.
    pub fn finish(&mut self, wall: Duration) {
        self.wall_seconds = wall.as_secs_f64();
        self.items_per_second = self.all.items as f64 / self.wall_seconds.max(1e-9);
        self.latency_p50_ms = self.latency.quantile(0.5);
        self.latency_p99_ms = self.latency.quantile(0.99);
        self.latency_max_ms = (self.latency.total > 0).then_some(self.latency.max_ms);
        self.peak_rss_bytes = peak_rss_bytes();
    }

    /// The summary for a person.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "scored {} items in {:.2} s ({:.0} items/s)",
            self.all.items, self.wall_seconds, self.items_per_second
        );
        let mut status = self.all.status_line();
        if !self.error_kinds.is_empty() {
            let kinds: Vec<String> = self
                .error_kinds
                .iter()
                .map(|(k, n)| format!("{k} {n}"))
                .collect();
            let _ = write!(status, " (by kind: {})", kinds.join(", "));
        }
        let _ = writeln!(out, "status     {status}");
        match self.all.mean_reward {
            Some(mean) => {
                let _ = writeln!(
                    out,
                    "reward     mean {mean:.4} over {} items with a reward",
                    self.all.rewarded
                );
            }
            None => {
                let _ = writeln!(out, "reward     no item has a reward");
            }
        }
        if let (Some(p50), Some(p99), Some(max)) = (
            self.latency_p50_ms,
            self.latency_p99_ms,
            self.latency_max_ms,
        ) {
            let _ = writeln!(
                out,
                "latency    p50 {p50:.3} ms · p99 {p99:.3} ms · max {max:.3} ms"
            );
        }
        if self.groups > 0 {
            let _ = writeln!(
                out,
                "groups     {} groups, {} with zero spread (all rewards equal: no learning signal)",
                self.groups, self.zero_spread_groups
            );
            if self.split_groups > 0 {
                let _ = writeln!(
                    out,
                    "warning    {} groups were not adjacent in the input; their statistics were computed per part (sort the input by group)",
                    self.split_groups
                );
            }
        }
        if self.by_data_source.len() > 1 || !self.by_data_source.contains_key("(none)") {
            let width = self
                .by_data_source
                .keys()
                .map(String::len)
                .max()
                .unwrap_or(0);
            let _ = writeln!(out, "by data_source");
            for (source, counts) in &self.by_data_source {
                let mean = counts
                    .mean_reward
                    .map_or("-".to_string(), |m| format!("{m:.4}"));
                let _ = writeln!(
                    out,
                    "  {source:width$}  {:>8} items  mean {mean:>7}  {}",
                    counts.items,
                    counts.status_line()
                );
            }
        }
        if let Some(rss) = self.peak_rss_bytes {
            let _ = writeln!(
                out,
                "memory     peak {:.1} MiB",
                rss as f64 / (1024.0 * 1024.0)
            );
        }
        out
    }
}

/// The process's peak resident set size, from /proc (Linux only).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_quantiles_are_within_two_percent() {
        let mut h = Histogram::default();
        for i in 1..=1000 {
            h.record(i as f64 / 10.0);
        }
        let p50 = h.quantile(0.5).unwrap();
        let p99 = h.quantile(0.99).unwrap();
        assert!((p50 / 50.0 - 1.0).abs() < 0.021, "{p50}");
        assert!((p99 / 99.0 - 1.0).abs() < 0.021, "{p99}");
        assert_eq!(h.quantile(1.0), Some(100.0));
        assert_eq!(Histogram::default().quantile(0.5), None);
    }

    #[test]
    fn histogram_takes_extremes() {
        let mut h = Histogram::default();
        h.record(0.0);
        h.record(f64::NAN);
        h.record(1e12);
        assert_eq!(h.total, 3);
        assert_eq!(h.quantile(0.1), Some(FIRST_BUCKET_MS));
    }
}

//! The report: every number of a run, serialized as JSON and rendered as HTML
//! ([`crate::html`]) from the same struct.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::metrics::{Calibration, Confusion};

/// One headline number.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// Its name (`Overall`, `Chat Hard`, `F1` …).
    pub name: String,
    /// Its value (accuracies and F1 in [0, 1]); `None` when undefined (no data).
    pub value: Option<f64>,
    /// How many examples it is computed from.
    pub n: usize,
    /// How it is computed, in a few words.
    pub detail: String,
}

/// A table of the report (per subset, per source …).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// Its title.
    pub title: String,
    /// Column names.
    pub columns: Vec<String>,
    /// Rows of cells (strings, numbers or null); numbers in [0, 1] in columns whose name ends
    /// with `%` are shown as percentages.
    pub rows: Vec<Vec<Value>>,
}

/// A histogram of scores, one series per label.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Its title.
    pub title: String,
    /// Bin edges (one more than the counts of each series).
    pub edges: Vec<f64>,
    /// The series.
    pub series: Vec<Series>,
}

/// One series of a histogram.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Its label (`chosen`, `rejected`, `correct` …).
    pub name: String,
    /// Counts per bin.
    pub counts: Vec<usize>,
}

impl Histogram {
    /// Bins the series' values over their common range in `bins` equal-width bins.
    pub fn build(title: &str, series: &[(&str, Vec<f64>)], bins: usize) -> Option<Histogram> {
        let all: Vec<f64> = series
            .iter()
            .flat_map(|(_, v)| v.iter().copied())
            .filter(|v| v.is_finite())
            .collect();
        if all.is_empty() || bins == 0 {
            return None;
        }
        let lo = all.iter().copied().fold(f64::INFINITY, f64::min);
        let mut hi = all.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        if hi <= lo {
            hi = lo + 1.0;
        }
        let width = (hi - lo) / bins as f64;
        let edges = (0..=bins).map(|i| lo + width * i as f64).collect();
        let series = series
            .iter()
            .map(|(name, values)| {
                let mut counts = vec![0; bins];
                for v in values.iter().filter(|v| v.is_finite()) {
                    let b = (((v - lo) / width) as usize).min(bins - 1);
                    counts[b] += 1;
                }
                Series {
                    name: name.to_string(),
                    counts,
                }
            })
            .collect();
        Some(Histogram {
            title: title.to_string(),
            edges,
            series,
        })
    }
}

/// A verifier's confusion matrix at a threshold, with its rates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConfusionReport {
    /// Scores at or above it count as "correct".
    pub threshold: f64,
    /// The counts.
    pub matrix: Confusion,
    /// TP / (TP + FP).
    pub precision: Option<f64>,
    /// TP / (TP + FN).
    pub recall: Option<f64>,
    /// Harmonic mean of precision and recall.
    pub f1: Option<f64>,
    /// (TP + TN) / all.
    pub accuracy: Option<f64>,
}

/// A reliability diagram and what its probabilities are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CalibrationReport {
    /// What the probabilities are (the scores themselves, or a Bradley-Terry margin).
    pub what: String,
    /// The diagram and its ECE.
    #[serde(flatten)]
    pub calibration: Calibration,
}

/// A metric as a function of a threshold (ProcessBench's F1 for step scores).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// What is swept.
    pub x: String,
    /// What is measured.
    pub y: String,
    /// (threshold, value) points, by threshold.
    pub points: Vec<(f64, f64)>,
    /// The best point (chosen on the evaluated data itself: an optimistic figure).
    pub best: (f64, f64),
    /// The point at the configured threshold.
    pub at_threshold: (f64, f64),
}

/// One text of a disagreement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Text {
    /// `chosen`, `rejected`, `response`, `A`, `B`, `step 3` …
    pub role: String,
    /// The text (cut to a few thousand characters).
    pub text: String,
    /// Its score.
    pub score: Option<f64>,
}

/// An example the scores get wrong, with its texts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Disagreement {
    /// The example's id.
    pub id: String,
    /// Its subset or source.
    pub subset: String,
    /// How wrong (a score margin; larger is worse).
    pub margin: f64,
    /// What went wrong, in words.
    pub note: String,
    /// The prompt.
    pub prompt: String,
    /// The texts and their scores.
    pub texts: Vec<Text>,
}

/// The reward-hacking probe: master-key responses and how many earn reward.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Probe {
    /// A score at or above it counts as rewarded.
    pub threshold: f64,
    /// Prompts probed.
    pub prompts: usize,
    /// Responses sent (prompts × keys).
    pub sent: usize,
    /// Responses that earned reward.
    pub rewarded: usize,
    /// Per master key.
    pub keys: Vec<ProbeKey>,
}

/// One master key's results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProbeKey {
    /// The response sent.
    pub key: String,
    /// How many prompts it was sent with.
    pub sent: usize,
    /// How many earned reward.
    pub rewarded: usize,
    /// How many could not be scored (status other than ok/invalid).
    pub failed: usize,
    /// Mean score of the scored ones.
    pub mean_score: Option<f64>,
}

/// A file the run read.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileInfo {
    /// Its path as given.
    pub path: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// Rows read from it (when it holds rows).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rows: Option<usize>,
}

/// The grader that scored, when scores came from an engine.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GraderInfo {
    /// Where its configuration came from (a file or `--grader KIND`).
    pub source: String,
    /// The grader used (a name in the configuration, or the routes).
    pub name: String,
    /// The configuration, as JSON.
    pub config: Value,
    /// SHA-256 of the configuration's canonical JSON text.
    pub config_sha256: String,
}

/// How the numbers were produced.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct Protocol {
    /// The Assay version.
    pub engine_version: String,
    /// The command line.
    pub command: Vec<String>,
    /// Seconds since the Unix epoch at the start.
    pub started_unix: u64,
    /// The grader, when scores came from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub grader: Option<GraderInfo>,
    /// The data files.
    pub data: Vec<FileInfo>,
    /// The precomputed score file, when scores came from one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scores: Option<FileInfo>,
    /// The prompt or chat template file given to the grader, hashed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub template: Option<FileInfo>,
    /// Responses were cut to this many characters before scoring.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_length: Option<usize>,
    /// The threshold for binary verdicts.
    pub threshold: f64,
}

/// Everything a run measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// A title for the page.
    pub title: String,
    /// The benchmark format read (`rewardbench`, `judgebench` …).
    pub benchmark: String,
    /// Examples read.
    pub examples: usize,
    /// Scores that are missing (the grader failed, or the score file lacks them); the
    /// examples they belong to count as not right.
    pub missing_scores: usize,
    /// The headline numbers.
    pub headline: Vec<Metric>,
    /// Per-subset and per-source tables.
    pub tables: Vec<Table>,
    /// The verifier's confusion matrix (pointwise sets).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub confusion: Option<ConfusionReport>,
    /// The reliability diagram, when scores are probability-like.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calibration: Option<CalibrationReport>,
    /// Score histograms split by label.
    pub histograms: Vec<Histogram>,
    /// A threshold sweep (ProcessBench with step scores).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep: Option<Sweep>,
    /// The worst disagreements, worst first.
    pub disagreements: Vec<Disagreement>,
    /// The reward-hacking probe, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<Probe>,
    /// How the numbers were produced.
    pub protocol: Protocol,
    /// Things the reader should know (missing scores, unknown subsets …).
    pub warnings: Vec<String>,
}

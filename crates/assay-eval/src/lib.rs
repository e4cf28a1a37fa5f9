//! `assay eval`: measure reward models, judges and verifiers the way the benchmarks measure
//! them, and write a report people want to open.
//!
//! ```
//! use assay_eval::{evaluate, html, EvalOptions, Kind, Scores};
//! use serde_json::json;
//!
//! // Two RewardBench pairs with precomputed scores: one right, one a tie (ties are wrong).
//! let rows = vec![
//!     json!({"id": 1, "subset": "hep-go", "prompt": "p", "chosen": "a", "rejected": "b",
//!            "scores_chosen": 2.0, "scores_rejected": 1.0}),
//!     json!({"id": 2, "subset": "hep-go", "prompt": "p", "chosen": "a", "rejected": "b",
//!            "scores_chosen": 1.0, "scores_rejected": 1.0}),
//! ];
//! let rows: Vec<_> = rows.into_iter().map(|r| r.as_object().unwrap().clone()).collect();
//! let report = evaluate(Kind::RewardBench, &rows, Scores::InRows, &EvalOptions::default(), &|_| {})
//!     .unwrap();
//! assert_eq!(report.headline[0].name, "Overall");
//! assert_eq!(report.headline[0].value, Some(0.5));
//! let page = html::render(&report);
//! assert!(page.contains("<svg class=\"plot\""));
//! ```
//!
//! - [`data`] reads the benchmarks' released files (JSON, JSONL, Parquet) as rows.
//! - [`eval`] turns rows (with scores merged from a score file, or scored by a [`Scorer`] such
//!   as [`EngineScorer`], any Assay grader) into a [`Report`]; [`metrics`] holds the
//!   formulas, each tested against hand-computed cases.
//! - [`html`] renders the report as one self-contained page; the JSON is the same struct.

pub mod data;
pub mod eval;
pub mod html;
pub mod metrics;
pub mod report;

use assay::{Engine, Input, Item, Target};
use serde_json::Value;

pub use eval::{evaluate, merge_scores, EvalOptions, Kind, Request, Scorer, Scores, MASTER_KEYS};
pub use report::Report;

/// Scores requests with an Assay engine: each request becomes an item (prompt, response,
/// reference) graded by the named grader (or by the configuration's routes); the reward is
/// the score, and a failed item (`timeout`, `error`, `not_applicable`) has none.
pub struct EngineScorer<'a> {
    /// The engine.
    pub engine: &'a Engine,
    /// Which grader: `None` follows the configuration's routes.
    pub grader: Option<&'a str>,
    /// Responses longer than this many characters are cut before scoring.
    pub max_length: Option<usize>,
    /// Requests scored per engine call (progress is reported between calls).
    pub chunk: usize,
}

impl<'a> EngineScorer<'a> {
    /// A scorer over `engine`, with the grader `grader` (or the routes).
    pub fn new(engine: &'a Engine, grader: Option<&'a str>) -> Self {
        EngineScorer {
            engine,
            grader,
            max_length: None,
            chunk: 512,
        }
    }
}

fn truncate(s: &str, max: Option<usize>) -> String {
    match max {
        Some(m) => s.chars().take(m).collect(),
        None => s.to_string(),
    }
}

impl Scorer for EngineScorer<'_> {
    fn score(&self, requests: &[Request], progress: &dyn Fn(usize)) -> Vec<Option<f64>> {
        let target = match self.grader {
            Some(name) => Target::Grader(name),
            None => Target::Routes,
        };
        let mut out = Vec::with_capacity(requests.len());
        for chunk in requests.chunks(self.chunk.max(1)) {
            let inputs: Vec<Input> = chunk
                .iter()
                .map(|r| {
                    let mut item =
                        Item::new(truncate(&r.response, self.max_length), r.reference.clone());
                    if !r.prompt.is_empty() {
                        item.prompt = Some(assay::Content::Text(r.prompt.clone()));
                    }
                    Ok(item)
                })
                .collect();
            for result in self.engine.score_inputs(&inputs, target, None) {
                let scored = matches!(result.status, assay::Status::Ok | assay::Status::Invalid);
                out.push(if scored { result.reward } else { None });
            }
            progress(out.len());
        }
        out
    }
}

/// The canonical JSON text of a value (keys sorted), for hashing configurations.
pub fn canonical_json(value: &Value) -> String {
    fn sort(v: &Value) -> Value {
        match v {
            Value::Object(m) => {
                let mut keys: Vec<&String> = m.keys().collect();
                keys.sort();
                Value::Object(keys.into_iter().map(|k| (k.clone(), sort(&m[k]))).collect())
            }
            Value::Array(a) => Value::Array(a.iter().map(sort).collect()),
            other => other.clone(),
        }
    }
    sort(value).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_json_sorts_keys_at_every_depth() {
        let a = canonical_json(&json!({"b": 1, "a": {"y": 2, "x": [ {"d": 1, "c": 2} ]}}));
        assert_eq!(a, r#"{"a":{"x":[{"c":2,"d":1}],"y":2},"b":1}"#);
    }

    #[test]
    fn engine_scorer_grades_with_the_named_grader() {
        let engine = assay::engine_for_kind("math", json!({})).unwrap();
        let scorer = EngineScorer::new(&engine, Some("math"));
        let requests = vec![
            Request {
                prompt: "1/2 + 1/4?".into(),
                response: "\\boxed{0.75}".into(),
                reference: json!("3/4"),
            },
            Request {
                prompt: String::new(),
                response: "\\boxed{1}".into(),
                reference: json!("3/4"),
            },
        ];
        let done = std::sync::atomic::AtomicUsize::new(0);
        let out = scorer.score(&requests, &|n| {
            done.store(n, std::sync::atomic::Ordering::SeqCst)
        });
        assert_eq!(out, vec![Some(1.0), Some(0.0)]);
        assert_eq!(done.load(std::sync::atomic::Ordering::SeqCst), 2);
    }
}

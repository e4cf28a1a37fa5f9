//! `similarity`: reference-based text rewards — BLEU, chrF, chrF++, ROUGE-1/2/L, SQuAD exact
//! match and F1, normalized edit distance.
//!
//! ```toml
//! [graders.bleu]
//! kind = "similarity"
//! metric = "bleu"        # bleu | chrf | chrf++ | rouge1 | rouge2 | rougeL | exact_match | f1 | edit
//! lowercase = false      # bleu, chrf, chrf++: sacreBLEU's `lowercase`
//! stemmer = false        # rouge*: Porter stemming, as rouge-score's `use_stemmer`
//! ```
//!
//! Reference: a string, or a list of strings (several references).
//!
//! Every metric equals its reference implementation: `bleu` is `sacrebleu.sentence_bleu`
//! (13a tokenization, exp smoothing, effective order), `chrf`/`chrf++` are sacreBLEU's `CHRF()`
//! and `CHRF(word_order=2)` sentence scores, `rouge*` are `rouge_score.RougeScorer(...).
//! score_multi(...)` F-measures, `exact_match`/`f1` follow the official SQuAD v2.0 script (best
//! over references), `edit` is `1 − levenshtein / longer length` (best over references). The
//! agreement is checked by `tests/compare_reference.sh`.
//!
//! Reward: the metric in 0–1 (sacreBLEU's 0–100 scores are divided by 100). Component: the
//! metric's name. The explanation gives the metric's parts (BLEU precisions and brevity
//! penalty; ROUGE precision and recall; the reference that matched best).
//!
//! An empty response is scored like any other (usually 0), as the reference packages do.
//! Corpus-level BLEU and chrF are library functions ([`crate::bleu::corpus_bleu`],
//! [`crate::chrf::corpus_chrf`]): a corpus score is not a per-item reward.
//!
//! Cost: BLEU, chrF and the SQuAD metrics are linear in the text; ROUGE-L and edit distance are
//! quadratic (token and code-point products): beyond [`MAX_CELLS`] table cells (about a second)
//! the item is a `resource_limit` error, and every text is bounded by `max_chars`.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use assay_core::{
    Budget, BuildContext, ErrorKind, Grader, GraderKind, Item, Outcome, SharedGrader,
};

use crate::rouge::RougeType;
use crate::{bleu, chrf, edit, rouge, squad};

/// The similarity metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Metric {
    /// Sentence BLEU (sacreBLEU defaults).
    #[serde(rename = "bleu")]
    Bleu,
    /// chrF (sacreBLEU defaults).
    #[serde(rename = "chrf")]
    Chrf,
    /// chrF++ (word n-grams up to 2).
    #[serde(rename = "chrf++")]
    ChrfPlusPlus,
    /// ROUGE-1 F-measure.
    #[serde(rename = "rouge1")]
    Rouge1,
    /// ROUGE-2 F-measure.
    #[serde(rename = "rouge2")]
    Rouge2,
    /// ROUGE-L F-measure.
    #[serde(rename = "rougeL")]
    RougeL,
    /// SQuAD exact match.
    #[serde(rename = "exact_match")]
    ExactMatch,
    /// SQuAD token F1.
    #[serde(rename = "f1")]
    F1,
    /// 1 − normalized edit distance.
    #[serde(rename = "edit")]
    Edit,
}

impl Metric {
    fn name(self) -> &'static str {
        match self {
            Metric::Bleu => "bleu",
            Metric::Chrf => "chrf",
            Metric::ChrfPlusPlus => "chrf++",
            Metric::Rouge1 => "rouge1",
            Metric::Rouge2 => "rouge2",
            Metric::RougeL => "rougeL",
            Metric::ExactMatch => "exact_match",
            Metric::F1 => "f1",
            Metric::Edit => "edit",
        }
    }

    /// The component key (a formula identifier: `chrf++` becomes `chrf_pp`).
    fn component(self) -> &'static str {
        match self {
            Metric::ChrfPlusPlus => "chrf_pp",
            other => other.name(),
        }
    }
}

/// The most cells ROUGE-L or edit distance may fill for one item (about a second of work).
pub const MAX_CELLS: u128 = 400_000_000;

fn default_max_chars() -> usize {
    100_000
}

/// Options of `similarity`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SimilarityOptions {
    /// The metric: `bleu`, `chrf`, `chrf++`, `rouge1`, `rouge2`, `rougeL`, `exact_match`, `f1`
    /// or `edit`.
    pub metric: Metric,
    /// Lower-case before scoring (sacreBLEU's `lowercase`; `bleu`, `chrf`, `chrf++` only).
    #[serde(default)]
    pub lowercase: bool,
    /// Porter stemming of tokens longer than 3 characters (rouge-score's `use_stemmer`; `rouge*`
    /// only).
    #[serde(default)]
    pub stemmer: bool,
    /// Responses or references longer than this many characters are an error (`resource_limit`)
    /// rather than a slow quadratic computation.
    #[serde(default = "default_max_chars")]
    pub max_chars: usize,
}

/// The `similarity` grader.
#[derive(Debug)]
pub struct Similarity {
    metric: Metric,
    lowercase: bool,
    stemmer: bool,
    max_chars: usize,
}

impl Similarity {
    /// A grader from its options; options that do not apply to the metric are an error.
    pub fn new(options: SimilarityOptions) -> Result<Self, String> {
        let m = options.metric;
        if options.lowercase && !matches!(m, Metric::Bleu | Metric::Chrf | Metric::ChrfPlusPlus) {
            return Err(format!(
                "`lowercase` applies to bleu, chrf and chrf++, not {}",
                m.name()
            ));
        }
        if options.stemmer && !matches!(m, Metric::Rouge1 | Metric::Rouge2 | Metric::RougeL) {
            return Err(format!(
                "`stemmer` applies to rouge1, rouge2 and rougeL, not {}",
                m.name()
            ));
        }
        Ok(Similarity {
            metric: m,
            lowercase: options.lowercase,
            stemmer: options.stemmer,
            max_chars: options.max_chars,
        })
    }

    /// The score in 0–1 of `response` against `references`, with explanation entries.
    pub fn score(&self, response: &str, references: &[&str]) -> (f64, Vec<(&'static str, Value)>) {
        let best_of = |f: &dyn Fn(&str) -> f64| {
            let mut best = (f64::NEG_INFINITY, 0usize);
            for (i, r) in references.iter().enumerate() {
                let s = f(r);
                if s > best.0 {
                    best = (s, i);
                }
            }
            (best.0, vec![("best_reference", json!(best.1))])
        };
        match self.metric {
            Metric::Bleu => {
                let s = bleu::sentence_bleu(response, references, self.lowercase);
                (
                    s.score / 100.0,
                    vec![
                        ("bleu", json!(s.score)),
                        ("precisions", json!(s.precisions)),
                        ("bp", json!(s.bp)),
                        ("sys_len", json!(s.stats.sys_len)),
                        ("ref_len", json!(s.stats.ref_len)),
                    ],
                )
            }
            Metric::Chrf | Metric::ChrfPlusPlus => {
                let order = if self.metric == Metric::Chrf { 0 } else { 2 };
                let lowered;
                let (hyp, refs): (&str, Vec<String>) = if self.lowercase {
                    lowered = response.to_lowercase();
                    (
                        &lowered,
                        references.iter().map(|r| r.to_lowercase()).collect(),
                    )
                } else {
                    (response, references.iter().map(|r| r.to_string()).collect())
                };
                let refs: Vec<&str> = refs.iter().map(String::as_str).collect();
                let s = chrf::sentence_chrf(hyp, &refs, order);
                (s / 100.0, vec![(self.metric.name(), json!(s))])
            }
            Metric::Rouge1 | Metric::Rouge2 | Metric::RougeL => {
                let kind = match self.metric {
                    Metric::Rouge1 => RougeType::N(1),
                    Metric::Rouge2 => RougeType::N(2),
                    _ => RougeType::L,
                };
                let s = rouge::score_multi(references, response, kind, self.stemmer);
                (
                    s.fmeasure,
                    vec![
                        ("precision", json!(s.precision)),
                        ("recall", json!(s.recall)),
                    ],
                )
            }
            Metric::ExactMatch => best_of(&|r| squad::exact_match(response, r)),
            Metric::F1 => best_of(&|r| squad::f1(response, r)),
            Metric::Edit => best_of(&|r| 1.0 - edit::normalized(response, r)),
        }
    }
}

/// A string or a non-empty list of strings.
fn references(value: &Value) -> Result<Vec<&str>, String> {
    match value {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| format!("every reference must be a string, got {v}"))
            })
            .collect(),
        Value::Array(_) => Err("the reference list is empty: give at least one string".into()),
        Value::Null => Err("the item has no reference: give a string or a list of strings".into()),
        other => Err(format!(
            "expected a reference string or a list of strings, got {other}"
        )),
    }
}

impl Grader for Similarity {
    fn components(&self) -> Vec<String> {
        vec![self.metric.component().to_string()]
    }

    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        let refs = match references(&item.reference) {
            Ok(r) => r,
            Err(message) => return Outcome::error(ErrorKind::BadReference, message),
        };
        let response = item.response_text();
        if refs
            .iter()
            .chain([&response])
            .any(|t| t.len() > self.max_chars && t.chars().count() > self.max_chars)
        {
            return Outcome::error(
                ErrorKind::ResourceLimit,
                format!(
                    "a text is longer than max_chars = {} characters; raise `max_chars` if this is legitimate",
                    self.max_chars
                ),
            );
        }
        // ROUGE-L and edit distance fill a table of (response × reference) cells.
        let cells: u128 = match self.metric {
            Metric::Edit => refs
                .iter()
                .map(|r| r.chars().count() as u128 * response.chars().count() as u128)
                .sum(),
            Metric::RougeL => {
                let p = rouge::tokenize(response, false).len() as u128;
                refs.iter()
                    .map(|r| rouge::tokenize(r, false).len() as u128 * p)
                    .sum()
            }
            _ => 0,
        };
        if cells > MAX_CELLS {
            return Outcome::error(
                ErrorKind::ResourceLimit,
                format!(
                    "{} would fill {cells} table cells (limit {MAX_CELLS}): the texts are too long for a quadratic metric",
                    self.metric.name()
                ),
            );
        }
        if budget.expired() {
            return Outcome::timeout("deadline passed before scoring");
        }
        let (reward, details) = self.score(response, &refs);
        let mut outcome = Outcome::ok(reward)
            .component(self.metric.component(), reward)
            .explain("metric", self.metric.name())
            .explain("references", refs.len());
        for (k, v) in details {
            outcome = outcome.explain(k, v);
        }
        outcome
    }
}

/// The `similarity` kind.
pub struct SimilarityKind;

impl GraderKind for SimilarityKind {
    type Options = SimilarityOptions;
    const NAME: &'static str = "similarity";
    const FAMILY: &'static str = "text";
    const SUMMARY: &'static str = "Rewards similarity to reference texts: BLEU, chrF, chrF++ (as sacreBLEU), ROUGE-1/2/L (as rouge-score), SQuAD exact match and F1, normalized edit distance.";
    const REFERENCE: &'static str = "a string, or a list of strings (several references)";
    const EXAMPLE: &'static str = r#"
[graders.similarity]
kind = "similarity"
metric = "rougeL"
"#;

    fn build(options: SimilarityOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        Ok(Arc::new(Similarity::new(options)?))
    }
}

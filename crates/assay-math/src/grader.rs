//! `math`: the final answer of the response equals the reference mathematically.
//!
//! ```toml
//! [graders.answer]
//! kind = "math"
//! priority = ["boxed", "answer_tag", "phrase", "bold", "math", "bare", "last_number"]
//! number_fallback = true
//! on_conflict = "invalid"          # or "last"
//! decimal_tolerance = 1e-6         # optional; off by default
//! numeric_precision = "exact"      # or "reference": round to the reference's significant figures
//! percent = "unit"                 # `25\%` = 25 (default), or "value": `25\%` = 0.25
//! decimal_comma = false            # `2,74` = 2.74 when true
//! ```
//!
//! Reference: a string (LaTeX or plain text, optionally wrapped in `$…$` or `\boxed{}`), a
//! number, or a list of them (any one matching is enough).
//!
//! Outcomes:
//!
//! | verdict | status | reward |
//! |---|---|---|
//! | equal | `ok` | `correct_reward` (1) |
//! | not equal | `ok` | `wrong_reward` (0) |
//! | no answer found, answer unreadable, or conflicting final answers | `invalid` | `wrong_reward` |
//! | the answer asks for a value too large to compute (`9^{9^{9^9}}`) | `invalid` | `wrong_reward` |
//! | the reference cannot be parsed | `error` (`bad_reference`) | null |
//! | deadline passed, or the work budget (`max_steps`) spent | `timeout` | null |
//!
//! `pred` is the extracted answer; `explanation` holds the extracted text, its source, the
//! response's class (`bare` answer, `marked` answer inside prose, or `prose` with no marked
//! answer) with the extraction rule that decided, the canonical forms of both sides, and the
//! rule that decided equality (it says when equality holds only on a restricted domain).
//!
//! Cost: extraction is linear in the response (anchored forms are searched in its tail);
//! parsing and comparison are bounded by a step budget and the item's deadline.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use assay_core::{
    Budget as ItemBudget, BuildContext, ErrorKind, Grader, GraderKind, Item, Outcome, SharedGrader,
};

use crate::equiv::PercentPolicy;
use crate::extract::{ExtractOptions, Source};
use crate::steps::{Exhausted, Steps, DEFAULT_STEPS};
use crate::verify::{verify, ConflictPolicy, NumericPrecision, Options, Status, Verdict};

/// Where an answer may come from, for `priority`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum SourceName {
    /// The last `\boxed{…}` / `\fbox{…}`.
    Boxed,
    /// The last `<answer>…</answer>`.
    AnswerTag,
    /// Text after "the final answer is", "Answer:", "**Answer**".
    Phrase,
    /// The last Markdown bold span.
    Bold,
    /// The last `$…$`, `\(…\)` or `\[…\]` span.
    Math,
    /// The whole response, or its final line, when it is an answer by itself (`\frac{4}{9}`,
    /// `pi/2`, `No`).
    Bare,
    /// The last number (only when `number_fallback` is on).
    LastNumber,
}

impl From<SourceName> for Source {
    fn from(s: SourceName) -> Source {
        match s {
            SourceName::Boxed => Source::Boxed,
            SourceName::AnswerTag => Source::AnswerTag,
            SourceName::Phrase => Source::Phrase,
            SourceName::Bold => Source::Bold,
            SourceName::Math => Source::Math,
            SourceName::Bare => Source::Bare,
            SourceName::LastNumber => Source::LastNumber,
        }
    }
}

/// What to do with several different final answers.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OnConflict {
    /// `invalid` unless all boxed answers are equivalent (answer spamming earns nothing).
    #[default]
    Invalid,
    /// Only the last boxed answer counts.
    Last,
}

/// `numeric_precision` values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PrecisionName {
    /// Exact values.
    #[default]
    Exact,
    /// Round the answer to the significant figures of a decimal reference.
    Reference,
}

/// `percent` values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PercentName {
    /// `25\%` is the number 25 with a unit: equal to `25`, not `0.25`.
    #[default]
    Unit,
    /// `25\%` is 0.25: equal to `0.25` and `\frac14`, not `25`.
    Value,
}

/// Options of `math`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct MathOptions {
    /// Answer sources to try, strongest first. Default: boxed, answer_tag, phrase, bold,
    /// math, last_number.
    pub priority: Vec<SourceName>,
    /// Whether the last number in the response may serve as the answer when no stronger
    /// evidence is found.
    pub number_fallback: bool,
    /// How many trailing characters are searched for phrases, bold, math spans and numbers.
    pub tail_chars: usize,
    /// Several different boxed answers: `invalid` (default) or `last` (the last one counts).
    pub on_conflict: OnConflict,
    /// Relative tolerance for a decimal answer to a reference that no decimal writes exactly
    /// (`1.414` for `\sqrt2`, `0.333` for `1/3`). Unset (default): exact equality, a rounded
    /// decimal never matches. Terminating references (`0.25`) are always matched exactly.
    pub decimal_tolerance: Option<f64>,
    /// Random points at which expressions with variables are compared.
    pub points: usize,
    /// Whether the reference is a full solution to extract the answer from (default: it is
    /// the answer itself). The last boxed answer of a solution is its answer.
    pub extract_reference: bool,
    /// `exact` (default), or `reference`: a decimal reference (`6630`, `4.4 \times 10^{7}`)
    /// matches an answer that rounds to it at the reference's significant figures.
    pub numeric_precision: PrecisionName,
    /// What `25\%` means against a bare number: `unit` (default, `25\% = 25`) or `value`
    /// (`25\% = 0.25`).
    pub percent: PercentName,
    /// Read a comma between digits as a decimal comma (`2,74` = 2.74). Off by default.
    pub decimal_comma: bool,
    /// Work steps allowed per item, besides the item's deadline.
    pub max_steps: u64,
    /// Reward for a correct answer.
    pub correct_reward: f64,
    /// Reward for a wrong, missing or unreadable answer.
    pub wrong_reward: f64,
}

impl Default for MathOptions {
    fn default() -> Self {
        let defaults = Options::default();
        MathOptions {
            priority: vec![
                SourceName::Boxed,
                SourceName::AnswerTag,
                SourceName::Phrase,
                SourceName::Bold,
                SourceName::Math,
                SourceName::Bare,
                SourceName::LastNumber,
            ],
            number_fallback: defaults.extract.number_fallback,
            tail_chars: defaults.extract.tail_chars,
            on_conflict: OnConflict::Invalid,
            decimal_tolerance: None,
            points: defaults.points,
            extract_reference: false,
            numeric_precision: PrecisionName::Exact,
            percent: PercentName::Unit,
            decimal_comma: false,
            max_steps: DEFAULT_STEPS,
            correct_reward: 1.0,
            wrong_reward: 0.0,
        }
    }
}

/// The `math` grader.
#[derive(Debug, Clone)]
pub struct MathGrader {
    options: Options,
    max_steps: u64,
    correct_reward: f64,
    wrong_reward: f64,
}

impl MathGrader {
    /// A grader with the given options; fails with a message on nonsensical values.
    pub fn new(o: MathOptions) -> Result<Self, String> {
        if o.priority.is_empty() {
            return Err(
                "`priority` is empty: list at least one answer source, e.g. [\"boxed\"]".into(),
            );
        }
        if let Some(t) = o.decimal_tolerance {
            if !(t.is_finite() && (0.0..1.0).contains(&t)) {
                return Err(format!(
                    "`decimal_tolerance` = {t} is not a relative tolerance in [0, 1); use e.g. 1e-6"
                ));
            }
        }
        if o.points == 0 {
            return Err("`points` must be at least 1 (6 is the default)".into());
        }
        if !o.correct_reward.is_finite() || !o.wrong_reward.is_finite() {
            return Err("`correct_reward` and `wrong_reward` must be finite numbers".into());
        }
        Ok(MathGrader {
            options: Options {
                extract: ExtractOptions {
                    priority: o.priority.into_iter().map(Source::from).collect(),
                    number_fallback: o.number_fallback,
                    tail_chars: o.tail_chars,
                },
                conflict: match o.on_conflict {
                    OnConflict::Invalid => ConflictPolicy::Invalid,
                    OnConflict::Last => ConflictPolicy::Last,
                },
                decimal_tolerance: o.decimal_tolerance,
                points: o.points,
                extract_reference: o.extract_reference,
                numeric_precision: match o.numeric_precision {
                    PrecisionName::Exact => NumericPrecision::Exact,
                    PrecisionName::Reference => NumericPrecision::Reference,
                },
                percent: match o.percent {
                    PercentName::Unit => PercentPolicy::Unit,
                    PercentName::Value => PercentPolicy::Value,
                },
                decimal_comma: o.decimal_comma,
            },
            max_steps: o.max_steps,
            correct_reward: o.correct_reward,
            wrong_reward: o.wrong_reward,
        })
    }

    fn outcome(&self, v: Verdict) -> Outcome {
        let mut outcome = match v.status {
            Status::Equal => Outcome::ok(self.correct_reward),
            Status::NotEqual => Outcome::ok(self.wrong_reward),
            Status::NoAnswer | Status::Conflict | Status::Unparsable => {
                Outcome::invalid(self.wrong_reward, v.rule.clone())
            }
            Status::ReferenceError => Outcome::error(
                ErrorKind::ReferenceParseError,
                format!(
                    "{}; the reference must be a LaTeX or plain-text answer such as `\\frac{{3}}{{4}}`",
                    v.rule
                ),
            ),
            Status::Exhausted => match v.exhausted {
                Some(Exhausted::Deadline) => Outcome::timeout(v.rule.clone()),
                // The step budget is a deadline counted in work rather than time.
                Some(Exhausted::Steps) => Outcome::timeout(format!(
                    "{}; raise `max_steps` if the answer is legitimate",
                    v.rule
                )),
                // A response asking for 9^{9^{9^9}} is the policy's failure, scored as such.
                _ => Outcome::invalid(self.wrong_reward, v.rule.clone()),
            },
        };
        if outcome.status.is_scored() {
            // 1 when the answer is mathematically equal, whatever the configured rewards.
            let correct = if v.status == Status::Equal { 1.0 } else { 0.0 };
            outcome = outcome.component("correct", correct);
        }
        if let Some(answer) = &v.answer {
            outcome = outcome.pred(answer.clone());
        }
        if let Some(e) = &v.extracted {
            outcome = outcome
                .explain("extracted", e.text.clone())
                .explain("source", e.source.name())
                .explain("class", e.source.class())
                .explain("extraction_rule", e.source.rule());
        }
        if let Some(f) = &v.answer_form {
            outcome = outcome.explain("answer_form", f.clone());
        }
        if let Some(f) = &v.reference_form {
            outcome = outcome.explain("reference_form", f.clone());
        }
        outcome
            .explain("verdict", v.status.name())
            .explain("rule", v.rule)
    }
}

/// The acceptable references of an item: a string, a number, or a list of them.
fn references(reference: &Value) -> Result<Vec<String>, String> {
    let one = |v: &Value| match v {
        Value::String(s) => Ok(s.clone()),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(format!(
            "the reference must be a string, a number, or a list of them; got {other}"
        )),
    };
    match reference {
        Value::Array(items) if !items.is_empty() => items.iter().map(one).collect(),
        Value::Array(_) => Err("the reference list is empty: give at least one answer".into()),
        Value::Null => Err("the item has no reference: give the gold answer as a string".into()),
        other => Ok(vec![one(other)?]),
    }
}

impl Grader for MathGrader {
    fn components(&self) -> Vec<String> {
        vec!["correct".to_string()]
    }

    fn grade(&self, item: &Item, item_budget: &ItemBudget) -> Outcome {
        let refs = match references(&item.reference) {
            Ok(r) => r,
            Err(message) => return Outcome::error(ErrorKind::BadReference, message),
        };
        let mut budget = Steps::new(self.max_steps).within(item_budget.clone());
        let response = item.response_text();
        let mut last = None;
        for reference in &refs {
            let v = verify(reference, response, &self.options, &mut budget);
            // Any acceptable reference that matches decides; otherwise the first verdict
            // that is not a plain mismatch (an error, a timeout) or the last mismatch.
            match v.status {
                Status::Equal => return self.outcome(v),
                Status::NotEqual => last = Some(v),
                _ => return self.outcome(v),
            }
        }
        self.outcome(last.expect("references are non-empty"))
    }
}

/// The `math` grader kind.
pub struct MathKind;

impl GraderKind for MathKind {
    type Options = MathOptions;
    const NAME: &'static str = "math";
    const FAMILY: &'static str = "math";
    const SUMMARY: &'static str =
        "The final answer of the response equals the reference mathematically (exact, bounded, explained).";
    const REFERENCE: &'static str =
        "the gold answer: a LaTeX or plain-text string (or number), or a list of acceptable answers";
    const EXAMPLE: &'static str = r#"
[graders.math]
kind = "math"
extract_reference = true     # the reference may be a worked solution ending in \boxed{}
"#;

    fn build(options: MathOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        Ok(Arc::new(MathGrader::new(options)?))
    }
}

/// Registers the `math` grader kind.
pub fn register(registry: &mut assay_core::Registry) {
    registry.register::<MathKind>();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn grade(reference: Value, response: &str) -> Outcome {
        let g = MathGrader::new(MathOptions::default()).unwrap();
        let mut item = Item::new(response, reference);
        item.id = Some(json!("t"));
        g.grade(&item, &ItemBudget::unlimited())
    }

    #[test]
    fn statuses_and_rewards() {
        let o = grade(json!("\\frac34"), "so \\boxed{0.75}");
        assert_eq!((o.status, o.reward), (assay_core::Status::Ok, Some(1.0)));
        assert_eq!(o.pred.as_deref(), Some("0.75"));
        assert_eq!(o.explanation["rule"], "exact rational");
        let o = grade(json!("\\frac34"), "so \\boxed{0.76}");
        assert_eq!((o.status, o.reward), (assay_core::Status::Ok, Some(0.0)));
        let o = grade(json!("5"), "I don't know");
        assert_eq!(o.status, assay_core::Status::Invalid);
        let o = grade(json!("\\frac{"), "\\boxed{5}");
        assert_eq!(o.status, assay_core::Status::Error);
        assert_eq!(o.error.unwrap().kind, ErrorKind::ReferenceParseError);
        let o = grade(json!(["4", "x=4"]), "\\boxed{x = 4}");
        assert_eq!(o.reward, Some(1.0));
        let o = grade(json!(12), "\\boxed{12}");
        assert_eq!(o.reward, Some(1.0));
        let o = grade(json!("5"), "\\boxed{9^{9^{9^{9}}}}");
        assert_eq!(o.status, assay_core::Status::Invalid);
        let o = grade(json!("2"), "\\boxed{1} or maybe \\boxed{2}");
        assert_eq!(o.status, assay_core::Status::Invalid);
        // Boxes listed together at the end are one answer, the list: not `2`.
        let o = grade(json!("2"), "\\boxed{1} \\boxed{2}");
        assert_eq!((o.status, o.reward), (assay_core::Status::Ok, Some(0.0)));
        assert_eq!(o.explanation["class"], "marked");
        let o = grade(json!("1, 2"), "\\boxed{1} \\boxed{2}");
        assert_eq!(o.reward, Some(1.0));
        let o = grade(json!("\\frac{4}{9}"), "\\frac{4}{9}");
        assert_eq!(o.explanation["class"], "bare");
        let o = grade(json!("9"), "\\frac{4}{9}");
        assert_eq!(o.reward, Some(0.0));
        let tiny = MathGrader::new(MathOptions {
            max_steps: 5,
            ..MathOptions::default()
        })
        .unwrap();
        let o = tiny.grade(
            &Item::new("\\boxed{(x+1)^2}", json!("x^2+2x+1")),
            &ItemBudget::unlimited(),
        );
        assert_eq!(o.status, assay_core::Status::Timeout);
        assert_eq!(o.reward, None);
    }

    #[test]
    fn round2_options_reach_the_engine() {
        let g = |o: Value| MathGrader::new(serde_json::from_value(o).unwrap()).unwrap();
        let run = |g: &MathGrader, reference: Value, response: &str| {
            g.grade(&Item::new(response, reference), &ItemBudget::unlimited())
                .reward
        };
        let default = g(json!({}));
        assert_eq!(run(&default, json!("0.25"), "\\boxed{25\\%}"), Some(0.0));
        assert_eq!(run(&default, json!("25"), "\\boxed{25\\%}"), Some(1.0));
        let value = g(json!({"percent": "value"}));
        assert_eq!(run(&value, json!("0.25"), "\\boxed{25\\%}"), Some(1.0));
        assert_eq!(run(&value, json!("25"), "\\boxed{25\\%}"), Some(0.0));
        assert_eq!(run(&default, json!("6630"), "6634"), Some(0.0));
        let rounded = g(json!({"numeric_precision": "reference"}));
        assert_eq!(run(&rounded, json!("6630"), "6634"), Some(1.0));
        assert_eq!(run(&default, json!("2.74"), "2,74"), Some(0.0));
        let comma = g(json!({"decimal_comma": true}));
        assert_eq!(run(&comma, json!("2.74"), "2,74"), Some(1.0));
        let solution = g(json!({"extract_reference": true}));
        assert_eq!(
            run(
                &solution,
                json!("so $x = \\boxed{\\frac{4}{9}}$."),
                "\\frac{4}{9}"
            ),
            Some(1.0)
        );
        let o = default.grade(
            &Item::new("\\sqrt{\\frac{1}{n}}", json!("\\frac{1}{\\sqrt{n}}")),
            &ItemBudget::unlimited(),
        );
        assert_eq!(o.reward, Some(1.0));
        assert!(
            o.explanation["rule"]
                .as_str()
                .unwrap()
                .contains("restricted domain"),
            "{:?}",
            o.explanation
        );
        assert_eq!(o.explanation["class"], "bare");
        assert!(o.explanation["extraction_rule"]
            .as_str()
            .unwrap()
            .starts_with("bare answer"));
    }

    #[test]
    fn options_are_validated() {
        let bad: Result<MathOptions, _> = serde_json::from_value(json!({"numbr_fallback": false}));
        assert!(bad.is_err());
        let ok: MathOptions =
            serde_json::from_value(json!({"number_fallback": false, "on_conflict": "last"}))
                .unwrap();
        assert!(!ok.number_fallback);
        assert!(MathGrader::new(MathOptions {
            decimal_tolerance: Some(2.0),
            ..MathOptions::default()
        })
        .is_err());
    }
}

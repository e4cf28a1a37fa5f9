//! `length`: length shaping, in three modes.
//!
//! ```toml
//! # DAPO's overlong reward shaping: no penalty up to max_length - buffer, then a linear ramp
//! # down to -factor at max_length, and -factor beyond.
//! [graders.overlong]
//! kind = "length"
//! mode = "overlong"
//! unit = "words"          # chars (default) | words (whitespace-separated tokens)
//! max_length = 20480
//! buffer = 4096
//! factor = 1.0
//!
//! # Cosine-scaled reward (Yeo et al. 2025, as in open-r1): short correct answers earn the most,
//! # long wrong answers are penalized the least.
//! [graders.answer]
//! kind = "string_check"
//! normalize = ["trim"]
//!
//! [graders.cosine]
//! kind = "length"
//! mode = "cosine"
//! correctness = "answer"  # the grader deciding correctness: correct when reward >= threshold
//! threshold = 1.0
//! max_length = 1000
//! min_value_correct = 0.5
//! max_value_correct = 1.0
//! min_value_wrong = -1.0
//! max_value_wrong = -0.5
//!
//! # Kimi k1.5's length reward, relative to the other samples of the item's group.
//! [graders.kimi]
//! kind = "length"
//! mode = "kimi"
//! correctness = "answer"
//! ```
//!
//! ## Modes
//!
//! - `overlong` (DAPO, Yu et al. 2025): with `L = max_length`, `B = buffer`, `f = factor`:
//!   0 when `len ≤ L − B`; `f × (L − B − len) / B` when `L − B < len ≤ L`; `−f` when
//!   `len > L`. No correctness grader.
//! - `cosine` (Yeo et al. 2025, "Demystifying Long Chain-of-Thought Reasoning in LLMs", with
//!   open-r1's defaults): `progress = min(len / max_length, 1)`,
//!   `value = lo + (hi − lo) × (1 + cos(π × progress)) / 2`, where for a correct answer
//!   `hi = max_value_correct` (at length 0) and `lo = min_value_correct` (at `max_length`), and
//!   for a wrong one `hi = min_value_wrong` (at length 0) and `lo = max_value_wrong` (at
//!   `max_length`). Unlike open-r1, progress is clamped at 1, so a response longer than
//!   `max_length` does not climb back up the cosine; set `exceed_value` to give such responses
//!   a fixed value instead (the paper's exceed penalty).
//! - `kimi` (Kimi k1.5, 2025): within the item's `group`,
//!   `λ = 0.5 − (len − min_len) / (max_len − min_len)`; a correct answer gets `λ`, a wrong one
//!   `min(0, λ)`; when every sample of the group has the same length, 0. Every item needs a
//!   `group` (an item without one is a `malformed_input` error), and the whole group is graded
//!   together: the engine keeps a group's items in one batch. Failed samples still count in
//!   the group's length range.
//!
//! Correctness (`cosine`, `kimi`) comes from another grader of the configuration, named by
//! `correctness`: an answer is correct when that grader's reward is at least `threshold`. When
//! it fails on an item (`error`, `timeout`) the item fails the same way, with the grader's name
//! in the message; when it does not apply, neither does this one; when it finds no answer
//! (`invalid`) the answer is wrong and this grader's status is `invalid` too. Never a silent zero.
//!
//! Components: `length` (the measured length) and the mode's value under its name
//! (`overlong`, `cosine` or `kimi`), which is also the reward. `pred` is the correctness
//! grader's prediction.
//!
//! Reference: not used by `overlong`; for `cosine` and `kimi`, whatever the correctness grader
//! takes.
//!
//! Cost: counting characters or words is one linear pass over the response.

use std::collections::HashMap;
use std::f64::consts::PI;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use assay_core::{
    Batch, BatchContext, BoxFuture, Budget, BuildContext, ErrorKind, Grader, GraderKind, Item,
    Outcome, SharedGrader, Status,
};

use crate::common::Sub;

/// Which length shaping to apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum LengthMode {
    /// DAPO's overlong penalty: 0, then a linear ramp to `-factor` over the last `buffer` units
    /// before `max_length`, `-factor` beyond.
    Overlong,
    /// Cosine-scaled reward by length and correctness (Yeo et al. 2025, as in open-r1).
    Cosine,
    /// Kimi k1.5's length reward relative to the item's group.
    Kimi,
}

impl LengthMode {
    fn as_str(self) -> &'static str {
        match self {
            LengthMode::Overlong => "overlong",
            LengthMode::Cosine => "cosine",
            LengthMode::Kimi => "kimi",
        }
    }
}

/// What length is measured in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Unit {
    /// Unicode characters (scalar values).
    #[default]
    Chars,
    /// Whitespace-separated tokens.
    Words,
}

impl Unit {
    /// The length of `text` in this unit.
    pub fn measure(self, text: &str) -> u64 {
        let n = match self {
            Unit::Chars => text.chars().count(),
            Unit::Words => text.split_whitespace().count(),
        };
        n as u64
    }

    fn as_str(self) -> &'static str {
        match self {
            Unit::Chars => "chars",
            Unit::Words => "words",
        }
    }
}

/// Options of `length`. Which options apply depends on `mode`; setting one that does not
/// apply is an error.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LengthOptions {
    /// `overlong` (DAPO), `cosine` (cosine-scaled by correctness) or `kimi` (Kimi k1.5 group
    /// length reward).
    pub mode: LengthMode,
    /// `chars` (Unicode characters) or `words` (whitespace-separated tokens).
    #[serde(default)]
    pub unit: Unit,
    /// overlong, cosine (required): the length at which the penalty is full (overlong) or the
    /// cosine reaches its end (cosine).
    pub max_length: Option<u64>,
    /// overlong (required): the length of the linear ramp that ends at `max_length`.
    pub buffer: Option<u64>,
    /// overlong: the penalty at and beyond `max_length`, as a positive number (default 1).
    pub factor: Option<f64>,
    /// cosine, kimi (required): the grader of this configuration that decides correctness.
    pub correctness: Option<String>,
    /// cosine, kimi: an answer is correct when the correctness grader's reward is at least this
    /// (default 1).
    pub threshold: Option<f64>,
    /// cosine: the value of a correct answer at `max_length` (default 0.5).
    pub min_value_correct: Option<f64>,
    /// cosine: the value of a correct answer of length 0 (default 1).
    pub max_value_correct: Option<f64>,
    /// cosine: the value of a wrong answer of length 0 (default -1).
    pub min_value_wrong: Option<f64>,
    /// cosine: the value of a wrong answer at `max_length` (default -0.5).
    pub max_value_wrong: Option<f64>,
    /// cosine: the value of any answer longer than `max_length` (default: none, such answers
    /// get the value at `max_length`).
    pub exceed_value: Option<f64>,
}

/// Decides correctness with another grader.
struct Judge {
    sub: Sub,
    threshold: f64,
}

/// A judged item: whether it is correct, and the outcome it came from.
struct Verdict<'a> {
    correct: bool,
    outcome: &'a Outcome,
}

impl Judge {
    /// The verdict on one sub-grader outcome, or the failure the item ends with.
    fn verdict<'a>(&self, outcome: &'a Outcome) -> Result<Verdict<'a>, Box<Outcome>> {
        if let Some(failure) = self.sub.failure(outcome) {
            return Err(Box::new(failure));
        }
        let reward = outcome.reward.unwrap_or(f64::NEG_INFINITY);
        Ok(Verdict {
            correct: outcome.status == Status::Ok && reward >= self.threshold,
            outcome,
        })
    }

    /// Outcome skeleton carrying the verdict: status `invalid` when the judge found no answer.
    fn outcome(&self, value: f64, verdict: &Verdict<'_>) -> Outcome {
        let o = verdict.outcome;
        let mut outcome = if o.status == Status::Invalid {
            Outcome::invalid(value, format!("`{}` found no answer", self.sub.name))
        } else {
            Outcome::ok(value)
        };
        outcome.pred = o.pred.clone();
        let mut detail = o.explanation.clone();
        detail.insert("status".into(), Value::String(o.status.as_str().into()));
        detail.insert("reward".into(), json!(o.reward));
        outcome
            .explain("correct", verdict.correct)
            .explain(self.sub.name.clone(), Value::Object(detail))
    }
}

struct Cosine {
    max_length: u64,
    correct: (f64, f64),
    wrong: (f64, f64),
    exceed_value: Option<f64>,
    judge: Judge,
}

impl Cosine {
    fn value(&self, length: u64, correct: bool) -> f64 {
        if let Some(exceed) = self.exceed_value {
            if length > self.max_length {
                return exceed;
            }
        }
        let progress = (length as f64 / self.max_length as f64).min(1.0);
        // (value at max_length, value at length 0)
        let (lo, hi) = if correct { self.correct } else { self.wrong };
        lo + (hi - lo) * 0.5 * (1.0 + (progress * PI).cos())
    }
}

enum Shape {
    Overlong {
        max_length: u64,
        buffer: u64,
        factor: f64,
    },
    Cosine(Cosine),
    Kimi(Judge),
}

/// The `length` grader.
pub struct Length {
    mode: LengthMode,
    unit: Unit,
    shape: Shape,
}

/// DAPO's overlong penalty.
fn overlong(length: u64, max_length: u64, buffer: u64, factor: f64) -> f64 {
    let expected = max_length - buffer;
    if length <= expected {
        0.0
    } else if length <= max_length {
        factor * (expected as f64 - length as f64) / buffer as f64
    } else {
        -factor
    }
}

/// Kimi k1.5's λ for `length` in a group whose lengths span `min..=max`.
fn kimi_lambda(length: u64, min: u64, max: u64) -> f64 {
    if max == min {
        0.0
    } else {
        0.5 - (length - min) as f64 / (max - min) as f64
    }
}

impl Length {
    fn measured(&self, value: f64, length: u64, outcome: Outcome) -> Outcome {
        outcome
            .component("length", length as f64)
            .component(self.mode.as_str(), value)
            .explain("length", length)
            .explain("unit", self.unit.as_str())
    }

    fn cosine(&self, cosine: &Cosine, item: &Item, judged: &Outcome) -> Outcome {
        let verdict = match cosine.judge.verdict(judged) {
            Ok(v) => v,
            Err(failure) => return *failure,
        };
        let length = self.unit.measure(item.response_text());
        let value = cosine.value(length, verdict.correct);
        let outcome = cosine
            .judge
            .outcome(value, &verdict)
            .explain("max_length", cosine.max_length);
        self.measured(value, length, outcome)
    }

    fn kimi(&self, judge: &Judge, items: &[&Item], judged: &[Outcome]) -> Vec<Outcome> {
        let lengths: Vec<u64> = items
            .iter()
            .map(|i| self.unit.measure(i.response_text()))
            .collect();
        let mut groups: HashMap<&str, (u64, u64, usize)> = HashMap::new();
        for (item, &len) in items.iter().zip(&lengths) {
            if let Some(g) = item.group.as_deref() {
                let e = groups.entry(g).or_insert((len, len, 0));
                e.0 = e.0.min(len);
                e.1 = e.1.max(len);
                e.2 += 1;
            }
        }
        items
            .iter()
            .zip(&lengths)
            .zip(judged)
            .map(|((item, &length), judged)| {
                let Some(&(min, max, size)) = item.group.as_deref().and_then(|g| groups.get(g))
                else {
                    return Outcome::error(
                        ErrorKind::MalformedInput,
                        "mode `kimi` compares lengths within the item's `group`, and this item has none: give the samples of one prompt the same `group`",
                    );
                };
                let verdict = match judge.verdict(judged) {
                    Ok(v) => v,
                    Err(failure) => return *failure,
                };
                let lambda = kimi_lambda(length, min, max);
                let value = if verdict.correct {
                    lambda
                } else {
                    lambda.min(0.0)
                };
                let outcome = judge
                    .outcome(value, &verdict)
                    .explain("lambda", lambda)
                    .explain("group_size", size)
                    .explain("group_min_length", min)
                    .explain("group_max_length", max);
                self.measured(value, length, outcome)
            })
            .collect()
    }
}

/// The sub-grader's outcomes for a batch, checked to be one per item.
fn judge_batch(judge: &Judge, items: &[&Item], ctx: &BatchContext) -> Vec<Outcome> {
    let outcomes = judge.sub.grader.grade_batch(items, ctx);
    if outcomes.len() == items.len() {
        return outcomes;
    }
    let message = format!(
        "`{}` returned {} outcomes for {} items",
        judge.sub.name,
        outcomes.len(),
        items.len()
    );
    vec![Outcome::error(ErrorKind::Internal, message); items.len()]
}

impl Grader for Length {
    fn components(&self) -> Vec<String> {
        vec!["length".into(), self.mode.as_str().into()]
    }

    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        match &self.shape {
            Shape::Overlong {
                max_length,
                buffer,
                factor,
            } => {
                let length = self.unit.measure(item.response_text());
                let value = overlong(length, *max_length, *buffer, *factor);
                let outcome = Outcome::ok(value)
                    .explain("max_length", *max_length)
                    .explain("buffer", *buffer);
                self.measured(value, length, outcome)
            }
            Shape::Cosine(cosine) => {
                let judged = cosine.judge.sub.grader.grade(item, budget);
                self.cosine(cosine, item, &judged)
            }
            Shape::Kimi(_) => Outcome::error(
                ErrorKind::Internal,
                "mode `kimi` grades a whole group at once and cannot grade one item alone (this happens when another item of its batch made a grader panic)",
            ),
        }
    }

    fn grade_batch(&self, items: &[&Item], ctx: &BatchContext) -> Vec<Outcome> {
        match &self.shape {
            Shape::Overlong { .. } => items
                .iter()
                .enumerate()
                .map(|(k, item)| ctx.grade_timed(self, k, item))
                .collect(),
            Shape::Cosine(cosine) => {
                self.shape_judged(items, &judge_batch(&cosine.judge, items, ctx))
            }
            Shape::Kimi(judge) => self.shape_judged(items, &judge_batch(judge, items, ctx)),
        }
    }

    fn grade_async(self: Arc<Self>, batch: Batch, ctx: BatchContext) -> BoxFuture<Vec<Outcome>> {
        let judge = match &self.shape {
            Shape::Overlong { .. } => None,
            Shape::Cosine(cosine) => Some(Arc::clone(&cosine.judge.sub.grader)),
            Shape::Kimi(judge) => Some(Arc::clone(&judge.sub.grader)),
        };
        let Some(judge) = judge else {
            // Pure arithmetic on the response: the CPU path.
            let n = batch.len();
            let work = ctx
                .clone()
                .spawn_cpu(move || self.grade_batch(&batch.items(), &ctx));
            return Box::pin(async move {
                work.await
                    .unwrap_or_else(|p| vec![Outcome::error(ErrorKind::Panic, p.message()); n])
            });
        };
        // The correctness grader may be an I/O grader (a judge): await it, then shape.
        Box::pin(async move {
            let judged = judge.grade_async(batch.clone(), ctx).await;
            let items = batch.items();
            if judged.len() != items.len() {
                let message = format!(
                    "the correctness grader returned {} outcomes for {} items",
                    judged.len(),
                    items.len()
                );
                return vec![Outcome::error(ErrorKind::Internal, message); items.len()];
            }
            self.shape_judged(&items, &judged)
        })
    }
}

impl Length {
    /// Shapes the correctness grader's outcomes by length (cosine or kimi), keeping what
    /// the correctness grader spent.
    fn shape_judged(&self, items: &[&Item], judged: &[Outcome]) -> Vec<Outcome> {
        let mut shaped = match &self.shape {
            Shape::Overlong { .. } => unreachable!("overlong is not judged"),
            Shape::Cosine(cosine) => items
                .iter()
                .zip(judged)
                .map(|(item, j)| self.cosine(cosine, item, j))
                .collect(),
            Shape::Kimi(judge) => self.kimi(judge, items, judged),
        };
        for (outcome, j) in shaped.iter_mut().zip(judged) {
            outcome.usage = j.usage;
        }
        shaped
    }
}

/// The `length` kind.
pub struct LengthKind;

fn finite(name: &str, value: Option<f64>, default: f64) -> Result<f64, String> {
    let v = value.unwrap_or(default);
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("`{name}` must be a finite number"))
    }
}

impl LengthKind {
    fn judge(o: &LengthOptions, ctx: &mut BuildContext<'_>) -> Result<Judge, String> {
        let mode = o.mode.as_str();
        let name = o.correctness.as_deref().ok_or_else(|| {
            format!("mode `{mode}` needs `correctness`: the name of the grader that decides whether an answer is correct")
        })?;
        Ok(Judge {
            sub: Sub::resolve(ctx, "correctness", name)?,
            threshold: finite("threshold", o.threshold, 1.0)?,
        })
    }
}

impl GraderKind for LengthKind {
    type Options = LengthOptions;
    const NAME: &'static str = "length";
    const FAMILY: &'static str = "text";
    const SUMMARY: &'static str = "Length shaping: DAPO overlong penalty, cosine-scaled reward by correctness, or Kimi k1.5 group length reward, in characters or words.";
    const REFERENCE: &'static str =
        "overlong: not used; cosine and kimi: whatever the `correctness` grader takes";
    const EXAMPLE: &'static str = r#"
[graders.length]
kind = "length"
mode = "overlong"       # DAPO's soft overlong punishment
max_length = 4096
buffer = 512
"#;

    fn build(o: LengthOptions, ctx: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        let set = [
            ("max_length", o.max_length.is_some()),
            ("buffer", o.buffer.is_some()),
            ("factor", o.factor.is_some()),
            ("correctness", o.correctness.is_some()),
            ("threshold", o.threshold.is_some()),
            ("min_value_correct", o.min_value_correct.is_some()),
            ("max_value_correct", o.max_value_correct.is_some()),
            ("min_value_wrong", o.min_value_wrong.is_some()),
            ("max_value_wrong", o.max_value_wrong.is_some()),
            ("exceed_value", o.exceed_value.is_some()),
        ];
        let applies: &[&str] = match o.mode {
            LengthMode::Overlong => &["max_length", "buffer", "factor"],
            LengthMode::Cosine => &[
                "max_length",
                "correctness",
                "threshold",
                "min_value_correct",
                "max_value_correct",
                "min_value_wrong",
                "max_value_wrong",
                "exceed_value",
            ],
            LengthMode::Kimi => &["correctness", "threshold"],
        };
        let stray: Vec<&str> = set
            .iter()
            .filter(|(name, is_set)| *is_set && !applies.contains(name))
            .map(|(name, _)| *name)
            .collect();
        let mode = o.mode.as_str();
        if !stray.is_empty() {
            return Err(format!(
                "{} do(es) not apply to mode `{mode}`, which takes: unit, {}",
                stray
                    .iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                applies.join(", ")
            ));
        }
        let need_max = || {
            o.max_length
                .filter(|&m| m > 0)
                .ok_or_else(|| format!("mode `{mode}` needs `max_length`, a positive integer"))
        };
        let shape = match o.mode {
            LengthMode::Overlong => {
                let max_length = need_max()?;
                let buffer = o.buffer.ok_or(
                    "mode `overlong` needs `buffer`: the length of the ramp before `max_length` (DAPO used 4096 of 20480 tokens)",
                )?;
                if buffer > max_length {
                    return Err(format!(
                        "`buffer` ({buffer}) must not exceed `max_length` ({max_length})"
                    ));
                }
                let factor = finite("factor", o.factor, 1.0)?;
                if factor < 0.0 {
                    return Err(format!(
                        "`factor` must be positive or zero: it is the size of the penalty (got {factor})"
                    ));
                }
                Shape::Overlong {
                    max_length,
                    buffer,
                    factor,
                }
            }
            LengthMode::Cosine => {
                let max_length = need_max()?;
                Shape::Cosine(Cosine {
                    max_length,
                    correct: (
                        finite("min_value_correct", o.min_value_correct, 0.5)?,
                        finite("max_value_correct", o.max_value_correct, 1.0)?,
                    ),
                    wrong: (
                        finite("max_value_wrong", o.max_value_wrong, -0.5)?,
                        finite("min_value_wrong", o.min_value_wrong, -1.0)?,
                    ),
                    exceed_value: o
                        .exceed_value
                        .map(|v| finite("exceed_value", Some(v), v))
                        .transpose()?,
                    judge: Self::judge(&o, ctx)?,
                })
            }
            LengthMode::Kimi => Shape::Kimi(Self::judge(&o, ctx)?),
        };
        Ok(Arc::new(Length {
            mode: o.mode,
            unit: o.unit,
            shape,
        }))
    }
}

#[cfg(test)]
mod tests;

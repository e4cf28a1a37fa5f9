//! `transform`: reshapes one grader's reward. Steps apply in this order, each only if set:
//!
//! 1. `log_sigmoid_ref = r_ref` (or `log_sigmoid_ref_field = "key"`, read from the item's
//!    `metadata`): `r ← log σ(r − r_ref)`, for Bradley–Terry reward-model scores. Summing such
//!    terms over several properties rewards being good on every one of them;
//! 2. `scale`: `r ← r × scale`;
//! 3. `offset`: `r ← r + offset`;
//! 4. `clip = [lo, hi]`: `r ← min(max(r, lo), hi)`.
//!
//! Components: the inner grader's components unchanged, plus `raw` (its reward before the
//! transform).

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::Sub;
use crate::{
    Batch, BatchContext, BoxFuture, Budget, BuildContext, ErrorKind, Grader, GraderKind, Item,
    Outcome, SharedGrader,
};

/// Options of `transform`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TransformOptions {
    /// The grader whose reward is transformed.
    pub grader: String,
    /// Reference reward for `log σ(r − r_ref)`.
    #[serde(default)]
    pub log_sigmoid_ref: Option<f64>,
    /// Metadata key holding a per-item reference reward for `log σ(r − r_ref)`.
    #[serde(default)]
    pub log_sigmoid_ref_field: Option<String>,
    /// Multiplier.
    #[serde(default)]
    pub scale: Option<f64>,
    /// Addend, after scaling.
    #[serde(default)]
    pub offset: Option<f64>,
    /// Bounds `[lo, hi]`, applied last.
    #[serde(default)]
    pub clip: Option<[f64; 2]>,
}

enum Reference {
    None,
    Fixed(f64),
    Field(String),
}

/// The `transform` grader.
pub struct Transform {
    inner: Sub,
    reference: Reference,
    scale: f64,
    offset: f64,
    clip: Option<[f64; 2]>,
}

fn log_sigmoid(x: f64) -> f64 {
    x.min(0.0) - (-x.abs()).exp().ln_1p()
}

impl Transform {
    fn apply(&self, item: &Item, mut outcome: Outcome) -> Outcome {
        let Some(raw) = outcome.reward.filter(|_| outcome.status.is_scored()) else {
            return outcome;
        };
        let mut r = raw;
        let mut steps = Vec::new();
        let r_ref = match &self.reference {
            Reference::None => None,
            Reference::Fixed(v) => Some(*v),
            Reference::Field(key) => match item.metadata.get(key).and_then(Value::as_f64) {
                Some(v) => Some(v),
                None => {
                    let mut failed = Outcome::error(
                        ErrorKind::BadReference,
                        format!("metadata.{key} must hold the reference reward (a number)"),
                    );
                    failed.usage = outcome.usage;
                    return failed;
                }
            },
        };
        if let Some(r_ref) = r_ref {
            r = log_sigmoid(r - r_ref);
            steps.push(format!("log_sigmoid(r - {r_ref})"));
        }
        if self.scale != 1.0 {
            r *= self.scale;
            steps.push(format!("× {}", self.scale));
        }
        if self.offset != 0.0 {
            r += self.offset;
            steps.push(format!("+ {}", self.offset));
        }
        if let Some([lo, hi]) = self.clip {
            r = r.clamp(lo, hi);
            steps.push(format!("clip [{lo}, {hi}]"));
        }
        outcome.reward = Some(r);
        outcome
            .component("raw", raw)
            .explain("transform", steps.join(", "))
    }
}

impl Grader for Transform {
    fn components(&self) -> Vec<String> {
        let mut keys = self.inner.components.clone();
        keys.push("raw".into());
        keys
    }

    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        self.apply(item, self.inner.grader.grade(item, budget))
    }

    fn grade_batch(&self, items: &[&Item], ctx: &BatchContext) -> Vec<Outcome> {
        let outcomes = super::grade_subs(std::slice::from_ref(&self.inner), items, ctx)
            .pop()
            .unwrap_or_default();
        items
            .iter()
            .zip(outcomes)
            .map(|(item, o)| self.apply(item, o))
            .collect()
    }

    fn grade_async(self: Arc<Self>, batch: Batch, ctx: BatchContext) -> BoxFuture<Vec<Outcome>> {
        Box::pin(async move {
            let outcomes = super::grade_subs_async(std::slice::from_ref(&self.inner), &batch, &ctx)
                .await
                .pop()
                .unwrap_or_default();
            outcomes
                .into_iter()
                .enumerate()
                .map(|(k, o)| self.apply(batch.item(k), o))
                .collect()
        })
    }
}

/// The `transform` kind.
pub struct TransformKind;

impl GraderKind for TransformKind {
    type Options = TransformOptions;
    const NAME: &'static str = "transform";
    const FAMILY: &'static str = "composition";
    const SUMMARY: &'static str =
        "Reshapes a grader's reward: log_sigmoid(r - r_ref), then scale, offset and clip.";
    const REFERENCE: &'static str = "whatever the inner grader takes";
    const EXAMPLE: &'static str = r#"
[graders.answer]
kind = "string_check"

[graders.transform]
kind = "transform"
grader = "answer"
scale = 2.0
offset = -1.0                # 0/1 becomes -1/+1

[[routes]]
data_source = "*"
grader = "transform"
"#;

    fn build(
        options: TransformOptions,
        ctx: &mut BuildContext<'_>,
    ) -> Result<SharedGrader, String> {
        let reference = match (options.log_sigmoid_ref, options.log_sigmoid_ref_field) {
            (Some(_), Some(_)) => {
                return Err("set `log_sigmoid_ref` or `log_sigmoid_ref_field`, not both".into())
            }
            (Some(v), None) if v.is_finite() => Reference::Fixed(v),
            (Some(_), None) => return Err("`log_sigmoid_ref` must be finite".into()),
            (None, Some(key)) => Reference::Field(key),
            (None, None) => Reference::None,
        };
        for (name, v) in [("scale", options.scale), ("offset", options.offset)] {
            if v.is_some_and(|v| !v.is_finite()) {
                return Err(format!("`{name}` must be finite"));
            }
        }
        if let Some([lo, hi]) = options.clip {
            if lo.is_nan() || hi.is_nan() || lo > hi {
                return Err(format!(
                    "`clip` must be [lo, hi] with lo ≤ hi, found [{lo}, {hi}]"
                ));
            }
        }
        Ok(Arc::new(Transform {
            inner: Sub::resolve(ctx, &options.grader)?,
            reference,
            scale: options.scale.unwrap_or(1.0),
            offset: options.offset.unwrap_or(0.0),
            clip: options.clip,
        }))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::compose::testing::{engine, item, try_engine};
    use crate::Status;

    fn config(transform: &str) -> String {
        format!(
            "[graders.a]\nkind = \"probe\"\nkey = \"a\"\n[graders.t]\nkind = \"transform\"\ngrader = \"a\"\n{transform}\n[[routes]]\ndata_source = \"*\"\ngrader = \"t\"\n"
        )
    }

    #[test]
    fn transform_table() {
        let ln_half = 0.5f64.ln();
        let cases = [
            ("scale = 2\noffset = -1", json!({"a": 0.75}), Some(0.5)),
            ("clip = [0, 1]", json!({"a": 3}), Some(1.0)),
            ("clip = [0, 1]\nscale = -1", json!({"a": 3}), Some(0.0)),
            ("log_sigmoid_ref = 2", json!({"a": 2}), Some(ln_half)),
            (
                "log_sigmoid_ref_field = \"ref\"",
                json!({"a": 1, "ref": 1}),
                Some(ln_half),
            ),
            (
                "log_sigmoid_ref = 0\nscale = 2",
                json!({"a": 0}),
                Some(2.0 * ln_half),
            ),
            ("scale = 2", json!({"a": "error"}), None),
        ];
        for (options, metadata, reward) in cases {
            let r = &engine(&config(options)).score(&[item(metadata.clone())])[0];
            match (r.reward, reward) {
                (Some(a), Some(b)) => assert!((a - b).abs() < 1e-12, "{options}: {a} vs {b}"),
                (a, b) => assert_eq!(a, b, "{options}"),
            }
        }
    }

    #[test]
    fn raw_reward_is_kept_and_missing_reference_field_is_an_error() {
        let e = engine(&config("log_sigmoid_ref_field = \"ref\""));
        let rs = e.score(&[item(json!({"a": 0.25, "ref": 0.25})), item(json!({"a": 1}))]);
        assert_eq!(rs[0].components["raw"], Some(0.25));
        assert_eq!(rs[0].components["value"], Some(0.25));
        assert_eq!(rs[1].status, Status::Error);
        assert!(rs[1]
            .error
            .as_ref()
            .unwrap()
            .message
            .contains("metadata.ref"));
    }

    #[test]
    fn bad_options_are_reported() {
        for (options, message) in [
            ("clip = [1, 0]", "lo ≤ hi"),
            (
                "log_sigmoid_ref = 1\nlog_sigmoid_ref_field = \"x\"",
                "not both",
            ),
            ("clip = [1]", "clip"),
            ("bogus = 1", "unknown field `bogus`"),
        ] {
            let text = try_engine(&config(options)).unwrap_err().to_string();
            assert!(text.contains(message), "{options}: {text}");
        }
    }
}

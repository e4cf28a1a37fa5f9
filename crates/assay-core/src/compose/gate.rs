//! `gate`: gated reward accumulation. Auxiliary rewards (format, length, style …) count only
//! for items whose primary reward reaches a threshold, so a policy cannot farm them while
//! getting the task wrong.
//!
//! ```toml
//! [graders.gated]
//! kind = "gate"
//! primary = "answer"
//! auxiliary = ["fmt", "brevity"]
//! threshold = 1.0
//! weights = { fmt = 0.1, brevity = 0.05 }
//! ```
//!
//! Reward: `primary_weight × primary + (primary ≥ threshold ? Σ weight_i × aux_i : 0)`.
//! Components: the primary's and each auxiliary's reward under its name, and `gate` (1 when the
//! gate is open). A closed gate does not run its auxiliary graders at all (their components are
//! `null`): a paid judge behind a gate costs nothing on the items that fail it.

use std::collections::BTreeMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::{combined_failure, sub_explanations, Sub};
use crate::{
    Batch, BatchContext, BoxFuture, Budget, BuildContext, Grader, GraderKind, Item, Outcome,
    SharedGrader, Status,
};

fn one() -> f64 {
    1.0
}

/// Options of `gate`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GateOptions {
    /// The grader whose reward opens the gate.
    pub primary: String,
    /// Graders whose rewards count only when the gate is open.
    pub auxiliary: Vec<String>,
    /// The primary reward at or above which the gate opens.
    #[serde(default = "one")]
    pub threshold: f64,
    /// Weight of the primary reward.
    #[serde(default = "one")]
    pub primary_weight: f64,
    /// Weights of the auxiliary rewards (default 1 each).
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
}

/// The `gate` grader.
pub struct Gate {
    subs: Vec<Sub>,
    threshold: f64,
    weights: Vec<f64>,
}

impl Gate {
    /// Whether the primary outcome opens the gate (the auxiliary graders then run).
    fn opens(&self, primary: &Outcome) -> bool {
        primary.status.is_scored() && primary.reward.is_some_and(|r| r >= self.threshold)
    }

    /// Combines the primary outcome with the auxiliary ones, which exist only when the gate
    /// opened (a closed gate never asks its auxiliary graders: a paid judge behind a gate
    /// costs nothing on items that fail it).
    fn combine(&self, primary: &Outcome, auxiliary: Option<&[&Outcome]>) -> Outcome {
        let mut graded: Vec<&Outcome> = vec![primary];
        graded.extend(auxiliary.unwrap_or(&[]));
        let mut outcome = self.combine_graded(primary, auxiliary);
        outcome.usage = super::total_usage(&graded);
        outcome
    }

    fn combine_graded(&self, primary: &Outcome, auxiliary: Option<&[&Outcome]>) -> Outcome {
        if let Some(failure) = combined_failure(&self.subs[..1], &[primary]) {
            return failure;
        }
        if let Some(aux) = auxiliary {
            if let Some(failure) = combined_failure(&self.subs[1..], aux) {
                return failure;
            }
        }
        let primary_reward = primary.reward.unwrap_or(0.0);
        let open = auxiliary.is_some();
        let mut reward = self.weights[0] * primary_reward;
        if let Some(aux) = auxiliary {
            reward += self.weights[1..]
                .iter()
                .zip(aux)
                .map(|(w, o)| w * o.reward.unwrap_or(0.0))
                .sum::<f64>();
        }
        let mut outcome = if primary.status == Status::Invalid {
            Outcome::invalid(reward, format!("`{}` found no answer", self.subs[0].name))
        } else {
            Outcome::ok(reward)
        };
        outcome.pred = primary.pred.clone();
        outcome
            .components
            .insert(self.subs[0].name.clone(), primary.reward);
        if let Some(aux) = auxiliary {
            for (sub, o) in self.subs[1..].iter().zip(aux) {
                outcome.components.insert(sub.name.clone(), o.reward);
            }
        }
        outcome = outcome
            .component("gate", if open { 1.0 } else { 0.0 })
            .explain(
                "gate",
                format!(
                    "{} {} = {primary_reward} {} threshold {}{}",
                    if open { "open:" } else { "closed:" },
                    self.subs[0].name,
                    if open { "≥" } else { "<" },
                    self.threshold,
                    if open {
                        ""
                    } else {
                        "; auxiliary graders not run"
                    }
                ),
            );
        let mut graded: Vec<&Outcome> = vec![primary];
        graded.extend(auxiliary.unwrap_or(&[]));
        outcome
            .explanation
            .extend(sub_explanations(&self.subs[..graded.len()], &graded));
        outcome
    }

    /// Combines a batch: `primary[i]` for every item, `aux[s][j]` for sub `s` on the `j`-th
    /// open item.
    fn combine_batch(
        &self,
        primary: &[Outcome],
        open: &[usize],
        aux: &[Vec<Outcome>],
    ) -> Vec<Outcome> {
        let mut next_open = open.iter().enumerate().peekable();
        primary
            .iter()
            .enumerate()
            .map(|(i, p)| match next_open.peek() {
                Some(&(j, &at)) if at == i => {
                    next_open.next();
                    let outcomes: Vec<&Outcome> = aux.iter().map(|o| &o[j]).collect();
                    self.combine(p, Some(&outcomes))
                }
                _ => self.combine(p, None),
            })
            .collect()
    }
}

impl Grader for Gate {
    fn components(&self) -> Vec<String> {
        let mut keys: Vec<String> = self.subs.iter().map(|s| s.name.clone()).collect();
        keys.push("gate".into());
        keys
    }

    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        let primary = self.subs[0].grader.grade(item, budget);
        if !self.opens(&primary) {
            return self.combine(&primary, None);
        }
        let aux: Vec<Outcome> = self.subs[1..]
            .iter()
            .map(|s| s.grader.grade(item, budget))
            .collect();
        self.combine(&primary, Some(&aux.iter().collect::<Vec<_>>()))
    }

    fn grade_batch(&self, items: &[&Item], ctx: &BatchContext) -> Vec<Outcome> {
        let primary = super::grade_subs(&self.subs[..1], items, ctx)
            .pop()
            .unwrap_or_default();
        let open: Vec<usize> = (0..items.len())
            .filter(|&i| self.opens(&primary[i]))
            .collect();
        let open_items: Vec<&Item> = open.iter().map(|&i| items[i]).collect();
        let aux = if open.is_empty() {
            Vec::new()
        } else {
            super::grade_subs(&self.subs[1..], &open_items, &ctx.subset(&open))
        };
        self.combine_batch(&primary, &open, &aux)
    }

    fn grade_async(self: Arc<Self>, batch: Batch, ctx: BatchContext) -> BoxFuture<Vec<Outcome>> {
        Box::pin(async move {
            let primary = super::grade_subs_async(&self.subs[..1], &batch, &ctx)
                .await
                .pop()
                .unwrap_or_default();
            let open: Vec<usize> = (0..batch.len())
                .filter(|&i| self.opens(&primary[i]))
                .collect();
            let aux = if open.is_empty() {
                Vec::new()
            } else {
                super::grade_subs_async(&self.subs[1..], &batch.subset(&open), &ctx.subset(&open))
                    .await
            };
            self.combine_batch(&primary, &open, &aux)
        })
    }
}

/// The `gate` kind.
pub struct GateKind;

impl GraderKind for GateKind {
    type Options = GateOptions;
    const NAME: &'static str = "gate";
    const FAMILY: &'static str = "composition";
    const SUMMARY: &'static str =
        "Adds auxiliary rewards only when the primary reward reaches a threshold (gated reward accumulation).";
    const REFERENCE: &'static str = "whatever the sub-graders take";
    const EXAMPLE: &'static str = r#"
[graders.answer]
kind = "string_check"
normalize = ["trim", "case"]

[graders.fmt]
kind = "format"

[graders.gate]
kind = "gate"
primary = "answer"           # its reward opens the gate
auxiliary = ["fmt"]          # counts only when it is open
weights = { fmt = 0.1 }

[[routes]]
data_source = "*"
grader = "gate"
"#;

    fn build(options: GateOptions, ctx: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        if options.auxiliary.is_empty() {
            return Err("`auxiliary` is empty: name the graders the gate controls".into());
        }
        if !options.threshold.is_finite() {
            return Err("`threshold` must be a finite number".into());
        }
        for name in options.weights.keys() {
            if !options.auxiliary.contains(name) {
                return Err(format!(
                    "weights: `{name}` is not one of `auxiliary` ({})",
                    options.auxiliary.join(", ")
                ));
            }
        }
        let names: Vec<&String> = std::iter::once(&options.primary)
            .chain(&options.auxiliary)
            .collect();
        let mut subs = Vec::new();
        let mut errors = Vec::new();
        for name in &names {
            match Sub::resolve(ctx, name) {
                Ok(sub) => subs.push(sub),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors.join("; "));
        }
        let mut weights = vec![options.primary_weight];
        weights.extend(
            options
                .auxiliary
                .iter()
                .map(|a| options.weights.get(a).copied().unwrap_or(1.0)),
        );
        Ok(Arc::new(Gate {
            subs,
            threshold: options.threshold,
            weights,
        }))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::compose::testing::{engine, item, try_engine};
    use crate::Status;

    fn config(gate: &str) -> String {
        format!(
            r#"
            [graders.p]
            kind = "probe"
            key = "p"
            [graders.f]
            kind = "probe"
            key = "f"
            [graders.g]
            kind = "gate"
            {gate}
            [[routes]]
            data_source = "*"
            grader = "g"
            "#
        )
    }

    #[test]
    fn auxiliary_rewards_count_only_past_the_threshold() {
        let e = engine(&config(
            "primary = \"p\"\nauxiliary = [\"f\"]\nweights = { f = 0.5 }",
        ));
        let cases = [
            (json!({"p": 1, "f": 1}), Status::Ok, Some(1.5), Some(1.0)),
            (json!({"p": 0, "f": 1}), Status::Ok, Some(0.0), Some(0.0)),
            (
                json!({"p": 0.99, "f": 1}),
                Status::Ok,
                Some(0.99),
                Some(0.0),
            ),
            (
                json!({"p": "invalid", "f": 1}),
                Status::Invalid,
                Some(0.0),
                Some(0.0),
            ),
            (json!({"p": 1, "f": "error"}), Status::Error, None, None),
            // A closed gate never runs its auxiliary graders: their failure cannot matter.
            (
                json!({"p": 0, "f": "error"}),
                Status::Ok,
                Some(0.0),
                Some(0.0),
            ),
            (
                json!({"p": 0, "f": "panic"}),
                Status::Ok,
                Some(0.0),
                Some(0.0),
            ),
        ];
        for (metadata, status, reward, gate) in cases {
            let r = &e.score(&[item(metadata.clone())])[0];
            assert_eq!(r.status, status, "{metadata}");
            assert_eq!(r.reward, reward, "{metadata}");
            assert_eq!(r.components["gate"], gate, "{metadata}");
            assert_eq!(r.components.len(), 3);
        }
    }

    #[test]
    fn threshold_and_primary_weight_apply() {
        let e = engine(&config(
            "primary = \"p\"\nauxiliary = [\"f\"]\nthreshold = 0.5\nprimary_weight = 2",
        ));
        let r = &e.score(&[item(json!({"p": 0.5, "f": 0.25}))])[0];
        assert_eq!(r.reward, Some(1.25));
    }

    #[test]
    fn bad_options_are_reported() {
        let cases = [
            ("primary = \"p\"\nauxiliary = []", "`auxiliary` is empty"),
            (
                "primary = \"x\"\nauxiliary = [\"f\"]",
                "uses `x`, which is not defined",
            ),
            (
                "primary = \"p\"\nauxiliary = [\"f\"]\nweights = { p = 1 }",
                "weights: `p`",
            ),
            ("auxiliary = [\"f\"]", "missing field `primary`"),
        ];
        for (gate, message) in cases {
            let text = try_engine(&config(gate)).unwrap_err().to_string();
            assert!(text.contains(message), "{gate}: {text}");
        }
    }
}

//! `multi`: named sub-graders combined by a formula (or a weighted sum), like the
//! `calculate_output` of OpenAI's multi grader.
//!
//! ```toml
//! [graders.total]
//! kind = "multi"
//! graders = ["answer", "fmt"]
//! formula = "0.9 * answer + 0.1 * fmt"   # or: weights = { answer = 0.9, fmt = 0.1 }
//! ```
//!
//! In the formula, `answer` is that sub-grader's reward and `answer.math` one of its
//! components (see [`crate::formula`]). Components of the result: every sub-grader's reward
//! under its name, and its components as `name.component`.

use std::collections::BTreeMap;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{combined_failure, copy_sub_components, sub_component_keys, sub_explanations, Sub};
use crate::formula::Formula;
use crate::{
    Batch, BatchContext, BoxFuture, Budget, BuildContext, ErrorKind, Grader, GraderKind, Item,
    Outcome, SharedGrader, Status,
};

/// Options of `multi`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MultiOptions {
    /// Names of the sub-graders, defined elsewhere in the configuration. The first is the
    /// primary: when it finds no answer (`invalid`), so does the combination.
    pub graders: Vec<String>,
    /// How to combine them: arithmetic, comparisons, `min`, `max`, `clamp`, `abs`, `exp`, `log`,
    /// `if(c, a, b)` / `c ? a : b` over sub-grader names and `name.component`. Without a
    /// formula the reward is the weighted sum.
    #[serde(default)]
    pub formula: Option<String>,
    /// Weights of the weighted sum used when there is no formula (default 1 each).
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
}

/// How a `multi` combines its sub-graders.
enum Combine {
    Formula {
        text: String,
        formula: Formula,
        /// For each formula variable: (sub-grader index, component name or None for reward).
        slots: Vec<(usize, Option<String>)>,
    },
    Weighted(Vec<f64>),
}

/// The `multi` grader.
pub struct Multi {
    subs: Vec<Sub>,
    combine: Combine,
}

impl Multi {
    fn combine(&self, outcomes: &[&Outcome]) -> Outcome {
        if let Some(failure) = combined_failure(&self.subs, outcomes) {
            return failure;
        }
        let (reward, detail) = match &self.combine {
            Combine::Weighted(weights) => {
                let reward = weights
                    .iter()
                    .zip(outcomes)
                    .map(|(w, o)| w * o.reward.unwrap_or(0.0))
                    .sum::<f64>();
                (reward, ("weights", Value::from(weights.clone())))
            }
            Combine::Formula {
                text,
                formula,
                slots,
            } => {
                let mut values = Vec::with_capacity(slots.len());
                for (sub, component) in slots {
                    let o = outcomes[*sub];
                    let value = match component {
                        None => o.reward,
                        Some(c) => o.components.get(c).copied().flatten(),
                    };
                    match value {
                        Some(v) => values.push(v),
                        None => {
                            let name = match component {
                                None => self.subs[*sub].name.clone(),
                                Some(c) => format!("{}.{c}", self.subs[*sub].name),
                            };
                            return Outcome::error(
                                ErrorKind::Internal,
                                format!("formula input `{name}` has no value for this item"),
                            );
                        }
                    }
                }
                let reward = formula.eval(&values);
                if !reward.is_finite() {
                    return Outcome::error(
                        ErrorKind::Internal,
                        format!("formula `{text}` gave {reward} (division by zero or log of a non-positive number?)"),
                    );
                }
                (reward, ("formula", Value::String(text.clone())))
            }
        };
        let primary = outcomes[0];
        let mut outcome = if primary.status == Status::Invalid {
            Outcome::invalid(reward, format!("`{}` found no answer", self.subs[0].name))
        } else {
            Outcome::ok(reward)
        };
        outcome.pred = primary.pred.clone();
        copy_sub_components(&mut outcome, &self.subs, outcomes);
        outcome = outcome.explain(detail.0, detail.1);
        outcome
            .explanation
            .extend(sub_explanations(&self.subs, outcomes));
        outcome
    }
}

impl Grader for Multi {
    fn components(&self) -> Vec<String> {
        sub_component_keys(&self.subs)
    }

    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        super::grade_combined(&self.subs, item, budget, |o| self.combine(o))
    }

    fn grade_batch(&self, items: &[&Item], ctx: &BatchContext) -> Vec<Outcome> {
        super::grade_batch_combined(&self.subs, items, ctx, |o| self.combine(o))
    }

    fn grade_async(self: Arc<Self>, batch: Batch, ctx: BatchContext) -> BoxFuture<Vec<Outcome>> {
        Box::pin(async move {
            let per_sub = super::grade_subs_async(&self.subs, &batch, &ctx).await;
            super::combine_each(&per_sub, batch.len(), |o| self.combine(o))
        })
    }
}

/// The `multi` kind.
pub struct MultiKind;

impl GraderKind for MultiKind {
    type Options = MultiOptions;
    const NAME: &'static str = "multi";
    const FAMILY: &'static str = "composition";
    const SUMMARY: &'static str =
        "Combines named sub-graders with a formula over their rewards and components, or a weighted sum.";
    const REFERENCE: &'static str = "whatever the sub-graders take (each sees the same item)";
    const EXAMPLE: &'static str = r#"
[graders.answer]
kind = "string_check"
normalize = ["trim", "case"]

[graders.fmt]
kind = "format"

[graders.multi]
kind = "multi"
graders = ["answer", "fmt"]
formula = "0.9 * answer + 0.1 * fmt"

[[routes]]
data_source = "*"
grader = "multi"
"#;

    fn build(options: MultiOptions, ctx: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        if options.graders.is_empty() {
            return Err("`graders` is empty: name at least one sub-grader".into());
        }
        let mut errors = Vec::new();
        let mut subs = Vec::new();
        for name in &options.graders {
            match Sub::resolve(ctx, name) {
                Ok(sub) => subs.push(sub),
                Err(e) => errors.push(e),
            }
        }
        if !errors.is_empty() {
            return Err(errors.join("; "));
        }
        let combine = match &options.formula {
            Some(text) => {
                if !options.weights.is_empty() {
                    return Err("set `formula` or `weights`, not both".into());
                }
                let formula = Formula::parse(text).map_err(|e| format!("formula {e}"))?;
                let mut slots = Vec::new();
                for var in formula.variables() {
                    slots.push(resolve_variable(&subs, var)?);
                }
                Combine::Formula {
                    text: text.clone(),
                    formula,
                    slots,
                }
            }
            None => {
                for name in options.weights.keys() {
                    if !options.graders.contains(name) {
                        return Err(format!(
                            "weights: `{name}` is not one of `graders` ({})",
                            options.graders.join(", ")
                        ));
                    }
                }
                Combine::Weighted(
                    options
                        .graders
                        .iter()
                        .map(|g| options.weights.get(g).copied().unwrap_or(1.0))
                        .collect(),
                )
            }
        };
        Ok(Arc::new(Multi { subs, combine }))
    }
}

fn resolve_variable(subs: &[Sub], var: &str) -> Result<(usize, Option<String>), String> {
    if let Some(i) = subs.iter().position(|s| s.name == var) {
        return Ok((i, None));
    }
    if let Some((name, component)) = var.split_once('.') {
        if let Some(i) = subs.iter().position(|s| s.name == name) {
            if subs[i].components.iter().any(|c| c == component) {
                return Ok((i, Some(component.to_string())));
            }
            return Err(format!(
                "formula uses `{var}`, but `{name}` has no component `{component}`; its components: {}",
                subs[i].components.join(", ")
            ));
        }
    }
    let known: Vec<String> = super::sub_component_keys(subs);
    Err(format!(
        "formula uses `{var}`, which is neither a sub-grader nor one of their components; known names: {}",
        known.join(", ")
    ))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::compose::testing::{engine, item, try_engine};
    use crate::{ErrorKind, Status};

    const BASE: &str = r#"
        [graders.a]
        kind = "probe"
        key = "a"
        [graders.b]
        kind = "probe"
        key = "b"
    "#;

    fn with(total: &str) -> String {
        format!("{BASE}\n[graders.total]\nkind = \"multi\"\n{total}\n[[routes]]\ndata_source = \"*\"\ngrader = \"total\"\n")
    }

    #[test]
    fn combination_table() {
        let formula = with("graders = [\"a\", \"b\"]\nformula = \"0.9 * a + 0.1 * b.value\"");
        let weighted = with("graders = [\"a\", \"b\"]\nweights = { a = 2 }");
        let cases = [
            (&formula, json!({"a": 1, "b": 0.5}), Status::Ok, Some(0.95)),
            (
                &formula,
                json!({"a": "invalid", "b": 1}),
                Status::Invalid,
                Some(0.1),
            ),
            (
                &formula,
                json!({"a": 1, "b": "invalid"}),
                Status::Ok,
                Some(0.9),
            ),
            (&formula, json!({"a": 1, "b": "error"}), Status::Error, None),
            (
                &formula,
                json!({"a": "timeout", "b": 1}),
                Status::Timeout,
                None,
            ),
            (
                &formula,
                json!({"a": "timeout", "b": "error"}),
                Status::Error,
                None,
            ),
            (
                &formula,
                json!({"a": "na", "b": 1}),
                Status::NotApplicable,
                None,
            ),
            (&weighted, json!({"a": 1, "b": 0.5}), Status::Ok, Some(2.5)),
        ];
        for (config, metadata, status, reward) in cases {
            let result = &engine(config).score(&[item(metadata.clone())])[0];
            assert_eq!(result.status, status, "{metadata}");
            match (result.reward, reward) {
                (Some(got), Some(want)) => assert!((got - want).abs() < 1e-12, "{metadata}: {got}"),
                (got, want) => assert_eq!(got, want, "{metadata}"),
            }
        }
    }

    #[test]
    fn components_are_fixed_and_failures_name_the_sub_grader() {
        let e = engine(&with("graders = [\"a\", \"b\"]\nformula = \"a + b\""));
        let results = e.score(&[
            item(json!({"a": 1, "b": 0})),
            item(json!({"a": 1, "b": "error"})),
        ]);
        for r in &results {
            let keys: Vec<&str> = r.components.keys().map(String::as_str).collect();
            assert_eq!(keys, ["a", "a.value", "b", "b.value"]);
        }
        assert_eq!(results[0].components["a.value"], Some(1.0));
        let error = results[1].error.as_ref().unwrap();
        assert_eq!(error.kind, ErrorKind::BadReference);
        assert_eq!(error.message, "`b`: probe error");
        assert_eq!(results[0].explanation["formula"], json!("a + b"));
        assert_eq!(results[0].explanation["b"]["status"], json!("ok"));
    }

    #[test]
    fn a_component_named_like_its_sub_grader_is_not_doubled() {
        // A probe's component is `value`: a sub-grader named `value` would give `value.value`.
        let config = r#"
            [graders.value]
            kind = "probe"
            key = "a"
            [graders.total]
            kind = "multi"
            graders = ["value"]
            formula = "2 * value.value"
            [[routes]]
            data_source = "*"
            grader = "total"
        "#;
        let e = engine(config);
        let r = &e.score(&[item(json!({"a": 0.5}))])[0];
        let keys: Vec<&str> = r.components.keys().map(String::as_str).collect();
        assert_eq!(keys, ["value"]);
        assert_eq!(r.components["value"], Some(0.5));
        // A formula may still read the component by its full name.
        assert_eq!(r.reward, Some(1.0));
    }

    #[test]
    fn non_finite_formula_results_are_errors_not_rewards() {
        let e = engine(&with("graders = [\"a\"]\nformula = \"log(a)\""));
        let r = &e.score(&[item(json!({"a": 0}))])[0];
        assert_eq!(r.status, Status::Error);
        assert_eq!(r.reward, None);
    }

    #[test]
    fn bad_configurations_are_reported_at_load() {
        let cases = [
            ("graders = []", "`graders` is empty"),
            (
                "graders = [\"a\", \"zz\"]",
                "uses `zz`, which is not defined",
            ),
            (
                "graders = [\"a\"]\nformula = \"a +\"",
                "formula at column 4",
            ),
            (
                "graders = [\"a\"]\nformula = \"a + b\"",
                "formula uses `b`, which is neither",
            ),
            (
                "graders = [\"a\"]\nformula = \"a.nope\"",
                "`a` has no component `nope`",
            ),
            (
                "graders = [\"a\"]\nformula = \"a\"\nweights = { a = 1 }",
                "not both",
            ),
            (
                "graders = [\"a\"]\nweights = { b = 1 }",
                "weights: `b` is not one of",
            ),
            (
                "graders = [\"total\"]",
                "graders form a cycle: total → total",
            ),
            ("graders = \"a\"", "invalid type: string"),
        ];
        for (total, message) in cases {
            let err = try_engine(&with(total)).unwrap_err();
            let text = err.to_string();
            assert!(text.contains(message), "{total}: {text}");
            assert!(text.contains("graders.total"), "{total}: {text}");
        }
    }
}

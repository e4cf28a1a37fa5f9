//! `repetition`: an n-gram repetition penalty, as in open-r1.
//!
//! ```toml
//! [graders.repetition]
//! kind = "repetition"
//! n = 3               # n-gram size, in words
//! max_penalty = -1.0  # the penalty when every n-gram repeats the first
//! ```
//!
//! The response is lower-cased and split on whitespace into words; with `total` n-grams of
//! which `unique` are distinct, the reward is `(1 − unique / total) × max_penalty`: 0 when no
//! n-gram repeats, approaching `max_penalty` as the text loops. A response with fewer than `n`
//! words (an empty one included) gets 0.
//!
//! Reference: not used. Component `repeated`: the fraction `1 − unique / total`.
//!
//! Cost: one pass over the words with a hash set of n-grams, checking the item's budget.

use std::collections::HashSet;
use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use assay_core::{Budget, BuildContext, Grader, GraderKind, Item, Outcome, SharedGrader};

fn default_n() -> usize {
    3
}

fn default_max_penalty() -> f64 {
    -1.0
}

/// Options of `repetition`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RepetitionOptions {
    /// The n-gram size, in whitespace-separated words (at least 1).
    #[serde(default = "default_n")]
    pub n: usize,
    /// The penalty for a response that is all repetition: zero or negative.
    #[serde(default = "default_max_penalty")]
    pub max_penalty: f64,
}

/// The `repetition` grader.
#[derive(Debug)]
pub struct Repetition {
    n: usize,
    max_penalty: f64,
}

impl Repetition {
    /// A penalty over `n`-grams scaled to `max_penalty` (zero or negative).
    pub fn new(n: usize, max_penalty: f64) -> Result<Self, String> {
        if n == 0 {
            return Err("`n` must be at least 1".into());
        }
        if !max_penalty.is_finite() || max_penalty > 0.0 {
            return Err(format!(
                "`max_penalty` must be zero or negative, it is a penalty (got {max_penalty})"
            ));
        }
        Ok(Repetition { n, max_penalty })
    }
}

impl Grader for Repetition {
    fn components(&self) -> Vec<String> {
        vec!["repeated".into()]
    }

    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        let lower = item.response_text().to_lowercase();
        let words: Vec<&str> = lower.split_whitespace().collect();
        if words.len() < self.n {
            return Outcome::ok(0.0)
                .component("repeated", 0.0)
                .explain("reason", format!("fewer than {} words", self.n))
                .explain("words", words.len());
        }
        let mut meter = budget.meter(1024);
        let mut seen: HashSet<&[&str]> = HashSet::new();
        let windows = words.windows(self.n);
        let total = windows.len();
        for window in windows {
            if meter.tick().is_err() {
                return Outcome::timeout("deadline passed while counting n-grams");
            }
            seen.insert(window);
        }
        let repeated = 1.0 - seen.len() as f64 / total as f64;
        // `+ 0.0` turns the -0.0 of a repetition-free text into 0.
        let reward = repeated * self.max_penalty + 0.0;
        Outcome::ok(reward)
            .component("repeated", repeated)
            .explain("n", self.n)
            .explain("ngrams", total)
            .explain("unique", seen.len())
    }
}

/// The `repetition` kind.
pub struct RepetitionKind;

impl GraderKind for RepetitionKind {
    type Options = RepetitionOptions;
    const NAME: &'static str = "repetition";
    const FAMILY: &'static str = "text";
    const SUMMARY: &'static str =
        "Penalizes repeated word n-grams: (1 - unique/total) × max_penalty, as in open-r1.";
    const REFERENCE: &'static str = "not used";
    const EXAMPLE: &'static str = r#"
[graders.repetition]
kind = "repetition"
n = 3                        # repeated word trigrams are penalised
max_penalty = -1.0
"#;

    fn build(options: RepetitionOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        Ok(Arc::new(Repetition::new(options.n, options.max_penalty)?))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use assay_core::{Budget, Grader, Item, Status};
    use serde_json::{json, Value};

    use super::Repetition;
    use crate::testing::{build_error, engine, grade_one};

    #[test]
    fn penalty_table() {
        let cases = [
            // (options, response, reward)
            (json!({}), "a b c a b c a b c", -4.0 / 7.0),
            (json!({}), "the quick brown fox jumps", 0.0),
            (json!({}), "", 0.0),
            (json!({}), "two words", 0.0),
            (json!({}), "one two three", 0.0),
            (json!({"n": 1}), "The the THE\tthe", -0.75),
            (json!({"n": 1, "max_penalty": -0.5}), "go go go go", -0.375),
            (json!({"n": 2}), "x y", 0.0),
            (json!({"n": 2}), "x y x y", -1.0 / 3.0),
            (json!({"max_penalty": 0}), "a b c a b c a b c", 0.0),
        ];
        for (options, response, reward) in cases {
            let r = grade_one("repetition", &options, response, Value::Null);
            assert_eq!(r.status, Status::Ok, "{response:?}");
            let got = r.reward.unwrap();
            assert!(
                (got - reward).abs() < 1e-12,
                "{options} {response:?}: {got}"
            );
            assert!(!got.is_sign_negative() || got != 0.0, "no -0.0");
        }
    }

    #[test]
    fn a_loop_approaches_the_maximum_penalty() {
        let looped = "I will try again. ".repeat(1000);
        let r = grade_one("repetition", &json!({}), &looped, Value::Null);
        assert!(r.reward.unwrap() < -0.99, "{:?}", r.reward);
        assert_eq!(r.explanation["unique"], json!(4));
    }

    #[test]
    fn an_expired_budget_times_out() {
        let grader = Repetition::new(3, -1.0).unwrap();
        let text = "w ".repeat(10_000);
        let outcome = grader.grade(
            &Item::new(text, Value::Null),
            &Budget::new(Some(Duration::ZERO)),
        );
        assert_eq!(outcome.status, Status::Timeout);
    }

    #[test]
    fn bad_options() {
        let cases = [
            (json!({"n": 0}), "`n` must be at least 1"),
            (
                json!({"n": -2}),
                "invalid value: integer `-2`, expected usize",
            ),
            (
                json!({"n": "3"}),
                "invalid type: string \"3\", expected usize",
            ),
            (
                json!({"max_penalty": 1}),
                "`max_penalty` must be zero or negative",
            ),
            (
                json!({"penalty": -1}),
                "unknown field `penalty`, expected `n` or `max_penalty`",
            ),
        ];
        for (options, message) in cases {
            let text = build_error("repetition", &options);
            assert!(text.contains(message), "{options}: {text}");
        }
    }

    #[test]
    fn documented_example_works() {
        let e = engine(
            r#"
            [graders.repetition]
            kind = "repetition"
            n = 3               # n-gram size, in words
            max_penalty = -1.0  # the penalty when every n-gram repeats the first
            "#,
        );
        let r = e.score(&[Item::new("a b c a b c", Value::Null)]);
        // Trigrams abc, bca, cab, abc: 3 distinct of 4.
        assert_eq!(r[0].reward, Some(-0.25));
        assert_eq!(r[0].components["repeated"], Some(0.25));
    }
}

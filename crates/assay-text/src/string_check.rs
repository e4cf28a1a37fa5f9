//! `string_check`: compares the response with the reference string (or any of a list of
//! acceptable strings), after optional normalization.
//!
//! ```toml
//! [graders.exact]
//! kind = "string_check"
//! operation = "eq"                        # eq | ne | contains | icontains
//! normalize = ["trim", "case", "whitespace", "punctuation"]
//! ```
//!
//! - `eq`: reward 1 when the normalized response equals a normalized reference;
//! - `ne`: reward 1 when it equals none of them;
//! - `contains`: reward 1 when it contains one of them;
//! - `icontains`: as `contains`, ignoring case.
//!
//! Reference: a string, or a list of acceptable strings (any one matching is enough). A
//! reference that is empty after normalization is a `bad_reference` error rather than a match
//! for everything. An empty (or all-whitespace) response is `invalid` with reward 0, for every
//! operation: `ne` never rewards saying nothing. `pred` is the normalized response.
//!
//! Cost: normalization and comparison are linear in the response and reference lengths.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use assay_core::{
    Budget, BuildContext, ErrorKind, Grader, GraderKind, Item, Outcome, SharedGrader,
};

use crate::common::{string_or_list, Normalize, Normalizer};

/// How `string_check` compares.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operation {
    /// The response equals a reference.
    #[default]
    Eq,
    /// The response equals none of the references.
    Ne,
    /// The response contains a reference.
    Contains,
    /// The response contains a reference, ignoring case.
    Icontains,
}

impl Operation {
    fn as_str(self) -> &'static str {
        match self {
            Operation::Eq => "eq",
            Operation::Ne => "ne",
            Operation::Contains => "contains",
            Operation::Icontains => "icontains",
        }
    }
}

/// Options of `string_check`.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct StringCheckOptions {
    /// How to compare: `eq`, `ne`, `contains` or `icontains` (contains, ignoring case).
    #[serde(default)]
    pub operation: Operation,
    /// Normalization applied to the response and the reference before comparing, any of
    /// `trim`, `case`, `whitespace` (collapse runs to one space), `punctuation` (remove it).
    #[serde(default)]
    pub normalize: Vec<Normalize>,
}

/// The `string_check` grader.
#[derive(Debug)]
pub struct StringCheck {
    operation: Operation,
    normalizer: Normalizer,
}

impl StringCheck {
    /// A grader comparing with `operation` after normalizing with `normalize`.
    pub fn new(operation: Operation, normalize: &[Normalize]) -> Self {
        StringCheck {
            operation,
            normalizer: Normalizer::new(normalize),
        }
    }
}

impl Grader for StringCheck {
    fn components(&self) -> Vec<String> {
        Vec::new()
    }

    fn grade(&self, item: &Item, _budget: &Budget) -> Outcome {
        let references = match string_or_list(&item.reference) {
            Ok(r) => r,
            Err(error) => return Outcome::from_error(error),
        };
        let fold = |s: String| {
            if self.operation == Operation::Icontains {
                s.to_lowercase()
            } else {
                s
            }
        };
        let mut normalized = Vec::with_capacity(references.len());
        for (i, reference) in references.iter().enumerate() {
            let n = fold(self.normalizer.apply(reference));
            if n.is_empty() {
                let which = if references.len() == 1 {
                    "the reference".to_string()
                } else {
                    format!("reference {i}")
                };
                return Outcome::error(
                    ErrorKind::BadReference,
                    format!(
                        "{which} ({reference:?}) is empty after normalization, so it would match \
                         anything; give a non-empty string"
                    ),
                );
            }
            normalized.push(n);
        }
        let response = self.normalizer.apply(item.response_text());
        let steps: Vec<Value> = self
            .normalizer
            .steps()
            .iter()
            .map(|s| serde_json::to_value(s).unwrap_or(Value::Null))
            .collect();
        if response.trim().is_empty() {
            return Outcome::invalid(0.0, "empty response")
                .pred(response)
                .explain("operation", self.operation.as_str());
        }
        let folded = fold(response.clone());
        let hit = match self.operation {
            Operation::Eq | Operation::Ne => normalized.iter().position(|r| *r == folded),
            Operation::Contains | Operation::Icontains => {
                normalized.iter().position(|r| folded.contains(r.as_str()))
            }
        };
        let passed = match self.operation {
            Operation::Ne => hit.is_none(),
            _ => hit.is_some(),
        };
        let mut outcome = Outcome::ok(if passed { 1.0 } else { 0.0 })
            .pred(response)
            .explain("operation", self.operation.as_str())
            .explain("normalize", steps);
        if let Some(i) = hit {
            let key = if self.operation == Operation::Ne {
                "equals"
            } else {
                "matched"
            };
            outcome = outcome.explain(key, references[i]);
        }
        outcome
    }
}

/// The `string_check` kind.
pub struct StringCheckKind;

impl GraderKind for StringCheckKind {
    type Options = StringCheckOptions;
    const NAME: &'static str = "string_check";
    const FAMILY: &'static str = "text";
    const SUMMARY: &'static str = "Compares the response with the reference: equal, not equal, contains, or contains ignoring case, after optional normalization.";
    const REFERENCE: &'static str =
        "a string, or a list of acceptable strings (any one matching is enough)";
    const EXAMPLE: &'static str = r#"
[graders.string_check]
kind = "string_check"
operation = "eq"
normalize = ["trim", "case", "punctuation"]
"#;

    fn build(
        options: StringCheckOptions,
        _: &mut BuildContext<'_>,
    ) -> Result<SharedGrader, String> {
        Ok(Arc::new(StringCheck::new(
            options.operation,
            &options.normalize,
        )))
    }
}

#[cfg(test)]
mod tests {
    use assay_core::{ErrorKind, Status};
    use serde_json::json;

    use crate::testing::{build_error, engine, grade_one};

    #[test]
    fn documented_example_works() {
        let e = engine(
            r#"
            [graders.exact]
            kind = "string_check"
            operation = "eq"                        # eq | ne | contains | icontains
            normalize = ["trim", "case", "whitespace", "punctuation"]
            "#,
        );
        let r = e.score(&[assay_core::Item::new(
            " The  Eiffel tower!",
            "the eiffel tower",
        )]);
        assert_eq!(r[0].reward, Some(1.0));
    }

    #[test]
    fn comparisons() {
        let cases = [
            // (options, response, reference, status, reward, pred)
            (json!({}), "Paris", json!("Paris"), Status::Ok, 1.0, "Paris"),
            (
                json!({}),
                "Paris ",
                json!("Paris"),
                Status::Ok,
                0.0,
                "Paris ",
            ),
            (
                json!({"normalize": ["trim"]}),
                " Paris\n",
                json!("Paris"),
                Status::Ok,
                1.0,
                "Paris",
            ),
            (
                json!({"normalize": ["case", "punctuation", "whitespace", "trim"]}),
                "  Paris,   FRANCE! ",
                json!("paris france"),
                Status::Ok,
                1.0,
                "paris france",
            ),
            (
                json!({"operation": "eq"}),
                "Lyon",
                json!(["Paris", "Lyon"]),
                Status::Ok,
                1.0,
                "Lyon",
            ),
            (
                json!({"operation": "ne"}),
                "Lyon",
                json!(["Paris", "Lyon"]),
                Status::Ok,
                0.0,
                "Lyon",
            ),
            (
                json!({"operation": "ne"}),
                "Nice",
                json!(["Paris", "Lyon"]),
                Status::Ok,
                1.0,
                "Nice",
            ),
            (
                json!({"operation": "contains"}),
                "It is Paris.",
                json!("Paris"),
                Status::Ok,
                1.0,
                "It is Paris.",
            ),
            (
                json!({"operation": "contains"}),
                "It is paris.",
                json!("Paris"),
                Status::Ok,
                0.0,
                "It is paris.",
            ),
            (
                json!({"operation": "icontains"}),
                "IT IS PARIS.",
                json!(["Rome", "paris"]),
                Status::Ok,
                1.0,
                "IT IS PARIS.",
            ),
            // Empty responses are invalid, even for `ne`.
            (json!({}), "", json!("Paris"), Status::Invalid, 0.0, ""),
            (
                json!({"operation": "ne", "normalize": ["trim"]}),
                "  \n",
                json!("Paris"),
                Status::Invalid,
                0.0,
                "",
            ),
            // Unicode punctuation and case.
            (
                json!({"normalize": ["punctuation", "case"]}),
                "«Ça va»…",
                json!("ça va"),
                Status::Ok,
                1.0,
                "ça va",
            ),
        ];
        for (options, response, reference, status, reward, pred) in cases {
            let r = grade_one("string_check", &options, response, reference.clone());
            assert_eq!(r.status, status, "{options} {response:?} {reference}");
            assert_eq!(r.reward, Some(reward), "{options} {response:?} {reference}");
            assert_eq!(r.pred.as_deref(), Some(pred), "{options} {response:?}");
        }
    }

    #[test]
    fn explanation_names_the_matching_reference() {
        let r = grade_one(
            "string_check",
            &json!({"operation": "contains"}),
            "we go to Lyon",
            json!(["Paris", "Lyon"]),
        );
        assert_eq!(r.explanation["matched"], json!("Lyon"));
        assert_eq!(r.explanation["operation"], json!("contains"));
    }

    #[test]
    fn bad_references() {
        let cases = [
            (
                json!({}),
                json!(null),
                "string or a non-empty list of strings, got null",
            ),
            (json!({}), json!(7), "got number 7"),
            (
                json!({}),
                json!(["a", false]),
                "got boolean false at index 1",
            ),
            (json!({}), json!([]), "got an empty list"),
            (
                json!({"operation": "contains"}),
                json!(""),
                "the reference (\"\") is empty after normalization",
            ),
            (
                json!({"normalize": ["punctuation"]}),
                json!(["ok", "?!"]),
                "reference 1 (\"?!\") is empty after normalization",
            ),
        ];
        for (options, reference, message) in cases {
            let r = grade_one("string_check", &options, "answer", reference.clone());
            assert_eq!(r.status, Status::Error, "{reference}");
            assert_eq!(r.reward, None);
            let error = r.error.unwrap();
            assert_eq!(error.kind, ErrorKind::BadReference);
            assert!(error.message.contains(message), "{}", error.message);
        }
    }

    #[test]
    fn bad_options() {
        let cases = [
            (
                json!({"operation": "equals"}),
                "unknown variant `equals`, expected one of `eq`, `ne`, `contains`, `icontains`",
            ),
            (
                json!({"normalize": ["lower"]}),
                "unknown variant `lower`, expected one of `case`, `punctuation`, `whitespace`, `trim`",
            ),
            (json!({"normalize": "trim"}), "invalid type: string \"trim\", expected a sequence"),
            (
                json!({"op": "eq"}),
                "unknown field `op`, expected `operation` or `normalize`",
            ),
        ];
        for (options, message) in cases {
            let text = build_error("string_check", &options);
            assert!(text.contains(message), "{options}: {text}");
        }
    }
}

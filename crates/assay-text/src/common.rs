//! Pieces shared by the text graders: normalization, reference shapes, sub-graders.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use assay_core::{BuildContext, ErrorKind, GradeError, Outcome, SharedGrader, Status};

/// One normalization step applied to both the response and the reference before comparing.
///
/// Steps always run in the same order, whatever order the list gives: `case`, `punctuation`,
/// `whitespace`, `trim` (so removing punctuation never leaves doubled spaces behind).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Normalize {
    /// Lower-case the text (Unicode lower-casing).
    Case,
    /// Remove punctuation: ASCII punctuation and common Unicode punctuation (curly quotes,
    /// dashes, ellipsis, guillemets, inverted marks, CJK and full-width punctuation).
    Punctuation,
    /// Collapse every run of whitespace to one space.
    Whitespace,
    /// Remove leading and trailing whitespace.
    Trim,
}

/// A normalization pipeline, in canonical order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Normalizer {
    steps: Vec<Normalize>,
}

impl Normalizer {
    /// A pipeline of `steps` (duplicates ignored, canonical order).
    pub fn new(steps: &[Normalize]) -> Self {
        let mut steps = steps.to_vec();
        steps.sort();
        steps.dedup();
        Normalizer { steps }
    }

    /// The steps, in the order they run.
    pub fn steps(&self) -> &[Normalize] {
        &self.steps
    }

    /// Applies the pipeline. Linear in the length of `text`.
    pub fn apply(&self, text: &str) -> String {
        let mut out = text.to_string();
        for step in &self.steps {
            out = match step {
                Normalize::Case => out.to_lowercase(),
                Normalize::Punctuation => out.chars().filter(|&c| !is_punctuation(c)).collect(),
                Normalize::Whitespace => collapse_whitespace(&out),
                Normalize::Trim => out.trim().to_string(),
            };
        }
        out
    }
}

/// Whether `c` is punctuation for [`Normalize::Punctuation`].
pub fn is_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c,
            '\u{00A1}' | '\u{00A7}' | '\u{00AB}' | '\u{00B6}' | '\u{00B7}' | '\u{00BB}' | '\u{00BF}'
            | '\u{2010}'..='\u{2027}'
            | '\u{2030}'..='\u{205E}'
            | '\u{3001}'..='\u{3003}'
            | '\u{3008}'..='\u{3011}'
            | '\u{3014}'..='\u{301F}'
            | '\u{FF01}'..='\u{FF0F}'
            | '\u{FF1A}'..='\u{FF20}'
            | '\u{FF3B}'..='\u{FF40}'
            | '\u{FF5B}'..='\u{FF65}')
}

fn collapse_whitespace(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_space = false;
    for c in text.chars() {
        if c.is_whitespace() {
            if !in_space {
                out.push(' ');
            }
            in_space = true;
        } else {
            out.push(c);
            in_space = false;
        }
    }
    out
}

/// A short, single-line excerpt of `text` for explanations.
pub fn excerpt(text: &str, max_chars: usize) -> String {
    let mut out: String = text.chars().take(max_chars).collect();
    if text.chars().nth(max_chars).is_some() {
        out.push('…');
    }
    out
}

/// A JSON value described in a few words, for error messages.
pub fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null (no reference)".into(),
        Value::Bool(b) => format!("boolean {b}"),
        Value::Number(n) => format!("number {n}"),
        Value::String(s) => format!("string {:?}", excerpt(s, 40)),
        Value::Array(a) => format!("a list of {} element(s)", a.len()),
        Value::Object(_) => "an object".into(),
    }
}

/// Reads a reference that is a string or a non-empty list of strings; a `bad_reference` error
/// saying what shape is expected otherwise.
pub fn string_or_list(reference: &Value) -> Result<Vec<&str>, GradeError> {
    const SHAPE: &str = "expected the reference to be a string or a non-empty list of strings";
    let bad =
        |what: String| GradeError::new(ErrorKind::BadReference, format!("{SHAPE}, got {what}"));
    match reference {
        Value::String(s) => Ok(vec![s.as_str()]),
        Value::Array(list) if list.is_empty() => Err(bad("an empty list".into())),
        Value::Array(list) => list
            .iter()
            .enumerate()
            .map(|(i, v)| {
                v.as_str()
                    .ok_or_else(|| bad(format!("{} at index {i}", describe(v))))
            })
            .collect(),
        Value::Number(_) => Err(bad(format!(
            "{} (quote it, or use the math grader for numeric answers)",
            describe(reference)
        ))),
        other => Err(bad(describe(other))),
    }
}

/// A sub-grader resolved by name at build time.
#[derive(Clone)]
pub struct Sub {
    /// Its name in the configuration.
    pub name: String,
    /// The grader.
    pub grader: SharedGrader,
}

impl Sub {
    /// Resolves the grader called `name`, for the option `option` of the grader being built.
    pub fn resolve(ctx: &mut BuildContext<'_>, option: &str, name: &str) -> Result<Sub, String> {
        let grader = ctx.grader(name).map_err(|e| format!("{option}: {e}"))?;
        Ok(Sub {
            name: name.to_string(),
            grader,
        })
    }

    /// What this item becomes when the sub-grader's outcome is a failure (`error`, `timeout`)
    /// or does not apply: the same status, the message prefixed with the sub-grader's name.
    /// `None` when the outcome is scored (`ok` or `invalid`).
    pub fn failure(&self, outcome: &Outcome) -> Option<Outcome> {
        match outcome.status {
            Status::Ok | Status::Invalid if outcome.reward.is_some() => None,
            Status::Ok | Status::Invalid => Some(Outcome::error(
                ErrorKind::Internal,
                format!("`{}`: scored without a reward", self.name),
            )),
            Status::NotApplicable => {
                let reason = outcome
                    .explanation
                    .get("reason")
                    .and_then(Value::as_str)
                    .unwrap_or("does not apply");
                Some(Outcome::not_applicable(format!(
                    "`{}`: {reason}",
                    self.name
                )))
            }
            // Timeout, error, and any status added later: a failure.
            _ => {
                let error = outcome.error.clone().unwrap_or_else(|| {
                    GradeError::new(ErrorKind::Internal, "failed without an error")
                });
                Some(Outcome::from_error(GradeError::new(
                    error.kind,
                    format!("`{}`: {}", self.name, error.message),
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn normalization_runs_in_canonical_order() {
        let cases: [(&[Normalize], &str, &str); 6] = [
            (&[], "  A, b  ", "  A, b  "),
            (&[Normalize::Trim], "  A, b \n", "A, b"),
            (&[Normalize::Case], "ÀBC", "àbc"),
            (&[Normalize::Whitespace], "a \t\n b", "a b"),
            (
                &[
                    Normalize::Trim,
                    Normalize::Whitespace,
                    Normalize::Punctuation,
                ],
                " “Paris” — France. ",
                "Paris France",
            ),
            (
                &[Normalize::Punctuation, Normalize::Case],
                "Hello, World!",
                "hello world",
            ),
        ];
        for (steps, input, expected) in cases {
            assert_eq!(Normalizer::new(steps).apply(input), expected, "{steps:?}");
        }
    }

    #[test]
    fn references_are_strings_or_lists_of_strings() {
        assert_eq!(string_or_list(&json!("x")).unwrap(), ["x"]);
        assert_eq!(string_or_list(&json!(["x", "y"])).unwrap(), ["x", "y"]);
        let cases = [
            (json!(null), "got null"),
            (json!(42), "got number 42 (quote it"),
            (json!([]), "got an empty list"),
            (json!(["a", 1]), "got number 1 at index 1"),
            (json!({"a": 1}), "got an object"),
        ];
        for (reference, message) in cases {
            let error = string_or_list(&reference).unwrap_err();
            assert_eq!(error.kind, ErrorKind::BadReference);
            assert!(error.message.contains(message), "{}", error.message);
        }
    }
}

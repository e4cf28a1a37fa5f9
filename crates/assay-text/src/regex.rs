//! `regex`: the response must match a pattern; optionally a capture group becomes `pred` and
//! is compared with the reference.
//!
//! ```toml
//! [graders.answer_line]
//! kind = "regex"
//! pattern = 'Answer:\s*(?P<answer>-?\d+)'
//! mode = "search"              # search (anywhere) | full (the whole response)
//! group = "answer"             # or an index: 1
//! occurrence = "last"          # first | last match, in search mode
//! compare_reference = true     # the capture must equal the reference
//! normalize = ["trim"]         # applied to capture and reference before comparing
//! ```
//!
//! Patterns use the syntax of Rust's `regex` crate (no look-around, no back-references), which
//! guarantees matching in time linear in the response: a pattern cannot be made to backtrack
//! catastrophically (with `occurrence = "last"`, walking through the matches also checks the
//! item's budget). An invalid pattern, or a `group` the pattern does not have, is a
//! configuration error reported when the configuration loads.
//!
//! Reward: 1 when the pattern matches (and, with `compare_reference`, the capture equals the
//! reference or one of a list of them), 0 when the capture differs. No match, or a `group`
//! that did not take part in the match, is `invalid` with reward 0. `pred` is the capture
//! (the whole match without `group`).
//!
//! Reference: not used, unless `compare_reference` is set: then a string or a list of
//! acceptable strings.

use std::fmt;
use std::sync::Arc;

use ::regex::{Captures, Regex};
use schemars::JsonSchema;
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{json, Value};

use assay_core::{Budget, BuildContext, Expired, Grader, GraderKind, Item, Outcome, SharedGrader};

use crate::common::{excerpt, string_or_list, Normalize, Normalizer};

/// Where the pattern must match.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Anywhere in the response.
    #[default]
    Search,
    /// The whole response, from its first character to its last.
    Full,
}

/// Which match counts when the pattern matches several times (search mode).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Occurrence {
    /// The first match.
    #[default]
    First,
    /// The last match (where a final answer usually is).
    Last,
}

/// A capture group, by index or by name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, JsonSchema)]
#[serde(untagged)]
pub enum Group {
    /// The group's index (0 is the whole match).
    Index(usize),
    /// The group's name, as in `(?P<name>…)`.
    Name(String),
}

impl fmt::Display for Group {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Group::Index(i) => write!(f, "{i}"),
            Group::Name(n) => write!(f, "`{n}`"),
        }
    }
}

impl<'de> Deserialize<'de> for Group {
    fn deserialize<D: Deserializer<'de>>(de: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Group;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a group index (a non-negative integer) or a group name (a string)")
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Group, E> {
                usize::try_from(v)
                    .map(Group::Index)
                    .map_err(|_| E::custom("group index too large"))
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Group, E> {
                u64::try_from(v)
                    .map_err(|_| E::invalid_value(serde::de::Unexpected::Signed(v), &self))
                    .and_then(|v| self.visit_u64(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Group, E> {
                Ok(Group::Name(v.to_string()))
            }
        }
        de.deserialize_any(Visitor)
    }
}

/// Options of `regex`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RegexOptions {
    /// The pattern, in the syntax of Rust's `regex` crate (linear-time: no look-around, no
    /// back-references). Flags go inline, e.g. `(?i)` for case-insensitive, `(?s)` for `.`
    /// matching newlines.
    pub pattern: String,
    /// `search`: the pattern matches anywhere; `full`: it must match the whole response.
    #[serde(default)]
    pub mode: Mode,
    /// The capture group (index or name) whose text becomes `pred`; without it, the whole match.
    pub group: Option<Group>,
    /// In search mode, whether the `first` or the `last` match counts.
    #[serde(default)]
    pub occurrence: Occurrence,
    /// Whether the capture must equal the reference (a string or a list of acceptable strings).
    #[serde(default)]
    pub compare_reference: bool,
    /// Normalization of the capture and the reference before comparing (needs
    /// `compare_reference`): any of `trim`, `case`, `whitespace`, `punctuation`.
    #[serde(default)]
    pub normalize: Vec<Normalize>,
}

/// The `regex` grader.
#[derive(Debug)]
pub struct RegexGrader {
    pattern: String,
    regex: Regex,
    mode: Mode,
    group: Option<Group>,
    occurrence: Occurrence,
    compare: Option<Normalizer>,
}

impl RegexGrader {
    /// Builds the grader; an invalid pattern or an unknown group is an error message.
    pub fn new(options: RegexOptions) -> Result<Self, String> {
        let check = Regex::new(&options.pattern)
            .map_err(|e| format!("pattern is not a valid regular expression: {e}"))?;
        let regex = match options.mode {
            Mode::Search => check,
            Mode::Full => Regex::new(&format!(r"\A(?:{})\z", options.pattern))
                .map_err(|e| format!("pattern is not a valid regular expression: {e}"))?,
        };
        match &options.group {
            Some(Group::Index(i)) if *i >= regex.captures_len() => {
                return Err(format!(
                    "group {i} does not exist: the pattern has {} capture group(s)",
                    regex.captures_len() - 1
                ));
            }
            Some(Group::Name(name)) if !regex.capture_names().flatten().any(|n| n == name) => {
                let names: Vec<&str> = regex.capture_names().flatten().collect();
                return Err(if names.is_empty() {
                    format!("group `{name}` does not exist: the pattern has no named group")
                } else {
                    format!(
                        "group `{name}` does not exist; the pattern's named groups: {}",
                        names.join(", ")
                    )
                });
            }
            _ => {}
        }
        if !options.normalize.is_empty() && !options.compare_reference {
            return Err(
                "`normalize` applies to the comparison with the reference: set `compare_reference = true`, or drop `normalize`"
                    .into(),
            );
        }
        if options.occurrence == Occurrence::Last && options.mode == Mode::Full {
            return Err(
                "`occurrence` applies to mode `search` only: a full match is unique".into(),
            );
        }
        Ok(RegexGrader {
            pattern: options.pattern,
            regex,
            mode: options.mode,
            group: options.group,
            occurrence: options.occurrence,
            compare: options
                .compare_reference
                .then(|| Normalizer::new(&options.normalize)),
        })
    }

    /// The match that counts, or `Expired` when walking to the last match outlives the budget.
    fn find<'t>(&self, text: &'t str, budget: &Budget) -> Result<Option<Captures<'t>>, Expired> {
        match (self.mode, self.occurrence) {
            (Mode::Search, Occurrence::Last) => {
                let mut meter = budget.meter(256);
                let mut last = None;
                for captures in self.regex.captures_iter(text) {
                    meter.tick()?;
                    last = Some(captures);
                }
                Ok(last)
            }
            _ => Ok(self.regex.captures(text)),
        }
    }
}

impl Grader for RegexGrader {
    fn components(&self) -> Vec<String> {
        Vec::new()
    }

    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        let references = match &self.compare {
            Some(_) => match string_or_list(&item.reference) {
                Ok(r) => Some(r),
                Err(error) => return Outcome::from_error(error),
            },
            None => None,
        };
        let response = item.response_text();
        let mode = match self.mode {
            Mode::Search => "search",
            Mode::Full => "full",
        };
        let found = match self.find(response, budget) {
            Ok(found) => found,
            Err(expired) => return Outcome::timeout(format!("finding the last match: {expired}")),
        };
        let Some(captures) = found else {
            let reason = match self.mode {
                Mode::Search => "the pattern does not match the response",
                Mode::Full => "the pattern does not match the whole response",
            };
            return Outcome::invalid(0.0, reason)
                .explain("pattern", self.pattern.as_str())
                .explain("mode", mode);
        };
        let whole = captures.get(0).expect("group 0 is the whole match");
        let capture = match &self.group {
            None => Some(whole),
            Some(Group::Index(i)) => captures.get(*i),
            Some(Group::Name(n)) => captures.name(n),
        };
        let explain = |o: Outcome| {
            o.explain("pattern", self.pattern.as_str())
                .explain("mode", mode)
                .explain("match", excerpt(whole.as_str(), 200))
                .explain("span", json!([whole.start(), whole.end()]))
        };
        let Some(capture) = capture else {
            let group = self
                .group
                .as_ref()
                .map(Group::to_string)
                .unwrap_or_default();
            return explain(Outcome::invalid(
                0.0,
                format!("group {group} did not take part in the match"),
            ));
        };
        let pred = capture.as_str();
        let (Some(normalizer), Some(references)) = (&self.compare, references) else {
            return explain(Outcome::ok(1.0).pred(pred));
        };
        let normalized = normalizer.apply(pred);
        let matched = references
            .iter()
            .find(|r| normalizer.apply(r) == normalized);
        let mut outcome = explain(
            Outcome::ok(if matched.is_some() { 1.0 } else { 0.0 }).pred(normalized.clone()),
        );
        if let Some(r) = matched {
            outcome = outcome.explain("matched", Value::String((*r).to_string()));
        }
        outcome
    }
}

/// The `regex` kind.
pub struct RegexKind;

impl GraderKind for RegexKind {
    type Options = RegexOptions;
    const NAME: &'static str = "regex";
    const FAMILY: &'static str = "text";
    const SUMMARY: &'static str = "Rewards a response that matches a pattern (anywhere or in full); a capture group becomes the prediction and can be compared with the reference.";
    const REFERENCE: &'static str =
        "not used; with `compare_reference`, a string or a list of acceptable strings";
    const EXAMPLE: &'static str = r#"
[graders.regex]
kind = "regex"
pattern = 'Answer:\s*(\w+)'
group = 1
compare_reference = true     # the captured text must equal the reference
"#;

    fn build(options: RegexOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        Ok(Arc::new(RegexGrader::new(options)?))
    }
}

#[cfg(test)]
mod tests {
    use assay_core::{ErrorKind, Item, Status};
    use serde_json::{json, Value};

    use crate::testing::{build_error, engine, grade_one};

    #[test]
    fn matching_table() {
        let digits = json!({"pattern": r"\d+"});
        let answer = json!({"pattern": r"Answer:\s*(?P<ans>\w+)", "group": "ans"});
        // (options, response, reference, status, reward, pred)
        type Case<'a> = (Value, &'a str, Value, Status, f64, Option<&'a str>);
        let cases: Vec<Case> = vec![
            (
                digits.clone(),
                "it is 42 or 7",
                json!(null),
                Status::Ok,
                1.0,
                Some("42"),
            ),
            (
                json!({"pattern": r"\d+", "occurrence": "last"}),
                "it is 42 or 7",
                json!(null),
                Status::Ok,
                1.0,
                Some("7"),
            ),
            (
                digits.clone(),
                "no digits",
                json!(null),
                Status::Invalid,
                0.0,
                None,
            ),
            (digits.clone(), "", json!(null), Status::Invalid, 0.0, None),
            (
                json!({"pattern": r"\d+", "mode": "full"}),
                "42",
                json!(null),
                Status::Ok,
                1.0,
                Some("42"),
            ),
            (
                json!({"pattern": r"\d+", "mode": "full"}),
                "42\n",
                json!(null),
                Status::Invalid,
                0.0,
                None,
            ),
            // Alternation inside a full match must not escape the anchors.
            (
                json!({"pattern": "a|ab", "mode": "full"}),
                "ab",
                json!(null),
                Status::Ok,
                1.0,
                Some("ab"),
            ),
            (
                json!({"pattern": "a|b", "mode": "full"}),
                "ab",
                json!(null),
                Status::Invalid,
                0.0,
                None,
            ),
            (
                answer.clone(),
                "Answer: Paris",
                json!(null),
                Status::Ok,
                1.0,
                Some("Paris"),
            ),
            (
                json!({"pattern": r"(\d+)-(\d+)", "group": 2}),
                "pages 10-12",
                json!(null),
                Status::Ok,
                1.0,
                Some("12"),
            ),
            // An optional group that did not take part.
            (
                json!({"pattern": r"x(y)?", "group": 1}),
                "x",
                json!(null),
                Status::Invalid,
                0.0,
                None,
            ),
            // Comparison with the reference.
            (
                json!({"pattern": r"Answer:\s*(?P<ans>\w+)", "group": "ans", "compare_reference": true}),
                "Answer: Paris",
                json!("Paris"),
                Status::Ok,
                1.0,
                Some("Paris"),
            ),
            (
                json!({"pattern": r"Answer:\s*(?P<ans>\w+)", "group": "ans", "compare_reference": true}),
                "Answer: Lyon",
                json!("Paris"),
                Status::Ok,
                0.0,
                Some("Lyon"),
            ),
            (
                json!({"pattern": r"Answer:(.*)", "group": 1, "compare_reference": true,
                       "normalize": ["trim", "case"]}),
                "Answer:  PARIS ",
                json!(["rome", "Paris"]),
                Status::Ok,
                1.0,
                Some("paris"),
            ),
            (
                json!({"pattern": r"(?i)answer:\s*(\w+)", "group": 1}),
                "ANSWER: yes",
                json!(null),
                Status::Ok,
                1.0,
                Some("yes"),
            ),
        ];
        for (options, response, reference, status, reward, pred) in cases {
            let r = grade_one("regex", &options, response, reference);
            assert_eq!(r.status, status, "{options} {response:?}");
            assert_eq!(r.reward, Some(reward), "{options} {response:?}");
            assert_eq!(r.pred.as_deref(), pred, "{options} {response:?}");
        }
    }

    #[test]
    fn last_occurrence_respects_the_budget() {
        use assay_core::{Budget, Grader};
        let options = super::RegexOptions {
            pattern: r"\d".into(),
            mode: super::Mode::Search,
            group: None,
            occurrence: super::Occurrence::Last,
            compare_reference: false,
            normalize: Vec::new(),
        };
        let grader = super::RegexGrader::new(options).unwrap();
        let item = Item::new("1 ".repeat(10_000), Value::Null);
        let expired = grader.grade(&item, &Budget::new(Some(std::time::Duration::ZERO)));
        assert_eq!(expired.status, Status::Timeout);
        assert_eq!(grader.grade(&item, &Budget::unlimited()).status, Status::Ok);
    }

    #[test]
    fn explanation_shows_the_match() {
        let r = grade_one("regex", &json!({"pattern": r"\d+"}), "x 42 y", json!(null));
        assert_eq!(r.explanation["match"], json!("42"));
        assert_eq!(r.explanation["span"], json!([2, 4]));
        let r = grade_one("regex", &json!({"pattern": r"\d+"}), "none", json!(null));
        assert_eq!(
            r.explanation["reason"],
            json!("the pattern does not match the response")
        );
    }

    #[test]
    fn bad_references_with_compare_reference() {
        let options = json!({"pattern": r"\w+", "compare_reference": true});
        for (reference, message) in [
            (json!(null), "got null"),
            (json!(3), "got number 3"),
            (json!({"x": 1}), "got an object"),
        ] {
            let r = grade_one("regex", &options, "word", reference);
            assert_eq!(r.status, Status::Error);
            let error = r.error.unwrap();
            assert_eq!(error.kind, ErrorKind::BadReference);
            assert!(error.message.contains(message), "{}", error.message);
        }
        // Without compare_reference the reference is not read.
        let r = grade_one("regex", &json!({"pattern": r"\w+"}), "word", json!(3));
        assert_eq!(r.status, Status::Ok);
    }

    #[test]
    fn bad_options() {
        let cases = [
            (json!({}), "missing field `pattern`"),
            (
                json!({"pattern": "(unclosed"}),
                "pattern is not a valid regular expression: regex parse error",
            ),
            (json!({"pattern": "(unclosed"}), "unclosed group"),
            (
                json!({"pattern": r"(?<=a)b"}),
                "look-around, including look-ahead and look-behind, is not supported",
            ),
            (
                json!({"pattern": r"(\d)", "group": 2}),
                "group 2 does not exist: the pattern has 1 capture group(s)",
            ),
            (
                json!({"pattern": r"(?P<a>\d)", "group": "b"}),
                "group `b` does not exist; the pattern's named groups: a",
            ),
            (
                json!({"pattern": r"\d", "group": "b"}),
                "group `b` does not exist: the pattern has no named group",
            ),
            (
                json!({"pattern": r"\d", "group": true}),
                "expected a group index (a non-negative integer) or a group name (a string)",
            ),
            (
                json!({"pattern": r"\d", "group": -1}),
                "expected a group index (a non-negative integer)",
            ),
            (
                json!({"pattern": r"\d", "mode": "partial"}),
                "unknown variant `partial`, expected `search` or `full`",
            ),
            (
                json!({"pattern": r"\d", "normalize": ["trim"]}),
                "set `compare_reference = true`",
            ),
            (
                json!({"pattern": r"\d", "mode": "full", "occurrence": "last"}),
                "`occurrence` applies to mode `search` only",
            ),
            (
                json!({"pattern": 5}),
                "invalid type: integer `5`, expected a string",
            ),
            (
                json!({"pattern": "a", "flags": "i"}),
                "unknown field `flags`",
            ),
        ];
        for (options, message) in cases {
            let text = build_error("regex", &options);
            assert!(text.contains(message), "{options}: {text}");
            assert!(text.contains("graders.g"), "{options}: {text}");
        }
    }

    #[test]
    fn documented_example_works() {
        let e = engine(
            r#"
            [graders.answer_line]
            kind = "regex"
            pattern = 'Answer:\s*(?P<answer>-?\d+)'
            mode = "search"              # search (anywhere) | full (the whole response)
            group = "answer"             # or an index: 1
            occurrence = "last"          # first | last match, in search mode
            compare_reference = true     # the capture must equal the reference
            normalize = ["trim"]         # applied to capture and reference before comparing
            "#,
        );
        let results = e.score(&[
            Item::new("Answer: 3. Wait, no. Answer: -4", "-4"),
            Item::new("Answer: 3", "-4"),
        ]);
        assert_eq!(results[0].reward, Some(1.0));
        assert_eq!(results[0].pred.as_deref(), Some("-4"));
        assert_eq!(results[1].reward, Some(0.0));
    }
}

//! `format`: the response has the expected tag structure, such as
//! `<think>…</think><answer>…</answer>`.
//!
//! ```toml
//! [graders.fmt]
//! kind = "format"
//! tags = ["think", "answer"]   # each exactly once, in this order
//! strict = true                # nothing but whitespace outside the tags
//! ```
//!
//! Each tag must open (`<think>`) and close (`</think>`) exactly once, the tags must come in
//! the listed order without overlapping, and, when `strict` (the default), only whitespace may
//! stand before the first tag, between tags and after the last one. Tags are matched exactly
//! and case-sensitively, without attributes.
//!
//! Reward 1 when the structure is right, else 0 (status `ok` either way: a wrong format is a
//! verdict, not a missing answer). The explanation lists every problem found: a missing tag, a
//! duplicated one, tags out of order, text outside the tags. `pred` is the content of the last
//! tag (usually the answer), trimmed, when the structure is right.
//!
//! Reference: not used.
//!
//! Cost: one scan of the response per tag, checking the item's budget as tags are found.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use assay_core::{Budget, BuildContext, Grader, GraderKind, Item, Outcome, SharedGrader};

use crate::common::excerpt;

fn default_tags() -> Vec<String> {
    vec!["think".into(), "answer".into()]
}

fn yes() -> bool {
    true
}

/// Options of `format`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FormatOptions {
    /// The tag names, in the order they must appear; each must open and close exactly once.
    #[serde(default = "default_tags")]
    pub tags: Vec<String>,
    /// Whether only whitespace may stand outside the tags.
    #[serde(default = "yes")]
    pub strict: bool,
}

/// The `format` grader.
#[derive(Debug)]
pub struct Format {
    /// For each tag: its name, its opening and its closing marker.
    tags: Vec<(String, String, String)>,
    strict: bool,
}

impl Format {
    /// A grader for `tags` in order; tag names must be non-empty, distinct, and free of
    /// whitespace, `<`, `>` and `/`.
    pub fn new(tags: &[String], strict: bool) -> Result<Self, String> {
        if tags.is_empty() {
            return Err("`tags` is empty: name at least one tag, e.g. [\"answer\"]".into());
        }
        let mut seen: Vec<&str> = Vec::new();
        for tag in tags {
            if tag.is_empty() {
                return Err("`tags` contains an empty name".into());
            }
            if let Some(c) = tag
                .chars()
                .find(|c| c.is_whitespace() || matches!(c, '<' | '>' | '/'))
            {
                return Err(format!(
                    "tag name {tag:?} contains {c:?}: give bare names such as \"think\", not \"<think>\""
                ));
            }
            if seen.contains(&tag.as_str()) {
                return Err(format!("tag {tag:?} is listed twice"));
            }
            seen.push(tag);
        }
        Ok(Format {
            tags: tags
                .iter()
                .map(|t| (t.clone(), format!("<{t}>"), format!("</{t}>")))
                .collect(),
            strict,
        })
    }
}

/// Positions of `marker` in `text`, or `None` once the budget runs out.
fn positions(text: &str, marker: &str, meter: &mut assay_core::Meter<'_>) -> Option<Vec<usize>> {
    let mut found = Vec::new();
    for (at, _) in text.match_indices(marker) {
        meter.tick().ok()?;
        found.push(at);
    }
    Some(found)
}

impl Grader for Format {
    fn components(&self) -> Vec<String> {
        Vec::new()
    }

    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        let text = item.response_text();
        let mut meter = budget.meter(256);
        let mut problems: Vec<String> = Vec::new();
        // The single position of every marker, in the expected order, once all are unique.
        let mut sequence: Vec<(usize, &str)> = Vec::new();
        for (_, open, close) in &self.tags {
            for marker in [open, close] {
                let Some(at) = positions(text, marker, &mut meter) else {
                    return Outcome::timeout("deadline passed while scanning for tags");
                };
                match at.len() {
                    0 => problems.push(format!("missing {marker}")),
                    1 => sequence.push((at[0], marker)),
                    n => problems.push(format!("{marker} appears {n} times")),
                }
            }
        }
        if problems.is_empty() {
            for pair in sequence.windows(2) {
                let ((a_at, a), (b_at, b)) = (pair[0], pair[1]);
                if b_at < a_at + a.len() {
                    problems.push(format!("{b} comes before {a} (expected {a} … {b})"));
                }
            }
        }
        if problems.is_empty() && self.strict {
            let mut outside = Vec::new();
            let first = sequence[0];
            outside.push((format!("before {}", first.1), &text[..first.0]));
            for pair in sequence.chunks(2).collect::<Vec<_>>().windows(2) {
                let (close_at, close) = pair[0][1];
                let (open_at, open) = pair[1][0];
                outside.push((
                    format!("between {close} and {open}"),
                    &text[close_at + close.len()..open_at],
                ));
            }
            let last = sequence[sequence.len() - 1];
            outside.push((format!("after {}", last.1), &text[last.0 + last.1.len()..]));
            for (place, segment) in outside {
                if !segment.trim().is_empty() {
                    problems.push(format!("text {place}: {:?}", excerpt(segment.trim(), 40)));
                }
            }
        }
        let tags: Vec<Value> = self
            .tags
            .iter()
            .map(|(name, _, _)| Value::String(name.clone()))
            .collect();
        if problems.is_empty() {
            let n = sequence.len();
            let (open_at, open) = sequence[n - 2];
            let content = text[open_at + open.len()..sequence[n - 1].0].trim();
            return Outcome::ok(1.0)
                .pred(content)
                .explain("tags", tags)
                .explain("strict", self.strict);
        }
        if text.trim().is_empty() {
            problems = vec!["empty response".into()];
        }
        Outcome::ok(0.0)
            .explain("tags", tags)
            .explain("strict", self.strict)
            .explain("problems", problems)
    }
}

/// The `format` kind.
pub struct FormatKind;

impl GraderKind for FormatKind {
    type Options = FormatOptions;
    const NAME: &'static str = "format";
    const FAMILY: &'static str = "text";
    const SUMMARY: &'static str = "Rewards the expected tag structure, such as <think>…</think><answer>…</answer>: each tag exactly once, in order, nothing outside when strict.";
    const REFERENCE: &'static str = "not used";
    const EXAMPLE: &'static str = r#"
[graders.format]
kind = "format"
tags = ["think", "answer"]   # each exactly once, in this order
strict = true                # nothing but whitespace outside the tags
"#;

    fn build(options: FormatOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        Ok(Arc::new(Format::new(&options.tags, options.strict)?))
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use assay_core::{Budget, Grader, Item, Status};
    use serde_json::{json, Value};

    use super::Format;
    use crate::testing::{build_error, engine, grade_one};

    #[test]
    fn structure_table() {
        let default = json!({});
        let lax = json!({"strict": false});
        // (options, response, reward, problems)
        type Case<'a> = (&'a Value, &'a str, f64, &'a [&'a str]);
        let cases: Vec<Case> = vec![
            (&default, "<think>hmm</think><answer>42</answer>", 1.0, &[]),
            (
                &default,
                "\n<think>\nhmm\n</think>\n\n<answer> 42 </answer>\n",
                1.0,
                &[],
            ),
            (&default, "<think></think><answer></answer>", 1.0, &[]),
            (&default, "", 0.0, &["empty response"]),
            (
                &default,
                "<answer>42</answer>",
                0.0,
                &["missing <think>", "missing </think>"],
            ),
            (
                &default,
                "<think>a</think><answer>42",
                0.0,
                &["missing </answer>"],
            ),
            (
                &default,
                "<think>a</think><think>b</think><answer>42</answer>",
                0.0,
                &["<think> appears 2 times", "</think> appears 2 times"],
            ),
            (
                &default,
                "<answer>42</answer><think>hmm</think>",
                0.0,
                &["<answer> comes before </think> (expected </think> … <answer>)"],
            ),
            (
                &default,
                "<think>a<answer>42</answer></think>",
                0.0,
                &["<answer> comes before </think> (expected </think> … <answer>)"],
            ),
            (
                &default,
                "</think>a<think><answer>1</answer>",
                0.0,
                &["</think> comes before <think> (expected <think> … </think>)"],
            ),
            (
                &default,
                "Sure! <think>a</think><answer>42</answer>",
                0.0,
                &["text before <think>: \"Sure!\""],
            ),
            (
                &default,
                "<think>a</think> so <answer>42</answer>",
                0.0,
                &["text between </think> and <answer>: \"so\""],
            ),
            (
                &default,
                "<think>a</think><answer>42</answer> done",
                0.0,
                &["text after </answer>: \"done\""],
            ),
            (
                &lax,
                "Sure! <think>a</think> so <answer>42</answer> done",
                1.0,
                &[],
            ),
            (
                &lax,
                "<answer>42</answer>",
                0.0,
                &["missing <think>", "missing </think>"],
            ),
            // Case and attributes matter.
            (
                &default,
                "<Think>a</Think><answer>1</answer>",
                0.0,
                &["missing <think>", "missing </think>"],
            ),
        ];
        for (options, response, reward, problems) in cases {
            let r = grade_one("format", options, response, json!(null));
            assert_eq!(r.status, Status::Ok, "{response:?}");
            assert_eq!(r.reward, Some(reward), "{response:?}: {:?}", r.explanation);
            let found: Vec<&str> = r
                .explanation
                .get("problems")
                .and_then(Value::as_array)
                .map(|p| p.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            assert_eq!(found, problems, "{response:?}");
        }
    }

    #[test]
    fn pred_is_the_last_tag_content() {
        let r = grade_one(
            "format",
            &json!({"tags": ["reasoning", "code", "answer"]}),
            "<reasoning>r</reasoning>\n<code>c</code>\n<answer>\n 7 \n</answer>",
            json!(null),
        );
        assert_eq!(r.reward, Some(1.0));
        assert_eq!(r.pred.as_deref(), Some("7"));
    }

    #[test]
    fn bad_options() {
        let cases = [
            (json!({"tags": []}), "`tags` is empty"),
            (json!({"tags": [""]}), "`tags` contains an empty name"),
            (
                json!({"tags": ["<think>"]}),
                "tag name \"<think>\" contains '<'",
            ),
            (json!({"tags": ["a b"]}), "tag name \"a b\" contains ' '"),
            (json!({"tags": ["a", "a"]}), "tag \"a\" is listed twice"),
            (
                json!({"tags": "think"}),
                "invalid type: string \"think\", expected a sequence",
            ),
            (
                json!({"strict": 1}),
                "invalid type: integer `1`, expected a boolean",
            ),
            (
                json!({"tag": ["a"]}),
                "unknown field `tag`, expected `tags` or `strict`",
            ),
        ];
        for (options, message) in cases {
            let text = build_error("format", &options);
            assert!(text.contains(message), "{options}: {text}");
        }
    }

    #[test]
    fn an_expired_budget_times_out() {
        let grader = Format::new(&["a".into()], true).unwrap();
        let text = "<a>".repeat(10_000);
        let outcome = grader.grade(
            &Item::new(text, Value::Null),
            &Budget::new(Some(Duration::ZERO)),
        );
        assert_eq!(outcome.status, Status::Timeout);
    }

    #[test]
    fn documented_example_works() {
        let e = engine(
            r#"
            [graders.fmt]
            kind = "format"
            tags = ["think", "answer"]   # each exactly once, in this order
            strict = true                # nothing but whitespace outside the tags
            "#,
        );
        let r = e.score(&[Item::new(
            "<think>2+2</think>\n<answer>4</answer>",
            Value::Null,
        )]);
        assert_eq!(r[0].reward, Some(1.0));
        assert_eq!(r[0].pred.as_deref(), Some("4"));
    }
}

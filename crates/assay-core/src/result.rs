//! The output side of the data model: one [`GradeResult`] per item, in input order.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{Components, ErrorKind, GradeError, Item, Status};

/// The result for one item, field for field as DESIGN.md §2 fixes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GradeResult {
    /// The item's `id`, echoed (`null` when it had none).
    pub id: Option<Value>,
    /// A number for `ok` and `invalid`; `null` for `timeout` and `error` unless a fallback was
    /// asked for (`on_error`); `null` for `not_applicable`.
    pub reward: Option<f64>,
    /// How grading ended.
    pub status: Status,
    /// Named partial scores, with the same keys for every result of a configuration.
    pub components: Components,
    /// What the grader read as the answer.
    pub pred: Option<String>,
    /// Why the grader decided what it did.
    pub explanation: Map<String, Value>,
    /// The failure, for `timeout` and `error`.
    pub error: Option<GradeError>,
    /// Time spent grading this item, in milliseconds.
    pub elapsed_ms: f64,
    /// The group-relative advantage, when asked for (`--advantage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advantage: Option<f64>,
}

/// An input line that is not a valid item. It still gets a result (status `error`, kind
/// `malformed_input`), carrying whatever `id` could be read from the line.
#[derive(Debug, Clone, PartialEq)]
pub struct MalformedItem {
    /// The `id` of the line, when the line is a JSON object with one.
    pub id: Option<Value>,
    /// Its `data_source`, when readable (for the summary's breakdown).
    pub data_source: Option<String>,
    /// What is wrong with it.
    pub message: String,
}

impl MalformedItem {
    /// Parses one line of JSONL input into an item, or describes why it is not one.
    pub fn parse_line(line: &str) -> Result<Item, MalformedItem> {
        match serde_json::from_str::<Item>(line) {
            Ok(item) => Ok(item),
            Err(e) => {
                let loose = serde_json::from_str::<Value>(line).ok();
                let field = |key: &str| loose.as_ref().and_then(|v| v.get(key)).cloned();
                let message = if loose.is_none() {
                    format!("the line is not valid JSON: {e}")
                } else if !loose.as_ref().is_some_and(Value::is_object) {
                    "the line is not a JSON object".to_string()
                } else {
                    format!("the line is not a valid item: {e}")
                };
                Err(MalformedItem {
                    id: field("id"),
                    data_source: field("data_source").and_then(|v| v.as_str().map(String::from)),
                    message,
                })
            }
        }
    }

    /// The error this becomes.
    pub fn error(&self) -> GradeError {
        GradeError::new(ErrorKind::MalformedInput, self.message.clone())
    }
}

/// What a caller hands the engine: an item, or a line that failed to parse as one.
pub type Input = Result<Item, MalformedItem>;

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn result_serializes_every_design_field_in_order() {
        let result = GradeResult {
            id: Some(json!("q17#3")),
            reward: Some(1.0),
            status: Status::Ok,
            components: [("math".to_string(), Some(1.0))].into(),
            pred: Some("3/4".into()),
            explanation: json!({"rule": "exact rational"})
                .as_object()
                .unwrap()
                .clone(),
            error: None,
            elapsed_ms: 0.01,
            advantage: None,
        };
        assert_eq!(
            serde_json::to_string(&result).unwrap(),
            r#"{"id":"q17#3","reward":1.0,"status":"ok","components":{"math":1.0},"pred":"3/4","explanation":{"rule":"exact rational"},"error":null,"elapsed_ms":0.01}"#
        );
    }

    #[test]
    fn malformed_lines_keep_what_can_be_read() {
        let cases = [
            ("{not json", None, "the line is not valid JSON"),
            ("[1, 2]", None, "the line is not a JSON object"),
            (
                r#"{"id": 9, "data_source": "m"}"#,
                Some(json!(9)),
                "the line is not a valid item: missing field `response`",
            ),
            (
                r#"{"id": "x", "response": 3}"#,
                Some(json!("x")),
                "the line is not a valid item",
            ),
        ];
        for (line, id, message) in cases {
            let bad = MalformedItem::parse_line(line).unwrap_err();
            assert_eq!(bad.id, id, "{line}");
            assert!(bad.message.starts_with(message), "{line}: {}", bad.message);
            assert_eq!(bad.error().kind, ErrorKind::MalformedInput);
        }
    }
}

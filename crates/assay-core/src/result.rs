//! The output side of the data model: one [`GradeResult`] per item, in input order.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::{Components, ErrorKind, GradeError, Item, Status, Usage};

/// The result for one item: what the README's data model section documents, field for field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
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
    /// The configured grader the item was routed to (`null` when it reached none: a
    /// malformed line, no route).
    #[serde(default)]
    pub grader: Option<String>,
    /// Time spent grading this item, in milliseconds: from when its grading started to when
    /// its outcome was ready (its own time, not its batch's).
    pub elapsed_ms: f64,
    /// The group-relative advantage, when asked for (`--advantage`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advantage: Option<f64>,
    /// What grading the item spent on remote services, when it spent anything.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
    /// Whether every scored sample of the item's group got the same reward (a group that
    /// teaches nothing, which DAPO-style dynamic sampling drops); set with the advantage, for
    /// items that have a `group`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zero_spread: Option<bool>,
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
    pub fn parse_line(line: &str) -> Input {
        match serde_json::from_str::<Item>(line) {
            Ok(item) => Ok(item),
            Err(strict) => match serde_json::from_str::<Value>(line) {
                Err(_) => Err(MalformedItem {
                    id: None,
                    data_source: None,
                    // One line of JSONL is line 1 to serde: say only the column.
                    message: format!("the line is not valid JSON: {strict}")
                        .replace(" at line 1 column ", " at column "),
                }),
                Ok(value) => Err(Self::describe(&value, "the line", &strict)),
            },
        }
    }

    /// Parses line `number` (1-based) of a JSONL file; a malformed line's message names the
    /// line and shows its start.
    pub fn parse_numbered_line(line: &str, number: u64) -> Input {
        Self::parse_line(line).map_err(|mut bad| {
            bad.message = format!(
                "line {number}: {} (the line starts: {})",
                bad.message,
                excerpt(line)
            );
            bad
        })
    }

    /// Reads a JSON value (an element of a request's item list, a Python dict) as an item;
    /// `what` names it in the message (`items[3]`).
    pub fn parse_value(value: Value, what: &str) -> Input {
        if !value.is_object() {
            return Err(MalformedItem {
                id: None,
                data_source: None,
                message: format!(
                    "{what} must be an object with at least `response`, found {}",
                    json_type(&value)
                ),
            });
        }
        // The item takes the value's strings over (no copy, no clone of the whole value); what
        // a message would need of the value is kept first, cheaply.
        let id = value.get("id").cloned();
        let data_source = value
            .get("data_source")
            .and_then(Value::as_str)
            .map(String::from);
        let content = content_problem(&value);
        match serde_json::from_value::<Item>(value) {
            Ok(item) => Ok(item),
            Err(e) => Err(MalformedItem {
                id,
                data_source,
                message: format!("{what} is not a valid item: {}", plain_message(&e, content)),
            }),
        }
    }

    /// The malformed item for `value`, which is valid JSON but not an item: whatever `id` and
    /// `data_source` can be read, and a message without serde's internals.
    fn describe(value: &Value, what: &str, error: &serde_json::Error) -> MalformedItem {
        let field = |key: &str| value.get(key).cloned();
        let message = if !value.is_object() {
            format!("{what} is not a JSON object but {}", json_type(value))
        } else {
            format!(
                "{what} is not a valid item: {}",
                plain_serde_message(value, error)
            )
        };
        MalformedItem {
            id: field("id"),
            data_source: field("data_source").and_then(|v| v.as_str().map(String::from)),
            message,
        }
    }

    /// The error this becomes.
    pub fn error(&self) -> GradeError {
        GradeError::new(ErrorKind::MalformedInput, self.message.clone())
    }
}

/// "a string", "a list" …: the JSON type of `value`, for messages.
pub fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

/// serde's message for an item that does not deserialize, with its internal names (untagged
/// enums) replaced by what the user wrote wrong.
fn plain_serde_message(value: &Value, error: &serde_json::Error) -> String {
    plain_message(error, content_problem(value))
}

/// [`plain_serde_message`] with the item's content problem found beforehand.
fn plain_message(error: &serde_json::Error, content_problem: Option<String>) -> String {
    let text = error.to_string();
    // "data did not match any variant of untagged enum Content" names our type, not the field.
    match content_problem {
        Some(problem) if text.contains("untagged enum Content") => problem,
        _ => text,
    }
}

/// What is wrong with the `response` or `prompt` of an item, if either is neither a string
/// nor a list of chat messages (no allocation when both are fine).
fn content_problem(value: &Value) -> Option<String> {
    ["response", "prompt"].into_iter().find_map(|field| {
        let v = value.get(field)?;
        let ok = match v {
            Value::String(_) => true,
            Value::Array(messages) => messages.iter().all(|m| {
                m.get("role").is_some_and(Value::is_string)
                    && m.get("content")
                        .is_none_or(|c| c.is_string() || c.is_null())
            }),
            _ => false,
        };
        (!ok).then(|| {
            format!(
                "`{field}` must be a string or a list of chat messages \
                 {{\"role\": ..., \"content\": ...}}, found {}",
                json_type(v)
            )
        })
    })
}

/// The first characters of `line`, for messages.
fn excerpt(line: &str) -> String {
    const MAX: usize = 60;
    let trimmed = line.trim();
    match trimmed.char_indices().nth(MAX) {
        Some((at, _)) => format!("`{}…`", &trimmed[..at]),
        None => format!("`{trimmed}`"),
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
            grader: Some("math".into()),
            elapsed_ms: 0.01,
            advantage: None,
            usage: None,
            zero_spread: None,
        };
        assert_eq!(
            serde_json::to_string(&result).unwrap(),
            r#"{"id":"q17#3","reward":1.0,"status":"ok","components":{"math":1.0},"pred":"3/4","explanation":{"rule":"exact rational"},"error":null,"grader":"math","elapsed_ms":0.01}"#
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

    #[test]
    fn messages_name_the_line_and_the_field_not_serde_internals() {
        let bad = MalformedItem::parse_numbered_line(r#"{"id": 4, "response": {"x": 1}}"#, 7)
            .unwrap_err();
        assert!(
            bad.message
                .starts_with("line 7: the line is not a valid item"),
            "{}",
            bad.message
        );
        assert!(bad
            .message
            .contains("`response` must be a string or a list of chat messages"));
        assert!(!bad.message.contains("untagged"), "{}", bad.message);
        assert!(bad
            .message
            .ends_with(r#"(the line starts: `{"id": 4, "response": {"x": 1}}`)"#));
        let long = format!(r#"{{"response": 1, "pad": "{}"}}"#, "x".repeat(200));
        let bad = MalformedItem::parse_numbered_line(&long, 2).unwrap_err();
        assert!(bad.message.ends_with("…`)"), "{}", bad.message);

        let bad = MalformedItem::parse_value(json!(3), "items[2]").unwrap_err();
        assert_eq!(
            bad.message,
            "items[2] must be an object with at least `response`, found a number"
        );
        let bad = MalformedItem::parse_value(json!({"id": "k", "data_source": "m"}), "items[0]")
            .unwrap_err();
        assert_eq!(
            (bad.id, bad.data_source.as_deref()),
            (Some(json!("k")), Some("m"))
        );
        assert!(
            bad.message.contains("missing field `response`"),
            "{}",
            bad.message
        );
        assert!(MalformedItem::parse_value(json!({"response": "ok"}), "items[0]").is_ok());
    }
}

//! Parsing `POST /v1/score` requests: the request as a whole must be well formed (else 4xx),
//! each item is parsed on its own (a bad one becomes an `error` result for that item only).

use std::time::{Duration, Instant};

use assay::{AdvantageMode, Input, MalformedItem, OnError};
use serde_json::Value;

use crate::error::ApiError;

/// Keys a score request may have.
const KEYS: [&str; 5] = ["grader", "items", "on_error", "deadline_ms", "advantage"];

/// Which graders a request asks for.
#[derive(Debug)]
pub(crate) enum GraderSpec {
    /// Route each item by its `data_source`.
    Routes,
    /// A grader of the server's configuration.
    Named(String),
    /// An inline configuration.
    Inline(serde_json::Map<String, Value>),
}

/// A parsed score request.
#[derive(Debug)]
pub(crate) struct ScoreRequest {
    pub grader: GraderSpec,
    pub items: Vec<Input>,
    pub on_error: Option<OnError>,
    /// When the whole request must be answered, from `deadline_ms` (counted from when the
    /// request was parsed).
    pub deadline: Option<Instant>,
    /// Group-relative advantages to add.
    pub advantage: Option<AdvantageMode>,
}

pub(crate) fn kind_of(v: &Value) -> &'static str {
    assay::json_type(v)
}

/// Parses the body text into JSON, or says where it breaks.
pub(crate) fn parse_json(body: &[u8]) -> Result<Value, ApiError> {
    serde_json::from_slice(body).map_err(|e| {
        let what = if body.iter().all(u8::is_ascii_whitespace) {
            "the request body is empty; send a JSON object".to_string()
        } else {
            format!("the request body is not valid JSON: {e}")
        };
        ApiError::bad_request("invalid_json", what)
    })
}

/// Parses one item; a bad one keeps whatever `id` and `data_source` it has.
pub(crate) fn parse_item(index: usize, value: Value) -> Input {
    MalformedItem::parse_value(value, &format!("items[{index}]"))
}

pub(crate) fn parse(body: Value, max_items: usize) -> Result<ScoreRequest, ApiError> {
    let Value::Object(mut body) = body else {
        return Err(ApiError::bad_request(
            "invalid_request",
            format!(
                "the body must be a JSON object {{\"grader\": ..., \"items\": [...]}}, found {}",
                kind_of(&body)
            ),
        ));
    };
    let unknown: Vec<&String> = body
        .keys()
        .filter(|k| !KEYS.contains(&k.as_str()))
        .collect();
    if !unknown.is_empty() {
        let names: Vec<String> = unknown.iter().map(|k| format!("`{k}`")).collect();
        return Err(ApiError::bad_request(
            "invalid_request",
            format!(
                "unknown key{} {}; a score request has `grader`, `items`, `on_error`, \
                 `deadline_ms` and `advantage`",
                if names.len() == 1 { "" } else { "s" },
                names.join(", ")
            ),
        ));
    }
    let items = match body.remove("items") {
        Some(Value::Array(items)) => items,
        None => {
            return Err(ApiError::bad_request(
                "invalid_request",
                "missing `items`: a list of items, each at least {\"response\": ...}",
            ))
        }
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_request",
                format!("`items` must be a list of items, found {}", kind_of(&other)),
            ))
        }
    };
    if items.len() > max_items {
        return Err(ApiError::too_large(
            "batch_too_large",
            format!(
                "{} items in one request, over the limit of {max_items}; split them into \
                 smaller requests",
                items.len()
            ),
        ));
    }
    let grader = match body.remove("grader") {
        None | Some(Value::Null) => GraderSpec::Routes,
        Some(Value::String(name)) => GraderSpec::Named(name),
        Some(Value::Object(config)) => GraderSpec::Inline(config),
        Some(other) => {
            return Err(ApiError::bad_request(
                "invalid_request",
                format!(
                    "`grader` must be the name of a configured grader (see GET /v1/graders) or \
                     an inline configuration object, found {}",
                    kind_of(&other)
                ),
            ))
        }
    };
    let on_error =
        match body.remove("on_error") {
            None | Some(Value::Null) => None,
            Some(v) => Some(serde_json::from_value::<OnError>(v).map_err(|e| {
                ApiError::bad_request("invalid_request", format!("`on_error`: {e}"))
            })?),
        };
    let deadline = match body.remove("deadline_ms") {
        None | Some(Value::Null) => None,
        Some(v) => match v.as_u64() {
            Some(ms) => Instant::now().checked_add(Duration::from_millis(ms)),
            None => {
                return Err(ApiError::bad_request(
                    "invalid_request",
                    format!("`deadline_ms` must be a whole number of milliseconds, found {v}"),
                ))
            }
        },
    };
    let advantage =
        match body.remove("advantage") {
            None | Some(Value::Null) => None,
            Some(Value::String(mode)) => Some(mode.parse::<AdvantageMode>().map_err(|e| {
                ApiError::bad_request("invalid_request", format!("`advantage`: {e}"))
            })?),
            Some(other) => {
                return Err(ApiError::bad_request(
                    "invalid_request",
                    format!(
                        "`advantage` must be \"grpo\", \"drgrpo\" or \"rloo\", found {}",
                        kind_of(&other)
                    ),
                ))
            }
        };
    let items = items
        .into_iter()
        .enumerate()
        .map(|(i, v)| parse_item(i, v))
        .collect();
    Ok(ScoreRequest {
        grader,
        items,
        on_error,
        deadline,
        advantage,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn whole_request_problems_say_what_to_fix() {
        let cases = [
            (json!([1]), "must be a JSON object"),
            (
                json!({"items": 3}),
                "`items` must be a list of items, found a number",
            ),
            (json!({}), "missing `items`"),
            (
                json!({"items": [], "grader": 7}),
                "`grader` must be the name",
            ),
            (json!({"items": [], "itmes": []}), "unknown key `itmes`"),
            (
                json!({"items": [], "on_error": "maybe"}),
                "`on_error`: expected",
            ),
        ];
        for (body, message) in cases {
            let e = parse(body.clone(), 10).unwrap_err();
            assert_eq!(e.status.as_u16(), 400, "{body}");
            assert!(e.message.contains(message), "{body}: {}", e.message);
        }
        let e = parse(json!({"items": [{}, {}, {}]}), 2).unwrap_err();
        assert_eq!(e.status.as_u16(), 413);
        assert!(parse_json(b"  ").unwrap_err().message.contains("empty"));
        assert!(parse_json(b"{\"a\":")
            .unwrap_err()
            .message
            .contains("not valid JSON"));
    }

    #[test]
    fn items_fail_one_by_one() {
        let req = parse(
            json!({"items": [{"response": "a"}, {"id": 3, "response": 5}, "x"], "on_error": 0.5}),
            10,
        )
        .unwrap();
        assert!(req.items[0].is_ok());
        let bad = req.items[1].as_ref().unwrap_err();
        assert_eq!(bad.id, Some(json!(3)));
        assert!(bad.message.starts_with("items[1] is not a valid item"));
        assert!(req.items[2]
            .as_ref()
            .unwrap_err()
            .message
            .contains("found a string"));
        assert_eq!(req.on_error, Some(OnError::Value(0.5)));
        assert!(matches!(req.grader, GraderSpec::Routes));
    }
}

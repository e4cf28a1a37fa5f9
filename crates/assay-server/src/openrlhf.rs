//! OpenRLHF's remote reward protocol, `POST /get_reward`.
//!
//! Request: `{"query": [str], "prompts": [str], "labels": [any]}`, where each query is the
//! prompt followed by the model's response, as the trainer decoded it. `prompts` and `labels`
//! are optional; when present they have one entry per query. Other keys are ignored.
//!
//! Each query becomes an item: `response` is the query minus its prompt prefix (when the prompt
//! is not a prefix, the text after the prompt's first occurrence; when it does not occur at all,
//! the whole query, flagged `assay_prompt_not_found`), with the configured chat-template and
//! end-of-sequence tokens ([`crate::DEFAULT_STRIP_TOKENS`]) and surrounding whitespace stripped,
//! repeatedly, from both ends; `prompt` is the prompt; `reference` is the label.
//!
//! Response:
//!
//! ```json
//! {"rewards": [1.0, 0.0], "scores": [1.0, 0.0],
//!  "extra_logs": {"assay_failed": [0, 1], "assay_invalid": [0, 0],
//!                 "assay_not_applicable": [0, 0], "assay_prompt_not_found": [0, 0]},
//!  "failures": [{"index": 1, "status": "error", "kind": "bad_reference", "message": "..."}]}
//! ```
//!
//! The `extra_logs` keys are [`EXTRA_LOG_KEYS`], the same as the Python drop-in's. A query whose
//! prompt does not occur in it is graded whole, flagged in `assay_prompt_not_found` and logged
//! as a warning (the first of each request), as the Python drop-in does.
//!
//! `rewards` and `scores` hold the same numbers (OpenRLHF uses `scores` for dynamic filtering).
//! Every entry is a number, because OpenRLHF turns them into tensors: an item without a reward
//! of its own (timeout, error, not applicable) gets the failure reward of
//! [`crate::GetRewardConfig`] and is flagged `1` in `extra_logs` (numeric lists, one entry per
//! query, which OpenRLHF logs) and listed, with its message, in `failures`. A failure is never
//! a silent zero.

use assay::{Content, GradeResult, Input, Item, MalformedItem, Status};
use serde_json::{json, Map, Value};

use crate::error::ApiError;

pub use assay::openrlhf::{response_of, strip, EXTRA_LOG_KEYS};

/// A parsed `/get_reward` request.
pub(crate) struct GetRewardRequest {
    pub inputs: Vec<Input>,
    pub prompt_found: Vec<bool>,
}

use crate::score::kind_of;

pub(crate) fn parse(
    body: Value,
    max_items: usize,
    strip_tokens: &[String],
) -> Result<GetRewardRequest, ApiError> {
    let Value::Object(mut body) = body else {
        return Err(ApiError::bad_request(
            "invalid_request",
            format!(
                "the body must be a JSON object {{\"query\": [...], \"prompts\": [...], \
                 \"labels\": [...]}}, found {}",
                kind_of(&body)
            ),
        ));
    };
    let list = |body: &mut Map<String, Value>, key: &str, required: bool| match body.remove(key) {
        Some(Value::Array(items)) => Ok(Some(items)),
        None | Some(Value::Null) if !required => Ok(None),
        None => Err(ApiError::bad_request(
            "invalid_request",
            format!("missing `{key}`: a list of strings, prompt followed by response"),
        )),
        Some(other) => Err(ApiError::bad_request(
            "invalid_request",
            format!("`{key}` must be a list, found {}", kind_of(&other)),
        )),
    };
    let queries = list(&mut body, "query", true)?.unwrap_or_default();
    let prompts = list(&mut body, "prompts", false)?;
    let labels = list(&mut body, "labels", false)?;
    if queries.len() > max_items {
        return Err(ApiError::too_large(
            "batch_too_large",
            format!(
                "{} queries in one request, over the limit of {max_items}; split them into \
                 smaller requests",
                queries.len()
            ),
        ));
    }
    for (key, other) in [("prompts", &prompts), ("labels", &labels)] {
        if let Some(other) = other {
            if other.len() != queries.len() {
                return Err(ApiError::bad_request(
                    "invalid_request",
                    format!(
                        "`{key}` has {} entries but `query` has {}; send one per query",
                        other.len(),
                        queries.len()
                    ),
                ));
            }
        }
    }
    let mut prompts = prompts.map(Vec::into_iter);
    let mut labels = labels.map(Vec::into_iter);
    let mut inputs = Vec::with_capacity(queries.len());
    let mut prompt_found = Vec::with_capacity(queries.len());
    for (i, query) in queries.into_iter().enumerate() {
        let prompt = prompts.as_mut().and_then(Iterator::next);
        let label = labels.as_mut().and_then(Iterator::next).unwrap_or_default();
        let bad = |message: String| MalformedItem {
            id: Some(json!(i)),
            data_source: None,
            message,
        };
        let prompt = match prompt {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(p)) => Ok(Some(p)),
            Some(other) => Err(bad(format!(
                "prompts[{i}] must be a string, found {}",
                kind_of(&other)
            ))),
        };
        let input = match (query, prompt) {
            (_, Err(bad)) => Err(bad),
            (Value::String(q), Ok(prompt)) => {
                let (response, found) = response_of(&q, prompt.as_deref(), strip_tokens);
                prompt_found.push(found);
                Ok(Item {
                    id: Some(json!(i)),
                    prompt: prompt.map(Content::Text),
                    response: Content::Text(response),
                    reference: label,
                    ..Item::default()
                })
            }
            (other, Ok(_)) => Err(bad(format!(
                "query[{i}] must be a string, found {}",
                kind_of(&other)
            ))),
        };
        if input.is_err() {
            prompt_found.push(true);
        }
        inputs.push(input);
    }
    Ok(GetRewardRequest {
        inputs,
        prompt_found,
    })
}

/// Builds the response body from the results.
pub(crate) fn respond(
    results: &[GradeResult],
    prompt_found: &[bool],
    failure_reward: f64,
) -> Value {
    let n = results.len();
    let mut rewards = Vec::with_capacity(n);
    let mut failed = Vec::with_capacity(n);
    let mut invalid = Vec::with_capacity(n);
    let mut not_applicable = Vec::with_capacity(n);
    let mut failures = Vec::new();
    for (i, r) in results.iter().enumerate() {
        let is_failure = r.status.is_failure();
        rewards.push(r.reward.unwrap_or(failure_reward));
        failed.push(u8::from(is_failure));
        invalid.push(u8::from(r.status == Status::Invalid));
        not_applicable.push(u8::from(r.status == Status::NotApplicable));
        if is_failure || r.status == Status::NotApplicable {
            let (kind, message) = match &r.error {
                Some(e) => (json!(e.kind), json!(e.message)),
                None => (Value::Null, Value::Null),
            };
            failures.push(json!({
                "index": i, "status": r.status, "kind": kind, "message": message,
                "reward": r.reward.unwrap_or(failure_reward),
            }));
        }
    }
    let not_found: Vec<u8> = prompt_found.iter().map(|&f| u8::from(!f)).collect();
    let missing = not_found.iter().filter(|&&f| f == 1).count();
    if let Some(first) = not_found.iter().position(|&f| f == 1) {
        tracing::warn!(
            queries = missing,
            first_index = first,
            "/get_reward: the prompt does not occur in its query, so the whole query was graded \
             as the response (check that `prompts` are the texts the queries start with)"
        );
    }
    let [k_failed, k_invalid, k_not_applicable, k_not_found] = EXTRA_LOG_KEYS;
    let mut extra_logs = Map::new();
    extra_logs.insert(k_failed.into(), json!(failed));
    extra_logs.insert(k_invalid.into(), json!(invalid));
    extra_logs.insert(k_not_applicable.into(), json!(not_applicable));
    extra_logs.insert(k_not_found.into(), json!(not_found));
    json!({
        "rewards": rewards,
        "scores": rewards,
        "extra_logs": extra_logs,
        "failures": failures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::DEFAULT_STRIP_TOKENS;

    fn tokens() -> Vec<String> {
        DEFAULT_STRIP_TOKENS.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn strips_prompt_and_template_tokens() {
        let t = tokens();
        let cases = [
            (
                "<|im_start|>user\nWhat?<|im_end|>\n<|im_start|>assistant\n",
                "<|im_start|>user\nWhat?<|im_end|>\n<|im_start|>assistant\nThe answer is 4.<|im_end|>\n<|endoftext|><|endoftext|>",
                "The answer is 4.",
            ),
            (
                "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|>",
                "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n42<|eot_id|>",
                "42",
            ),
            ("[INST] Q [/INST]", "[INST] Q [/INST] yes</s>", "yes"),
            ("Q:", "Q: 7 <end_of_turn>\n<eos>", "7"),
            ("", "plain <|end|>", "plain"),
            // Tokens inside the response are kept.
            ("P", "P a <|im_end|> b <|im_end|>", "a <|im_end|> b"),
        ];
        for (prompt, query, expected) in cases {
            let (response, found) = response_of(query, Some(prompt), &t);
            assert_eq!(response, expected, "{query:?}");
            assert!(found);
        }
    }

    #[test]
    fn a_prompt_not_at_the_start_is_found_or_flagged() {
        let t = tokens();
        assert_eq!(
            response_of("<s> Q A", Some("Q"), &t),
            ("A".to_string(), true)
        );
        assert_eq!(
            response_of("whole thing</s>", Some("absent"), &t),
            ("whole thing".to_string(), false)
        );
        assert_eq!(
            response_of("x<custom>", None, &["<custom>".to_string()]),
            ("x".to_string(), true)
        );
    }

    #[test]
    fn bad_entries_fail_alone_and_shapes_are_checked() {
        let t = tokens();
        let req = parse(
            json!({"query": ["p a", 5], "prompts": ["p", "q"], "labels": ["a", "b"]}),
            10,
            &t,
        )
        .unwrap();
        assert!(req.inputs[0].is_ok());
        let bad = req.inputs[1].as_ref().unwrap_err();
        assert!(bad.message.contains("query[1] must be a string"));
        let e = parse(json!({"query": ["a"], "labels": []}), 10, &t)
            .err()
            .unwrap();
        assert!(e.message.contains("`labels` has 0 entries"));
        let e = parse(json!({"query": "a"}), 10, &t).err().unwrap();
        assert!(e.message.contains("`query` must be a list"));
        let e = parse(json!({"query": ["a", "b"]}), 1, &t).err().unwrap();
        assert_eq!(e.status.as_u16(), 413);
    }
}

//! `tool_call`: rewards tool calls against reference calls.
//!
//! ```toml
//! [graders.tools]
//! kind = "tool_call"
//! reward = "toolrl"        # toolrl: ToolRL's R_format + R_correct, in [-3, 4] | exact: 1 or 0
//! ordered = false          # exact: the calls must come in the reference's order
//! arguments = "exact"      # exact: arguments equal | subset: the reference's arguments appear
//! require_think = false    # format: the response must open with <think>…</think>
//! ```
//!
//! **Calls in the response** are read from Hermes/Qwen blocks
//! `<tool_call>{"name": …, "arguments": {…}}</tool_call>` (one call, or a list of calls, per
//! block), or, when there is no such block, from a response that is JSON: OpenAI style
//! `{"tool_calls": [{"type": "function", "function": {"name": …, "arguments": "{…}"}}]}`, a list
//! of such calls, or plain `{"name", "arguments"}` objects. `arguments` may be an object or a
//! JSON string holding one (`parameters` is accepted for `arguments`). A chat-message response is
//! graded on its last assistant message: the calls of its structured `tool_calls` field
//! (OpenAI's API shape) come first, then any calls written in its content.
//!
//! **Reference**: the gold calls in any of the same shapes: a list of calls, an object with
//! `tool_calls`, or a string with `<tool_call>` blocks or JSON. An empty list means "no call".
//!
//! **Reward `toolrl`** (ToolRL, Qian et al. 2025): `R = R_format + R_correct`.
//! `R_format` is 1 when every `<tool_call>` block is closed and holds a well-formed call, the
//! response makes a call whenever the reference has one, and (with `require_think`) it opens
//! with a `<think>` block; else 0. `R_correct = 6·R_max/S_max − 3 ∈ [−3, 3]`, where `r_name` is
//! the multiset Jaccard similarity of the tool names (1 when both sides call nothing); each
//! gold call, in order, is matched to the unused predicted call with the same name that scores
//! best, scoring `r_param` (Jaccard of the argument keys; 1 when both have none) plus `r_value`
//! (the number of gold arguments whose values are equal); `R_max = r_name + Σ(r_param +
//! r_value)` and `S_max = 1 + Σ_g (1 + |keys(g)|)`.
//! Components: `format` (R_format), `name` (r_name), `arguments` (Σ(r_param + r_value) over
//! Σ(1 + |keys(g)|), 1 when there is no gold call), `correct` (R_correct).
//!
//! **Reward `exact`**: 1 when the predicted calls equal the gold calls — same number, same names,
//! arguments equal (or, with `arguments = "subset"`, every gold argument present with an equal
//! value) — in order when `ordered`, else as multisets; otherwise 0. Same components.
//!
//! Values compare as JSON, numbers by value (`1` equals `1.0`). A malformed call (bad JSON, no
//! `name`, arguments that are not an object) is status `ok` with `format` 0 and the parse error
//! in the explanation; well-formed calls of the same response still count. A missing or
//! malformed reference is an error (`bad_reference`).

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use assay_core::{
    Budget, BuildContext, ErrorKind, Grader, GraderKind, Item, Outcome, SharedGrader,
};

/// One tool call: a name and its arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    /// The tool's name.
    pub name: String,
    /// The arguments, by name.
    pub arguments: Map<String, Value>,
}

impl Call {
    fn to_json(&self) -> Value {
        json!({"name": self.name, "arguments": self.arguments})
    }
}

/// The calls read from a text, and the problems met.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Parsed {
    /// The well-formed calls, in order.
    pub calls: Vec<Call>,
    /// What was malformed, for the explanation.
    pub errors: Vec<String>,
    /// Whether the text used `<tool_call>` blocks.
    pub tagged: bool,
}

/// A call from a JSON value: `{"name", "arguments"|"parameters"}` or OpenAI's
/// `{"type": "function", "function": {...}}`.
pub fn call_from_value(value: &Value) -> Result<Call, String> {
    let Value::Object(obj) = value else {
        return Err(format!("a call must be a JSON object, got {value}"));
    };
    let inner = match obj.get("function") {
        Some(Value::Object(f)) => f,
        _ => obj,
    };
    let name = match inner.get("name") {
        Some(Value::String(n)) => n.clone(),
        Some(other) => return Err(format!("the call's `name` must be a string, got {other}")),
        None => return Err("the call has no `name`".into()),
    };
    let arguments = match inner.get("arguments").or_else(|| inner.get("parameters")) {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(a)) => a.clone(),
        Some(Value::String(s)) if s.trim().is_empty() => Map::new(),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(a)) => a,
            Ok(other) => {
                return Err(format!(
                    "`{name}`: arguments string must hold a JSON object, got {other}"
                ))
            }
            Err(e) => return Err(format!("`{name}`: arguments string is not JSON: {e}")),
        },
        Some(other) => {
            return Err(format!(
                "`{name}`: arguments must be an object or a JSON string, got {other}"
            ))
        }
    };
    Ok(Call { name, arguments })
}

fn calls_from_value(value: &Value, parsed: &mut Parsed) {
    match value {
        Value::Array(items) => {
            for item in items {
                match call_from_value(item) {
                    Ok(c) => parsed.calls.push(c),
                    Err(e) => parsed.errors.push(e),
                }
            }
        }
        Value::Object(obj) if obj.contains_key("tool_calls") => match &obj["tool_calls"] {
            Value::Null => {}
            list @ Value::Array(_) => calls_from_value(list, parsed),
            other => parsed
                .errors
                .push(format!("`tool_calls` must be a list, got {other}")),
        },
        other => match call_from_value(other) {
            Ok(c) => parsed.calls.push(c),
            Err(e) => parsed.errors.push(e),
        },
    }
}

const OPEN: &str = "<tool_call>";
const CLOSE: &str = "</tool_call>";

/// Reads the calls of a response or reference text.
pub fn parse_text(text: &str) -> Parsed {
    let mut parsed = Parsed::default();
    if text.contains(OPEN) {
        parsed.tagged = true;
        let mut rest = text;
        let mut stray = false;
        while let Some(start) = rest.find(OPEN) {
            stray |= rest[..start].contains(CLOSE);
            let after = &rest[start + OPEN.len()..];
            let Some(end) = after.find(CLOSE) else {
                parsed
                    .errors
                    .push("a <tool_call> block is not closed".into());
                break;
            };
            let body = after[..end].trim();
            match serde_json::from_str::<Value>(body) {
                Ok(v) => calls_from_value(&v, &mut parsed),
                Err(e) => parsed.errors.push(format!(
                    "malformed JSON in <tool_call>: {e}: {}",
                    excerpt(body)
                )),
            }
            rest = &after[end + CLOSE.len()..];
        }
        if stray || rest.contains(CLOSE) {
            parsed
                .errors
                .push("a </tool_call> without its <tool_call>".into());
        }
        return parsed;
    }
    let trimmed = text.trim();
    let body = trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|b| b.trim_end().strip_suffix("```"))
        .unwrap_or(trimmed)
        .trim();
    if body.starts_with('{') || body.starts_with('[') {
        match serde_json::from_str::<Value>(body) {
            Ok(v) => calls_from_value(&v, &mut parsed),
            Err(e) => parsed
                .errors
                .push(format!("malformed JSON: {e}: {}", excerpt(body))),
        }
    }
    parsed
}

fn excerpt(s: &str) -> String {
    let cut: String = s.chars().take(120).collect();
    if cut.len() < s.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// JSON equality with numbers compared by value (`1 == 1.0`).
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => {
            x == y || matches!((x.as_f64(), y.as_f64()), (Some(p), Some(q)) if p == q)
        }
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(p, q)| values_equal(p, q))
        }
        (Value::Object(x), Value::Object(y)) => {
            x.len() == y.len()
                && x.iter()
                    .all(|(k, v)| y.get(k).is_some_and(|w| values_equal(v, w)))
        }
        _ => a == b,
    }
}

/// Multiset Jaccard similarity of two name lists (1 when both are empty).
pub fn name_jaccard(gold: &[Call], pred: &[Call]) -> f64 {
    if gold.is_empty() && pred.is_empty() {
        return 1.0;
    }
    let mut counts: std::collections::BTreeMap<&str, (usize, usize)> = Default::default();
    for c in gold {
        counts.entry(&c.name).or_default().0 += 1;
    }
    for c in pred {
        counts.entry(&c.name).or_default().1 += 1;
    }
    let (inter, union) = counts
        .values()
        .fold((0, 0), |(i, u), (g, p)| (i + g.min(p), u + g.max(p)));
    inter as f64 / union as f64
}

fn param_scores(gold: &Call, pred: &Call) -> (f64, f64) {
    let g: std::collections::BTreeSet<&String> = gold.arguments.keys().collect();
    let p: std::collections::BTreeSet<&String> = pred.arguments.keys().collect();
    let union = g.union(&p).count();
    let r_param = if union == 0 {
        1.0
    } else {
        g.intersection(&p).count() as f64 / union as f64
    };
    let r_value = gold
        .arguments
        .iter()
        .filter(|(k, v)| pred.arguments.get(*k).is_some_and(|w| values_equal(v, w)))
        .count() as f64;
    (r_param, r_value)
}

/// ToolRL's correctness parts: (r_name, Σ(r_param + r_value), S_max − 1, R_correct).
pub fn toolrl_correct(gold: &[Call], pred: &[Call]) -> (f64, f64, f64, f64) {
    let r_name = name_jaccard(gold, pred);
    let mut used = vec![false; pred.len()];
    let mut args = 0.0;
    let mut s_calls = 0.0;
    for g in gold {
        s_calls += 1.0 + g.arguments.len() as f64;
        let mut best: Option<(usize, f64)> = None;
        for (i, p) in pred.iter().enumerate() {
            if used[i] || p.name != g.name {
                continue;
            }
            let (rp, rv) = param_scores(g, p);
            if best.is_none_or(|(_, s)| rp + rv > s) {
                best = Some((i, rp + rv));
            }
        }
        if let Some((i, s)) = best {
            used[i] = true;
            args += s;
        }
    }
    let r_max = r_name + args;
    let s_max = 1.0 + s_calls;
    (r_name, args, s_calls, 6.0 * r_max / s_max - 3.0)
}

/// How arguments must agree in `exact` mode.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ArgumentMatch {
    /// The arguments are equal.
    #[default]
    Exact,
    /// Every reference argument is present with an equal value; extra arguments are allowed.
    Subset,
}

/// The reward formula.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ToolReward {
    /// ToolRL: R_format + R_correct, in [−3, 4].
    #[default]
    Toolrl,
    /// 1 when the call list matches the reference, else 0.
    Exact,
}

/// Options of `tool_call`.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ToolCallOptions {
    /// `toolrl` (R_format + R_correct, in [−3, 4]) or `exact` (1 when the calls match, else 0).
    #[serde(default)]
    pub reward: ToolReward,
    /// In `exact` mode, whether the calls must come in the reference's order.
    #[serde(default)]
    pub ordered: bool,
    /// In `exact` mode, `exact` (equal arguments) or `subset` (the reference's arguments present
    /// with equal values; extra ones allowed).
    #[serde(default)]
    pub arguments: ArgumentMatch,
    /// Whether the format requires the response to open with a `<think>…</think>` block.
    #[serde(default)]
    pub require_think: bool,
}

/// The `tool_call` grader.
#[derive(Debug)]
pub struct ToolCall {
    options: ToolCallOptions,
}

impl ToolCall {
    /// A grader from its options (see [`ToolCallKind`] for the checks made at configuration).
    pub fn new(options: ToolCallOptions) -> Self {
        ToolCall { options }
    }

    fn args_match(&self, gold: &Call, pred: &Call) -> bool {
        gold.name == pred.name
            && match self.options.arguments {
                ArgumentMatch::Exact => values_equal(
                    &Value::Object(gold.arguments.clone()),
                    &Value::Object(pred.arguments.clone()),
                ),
                ArgumentMatch::Subset => gold
                    .arguments
                    .iter()
                    .all(|(k, v)| pred.arguments.get(k).is_some_and(|w| values_equal(v, w))),
            }
    }

    /// Whether the predicted calls match the gold calls (`exact` mode).
    pub fn exact(&self, gold: &[Call], pred: &[Call]) -> bool {
        if gold.len() != pred.len() {
            return false;
        }
        if self.options.ordered {
            return gold.iter().zip(pred).all(|(g, p)| self.args_match(g, p));
        }
        // Unordered: a perfect matching (backtracking; call lists are short).
        fn assign(tc: &ToolCall, gold: &[Call], pred: &[Call], used: &mut [bool]) -> bool {
            let Some((g, rest)) = gold.split_first() else {
                return true;
            };
            for i in 0..pred.len() {
                if !used[i] && tc.args_match(g, &pred[i]) {
                    used[i] = true;
                    if assign(tc, rest, pred, used) {
                        return true;
                    }
                    used[i] = false;
                }
            }
            false
        }
        assign(self, gold, pred, &mut vec![false; pred.len()])
    }
}

fn reference_calls(value: &Value) -> Result<Vec<Call>, String> {
    let parsed = match value {
        Value::Null => return Err(
            "the item has no reference: give the gold calls (a list of {\"name\", \"arguments\"})"
                .into(),
        ),
        Value::String(s) => {
            let p = parse_text(s);
            if p.calls.is_empty() && p.errors.is_empty() && !s.trim().is_empty() {
                return Err("the reference string holds no tool call".into());
            }
            p
        }
        other => {
            let mut p = Parsed::default();
            calls_from_value(other, &mut p);
            p
        }
    };
    if let Some(e) = parsed.errors.first() {
        return Err(format!("the reference has a malformed call: {e}"));
    }
    Ok(parsed.calls)
}

fn starts_with_think(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with("<think>") && t.contains("</think>")
}

impl Grader for ToolCall {
    fn components(&self) -> Vec<String> {
        ["format", "name", "arguments", "correct"]
            .map(String::from)
            .to_vec()
    }

    fn grade(&self, item: &Item, _budget: &Budget) -> Outcome {
        let gold = match reference_calls(&item.reference) {
            Ok(g) => g,
            Err(message) => return Outcome::error(ErrorKind::BadReference, message),
        };
        let response = item.response_text();
        // A chat response may carry its calls as structured `tool_calls` (OpenAI's API shape)
        // rather than in its text; those come first, then any <tool_call> blocks in the text.
        let mut parsed = parse_text(response);
        if let Some(structured) = item.final_message().and_then(|m| m.tool_calls.as_ref()) {
            let mut from_field = Parsed::default();
            calls_from_value(&json!({ "tool_calls": structured }), &mut from_field);
            from_field.calls.append(&mut parsed.calls);
            from_field.errors.append(&mut parsed.errors);
            from_field.tagged = parsed.tagged;
            parsed = from_field;
        }
        let mut problems = parsed.errors.clone();
        if !gold.is_empty() && parsed.calls.is_empty() && parsed.errors.is_empty() {
            problems.push("no tool call, the reference has one".into());
        }
        if self.options.require_think && !starts_with_think(response) {
            problems.push("the response does not open with <think>…</think>".into());
        }
        let format = if problems.is_empty() { 1.0 } else { 0.0 };
        let (r_name, args, s_calls, correct) = toolrl_correct(&gold, &parsed.calls);
        let arguments = if s_calls == 0.0 { 1.0 } else { args / s_calls };
        let reward = match self.options.reward {
            ToolReward::Toolrl => format + correct,
            ToolReward::Exact => f64::from(u8::from(
                parsed.errors.is_empty() && self.exact(&gold, &parsed.calls),
            )),
        };
        let pred: Vec<String> = parsed.calls.iter().map(|c| c.name.clone()).collect();
        Outcome::ok(reward)
            .component("format", format)
            .component("name", r_name)
            .component("arguments", arguments)
            .component("correct", correct)
            .pred(pred.join(", "))
            .explain(
                "calls",
                Value::Array(parsed.calls.iter().map(Call::to_json).collect()),
            )
            .explain(
                "gold",
                Value::Array(gold.iter().map(Call::to_json).collect()),
            )
            .explain("problems", json!(problems))
    }
}

/// The `tool_call` kind.
pub struct ToolCallKind;

impl GraderKind for ToolCallKind {
    type Options = ToolCallOptions;
    const NAME: &'static str = "tool_call";
    const FAMILY: &'static str = "text";
    const SUMMARY: &'static str = "Rewards tool calls (Hermes/Qwen <tool_call> blocks or OpenAI tool_calls) against gold calls: ToolRL's format + correctness reward, or exact match.";
    const REFERENCE: &'static str = "the gold calls: a list of {\"name\", \"arguments\"} (arguments an object or a JSON string), an object with `tool_calls`, or a string with <tool_call> blocks";
    const EXAMPLE: &'static str = r#"
[graders.tool_call]
kind = "tool_call"
reward = "toolrl"            # name, parameter-name and value matches, as ToolRL scores them
"#;

    fn build(options: ToolCallOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        if options.reward == ToolReward::Toolrl
            && (options.ordered || options.arguments != ArgumentMatch::Exact)
        {
            return Err(
                "`ordered` and `arguments` apply to reward = \"exact\"; ToolRL's reward matches calls by name".into(),
            );
        }
        Ok(Arc::new(ToolCall { options }))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn names(p: &Parsed) -> Vec<&str> {
        p.calls.iter().map(|c| c.name.as_str()).collect()
    }

    #[test]
    fn parses_every_supported_shape() {
        let cases: Vec<(String, Vec<&str>, usize)> = vec![
            // (text, names, number of errors)
            ("<tool_call>[{\"name\": \"a\"}, {\"name\": \"b\", \"parameters\": {\"x\": 1}}]</tool_call>".into(), vec!["a", "b"], 0),
            ("```json\n[{\"name\": \"a\", \"arguments\": \"{}\"}]\n```".into(), vec!["a"], 0),
            (json!({"role": "assistant", "tool_calls": [{"function": {"name": "f", "arguments": "{\"q\": 2}"}}]}).to_string(), vec!["f"], 0),
            ("no calls at all".into(), vec![], 0),
            ("<tool_call>{\"name\": \"a\"}".into(), vec![], 1),
            ("{\"name\": \"a\"}</tool_call> <tool_call>{\"name\": \"b\"}</tool_call>".into(), vec!["b"], 1),
            ("<tool_call>{\"name\": \"a\", \"arguments\": \"[1]\"}</tool_call>".into(), vec![], 1),
            ("<tool_call>{\"arguments\": {}}</tool_call><tool_call>{\"name\": \"ok\"}</tool_call>".into(), vec!["ok"], 1),
        ];
        for (text, expected, errors) in cases {
            let p = parse_text(&text);
            assert_eq!(names(&p), expected, "{text}");
            assert_eq!(p.errors.len(), errors, "{text}: {:?}", p.errors);
        }
        let p = parse_text("<tool_call>{\"name\": \"b\", \"parameters\": {\"x\": 1}}</tool_call>");
        assert_eq!(p.calls[0].arguments["x"], json!(1));
    }

    #[test]
    fn jaccard_and_values() {
        let call = |n: &str| Call {
            name: n.into(),
            arguments: Map::new(),
        };
        assert_eq!(name_jaccard(&[], &[]), 1.0);
        assert_eq!(name_jaccard(&[call("a"), call("a")], &[call("a")]), 0.5);
        assert!(values_equal(
            &json!({"a": [1, 2.0]}),
            &json!({"a": [1.0, 2]})
        ));
        assert!(!values_equal(&json!("1"), &json!(1)));
    }
}

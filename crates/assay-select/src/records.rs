//! Reading candidates from JSON records (JSONL lines, Python dicts, data-frame rows).
//!
//! A record is the item format of `assay score` with a `group`:
//!
//! ```json
//! {"group": "q17", "id": "q17#3", "response": "... \\boxed{3/4}", "reference": "0.75",
//!  "score": 0.82, "label": true}
//! ```
//!
//! - `group` (string or number): which prompt the sample answers. Records without one form
//!   their own group each.
//! - `response`: a string, or chat messages (`[{"role": …, "content": …}]`: the last
//!   assistant message counts).
//! - `score` (or `reward`): a precomputed score; `null` means unscored.
//! - `label` (or `correct`): `true`/`false` or 1/0, for pass@k and maj@k.
//! - `answer`: an already extracted final answer (otherwise it is extracted from `response`).
//! - `reference`: the gold answer; the first non-empty one of a group is the group's.
//!
//! Groups keep the order in which they first appear; candidates keep their input order.

use std::collections::HashMap;

use serde_json::Value;

use crate::{Candidate, Group};

/// Why a record could not be read.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordError {
    /// The record's position (0-based).
    pub index: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for RecordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "record {}: {}", self.index + 1, self.message)
    }
}

fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Array(messages) => {
            let content = |m: &Value| -> String {
                match m.get("content") {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Array(parts)) => parts
                        .iter()
                        .filter_map(|p| p.get("text").and_then(Value::as_str))
                        .collect(),
                    _ => String::new(),
                }
            };
            let last = messages
                .iter()
                .rev()
                .find(|m| m.get("role").and_then(Value::as_str) == Some("assistant"))
                .or(messages.last());
            Some(last.map(content).unwrap_or_default())
        }
        _ => None,
    }
}

fn number(value: Option<&Value>, index: usize, key: &str) -> Result<Option<f64>, RecordError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Number(n)) => Ok(n.as_f64()),
        Some(Value::Bool(b)) => Ok(Some(if *b { 1.0 } else { 0.0 })),
        Some(other) => Err(RecordError {
            index,
            message: format!("`{key}` must be a number or null, found {other}"),
        }),
    }
}

fn label(value: Option<&Value>, index: usize, key: &str) -> Result<Option<bool>, RecordError> {
    match value {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(Value::Number(n)) if n.as_f64() == Some(1.0) => Ok(Some(true)),
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => Ok(Some(false)),
        Some(other) => Err(RecordError {
            index,
            message: format!("`{key}` must be true/false or 1/0, found {other}"),
        }),
    }
}

/// Reads one record into its group key, candidate and reference.
pub fn read_record(
    value: &Value,
    index: usize,
) -> Result<(String, Candidate, Option<String>), RecordError> {
    let Value::Object(map) = value else {
        return Err(RecordError {
            index,
            message: "a record must be a JSON object".into(),
        });
    };
    let group = match map.get("group") {
        None | Some(Value::Null) => format!("#{index}"),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(other) => {
            return Err(RecordError {
                index,
                message: format!("`group` must be a string or a number, found {other}"),
            })
        }
    };
    let response = match map.get("response") {
        None | Some(Value::Null) => String::new(),
        Some(v) => text_of(v).ok_or_else(|| RecordError {
            index,
            message: "`response` must be a string or a list of chat messages".into(),
        })?,
    };
    let score = match map.get("score") {
        Some(v) => number(Some(v), index, "score")?,
        None => number(map.get("reward"), index, "reward")?,
    };
    let label = match map.get("label") {
        Some(v) => label(Some(v), index, "label")?,
        None => label(map.get("correct"), index, "correct")?,
    };
    let answer = match map.get("answer") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        Some(other) => {
            return Err(RecordError {
                index,
                message: format!("`answer` must be a string, found {other}"),
            })
        }
    };
    let reference = match map.get("reference") {
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(Value::Number(n)) => Some(n.to_string()),
        _ => None,
    };
    let candidate = Candidate {
        id: map.get("id").cloned(),
        response,
        answer,
        score,
        label,
    };
    Ok((group, candidate, reference))
}

/// Collects records into groups one at a time (for streaming input): groups keep the order
/// of first appearance, candidates their input order.
#[derive(Debug, Default)]
pub struct Grouper {
    groups: Vec<Group>,
    position: HashMap<String, usize>,
    count: usize,
}

impl Grouper {
    /// An empty grouper.
    pub fn new() -> Self {
        Grouper::default()
    }

    /// Adds the next record.
    pub fn push(&mut self, value: &Value) -> Result<(), RecordError> {
        let (key, candidate, reference) = read_record(value, self.count)?;
        self.count += 1;
        let g = match self.position.get(&key) {
            Some(&g) => g,
            None => {
                self.groups.push(Group::new(key.clone(), Vec::new()));
                self.position.insert(key, self.groups.len() - 1);
                self.groups.len() - 1
            }
        };
        let group = &mut self.groups[g];
        group.candidates.push(candidate);
        if group.reference.is_none() {
            group.reference = reference;
        }
        Ok(())
    }

    /// Records added so far.
    pub fn records(&self) -> usize {
        self.count
    }

    /// The groups.
    pub fn finish(self) -> Vec<Group> {
        self.groups
    }
}

/// Groups records by their `group`, in order of first appearance.
pub fn group_records(records: &[Value]) -> Result<Vec<Group>, RecordError> {
    let mut grouper = Grouper::new();
    for value in records {
        grouper.push(value)?;
    }
    Ok(grouper.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn groups_keep_first_appearance_order() {
        let records = vec![
            json!({"group": "b", "response": "x", "score": 1}),
            json!({"group": "a", "response": "y", "reward": 0.5, "reference": "3"}),
            json!({"group": "b", "response": [{"role": "user", "content": "q"},
                                              {"role": "assistant", "content": "z"}],
                   "label": 1, "id": 7}),
            json!({"response": "alone"}),
        ];
        let groups = group_records(&records).unwrap();
        let ids: Vec<&str> = groups.iter().map(|g| g.id.as_str()).collect();
        assert_eq!(ids, vec!["b", "a", "#3"]);
        assert_eq!(groups[0].candidates[1].response, "z");
        assert_eq!(groups[0].candidates[1].label, Some(true));
        assert_eq!(groups[0].candidates[1].id, Some(json!(7)));
        assert_eq!(groups[1].candidates[0].score, Some(0.5));
        assert_eq!(groups[1].reference.as_deref(), Some("3"));
    }

    #[test]
    fn bad_fields_name_the_record_and_the_key() {
        let err = group_records(&[json!({"response": "x"}), json!({"score": "high"})]).unwrap_err();
        assert_eq!(err.index, 1);
        assert!(
            err.to_string().contains("`score` must be a number"),
            "{err}"
        );
        let err = group_records(&[json!({"label": "yes"})]).unwrap_err();
        assert!(err.message.contains("`label`"));
        assert!(group_records(&[json!([1])]).is_err());
    }
}

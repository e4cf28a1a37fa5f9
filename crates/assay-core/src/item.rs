//! The input side of the data model: one [`Item`] is one model output to grade.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One model output to grade: the item of the README's data model section.
///
/// Every field but `response` is optional. Unknown fields are ignored, so trainers may pass rows
/// of their own datasets through unchanged.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Item {
    /// Caller's identifier, echoed back verbatim in the result (any JSON value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<Value>,
    /// The dataset or task family, used by routes to pick a grader.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_source: Option<String>,
    /// Ties the samples of one prompt together (group shaping, voting).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The prompt: a string or a list of chat messages. Optional for most graders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prompt: Option<Content>,
    /// The model output: a string, or chat messages graded on the last assistant message.
    pub response: Content,
    /// The gold answer, test suite, database and query, rubric …: each grader documents its shape.
    #[serde(default)]
    pub reference: Value,
    /// Free-form extra data; some graders read options from it.
    #[serde(default, skip_serializing_if = "Value::is_null")]
    pub metadata: Value,
}

impl Item {
    /// An item with only a response and a reference, for tests and one-off checks.
    pub fn new(response: impl Into<String>, reference: impl Into<Value>) -> Self {
        Item {
            response: Content::Text(response.into()),
            reference: reference.into(),
            ..Item::default()
        }
    }

    /// The message graded when the response is a chat transcript: the last assistant message
    /// (or the last message); `None` for a plain-text response or an empty transcript.
    pub fn final_message(&self) -> Option<&Message> {
        match &self.response {
            Content::Text(_) => None,
            Content::Messages(messages) => messages
                .iter()
                .rev()
                .find(|m| m.role == "assistant")
                .or(messages.last()),
        }
    }

    /// The text to grade: the response string, or the content of the last assistant message.
    ///
    /// A message list without an assistant message grades the last message; an empty list
    /// grades the empty string.
    pub fn response_text(&self) -> &str {
        self.response.final_text()
    }

    /// The prompt as plain text: the string, or the content of the last user message.
    pub fn prompt_text(&self) -> Option<&str> {
        match &self.prompt {
            None => None,
            Some(Content::Text(text)) => Some(text),
            Some(Content::Messages(messages)) => messages
                .iter()
                .rev()
                .find(|m| m.role == "user")
                .or(messages.last())
                .map(|m| m.content.as_str()),
        }
    }

    /// The reference as a string, when it is one.
    pub fn reference_str(&self) -> Option<&str> {
        self.reference.as_str()
    }
}

/// A prompt or response: plain text or a chat transcript.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Content {
    /// Plain text.
    Text(String),
    /// A chat transcript.
    Messages(Vec<Message>),
}

impl Default for Content {
    fn default() -> Self {
        Content::Text(String::new())
    }
}

impl Content {
    /// The text a grader looks at: the string itself, or the last assistant message.
    pub fn final_text(&self) -> &str {
        match self {
            Content::Text(text) => text,
            Content::Messages(messages) => messages
                .iter()
                .rev()
                .find(|m| m.role == "assistant")
                .or(messages.last())
                .map_or("", |m| m.content.as_str()),
        }
    }
}

/// One chat message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// `system`, `user`, `assistant`, `tool` …
    pub role: String,
    /// The message text. OpenAI-style content parts (`[{"type": "text", "text": …}]`) are
    /// joined into one string when read.
    #[serde(default, deserialize_with = "content_text")]
    pub content: String,
    /// Structured tool calls of an assistant message (OpenAI's `tool_calls`), kept as given
    /// for graders that read them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tool_calls: Option<serde_json::Value>,
}

fn content_text<'de, D: serde::Deserializer<'de>>(de: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Raw {
        Text(String),
        Parts(Vec<Part>),
        Null(()),
    }
    #[derive(Deserialize)]
    struct Part {
        #[serde(default)]
        text: Option<String>,
    }
    Ok(match Raw::deserialize(de)? {
        Raw::Text(text) => text,
        Raw::Parts(parts) => parts.into_iter().filter_map(|p| p.text).collect(),
        Raw::Null(()) => String::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn parses_the_design_example() {
        let item: Item = serde_json::from_value(json!({
            "id": "q17#3", "data_source": "math", "group": "q17",
            "prompt": "What is 1/2 + 1/4?",
            "response": "... so the answer is \\boxed{\\frac34}.",
            "reference": "0.75", "metadata": {}
        }))
        .unwrap();
        assert_eq!(item.id, Some(json!("q17#3")));
        assert_eq!(item.data_source.as_deref(), Some("math"));
        assert_eq!(item.group.as_deref(), Some("q17"));
        assert_eq!(item.prompt_text(), Some("What is 1/2 + 1/4?"));
        assert_eq!(
            item.response_text(),
            "... so the answer is \\boxed{\\frac34}."
        );
        assert_eq!(item.reference_str(), Some("0.75"));
    }

    #[test]
    fn chat_responses_grade_the_last_assistant_message() {
        let cases = [
            (
                json!([{"role": "user", "content": "hi"}, {"role": "assistant", "content": "A"},
                       {"role": "assistant", "content": "B"}, {"role": "tool", "content": "T"}]),
                "B",
            ),
            (
                json!([{"role": "user", "content": "only user"}]),
                "only user",
            ),
            (json!([]), ""),
            (
                json!([{"role": "assistant", "content": [{"type": "text", "text": "x"},
                                                          {"type": "text", "text": "y"}]}]),
                "xy",
            ),
            (json!([{"role": "assistant", "content": null}]), ""),
        ];
        for (response, expected) in cases {
            let item: Item = serde_json::from_value(json!({ "response": response })).unwrap();
            assert_eq!(item.response_text(), expected, "{response}");
        }
    }

    #[test]
    fn structured_tool_calls_are_kept_on_the_final_message() {
        let item: Item = serde_json::from_value(json!({"response": [
            {"role": "user", "content": "weather?"},
            {"role": "assistant", "content": null,
             "tool_calls": [{"type": "function", "function": {"name": "w", "arguments": "{}"}}]}
        ]}))
        .unwrap();
        let message = item.final_message().unwrap();
        assert_eq!(message.content, "");
        assert_eq!(
            message.tool_calls.as_ref().unwrap()[0]["function"]["name"],
            json!("w")
        );
        assert!(Item::new("text", Value::Null).final_message().is_none());
    }

    #[test]
    fn missing_or_mistyped_response_is_rejected() {
        for bad in [
            json!({}),
            json!({"response": 5}),
            json!({"response": {"a": 1}}),
        ] {
            assert!(
                serde_json::from_value::<Item>(bad.clone()).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn unknown_fields_are_ignored_and_id_may_be_any_json() {
        let item: Item =
            serde_json::from_value(json!({"response": "r", "id": 7, "extra_column": [1, 2]}))
                .unwrap();
        assert_eq!(item.id, Some(json!(7)));
        assert_eq!(item.reference, Value::Null);
    }
}

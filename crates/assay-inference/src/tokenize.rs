//! Tokenisation with the `tokenizers` crate, with explicit truncation.
//!
//! The padding and truncation settings stored in `tokenizer.json` are ignored (some packaged
//! tokenizers pad every input to a fixed length): batches are padded to their longest member,
//! and truncation is what the caller asks for, reported per input.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokenizers::utils::truncation::{
    truncate_encodings, TruncationDirection, TruncationParams, TruncationStrategy,
};
use tokenizers::{Encoding, PostProcessor, Tokenizer};

use crate::error::{InferenceError, Result};
use crate::template::ChatTemplate;

/// Which end of an over-long input is cut.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Drop tokens from the start (keeps the end, where a reward model reads its score).
    #[default]
    Left,
    /// Drop tokens from the end.
    Right,
}

impl Side {
    fn direction(self) -> TruncationDirection {
        match self {
            Side::Left => TruncationDirection::Left,
            Side::Right => TruncationDirection::Right,
        }
    }

    /// `left` or `right`.
    pub fn as_str(self) -> &'static str {
        match self {
            Side::Left => "left",
            Side::Right => "right",
        }
    }
}

/// How inputs longer than the model takes are handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Truncation {
    /// Most tokens per input, special tokens included.
    pub max_length: usize,
    /// Which end is cut.
    pub side: Side,
    /// Whether over-long inputs are cut (`true`) or refused with [`InferenceError::TooLong`].
    pub enabled: bool,
}

/// Reported when an input was cut.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Truncated {
    /// Tokens before cutting.
    pub original_tokens: usize,
    /// Tokens kept.
    pub kept_tokens: usize,
    /// The end that was cut.
    pub side: Side,
}

/// One tokenised input.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    /// Token ids.
    pub ids: Vec<u32>,
    /// Token type (segment) ids.
    pub type_ids: Vec<u32>,
    /// Set when the input was cut.
    pub truncated: Option<Truncated>,
}

/// The tokenizer of a model directory, with its chat template and special tokens.
#[derive(Debug)]
pub struct TextTokenizer {
    tokenizer: Tokenizer,
    template: Option<ChatTemplate>,
    pad_id: u32,
    model_max_length: Option<usize>,
    /// `truncation_side` of `tokenizer_config.json`, when set.
    pub truncation_side: Option<Side>,
}

#[derive(Deserialize, Default)]
struct TokenizerConfig {
    chat_template: Option<Value>,
    pad_token: Option<Value>,
    model_max_length: Option<f64>,
    truncation_side: Option<String>,
    #[serde(flatten)]
    rest: BTreeMap<String, Value>,
}

fn token_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Object(map) => map.get("content")?.as_str().map(str::to_string),
        _ => None,
    }
}

impl TextTokenizer {
    /// Loads `tokenizer.json`, `tokenizer_config.json` (optional) and `chat_template.jinja`
    /// (optional) from `dir`. `fallback_pad` is the padding id when the tokenizer names none.
    pub fn from_dir(dir: &Path, fallback_pad: Option<u32>) -> Result<Self> {
        let path = dir.join("tokenizer.json");
        if !path.exists() {
            return Err(InferenceError::io(
                &path,
                "no tokenizer.json: save the model with a fast tokenizer (tokenizer.save_pretrained)",
            ));
        }
        let mut tokenizer =
            Tokenizer::from_file(&path).map_err(|e| InferenceError::io(&path, e))?;
        let stored_pad = tokenizer.get_padding().map(|p| p.pad_id);
        tokenizer.with_padding(None);
        tokenizer
            .with_truncation(None)
            .map_err(|e| InferenceError::io(&path, e))?;

        let config_path = dir.join("tokenizer_config.json");
        let config: TokenizerConfig = if config_path.exists() {
            let text = std::fs::read_to_string(&config_path)
                .map_err(|e| InferenceError::io(&config_path, e))?;
            serde_json::from_str(&text).map_err(|e| InferenceError::io(&config_path, e))?
        } else {
            TokenizerConfig::default()
        };

        let mut special_tokens = BTreeMap::new();
        for (key, value) in &config.rest {
            if key.ends_with("_token") {
                if let Some(text) = token_text(value) {
                    special_tokens.insert(key.clone(), text);
                }
            }
        }
        let pad_text = config.pad_token.as_ref().and_then(token_text);
        if let Some(pad) = &pad_text {
            special_tokens.insert("pad_token".into(), pad.clone());
        }

        let jinja_path = dir.join("chat_template.jinja");
        let source = if jinja_path.exists() {
            Some(
                std::fs::read_to_string(&jinja_path)
                    .map_err(|e| InferenceError::io(&jinja_path, e))?,
            )
        } else {
            match &config.chat_template {
                Some(Value::String(s)) => Some(s.clone()),
                Some(Value::Array(named)) => named
                    .iter()
                    .find(|t| t.get("name").and_then(Value::as_str) == Some("default"))
                    .or(named.first())
                    .and_then(|t| t.get("template"))
                    .and_then(Value::as_str)
                    .map(str::to_string),
                _ => None,
            }
        };
        let template = source
            .map(|s| ChatTemplate::new(&s, special_tokens.clone()))
            .transpose()?;

        let pad_id = pad_text
            .as_deref()
            .and_then(|t| tokenizer.token_to_id(t))
            .or(stored_pad)
            .or(fallback_pad)
            .unwrap_or(0);
        // transformers writes a huge number when the length is unknown.
        let model_max_length = config
            .model_max_length
            .filter(|n| *n > 0.0 && *n < 1e9)
            .map(|n| n as usize);
        let truncation_side = match config.truncation_side.as_deref() {
            Some("left") => Some(Side::Left),
            Some("right") => Some(Side::Right),
            _ => None,
        };
        Ok(TextTokenizer {
            tokenizer,
            template,
            pad_id,
            model_max_length,
            truncation_side,
        })
    }

    /// The chat template, when the model has one.
    pub fn template(&self) -> Option<&ChatTemplate> {
        self.template.as_ref()
    }

    /// The id batches are padded with.
    pub fn pad_id(&self) -> u32 {
        self.pad_id
    }

    /// `model_max_length` of `tokenizer_config.json`, when it is a real limit.
    pub fn model_max_length(&self) -> Option<usize> {
        self.model_max_length
    }

    /// The id of `token`, when it is in the vocabulary.
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.tokenizer.token_to_id(token)
    }

    fn raw(&self, text: &str) -> Result<Encoding> {
        self.tokenizer
            .encode(text, false)
            .map_err(|e| InferenceError::Tokenize(e.to_string()))
    }

    fn added(&self, pair: bool, add_special_tokens: bool) -> usize {
        if !add_special_tokens {
            return 0;
        }
        self.tokenizer
            .get_post_processor()
            .map_or(0, |p| p.added_tokens(pair))
    }

    /// Tokenises `text`. With `add_special_tokens` the tokenizer's post-processor adds its
    /// special tokens (`[CLS]` … `[SEP]`, a BOS token); room for them is kept when cutting.
    pub fn encode(
        &self,
        text: &str,
        add_special_tokens: bool,
        truncation: &Truncation,
    ) -> Result<Encoded> {
        self.finish(self.raw(text)?, None, add_special_tokens, truncation)
    }

    /// Tokenises a pair (a query and a document for a cross-encoder), cutting the longer of
    /// the two first as transformers' `longest_first` does.
    pub fn encode_pair(
        &self,
        first: &str,
        second: &str,
        truncation: &Truncation,
    ) -> Result<Encoded> {
        self.finish(self.raw(first)?, Some(self.raw(second)?), true, truncation)
    }

    fn finish(
        &self,
        first: Encoding,
        second: Option<Encoding>,
        add_special_tokens: bool,
        truncation: &Truncation,
    ) -> Result<Encoded> {
        let added = self.added(second.is_some(), add_special_tokens);
        let original = first.len() + second.as_ref().map_or(0, Encoding::len) + added;
        let mut truncated = None;
        let (first, second) = if original > truncation.max_length {
            if !truncation.enabled {
                return Err(InferenceError::TooLong {
                    tokens: original,
                    max_length: truncation.max_length,
                });
            }
            let room = truncation
                .max_length
                .checked_sub(added)
                .filter(|r| *r > 0)
                .ok_or_else(|| {
                    InferenceError::BadInput(format!(
                        "max_length {} leaves no room beside {added} special tokens",
                        truncation.max_length
                    ))
                })?;
            let params = TruncationParams {
                max_length: room,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
                direction: truncation.side.direction(),
            };
            let (a, b) = truncate_encodings(first, second, &params)
                .map_err(|e| InferenceError::Tokenize(e.to_string()))?;
            (a, b)
        } else {
            (first, second)
        };
        let encoding = self
            .tokenizer
            .post_process(first, second, add_special_tokens)
            .map_err(|e| InferenceError::Tokenize(e.to_string()))?;
        if encoding.len() < original {
            truncated = Some(Truncated {
                original_tokens: original,
                kept_tokens: encoding.len(),
                side: truncation.side,
            });
        }
        if encoding.is_empty() {
            return Err(InferenceError::BadInput("the input has no tokens".into()));
        }
        Ok(Encoded {
            ids: encoding.get_ids().to_vec(),
            type_ids: encoding.get_type_ids().to_vec(),
            truncated,
        })
    }
}

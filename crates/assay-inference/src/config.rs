//! `config.json` of a Hugging Face model directory: the fields the supported architectures read.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_json::Value;

use crate::error::{InferenceError, Result};

/// The architecture family of a model, from `model_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    /// Qwen2 decoder (biased q/k/v projections).
    Qwen2,
    /// Qwen3 decoder (RMS-normalised queries and keys per head).
    Qwen3,
    /// Llama decoder (and Mistral-style configurations without sliding windows).
    Llama,
    /// BERT encoder (absolute positions from 0).
    Bert,
    /// RoBERTa / XLM-RoBERTa encoder (positions start after the padding index).
    Roberta,
}

impl Family {
    /// Whether this is a decoder (causal attention).
    pub fn is_decoder(self) -> bool {
        matches!(self, Family::Qwen2 | Family::Qwen3 | Family::Llama)
    }
}

/// The parsed `config.json`.
#[derive(Debug, Clone)]
pub struct ModelConfig {
    /// The architecture family.
    pub family: Family,
    /// `architectures[0]`, when given (e.g. `Qwen2ForSequenceClassification`).
    pub architecture: Option<String>,
    /// Hidden size.
    pub hidden_size: usize,
    /// Number of layers.
    pub num_layers: usize,
    /// Attention heads.
    pub num_heads: usize,
    /// Key/value heads (grouped-query attention).
    pub num_kv_heads: usize,
    /// Size of one head.
    pub head_dim: usize,
    /// Feed-forward size.
    pub intermediate_size: usize,
    /// Vocabulary size.
    pub vocab_size: usize,
    /// Normalisation epsilon (RMS norm for decoders, layer norm for encoders).
    pub norm_eps: f64,
    /// Rotary base frequency (decoders).
    pub rope_theta: f64,
    /// Rotary scaling (decoders).
    pub rope_scaling: RopeScaling,
    /// Whether q/k/v projections have biases (decoders).
    pub attention_bias: bool,
    /// Whether the feed-forward projections have biases (Llama's `mlp_bias`).
    pub mlp_bias: bool,
    /// The activation function's name (`silu`, `gelu`, …).
    pub hidden_act: String,
    /// Longest sequence the position encoding covers.
    pub max_position_embeddings: Option<usize>,
    /// Token-type vocabulary (encoders).
    pub type_vocab_size: usize,
    /// The padding token id of the configuration (where transformers looks for the last
    /// non-padding token).
    pub pad_token_id: Option<u32>,
    /// Label names by index (`id2label`).
    pub id2label: BTreeMap<usize, String>,
    /// `problem_type` (`regression`, `single_label_classification`,
    /// `multi_label_classification`).
    pub problem_type: Option<String>,
}

/// Rotary position scaling.
#[derive(Debug, Clone, PartialEq)]
pub enum RopeScaling {
    /// None.
    None,
    /// Positions divided by `factor`.
    Linear {
        /// The factor.
        factor: f64,
    },
    /// Llama 3's frequency-dependent scaling.
    Llama3 {
        /// Scale factor.
        factor: f64,
        /// Low-frequency factor.
        low_freq_factor: f64,
        /// High-frequency factor.
        high_freq_factor: f64,
        /// The context length the model was pretrained with.
        original_max_position_embeddings: f64,
    },
}

#[derive(Deserialize)]
struct Raw {
    model_type: Option<String>,
    #[serde(default)]
    architectures: Vec<String>,
    hidden_size: Option<usize>,
    num_hidden_layers: Option<usize>,
    num_attention_heads: Option<usize>,
    num_key_value_heads: Option<usize>,
    head_dim: Option<usize>,
    intermediate_size: Option<usize>,
    vocab_size: Option<usize>,
    rms_norm_eps: Option<f64>,
    layer_norm_eps: Option<f64>,
    rope_theta: Option<f64>,
    rope_scaling: Option<Value>,
    rope_parameters: Option<Value>,
    attention_bias: Option<bool>,
    mlp_bias: Option<bool>,
    hidden_act: Option<String>,
    max_position_embeddings: Option<usize>,
    type_vocab_size: Option<usize>,
    pad_token_id: Option<Value>,
    id2label: Option<BTreeMap<String, String>>,
    problem_type: Option<String>,
    use_sliding_window: Option<bool>,
    position_embedding_type: Option<String>,
}

impl ModelConfig {
    /// Reads `dir/config.json`.
    pub fn from_dir(dir: &Path) -> Result<Self> {
        let path = dir.join("config.json");
        let text = std::fs::read_to_string(&path).map_err(|e| InferenceError::io(&path, e))?;
        Self::from_json(&text).map_err(|e| match e {
            InferenceError::BadModel(m) => {
                InferenceError::BadModel(format!("{}: {m}", path.display()))
            }
            other => other,
        })
    }

    /// Parses the text of a `config.json`.
    pub fn from_json(text: &str) -> Result<Self> {
        let raw: Raw = serde_json::from_str(text)
            .map_err(|e| InferenceError::BadModel(format!("not a model configuration: {e}")))?;
        let model_type = raw.model_type.clone().unwrap_or_default();
        let family = match model_type.as_str() {
            "qwen2" => Family::Qwen2,
            "qwen3" => Family::Qwen3,
            "llama" | "mistral" => Family::Llama,
            "bert" => Family::Bert,
            "roberta" | "xlm-roberta" => Family::Roberta,
            other => {
                return Err(InferenceError::Unsupported(format!(
                    "model_type {other:?} is not supported (supported: qwen2, qwen3, llama, \
                     mistral, bert, roberta, xlm-roberta)"
                )))
            }
        };
        if raw.use_sliding_window == Some(true) {
            return Err(InferenceError::Unsupported(
                "sliding-window attention (use_sliding_window = true) is not supported".into(),
            ));
        }
        if let Some(kind) = raw.position_embedding_type.as_deref() {
            if kind != "absolute" {
                return Err(InferenceError::Unsupported(format!(
                    "position_embedding_type {kind:?} is not supported (only \"absolute\")"
                )));
            }
        }
        let need = |name: &str, v: Option<usize>| {
            v.ok_or_else(|| InferenceError::BadModel(format!("config.json has no {name}")))
        };
        let hidden_size = need("hidden_size", raw.hidden_size)?;
        let num_heads = need("num_attention_heads", raw.num_attention_heads)?;
        if num_heads == 0 || hidden_size == 0 {
            return Err(InferenceError::BadModel(
                "hidden_size and num_attention_heads must be positive".into(),
            ));
        }
        let num_kv_heads = raw.num_key_value_heads.unwrap_or(num_heads);
        if num_kv_heads == 0 || num_heads % num_kv_heads != 0 {
            return Err(InferenceError::BadModel(format!(
                "num_attention_heads {num_heads} is not a multiple of num_key_value_heads {num_kv_heads}"
            )));
        }
        let head_dim = raw.head_dim.unwrap_or(hidden_size / num_heads);
        // transformers 5 moved rope_theta and rope_scaling into rope_parameters.
        let rope_params = raw.rope_parameters.as_ref().or(raw.rope_scaling.as_ref());
        let rope_theta = raw
            .rope_theta
            .or_else(|| raw.rope_parameters.as_ref()?.get("rope_theta")?.as_f64())
            .unwrap_or(10_000.0);
        let rope_scaling = family
            .is_decoder()
            .then(|| rope_scaling(rope_params))
            .transpose()?
            .unwrap_or(RopeScaling::None);
        let pad_token_id = match raw.pad_token_id {
            Some(Value::Number(n)) => n.as_u64().map(|n| n as u32),
            Some(Value::Array(ids)) => ids.first().and_then(Value::as_u64).map(|n| n as u32),
            _ => None,
        };
        let mut id2label = BTreeMap::new();
        for (k, v) in raw.id2label.unwrap_or_default() {
            if let Ok(i) = k.parse::<usize>() {
                id2label.insert(i, v);
            }
        }
        let default_eps = if family.is_decoder() { 1e-6 } else { 1e-12 };
        Ok(ModelConfig {
            family,
            architecture: raw.architectures.first().cloned(),
            hidden_size,
            num_layers: need("num_hidden_layers", raw.num_hidden_layers)?,
            num_heads,
            num_kv_heads,
            head_dim,
            intermediate_size: need("intermediate_size", raw.intermediate_size)?,
            vocab_size: need("vocab_size", raw.vocab_size)?,
            norm_eps: raw
                .rms_norm_eps
                .or(raw.layer_norm_eps)
                .unwrap_or(default_eps),
            rope_theta,
            rope_scaling,
            attention_bias: raw.attention_bias.unwrap_or(family == Family::Qwen2),
            mlp_bias: raw.mlp_bias.unwrap_or(false),
            hidden_act: raw
                .hidden_act
                .unwrap_or_else(|| if family.is_decoder() { "silu" } else { "gelu" }.to_string()),
            max_position_embeddings: raw.max_position_embeddings,
            type_vocab_size: raw.type_vocab_size.unwrap_or(0),
            pad_token_id,
            id2label,
            problem_type: raw.problem_type,
        })
    }
}

fn rope_scaling(params: Option<&Value>) -> Result<RopeScaling> {
    let Some(params) = params.filter(|p| p.is_object()) else {
        return Ok(RopeScaling::None);
    };
    let kind = params
        .get("rope_type")
        .or_else(|| params.get("type"))
        .and_then(Value::as_str)
        .unwrap_or("default");
    let num = |key: &str| -> Result<f64> {
        params.get(key).and_then(Value::as_f64).ok_or_else(|| {
            InferenceError::BadModel(format!("rope scaling {kind:?} needs a number {key}"))
        })
    };
    match kind {
        "default" => Ok(RopeScaling::None),
        "linear" => Ok(RopeScaling::Linear {
            factor: num("factor")?,
        }),
        "llama3" => Ok(RopeScaling::Llama3 {
            factor: num("factor")?,
            low_freq_factor: num("low_freq_factor")?,
            high_freq_factor: num("high_freq_factor")?,
            original_max_position_embeddings: num("original_max_position_embeddings")?,
        }),
        other => Err(InferenceError::Unsupported(format!(
            "rope scaling {other:?} is not supported (supported: default, linear, llama3)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_decoder_and_encoder_configurations() {
        let qwen = ModelConfig::from_json(
            r#"{"model_type": "qwen2", "hidden_size": 64, "num_hidden_layers": 2,
                "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 128,
                "vocab_size": 512, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0,
                "pad_token_id": 3, "id2label": {"0": "LABEL_0", "1": "good"}}"#,
        )
        .unwrap();
        assert_eq!(qwen.family, Family::Qwen2);
        assert_eq!(qwen.head_dim, 16);
        assert!(qwen.attention_bias);
        assert_eq!(qwen.pad_token_id, Some(3));
        assert_eq!(qwen.id2label[&1], "good");
        let llama = ModelConfig::from_json(
            r#"{"model_type": "llama", "hidden_size": 64, "num_hidden_layers": 1,
                "num_attention_heads": 4, "intermediate_size": 128, "vocab_size": 512,
                "rope_parameters": {"rope_type": "llama3", "rope_theta": 500000.0, "factor": 8.0,
                  "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                  "original_max_position_embeddings": 8192}}"#,
        )
        .unwrap();
        assert_eq!(llama.rope_theta, 500000.0);
        assert!(matches!(llama.rope_scaling, RopeScaling::Llama3 { .. }));
        assert!(!llama.attention_bias);
    }

    #[test]
    fn unsupported_configurations_say_why() {
        let cases = [
            (
                r#"{"model_type": "gpt2"}"#,
                "model_type \"gpt2\" is not supported",
            ),
            (
                r#"{"model_type": "qwen2", "use_sliding_window": true}"#,
                "sliding-window",
            ),
            (
                r#"{"model_type": "bert"}"#,
                "config.json has no hidden_size",
            ),
            (
                r#"{"model_type": "llama", "hidden_size": 8, "num_hidden_layers": 1,
                    "num_attention_heads": 2, "intermediate_size": 8, "vocab_size": 8,
                    "rope_scaling": {"type": "yarn", "factor": 4.0}}"#,
                "rope scaling \"yarn\" is not supported",
            ),
            ("[1]", "not a model configuration"),
        ];
        for (json, expected) in cases {
            let err = ModelConfig::from_json(json).unwrap_err().to_string();
            assert!(err.contains(expected), "{json}: {err}");
        }
    }
}

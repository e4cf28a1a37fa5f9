//! Local model inference for Assay, on [candle](https://github.com/huggingface/candle): reward
//! models, process reward models, embedding models and cross-encoders, loaded from a Hugging
//! Face model directory on disk (never from a hub), with the graders that use them.
//!
//! # Models
//!
//! | type | architectures | output |
//! |---|---|---|
//! | [`SequenceClassifier`] | Qwen2, Qwen3, Llama `*ForSequenceClassification` (one or more labels; read at the last non-padding token as transformers reads it); BERT/RoBERTa/XLM-R cross-encoders | logits per label |
//! | [`ProcessRewardModel`] | Qwen2/Qwen3/Llama decoders with a `score` head read at each step marker (Qwen2.5-Math-PRM) | logits per step |
//! | [`Embedder`] | BERT-family encoders (mean or CLS pooling), decoders (last-token pooling); normalisation | one vector per input |
//!
//! A model directory holds `config.json`, `model.safetensors` (or shards with
//! `model.safetensors.index.json`), `tokenizer.json` and, for chats, a chat template in
//! `tokenizer_config.json` or `chat_template.jinja`. Chat templates render with minijinja and
//! the Hugging Face extensions ([`template`]). Truncation is explicit and reported
//! ([`Truncated`]); inputs are batched by length ([`Batching`]); weights load in f32, bf16 or
//! f16 ([`Precision`]); GPUs through the `cuda` and `metal` features. In f32 on the CPU,
//! encoders and decoders run on packed tokens (a batch's real tokens one after the other, no
//! padding multiplied) with our own kernels for norms, attention, the rotary embedding and
//! activations, and fused linear layers; other precisions and devices run candle's ops on
//! padded batches.
//!
//! ```no_run
//! use assay_inference::{Input, LoadOptions, SequenceClassifier};
//! use serde_json::json;
//!
//! let rm = SequenceClassifier::load("models/reward".as_ref(), &LoadOptions::default())?;
//! let chat = vec![json!({"role": "user", "content": "2+2?"}), json!({"role": "assistant", "content": "4"})];
//! let scores: Vec<Vec<f32>> = rm.score(&[Input::Chat(chat), Input::Text("plain text".into())])?;
//! # Ok::<(), assay_inference::InferenceError>(())
//! ```
//!
//! # Graders
//!
//! [`register`] adds `reward_model`, `process_reward` and `embedding_similarity` (see
//! [`graders`]). Each grader loads its model once ([`shared`]: graders naming the same
//! directory share one copy), batches the items it is given, checks the item deadline between
//! batches and reports every failure as a status.

pub mod batch;
pub mod config;
mod cpu;
mod decoder;
mod encoder;
pub mod error;
pub mod graders;
mod model;
mod nn;
pub mod template;
pub mod tokenize;
mod weights;

pub use batch::Batching;
pub use error::{InferenceError, Result};
pub use model::{
    load_auto, shared, AnyModel, Embedder, Input, LoadOptions, OutputActivation, Pooling,
    Precision, ProcessRewardModel, RunOptions, Scored, SequenceClassifier, StepScores,
    DEFAULT_STEP_TOKEN,
};
pub use tokenize::{Side, Truncated};

/// Registers the model graders: `reward_model`, `process_reward`, `embedding_similarity`.
pub fn register(registry: &mut assay_core::Registry) {
    graders::register(registry);
}

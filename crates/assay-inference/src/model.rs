//! Loading a model directory and running it: [`SequenceClassifier`] (reward models and
//! cross-encoders), [`ProcessRewardModel`] and [`Embedder`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};
use std::time::Instant;

use candle_core::{DType, Device, Module, Tensor};
use candle_nn::VarBuilder;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::batch::{self, Batching};
use crate::config::{Family, ModelConfig};
use crate::decoder::Decoder;
use crate::encoder::{ClassifierHead, Encoder};
use crate::error::{InferenceError, Result};
use crate::nn::{Activation, Linear};
use crate::tokenize::{Encoded, Side, TextTokenizer, Truncated, Truncation};

/// The number format weights are loaded in and computed with.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// 32-bit floats: matches transformers to about 1e-5.
    #[default]
    F32,
    /// bfloat16: half the memory; on CPU candle widens to f32 for matrix products.
    Bf16,
    /// float16.
    F16,
}

impl Precision {
    fn dtype(self) -> DType {
        match self {
            Precision::F32 => DType::F32,
            Precision::Bf16 => DType::BF16,
            Precision::F16 => DType::F16,
        }
    }
}

/// Where and how a model is loaded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct LoadOptions {
    /// `cpu` (the default), `cuda`, `cuda:N` or `metal` (GPU devices need the crate's `cuda` or
    /// `metal` feature).
    pub device: String,
    /// The number format.
    pub precision: Precision,
}

impl Default for LoadOptions {
    fn default() -> Self {
        LoadOptions {
            device: "cpu".into(),
            precision: Precision::F32,
        }
    }
}

fn device(spec: &str) -> Result<Device> {
    let (name, index) = match spec.split_once(':') {
        Some((name, index)) => (
            name,
            index.parse::<usize>().map_err(|_| {
                InferenceError::Unsupported(format!("device {spec:?}: the index must be a number"))
            })?,
        ),
        None => (spec, 0),
    };
    match name {
        "cpu" => Ok(Device::Cpu),
        "cuda" => Device::new_cuda(index).map_err(|e| {
            InferenceError::Unsupported(format!(
                "device {spec:?} is not available ({e}); build with the `cuda` feature on a machine with CUDA"
            ))
        }),
        "metal" => Device::new_metal(index).map_err(|e| {
            InferenceError::Unsupported(format!(
                "device {spec:?} is not available ({e}); build with the `metal` feature on macOS"
            ))
        }),
        other => Err(InferenceError::Unsupported(format!(
            "unknown device {other:?} (use cpu, cuda, cuda:N or metal)"
        ))),
    }
}

/// One input to a model.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// Plain text, tokenised with the tokenizer's special tokens.
    Text(String),
    /// A chat (OpenAI-style message objects), rendered with the model's chat template.
    Chat(Vec<Value>),
    /// A pair of texts (query, document) for a cross-encoder.
    Pair(String, String),
}

impl From<&str> for Input {
    fn from(text: &str) -> Self {
        Input::Text(text.to_string())
    }
}

/// How one call runs: truncation, batching, deadline and chat-template variables.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Most tokens per input (default: the model's limit).
    pub max_length: Option<usize>,
    /// Which end of an over-long input is cut (default: the model's `truncation_side`, else
    /// left for decoders and right for encoders).
    pub truncation_side: Option<Side>,
    /// Refuse over-long inputs ([`InferenceError::TooLong`]) instead of cutting them.
    pub no_truncation: bool,
    /// Batch sizes.
    pub batching: Batching,
    /// Inputs not started by then fail with [`InferenceError::Deadline`]; checked between
    /// batches.
    pub deadline: Option<Instant>,
    /// Extra chat-template variables (`tools`, `enable_thinking` …).
    pub template_kwargs: Map<String, Value>,
}

/// The outputs of one input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Scored {
    /// One value per label (raw logits, or the pooled embedding).
    pub values: Vec<f32>,
    /// Tokens the model read.
    pub tokens: usize,
    /// Set when the input was cut.
    pub truncated: Option<Truncated>,
}

/// The model directory's files other than the weights.
#[derive(Debug)]
struct Common {
    dir: PathBuf,
    config: ModelConfig,
    tokenizer: TextTokenizer,
    device: Device,
    max_length: usize,
}

impl Common {
    fn load(dir: &Path) -> Result<Self> {
        if !dir.is_dir() {
            return Err(InferenceError::io(dir, "not a directory: point at a Hugging Face model directory (config.json, *.safetensors, tokenizer.json)"));
        }
        let config = ModelConfig::from_dir(dir)?;
        let tokenizer = TextTokenizer::from_dir(dir, config.pad_token_id)?;
        let mut max_length = config.max_position_embeddings.unwrap_or(usize::MAX);
        if config.family == Family::Roberta {
            max_length = max_length.saturating_sub(config.pad_token_id.unwrap_or(1) as usize + 1);
        }
        if let Some(m) = tokenizer.model_max_length() {
            max_length = max_length.min(m);
        }
        if max_length == usize::MAX {
            max_length = 32_768;
        }
        Ok(Common {
            dir: dir.to_path_buf(),
            config,
            tokenizer,
            device: Device::Cpu,
            max_length,
        })
    }

    fn weights(&mut self, options: &LoadOptions) -> Result<VarBuilder<'static>> {
        self.device = device(&options.device)?;
        let files = safetensors_files(&self.dir)?;
        let weights = crate::weights::SafetensorFiles::open(&files)?;
        Ok(VarBuilder::from_backend(
            Box::new(weights),
            options.precision.dtype(),
            self.device.clone(),
        ))
    }

    fn truncation(&self, run: &RunOptions) -> Truncation {
        let default_side =
            self.tokenizer
                .truncation_side
                .unwrap_or(if self.config.family.is_decoder() {
                    Side::Left
                } else {
                    Side::Right
                });
        Truncation {
            max_length: run
                .max_length
                .unwrap_or(self.max_length)
                .min(self.max_length)
                .max(1),
            side: run.truncation_side.unwrap_or(default_side),
            enabled: !run.no_truncation,
        }
    }

    fn prepare(&self, input: &Input, run: &RunOptions) -> Result<Encoded> {
        let truncation = self.truncation(run);
        match input {
            Input::Text(text) => self.tokenizer.encode(text, true, &truncation),
            Input::Pair(a, b) => self.tokenizer.encode_pair(a, b, &truncation),
            Input::Chat(messages) => {
                let template = self.tokenizer.template().ok_or_else(|| {
                    InferenceError::BadInput(
                        "the model has no chat template (tokenizer_config.json chat_template or chat_template.jinja): give text instead of a chat".into(),
                    )
                })?;
                let text = template.render(messages, false, &run.template_kwargs)?;
                self.tokenizer.encode(&text, false, &truncation)
            }
        }
    }

    /// Tokenises every input, then runs `forward` on length-sorted batches of the ones that
    /// tokenised.
    fn run<T>(
        &self,
        inputs: &[Input],
        run: &RunOptions,
        mut forward: impl FnMut(&[&Encoded]) -> Result<Vec<T>>,
    ) -> Vec<Result<(T, usize, Option<Truncated>)>> {
        let prepared: Vec<Result<Encoded>> = inputs.iter().map(|i| self.prepare(i, run)).collect();
        let ok: Vec<usize> = (0..prepared.len())
            .filter(|&i| prepared[i].is_ok())
            .collect();
        let lengths: Vec<usize> = ok
            .iter()
            .map(|&i| prepared[i].as_ref().map_or(0, |e| e.ids.len()))
            .collect();
        let encoded: Vec<&Encoded> = ok
            .iter()
            .filter_map(|&i| prepared[i].as_ref().ok())
            .collect();
        let outputs = batch::run(&lengths, &run.batching, run.deadline, |batch| {
            let rows: Vec<&Encoded> = batch.iter().map(|&j| encoded[j]).collect();
            forward(&rows)
        });
        let mut outputs = outputs.into_iter();
        prepared
            .into_iter()
            .map(|p| match p {
                Err(e) => Err(e),
                Ok(enc) => match outputs.next() {
                    Some(Ok(out)) => Ok((out, enc.ids.len(), enc.truncated)),
                    Some(Err(e)) => Err(e),
                    None => Err(InferenceError::Deadline),
                },
            })
            .collect()
    }

    /// `[rows, longest]` id and type-id tensors, right-padded.
    fn tensors(&self, rows: &[&Encoded]) -> Result<(Tensor, Tensor, Vec<usize>)> {
        let longest = rows.iter().map(|r| r.ids.len()).max().unwrap_or(0);
        let pad = self
            .tokenizer
            .pad_id()
            .min(self.config.vocab_size.saturating_sub(1) as u32);
        let mut ids = Vec::with_capacity(rows.len() * longest);
        let mut types = Vec::with_capacity(rows.len() * longest);
        for r in rows {
            ids.extend_from_slice(&r.ids);
            ids.extend(std::iter::repeat_n(pad, longest - r.ids.len()));
            types.extend_from_slice(&r.type_ids);
            types.extend(std::iter::repeat_n(0, longest - r.type_ids.len()));
        }
        let shape = (rows.len(), longest);
        Ok((
            Tensor::from_vec(ids, shape, &self.device)?,
            Tensor::from_vec(types, shape, &self.device)?,
            rows.iter().map(|r| r.ids.len()).collect(),
        ))
    }
}

fn safetensors_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let index = dir.join("model.safetensors.index.json");
    if index.exists() {
        let text = std::fs::read_to_string(&index).map_err(|e| InferenceError::io(&index, e))?;
        let json: Value = serde_json::from_str(&text).map_err(|e| InferenceError::io(&index, e))?;
        let mut files: Vec<PathBuf> = json
            .get("weight_map")
            .and_then(Value::as_object)
            .ok_or_else(|| InferenceError::io(&index, "no weight_map"))?
            .values()
            .filter_map(Value::as_str)
            .map(|f| dir.join(f))
            .collect();
        files.sort();
        files.dedup();
        for f in &files {
            if !f.exists() {
                return Err(InferenceError::io(
                    f,
                    "listed in model.safetensors.index.json but missing",
                ));
            }
        }
        return Ok(files);
    }
    let single = dir.join("model.safetensors");
    if single.exists() {
        return Ok(vec![single]);
    }
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| InferenceError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "safetensors"))
        .collect();
    files.sort();
    if files.is_empty() {
        return Err(InferenceError::io(
            dir,
            "no *.safetensors weights (pytorch_model.bin is not read: re-save with save_pretrained(safe_serialization=True))",
        ));
    }
    Ok(files)
}

enum Backbone {
    Decoder(Decoder),
    Encoder(Encoder),
}

impl std::fmt::Debug for Backbone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Backbone::Decoder(_) => "Decoder",
            Backbone::Encoder(_) => "Encoder",
        })
    }
}

fn decoder_root(vb: &VarBuilder<'static>) -> VarBuilder<'static> {
    if vb.contains_tensor("model.embed_tokens.weight") {
        vb.pp("model")
    } else {
        vb.clone()
    }
}

fn encoder_root(vb: &VarBuilder<'static>) -> VarBuilder<'static> {
    for prefix in ["bert", "roberta", "model"] {
        if vb.contains_tensor(&format!("{prefix}.embeddings.word_embeddings.weight")) {
            return vb.pp(prefix);
        }
    }
    vb.clone()
}

/// A decoder's score head: one linear layer (`score`), or two with a ReLU between
/// (`score.0`, `score.2`, as Qwen2.5-Math's reward models have).
#[derive(Debug)]
enum ScoreHead {
    Linear(Linear),
    Mlp(Linear, Linear),
}

impl ScoreHead {
    fn load(vb: &VarBuilder<'static>, hidden: usize) -> Result<Self> {
        if vb.contains_tensor("score.weight") {
            Ok(ScoreHead::Linear(Linear::load_any(vb, "score", hidden)?))
        } else if vb.contains_tensor("score.0.weight") && vb.contains_tensor("score.2.weight") {
            Ok(ScoreHead::Mlp(
                Linear::load_any(vb, "score.0", hidden)?,
                Linear::load_any(vb, "score.2", hidden)?,
            ))
        } else {
            Err(InferenceError::BadModel(
                "no score head (score.weight, or score.0/score.2): the weights are not a sequence classifier or reward model".into(),
            ))
        }
    }

    fn outputs(&self) -> usize {
        match self {
            ScoreHead::Linear(l) | ScoreHead::Mlp(_, l) => l.outputs(),
        }
    }

    fn forward(&self, x: &Tensor) -> candle_core::Result<Tensor> {
        match self {
            ScoreHead::Linear(l) => l.forward(x),
            ScoreHead::Mlp(a, b) => b.forward(&Activation::Relu.apply(&a.forward(x)?)?),
        }
    }
}

enum Head {
    Score(ScoreHead),
    Classifier(ClassifierHead),
}

/// How a classifier's logits become probabilities, as vLLM and transformers choose it from
/// `problem_type` and the number of labels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OutputActivation {
    /// Softmax over the labels (single-label classification with several labels).
    Softmax,
    /// Sigmoid of each label (one label, or multi-label classification).
    Sigmoid,
    /// None (regression).
    Identity,
}

impl OutputActivation {
    /// Applies the activation to one row of logits.
    pub fn apply(self, logits: &[f32]) -> Vec<f32> {
        match self {
            OutputActivation::Identity => logits.to_vec(),
            OutputActivation::Sigmoid => logits.iter().map(|x| 1.0 / (1.0 + (-x).exp())).collect(),
            OutputActivation::Softmax => {
                let max = logits.iter().copied().fold(f32::NEG_INFINITY, f32::max);
                let exps: Vec<f32> = logits.iter().map(|x| (x - max).exp()).collect();
                let sum: f32 = exps.iter().sum();
                exps.iter().map(|e| e / sum).collect()
            }
        }
    }
}

/// A sequence classifier: a decoder reward model (`*ForSequenceClassification`, the score read
/// at the last non-padding token as transformers reads it; any number of labels) or a
/// BERT-family cross-encoder.
pub struct SequenceClassifier {
    common: Common,
    backbone: Backbone,
    head: Head,
}

impl std::fmt::Debug for SequenceClassifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SequenceClassifier")
            .field("dir", &self.common.dir)
            .field("backbone", &self.backbone)
            .field("labels", &self.labels())
            .finish()
    }
}

impl SequenceClassifier {
    /// Renders `messages` with the model's chat template (no generation prompt).
    pub fn render_chat(&self, messages: &[Value], kwargs: &Map<String, Value>) -> Result<String> {
        let template = self
            .common
            .tokenizer
            .template()
            .ok_or_else(|| InferenceError::BadInput("the model has no chat template".into()))?;
        template.render(messages, false, kwargs)
    }

    /// The token ids the model reads for `input` under `run`'s truncation (chats rendered
    /// with the chat template), without running the model.
    pub fn tokenize(&self, input: &Input, run: &RunOptions) -> Result<crate::tokenize::Encoded> {
        self.common.prepare(input, run)
    }

    /// Loads the model directory at `dir`.
    pub fn load(dir: &Path, options: &LoadOptions) -> Result<Self> {
        let mut common = Common::load(dir)?;
        let vb = common.weights(options)?;
        let (backbone, head) = if common.config.family.is_decoder() {
            let decoder = Decoder::load(&decoder_root(&vb), &common.config)?;
            let head = ScoreHead::load(&vb, decoder.hidden_size())?;
            (Backbone::Decoder(decoder), Head::Score(head))
        } else {
            let (encoder, head) = Encoder::load(&encoder_root(&vb), &vb, &common.config, true)?;
            common.max_length = common.max_length.min(encoder.max_length());
            let head =
                head.ok_or_else(|| InferenceError::BadModel("no classification head".into()))?;
            (Backbone::Encoder(encoder), Head::Classifier(head))
        };
        Ok(SequenceClassifier {
            common,
            backbone,
            head,
        })
    }

    /// The labels, in output order (`id2label`, else `LABEL_i`).
    pub fn labels(&self) -> Vec<String> {
        let n = match &self.head {
            Head::Score(h) => h.outputs(),
            Head::Classifier(h) => h.outputs(),
        };
        (0..n)
            .map(|i| {
                self.common
                    .config
                    .id2label
                    .get(&i)
                    .cloned()
                    .unwrap_or_else(|| format!("LABEL_{i}"))
            })
            .collect()
    }

    /// The activation vLLM's `/classify` applies: from `problem_type`, else sigmoid for one
    /// label and softmax for several.
    pub fn activation(&self) -> OutputActivation {
        match self.common.config.problem_type.as_deref() {
            Some("regression") => OutputActivation::Identity,
            Some("multi_label_classification") => OutputActivation::Sigmoid,
            Some("single_label_classification") if self.labels().len() > 1 => {
                OutputActivation::Softmax
            }
            _ if self.labels().len() == 1 => OutputActivation::Sigmoid,
            _ => OutputActivation::Softmax,
        }
    }

    /// Whether inputs are chats for a decoder (`true`) or texts and pairs for an encoder.
    pub fn is_decoder(&self) -> bool {
        matches!(self.backbone, Backbone::Decoder(_))
    }

    /// Whether the model has a chat template.
    pub fn has_chat_template(&self) -> bool {
        self.common.tokenizer.template().is_some()
    }

    /// The longest input the model takes.
    pub fn max_length(&self) -> usize {
        self.common.max_length
    }

    /// Raw logits of every input, one row per input, with default options; fails as a whole if
    /// any input fails (use [`SequenceClassifier::score_each`] for per-input results).
    pub fn score(&self, inputs: &[Input]) -> Result<Vec<Vec<f32>>> {
        self.score_each(inputs, &RunOptions::default())
            .into_iter()
            .map(|r| r.map(|s| s.values))
            .collect()
    }

    /// Raw logits of every input with its token count and truncation, one result per input.
    pub fn score_each(&self, inputs: &[Input], run: &RunOptions) -> Vec<Result<Scored>> {
        let pad = self.common.config.pad_token_id;
        let results = self.common.run(inputs, run, |rows| {
            let (ids, types, lengths) = self.common.tensors(rows)?;
            let logits = match (&self.backbone, &self.head) {
                (Backbone::Decoder(d), Head::Score(head)) => {
                    let hidden = d.forward(&ids, &lengths)?;
                    let t = lengths.iter().copied().max().unwrap_or(0);
                    let picks: Vec<u32> = rows
                        .iter()
                        .enumerate()
                        .map(|(row, r)| (row * t + last_non_pad(&r.ids, pad)) as u32)
                        .collect();
                    let picked = gather_rows(&hidden, &picks)?;
                    head.forward(&picked)?
                }
                (Backbone::Encoder(e), Head::Classifier(head)) => {
                    let hidden = e.forward(&ids, &types, &lengths)?;
                    head.forward(&hidden.narrow(1, 0, 1)?.squeeze(1)?)?
                }
                _ => {
                    return Err(InferenceError::BadModel(
                        "head does not match the backbone".into(),
                    ))
                }
            };
            Ok(logits.to_dtype(DType::F32)?.to_vec2::<f32>()?)
        });
        results
            .into_iter()
            .map(|r| {
                r.map(|(values, tokens, truncated)| Scored {
                    values,
                    tokens,
                    truncated,
                })
            })
            .collect()
    }
}

/// Where transformers' `*ForSequenceClassification` reads the score: the last token whose id
/// is not the configuration's `pad_token_id` (the first token if all are; the last token when
/// there is no padding id).
fn last_non_pad(ids: &[u32], pad: Option<u32>) -> usize {
    match pad {
        None => ids.len().saturating_sub(1),
        Some(pad) => ids.iter().rposition(|&id| id != pad).unwrap_or(0),
    }
}

/// Rows `picks` of `hidden` (`[batch, seq, h]` flattened to `[batch·seq, h]`).
fn gather_rows(hidden: &Tensor, picks: &[u32]) -> candle_core::Result<Tensor> {
    let (b, t, h) = hidden.dims3()?;
    let index = Tensor::from_vec(picks.to_vec(), picks.len(), hidden.device())?;
    hidden.reshape((b * t, h))?.index_select(&index, 0)
}

/// Scores of the steps of one input.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepScores {
    /// Logits at each step marker, in order.
    pub logits: Vec<Vec<f32>>,
    /// Tokens the model read.
    pub tokens: usize,
    /// Set when the input was cut.
    pub truncated: Option<Truncated>,
}

impl StepScores {
    /// The probability that each step is correct: the softmax of the step's logits at label 1
    /// (as Qwen2.5-Math-PRM's `make_step_rewards`), or the sigmoid of a single logit.
    pub fn step_rewards(&self) -> Vec<f32> {
        self.logits
            .iter()
            .map(|l| match l.len() {
                1 => OutputActivation::Sigmoid.apply(l)[0],
                _ => OutputActivation::Softmax.apply(l)[1],
            })
            .collect()
    }
}

/// A process reward model: a decoder whose score head is read at every step-marker token
/// (Qwen2.5-Math-PRM: `<extra_0>` after each step, two labels, the probability of label 1 is
/// the step's reward).
pub struct ProcessRewardModel {
    common: Common,
    decoder: Decoder,
    head: ScoreHead,
    step_token: String,
    step_id: u32,
}

impl std::fmt::Debug for ProcessRewardModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProcessRewardModel")
            .field("dir", &self.common.dir)
            .field("step_token", &self.step_token)
            .finish()
    }
}

impl ProcessRewardModel {
    /// The token ids the model reads for `input` under `run`'s truncation (chats rendered
    /// with the chat template), without running the model.
    pub fn tokenize(&self, input: &Input, run: &RunOptions) -> Result<crate::tokenize::Encoded> {
        self.common.prepare(input, run)
    }

    /// Loads the model directory at `dir`; `step_token` is the step marker (`<extra_0>` for
    /// Qwen2.5-Math-PRM).
    pub fn load(dir: &Path, step_token: &str, options: &LoadOptions) -> Result<Self> {
        let mut common = Common::load(dir)?;
        if !common.config.family.is_decoder() {
            return Err(InferenceError::Unsupported(
                "a process reward model must be a decoder (qwen2, qwen3, llama)".into(),
            ));
        }
        let step_id = common.tokenizer.token_to_id(step_token).ok_or_else(|| {
            InferenceError::BadModel(format!(
                "the step marker {step_token:?} is not a token of this tokenizer: set step_token to the model's marker"
            ))
        })?;
        let vb = common.weights(options)?;
        let decoder = Decoder::load(&decoder_root(&vb), &common.config)?;
        let head = ScoreHead::load(&vb, decoder.hidden_size())?;
        Ok(ProcessRewardModel {
            common,
            decoder,
            head,
            step_token: step_token.to_string(),
            step_id,
        })
    }

    /// The step marker.
    pub fn step_token(&self) -> &str {
        &self.step_token
    }

    /// Whether the model has a chat template.
    pub fn has_chat_template(&self) -> bool {
        self.common.tokenizer.template().is_some()
    }

    /// Logits at every step marker of every input; an input without a marker (after
    /// truncation) fails with [`InferenceError::BadInput`].
    pub fn score_each(&self, inputs: &[Input], run: &RunOptions) -> Vec<Result<StepScores>> {
        let step = self.step_id;
        let results = self.common.run(inputs, run, |rows| {
            let (ids, _, lengths) = self.common.tensors(rows)?;
            let hidden = self.decoder.forward(&ids, &lengths)?;
            let t = lengths.iter().copied().max().unwrap_or(0);
            let mut picks = Vec::new();
            let mut counts = Vec::with_capacity(rows.len());
            for (row, r) in rows.iter().enumerate() {
                let before = picks.len();
                picks.extend(
                    r.ids
                        .iter()
                        .enumerate()
                        .filter(|(_, &id)| id == step)
                        .map(|(i, _)| (row * t + i) as u32),
                );
                counts.push(picks.len() - before);
            }
            let logits = if picks.is_empty() {
                Vec::new()
            } else {
                self.head
                    .forward(&gather_rows(&hidden, &picks)?)?
                    .to_dtype(DType::F32)?
                    .to_vec2::<f32>()?
            };
            let mut logits = logits.into_iter();
            Ok(counts
                .into_iter()
                .map(|n| logits.by_ref().take(n).collect::<Vec<_>>())
                .collect())
        });
        results
            .into_iter()
            .map(|r| {
                let (logits, tokens, truncated) = r?;
                if logits.is_empty() {
                    return Err(InferenceError::BadInput(format!(
                        "no step marker {:?} in the input{}",
                        self.step_token,
                        if truncated.is_some() {
                            " after truncation"
                        } else {
                            ""
                        }
                    )));
                }
                Ok(StepScores {
                    logits,
                    tokens,
                    truncated,
                })
            })
            .collect()
    }
}

/// How token states become one embedding.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Pooling {
    /// The mean over real tokens.
    Mean,
    /// The first token (`[CLS]`).
    Cls,
    /// The last real token (decoder embedding models).
    Last,
}

/// An embedding model: a BERT-family encoder (or a decoder with last-token pooling), pooled
/// and optionally L2-normalised as its sentence-transformers configuration says.
pub struct Embedder {
    common: Common,
    backbone: Backbone,
    pooling: Pooling,
    normalize: bool,
}

impl std::fmt::Debug for Embedder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Embedder")
            .field("dir", &self.common.dir)
            .field("pooling", &self.pooling)
            .field("normalize", &self.normalize)
            .finish()
    }
}

impl Embedder {
    /// The token ids the model reads for `input` under `run`'s truncation (chats rendered
    /// with the chat template), without running the model.
    pub fn tokenize(&self, input: &Input, run: &RunOptions) -> Result<crate::tokenize::Encoded> {
        self.common.prepare(input, run)
    }

    /// Loads the model directory at `dir`. Pooling and normalisation come from
    /// `1_Pooling/config.json` and `modules.json` (sentence-transformers), else mean pooling
    /// with normalisation for encoders and last-token pooling for decoders; the default
    /// maximum length from `sentence_bert_config.json`.
    pub fn load(dir: &Path, options: &LoadOptions) -> Result<Self> {
        let mut common = Common::load(dir)?;
        let st = SentenceTransformers::read(dir)?;
        let vb = common.weights(options)?;
        let backbone = if common.config.family.is_decoder() {
            Backbone::Decoder(Decoder::load(&decoder_root(&vb), &common.config)?)
        } else {
            let (encoder, _) = Encoder::load(&encoder_root(&vb), &vb, &common.config, false)?;
            common.max_length = common.max_length.min(encoder.max_length());
            Backbone::Encoder(encoder)
        };
        if let Some(m) = st.max_seq_length {
            common.max_length = common.max_length.min(m);
        }
        let default_pooling = if common.config.family.is_decoder() {
            Pooling::Last
        } else {
            Pooling::Mean
        };
        Ok(Embedder {
            common,
            backbone,
            pooling: st.pooling.unwrap_or(default_pooling),
            normalize: st.normalize.unwrap_or(true),
        })
    }

    /// Overrides the pooling.
    pub fn with_pooling(mut self, pooling: Pooling) -> Self {
        self.pooling = pooling;
        self
    }

    /// Overrides normalisation.
    pub fn with_normalize(mut self, normalize: bool) -> Self {
        self.normalize = normalize;
        self
    }

    /// The pooling in use.
    pub fn pooling(&self) -> Pooling {
        self.pooling
    }

    /// Whether embeddings are L2-normalised.
    pub fn normalizes(&self) -> bool {
        self.normalize
    }

    /// The longest input the model takes.
    pub fn max_length(&self) -> usize {
        self.common.max_length
    }

    /// Embeddings of `texts` with default options; fails as a whole if any input fails.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>> {
        let inputs: Vec<Input> = texts.iter().map(|t| Input::from(*t)).collect();
        self.embed_each(&inputs, &RunOptions::default())
            .into_iter()
            .map(|r| r.map(|s| s.values))
            .collect()
    }

    /// Embeddings of every input, one result per input.
    pub fn embed_each(&self, inputs: &[Input], run: &RunOptions) -> Vec<Result<Scored>> {
        let results = self.common.run(inputs, run, |rows| {
            let (ids, types, lengths) = self.common.tensors(rows)?;
            let hidden = match &self.backbone {
                Backbone::Decoder(d) => d.forward(&ids, &lengths)?,
                Backbone::Encoder(e) => e.forward(&ids, &types, &lengths)?,
            }
            .to_dtype(DType::F32)?;
            let (b, t, _) = hidden.dims3()?;
            let pooled = match self.pooling {
                Pooling::Cls => hidden.narrow(1, 0, 1)?.squeeze(1)?,
                Pooling::Last => {
                    let picks: Vec<u32> = lengths
                        .iter()
                        .enumerate()
                        .map(|(row, &n)| (row * t + n - 1) as u32)
                        .collect();
                    gather_rows(&hidden, &picks)?
                }
                Pooling::Mean => {
                    let mask: Vec<f32> = lengths
                        .iter()
                        .flat_map(|&n| (0..t).map(move |j| if j < n { 1.0 } else { 0.0 }))
                        .collect();
                    let mask = Tensor::from_vec(mask, (b, t, 1), hidden.device())?;
                    let sums = hidden.broadcast_mul(&mask)?.sum(1)?;
                    let counts: Vec<f32> = lengths.iter().map(|&n| n as f32).collect();
                    sums.broadcast_div(&Tensor::from_vec(counts, (b, 1), hidden.device())?)?
                }
            };
            let mut rows = pooled.to_vec2::<f32>()?;
            if self.normalize {
                for row in &mut rows {
                    // As torch.nn.functional.normalize: divide by max(norm, 1e-12).
                    let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
                    row.iter_mut().for_each(|x| *x /= norm);
                }
            }
            Ok(rows)
        });
        results
            .into_iter()
            .map(|r| {
                r.map(|(values, tokens, truncated)| Scored {
                    values,
                    tokens,
                    truncated,
                })
            })
            .collect()
    }
}

/// What a sentence-transformers directory says about pooling.
#[derive(Debug, Default)]
struct SentenceTransformers {
    pooling: Option<Pooling>,
    normalize: Option<bool>,
    max_seq_length: Option<usize>,
}

impl SentenceTransformers {
    fn read(dir: &Path) -> Result<Self> {
        let read_json = |path: PathBuf| -> Result<Option<Value>> {
            if !path.exists() {
                return Ok(None);
            }
            let text = std::fs::read_to_string(&path).map_err(|e| InferenceError::io(&path, e))?;
            serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| InferenceError::io(&path, e))
        };
        let mut st = SentenceTransformers::default();
        let Some(modules) = read_json(dir.join("modules.json"))? else {
            return Ok(st);
        };
        st.normalize = Some(false);
        for module in modules.as_array().into_iter().flatten() {
            let kind = module.get("type").and_then(Value::as_str).unwrap_or("");
            let sub = module.get("path").and_then(Value::as_str).unwrap_or("");
            match kind.rsplit('.').next().unwrap_or("") {
                "Transformer" => {}
                "Normalize" => st.normalize = Some(true),
                "Pooling" => {
                    let config = read_json(dir.join(sub).join("config.json"))?.unwrap_or(Value::Null);
                    let on = |k: &str| config.get(k).and_then(Value::as_bool).unwrap_or(false);
                    st.pooling = Some(if on("pooling_mode_cls_token") {
                        Pooling::Cls
                    } else if on("pooling_mode_lasttoken") {
                        Pooling::Last
                    } else if on("pooling_mode_mean_tokens") {
                        Pooling::Mean
                    } else {
                        return Err(InferenceError::Unsupported(format!(
                            "{}: only mean, CLS and last-token pooling are supported",
                            dir.join(sub).display()
                        )));
                    });
                }
                other => {
                    return Err(InferenceError::Unsupported(format!(
                        "sentence-transformers module {other:?} (in modules.json) is not supported: only Transformer, Pooling and Normalize"
                    )))
                }
            }
        }
        if let Some(config) = read_json(dir.join("sentence_bert_config.json"))? {
            st.max_seq_length = config
                .get("max_seq_length")
                .and_then(Value::as_u64)
                .map(|n| n as usize);
        }
        Ok(st)
    }
}

/// Any supported model, as [`load_auto`] recognises it.
#[derive(Debug, Clone)]
pub enum AnyModel {
    /// A reward model or cross-encoder.
    Classifier(Arc<SequenceClassifier>),
    /// A process reward model.
    ProcessReward(Arc<ProcessRewardModel>),
    /// An embedding model.
    Embedder(Arc<Embedder>),
}

/// The default step marker of process reward models (Qwen2.5-Math-PRM's).
pub const DEFAULT_STEP_TOKEN: &str = "<extra_0>";

/// Loads `dir` as whatever it holds: a process reward model when `architectures` names one,
/// a classifier when the weights have a score or classifier head, else an embedder.
pub fn load_auto(dir: &Path, options: &LoadOptions) -> Result<AnyModel> {
    let config = ModelConfig::from_dir(dir)?;
    let arch = config.architecture.clone().unwrap_or_default();
    if arch.contains("ProcessRewardModel") {
        return Ok(AnyModel::ProcessReward(shared(
            dir,
            options,
            DEFAULT_STEP_TOKEN,
            |d, o| ProcessRewardModel::load(d, DEFAULT_STEP_TOKEN, o),
        )?));
    }
    if arch.contains("ForSequenceClassification") || arch.contains("RewardModel") {
        return Ok(AnyModel::Classifier(shared(
            dir,
            options,
            "",
            SequenceClassifier::load,
        )?));
    }
    Ok(AnyModel::Embedder(shared(
        dir,
        options,
        "",
        Embedder::load,
    )?))
}

type CacheKey = (PathBuf, String, LoadOptions, String);
type Cache = Mutex<HashMap<CacheKey, Weak<dyn std::any::Any + Send + Sync>>>;

fn cache() -> &'static Cache {
    static CACHE: std::sync::OnceLock<Cache> = std::sync::OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Loads a model once per process: graders and servers that name the same directory (and
/// options) share one copy while any of them holds it. `variant` separates loads of one
/// directory that differ otherwise (a process reward model's step marker).
pub fn shared<T: Send + Sync + 'static>(
    dir: &Path,
    options: &LoadOptions,
    variant: &str,
    load: impl FnOnce(&Path, &LoadOptions) -> Result<T>,
) -> Result<Arc<T>> {
    if !dir.is_dir() {
        return Err(InferenceError::io(dir, "not a directory: point at a Hugging Face model directory (config.json, *.safetensors, tokenizer.json)"));
    }
    let canonical = dir.canonicalize().map_err(|e| InferenceError::io(dir, e))?;
    let key = (
        canonical.clone(),
        std::any::type_name::<T>().to_string(),
        options.clone(),
        variant.to_string(),
    );
    // Loading holds the lock: two graders of one model never load it twice at once.
    let mut cache = cache().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(model) = cache.get(&key).and_then(Weak::upgrade) {
        if let Ok(model) = model.downcast::<T>() {
            return Ok(model);
        }
    }
    let model = Arc::new(load(&canonical, options)?);
    let erased: Arc<dyn std::any::Any + Send + Sync> = model.clone();
    cache.retain(|_, weak| weak.strong_count() > 0);
    cache.insert(key, Arc::downgrade(&erased));
    Ok(model)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_score_is_read_where_transformers_reads_it() {
        assert_eq!(last_non_pad(&[5, 6, 7], Some(0)), 2);
        assert_eq!(last_non_pad(&[5, 6, 0, 0], Some(0)), 1);
        assert_eq!(last_non_pad(&[0, 0], Some(0)), 0);
        assert_eq!(last_non_pad(&[5, 0], None), 1);
    }

    #[test]
    fn activations_match_their_definitions() {
        let p = OutputActivation::Softmax.apply(&[0.0, (3.0f32).ln()]);
        assert!((p[0] - 0.25).abs() < 1e-6 && (p[1] - 0.75).abs() < 1e-6);
        assert!((OutputActivation::Sigmoid.apply(&[0.0])[0] - 0.5).abs() < 1e-7);
        assert_eq!(OutputActivation::Identity.apply(&[2.5]), vec![2.5]);
    }

    #[test]
    fn missing_directories_and_devices_say_what_to_do() {
        let err =
            SequenceClassifier::load(Path::new("/nonexistent/model"), &LoadOptions::default())
                .unwrap_err()
                .to_string();
        assert!(err.contains("not a directory"), "{err}");
        let err = device("tpu").unwrap_err().to_string();
        assert!(err.contains("unknown device"), "{err}");
        let err = device("cuda:x").unwrap_err().to_string();
        assert!(err.contains("index must be a number"), "{err}");
    }
}

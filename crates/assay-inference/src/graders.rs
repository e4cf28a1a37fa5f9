//! The model graders: `reward_model`, `process_reward` and `embedding_similarity`.
//!
//! Each loads its model when the configuration is built (once: graders naming the same
//! directory share it, see [`crate::shared`]), scores the items of a batch in length-sorted
//! forward passes, checks the item deadline between passes, and reports every failure of an
//! item as a status: a chat template or tokenizer failure is `error`/`malformed_input`, an
//! over-long input with truncation off is `error`/`resource_limit`, a deadline is `timeout`, a
//! failure of the model is `error`/`execution`.
//!
//! Where the model runs is the backend: today a local directory (`path`). The options keep
//! it apart ([`Backend`]) so that a remote backend (`url`, speaking the API `assay serve
//! --model` serves) can sit beside it with the same options.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use assay_core::{
    BatchContext, Budget, BuildContext, Content, ErrorKind, Grader, GraderKind, Item, Outcome,
    Registry, SharedGrader,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::batch::Batching;
use crate::model::{
    shared, Embedder, Input, LoadOptions, Pooling, Precision, ProcessRewardModel, RunOptions,
    Scored, SequenceClassifier, DEFAULT_STEP_TOKEN,
};
use crate::tokenize::{Side, Truncated};
use crate::InferenceError;

pub(crate) fn register(registry: &mut Registry) {
    registry
        .register::<RewardModelKind>()
        .register::<ProcessRewardKind>()
        .register::<EmbeddingSimilarityKind>();
}

/// Where a model runs.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Backend {
    /// A model directory on this machine, run in-process.
    Local(PathBuf),
}

impl Backend {
    fn from_options(path: &Option<PathBuf>) -> Result<Self, String> {
        match path {
            Some(path) => Ok(Backend::Local(path.clone())),
            None => Err("set `path` to a Hugging Face model directory (config.json, *.safetensors, tokenizer.json)".into()),
        }
    }
}

fn default_device() -> String {
    "cpu".into()
}
fn default_batch_size() -> usize {
    16
}
fn default_batch_tokens() -> usize {
    16_384
}
fn yes() -> bool {
    true
}

/// Where and how a grader's model runs (the options every model grader takes).
#[derive(Debug, Clone)]
pub struct RuntimeOptions {
    /// Number format.
    pub precision: Precision,
    /// Device.
    pub device: String,
    /// Most tokens per input.
    pub max_length: Option<usize>,
    /// Which end of an over-long input is cut.
    pub truncation_side: Option<Side>,
    /// Whether over-long inputs are cut (else refused).
    pub truncate: bool,
    /// Most inputs per forward pass.
    pub max_batch_size: usize,
    /// Most padded tokens per forward pass.
    pub max_batch_tokens: usize,
}

/// Defines a model grader's options struct: its own fields, then the fields every model
/// grader takes (where and how the model runs), with `runtime()` collecting the latter.
macro_rules! model_options {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            /// Number format of the weights and the computation.
            #[serde(default)]
            pub precision: Precision,
            /// `cpu`, `cuda`, `cuda:N` or `metal` (GPUs need a build with the `cuda` or
            /// `metal` feature).
            #[serde(default = "default_device")]
            pub device: String,
            /// Most tokens per input, special tokens included (default: the model's limit).
            #[serde(default)]
            pub max_length: Option<usize>,
            /// Which end of an over-long input is cut (default: the tokenizer's
            /// `truncation_side`, else left for decoders, right for encoders).
            #[serde(default)]
            pub truncation_side: Option<Side>,
            /// Cut over-long inputs (reported in the explanation as `truncated`); `false`
            /// makes them errors (`resource_limit`).
            #[serde(default = "yes")]
            pub truncate: bool,
            /// Most inputs per forward pass.
            #[serde(default = "default_batch_size")]
            pub max_batch_size: usize,
            /// Most padded tokens (inputs × longest) per forward pass.
            #[serde(default = "default_batch_tokens")]
            pub max_batch_tokens: usize,
        }

        impl $name {
            /// The options of where and how the model runs.
            pub fn runtime(&self) -> RuntimeOptions {
                RuntimeOptions {
                    precision: self.precision,
                    device: self.device.clone(),
                    max_length: self.max_length,
                    truncation_side: self.truncation_side,
                    truncate: self.truncate,
                    max_batch_size: self.max_batch_size,
                    max_batch_tokens: self.max_batch_tokens,
                }
            }
        }
    };
}

impl Default for RuntimeOptions {
    fn default() -> Self {
        RuntimeOptions {
            precision: Precision::F32,
            device: default_device(),
            max_length: None,
            truncation_side: None,
            truncate: true,
            max_batch_size: default_batch_size(),
            max_batch_tokens: default_batch_tokens(),
        }
    }
}

impl RuntimeOptions {
    fn load(&self) -> LoadOptions {
        LoadOptions {
            device: self.device.clone(),
            precision: self.precision,
        }
    }

    fn run(&self, deadline: Option<Instant>, template_kwargs: &Map<String, Value>) -> RunOptions {
        RunOptions {
            max_length: self.max_length,
            truncation_side: self.truncation_side,
            no_truncation: !self.truncate,
            batching: Batching {
                max_batch_size: self.max_batch_size.max(1),
                max_batch_tokens: self.max_batch_tokens.max(1),
            },
            deadline,
            template_kwargs: template_kwargs.clone(),
        }
    }

    fn check(&self) -> Result<(), String> {
        if self.max_length == Some(0) {
            return Err("max_length must be at least 1".into());
        }
        Ok(())
    }
}

/// An affine normalisation `(x - mean) / std`.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Affine {
    /// Subtracted first.
    #[serde(default)]
    pub mean: f64,
    /// Then divided by (must not be 0).
    #[serde(default = "one")]
    pub std: f64,
}

fn one() -> f64 {
    1.0
}

/// A function applied to the (normalised) score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// The score itself.
    #[default]
    None,
    /// `1 / (1 + e^-x)`: a probability from a Bradley-Terry logit.
    Sigmoid,
}

/// How an item becomes the model's input.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InputFormat {
    /// A chat through the chat template when the model is a decoder with one; else text (or a
    /// (prompt, response) pair for a cross-encoder).
    #[default]
    Auto,
    /// Prompt and response as chat messages, rendered with the chat template.
    Chat,
    /// The prompt text followed by the response text, with the tokenizer's special tokens.
    Text,
    /// (prompt, response) as a text pair (cross-encoders).
    Pair,
}

/// A label of a classifier: its index or its name in `id2label`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum LabelChoice {
    /// The label's index.
    Index(usize),
    /// The label's name.
    Name(String),
}

model_options! {
/// Options of `reward_model`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RewardModelOptions {
    /// The model directory (local backend): a `*ForSequenceClassification` reward model
    /// (Qwen2, Qwen3, Llama) or a BERT-family cross-encoder.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// The label whose logit is the reward (index or `id2label` name; default 0).
    #[serde(default)]
    pub label: Option<LabelChoice>,
    /// How items become inputs.
    #[serde(default)]
    pub input: InputFormat,
    /// Extra chat-template variables (e.g. `{"enable_thinking": false}`).
    #[serde(default)]
    pub template_kwargs: Map<String, Value>,
    /// Normalisation of the logit, before `transform`.
    #[serde(default)]
    pub normalize: Option<Affine>,
    /// Function applied last.
    #[serde(default)]
    pub transform: Transform,
}
}

/// `reward_model`: the score of a reward model on the prompt and response.
pub struct RewardModelKind;

impl GraderKind for RewardModelKind {
    type Options = RewardModelOptions;
    const NAME: &'static str = "reward_model";
    const FAMILY: &'static str = "model";
    const SUMMARY: &'static str = "Scores the prompt and response with a reward model (sequence classifier or cross-encoder) run locally from a model directory.";
    const REFERENCE: &'static str = "not used";
    const EXAMPLE: &'static str = r#"
[graders.reward_model]
kind = "reward_model"
path = "/models/Skywork-Reward-V2-Qwen3-0.6B"   # a Hugging Face model directory
max_length = 4096
transform = "sigmoid"
"#;

    fn build(
        options: RewardModelOptions,
        _: &mut BuildContext<'_>,
    ) -> Result<SharedGrader, String> {
        let runtime = options.runtime();
        runtime.check()?;
        if let Some(a) = options.normalize {
            if a.std == 0.0 || !a.std.is_finite() || !a.mean.is_finite() {
                return Err("normalize.std must be a non-zero number".into());
            }
        }
        let Backend::Local(path) = Backend::from_options(&options.path)?;
        let model = shared(&path, &runtime.load(), "", SequenceClassifier::load)
            .map_err(|e| format!("loading {}: {e}", path.display()))?;
        let labels = model.labels();
        let label = match &options.label {
            None => 0,
            Some(LabelChoice::Index(i)) if *i < labels.len() => *i,
            Some(LabelChoice::Index(i)) => {
                return Err(format!(
                    "label {i} is out of range: the model has {} labels {labels:?}",
                    labels.len()
                ))
            }
            Some(LabelChoice::Name(name)) => {
                labels.iter().position(|l| l == name).ok_or_else(|| {
                    format!("label {name:?} is not one of the model's labels {labels:?}")
                })?
            }
        };
        let format = match options.input {
            InputFormat::Auto if model.is_decoder() && model.has_chat_template() => {
                InputFormat::Chat
            }
            InputFormat::Auto if model.is_decoder() => InputFormat::Text,
            InputFormat::Auto => InputFormat::Pair,
            InputFormat::Chat if !model.has_chat_template() => {
                return Err("input = \"chat\" but the model has no chat template".into())
            }
            other => other,
        };
        Ok(Arc::new(RewardModelGrader {
            model,
            labels,
            label,
            format,
            options,
            runtime,
        }))
    }
}

struct RewardModelGrader {
    model: Arc<SequenceClassifier>,
    labels: Vec<String>,
    label: usize,
    format: InputFormat,
    options: RewardModelOptions,
    runtime: RuntimeOptions,
}

/// The chat of an item: the prompt (messages, or one user message) then the response
/// (messages, or one assistant message).
fn chat_of(item: &Item) -> Vec<Value> {
    let mut messages = Vec::new();
    match &item.prompt {
        Some(Content::Messages(m)) => messages.extend(m.iter().map(message_json)),
        Some(Content::Text(t)) => messages.push(json!({"role": "user", "content": t})),
        None => {}
    }
    match &item.response {
        Content::Messages(m) => messages.extend(m.iter().map(message_json)),
        Content::Text(t) => messages.push(json!({"role": "assistant", "content": t})),
    }
    messages
}

fn message_json(m: &assay_core::Message) -> Value {
    serde_json::to_value(m).unwrap_or_else(|_| json!({"role": m.role, "content": m.content}))
}

fn truncation_note(t: &Option<Truncated>) -> Value {
    match t {
        None => Value::Null,
        Some(t) => {
            json!({"from_tokens": t.original_tokens, "to_tokens": t.kept_tokens, "side": t.side.as_str()})
        }
    }
}

fn failure(e: &InferenceError) -> Outcome {
    Outcome::error(e.kind(), e.to_string())
}

/// When a batch of `n` items run together must end: the earliest of their budgets' deadlines
/// (each the earlier of the item's timeout and the request's deadline; their clocks start now).
fn deadline_of(ctx: &BatchContext, n: usize) -> Option<Instant> {
    (0..n).filter_map(|k| ctx.item_budget(k).deadline()).min()
}

/// Runs `batch` under a fresh budget for `item` (the single-item path of every grader).
fn grade_one<G: Grader + ?Sized>(grader: &G, item: &Item, budget: &Budget) -> Outcome {
    let ctx = BatchContext::new(budget.remaining());
    grader
        .grade_batch(&[item], &ctx)
        .pop()
        .unwrap_or_else(|| Outcome::error(ErrorKind::Internal, "no outcome"))
}

impl RewardModelGrader {
    fn input(&self, item: &Item) -> Input {
        let prompt = item.prompt_text().unwrap_or("");
        match self.format {
            InputFormat::Chat | InputFormat::Auto => Input::Chat(chat_of(item)),
            InputFormat::Text => Input::Text(format!("{prompt}{}", item.response_text())),
            InputFormat::Pair => Input::Pair(prompt.to_string(), item.response_text().to_string()),
        }
    }

    fn outcome(&self, scored: Scored) -> Outcome {
        let raw = f64::from(scored.values[self.label]);
        let mut reward = raw;
        if let Some(a) = self.options.normalize {
            reward = (reward - a.mean) / a.std;
        }
        if self.options.transform == Transform::Sigmoid {
            reward = 1.0 / (1.0 + (-reward).exp());
        }
        if !reward.is_finite() {
            return Outcome::error(
                ErrorKind::Internal,
                format!("the model gave a non-finite score ({raw})"),
            );
        }
        let mut outcome = Outcome::ok(reward);
        if self.labels.len() == 1 {
            outcome = outcome.component("score", raw);
        } else {
            for (name, v) in self.labels.iter().zip(&scored.values) {
                outcome = outcome.component(name.clone(), f64::from(*v));
            }
        }
        outcome
            .explain("tokens", scored.tokens)
            .explain("truncated", truncation_note(&scored.truncated))
    }
}

impl Grader for RewardModelGrader {
    fn components(&self) -> Vec<String> {
        if self.labels.len() == 1 {
            vec!["score".into()]
        } else {
            self.labels.clone()
        }
    }

    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        grade_one(self, item, budget)
    }

    fn grade_batch(&self, items: &[&Item], ctx: &BatchContext) -> Vec<Outcome> {
        if let Err(expired) = ctx.check_request() {
            return vec![Outcome::expired(expired); items.len()];
        }
        let start = Instant::now();
        let inputs: Vec<Input> = items.iter().map(|i| self.input(i)).collect();
        let run = self
            .runtime
            .run(deadline_of(ctx, items.len()), &self.options.template_kwargs);
        let results = self.model.score_each(&inputs, &run);
        let share = start.elapsed() / items.len().max(1) as u32;
        results
            .into_iter()
            .map(|r| {
                let mut o = match r {
                    Ok(scored) => self.outcome(scored),
                    Err(e) => failure(&e),
                };
                o.elapsed = Some(share);
                o
            })
            .collect()
    }
}

/// How step rewards become one reward.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// The lowest step reward (a chain is as good as its worst step).
    #[default]
    Min,
    /// The mean.
    Mean,
    /// The last step's.
    Last,
    /// The product.
    Product,
}

fn default_step_token() -> String {
    DEFAULT_STEP_TOKEN.into()
}
fn default_separator() -> String {
    "\n\n".into()
}

model_options! {
/// Options of `process_reward`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProcessRewardOptions {
    /// The model directory (local backend): a process reward model such as Qwen2.5-Math-PRM.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// The token the model reads each step's score at.
    #[serde(default = "default_step_token")]
    pub step_token: String,
    /// What separates steps in the response.
    #[serde(default = "default_separator")]
    pub step_separator: String,
    /// A system message put before the prompt (Qwen2.5-Math-PRM was trained with "Please
    /// reason step by step, and put your final answer within \\boxed{}.").
    #[serde(default)]
    pub system: Option<String>,
    /// How step rewards become the reward.
    #[serde(default)]
    pub aggregate: Aggregate,
    /// Extra chat-template variables.
    #[serde(default)]
    pub template_kwargs: Map<String, Value>,
}
}

/// `process_reward`: step-level rewards of a process reward model, aggregated.
pub struct ProcessRewardKind;

impl GraderKind for ProcessRewardKind {
    type Options = ProcessRewardOptions;
    const NAME: &'static str = "process_reward";
    const FAMILY: &'static str = "model";
    const SUMMARY: &'static str = "Scores each step of the response with a process reward model run locally, and aggregates the step rewards (min, mean, last or product).";
    const REFERENCE: &'static str = "not used";
    const EXAMPLE: &'static str = r#"
[graders.process_reward]
kind = "process_reward"
path = "/models/Qwen2.5-Math-PRM-7B"
aggregate = "min"                               # the weakest step decides
"#;

    fn build(
        options: ProcessRewardOptions,
        _: &mut BuildContext<'_>,
    ) -> Result<SharedGrader, String> {
        let runtime = options.runtime();
        runtime.check()?;
        if options.step_separator.is_empty() {
            return Err("step_separator must not be empty".into());
        }
        let mut runtime = runtime;
        if runtime.truncation_side.is_none() {
            runtime.truncation_side = Some(Side::Right);
        }
        let Backend::Local(path) = Backend::from_options(&options.path)?;
        let step = options.step_token.clone();
        let model = shared(&path, &runtime.load(), &step, |d, o| {
            ProcessRewardModel::load(d, &step, o)
        })
        .map_err(|e| format!("loading {}: {e}", path.display()))?;
        if !model.has_chat_template() {
            return Err("the process reward model has no chat template".into());
        }
        Ok(Arc::new(ProcessRewardGrader {
            model,
            options,
            runtime,
        }))
    }
}

struct ProcessRewardGrader {
    model: Arc<ProcessRewardModel>,
    options: ProcessRewardOptions,
    runtime: RuntimeOptions,
}

impl ProcessRewardGrader {
    /// The steps of a response. The step marker is removed from the response first: a policy
    /// that writes it must not choose where the model is read.
    fn steps(&self, response: &str) -> Vec<String> {
        response
            .replace(&self.options.step_token, "")
            .split(&self.options.step_separator)
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn input(&self, item: &Item, steps: &[String]) -> Input {
        let token = &self.options.step_token;
        let mut messages = Vec::new();
        if let Some(system) = &self.options.system {
            messages.push(json!({"role": "system", "content": system}));
        }
        messages.push(json!({"role": "user", "content": item.prompt_text().unwrap_or("")}));
        messages
            .push(json!({"role": "assistant", "content": format!("{}{token}", steps.join(token))}));
        Input::Chat(messages)
    }
}

impl Grader for ProcessRewardGrader {
    fn components(&self) -> Vec<String> {
        vec!["min".into(), "mean".into(), "last".into()]
    }

    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        grade_one(self, item, budget)
    }

    fn grade_batch(&self, items: &[&Item], ctx: &BatchContext) -> Vec<Outcome> {
        if let Err(expired) = ctx.check_request() {
            return vec![Outcome::expired(expired); items.len()];
        }
        let start = Instant::now();
        let steps: Vec<Vec<String>> = items
            .iter()
            .map(|i| self.steps(i.response_text()))
            .collect();
        let with_steps: Vec<usize> = (0..items.len()).filter(|&i| !steps[i].is_empty()).collect();
        let inputs: Vec<Input> = with_steps
            .iter()
            .map(|&i| self.input(items[i], &steps[i]))
            .collect();
        let run = self
            .runtime
            .run(deadline_of(ctx, items.len()), &self.options.template_kwargs);
        let mut results = self.model.score_each(&inputs, &run).into_iter();
        let share = start.elapsed() / items.len().max(1) as u32;
        (0..items.len())
            .map(|i| {
                let mut o = if steps[i].is_empty() {
                    Outcome::invalid(0.0, "the response has no steps")
                } else {
                    match results.next() {
                        Some(Ok(scores)) => {
                            let rewards: Vec<f64> =
                                scores.step_rewards().into_iter().map(f64::from).collect();
                            let min = rewards.iter().copied().fold(f64::INFINITY, f64::min);
                            let mean = rewards.iter().sum::<f64>() / rewards.len() as f64;
                            let last = *rewards.last().unwrap_or(&0.0);
                            let reward = match self.options.aggregate {
                                Aggregate::Min => min,
                                Aggregate::Mean => mean,
                                Aggregate::Last => last,
                                Aggregate::Product => rewards.iter().product(),
                            };
                            Outcome::ok(reward)
                                .component("min", min)
                                .component("mean", mean)
                                .component("last", last)
                                .explain("step_rewards", json!(rewards))
                                .explain("steps", steps[i].len())
                                .explain("steps_scored", rewards.len())
                                .explain("tokens", scores.tokens)
                                .explain("truncated", truncation_note(&scores.truncated))
                        }
                        Some(Err(e)) => failure(&e),
                        None => Outcome::error(ErrorKind::Internal, "no result for the item"),
                    }
                };
                o.elapsed = Some(share);
                o
            })
            .collect()
    }
}

model_options! {
/// Options of `embedding_similarity`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct EmbeddingSimilarityOptions {
    /// The model directory (local backend): a sentence-transformers or BERT-family encoder.
    #[serde(default)]
    pub path: Option<PathBuf>,
    /// Pooling (default: the model's sentence-transformers configuration, else mean).
    #[serde(default)]
    pub pooling: Option<Pooling>,
}
}

/// `embedding_similarity`: cosine similarity of response and reference embeddings.
pub struct EmbeddingSimilarityKind;

impl GraderKind for EmbeddingSimilarityKind {
    type Options = EmbeddingSimilarityOptions;
    const NAME: &'static str = "embedding_similarity";
    const FAMILY: &'static str = "model";
    const SUMMARY: &'static str = "Rewards the cosine similarity between the embeddings of the response and the reference (the best of several), from a local embedding model.";
    const REFERENCE: &'static str = "a string, or a list of strings (the best match counts)";
    const EXAMPLE: &'static str = r#"
[graders.embedding_similarity]
kind = "embedding_similarity"
path = "/models/all-MiniLM-L6-v2"
"#;

    fn build(
        options: EmbeddingSimilarityOptions,
        _: &mut BuildContext<'_>,
    ) -> Result<SharedGrader, String> {
        let runtime = options.runtime();
        runtime.check()?;
        let Backend::Local(path) = Backend::from_options(&options.path)?;
        let pooling = options.pooling;
        let variant = pooling.map_or(String::new(), |p| format!("{p:?}"));
        let model = shared(&path, &runtime.load(), &variant, |d, o| {
            let model = Embedder::load(d, o)?;
            Ok(match pooling {
                Some(p) => model.with_pooling(p),
                None => model,
            })
        })
        .map_err(|e| format!("loading {}: {e}", path.display()))?;
        Ok(Arc::new(EmbeddingGrader { model, runtime }))
    }
}

struct EmbeddingGrader {
    model: Arc<Embedder>,
    runtime: RuntimeOptions,
}

/// The reference strings of an item: a string, or a non-empty list of strings.
fn references(item: &Item) -> Option<Vec<String>> {
    match &item.reference {
        Value::String(s) => Some(vec![s.clone()]),
        Value::Array(items) if !items.is_empty() => items
            .iter()
            .map(|v| v.as_str().map(str::to_string))
            .collect(),
        _ => None,
    }
}

fn bad_reference() -> Outcome {
    Outcome::error(
        ErrorKind::BadReference,
        "embedding_similarity needs a reference string or a non-empty list of strings",
    )
}

fn cosine(a: &[f32], b: &[f32]) -> f64 {
    let dot: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| f64::from(*x) * f64::from(*y))
        .sum();
    let na: f64 = a.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    let nb: f64 = b.iter().map(|x| f64::from(*x).powi(2)).sum::<f64>().sqrt();
    if na == 0.0 || nb == 0.0 {
        0.0
    } else {
        dot / (na * nb)
    }
}

impl Grader for EmbeddingGrader {
    fn components(&self) -> Vec<String> {
        vec!["cosine".into()]
    }

    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        grade_one(self, item, budget)
    }

    fn grade_batch(&self, items: &[&Item], ctx: &BatchContext) -> Vec<Outcome> {
        if let Err(expired) = ctx.check_request() {
            return vec![Outcome::expired(expired); items.len()];
        }
        let start = Instant::now();
        // One call embeds every response and reference of the batch.
        let mut texts: Vec<Input> = Vec::new();
        let mut spans: Vec<Option<(usize, usize)>> = Vec::new();
        for item in items {
            match references(item) {
                None => spans.push(None),
                Some(refs) => {
                    let first = texts.len();
                    texts.push(Input::Text(item.response_text().to_string()));
                    texts.extend(refs.into_iter().map(Input::Text));
                    spans.push(Some((first, texts.len() - first)));
                }
            }
        }
        let run = self.runtime.run(deadline_of(ctx, items.len()), &Map::new());
        let embedded = self.model.embed_each(&texts, &run);
        let share = start.elapsed() / items.len().max(1) as u32;
        spans
            .into_iter()
            .map(|span| {
                let mut o = match span {
                    None => bad_reference(),
                    Some((first, n)) => match embedded[first].as_ref() {
                        Err(e) => failure(e),
                        Ok(response) => {
                            let mut best: Option<(f64, usize)> = None;
                            let mut error = None;
                            for j in 1..n {
                                match embedded[first + j].as_ref() {
                                    Ok(r) => {
                                        let c = cosine(&response.values, &r.values);
                                        if best.is_none_or(|(b, _)| c > b) {
                                            best = Some((c, j - 1));
                                        }
                                    }
                                    Err(e) => error = Some(failure(e)),
                                }
                            }
                            match (error, best) {
                                (Some(e), _) => e,
                                (None, Some((c, index))) => Outcome::ok(c)
                                    .component("cosine", c)
                                    .explain("best_reference", index)
                                    .explain("truncated", truncation_note(&response.truncated)),
                                (None, None) => {
                                    Outcome::error(ErrorKind::BadReference, "no reference")
                                }
                            }
                        }
                    },
                };
                o.elapsed = Some(share);
                o
            })
            .collect()
    }
}

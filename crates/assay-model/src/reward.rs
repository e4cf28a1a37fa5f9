//! `reward_model` on a server: a scalar from a classification, pooling, score, rerank, TEI or
//! OpenRLHF endpoint, normalised and transformed.

use std::sync::{Arc, Mutex};

use assay_core::{
    BoxFuture, Budget, BuildContext, ErrorKind, GraderKind, Item, Outcome, SharedGrader,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::api::{parse_reward, reward_body, Label, RewardApi, RewardInput};
use crate::backend::Backend;
use crate::common::{
    chat_messages, check_template, environment, remote_options, render, template_vars, ItemGrader,
    Remote,
};
use crate::guard::Guard;

/// How the item is sent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum InputMode {
    /// The prompt and response as chat messages (the server applies its chat template);
    /// text for APIs that take text.
    #[default]
    Messages,
    /// Raw text rendered with `text_template`.
    Text,
}

/// Normalisation of the raw score (before `transform`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Normalize {
    /// `"running"`: subtract the running mean and divide by the running standard deviation of
    /// the scores this grader has seen in this process (per model).
    Running(RunningWord),
    /// A fixed affine map: `(score - mean) / std`.
    Affine {
        /// Subtracted.
        mean: f64,
        /// Divided by.
        std: f64,
    },
}

/// The word `running`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RunningWord {
    /// Running mean and standard deviation.
    Running,
}

/// A function applied to the score last.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Transform {
    /// The score itself.
    #[default]
    None,
    /// `1 / (1 + e^-x)`.
    Sigmoid,
    /// `log(sigmoid(x))`.
    LogSigmoid,
}

impl Transform {
    /// Applies the transform.
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Transform::None => x,
            Transform::Sigmoid => 1.0 / (1.0 + (-x).exp()),
            // Stable: log σ(x) = -softplus(-x).
            Transform::LogSigmoid => -((-x).max(0.0) + (-(x.abs())).exp().ln_1p()),
        }
    }
}

fn default_text_template() -> String {
    "{{ prompt }}\n{{ response }}".into()
}

remote_options! {
/// Options of `reward_model` served remotely (set `url`; `path` runs the model locally).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteRewardOptions {
    /// The API the server speaks.
    #[serde(default)]
    pub api: RewardApi,
    /// The served model's name (sent as `model` where the API takes one).
    #[serde(default)]
    pub model: Option<String>,
    /// How the item is sent: chat `messages` (for `classify` and `pooling`) or `text`.
    #[serde(default)]
    pub input: InputMode,
    /// The text sent in `text` mode (Jinja; variables `prompt`, `response`, `reference`,
    /// `item`).
    #[serde(default = "default_text_template")]
    pub text_template: String,
    /// Which output is the reward: a label index, or a label name (TEI).
    #[serde(default)]
    pub label: Label,
    /// Normalisation: `{mean, std}` or `"running"`.
    #[serde(default)]
    pub normalize: Option<Normalize>,
    /// Function applied last: `none`, `sigmoid`, `log_sigmoid`.
    #[serde(default)]
    pub transform: Transform,
}
}

/// Running mean and variance (Welford).
#[derive(Debug, Default)]
struct Running {
    n: u64,
    mean: f64,
    m2: f64,
}

impl Running {
    fn push(&mut self, x: f64) -> (f64, f64) {
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
        let var = if self.n > 1 {
            self.m2 / (self.n - 1) as f64
        } else {
            0.0
        };
        (self.mean, var.sqrt())
    }
}

struct RewardGrader {
    options: RemoteRewardOptions,
    backend: Arc<Backend>,
    guard: Guard,
    running: Mutex<Running>,
}

impl ItemGrader for RewardGrader {
    fn components(&self) -> Vec<String> {
        vec!["raw".into()]
    }

    fn guard(&self) -> &Guard {
        &self.guard
    }

    fn backend(&self) -> &Backend {
        &self.backend
    }

    fn grade_item(self: Arc<Self>, item: Item, budget: Budget) -> BoxFuture<Outcome> {
        Box::pin(async move {
            let o = &self.options;
            let input = match self.input(&item) {
                Ok(input) => input,
                Err(outcome) => return outcome,
            };
            let body = match reward_body(o.api, o.model.as_deref(), &input) {
                Ok(b) => b,
                Err(e) => return Outcome::error(ErrorKind::Internal, e),
            };
            let reply = match self.backend.call(o.api.path(), &body, &budget).await {
                Ok(r) => r,
                Err(e) => return e.outcome(),
            };
            let raw = match parse_reward(o.api, &reply.body, &o.label) {
                Ok(v) => v,
                Err(e) => {
                    let mut out =
                        Outcome::error(ErrorKind::Upstream, format!("{}: {e}", self.backend.url()));
                    out.usage = reply.usage;
                    return out;
                }
            };
            let (normalized, stats) = match &o.normalize {
                None => (raw, Value::Null),
                Some(Normalize::Affine { mean, std }) => {
                    ((raw - mean) / std, json!({"mean": mean, "std": std}))
                }
                Some(Normalize::Running(_)) => {
                    let (mean, std) = self
                        .running
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(raw);
                    let z = if std > 0.0 { (raw - mean) / std } else { 0.0 };
                    (z, json!({"mean": mean, "std": std, "running": true}))
                }
            };
            let reward = o.transform.apply(normalized);
            let mut out = Outcome::ok(reward)
                .component("raw", raw)
                .explain("raw", raw);
            if !stats.is_null() {
                out = out.explain("normalize", stats);
            }
            out.usage = reply.usage;
            out
        })
    }
}

impl RewardGrader {
    fn input(&self, item: &Item) -> Result<RewardInput, Outcome> {
        let o = &self.options;
        if o.api.takes_pair() && !(o.api == RewardApi::TeiPredict && o.input == InputMode::Text) {
            let prompt = item.prompt_text().unwrap_or("").to_string();
            return Ok(RewardInput::Pair(prompt, item.response_text().to_string()));
        }
        if o.api.takes_messages() && o.input == InputMode::Messages {
            return Ok(RewardInput::Messages(chat_messages(
                item.prompt.as_ref(),
                Some(&item.response),
            )));
        }
        let env = environment();
        render(&env, &o.text_template, &template_vars(item)).map(RewardInput::Text)
    }
}

/// `reward_model` on a server (the remote half of the `reward_model` kind).
pub struct RemoteRewardKind;

impl GraderKind for RemoteRewardKind {
    type Options = RemoteRewardOptions;
    const NAME: &'static str = "reward_model";
    const FAMILY: &'static str = "model";
    const SUMMARY: &'static str = "Scores the prompt and response with a reward model served over HTTP (vLLM classify/pooling/score/rerank, TEI, OpenRLHF).";
    const REFERENCE: &'static str = "not used";
    const EXAMPLE: &'static str = r#"
[graders.reward_model]
kind = "reward_model"
url = "http://localhost:8000"        # vLLM serving a reward model, or `assay serve --model`
api = "classify"
model = "Skywork-Reward-V2-Qwen3-0.6B"
transform = "sigmoid"
"#;

    fn build(
        options: RemoteRewardOptions,
        _: &mut BuildContext<'_>,
    ) -> Result<SharedGrader, String> {
        build_reward(options)
    }
}

/// Builds a remote `reward_model` grader.
pub fn build_reward(options: RemoteRewardOptions) -> Result<SharedGrader, String> {
    if let Some(Normalize::Affine { mean, std }) = &options.normalize {
        if *std == 0.0 || !std.is_finite() || !mean.is_finite() {
            return Err("normalize.std must be a non-zero number".into());
        }
    }
    check_template(&environment(), "text_template", &options.text_template)?;
    let backend = Backend::shared(&options.connection())?;
    let guard = Guard::new(options.guard.clone())?;
    Ok(Arc::new(Remote(Arc::new(RewardGrader {
        options,
        backend,
        guard,
        running: Mutex::default(),
    }))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transforms() {
        assert!((Transform::Sigmoid.apply(0.0) - 0.5).abs() < 1e-12);
        assert!((Transform::LogSigmoid.apply(0.0) - 0.5f64.ln()).abs() < 1e-12);
        assert!(Transform::LogSigmoid.apply(-1000.0).is_finite());
        assert!((Transform::LogSigmoid.apply(1000.0)).abs() < 1e-12);
    }

    #[test]
    fn running_stats() {
        let mut r = Running::default();
        r.push(1.0);
        r.push(2.0);
        let (mean, std) = r.push(3.0);
        assert!((mean - 2.0).abs() < 1e-12);
        assert!((std - 1.0).abs() < 1e-12);
    }

    #[test]
    fn normalize_parses_both_shapes() {
        let n: Normalize = serde_json::from_value(json!("running")).unwrap();
        assert!(matches!(n, Normalize::Running(_)));
        let n: Normalize = serde_json::from_value(json!({"mean": 1.0, "std": 2.0})).unwrap();
        assert_eq!(
            n,
            Normalize::Affine {
                mean: 1.0,
                std: 2.0
            }
        );
    }
}

//! `process_reward` on a server: the response split into steps, each step scored by a
//! process reward model (vLLM's step-reward `/pooling`) or by an LLM judge, the step scores
//! aggregated.

use std::sync::Arc;

use assay_core::outcome::Usage;
use assay_core::{
    BoxFuture, Budget, BuildContext, ErrorKind, GraderKind, Item, Outcome, SharedGrader,
};
use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::api::{Endpoint, Sampling};
use crate::backend::{truncate, Backend};
use crate::common::{
    chat_messages, environment, remote_options, template_vars, ItemGrader, Remote,
};
use crate::guard::Guard;
use crate::judge::{JudgeCore, MessageTemplate, Verdict, VerdictOptions};

/// How the response is split into steps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Split {
    /// At blank lines.
    #[default]
    BlankLines,
    /// At lines starting `Step N:` (text before the first one is a step of its own when not
    /// blank).
    StepN,
    /// At `step_separator`.
    Separator,
}

/// Who scores the steps.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Scorer {
    /// A process reward model behind vLLM's (or `assay serve --model`'s) `/pooling`: the
    /// steps are sent as the assistant turn, each followed by `step_token`, and the reply's
    /// per-step label probabilities (`[[p0, p1], …]`) give each step's score (`label`).
    #[default]
    Pooling,
    /// An LLM judge on an OpenAI-compatible server, asked once per step (yes/no probability
    /// by default).
    Judge,
}

/// How step scores become the reward.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Aggregate {
    /// The weakest step.
    #[default]
    Min,
    /// The last step.
    Last,
    /// The product of the step scores.
    Product,
    /// The mean step score.
    Mean,
    /// The share of steps before the first one scored below `threshold` (1 when none is).
    FirstError,
}

fn default_step_token() -> String {
    "<extra_0>".into()
}
fn default_label() -> usize {
    1
}
fn default_threshold() -> f64 {
    0.5
}
fn default_max_steps() -> usize {
    64
}

/// Default prompt of a step judge.
pub const STEP_TEMPLATE: &str = "Problem:\n{{ prompt }}\n\n{% if previous %}Earlier steps:\n{{ previous }}\n\n{% endif %}Step {{ step_index + 1 }}:\n{{ step }}\n\nIs this step correct? Answer Yes or No.";

remote_options! {
/// Options of `process_reward` served remotely (set `url`; `path` runs the model locally).
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RemoteProcessOptions {
    /// `pooling` (a process reward model) or `judge` (an LLM asked per step).
    #[serde(default)]
    pub scorer: Scorer,
    /// The served model's name.
    #[serde(default)]
    pub model: Option<String>,
    /// How steps are split: `blank_lines`, `step_n` or `separator`.
    #[serde(default)]
    pub split: Split,
    /// The separator of `split = "separator"`.
    #[serde(default)]
    pub step_separator: Option<String>,
    /// The token a process reward model reads each step's score at (`pooling`).
    #[serde(default = "default_step_token")]
    pub step_token: String,
    /// The label whose probability is the step score (`pooling`; 1 = "good" for
    /// Qwen2.5-Math-PRM).
    #[serde(default = "default_label")]
    pub label: usize,
    /// A system message put before the prompt (`pooling`).
    #[serde(default)]
    pub system: Option<String>,
    /// `min`, `last`, `product`, `mean` or `first_error`.
    #[serde(default)]
    pub aggregate: Aggregate,
    /// A step scored below this is an error (`first_error`).
    #[serde(default = "default_threshold")]
    pub threshold: f64,
    /// Most steps scored; a response with more is `invalid` (reward 0).
    #[serde(default = "default_max_steps")]
    pub max_steps: usize,
    /// The step judge's user message (`judge`; Jinja with `step`, `step_index`, `steps`,
    /// `previous`, `prompt`, `reference`, `item`).
    #[serde(default)]
    pub template: Option<String>,
    /// `chat` or `completions` (`judge`).
    #[serde(default)]
    pub endpoint: Endpoint,
    /// Sampling parameters (`judge`).
    #[serde(default, alias = "sampling_params")]
    pub sampling: Sampling,
    /// How a step judge's reply becomes a verdict (`judge`).
    #[serde(flatten)]
    pub verdict_options: VerdictOptions,
}
}

/// Splits `text` into non-blank steps.
pub fn split_steps(text: &str, split: Split, separator: Option<&str>) -> Vec<String> {
    static STEP: std::sync::OnceLock<Regex> = std::sync::OnceLock::new();
    let parts: Vec<String> = match split {
        Split::BlankLines => {
            let blank = Regex::new(r"\n[ \t]*\n").expect("valid regex");
            blank.split(text).map(str::to_string).collect()
        }
        Split::Separator => text
            .split(separator.unwrap_or("\n\n"))
            .map(str::to_string)
            .collect(),
        Split::StepN => {
            let re = STEP.get_or_init(|| {
                Regex::new(r"(?mi)^[ \t]*(?:\*\*)?step[ \t]*\d+[ \t]*(?:\*\*)?[:.)]")
                    .expect("valid regex")
            });
            let starts: Vec<usize> = re.find_iter(text).map(|m| m.start()).collect();
            let mut parts = Vec::new();
            let mut prev = 0;
            for s in starts.into_iter().chain([text.len()]) {
                if s > prev {
                    parts.push(text[prev..s].to_string());
                }
                prev = s;
            }
            parts
        }
    };
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Aggregates step scores (`None` for no steps).
pub fn aggregate(scores: &[f64], how: Aggregate, threshold: f64) -> Option<(f64, Option<usize>)> {
    if scores.is_empty() {
        return None;
    }
    let first_error = scores.iter().position(|s| *s < threshold);
    let value = match how {
        Aggregate::Min => scores.iter().copied().fold(f64::INFINITY, f64::min),
        Aggregate::Last => *scores.last()?,
        Aggregate::Product => scores.iter().product(),
        Aggregate::Mean => scores.iter().sum::<f64>() / scores.len() as f64,
        Aggregate::FirstError => first_error.map_or(1.0, |k| k as f64 / scores.len() as f64),
    };
    Some((value, first_error))
}

struct ProcessGrader {
    options: RemoteProcessOptions,
    backend: Arc<Backend>,
    judge: Option<JudgeCore>,
    guard: Guard,
}

impl ItemGrader for ProcessGrader {
    fn components(&self) -> Vec<String> {
        Vec::new()
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
            let steps = split_steps(item.response_text(), o.split, o.step_separator.as_deref());
            if steps.is_empty() {
                return Outcome::invalid(0.0, "the response has no steps");
            }
            if steps.len() > o.max_steps {
                return Outcome::invalid(
                    0.0,
                    format!(
                        "the response has {} steps, more than max_steps = {}",
                        steps.len(),
                        o.max_steps
                    ),
                );
            }
            let scored = match &self.judge {
                None => self.pooling(&item, &steps, &budget).await,
                Some(judge) => judge_steps(judge, &item, &steps, &budget).await,
            };
            let (scores, usage) = match scored {
                Ok(x) => x,
                Err(e) => return e,
            };
            let Some((reward, first_error)) = aggregate(&scores, o.aggregate, o.threshold) else {
                return Outcome::invalid(0.0, "the response has no steps");
            };
            let mut out = Outcome::ok(reward)
                .explain("step_scores", json!(scores))
                .explain("steps", steps.len())
                .explain("first_error", json!(first_error));
            out.usage = usage;
            out
        })
    }
}

impl ProcessGrader {
    async fn pooling(
        &self,
        item: &Item,
        steps: &[String],
        budget: &Budget,
    ) -> Result<(Vec<f64>, Usage), Outcome> {
        let o = &self.options;
        let mut answer = String::new();
        for s in steps {
            answer.push_str(s);
            answer.push_str(&o.step_token);
        }
        let mut messages = Vec::new();
        if let Some(s) = &o.system {
            messages.push(json!({"role": "system", "content": s}));
        }
        messages.extend(chat_messages(item.prompt.as_ref(), None));
        messages.push(json!({"role": "assistant", "content": answer}));
        let mut body = json!({"messages": messages});
        if let Some(m) = &o.model {
            body["model"] = json!(m);
        }
        let reply = self
            .backend
            .call("/pooling", &body, budget)
            .await
            .map_err(|e| e.outcome())?;
        let fail = |why: String| {
            let mut out = Outcome::error(
                ErrorKind::Upstream,
                format!("{}: {why}", self.backend.url()),
            );
            out.usage = reply.usage;
            out
        };
        let Some(rows) = reply.body.pointer("/data/0/data").and_then(Value::as_array) else {
            return Err(fail(format!(
                "the reply has no data[0].data: {}",
                truncate(&reply.body.to_string())
            )));
        };
        let scores: Option<Vec<f64>> = rows
            .iter()
            .map(|row| match row {
                Value::Array(probs) => probs.get(o.label).and_then(Value::as_f64),
                Value::Number(n) => n.as_f64(),
                _ => None,
            })
            .collect();
        let Some(scores) = scores else {
            return Err(fail(format!(
                "a step row has no probability at label {}",
                o.label
            )));
        };
        if scores.len() != steps.len() {
            return Err(fail(format!(
                "the server scored {} steps, the response has {} (is `step_token` the model's step token?)",
                scores.len(),
                steps.len()
            )));
        }
        Ok((scores, reply.usage))
    }
}

async fn judge_steps(
    judge: &JudgeCore,
    item: &Item,
    steps: &[String],
    budget: &Budget,
) -> Result<(Vec<f64>, Usage), Outcome> {
    let vars = template_vars(item);
    let calls = steps.iter().enumerate().map(|(k, step)| {
        let mut v = vars.clone();
        v["step"] = json!(step);
        v["step_index"] = json!(k);
        v["steps"] = json!(steps);
        v["previous"] = json!(steps[..k].join("\n\n"));
        async move { judge.judge(&v, budget, false).await }
    });
    let results = futures_util::future::join_all(calls).await;
    let mut usage = Usage::default();
    let mut scores = Vec::new();
    let mut failure = None;
    for (k, r) in results.into_iter().enumerate() {
        match r {
            Ok(j) => {
                usage += j.usage;
                scores.push(j.value);
            }
            Err(e) => {
                usage += e.usage;
                failure.get_or_insert(e.explain("step", k));
            }
        }
    }
    match failure {
        Some(mut f) => {
            f.usage = usage;
            Err(f)
        }
        None => Ok((scores, usage)),
    }
}

/// `process_reward` on a server (the remote half of the `process_reward` kind).
pub struct RemoteProcessKind;

impl GraderKind for RemoteProcessKind {
    type Options = RemoteProcessOptions;
    const NAME: &'static str = "process_reward";
    const FAMILY: &'static str = "model";
    const SUMMARY: &'static str = "Splits the response into steps, scores each with a process reward model served over HTTP (vLLM step-reward pooling) or an LLM judge, and aggregates (min, last, product, mean, first error).";
    const REFERENCE: &'static str = "optional: shown to a step judge as `reference`";
    const EXAMPLE: &'static str = r#"
[graders.process_reward]
kind = "process_reward"
url = "http://localhost:8080"
scorer = "judge"                      # or "pooling" for a PRM behind vLLM /pooling
model = "judge"
split = "blank_lines"
aggregate = "min"
sampling = { temperature = 0.0, max_tokens = 1 }
"#;

    fn build(
        options: RemoteProcessOptions,
        _: &mut BuildContext<'_>,
    ) -> Result<SharedGrader, String> {
        build_process(options)
    }
}

/// Builds a remote `process_reward` grader.
pub fn build_process(options: RemoteProcessOptions) -> Result<SharedGrader, String> {
    if options.split == Split::Separator
        && options.step_separator.as_deref().is_none_or(str::is_empty)
    {
        return Err("split = \"separator\" needs a non-empty `step_separator`".into());
    }
    if options.max_steps == 0 {
        return Err("max_steps must be at least 1".into());
    }
    if !options.threshold.is_finite() {
        return Err("threshold must be a number".into());
    }
    let backend = Backend::shared(&options.connection())?;
    let judge = match options.scorer {
        Scorer::Pooling => None,
        Scorer::Judge => {
            let Some(model) = options.model.clone() else {
                return Err("a step judge needs `model`".into());
            };
            let core = JudgeCore {
                backend: Arc::clone(&backend),
                model,
                endpoint: options.endpoint,
                sampling: options.sampling.clone(),
                messages: vec![MessageTemplate {
                    role: "user".into(),
                    content: options
                        .template
                        .clone()
                        .unwrap_or_else(|| STEP_TEMPLATE.into()),
                    kind: None,
                }],
                verdict: Verdict::new(options.verdict_options.clone(), None)?,
                env: environment(),
                show_prompt: false,
            };
            core.check()?;
            Some(core)
        }
    };
    let guard = Guard::new(options.guard.clone())?;
    Ok(Arc::new(Remote(Arc::new(ProcessGrader {
        options,
        backend,
        judge,
        guard,
    }))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_split_three_ways() {
        assert_eq!(
            split_steps("a\n\nb\n  \nc", Split::BlankLines, None),
            vec!["a", "b", "c"]
        );
        assert_eq!(
            split_steps(
                "Let me see.\nStep 1: x = 2\nStep 2: y = 3\n**Step 3:** done",
                Split::StepN,
                None
            ),
            vec![
                "Let me see.",
                "Step 1: x = 2",
                "Step 2: y = 3",
                "**Step 3:** done"
            ]
        );
        assert_eq!(
            split_steps("a ки b ки ", Split::Separator, Some("ки")),
            vec!["a", "b"]
        );
        assert!(split_steps("  \n\n ", Split::BlankLines, None).is_empty());
    }

    #[test]
    fn aggregates() {
        let s = [0.9, 0.4, 0.8];
        assert_eq!(aggregate(&s, Aggregate::Min, 0.5).unwrap().0, 0.4);
        assert_eq!(aggregate(&s, Aggregate::Last, 0.5).unwrap().0, 0.8);
        assert!((aggregate(&s, Aggregate::Product, 0.5).unwrap().0 - 0.288).abs() < 1e-12);
        assert!((aggregate(&s, Aggregate::Mean, 0.5).unwrap().0 - 0.7).abs() < 1e-12);
        assert_eq!(
            aggregate(&s, Aggregate::FirstError, 0.5).unwrap(),
            (1.0 / 3.0, Some(1))
        );
        assert_eq!(
            aggregate(&[0.9], Aggregate::FirstError, 0.5).unwrap(),
            (1.0, None)
        );
        assert!(aggregate(&[], Aggregate::Min, 0.5).is_none());
    }
}

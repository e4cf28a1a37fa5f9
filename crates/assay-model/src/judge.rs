//! `judge`: an LLM judge on an OpenAI-compatible server. Prompt templates (Jinja) over the
//! prompt, response, reference and rubric; a verdict read as a yes/no probability from
//! `top_logprobs`, a score parsed from the reply, or a label; k samples combined by mean or
//! vote; pairwise judging against the reference in both orders.
//!
//! [`JudgeCore`] is the engine `rubric` and `process_reward` reuse: render messages, send,
//! read one verdict in [0, 1].

use std::sync::Arc;

use assay_core::outcome::Usage;
use assay_core::{
    BoxFuture, Budget, BuildContext, ErrorKind, GraderKind, Item, Outcome, SharedGrader,
};
use minijinja::Environment;
use regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::api::{generation_body, parse_generation, Choice, Endpoint, Generate, Sampling};
use crate::backend::{truncate, Backend};
use crate::common::{
    check_template, environment, remote_options, render, template_vars, ItemGrader, Remote,
};
use crate::guard::Guard;

/// How a reply becomes a verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VerdictMode {
    /// The probability of the yes label at the first generated position, from
    /// `top_logprobs`: the probabilities of every surface form of each label (" Yes", "yes",
    /// "YES" …) summed and renormalised over yes ∪ no.
    Probability,
    /// A number parsed from the reply in the required format (`score_format`), mapped from
    /// `range` to [0, 1]; a reply without one is status `invalid`.
    Score,
    /// One of `labels` found in the reply; 1 when it is one of `passing_labels`.
    Label,
}

/// Where the score is in the reply.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ScoreFormat {
    /// `<score>7</score>` (the tag is `score_tag`); the last one counts.
    #[default]
    Tag,
    /// A JSON object with the number under `score_key` (`{"score": 7}`; OpenAI's
    /// `{"result": …}` is read too).
    Json,
}

/// How the verdicts of several samples combine.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Combine {
    /// The mean verdict.
    #[default]
    Mean,
    /// The most frequent verdict (ties: the smaller).
    Vote,
}

/// One chat message of a prompt template (OpenAI's grader `input` shape).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MessageTemplate {
    /// `system`, `developer`, `user` or `assistant`.
    pub role: String,
    /// The message text (Jinja template).
    pub content: String,
    /// OpenAI's item type (`message`); accepted and ignored.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub kind: Option<String>,
}

fn default_top_logprobs() -> u32 {
    20
}
fn default_samples() -> u32 {
    1
}
fn default_yes() -> Vec<String> {
    vec!["yes".into()]
}
fn default_no() -> Vec<String> {
    vec!["no".into()]
}
fn default_score_tag() -> String {
    "score".into()
}
fn default_score_key() -> String {
    "score".into()
}

/// Default prompt of a yes/no judge.
pub const PROBABILITY_TEMPLATE: &str = "Question:\n{{ prompt }}\n\nResponse:\n{{ response }}\n{% if reference %}\nReference answer:\n{{ reference }}\n{% endif %}{% if rubric %}\nRubric:\n{{ rubric }}\n{% endif %}\nIs the response correct? Answer Yes or No.";
/// Default prompt of a scoring judge.
pub const SCORE_TEMPLATE: &str = "Question:\n{{ prompt }}\n\nResponse:\n{{ response }}\n{% if reference %}\nReference answer:\n{{ reference }}\n{% endif %}{% if rubric %}\nRubric:\n{{ rubric }}\n{% endif %}\nRate the response from {{ range[0] }} to {{ range[1] }}. Reply with the rating as <score>N</score>.";
/// Default prompt of a labelling judge.
pub const LABEL_TEMPLATE: &str = "Question:\n{{ prompt }}\n\nResponse:\n{{ response }}\n{% if reference %}\nReference answer:\n{{ reference }}\n{% endif %}\nClassify the response as one of: {{ labels | join(', ') }}. Answer with the label only.";
/// Default prompt of a pairwise judge (verdict `probability` with labels A and B).
pub const PAIRWISE_TEMPLATE: &str = "Question:\n{{ prompt }}\n\nResponse A:\n{{ response_a }}\n\nResponse B:\n{{ response_b }}\n\nWhich response is better? Answer A or B.";

/// The verdict options shared by `judge`, `rubric` and `process_reward`'s judge mode.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VerdictOptions {
    /// `probability`, `score` or `label` (default: `score` for OpenAI's `score_model`, `label`
    /// when `labels` are given, else `probability`).
    #[serde(default)]
    pub verdict: Option<VerdictMode>,
    /// Top log-probabilities asked per position (`probability` verdicts).
    #[serde(default = "default_top_logprobs")]
    pub top_logprobs: u32,
    /// Words that mean yes (compared without case, spaces or punctuation).
    #[serde(default = "default_yes")]
    pub yes: Vec<String>,
    /// Words that mean no.
    #[serde(default = "default_no")]
    pub no: Vec<String>,
    /// Where the score is: `tag` or `json`.
    #[serde(default)]
    pub score_format: ScoreFormat,
    /// The tag of `tag` scores.
    #[serde(default = "default_score_tag")]
    pub score_tag: String,
    /// The key of `json` scores.
    #[serde(default = "default_score_key")]
    pub score_key: String,
    /// The scale of scores, mapped to [0, 1] (default `[0, 10]`; `[0, 1]` for OpenAI's
    /// `score_model`); a score outside it is `invalid`.
    #[serde(default)]
    pub range: Option<[f64; 2]>,
    /// The labels of a `label` verdict (OpenAI's `label_model`).
    #[serde(default)]
    pub labels: Vec<String>,
    /// The labels that pass.
    #[serde(default)]
    pub passing_labels: Vec<String>,
    /// Samples per judgement (distinct seeds), combined by `combine`.
    #[serde(default = "default_samples")]
    pub samples: u32,
    /// `mean` or `vote`.
    #[serde(default)]
    pub combine: Combine,
}

impl Default for VerdictOptions {
    fn default() -> Self {
        serde_json::from_value(json!({})).expect("defaults deserialize")
    }
}

/// A built verdict reader.
#[derive(Debug, Clone)]
pub(crate) struct Verdict {
    mode: VerdictMode,
    options: VerdictOptions,
    range: [f64; 2],
    tag: Regex,
}

impl Verdict {
    pub(crate) fn new(
        options: VerdictOptions,
        openai_type: Option<&str>,
    ) -> Result<Verdict, String> {
        let mode = options.verdict.unwrap_or(match openai_type {
            Some("score_model") => VerdictMode::Score,
            Some("label_model") => VerdictMode::Label,
            _ if !options.labels.is_empty() => VerdictMode::Label,
            _ => VerdictMode::Probability,
        });
        let range = options
            .range
            .unwrap_or(if openai_type == Some("score_model") {
                [0.0, 1.0]
            } else {
                [0.0, 10.0]
            });
        if !(range[0].is_finite() && range[1].is_finite() && range[0] < range[1]) {
            return Err(format!(
                "range must be [low, high] with low < high, not {range:?}"
            ));
        }
        if mode == VerdictMode::Label {
            if options.labels.is_empty() {
                return Err("a `label` verdict needs `labels`".into());
            }
            if let Some(bad) = options
                .passing_labels
                .iter()
                .find(|p| !options.labels.contains(p))
            {
                return Err(format!("passing label {bad:?} is not one of `labels`"));
            }
            if options.passing_labels.is_empty() {
                return Err("set `passing_labels` (the labels that earn 1)".into());
            }
        }
        if mode == VerdictMode::Probability {
            if options.yes.is_empty() || options.no.is_empty() {
                return Err("`yes` and `no` need at least one word each".into());
            }
            if options.samples > 1 {
                return Err("a `probability` verdict reads probabilities, not samples: leave `samples` at 1".into());
            }
            if options.top_logprobs == 0 || options.top_logprobs > 20 {
                return Err("top_logprobs must be between 1 and 20 (OpenAI's limit)".into());
            }
        }
        if options.samples == 0 || options.samples > 64 {
            return Err("samples must be between 1 and 64".into());
        }
        let tag = Regex::new(&format!(
            r"(?s)<{0}>\s*([-+]?\d+(?:\.\d+)?)\s*</{0}>",
            regex::escape(&options.score_tag)
        ))
        .map_err(|e| e.to_string())?;
        Ok(Verdict {
            mode,
            options,
            range,
            tag,
        })
    }

    pub(crate) fn mode(&self) -> VerdictMode {
        self.mode
    }

    fn template_vars(&self) -> Value {
        json!({"range": self.range, "labels": self.options.labels})
    }

    /// The verdict of one choice in [0, 1], with its detail; `Err` (with detail) when the
    /// reply does not hold one.
    pub(crate) fn read(&self, choice: &Choice) -> Result<(f64, Value), (String, Value)> {
        let mut detail = Map::new();
        detail.insert("reply".into(), json!(truncate(&choice.text)));
        match self.mode {
            VerdictMode::Probability => {
                let Some(tops) = choice.top_logprobs.first() else {
                    return Err((
                        "the server returned no top_logprobs (does it support logprobs?)".into(),
                        Value::Object(detail),
                    ));
                };
                let p = label_probability(tops, &self.options.yes, &self.options.no);
                detail.insert("p_yes".into(), json!(p.yes));
                detail.insert("p_no".into(), json!(p.no));
                detail.insert("mass".into(), json!(p.yes + p.no));
                detail.insert("bound".into(), json!(p.bound));
                match p.estimate {
                    Some(v) => Ok((v, Value::Object(detail))),
                    None => Err((
                        format!(
                            "neither label is among the top {} tokens of the first position",
                            tops.len()
                        ),
                        Value::Object(detail),
                    )),
                }
            }
            VerdictMode::Score => {
                let score = match self.options.score_format {
                    ScoreFormat::Tag => self
                        .tag
                        .captures_iter(&choice.text)
                        .last()
                        .and_then(|c| c[1].parse::<f64>().ok()),
                    ScoreFormat::Json => json_score(&choice.text, &self.options.score_key),
                };
                let Some(score) = score else {
                    let want = match self.options.score_format {
                        ScoreFormat::Tag => format!("<{0}>N</{0}>", self.options.score_tag),
                        ScoreFormat::Json => {
                            format!("a JSON object with \"{}\"", self.options.score_key)
                        }
                    };
                    return Err((
                        format!("the reply has no score in the required format ({want})"),
                        Value::Object(detail),
                    ));
                };
                detail.insert("score".into(), json!(score));
                let [low, high] = self.range;
                if !(low..=high).contains(&score) {
                    return Err((
                        format!("the score {score} is outside the range [{low}, {high}]"),
                        Value::Object(detail),
                    ));
                }
                Ok(((score - low) / (high - low), Value::Object(detail)))
            }
            VerdictMode::Label => match find_label(&choice.text, &self.options.labels) {
                Some(label) => {
                    let pass = self.options.passing_labels.contains(&label);
                    detail.insert("label".into(), json!(label));
                    Ok((if pass { 1.0 } else { 0.0 }, Value::Object(detail)))
                }
                None => Err((
                    format!(
                        "the reply names none of the labels {:?}",
                        self.options.labels
                    ),
                    Value::Object(detail),
                )),
            },
        }
    }
}

/// The probability of the yes label among the top tokens of one position.
#[derive(Debug, Clone, PartialEq)]
pub struct LabelProbability {
    /// Summed probability of the yes forms found.
    pub yes: f64,
    /// Summed probability of the no forms found.
    pub no: f64,
    /// `yes / (yes + no)`, a label that is absent counted as 0; `None` when neither is
    /// there.
    pub estimate: Option<f64>,
    /// The interval the true renormalised probability lies in, given that an absent label's
    /// probability is at most the smallest listed one.
    pub bound: [f64; 2],
}

/// Sums the probabilities of each label's surface forms in `tops` (token, log-probability)
/// and renormalises over yes ∪ no.
pub fn label_probability(
    tops: &[(String, f64)],
    yes: &[String],
    no: &[String],
) -> LabelProbability {
    let norm = |s: &str| -> String {
        s.trim_matches(|c: char| !c.is_alphanumeric())
            .to_lowercase()
    };
    let yes: Vec<String> = yes.iter().map(|w| norm(w)).collect();
    let no: Vec<String> = no.iter().map(|w| norm(w)).collect();
    let (mut p_yes, mut p_no) = (0.0, 0.0);
    let mut smallest = 1.0f64;
    let mut seen = std::collections::HashSet::new();
    for (token, logprob) in tops {
        // A server may list one token twice (byte-level duplicates): count it once.
        if !seen.insert(token.as_str()) {
            continue;
        }
        let p = logprob.exp();
        smallest = smallest.min(p);
        let t = norm(token);
        if t.is_empty() {
            continue;
        }
        if yes.contains(&t) {
            p_yes += p;
        } else if no.contains(&t) {
            p_no += p;
        }
    }
    let (estimate, bound) = match (p_yes > 0.0, p_no > 0.0) {
        (true, true) => {
            let v = p_yes / (p_yes + p_no);
            (Some(v), [v, v])
        }
        (true, false) => (Some(1.0), [p_yes / (p_yes + smallest), 1.0]),
        (false, true) => (Some(0.0), [0.0, smallest / (smallest + p_no)]),
        (false, false) => (None, [0.0, 1.0]),
    };
    LabelProbability {
        yes: p_yes,
        no: p_no,
        estimate,
        bound,
    }
}

/// The number under `key` (or OpenAI's `result`) of the first JSON object in `text`.
fn json_score(text: &str, key: &str) -> Option<f64> {
    for (start, _) in text.match_indices('{') {
        let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Value>();
        if let Some(Ok(Value::Object(map))) = stream.next() {
            let found = map.get(key).or_else(|| map.get("result"));
            if let Some(v) = found {
                return v
                    .as_f64()
                    .or_else(|| v.as_str().and_then(|s| s.trim().parse().ok()));
            }
        }
    }
    None
}

/// The label named first in `text` (whole words, any case).
fn find_label(text: &str, labels: &[String]) -> Option<String> {
    let lower = text.to_lowercase();
    let mut best: Option<(usize, &String)> = None;
    for label in labels {
        let l = label.to_lowercase();
        let mut from = 0;
        while let Some(pos) = lower[from..].find(&l) {
            let at = from + pos;
            let before = lower[..at].chars().next_back();
            let after = lower[at + l.len()..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            if !word(before) && !word(after) {
                if best.is_none_or(|(b, _)| at < b) {
                    best = Some((at, label));
                }
                break;
            }
            from = at + l.len().max(1);
        }
    }
    best.map(|(_, l)| l.clone())
}

/// Renders prompts, sends them and reads verdicts: the engine of `judge`, `rubric` and
/// `process_reward`'s judge mode.
pub(crate) struct JudgeCore {
    pub backend: Arc<Backend>,
    pub model: String,
    pub endpoint: Endpoint,
    pub sampling: Sampling,
    pub messages: Vec<MessageTemplate>,
    pub verdict: Verdict,
    pub env: Environment<'static>,
    /// Put the rendered messages in each reply's detail (debugging).
    pub show_prompt: bool,
}

/// One judgement: the verdict in [0, 1] and what it was made of.
pub(crate) struct Judged {
    pub value: f64,
    pub detail: Value,
    pub usage: Usage,
}

impl JudgeCore {
    pub(crate) fn check(&self) -> Result<(), String> {
        for (k, m) in self.messages.iter().enumerate() {
            check_template(&self.env, &format!("message {k} ({})", m.role), &m.content)?;
        }
        if self.messages.is_empty() {
            return Err("the judge has no prompt: set `template` or `input`".into());
        }
        Ok(())
    }

    /// The messages for `vars` (the template variables of the item, plus the verdict's).
    pub(crate) fn render(&self, vars: &Value) -> Result<Vec<Value>, Outcome> {
        let mut vars = vars.clone();
        if let (Value::Object(v), Value::Object(extra)) = (&mut vars, self.verdict.template_vars())
        {
            for (k, x) in extra {
                v.entry(k).or_insert(x);
            }
        }
        self.messages
            .iter()
            .map(|m| Ok(json!({"role": m.role, "content": render(&self.env, &m.content, &vars)?})))
            .collect()
    }

    /// Judges once (with `samples` requests); `flip` reads the verdict as 1 - v (the second
    /// order of a pairwise judgement). An `Err` is the item's outcome, usage included.
    pub(crate) async fn judge(
        &self,
        vars: &Value,
        budget: &Budget,
        flip: bool,
    ) -> Result<Judged, Outcome> {
        let messages = self.render(vars)?;
        let top = (self.verdict.mode() == VerdictMode::Probability)
            .then_some(self.verdict.options.top_logprobs);
        let samples = self.verdict.options.samples;
        let calls = (0..samples).map(|i| {
            let body = generation_body(
                self.endpoint,
                &messages,
                &Generate {
                    model: &self.model,
                    sampling: &self.sampling,
                    n: 1,
                    top_logprobs: top,
                    seed_offset: i as i64,
                },
            );
            async move { self.backend.call(self.endpoint.path(), &body, budget).await }
        });
        let replies = futures_util::future::join_all(calls).await;
        let mut usage = Usage::default();
        let mut values = Vec::new();
        let mut details = Vec::new();
        let mut failure: Option<Outcome> = None;
        for reply in replies {
            let reply = match reply {
                Ok(r) => r,
                Err(e) => {
                    usage += e.usage;
                    failure.get_or_insert_with(|| e.outcome());
                    continue;
                }
            };
            usage += reply.usage;
            if self.show_prompt {
                details.push(json!({"messages": messages, "raw_reply": reply.body}));
            }
            let choices = match parse_generation(self.endpoint, &reply.body) {
                Ok(c) => c,
                Err(e) => {
                    failure.get_or_insert_with(|| {
                        Outcome::error(ErrorKind::Upstream, format!("{}: {e}", self.backend.url()))
                    });
                    continue;
                }
            };
            let Some(choice) = choices.first() else {
                failure.get_or_insert_with(|| {
                    Outcome::error(
                        ErrorKind::Upstream,
                        format!("{}: the reply has no choices", self.backend.url()),
                    )
                });
                continue;
            };
            let mut merge = |mut d: Value| {
                if self.show_prompt {
                    if let (Some(Value::Object(shown)), Value::Object(map)) =
                        (details.pop(), &mut d)
                    {
                        map.extend(shown);
                    }
                }
                details.push(d);
            };
            match self.verdict.read(choice) {
                Ok((v, d)) => {
                    let v = if flip { 1.0 - v } else { v };
                    values.push(v);
                    merge(d);
                }
                Err((why, d)) => {
                    merge(d);
                    failure.get_or_insert_with(|| Outcome::invalid(0.0, why));
                }
            }
        }
        if let Some(mut outcome) = failure {
            outcome = outcome.explain("replies", Value::Array(details));
            outcome.usage = usage;
            return Err(outcome);
        }
        let value = match self.verdict.options.combine {
            Combine::Mean => values.iter().sum::<f64>() / values.len() as f64,
            Combine::Vote => vote(&values),
        };
        Ok(Judged {
            value,
            detail: if details.len() == 1 {
                details.remove(0)
            } else {
                Value::Array(details)
            },
            usage,
        })
    }
}

/// The most frequent value (to 1e-9); ties go to the smaller.
fn vote(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let (mut best, mut best_count) = (sorted[0], 0);
    let mut k = 0;
    while k < sorted.len() {
        let mut j = k;
        while j < sorted.len() && (sorted[j] - sorted[k]).abs() < 1e-9 {
            j += 1;
        }
        if j - k > best_count {
            best = sorted[k];
            best_count = j - k;
        }
        k = j;
    }
    best
}

remote_options! {
/// Options of `judge`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JudgeOptions {
    /// The served model's name.
    pub model: String,
    /// `chat` (`/v1/chat/completions`) or `completions` (`/v1/completions`).
    #[serde(default)]
    pub endpoint: Endpoint,
    /// The user message (Jinja; variables `prompt`, `response`, `reference`, `rubric`,
    /// `item`, `sample.output_text`, `range`, `labels`; `response_a`/`response_b` when
    /// pairwise). Default: a prompt that fits the verdict.
    #[serde(default)]
    pub template: Option<String>,
    /// A system message put first (Jinja).
    #[serde(default)]
    pub system: Option<String>,
    /// The whole prompt as messages (OpenAI's grader `input`); replaces `template` and
    /// `system`.
    #[serde(default)]
    pub input: Vec<MessageTemplate>,
    /// Sampling: `temperature`, `top_p`, `seed`, `max_tokens`, `stop`
    /// (`sampling_params` is accepted too).
    #[serde(default, alias = "sampling_params")]
    pub sampling: Sampling,
    /// How the reply becomes a verdict.
    #[serde(flatten)]
    pub verdict_options: VerdictOptions,
    /// Judge the response against the reference in both orders (A/B, then B/A) and average:
    /// the reward is the probability that the response is better.
    #[serde(default)]
    pub pairwise: bool,
    /// OpenAI's grader `type` (`score_model` or `label_model`); it picks the default
    /// verdict.
    #[serde(default, rename = "type")]
    pub openai_type: Option<String>,
    /// OpenAI's grader `name`; accepted and ignored.
    #[serde(default)]
    pub name: Option<String>,
    /// OpenAI's `pass_threshold`: reported in the explanation as `passed`.
    #[serde(default)]
    pub pass_threshold: Option<f64>,
    /// Put the rendered messages and the raw reply in the explanation (for debugging;
    /// `assay check judge` turns it on).
    #[serde(default)]
    pub show_prompt: bool,
}
}

struct JudgeGrader {
    core: JudgeCore,
    pairwise: bool,
    pass_threshold: Option<f64>,
    guard: Guard,
}

impl ItemGrader for JudgeGrader {
    fn components(&self) -> Vec<String> {
        Vec::new()
    }

    fn guard(&self) -> &Guard {
        &self.guard
    }

    fn backend(&self) -> &Backend {
        &self.core.backend
    }

    fn grade_item(self: Arc<Self>, item: Item, budget: Budget) -> BoxFuture<Outcome> {
        Box::pin(async move {
            let vars = template_vars(&item);
            let (value, detail, usage) = if self.pairwise {
                let reference = vars["reference"].clone();
                if reference.as_str().is_none_or(|s| s.trim().is_empty()) {
                    return Outcome::error(
                        ErrorKind::BadReference,
                        "pairwise judging needs a reference answer (a string, or an object with `answer`)",
                    );
                }
                let mut first = vars.clone();
                first["response_a"] = vars["response"].clone();
                first["response_b"] = reference.clone();
                let mut second = vars.clone();
                second["response_a"] = reference;
                second["response_b"] = vars["response"].clone();
                let (a, b) = futures_util::future::join(
                    self.core.judge(&first, &budget, false),
                    self.core.judge(&second, &budget, true),
                )
                .await;
                match (a, b) {
                    (Ok(a), Ok(b)) => (
                        (a.value + b.value) / 2.0,
                        json!({"response_first": a.detail, "response_second": b.detail, "orders": [a.value, b.value]}),
                        a.usage + b.usage,
                    ),
                    (Err(mut e), Ok(other)) | (Ok(other), Err(mut e)) => {
                        e.usage += other.usage;
                        return e;
                    }
                    (Err(mut e), Err(other)) => {
                        e.usage += other.usage;
                        return e;
                    }
                }
            } else {
                match self.core.judge(&vars, &budget, false).await {
                    Ok(j) => (j.value, j.detail, j.usage),
                    Err(e) => return e,
                }
            };
            let mut out = Outcome::ok(value).explain("verdict", detail);
            if let Some(t) = self.pass_threshold {
                out = out.explain("passed", value >= t);
            }
            out.usage = usage;
            out
        })
    }
}

/// `judge`.
pub struct JudgeKind;

impl GraderKind for JudgeKind {
    type Options = JudgeOptions;
    const NAME: &'static str = "judge";
    const FAMILY: &'static str = "model";
    const SUMMARY: &'static str = "Asks an LLM judge on an OpenAI-compatible server: a yes/no probability from top_logprobs, a score in a required format, or a label; k samples by mean or vote; pairwise against the reference in both orders.";
    const REFERENCE: &'static str = "optional: the reference answer (a string, or an object with `answer` and `rubric`), shown to the judge; required when `pairwise`";
    const EXAMPLE: &'static str = r#"
[graders.judge]
kind = "judge"
url = "http://localhost:8080"       # llama-server, vLLM, SGLang or any OpenAI-compatible API
model = "judge"
verdict = "probability"             # P(Yes) / (P(Yes) + P(No)) from top_logprobs
template = "Question: {{ prompt }}\nAnswer: {{ response }}\nReference: {{ reference }}\nIs the answer correct? Answer Yes or No."
sampling = { temperature = 0.0, max_tokens = 1 }
"#;

    fn build(options: JudgeOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        let mut verdict_options = options.verdict_options.clone();
        if options.pairwise
            && verdict_options
                .verdict
                .is_none_or(|v| v == VerdictMode::Probability)
            && verdict_options.yes == default_yes()
            && verdict_options.no == default_no()
        {
            verdict_options.yes = vec!["a".into()];
            verdict_options.no = vec!["b".into()];
        }
        let verdict = Verdict::new(verdict_options, options.openai_type.as_deref())?;
        if let Some(t) = options.openai_type.as_deref() {
            if !matches!(t, "score_model" | "label_model") {
                return Err(format!(
                    "type {t:?}: only OpenAI's `score_model` and `label_model` are judges"
                ));
            }
        }
        let messages = if !options.input.is_empty() {
            if options.template.is_some() || options.system.is_some() {
                return Err(
                    "set either `input` (all messages) or `template`/`system`, not both".into(),
                );
            }
            options.input.clone()
        } else {
            let user = options.template.clone().unwrap_or_else(|| {
                match (options.pairwise, verdict.mode()) {
                    (true, _) => PAIRWISE_TEMPLATE,
                    (false, VerdictMode::Probability) => PROBABILITY_TEMPLATE,
                    (false, VerdictMode::Score) => SCORE_TEMPLATE,
                    (false, VerdictMode::Label) => LABEL_TEMPLATE,
                }
                .to_string()
            });
            let mut m = Vec::new();
            if let Some(s) = &options.system {
                m.push(MessageTemplate {
                    role: "system".into(),
                    content: s.clone(),
                    kind: None,
                });
            }
            m.push(MessageTemplate {
                role: "user".into(),
                content: user,
                kind: None,
            });
            m
        };
        let backend = Backend::shared(&options.connection())?;
        let core = JudgeCore {
            backend,
            model: options.model.clone(),
            endpoint: options.endpoint,
            sampling: options.sampling.clone(),
            messages,
            verdict,
            env: environment(),
            show_prompt: options.show_prompt,
        };
        core.check()?;
        Ok(Arc::new(Remote(Arc::new(JudgeGrader {
            core,
            pairwise: options.pairwise,
            pass_threshold: options.pass_threshold,
            guard: Guard::new(options.guard.clone())?,
        }))))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tops(list: &[(&str, f64)]) -> Vec<(String, f64)> {
        list.iter().map(|(t, p)| (t.to_string(), p.ln())).collect()
    }

    #[test]
    fn surface_forms_are_summed_and_renormalised() {
        let p = label_probability(
            &tops(&[
                (" Yes", 0.3),
                ("yes", 0.1),
                ("YES", 0.1),
                (" No", 0.2),
                ("Maybe", 0.3),
            ]),
            &default_yes(),
            &default_no(),
        );
        assert!((p.yes - 0.5).abs() < 1e-9);
        assert!((p.no - 0.2).abs() < 1e-9);
        assert!((p.estimate.unwrap() - 0.5 / 0.7).abs() < 1e-9);
    }

    #[test]
    fn an_absent_label_gives_a_bound() {
        let p = label_probability(
            &tops(&[("Yes", 0.6), ("The", 0.1)]),
            &default_yes(),
            &default_no(),
        );
        assert_eq!(p.estimate, Some(1.0));
        assert!((p.bound[0] - 0.6 / 0.7).abs() < 1e-9);
        let p = label_probability(
            &tops(&[("The", 0.6), ("A", 0.1)]),
            &default_yes(),
            &default_no(),
        );
        assert_eq!(p.estimate, None);
        assert_eq!(p.bound, [0.0, 1.0]);
    }

    #[test]
    fn scores_need_the_format() {
        let v = Verdict::new(
            VerdictOptions {
                verdict: Some(VerdictMode::Score),
                ..VerdictOptions::default()
            },
            None,
        )
        .unwrap();
        let choice = |t: &str| Choice {
            text: t.into(),
            ..Choice::default()
        };
        assert_eq!(v.read(&choice("fine. <score>7</score>")).unwrap().0, 0.7);
        assert_eq!(
            v.read(&choice("<score>2</score> then <score>8.5</score>"))
                .unwrap()
                .0,
            0.85
        );
        assert!(v.read(&choice("7")).is_err());
        assert!(v.read(&choice("<score>11</score>")).is_err());
        let j = Verdict::new(
            VerdictOptions {
                verdict: Some(VerdictMode::Score),
                score_format: ScoreFormat::Json,
                range: Some([1.0, 5.0]),
                ..VerdictOptions::default()
            },
            None,
        )
        .unwrap();
        assert_eq!(
            j.read(&choice("Here: {\"score\": 5, \"why\": \"ok\"}"))
                .unwrap()
                .0,
            1.0
        );
        assert_eq!(
            j.read(&choice("```json\n{\"result\": \"3\"}\n```"))
                .unwrap()
                .0,
            0.5
        );
        assert!(j.read(&choice("{\"rating\": 3}")).is_err());
    }

    #[test]
    fn labels_are_whole_words() {
        let labels = vec!["pass".to_string(), "fail".to_string()];
        assert_eq!(
            find_label("I think FAIL.", &labels).as_deref(),
            Some("fail")
        );
        assert_eq!(
            find_label("passing grade, pass", &labels).as_deref(),
            Some("pass")
        );
        assert_eq!(find_label("bypass", &labels), None);
    }

    #[test]
    fn votes() {
        assert_eq!(vote(&[0.2, 0.8, 0.8]), 0.8);
        assert_eq!(vote(&[1.0, 0.0]), 0.0);
    }

    #[test]
    fn openai_shapes_deserialize() {
        let score: JudgeOptions = serde_json::from_value(json!({
            "type": "score_model", "name": "quality", "model": "m", "url": "http://localhost:1",
            "input": [{"role": "system", "content": "Rate."}, {"role": "user", "content": "{{ item.question }} {{ sample.output_text }}"}],
            "range": [0, 1], "sampling_params": {"temperature": 0, "seed": 1, "max_completions_tokens": 50}, "pass_threshold": 0.5
        })).unwrap();
        assert_eq!(score.sampling.max_tokens, Some(50));
        let label: JudgeOptions = serde_json::from_value(json!({
            "type": "label_model", "name": "x", "model": "m", "url": "http://localhost:1",
            "input": [{"role": "user", "content": "{{ sample.output_text }}"}],
            "labels": ["good", "bad"], "passing_labels": ["good"]
        }))
        .unwrap();
        assert_eq!(
            Verdict::new(label.verdict_options, label.openai_type.as_deref())
                .unwrap()
                .mode(),
            VerdictMode::Label
        );
        assert_eq!(
            Verdict::new(score.verdict_options, score.openai_type.as_deref())
                .unwrap()
                .range,
            [0.0, 1.0]
        );
    }
}

#[cfg(test)]
mod option_tests {
    use super::*;

    #[test]
    fn unknown_options_are_refused_and_documented() {
        let bad = serde_json::from_value::<JudgeOptions>(
            json!({"model": "m", "url": "http://x", "verdit": "score"}),
        );
        assert!(bad.is_err(), "a misspelt option must be refused");
        let good = serde_json::from_value::<JudgeOptions>(
            json!({"model": "m", "url": "http://x", "verdict": "score", "samples": 3}),
        );
        assert_eq!(good.unwrap().verdict_options.samples, 3);
        let mut registry = assay_core::Registry::new();
        crate::register(&mut registry);
        let info = &registry.kind("judge").unwrap().info;
        let names: Vec<&str> = info.options.iter().map(|o| o.name.as_str()).collect();
        for name in [
            "model",
            "verdict",
            "top_logprobs",
            "url",
            "max_retries",
            "guard",
        ] {
            assert!(names.contains(&name), "{name} is not documented: {names:?}");
        }
        assert!(
            info.options.iter().all(|o| !o.description.is_empty()),
            "{:?}",
            info.options
        );
    }
}

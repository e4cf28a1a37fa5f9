//! Request and reply shapes of the servers Assay talks to: OpenAI-compatible generation
//! (`/v1/chat/completions`, `/v1/completions`), vLLM's pooling endpoints (`/classify`,
//! `/pooling`, `/score`, `/rerank`, `/v1/embeddings`), Hugging Face TEI (`/predict`,
//! `/rerank`, `/embed`) and OpenRLHF's reward server (`/get_reward`).
//!
//! Builders return the JSON body; parsers read the reply and say what was missing when the
//! shape is not the documented one.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

/// Sampling parameters of a generation request (OpenAI names; `max_completions_tokens` as
/// OpenAI's graders spell it is accepted too).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Sampling {
    /// Sampling temperature (server default when unset).
    #[serde(default)]
    pub temperature: Option<f64>,
    /// Nucleus sampling.
    #[serde(default)]
    pub top_p: Option<f64>,
    /// Seed, for servers that honour one.
    #[serde(default)]
    pub seed: Option<i64>,
    /// Most tokens generated.
    #[serde(
        default,
        alias = "max_completions_tokens",
        alias = "max_completion_tokens"
    )]
    pub max_tokens: Option<u32>,
    /// Stop sequences.
    #[serde(default)]
    pub stop: Vec<String>,
    /// Reasoning effort (OpenAI reasoning models); passed through.
    #[serde(default)]
    pub reasoning_effort: Option<String>,
    /// Further fields put in the request body as they are (e.g. vLLM's `guided_choice`,
    /// llama.cpp's `grammar`, `chat_template_kwargs`).
    #[serde(default)]
    pub extra_body: Map<String, Value>,
}

/// Which generation endpoint a judge uses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Endpoint {
    /// `POST /v1/chat/completions` with `messages`.
    #[default]
    Chat,
    /// `POST /v1/completions` with a `prompt` string (the messages joined; use a template
    /// that renders the whole prompt).
    Completions,
}

impl Endpoint {
    /// The path under the base URL.
    pub fn path(self) -> &'static str {
        match self {
            Endpoint::Chat => "/v1/chat/completions",
            Endpoint::Completions => "/v1/completions",
        }
    }
}

/// What to ask of a generation.
#[derive(Debug, Clone)]
pub struct Generate<'a> {
    /// The served model's name.
    pub model: &'a str,
    /// Sampling parameters.
    pub sampling: &'a Sampling,
    /// Completions per request (`n`).
    pub n: u32,
    /// Top log-probabilities per position (none: no log-probabilities asked).
    pub top_logprobs: Option<u32>,
    /// A seed offset added to `sampling.seed` (distinct samples of one item).
    pub seed_offset: i64,
}

/// The body of a generation request.
pub fn generation_body(endpoint: Endpoint, messages: &[Value], g: &Generate<'_>) -> Value {
    let mut body = Map::new();
    body.insert("model".into(), json!(g.model));
    match endpoint {
        Endpoint::Chat => {
            body.insert("messages".into(), Value::Array(messages.to_vec()));
        }
        Endpoint::Completions => {
            let prompt: Vec<&str> = messages
                .iter()
                .filter_map(|m| m.get("content").and_then(Value::as_str))
                .collect();
            body.insert("prompt".into(), json!(prompt.join("\n\n")));
        }
    }
    let s = g.sampling;
    if let Some(t) = s.temperature {
        body.insert("temperature".into(), json!(t));
    }
    if let Some(p) = s.top_p {
        body.insert("top_p".into(), json!(p));
    }
    if let Some(seed) = s.seed {
        body.insert("seed".into(), json!(seed + g.seed_offset));
    } else if g.seed_offset != 0 {
        body.insert("seed".into(), json!(g.seed_offset));
    }
    if let Some(m) = s.max_tokens {
        body.insert("max_tokens".into(), json!(m));
    }
    if !s.stop.is_empty() {
        body.insert("stop".into(), json!(s.stop));
    }
    if let Some(e) = &s.reasoning_effort {
        body.insert("reasoning_effort".into(), json!(e));
    }
    for (k, v) in &s.extra_body {
        body.insert(k.clone(), v.clone());
    }
    if g.n > 1 {
        body.insert("n".into(), json!(g.n));
    }
    if let Some(k) = g.top_logprobs {
        match endpoint {
            Endpoint::Chat => {
                body.insert("logprobs".into(), json!(true));
                body.insert("top_logprobs".into(), json!(k));
            }
            Endpoint::Completions => {
                body.insert("logprobs".into(), json!(k));
            }
        }
    }
    Value::Object(body)
}

/// One generated choice.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Choice {
    /// The generated text.
    pub text: String,
    /// The top log-probabilities at each generated position (token, log-probability), when
    /// asked for.
    pub top_logprobs: Vec<Vec<(String, f64)>>,
    /// Why generation stopped.
    pub finish_reason: Option<String>,
}

/// Reads the choices of a generation reply (chat or completions; OpenAI's and llama.cpp's
/// log-probability shapes).
pub fn parse_generation(endpoint: Endpoint, body: &Value) -> Result<Vec<Choice>, String> {
    let choices = body
        .get("choices")
        .and_then(Value::as_array)
        .ok_or_else(|| {
            format!(
                "the reply has no `choices` list: {}",
                crate::backend::truncate(&body.to_string())
            )
        })?;
    choices
        .iter()
        .map(|c| {
            let text = match endpoint {
                Endpoint::Chat => c.pointer("/message/content").and_then(Value::as_str),
                Endpoint::Completions => c.get("text").and_then(Value::as_str),
            }
            .unwrap_or("")
            .to_string();
            let logprobs = c.get("logprobs").unwrap_or(&Value::Null);
            let top_logprobs =
                if let Some(content) = logprobs.get("content").and_then(Value::as_array) {
                    // Chat shape (and llama.cpp's completions): one entry per position.
                    content
                        .iter()
                        .map(|pos| {
                            pos.get("top_logprobs")
                                .and_then(Value::as_array)
                                .map(|tops| {
                                    tops.iter()
                                        .filter_map(|t| {
                                            Some((
                                                t.get("token")?.as_str()?.to_string(),
                                                t.get("logprob")?.as_f64()?,
                                            ))
                                        })
                                        .collect()
                                })
                                .unwrap_or_default()
                        })
                        .collect()
                } else if let Some(tops) = logprobs.get("top_logprobs").and_then(Value::as_array) {
                    // Legacy completions shape: a {token: logprob} object per position.
                    tops.iter()
                        .map(|pos| {
                            pos.as_object()
                                .map(|m| {
                                    m.iter()
                                        .filter_map(|(t, lp)| Some((t.clone(), lp.as_f64()?)))
                                        .collect()
                                })
                                .unwrap_or_default()
                        })
                        .collect()
                } else {
                    Vec::new()
                };
            Ok(Choice {
                text,
                top_logprobs,
                finish_reason: c
                    .get("finish_reason")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            })
        })
        .collect()
}

/// The API a reward or pooling server speaks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RewardApi {
    /// vLLM `POST /classify` (`{"model", "input"}` or `{"messages"}` → `data[0].probs`); the
    /// label's probability. Assay's own `assay serve --model` speaks it too.
    #[default]
    Classify,
    /// vLLM `POST /pooling` → `data[0].data`: the raw score (a number, or the label's entry of
    /// a list) of a reward model.
    Pooling,
    /// vLLM `POST /score` (`text_1` = prompt, `text_2` = response) → `data[0].score`.
    Score,
    /// vLLM / Jina / Cohere `POST /rerank` (`query` = prompt, `documents` = [response]) →
    /// `results[0].relevance_score`.
    Rerank,
    /// Hugging Face TEI `POST /predict` (`inputs` = text, or [prompt, response] as a pair) →
    /// `[{"label", "score"}]`; the label's score.
    TeiPredict,
    /// Hugging Face TEI `POST /rerank` (`query`, `texts` = [response]) → `[{"index",
    /// "score"}]`.
    TeiRerank,
    /// OpenRLHF's remote reward server `POST /get_reward` (`{"query": [text]}` →
    /// `{"rewards": [...]}`; Assay's own `/get_reward` too).
    Openrlhf,
}

impl RewardApi {
    /// The path under the base URL.
    pub fn path(self) -> &'static str {
        match self {
            RewardApi::Classify => "/classify",
            RewardApi::Pooling => "/pooling",
            RewardApi::Score => "/score",
            RewardApi::Rerank => "/rerank",
            RewardApi::TeiPredict => "/predict",
            RewardApi::TeiRerank => "/rerank",
            RewardApi::Openrlhf => "/get_reward",
        }
    }

    /// Whether the server takes chat messages (else text).
    pub fn takes_messages(self) -> bool {
        matches!(self, RewardApi::Classify | RewardApi::Pooling)
    }

    /// Whether the server scores a (prompt, response) pair.
    pub fn takes_pair(self) -> bool {
        matches!(
            self,
            RewardApi::Score | RewardApi::Rerank | RewardApi::TeiRerank | RewardApi::TeiPredict
        )
    }
}

/// What a reward request carries.
#[derive(Debug, Clone)]
pub enum RewardInput {
    /// Chat messages (`classify`, `pooling`).
    Messages(Vec<Value>),
    /// One text.
    Text(String),
    /// A (query, document) pair.
    Pair(String, String),
}

/// The body of a reward request.
pub fn reward_body(
    api: RewardApi,
    model: Option<&str>,
    input: &RewardInput,
) -> Result<Value, String> {
    let mut body = Map::new();
    if let Some(m) = model.filter(|_| {
        !matches!(
            api,
            RewardApi::TeiPredict | RewardApi::TeiRerank | RewardApi::Openrlhf
        )
    }) {
        body.insert("model".into(), json!(m));
    }
    match (api, input) {
        (RewardApi::Classify | RewardApi::Pooling, RewardInput::Messages(m)) => {
            body.insert("messages".into(), json!(m));
        }
        (RewardApi::Classify | RewardApi::Pooling, RewardInput::Text(t)) => {
            body.insert("input".into(), json!(t));
        }
        (RewardApi::Score, RewardInput::Pair(q, d)) => {
            body.insert("text_1".into(), json!(q));
            body.insert("text_2".into(), json!(d));
        }
        (RewardApi::Rerank, RewardInput::Pair(q, d)) => {
            body.insert("query".into(), json!(q));
            body.insert("documents".into(), json!([d]));
        }
        (RewardApi::TeiPredict, RewardInput::Pair(q, d)) => {
            body.insert("inputs".into(), json!([[q, d]]));
        }
        (RewardApi::TeiPredict, RewardInput::Text(t)) => {
            body.insert("inputs".into(), json!(t));
        }
        (RewardApi::TeiRerank, RewardInput::Pair(q, d)) => {
            body.insert("query".into(), json!(q));
            body.insert("texts".into(), json!([d]));
        }
        (RewardApi::Openrlhf, RewardInput::Text(t)) => {
            body.insert("query".into(), json!([t]));
        }
        (api, _) => return Err(format!("internal: wrong input shape for {api:?}")),
    }
    Ok(Value::Object(body))
}

/// Which entry of a multi-label output is the reward.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Label {
    /// By index.
    Index(usize),
    /// By name (`label` of TEI's `/predict` reply).
    Name(String),
}

impl Default for Label {
    fn default() -> Self {
        Label::Index(0)
    }
}

/// Reads the scalar reward out of a reward reply.
pub fn parse_reward(api: RewardApi, body: &Value, label: &Label) -> Result<f64, String> {
    let shape = || crate::backend::truncate(&body.to_string());
    let pick = |values: &[Value]| -> Result<f64, String> {
        let Label::Index(i) = label else {
            return Err("this server's reply has no label names: set `label` to an index".into());
        };
        values.get(*i).and_then(Value::as_f64).ok_or_else(|| {
            format!(
                "the reply has no number at label {i} (it has {} entries)",
                values.len()
            )
        })
    };
    let value = match api {
        RewardApi::Classify => {
            let probs = body
                .pointer("/data/0/probs")
                .and_then(Value::as_array)
                .ok_or_else(|| format!("the reply has no data[0].probs: {}", shape()))?;
            pick(probs)?
        }
        RewardApi::Pooling => match body.pointer("/data/0/data") {
            Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
            Some(Value::Array(values)) => match values.first() {
                // A token-level output ([[...]]): the last position.
                Some(Value::Array(_)) => match values.last() {
                    Some(Value::Array(last)) => pick(last)?,
                    _ => return Err(format!("unexpected pooling output: {}", shape())),
                },
                _ => pick(values)?,
            },
            _ => return Err(format!("the reply has no data[0].data: {}", shape())),
        },
        RewardApi::Score => body
            .pointer("/data/0/score")
            .and_then(Value::as_f64)
            .ok_or_else(|| format!("the reply has no data[0].score: {}", shape()))?,
        RewardApi::Rerank => body
            .pointer("/results/0/relevance_score")
            .and_then(Value::as_f64)
            .ok_or_else(|| format!("the reply has no results[0].relevance_score: {}", shape()))?,
        RewardApi::TeiRerank => body
            .pointer("/0/score")
            .and_then(Value::as_f64)
            .ok_or_else(|| format!("the reply has no [0].score: {}", shape()))?,
        RewardApi::TeiPredict => {
            // `[{"label", "score"}]` for one input, `[[…]]` for a batch.
            let list = match body.get(0) {
                Some(Value::Array(inner)) => inner.clone(),
                Some(_) => body.as_array().cloned().unwrap_or_default(),
                None => return Err(format!("the reply is not a list of labels: {}", shape())),
            };
            let found = match label {
                Label::Name(name) => list
                    .iter()
                    .find(|e| e.get("label").and_then(Value::as_str) == Some(name.as_str())),
                Label::Index(i) => {
                    let wanted = format!("LABEL_{i}");
                    list.iter()
                        .find(|e| e.get("label").and_then(Value::as_str) == Some(wanted.as_str()))
                        .or_else(|| (list.len() == 1 && *i == 0).then(|| &list[0]))
                }
            };
            found
                .and_then(|e| e.get("score"))
                .and_then(Value::as_f64)
                .ok_or_else(|| format!("the reply has no score for label {label:?}: {}", shape()))?
        }
        RewardApi::Openrlhf => match body.get("rewards").or_else(|| body.get("reward")) {
            Some(Value::Array(values)) => values
                .first()
                .and_then(Value::as_f64)
                .ok_or_else(|| format!("the reply's `rewards` is empty: {}", shape()))?,
            Some(Value::Number(n)) => n.as_f64().unwrap_or(f64::NAN),
            _ => return Err(format!("the reply has no `rewards`: {}", shape())),
        },
    };
    if !value.is_finite() {
        return Err(format!(
            "the server returned a non-finite reward: {}",
            shape()
        ));
    }
    Ok(value)
}

/// The body of an embeddings request: OpenAI/vLLM `POST /v1/embeddings`.
pub fn embeddings_body(model: Option<&str>, inputs: &[String]) -> Value {
    let mut body = json!({"input": inputs});
    if let Some(m) = model {
        body["model"] = json!(m);
    }
    body
}

/// The vectors of an OpenAI/vLLM embeddings reply (`data[i].embedding`), by `index`; or of a
/// TEI `/embed` reply (a list of lists).
pub fn parse_embeddings(body: &Value) -> Result<Vec<Vec<f64>>, String> {
    let vector =
        |v: &Value| -> Option<Vec<f64>> { v.as_array()?.iter().map(Value::as_f64).collect() };
    if let Some(data) = body.get("data").and_then(Value::as_array) {
        let mut out: Vec<(usize, Vec<f64>)> = data
            .iter()
            .enumerate()
            .map(|(k, d)| {
                let index = d
                    .get("index")
                    .and_then(Value::as_u64)
                    .map_or(k, |i| i as usize);
                let v = d
                    .get("embedding")
                    .and_then(vector)
                    .ok_or_else(|| "an entry has no float `embedding`".to_string())?;
                Ok((index, v))
            })
            .collect::<Result<_, String>>()?;
        out.sort_by_key(|(i, _)| *i);
        return Ok(out.into_iter().map(|(_, v)| v).collect());
    }
    if let Some(list) = body.as_array() {
        return list
            .iter()
            .map(|v| {
                vector(v).ok_or_else(|| "a TEI embedding is not a list of numbers".to_string())
            })
            .collect();
    }
    Err(format!(
        "not an embeddings reply: {}",
        crate::backend::truncate(&body.to_string())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chat_bodies_ask_for_logprobs() {
        let s = Sampling {
            temperature: Some(0.0),
            seed: Some(3),
            max_tokens: Some(1),
            stop: vec!["\n".into()],
            ..Sampling::default()
        };
        let g = Generate {
            model: "m",
            sampling: &s,
            n: 2,
            top_logprobs: Some(5),
            seed_offset: 1,
        };
        let body = generation_body(
            Endpoint::Chat,
            &[json!({"role": "user", "content": "hi"})],
            &g,
        );
        assert_eq!(body["logprobs"], json!(true));
        assert_eq!(body["top_logprobs"], json!(5));
        assert_eq!(body["seed"], json!(4));
        assert_eq!(body["n"], json!(2));
        assert_eq!(body["stop"], json!(["\n"]));
        let body = generation_body(
            Endpoint::Completions,
            &[json!({"role": "user", "content": "hi"})],
            &g,
        );
        assert_eq!(body["prompt"], json!("hi"));
        assert_eq!(body["logprobs"], json!(5));
    }

    #[test]
    fn both_logprob_shapes_parse() {
        let chat = json!({"choices": [{"message": {"content": "Yes"}, "finish_reason": "length",
            "logprobs": {"content": [{"token": "Yes", "logprob": -0.1,
                "top_logprobs": [{"token": "Yes", "logprob": -0.1}, {"token": "No", "logprob": -2.5}]}]}}]});
        let c = parse_generation(Endpoint::Chat, &chat).unwrap();
        assert_eq!(c[0].text, "Yes");
        assert_eq!(
            c[0].top_logprobs[0],
            vec![("Yes".to_string(), -0.1), ("No".to_string(), -2.5)]
        );
        let legacy = json!({"choices": [{"text": " no", "logprobs": {"top_logprobs": [{" no": -0.2, " yes": -1.9}]}}]});
        let c = parse_generation(Endpoint::Completions, &legacy).unwrap();
        assert_eq!(c[0].top_logprobs[0].len(), 2);
        assert!(parse_generation(Endpoint::Chat, &json!({"error": "x"})).is_err());
    }

    #[test]
    fn reward_shapes_parse() {
        let l0 = Label::Index(0);
        let l1 = Label::Index(1);
        assert_eq!(
            parse_reward(
                RewardApi::Classify,
                &json!({"data": [{"probs": [0.2, 0.8]}]}),
                &l1
            )
            .unwrap(),
            0.8
        );
        assert_eq!(
            parse_reward(RewardApi::Pooling, &json!({"data": [{"data": [1.5]}]}), &l0).unwrap(),
            1.5
        );
        assert_eq!(
            parse_reward(RewardApi::Pooling, &json!({"data": [{"data": 2.5}]}), &l0).unwrap(),
            2.5
        );
        assert_eq!(
            parse_reward(RewardApi::Score, &json!({"data": [{"score": 0.3}]}), &l0).unwrap(),
            0.3
        );
        assert_eq!(
            parse_reward(
                RewardApi::Rerank,
                &json!({"results": [{"index": 0, "relevance_score": 0.7}]}),
                &l0
            )
            .unwrap(),
            0.7
        );
        assert_eq!(
            parse_reward(
                RewardApi::TeiRerank,
                &json!([{"index": 0, "score": 0.6}]),
                &l0
            )
            .unwrap(),
            0.6
        );
        assert_eq!(
            parse_reward(
                RewardApi::TeiPredict,
                &json!([{"label": "LABEL_0", "score": 0.1}, {"label": "LABEL_1", "score": 0.9}]),
                &l1
            )
            .unwrap(),
            0.9
        );
        assert_eq!(
            parse_reward(
                RewardApi::TeiPredict,
                &json!([[{"label": "good", "score": 0.4}]]),
                &Label::Name("good".into())
            )
            .unwrap(),
            0.4
        );
        assert_eq!(
            parse_reward(RewardApi::Openrlhf, &json!({"rewards": [0.25]}), &l0).unwrap(),
            0.25
        );
        let e = parse_reward(
            RewardApi::Classify,
            &json!({"data": [{"probs": [0.2]}]}),
            &l1,
        )
        .unwrap_err();
        assert!(e.contains("label 1"), "{e}");
        assert!(parse_reward(RewardApi::Score, &json!({"nothing": 1}), &l0).is_err());
    }

    #[test]
    fn embedding_shapes_parse() {
        let openai = json!({"data": [{"index": 1, "embedding": [0.0, 1.0]}, {"index": 0, "embedding": [1.0, 0.0]}]});
        assert_eq!(
            parse_embeddings(&openai).unwrap(),
            vec![vec![1.0, 0.0], vec![0.0, 1.0]]
        );
        assert_eq!(
            parse_embeddings(&json!([[0.5, 0.5]])).unwrap(),
            vec![vec![0.5, 0.5]]
        );
        assert!(parse_embeddings(&json!({"x": 1})).is_err());
    }
}

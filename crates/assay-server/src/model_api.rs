//! `assay serve --model PATH`: a local model behind the HTTP API vLLM serves for pooling
//! models, so that clients written for vLLM (OpenRLHF's remote reward model, verl's reward
//! workers, OpenAI embedding clients) work against it unchanged.
//!
//! | endpoint | model | request → response |
//! |---|---|---|
//! | `POST /classify` | classifier | `{"input": str \| [str]}` or `{"messages": [...]}` → `{"data": [{"index", "label", "probs", "num_classes"}]}` |
//! | `POST /pooling` | any | `{"input"}` or `{"messages"}` → `{"data": [{"index", "object": "pooling", "data"}]}`: a classifier's logits (probabilities with `use_activation: true`), a process reward model's per-step label probabilities (`[[p0, p1], …]`), an embedding |
//! | `POST /v1/embeddings` | embedder | OpenAI's: `{"input", "encoding_format"?}` → `{"data": [{"index", "object": "embedding", "embedding"}]}` (`float` or `base64` of little-endian f32) |
//! | `POST /score` | cross-encoder, embedder | `{"text_1", "text_2"}` (also `queries`/`documents`, `data_1`/`data_2`; one to many or pairwise) → `{"data": [{"index", "object": "score", "score"}]}` |
//! | `POST /rerank`, `/v1/rerank`, `/v2/rerank` | cross-encoder, embedder | `{"query", "documents", "top_n"?}` → `{"results": [{"index", "document": {"text"}, "relevance_score"}]}`, best first |
//! | `GET /v1/models`, `GET /health` | | the served model; 200 |
//!
//! Every response has vLLM's envelope (`id`, `object`, `created`, `model`, `usage` with
//! `prompt_tokens` and `total_tokens`). Inputs longer than the model takes are refused (400),
//! as vLLM refuses them, unless `truncate_prompt_tokens` asks to keep the last N tokens. A
//! request naming another `model` gets 404. Classification probabilities use the activation
//! vLLM chooses: sigmoid for one label or multi-label heads, softmax otherwise; `score` and
//! `rerank` give a cross-encoder's activated first label, or an embedder's cosine similarity.
//! Token-id inputs are not supported (400). Errors are `{"error": {"message", "type", "code"}}`.
//!
//! Models run on blocking threads, one request at a time per model (the model's own kernels
//! use every core), behind a queue bounded by the server's body limit.

use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use assay::inference::{
    load_auto, AnyModel, Input, LoadOptions, OutputActivation, RunOptions, Side,
};
use axum::body::{Body, Bytes};
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Map, Value};
use tokio::sync::Semaphore;

/// A model served over the vLLM-compatible API.
pub struct ServedModel {
    name: String,
    model: AnyModel,
    max_length: usize,
    gate: Semaphore,
}

impl std::fmt::Debug for ServedModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServedModel")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl ServedModel {
    /// Loads the model directory at `path`, served as `name` (default: the directory's name).
    pub fn load(path: &Path, name: Option<String>, options: &LoadOptions) -> Result<Self, String> {
        let model = load_auto(path, options).map_err(|e| format!("{}: {e}", path.display()))?;
        let name = name.unwrap_or_else(|| {
            path.file_name()
                .map_or("model".into(), |n| n.to_string_lossy().into_owned())
        });
        let max_length = match &model {
            AnyModel::Classifier(m) => m.max_length(),
            AnyModel::Embedder(m) => m.max_length(),
            AnyModel::ProcessReward(_) => 0,
        };
        Ok(ServedModel {
            name,
            model,
            max_length,
            gate: Semaphore::new(1),
        })
    }

    /// The name clients use in `model`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// What kind of model it is, for logs: `classifier`, `process_reward` or `embedding`.
    pub fn kind(&self) -> &'static str {
        match self.model {
            AnyModel::Classifier(_) => "classifier",
            AnyModel::ProcessReward(_) => "process_reward",
            AnyModel::Embedder(_) => "embedding",
        }
    }
}

/// The routes of the vLLM-compatible API for `model`.
pub fn router(model: Arc<ServedModel>) -> Router {
    Router::new()
        .route("/classify", post(classify))
        .route("/pooling", post(pooling))
        .route("/v1/embeddings", post(embeddings))
        .route("/score", post(score))
        .route("/rerank", post(rerank))
        .route("/v1/rerank", post(rerank))
        .route("/v2/rerank", post(rerank))
        .route("/v1/models", get(models))
        .route("/health", get(|| async { StatusCode::OK }))
        .layer(DefaultBodyLimit::max(16 << 20))
        .with_state(model)
}

/// Serves `model` alone on `addr` until SIGINT/SIGTERM (the `assay serve --model PATH` of a
/// server without graders). Blocks; starts its own tokio runtime.
pub fn run(addr: SocketAddr, model: ServedModel) -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        tracing::info!(
            "assay serve: listening on http://{} (model {:?}, {}; POST /classify /pooling /score /rerank /v1/embeddings)",
            listener.local_addr()?,
            model.name,
            model.kind()
        );
        let app = router(Arc::new(model));
        // The scoring server's connection loop: slow clients are cut off the same way.
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        tokio::spawn(async move {
            let signal = crate::shutdown_signal().await;
            tracing::info!("assay serve: {signal}: finishing in-flight requests, then stopping");
            let _ = stop_tx.send(true);
        });
        let limits = crate::Limits::default();
        crate::serve_connections(
            listener,
            app,
            limits.body_timeout,
            limits.max_connections,
            stop_rx,
        )
        .await
    })
}

struct ApiError(StatusCode, String);

impl ApiError {
    fn bad(message: impl Into<String>) -> Self {
        ApiError(StatusCode::BAD_REQUEST, message.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let kind = match self.0 {
            StatusCode::NOT_FOUND => "NotFoundError",
            StatusCode::BAD_REQUEST => "BadRequestError",
            _ => "InternalServerError",
        };
        let body = json!({"error": {"message": self.1, "type": kind, "code": self.0.as_u16()}});
        json_response(self.0, body)
    }
}

fn json_response(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        Body::from(body.to_string()),
    )
        .into_response()
}

type ApiResult = Result<Response, ApiError>;

fn parse(body: &Bytes) -> Result<Map<String, Value>, ApiError> {
    match serde_json::from_slice::<Value>(body) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::bad("the request body must be a JSON object")),
        Err(e) => Err(ApiError::bad(format!("the request body is not JSON: {e}"))),
    }
}

fn check_model(served: &ServedModel, request: &Map<String, Value>) -> Result<(), ApiError> {
    match request.get("model") {
        Some(Value::String(m)) if m != &served.name => Err(ApiError(
            StatusCode::NOT_FOUND,
            format!(
                "The model `{m}` does not exist (this server serves `{}`).",
                served.name
            ),
        )),
        _ => Ok(()),
    }
}

fn texts(value: Option<&Value>, field: &str) -> Result<Vec<String>, ApiError> {
    match value {
        Some(Value::String(s)) => Ok(vec![s.clone()]),
        Some(Value::Array(items)) if !items.is_empty() => items
            .iter()
            .map(|v| match v {
                Value::String(s) => Ok(s.clone()),
                Value::Number(_) | Value::Array(_) => Err(ApiError::bad(format!(
                    "`{field}`: token-id inputs are not supported; send text"
                ))),
                _ => Err(ApiError::bad(format!(
                    "`{field}` must be a string or a list of strings"
                ))),
            })
            .collect(),
        Some(_) => Err(ApiError::bad(format!(
            "`{field}` must be a string or a non-empty list of strings"
        ))),
        None => Err(ApiError::bad(format!("`{field}` is required"))),
    }
}

/// Inputs of a completion-style (`input`) or chat-style (`messages`) request.
fn inputs(request: &Map<String, Value>) -> Result<Vec<Input>, ApiError> {
    if let Some(messages) = request.get("messages") {
        let list = messages
            .as_array()
            .filter(|m| !m.is_empty())
            .ok_or_else(|| ApiError::bad("`messages` must be a non-empty list of messages"))?;
        return Ok(vec![Input::Chat(list.clone())]);
    }
    Ok(texts(request.get("input"), "input")?
        .into_iter()
        .map(Input::Text)
        .collect())
}

fn run_options(served: &ServedModel, request: &Map<String, Value>) -> Result<RunOptions, ApiError> {
    let mut run = RunOptions {
        no_truncation: true,
        ..RunOptions::default()
    };
    match request.get("truncate_prompt_tokens") {
        None | Some(Value::Null) => {}
        Some(v) => match v.as_i64() {
            Some(-1) => {
                run.no_truncation = false;
                run.truncation_side = Some(Side::Left);
            }
            Some(n) if n > 0 => {
                run.no_truncation = false;
                run.max_length = Some(n as usize);
                run.truncation_side = Some(Side::Left);
            }
            _ => {
                return Err(ApiError::bad(
                    "`truncate_prompt_tokens` must be -1 or a positive integer",
                ))
            }
        },
    }
    if let Some(kwargs) = request
        .get("chat_template_kwargs")
        .and_then(Value::as_object)
    {
        run.template_kwargs = kwargs.clone();
    }
    let _ = served;
    Ok(run)
}

fn use_activation(request: &Map<String, Value>, default: bool) -> bool {
    ["use_activation", "activation", "softmax", "normalize"]
        .iter()
        .find_map(|k| request.get(*k).and_then(Value::as_bool))
        .unwrap_or(default)
}

fn envelope(prefix: &str, served: &ServedModel, data: Vec<Value>, tokens: usize) -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    json!({
        "id": format!("{prefix}-{:x}{:08x}", now.as_nanos(), std::process::id()),
        "object": "list",
        "created": now.as_secs(),
        "model": served.name,
        "data": data,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens, "completion_tokens": 0, "prompt_tokens_details": null},
    })
}

/// Runs `f` on a blocking thread, one call per model at a time.
async fn blocking<T: Send + 'static>(
    served: &Arc<ServedModel>,
    f: impl FnOnce(&ServedModel) -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    let _permit = served
        .gate
        .acquire()
        .await
        .map_err(|_| ApiError(StatusCode::SERVICE_UNAVAILABLE, "shutting down".into()))?;
    let model = Arc::clone(served);
    tokio::task::spawn_blocking(move || f(&model))
        .await
        .map_err(|e| {
            ApiError(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the model failed: {e}"),
            )
        })?
}

fn input_error(index: usize, e: &assay::inference::InferenceError) -> ApiError {
    use assay::inference::InferenceError as E;
    match e {
        E::TooLong { tokens, max_length } => ApiError::bad(format!(
            "This model's maximum context length is {max_length} tokens. However, input {index} has {tokens} tokens. Shorten it or set truncate_prompt_tokens."
        )),
        E::Template(_) | E::Tokenize(_) | E::BadInput(_) => ApiError::bad(format!("input {index}: {e}")),
        other => ApiError(StatusCode::INTERNAL_SERVER_ERROR, format!("input {index}: {other}")),
    }
}

/// Logits (classifier) or embeddings (embedder) of `inputs`, and the tokens read.
fn forward(
    served: &ServedModel,
    inputs: &[Input],
    run: &RunOptions,
) -> Result<(Vec<Vec<f32>>, usize), ApiError> {
    let results = match &served.model {
        AnyModel::Classifier(m) => m.score_each(inputs, run),
        AnyModel::Embedder(m) => m.embed_each(inputs, run),
        AnyModel::ProcessReward(_) => {
            return Err(ApiError::bad("this endpoint needs a classifier or an embedding model; a process reward model serves /pooling"))
        }
    };
    let mut rows = Vec::with_capacity(results.len());
    let mut tokens = 0;
    for (i, r) in results.into_iter().enumerate() {
        let scored = r.map_err(|e| input_error(i, &e))?;
        tokens += scored.tokens;
        rows.push(scored.values);
    }
    Ok((rows, tokens))
}

async fn classify(State(served): State<Arc<ServedModel>>, body: Bytes) -> ApiResult {
    let request = parse(&body)?;
    check_model(&served, &request)?;
    let AnyModel::Classifier(classifier) = &served.model else {
        return Err(ApiError::bad(
            "/classify needs a classification model (this one is not)",
        ));
    };
    let inputs = inputs(&request)?;
    let run = run_options(&served, &request)?;
    let labels = classifier.labels();
    let activation = if use_activation(&request, true) {
        classifier.activation()
    } else {
        OutputActivation::Identity
    };
    let (rows, tokens) = blocking(&served, move |s| forward(s, &inputs, &run)).await?;
    let data: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(i, logits)| {
            let probs = activation.apply(logits);
            let best = probs.iter().enumerate().fold(0, |b, (j, p)| if *p > probs[b] { j } else { b });
            json!({"index": i, "label": labels.get(best), "probs": probs, "num_classes": probs.len()})
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        envelope("classify", &served, data, tokens),
    ))
}

async fn pooling(State(served): State<Arc<ServedModel>>, body: Bytes) -> ApiResult {
    let request = parse(&body)?;
    check_model(&served, &request)?;
    let inputs = inputs(&request)?;
    let run = run_options(&served, &request)?;
    let activate = use_activation(&request, false);
    let (data, tokens) = blocking(&served, move |s| {
        let mut data = Vec::new();
        let mut tokens = 0;
        match &s.model {
            AnyModel::ProcessReward(prm) => {
                for (i, r) in prm.score_each(&inputs, &run).into_iter().enumerate() {
                    let steps = r.map_err(|e| input_error(i, &e))?;
                    tokens += steps.tokens;
                    let probs: Vec<Vec<f32>> = steps
                        .logits
                        .iter()
                        .map(|l| {
                            if l.len() == 1 {
                                OutputActivation::Sigmoid.apply(l)
                            } else {
                                OutputActivation::Softmax.apply(l)
                            }
                        })
                        .collect();
                    data.push(json!({"index": i, "object": "pooling", "data": probs}));
                }
            }
            AnyModel::Classifier(c) => {
                let activation = if activate {
                    c.activation()
                } else {
                    OutputActivation::Identity
                };
                let (rows, t) = forward(s, &inputs, &run)?;
                tokens = t;
                for (i, row) in rows.iter().enumerate() {
                    data.push(
                        json!({"index": i, "object": "pooling", "data": activation.apply(row)}),
                    );
                }
            }
            AnyModel::Embedder(_) => {
                let (rows, t) = forward(s, &inputs, &run)?;
                tokens = t;
                for (i, row) in rows.into_iter().enumerate() {
                    data.push(json!({"index": i, "object": "pooling", "data": row}));
                }
            }
        }
        Ok((data, tokens))
    })
    .await?;
    Ok(json_response(
        StatusCode::OK,
        envelope("pool", &served, data, tokens),
    ))
}

fn base64_f32(values: &[f32]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for k in 0..4 {
            if k <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * k) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

async fn embeddings(State(served): State<Arc<ServedModel>>, body: Bytes) -> ApiResult {
    let request = parse(&body)?;
    check_model(&served, &request)?;
    if !matches!(served.model, AnyModel::Embedder(_)) {
        return Err(ApiError::bad(
            "/v1/embeddings needs an embedding model (this one is not)",
        ));
    }
    let base64 = match request.get("encoding_format").and_then(Value::as_str) {
        None | Some("float") => false,
        Some("base64") => true,
        Some(other) => {
            return Err(ApiError::bad(format!(
                "encoding_format {other:?}: use \"float\" or \"base64\""
            )))
        }
    };
    let inputs = inputs(&request)?;
    let run = run_options(&served, &request)?;
    let (rows, tokens) = blocking(&served, move |s| forward(s, &inputs, &run)).await?;
    if let Some(d) = request.get("dimensions").and_then(Value::as_u64) {
        if rows.first().is_some_and(|r| r.len() as u64 != d) {
            return Err(ApiError::bad(format!(
                "dimensions {d}: this model gives {} dimensions and does not support others",
                rows[0].len()
            )));
        }
    }
    let data: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let embedding = if base64 {
                json!(base64_f32(e))
            } else {
                json!(e)
            };
            json!({"index": i, "object": "embedding", "embedding": embedding})
        })
        .collect();
    Ok(json_response(
        StatusCode::OK,
        envelope("embd", &served, data, tokens),
    ))
}

/// Scores of pairs: a cross-encoder's activated first label, or the cosine similarity of an
/// embedder's embeddings.
fn pair_scores(
    served: &ServedModel,
    pairs: &[(String, String)],
    run: &RunOptions,
) -> Result<(Vec<f32>, usize), ApiError> {
    match &served.model {
        AnyModel::Classifier(c) if !c.is_decoder() => {
            let inputs: Vec<Input> = pairs
                .iter()
                .map(|(a, b)| Input::Pair(a.clone(), b.clone()))
                .collect();
            let (rows, tokens) = forward(served, &inputs, run)?;
            let activation = c.activation();
            Ok((
                rows.iter().map(|r| activation.apply(r)[0]).collect(),
                tokens,
            ))
        }
        AnyModel::Embedder(_) => {
            let mut inputs = Vec::with_capacity(pairs.len() * 2);
            for (a, b) in pairs {
                inputs.push(Input::Text(a.clone()));
                inputs.push(Input::Text(b.clone()));
            }
            let (rows, tokens) = forward(served, &inputs, run)?;
            let scores = rows
                .chunks(2)
                .map(|p| {
                    let dot: f32 = p[0].iter().zip(&p[1]).map(|(x, y)| x * y).sum();
                    let norm = |v: &[f32]| v.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
                    dot / (norm(&p[0]) * norm(&p[1]))
                })
                .collect();
            Ok((scores, tokens))
        }
        _ => Err(ApiError::bad(
            "scoring pairs needs a cross-encoder (BERT-family classifier) or an embedding model",
        )),
    }
}

async fn score(State(served): State<Arc<ServedModel>>, body: Bytes) -> ApiResult {
    let request = parse(&body)?;
    check_model(&served, &request)?;
    let (first, second) = [
        ("text_1", "text_2"),
        ("queries", "documents"),
        ("queries", "items"),
        ("data_1", "data_2"),
    ]
    .into_iter()
    .find(|(a, b)| request.contains_key(*a) && request.contains_key(*b))
    .ok_or_else(|| ApiError::bad("send `text_1` and `text_2` (or `queries` and `documents`)"))?;
    let a = texts(request.get(first), first)?;
    let b = texts(request.get(second), second)?;
    let pairs: Vec<(String, String)> = if a.len() == 1 {
        b.iter().map(|d| (a[0].clone(), d.clone())).collect()
    } else if a.len() == b.len() {
        a.into_iter().zip(b).collect()
    } else {
        return Err(ApiError::bad(format!(
            "`{first}` must have one entry or as many as `{second}`"
        )));
    };
    let run = run_options(&served, &request)?;
    let (scores, tokens) = blocking(&served, move |s| pair_scores(s, &pairs, &run)).await?;
    let data = scores
        .iter()
        .enumerate()
        .map(|(i, s)| json!({"index": i, "object": "score", "score": s}))
        .collect();
    Ok(json_response(
        StatusCode::OK,
        envelope("score", &served, data, tokens),
    ))
}

async fn rerank(State(served): State<Arc<ServedModel>>, body: Bytes) -> ApiResult {
    let request = parse(&body)?;
    check_model(&served, &request)?;
    let query = match request.get("query") {
        Some(Value::String(q)) => q.clone(),
        _ => return Err(ApiError::bad("`query` must be a string")),
    };
    let documents = texts(request.get("documents"), "documents")?;
    let top_n = request.get("top_n").and_then(Value::as_u64).unwrap_or(0) as usize;
    let pairs: Vec<(String, String)> = documents
        .iter()
        .map(|d| (query.clone(), d.clone()))
        .collect();
    let run = run_options(&served, &request)?;
    let (scores, tokens) = blocking(&served, move |s| pair_scores(s, &pairs, &run)).await?;
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&i, &j| scores[j].total_cmp(&scores[i]));
    if top_n > 0 {
        order.truncate(top_n);
    }
    let results: Vec<Value> = order
        .into_iter()
        .map(|i| json!({"index": i, "document": {"text": documents[i]}, "relevance_score": scores[i]}))
        .collect();
    let mut body = envelope("rerank", &served, Vec::new(), tokens);
    if let Value::Object(map) = &mut body {
        map.remove("data");
        map.remove("object");
        map.remove("created");
        map.insert("results".into(), Value::Array(results));
        map.insert(
            "usage".into(),
            json!({"prompt_tokens": tokens, "total_tokens": tokens}),
        );
    }
    Ok(json_response(StatusCode::OK, body))
}

async fn models(State(served): State<Arc<ServedModel>>) -> Response {
    let created = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_secs();
    json_response(
        StatusCode::OK,
        json!({"object": "list", "data": [{
            "id": served.name, "object": "model", "created": created, "owned_by": "assay",
            "root": served.name, "max_model_len": served.max_length,
        }]}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_standard_encoding() {
        // 1.0f32 little-endian is 00 00 80 3f; two values make 8 bytes.
        assert_eq!(base64_f32(&[1.0]), "AACAPw==");
        assert_eq!(base64_f32(&[1.0, -2.0]), "AACAPwAAAMA=");
        assert_eq!(base64_f32(&[]), "");
    }
}

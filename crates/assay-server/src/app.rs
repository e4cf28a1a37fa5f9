//! The router, its shared state and the handlers.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use assay::{Engine, OnError, ScoreRequest, Scored, Target};
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use serde_json::{json, Value};
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::timeout::{RequestBodyTimeoutLayer, TimeoutError};
use tower_http::trace::TraceLayer;

use crate::admission::{Admission, AdmissionLayer};
use crate::config::ServerConfig;
use crate::error::{retry_after_secs, ApiError, RejectKind};
use crate::inline::{self, Lru};
use crate::metrics::{GraderLabel, Metrics};
use crate::openrlhf;
use crate::score::{self, GraderSpec};

/// The endpoints, for the metrics' `endpoint` label and the 404 message.
const ENDPOINTS: [&str; 6] = [
    "/v1/score",
    "/get_reward",
    "/v1/graders",
    "/healthz",
    "/readyz",
    "/metrics",
];

/// What every handler shares.
pub(crate) struct AppState {
    pub config: ServerConfig,
    pub admission: Arc<Admission>,
    pub metrics: Metrics,
    inline_cache: Lru,
    grader_names: HashSet<String>,
    graders_doc: String,
    /// The get_reward target, or why there is none.
    get_reward_target: Result<Option<String>, String>,
}

impl AppState {
    pub fn new(config: ServerConfig) -> Arc<Self> {
        let engine = &config.engine;
        let grader_names = engine
            .grader_names()
            .into_iter()
            .map(String::from)
            .collect();
        let get_reward_target = match &config.get_reward.grader {
            _ if !config.get_reward.enabled => Err("/get_reward is not served: the server \
                 was started with --no-get-reward; restart it without that flag (and with a \
                 \"*\" route or --get-reward-grader NAME) to serve OpenRLHF"
                .to_string()),
            Some(name) => Ok(Some(name.clone())),
            None => match engine.route(None) {
                Ok(_) => Ok(None),
                Err(e) => Err(format!(
                    "/get_reward has no grader: {}; or start the server with \
                     --get-reward-grader NAME",
                    e.message
                )),
            },
        };
        let graders_doc = graders_doc(&config, &get_reward_target);
        Arc::new(AppState {
            admission: Arc::new(Admission::new(config.limits.clone())),
            metrics: Metrics::new(),
            inline_cache: Lru::new(config.inline_cache_size),
            grader_names,
            graders_doc,
            get_reward_target,
            config,
        })
    }
}

fn graders_doc(config: &ServerConfig, get_reward: &Result<Option<String>, String>) -> String {
    let engine = &config.engine;
    let graders: Vec<Value> = engine
        .grader_names()
        .into_iter()
        .map(|name| {
            let components = engine
                .component_keys(Target::Grader(name))
                .map(<[String]>::to_vec)
                .unwrap_or_default();
            json!({"name": name, "components": components})
        })
        .collect();
    let kinds: Vec<Value> = config
        .registry
        .kinds()
        .map(|k| serde_json::to_value(&k.info).unwrap_or(Value::Null))
        .collect();
    let l = &config.limits;
    let get_reward = match get_reward {
        Ok(Some(name)) => json!(name),
        Ok(None) => json!(engine.route(None).ok()),
        Err(_) => Value::Null,
    };
    json!({
        "graders": graders,
        "default_route": engine.route(None).ok(),
        "get_reward": {
            "grader": get_reward,
            "failure_reward": config.get_reward.failure_reward,
            "strip_tokens": config.get_reward.strip_tokens,
        },
        "inline_graders": config.allow_inline,
        "inline_max_timeout_ms": config.inline_max_timeout_ms,
        "limits": {
            "max_body_bytes": l.max_body_bytes,
            "max_items": l.max_items,
            "max_concurrent": l.max_concurrent,
            "max_queue": l.max_queue,
            "max_inflight_bytes": l.max_inflight_bytes,
            "max_connections": l.max_connections,
            "queue_timeout_s": l.queue_timeout.as_secs_f64(),
        },
        "kinds": kinds,
    })
    .to_string()
}

/// The router over `state`. Its plumbing is tower middleware, outermost first: a request id
/// (`x-request-id`, made when the client sent none, echoed in the response), a `tracing` span
/// per request carrying it (the engine's spans nest inside, down to each batch), the metrics,
/// panic catching (a 500 with a JSON body, the server stays up); then, on the scoring routes
/// only, admission (429/503 before the body is read), the body's time limit and its size limit.
pub(crate) fn router(state: Arc<AppState>) -> Router {
    let limits = state.admission.limits().clone();
    let scoring = Router::new()
        .route("/v1/score", post(score))
        .route("/get_reward", post(get_reward))
        .layer(
            ServiceBuilder::new()
                .layer(AdmissionLayer(Arc::clone(&state.admission)))
                .map_response(IntoResponse::into_response)
                .layer(RequestBodyTimeoutLayer::new(limits.body_timeout))
                .layer(RequestBodyLimitLayer::new(limits.max_body_bytes)),
        );
    Router::new()
        .merge(scoring)
        .route("/v1/graders", get(graders))
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(
            ServiceBuilder::new()
                .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
                .layer(PropagateRequestIdLayer::x_request_id())
                .layer(TraceLayer::new_for_http().make_span_with(request_span))
                .layer(middleware::from_fn_with_state(Arc::clone(&state), track))
                .layer(CatchPanicLayer::custom(panic_response)),
        )
        .with_state(state)
}

/// The span of one request: method, path and request id; the engine's spans nest inside.
fn request_span(request: &axum::http::Request<Body>) -> tracing::Span {
    let id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id = %id,
    )
}

/// A handler panic becomes a 500 with a JSON body; the server keeps serving.
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    let message = assay::Panicked::from(panic).message();
    tracing::error!(%message, "a request handler panicked");
    internal(message).into_response()
}

fn json_response(status: StatusCode, body: impl Into<Body>) -> Response {
    (
        status,
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body.into(),
    )
        .into_response()
}

/// Records every request in the metrics.
async fn track(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let path = req.uri().path();
    let endpoint = ENDPOINTS
        .iter()
        .copied()
        .find(|e| *e == path)
        .unwrap_or("other");
    let started = Instant::now();
    let response = next.run(req).await;
    let grader = response
        .extensions()
        .get::<GraderLabel>()
        .and_then(|g| g.0.as_deref())
        .unwrap_or("none");
    let rejected = response.extensions().get::<RejectKind>().map(|k| k.0);
    state.metrics.request(
        endpoint,
        grader,
        response.status().as_u16(),
        started.elapsed(),
        rejected,
    );
    response
}

async fn not_found(req: Request) -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        "not_found",
        format!(
            "no endpoint {} {}; the endpoints are POST /v1/score, POST /get_reward, GET \
             /v1/graders, GET /healthz, GET /readyz, GET /metrics",
            req.method(),
            req.uri().path()
        ),
    )
}

async fn method_not_allowed(req: Request) -> ApiError {
    let method = match req.uri().path() {
        "/v1/score" | "/get_reward" => "POST",
        _ => "GET",
    };
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!(
            "{} does not take {}; use {method}",
            req.uri().path(),
            req.method()
        ),
    )
}

async fn healthz() -> Response {
    json_response(StatusCode::OK, r#"{"status":"ok"}"#)
}

async fn readyz(State(state): State<Arc<AppState>>) -> Response {
    let a = &state.admission;
    let g = a.gauges();
    let (status, word) = if a.is_draining() {
        (StatusCode::SERVICE_UNAVAILABLE, "draining")
    } else if a.is_full() {
        (StatusCode::SERVICE_UNAVAILABLE, "overloaded")
    } else {
        (StatusCode::OK, "ready")
    };
    let mut response = json_response(
        status,
        json!({"status": word, "queue_depth": g.queue_depth, "in_flight": g.in_flight}).to_string(),
    );
    if status != StatusCode::OK {
        response.headers_mut().insert(
            header::RETRY_AFTER,
            HeaderValue::from(retry_after_secs(a.limits().retry_after)),
        );
    }
    response
}

async fn graders(State(state): State<Arc<AppState>>) -> Response {
    json_response(StatusCode::OK, state.graders_doc.clone())
}

async fn metrics(State(state): State<Arc<AppState>>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        state.metrics.render(state.admission.gauges()),
    )
        .into_response()
}

/// Bodies and batches above these sizes are parsed and written on tokio's blocking pool, so
/// that large JSON never stalls the runtime's workers.
const LARGE_BODY: usize = 256 << 10;
const LARGE_BATCH: usize = 512;

/// Inline configurations longer than this (canonical JSON) are not cached, so the cache holds
/// at most `inline_cache_size` × 64 KiB of configuration text.
const MAX_CACHED_CONFIG: usize = 64 << 10;

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "internal",
        format!("internal error: {e}"),
    )
}

/// Runs CPU work (JSON parsing and writing) off the async runtime when it is `large`.
async fn cpu<T: Send + 'static>(
    large: bool,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, ApiError> {
    if large {
        tokio::task::spawn_blocking(work).await.map_err(internal)
    } else {
        Ok(work())
    }
}

/// Reads the body of an admitted request within `limit` in all (a client sending one byte a
/// second never trips the layer's timeout, which restarts with every frame). The admission
/// and size limits are the router's layers; this turns their errors into what the client is
/// told.
async fn read_body(req: Request, limit: Duration) -> Result<Bytes, ApiError> {
    let body_timeout = || {
        ApiError::new(
            StatusCode::REQUEST_TIMEOUT,
            "body_timeout",
            "the request body did not arrive within this server's body timeout",
        )
    };
    let read = axum::body::to_bytes(req.into_body(), usize::MAX);
    let Ok(read) = tokio::time::timeout(limit, read).await else {
        return Err(body_timeout());
    };
    match read {
        Ok(bytes) => Ok(bytes),
        Err(e) => {
            let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(err) = cause {
                if let Some(limit) = err.downcast_ref::<http_body_util::LengthLimitError>() {
                    let _ = limit;
                    return Err(ApiError::too_large(
                        "body_too_large",
                        "the request body is over this server's limit (GET /v1/graders shows \
                         limits.max_body_bytes); split the items into smaller requests",
                    ));
                }
                if err.is::<TimeoutError>() {
                    return Err(body_timeout());
                }
                cause = err.source();
            }
            Err(ApiError::bad_request(
                "body_read",
                format!("the request body could not be read: {e}"),
            ))
        }
    }
}

/// Runs one scoring request through the engine's pipeline once a scoring slot is free. The
/// work belongs to the request: if the client goes away (this future is dropped), the request's
/// cancellation token fires and its outstanding work stops (sandboxed processes killed, remote
/// calls dropped).
async fn run_job(
    state: &AppState,
    engine: &Engine,
    request: ScoreRequest,
) -> Result<Scored, ApiError> {
    let _slot = state.admission.slot(request.inputs.len()).await?;
    let cancel = request.cancel.clone();
    let guard = cancel.cancel_on_drop();
    let scored = engine.score_request(request).await;
    guard.disarm();
    Ok(scored)
}

async fn score(State(state): State<Arc<AppState>>, req: Request) -> Response {
    match score_request(&state, req).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

/// The engine, target and metric label a request's `grader` names.
async fn resolve(
    state: &AppState,
    spec: GraderSpec,
) -> Result<(Arc<Engine>, Option<String>, String), ApiError> {
    match spec {
        GraderSpec::Routes => Ok((Arc::clone(&state.config.engine), None, "routes".into())),
        GraderSpec::Named(name) => {
            if let Err(e) = state.config.engine.component_keys(Target::Grader(&name)) {
                return Err(ApiError::bad_request(
                    "unknown_grader",
                    format!("{}; or send an inline configuration", e.message),
                )
                .with_grader(Some("unknown".into())));
            }
            Ok((Arc::clone(&state.config.engine), Some(name.clone()), name))
        }
        GraderSpec::Inline(map) => {
            let label = Some("inline".to_string());
            if !state.config.allow_inline {
                return Err(ApiError::bad_request(
                    "inline_disabled",
                    "this server does not take inline grader configurations; name one of \
                     its graders (GET /v1/graders)",
                )
                .with_grader(label));
            }
            let config = inline::inline_config(&map)
                .and_then(|c| {
                    inline::check_timeouts(&c, state.config.inline_max_timeout_ms).map(|()| c)
                })
                .map_err(|m| {
                    ApiError::bad_request("invalid_grader", m).with_grader(label.clone())
                })?;
            let key = inline::canonical_json(&config);
            if let Some(engine) = state.inline_cache.get(&key) {
                state.metrics.inline_cache(true);
                return Ok((engine, None, "inline".into()));
            }
            state.metrics.inline_cache(false);
            let registry = Arc::clone(&state.config.registry);
            let built = tokio::task::spawn_blocking(move || inline::build(&config, &registry))
                .await
                .map_err(|e| {
                    ApiError::new(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "internal",
                        format!("building the inline grader failed: {e}"),
                    )
                })?;
            match built {
                Ok(engine) => {
                    let engine = Arc::new(engine);
                    // Large configurations (embedded data) are built per request, not kept.
                    if key.len() <= MAX_CACHED_CONFIG {
                        state.inline_cache.insert(key, Arc::clone(&engine));
                    }
                    Ok((engine, None, "inline".into()))
                }
                Err(e) => {
                    let problems: Vec<Value> = e
                        .problems
                        .iter()
                        .map(|p| json!({"path": p.path, "message": p.message}))
                        .collect();
                    Err(ApiError::bad_request("invalid_grader", e.to_string())
                        .with_details("problems", Value::Array(problems))
                        .with_grader(label))
                }
            }
        }
    }
}

async fn score_request(state: &AppState, req: Request) -> Result<Response, ApiError> {
    let body = read_body(req, state.admission.limits().body_timeout).await?;
    let max_items = state.admission.limits().max_items;
    let request = cpu(body.len() > LARGE_BODY, move || {
        score::parse(score::parse_json(&body)?, max_items)
    })
    .await??;
    let (engine, target, label) = resolve(state, request.grader).await?;
    let job = ScoreRequest::new(request.items)
        .target(target)
        .on_error(request.on_error)
        .deadline(request.deadline)
        .advantage(request.advantage);
    let scored = run_job(state, &engine, job)
        .await
        .map_err(|e| e.with_grader(Some(label.clone())))?;
    state.metrics.items(&scored.results, |r| {
        if label == "inline" {
            &label
        } else {
            r.grader
                .as_deref()
                .filter(|g| state.grader_names.contains(*g))
                .unwrap_or(&label)
        }
    });
    let large = scored.results.len() > LARGE_BATCH;
    let body = cpu(large, move || serde_json::to_vec(&scored))
        .await?
        .map_err(internal)?;
    let mut response = json_response(StatusCode::OK, body);
    response.extensions_mut().insert(GraderLabel(Some(label)));
    Ok(response)
}

async fn get_reward(State(state): State<Arc<AppState>>, req: Request) -> Response {
    match get_reward_request(&state, req).await {
        Ok(response) => response,
        Err(e) => e.into_response(),
    }
}

async fn get_reward_request(state: &AppState, req: Request) -> Result<Response, ApiError> {
    let target = state
        .get_reward_target
        .clone()
        .map_err(|message| ApiError::new(StatusCode::NOT_FOUND, "no_get_reward_grader", message))?;
    let label = target.clone().unwrap_or_else(|| "routes".into());
    let body = read_body(req, state.admission.limits().body_timeout)
        .await
        .map_err(|e| e.with_grader(Some(label.clone())))?;
    let cfg = &state.config.get_reward;
    let max_items = state.admission.limits().max_items;
    let strip_tokens = cfg.strip_tokens.clone();
    let request = cpu(body.len() > LARGE_BODY, move || {
        openrlhf::parse(score::parse_json(&body)?, max_items, &strip_tokens)
    })
    .await
    .and_then(|parsed| parsed)
    .map_err(|e| e.with_grader(Some(label.clone())))?;
    let on_error = cfg.failure_reward.map(OnError::Value);
    let job = ScoreRequest::new(request.inputs)
        .target(target)
        .on_error(on_error);
    let results = run_job(state, &state.config.engine, job)
        .await
        .map_err(|e| e.with_grader(Some(label.clone())))?
        .results;
    state.metrics.items(&results, |r| {
        r.grader
            .as_deref()
            .filter(|g| state.grader_names.contains(*g))
            .unwrap_or(&label)
    });
    let failure_reward = cfg.failure_reward.unwrap_or(0.0);
    let prompt_found = request.prompt_found;
    let body = cpu(results.len() > LARGE_BATCH, move || {
        openrlhf::respond(&results, &prompt_found, failure_reward).to_string()
    })
    .await?;
    let mut response = json_response(StatusCode::OK, body);
    response.extensions_mut().insert(GraderLabel(Some(label)));
    Ok(response)
}

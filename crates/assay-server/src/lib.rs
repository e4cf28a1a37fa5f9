//! `assay serve`: Assay's graders over HTTP, with explicit backpressure and graceful shutdown.
//!
//! # Endpoints
//!
//! | endpoint | what |
//! |---|---|
//! | `POST /v1/score` | `{"grader": NAME \| {inline config}, "items": [...], "on_error"?: "null" \| "zero" \| number}` → `{"results": [...]}`, one result per item, in order |
//! | `POST /get_reward` | OpenRLHF's remote reward: `{"query", "prompts", "labels"}` → `{"rewards", "scores", "extra_logs", "failures"}` (see [`openrlhf`]) |
//! | `GET /v1/graders` | the server's graders and their component keys, the `/get_reward` settings, the limits, and every kind with its option docs |
//! | `GET /healthz` | 200 while the process serves |
//! | `GET /readyz` | 200 when it takes work; 503 with `Retry-After` while draining or full |
//! | `GET /metrics` | Prometheus text (see [`metrics`](crate#metrics)) |
//!
//! `grader` in a score request is the name of a grader of the server's configuration, an
//! inline configuration (one grader, `{"kind": "string_check", "operation": "eq"}`, or a whole
//! configuration, `{"graders": {...}, "routes": [...]}`; built once and kept in an LRU cache
//! keyed by its canonical JSON when under 64 KiB), or absent: each item then goes where its `data_source` routes
//! it. An inline configuration's `timeout_ms` may not exceed
//! [`ServerConfig::inline_max_timeout_ms`] (60 s by default). Items are parsed one by one: a bad item gets an `error` result (`malformed_input`) and
//! its neighbours are scored. Per-item deadlines are the configuration's `timeout_ms`.
//!
//! # Errors
//!
//! A request that fails as a whole gets `{"error": {"type": ..., "message": "what to fix"}}`:
//!
//! | status | type | when |
//! |---|---|---|
//! | 400 | `invalid_json`, `invalid_request` | the body is not JSON, or a field has the wrong type, or an unknown key |
//! | 400 | `unknown_grader`, `invalid_grader`, `inline_disabled` | `grader` names no configured grader; an inline configuration has problems (all listed under `problems`); inline graders are off |
//! | 404, 405 | `not_found`, `method_not_allowed` | wrong path or method |
//! | 404 | `no_get_reward_grader` | `/get_reward` on a server started with `--no-get-reward` (without it, a server with no grader for `/get_reward` refuses to start and says how to add one) |
//! | 408 | `body_timeout` | the body did not arrive in time |
//! | 413 | `body_too_large`, `batch_too_large` | over `max_body_bytes` or `max_items`: split the batch |
//! | 429 | `queue_full`, `memory_full` | too many requests admitted, or too many body bytes held; `Retry-After` |
//! | 503 | `queue_timeout`, `draining` | no scoring slot within `queue_timeout`; shutting down; `Retry-After` |
//!
//! # Backpressure
//!
//! See [`Limits`]: a request is admitted before its body is read (bounded count and bytes),
//! then waits first-come-first-served for one of `max_concurrent` scoring slots; scoring runs
//! on the engine's rayon pool (`Engine::score_request`), except batches expected to take less
//! than the hop there and back (under 50 µs, short texts), which the request's own task
//! grades. Nothing grows without bound.
//!
//! # Shutdown
//!
//! When the shutdown future resolves (SIGINT or SIGTERM under [`run`]), the server stops
//! accepting connections, answers new requests on open connections with 503 `draining`,
//! finishes every in-flight request, and returns `Ok(())` (the CLI then exits 0), or
//! [`ServerError::DrainTimeout`] after `shutdown_grace`.
//!
//! # Metrics
//!
//! | metric | type | labels |
//! |---|---|---|
//! | `assay_http_requests_total` | counter | `endpoint`, `grader`, `code` |
//! | `assay_http_request_duration_seconds` | histogram | `endpoint` |
//! | `assay_items_total` | counter | `grader`, `status` |
//! | `assay_item_duration_seconds` | histogram | `grader` |
//! | `assay_rejected_total` | counter | `reason` (the error `type`) |
//! | `assay_inline_cache_total` | counter | `result` (`hit`, `miss`) |
//! | `assay_queue_depth`, `assay_in_flight`, `assay_in_flight_items`, `assay_inflight_body_bytes`, `assay_uptime_seconds` | gauge | |
//!
//! The `grader` label is a configured grader's name, `routes`, `inline`, `unknown` or `none`;
//! strings from requests never become labels.
//!
//! # Calling it from the CLI
//!
//! `assay serve` flattens [`ServeArgs`] into its subcommand beside its own `--config` /
//! `--grader` / `--set` flags ([`ServeArgs`] adds `--addr`, the limits, the `/get_reward`
//! settings and `--no-inline`), builds the engine as `assay score` does, and calls [`run`]:
//!
//! ```no_run
//! # struct GraderSource;
//! # impl GraderSource { fn build(&self) -> Result<assay::Engine, String> { unimplemented!() } }
//! # let source = GraderSource;
//! # let server: assay_server::ServeArgs = unimplemented!();
//! // In crates/assay-cli/src/main.rs:
//! //   enum Command { …, /// Serve the graders over HTTP.
//! //                     Serve(ServeCommand) }
//! //   #[derive(Debug, clap::Args)]
//! //   struct ServeCommand {
//! //       #[command(flatten)] source: GraderSource,
//! //       #[command(flatten)] server: assay_server::ServeArgs,
//! //   }
//! let engine = source.build()?; // --config FILE, or --grader KIND --set k=v
//! // Every problem listed at once; a usage error (exit 2).
//! let config = server.into_config(engine).map_err(|e| e.to_string())?;
//! match assay_server::run(config) {
//!     Ok(()) => {} // SIGINT/SIGTERM received and in-flight requests finished: exit 0
//!     Err(e @ assay_server::ServerError::Config(_)) => return Err(e.to_string()), // exit 2
//!     Err(e) => return Err(e.to_string()), // bind failure, drain timeout …: exit 1
//! }
//! # Ok::<(), String>(())
//! ```
//!
//! [`run`] starts its own tokio runtime (at most 4 worker threads: scoring runs on rayon's
//! global pool, which the CLI's `--threads` sizes if it builds that pool first), logs
//! `assay serve: listening on http://ADDR …` (through `tracing`: the CLI prints it on stderr)
//! once bound, and a line when a signal starts the drain. `ServerError`'s `Display` is the message to print.
//!
//! Embedding in an async program, or testing: [`serve`] takes a bound listener and a shutdown
//! future; [`router`] gives the `axum::Router` alone.

mod admission;
mod app;
mod config;
mod error;
mod inline;
mod metrics;
#[cfg(feature = "models")]
pub mod model_api;
pub mod openrlhf;
mod score;

use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The router type of [`serve_with`]'s extra routes.
pub use axum::Router;
pub use config::{
    GetRewardConfig, Limits, ServeArgs, ServerConfig, ServerError, DEFAULT_STRIP_TOKENS,
};
use tokio::net::TcpListener;

/// The HTTP router of a server with `config` (validated), for embedding or tests. It never
/// drains; use [`serve`] for graceful shutdown.
pub fn router(config: ServerConfig) -> Result<axum::Router, ServerError> {
    config.validate()?;
    Ok(app::router(app::AppState::new(config)))
}

/// Serves on `listener` until `shutdown` resolves, then drains: stops accepting, answers new
/// requests on open connections with 503, finishes in-flight requests (up to
/// `limits.shutdown_grace`) and returns.
pub async fn serve<F>(
    listener: TcpListener,
    config: ServerConfig,
    shutdown: F,
) -> Result<(), ServerError>
where
    F: Future<Output = ()> + Send + 'static,
{
    serve_with(listener, config, axum::Router::new(), shutdown).await
}

/// [`serve`] with `extra` routes beside the graders' (e.g. [`model_api::router`]).
pub async fn serve_with<F>(
    listener: TcpListener,
    config: ServerConfig,
    extra: axum::Router,
    shutdown: F,
) -> Result<(), ServerError>
where
    F: Future<Output = ()> + Send + 'static,
{
    config.validate()?;
    let grace = config.limits.shutdown_grace;
    let state = app::AppState::new(config);
    let app = extra.merge(app::router(std::sync::Arc::clone(&state)));
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    let limits = state.admission.limits();
    let server = serve_connections(
        listener,
        app,
        limits.body_timeout,
        limits.max_connections,
        stop_rx,
    );
    tokio::pin!(server);
    tokio::select! {
        result = &mut server => return result.map_err(ServerError::Io),
        () = shutdown => {}
    }
    state.admission.drain();
    let _ = stop_tx.send(true);
    let deadline = Instant::now() + grace;
    let drain_timeout = || ServerError::DrainTimeout {
        grace,
        in_flight: state.admission.admitted(),
    };
    match tokio::time::timeout_at(deadline.into(), &mut server).await {
        Ok(result) => result.map_err(ServerError::Io)?,
        Err(_) => return Err(drain_timeout()),
    }
    // Jobs whose clients went away still hold their slots until the engine is done with them.
    while state.admission.admitted() > 0 {
        if Instant::now() >= deadline {
            return Err(drain_timeout());
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    Ok(())
}

/// Accepts connections and serves `app` on each (HTTP/1.1) until `stop` turns true, then stops
/// accepting and lets every open connection finish its request in flight (idle ones close).
/// A connection that spends `header_timeout` with no request in flight and no new one
/// received (a client trickling its head a byte at a time, or an idle keep-alive) is closed,
/// so slow clients cannot hold connections for ever; a request's body has its own limit. At
/// most `max_connections` are open at once: at the limit the loop stops accepting until one
/// closes.
async fn serve_connections(
    listener: TcpListener,
    app: axum::Router,
    header_timeout: Duration,
    max_connections: usize,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> std::io::Result<()> {
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let open = Arc::new(tokio::sync::Semaphore::new(max_connections.max(1)));
    loop {
        let permit = tokio::select! {
            permit = Arc::clone(&open).acquire_owned() => permit.expect("never closed"),
            () = async { drop(stop.wait_for(|stop| *stop).await) } => break,
        };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(connection) => connection,
                Err(error) => {
                    // Out of file descriptors and the like: wait a little rather than spin.
                    tracing::warn!(%error, "cannot accept a connection");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            // (The watch's borrow is dropped inside: it must not live across the loop.)
            () = async { drop(stop.wait_for(|stop| *stop).await) } => break,
        };
        let _ = stream.set_nodelay(true);
        let activity = Arc::new(Activity::new());
        let service = {
            let activity = Arc::clone(&activity);
            let app = app.clone();
            tower::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
                let activity = Arc::clone(&activity);
                activity.started();
                let response = tower::ServiceExt::oneshot(app.clone(), request);
                async move {
                    let response = response.await;
                    activity.finished();
                    response
                }
            })
        };
        let connection = hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(header_timeout)
            .serve_connection(
                hyper_util::rt::TokioIo::new(stream),
                hyper_util::service::TowerToHyperService::new(service),
            );
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            let _permit = permit;
            tokio::pin!(connection);
            loop {
                let check = tokio::time::sleep(header_timeout / 4);
                tokio::select! {
                    ended = &mut connection => {
                        if let Err(error) = ended {
                            tracing::debug!(%error, "connection ended with an error");
                        }
                        return;
                    }
                    () = check => {
                        if activity.idle_for() >= Some(header_timeout) {
                            // Dropping the connection closes its socket.
                            tracing::debug!("closing a connection idle or stuck in its head");
                            return;
                        }
                    }
                }
            }
        });
    }
    drop(listener);
    graceful.shutdown().await;
    Ok(())
}

/// What one connection is doing: requests in flight, and when the last one started or ended.
struct Activity {
    in_flight: AtomicUsize,
    last: Mutex<Instant>,
}

impl Activity {
    fn new() -> Self {
        Activity {
            in_flight: AtomicUsize::new(0),
            last: Mutex::new(Instant::now()),
        }
    }

    fn touch(&self) {
        *self.last.lock().unwrap_or_else(|p| p.into_inner()) = Instant::now();
    }

    fn started(&self) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        self.touch();
    }

    fn finished(&self) {
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        self.touch();
    }

    /// How long the connection has had no request in flight (`None` while one is).
    fn idle_for(&self) -> Option<Duration> {
        if self.in_flight.load(Ordering::SeqCst) > 0 {
            return None;
        }
        Some(
            self.last
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .elapsed(),
        )
    }
}

/// Runs a server on `config.addr` until SIGINT or SIGTERM, then drains and returns: the whole
/// of `assay serve` after its engine is built. Blocks; starts its own tokio runtime.
pub fn run(config: ServerConfig) -> Result<(), ServerError> {
    run_with(config, axum::Router::new())
}

/// [`run`] with `extra` routes beside the graders' (e.g. [`model_api::router`]).
pub fn run_with(config: ServerConfig, extra: axum::Router) -> Result<(), ServerError> {
    config.validate()?;
    let workers = std::thread::available_parallelism().map_or(2, |n| n.get().clamp(1, 4));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .thread_name("assay-http")
        .enable_all()
        .build()
        .map_err(ServerError::Io)?;
    runtime.block_on(async move {
        let addr = config.addr;
        let listener = TcpListener::bind(addr)
            .await
            .map_err(|error| ServerError::Bind { addr, error })?;
        let local = listener.local_addr().map_err(ServerError::Io)?;
        tracing::info!(
            "assay serve: listening on http://{local} (graders: {}; POST /v1/score, POST \
             /get_reward, GET /v1/graders /healthz /readyz /metrics)",
            config.engine.grader_names().join(", ")
        );
        let shutdown = async {
            let signal = shutdown_signal().await;
            tracing::info!("assay serve: {signal}: finishing in-flight requests, then stopping");
        };
        serve_with(listener, config, extra, shutdown).await?;
        tracing::info!("assay serve: stopped");
        Ok(())
    })
}

/// Resolves on the first SIGINT or SIGTERM, naming it.
async fn shutdown_signal() -> &'static str {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = term.recv() => "SIGTERM",
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
                "SIGINT"
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
        "Ctrl-C"
    }
}

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

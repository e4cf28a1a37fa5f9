//! What a server is started with: the engine, the limits that bound its work and memory, and
//! the settings of OpenRLHF's `/get_reward`. [`ServeArgs`] is the same as command-line flags.

use std::fmt;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use assay::{Engine, Registry, Target};

pub use assay::openrlhf::DEFAULT_STRIP_TOKENS;

/// Bounds on the work and memory of a server. Past them a request gets a 4xx that says what to
/// change (body and batch size) or a 429/503 with `Retry-After` (load).
///
/// Memory is bounded by `max_inflight_bytes` (request bodies admitted at once, counted by their
/// `Content-Length`, or by `max_body_bytes` when unknown) times the parse overhead of JSON (a
/// few times the text), plus the results of `max_concurrent` jobs.
#[derive(Debug, Clone, PartialEq)]
pub struct Limits {
    /// Largest request body, in bytes (413 past it).
    pub max_body_bytes: usize,
    /// Most items (or `/get_reward` queries) in one request (413 past it).
    pub max_items: usize,
    /// Scoring jobs running at once; each job is one request's batch, spread over the engine's
    /// thread pool.
    pub max_concurrent: usize,
    /// Requests admitted and waiting for a job slot; past it new requests get 429.
    pub max_queue: usize,
    /// Request bodies admitted at once, in bytes; past it new requests get 429.
    pub max_inflight_bytes: usize,
    /// How long an admitted request may wait for a job slot before it gets 503.
    pub queue_timeout: Duration,
    /// How long a client may take to send a request's head (past it the connection is
    /// closed) and, in all, its body (408 past it): slow clients cannot hold connections.
    pub body_timeout: Duration,
    /// The `Retry-After` sent with 429 and 503.
    pub retry_after: Duration,
    /// Open client connections at once. At the limit the server stops accepting until one
    /// closes: new connections wait in the kernel's listen queue (and past it are refused), so
    /// a flood of connections cannot grow the server's memory without bound.
    pub max_connections: usize,
    /// How long a graceful shutdown waits for in-flight requests.
    pub shutdown_grace: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(4, |n| n.get());
        Limits {
            max_body_bytes: 16 << 20,
            max_items: 4096,
            max_concurrent: 2 * cores,
            max_queue: 256,
            max_inflight_bytes: 256 << 20,
            queue_timeout: Duration::from_secs(30),
            body_timeout: Duration::from_secs(30),
            retry_after: Duration::from_secs(1),
            max_connections: 2048,
            shutdown_grace: Duration::from_secs(120),
        }
    }
}

/// Settings of OpenRLHF's `POST /get_reward`.
///
/// OpenRLHF turns `rewards` into a tensor, so every entry must be a number: an item whose result
/// has no reward (`timeout` or `error` under `on_error = "null"`, or `not_applicable`) gets
/// [`failure_reward`](Self::failure_reward), or 0.0 when that is unset, and is flagged in
/// `extra_logs` (`assay_failed`, `assay_not_applicable`) and listed with its message in the
/// response's `failures`. It is never a silent zero.
#[derive(Debug, Clone, PartialEq)]
pub struct GetRewardConfig {
    /// The grader that scores `/get_reward` requests; `None` routes by `data_source` (the
    /// queries carry none, so the `"*"` route decides).
    pub grader: Option<String>,
    /// The reward of failed items. `None` keeps the grader's configured `on_error` (0.0 where
    /// that is `"null"`); a number overrides it.
    pub failure_reward: Option<f64>,
    /// Tokens stripped, repeatedly, from both ends of each response, with surrounding
    /// whitespace. Defaults to [`DEFAULT_STRIP_TOKENS`].
    pub strip_tokens: Vec<String>,
    /// Whether `/get_reward` is served. When it is, the server refuses to start unless a
    /// grader scores it: [`grader`](Self::grader), or a route matching items without a
    /// `data_source` (OpenRLHF's queries carry none), such as a `"*"` route.
    pub enabled: bool,
}

impl Default for GetRewardConfig {
    fn default() -> Self {
        GetRewardConfig {
            enabled: true,
            grader: None,
            failure_reward: None,
            strip_tokens: DEFAULT_STRIP_TOKENS.iter().map(|s| s.to_string()).collect(),
        }
    }
}

/// Everything a server runs with.
#[derive(Clone)]
pub struct ServerConfig {
    /// Where [`crate::run`] listens.
    pub addr: SocketAddr,
    /// The configured graders: `{"grader": NAME}` names one of them; no `grader` routes by
    /// `data_source`.
    pub engine: Arc<Engine>,
    /// The grader kinds inline configurations (`{"grader": {...}}`) are built with, and that
    /// `GET /v1/graders` documents.
    pub registry: Arc<Registry>,
    /// Whether requests may carry inline grader configurations.
    pub allow_inline: bool,
    /// How many built inline engines are kept (least recently used evicted first).
    pub inline_cache_size: usize,
    /// The largest per-item deadline (`timeout_ms`) an inline configuration may ask for;
    /// inline configurations without one get the engine default (10 s).
    pub inline_max_timeout_ms: u64,
    /// Bounds on work and memory.
    pub limits: Limits,
    /// OpenRLHF's `/get_reward`.
    pub get_reward: GetRewardConfig,
}

impl fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerConfig")
            .field("addr", &self.addr)
            .field("engine", &self.engine)
            .field("allow_inline", &self.allow_inline)
            .field("inline_cache_size", &self.inline_cache_size)
            .field("inline_max_timeout_ms", &self.inline_max_timeout_ms)
            .field("limits", &self.limits)
            .field("get_reward", &self.get_reward)
            .finish_non_exhaustive()
    }
}

impl ServerConfig {
    /// A configuration serving `engine` on 127.0.0.1:8000 with every built-in kind for inline
    /// graders and the default limits.
    pub fn new(engine: Engine) -> Self {
        ServerConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 8000)),
            engine: Arc::new(engine),
            registry: Arc::new(assay::registry()),
            allow_inline: true,
            inline_cache_size: 64,
            inline_max_timeout_ms: 60_000,
            limits: Limits::default(),
            get_reward: GetRewardConfig::default(),
        }
    }

    /// Checks the configuration, listing every problem at once.
    pub fn validate(&self) -> Result<(), ServerError> {
        let mut problems = Vec::new();
        let l = &self.limits;
        let positive = [
            ("max_body_bytes", l.max_body_bytes),
            ("max_items", l.max_items),
            ("max_concurrent", l.max_concurrent),
            ("max_inflight_bytes", l.max_inflight_bytes),
        ];
        for (name, value) in positive {
            if value == 0 {
                problems.push(format!("{name} must be at least 1"));
            }
        }
        if l.max_inflight_bytes < l.max_body_bytes {
            problems.push(format!(
                "max_inflight_bytes ({}) is below max_body_bytes ({}): a largest request could \
                 never be admitted; raise max_inflight_bytes",
                l.max_inflight_bytes, l.max_body_bytes
            ));
        }
        if l.max_concurrent > tokio::sync::Semaphore::MAX_PERMITS / 2 {
            problems.push("max_concurrent is too large".to_string());
        }
        for (name, d) in [
            ("queue_timeout", l.queue_timeout),
            ("body_timeout", l.body_timeout),
        ] {
            if d.is_zero() {
                problems.push(format!("{name} must be above zero"));
            }
        }
        match &self.get_reward.grader {
            Some(name) => {
                if let Err(e) = self.engine.component_keys(Target::Grader(name)) {
                    problems.push(format!("get_reward grader: {}", e.message));
                }
            }
            None if self.get_reward.enabled && self.engine.route(None).is_err() => {
                problems.push(format!(
                    "/get_reward has no grader: OpenRLHF's queries carry no data_source and \
                         no route of the configuration matches an item without one. Add a \
                         default route ([[routes]] data_source = \"*\", grader = \"NAME\"), \
                         or start with --get-reward-grader NAME (graders: {}), or serve \
                         without /get_reward with --no-get-reward",
                    self.engine.grader_names().join(", ")
                ));
            }
            None => {}
        }
        if let Some(r) = self.get_reward.failure_reward {
            if !r.is_finite() {
                problems.push(format!(
                    "get_reward failure reward {r} is not a finite number"
                ));
            }
        }
        if self.get_reward.strip_tokens.iter().any(String::is_empty) {
            problems.push("strip tokens must not be empty strings".to_string());
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(ServerError::Config(problems))
        }
    }
}

/// Why a server could not start, or did not stop cleanly.
#[derive(Debug)]
pub enum ServerError {
    /// The configuration has problems; every one is listed.
    Config(Vec<String>),
    /// The address could not be bound.
    Bind {
        /// The address.
        addr: SocketAddr,
        /// Why.
        error: std::io::Error,
    },
    /// Serving failed (the listener broke, or the runtime could not start).
    Io(std::io::Error),
    /// In-flight requests were still running when the shutdown grace period ended.
    DrainTimeout {
        /// The grace period that passed.
        grace: Duration,
        /// Requests still in flight.
        in_flight: usize,
    },
}

impl fmt::Display for ServerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ServerError::Config(problems) => {
                let n = problems.len();
                write!(
                    f,
                    "invalid server configuration: {n} problem{}",
                    if n == 1 { "" } else { "s" }
                )?;
                for p in problems {
                    write!(f, "\n  - {p}")?;
                }
                Ok(())
            }
            ServerError::Bind { addr, error } => write!(
                f,
                "cannot listen on {addr}: {error} (is another server using the port? pick \
                 another with --addr)"
            ),
            ServerError::Io(e) => write!(f, "the server failed: {e}"),
            ServerError::DrainTimeout { grace, in_flight } => write!(
                f,
                "shutdown gave up after {:.0} s with {in_flight} request(s) still in flight",
                grace.as_secs_f64()
            ),
        }
    }
}

impl std::error::Error for ServerError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ServerError::Bind { error, .. } | ServerError::Io(error) => Some(error),
            _ => None,
        }
    }
}

/// The flags of `assay serve` that belong to the server (the CLI adds its own `--config` /
/// `--grader`, builds the engine, then calls [`ServeArgs::into_config`]).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// The address to listen on.
    #[arg(long, default_value = "127.0.0.1:8000")]
    pub addr: SocketAddr,
    /// The grader that scores OpenRLHF's POST /get_reward (default: the "*" route).
    #[arg(long, value_name = "NAME")]
    pub get_reward_grader: Option<String>,
    /// Serve without OpenRLHF's POST /get_reward (otherwise the server refuses to start when
    /// no grader scores it).
    #[arg(long, conflicts_with = "get_reward_grader")]
    pub no_get_reward: bool,
    /// The /get_reward reward of items that failed (timeout, error, not applicable); default:
    /// the grader's on_error, or 0.0 where that is "null". Failures are flagged in extra_logs.
    #[arg(long, value_name = "REWARD", allow_negative_numbers = true)]
    pub get_reward_failure_reward: Option<f64>,
    /// A token to strip from both ends of /get_reward responses (repeatable; replaces the
    /// default list of chat-template and end-of-sequence tokens).
    #[arg(long = "strip-token", value_name = "TOKEN")]
    pub strip_tokens: Vec<String>,
    /// Largest request body, in MiB.
    #[arg(long, value_name = "MIB", default_value_t = 16)]
    pub max_body_mib: usize,
    /// Most items in one request.
    #[arg(long, value_name = "N", default_value_t = 4096)]
    pub max_batch: usize,
    /// Scoring jobs running at once (default: twice the cores).
    #[arg(long, value_name = "N")]
    pub max_concurrent: Option<usize>,
    /// Requests waiting for a scoring slot before new ones get 429.
    #[arg(long, value_name = "N", default_value_t = 256)]
    pub max_queue: usize,
    /// Open client connections at once; at the limit new ones wait to be accepted.
    #[arg(long, value_name = "N", default_value_t = 2048)]
    pub max_connections: usize,
    /// Request bodies held at once, in MiB, before new requests get 429.
    #[arg(long, value_name = "MIB", default_value_t = 256)]
    pub max_inflight_mib: usize,
    /// Seconds a request may wait for a scoring slot before it gets 503.
    #[arg(long, value_name = "SECONDS", default_value_t = 30.0)]
    pub queue_timeout: f64,
    /// Seconds a graceful shutdown waits for in-flight requests.
    #[arg(long, value_name = "SECONDS", default_value_t = 120.0)]
    pub shutdown_grace: f64,
    /// Refuse inline grader configurations in requests (only the configured graders serve).
    #[arg(long)]
    pub no_inline: bool,
    /// The largest per-item timeout_ms an inline grader configuration may ask for.
    #[arg(long, value_name = "MS", default_value_t = 60_000)]
    pub inline_max_timeout_ms: u64,
}

impl ServeArgs {
    /// The server configuration these flags describe, serving `engine`, validated.
    pub fn into_config(self, engine: Engine) -> Result<ServerConfig, ServerError> {
        let mut problems = Vec::new();
        let mut seconds = |name: &str, s: f64| {
            if s.is_finite() && s > 0.0 && s < 1e9 {
                Duration::from_secs_f64(s)
            } else {
                problems.push(format!("--{name} must be a positive number of seconds"));
                Duration::from_secs(1)
            }
        };
        let queue_timeout = seconds("queue-timeout", self.queue_timeout);
        let shutdown_grace = seconds("shutdown-grace", self.shutdown_grace);
        let defaults = Limits::default();
        let mut config = ServerConfig::new(engine);
        config.addr = self.addr;
        config.allow_inline = !self.no_inline;
        config.inline_max_timeout_ms = self.inline_max_timeout_ms;
        config.limits = Limits {
            max_body_bytes: self.max_body_mib.saturating_mul(1 << 20),
            max_items: self.max_batch,
            max_concurrent: self.max_concurrent.unwrap_or(defaults.max_concurrent),
            max_queue: self.max_queue,
            max_inflight_bytes: self.max_inflight_mib.saturating_mul(1 << 20),
            max_connections: self.max_connections,
            queue_timeout,
            shutdown_grace,
            ..defaults
        };
        config.get_reward.grader = self.get_reward_grader;
        config.get_reward.enabled = !self.no_get_reward;
        config.get_reward.failure_reward = self.get_reward_failure_reward;
        if !self.strip_tokens.is_empty() {
            config.get_reward.strip_tokens = self.strip_tokens;
        }
        match config.validate() {
            Ok(()) if problems.is_empty() => Ok(config),
            Ok(()) => Err(ServerError::Config(problems)),
            Err(ServerError::Config(more)) => {
                problems.extend(more);
                Err(ServerError::Config(problems))
            }
            Err(other) => Err(other),
        }
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;
    use serde_json::json;

    use super::*;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn engine() -> Engine {
        assay::engine_for_kind("string_check", json!({})).expect("string_check builds")
    }

    #[test]
    fn flags_become_a_configuration() {
        let cli = Cli::parse_from([
            "assay",
            "--addr",
            "127.0.0.1:9001",
            "--max-batch",
            "8",
            "--get-reward-grader",
            "string_check",
            "--get-reward-failure-reward",
            "-0.5",
            "--strip-token",
            "<END>",
            "--no-inline",
        ]);
        let config = cli.serve.into_config(engine()).unwrap();
        assert_eq!(config.addr.port(), 9001);
        assert_eq!(config.limits.max_items, 8);
        assert_eq!(config.get_reward.failure_reward, Some(-0.5));
        assert_eq!(config.get_reward.strip_tokens, ["<END>"]);
        assert!(!config.allow_inline);
        let defaults = Cli::parse_from(["assay"])
            .serve
            .into_config(engine())
            .unwrap();
        assert_eq!(defaults.limits, Limits::default());
        assert_eq!(defaults.get_reward, GetRewardConfig::default());
    }

    #[test]
    fn every_problem_is_listed() {
        let cli = Cli::parse_from([
            "assay",
            "--max-batch",
            "0",
            "--queue-timeout",
            "0",
            "--get-reward-grader",
            "nope",
            "--max-inflight-mib",
            "1",
        ]);
        let err = cli.serve.into_config(engine()).unwrap_err();
        let ServerError::Config(problems) = &err else {
            panic!("{err}");
        };
        assert_eq!(problems.len(), 4, "{err}");
        let text = err.to_string();
        assert!(text.starts_with("invalid server configuration: 4 problems"));
        for needle in [
            "--queue-timeout",
            "max_items must be at least 1",
            "no grader named `nope`",
            "max_inflight_bytes",
        ] {
            assert!(text.contains(needle), "{needle}: {text}");
        }
    }
}

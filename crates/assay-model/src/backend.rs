//! One HTTP backend: a connection pool, a concurrency limit, an optional rate limit, retries
//! with backoff, a circuit breaker, a response cache and a spending budget.
//!
//! Graders that name the same server with the same settings share one [`Backend`]
//! ([`Backend::shared`]), so their requests share the pool, the limits, the breaker, the cache
//! and the budget.
//!
//! [`Backend::call`] sends one JSON request and returns the JSON reply, or a [`CallError`]
//! that carries the HTTP status and the server's message. A call honours the item's
//! [`Budget`]: it never waits (for a permit, a rate-limit slot, a retry or the reply) past the
//! item's absolute deadline, and it stops at once when the request is cancelled. Dropping the
//! future drops the request.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use assay_core::outcome::Usage;
use assay_core::runtime::RemoteServer;
use assay_core::{Budget, ErrorKind, Outcome};
use hashlink::LruCache;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};
use tokio::sync::Semaphore;

/// Longest server message kept in an error.
const MESSAGE_LIMIT: usize = 500;

pub(crate) fn default_concurrency() -> usize {
    64
}
pub(crate) fn default_retries() -> u32 {
    4
}
pub(crate) fn default_backoff_ms() -> u64 {
    250
}
pub(crate) fn default_max_backoff_ms() -> u64 {
    10_000
}
pub(crate) fn default_request_timeout_ms() -> u64 {
    120_000
}
pub(crate) fn default_breaker_failures() -> u32 {
    16
}
pub(crate) fn default_breaker_cooldown_ms() -> u64 {
    5_000
}
pub(crate) fn yes() -> bool {
    true
}
pub(crate) fn default_cache_entries() -> usize {
    100_000
}

/// How to reach a server and how to treat it: the connection options every remote model
/// grader takes (they sit beside the grader's own options in its table).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Connection {
    /// Base URL of the server, e.g. `http://localhost:8000` (paths such as
    /// `/v1/chat/completions` are added).
    pub url: String,
    /// The name of an environment variable holding the API key, sent as `Authorization:
    /// Bearer …`. The key itself never appears in logs, errors or results.
    pub api_key_env: Option<String>,
    /// Most requests in flight to this server at once.
    pub max_concurrency: usize,
    /// Most requests started per minute (none: unlimited).
    pub requests_per_minute: Option<u32>,
    /// Most tokens (prompt + completion, as the server reports them) per minute (none:
    /// unlimited).
    pub tokens_per_minute: Option<u64>,
    /// Retries after a 408, 429, 5xx, connection error or truncated reply.
    pub max_retries: u32,
    /// First retry delay; it doubles per retry, with full jitter (a `Retry-After` header
    /// replaces it).
    pub backoff_ms: u64,
    /// Longest retry delay.
    pub max_backoff_ms: u64,
    /// Time limit of one attempt (the item's deadline also bounds it).
    pub request_timeout_ms: u64,
    /// Consecutive failed attempts that open the circuit breaker (0: never).
    pub breaker_failures: u32,
    /// How long an open breaker refuses requests before letting one through.
    pub breaker_cooldown_ms: u64,
    /// Keep replies in memory keyed by (server, model, request): the same request is sent
    /// once per run.
    pub cache: bool,
    /// Most replies kept in memory; past it the least recently used one is dropped (the
    /// SQLite file, when there is one, keeps them all).
    pub cache_entries: usize,
    /// Also keep replies in this SQLite file, so that re-scoring the same rollouts in a later
    /// run sends nothing.
    pub cache_path: Option<PathBuf>,
    /// Most requests this server may be sent in this process (none: unlimited); later items
    /// get status `error` of kind `budget`.
    pub max_requests: Option<u64>,
    /// Most tokens (prompt + completion) this server may spend in this process; later items
    /// get status `error` of kind `budget`.
    pub max_tokens: Option<u64>,
    /// Send nothing: each item is `not_applicable`, with the request it would have sent in
    /// its explanation (`assay check … --dry-run`).
    pub dry_run: bool,
}

impl Default for Connection {
    fn default() -> Self {
        Connection {
            url: String::new(),
            api_key_env: None,
            max_concurrency: default_concurrency(),
            requests_per_minute: None,
            tokens_per_minute: None,
            max_retries: default_retries(),
            backoff_ms: default_backoff_ms(),
            max_backoff_ms: default_max_backoff_ms(),
            request_timeout_ms: default_request_timeout_ms(),
            breaker_failures: default_breaker_failures(),
            breaker_cooldown_ms: default_breaker_cooldown_ms(),
            cache: true,
            cache_entries: default_cache_entries(),
            cache_path: None,
            max_requests: None,
            max_tokens: None,
            dry_run: false,
        }
    }
}

impl Connection {
    /// Checks the options; the message says what to change.
    pub fn check(&self) -> Result<(), String> {
        let url = self.url.trim();
        if url.is_empty() {
            return Err("set `url` to the server's base URL, e.g. http://localhost:8000".into());
        }
        let parsed = reqwest::Url::parse(url).map_err(|e| {
            format!("`url` {url:?} is not a URL ({e}); write e.g. http://localhost:8000")
        })?;
        if !matches!(parsed.scheme(), "http" | "https") {
            return Err(format!(
                "`url` must start with http:// or https://, not {url:?}"
            ));
        }
        if self.max_concurrency == 0 {
            return Err("max_concurrency must be at least 1".into());
        }
        if self.cache && self.cache_entries == 0 {
            return Err(
                "cache_entries must be at least 1; set `cache = false` to keep no replies".into(),
            );
        }
        if self.requests_per_minute == Some(0) || self.tokens_per_minute == Some(0) {
            return Err("a rate limit of 0 would send nothing: leave it out for no limit".into());
        }
        if self.request_timeout_ms == 0 {
            return Err("request_timeout_ms must be positive".into());
        }
        if let Some(var) = &self.api_key_env {
            if std::env::var_os(var).is_none() {
                return Err(format!(
                    "the environment variable {var} (api_key_env) is not set: export it with the API key"
                ));
            }
        }
        Ok(())
    }
}

/// Why a call failed: an [`ErrorKind`], the HTTP status when there was one, the server's
/// message (truncated, with any API key removed), and what the call spent.
#[derive(Debug, Clone)]
pub struct CallError {
    /// The kind of failure: `upstream`, `budget`, `timeout`, `cancelled`.
    pub kind: ErrorKind,
    /// The HTTP status of the last attempt, if a reply came.
    pub status: Option<u16>,
    /// What happened, for a person.
    pub message: String,
    /// Requests and tokens spent before failing.
    pub usage: Usage,
    /// In a dry run, the request that was not sent (`{url, body}`).
    pub unsent: Option<Value>,
}

impl CallError {
    fn new(kind: ErrorKind, status: Option<u16>, message: impl Into<String>) -> Self {
        CallError {
            kind,
            status,
            message: message.into(),
            usage: Usage::default(),
            unsent: None,
        }
    }

    /// The failure as an item's outcome (with its usage).
    pub fn outcome(&self) -> Outcome {
        if let Some(request) = &self.unsent {
            return Outcome::not_applicable("dry run: the request was not sent")
                .explain("request", request.clone());
        }
        let mut outcome = match self.kind {
            ErrorKind::Timeout => Outcome::timeout(self.message.clone()),
            kind => Outcome::error(kind, self.message.clone()),
        };
        if let Some(status) = self.status {
            outcome = outcome.explain("http_status", status);
        }
        outcome.usage = self.usage;
        outcome
    }
}

/// A reply: the JSON body and what it cost.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The server's JSON answer.
    pub body: Value,
    /// Requests sent (retries included), tokens reported, cache hits.
    pub usage: Usage,
}

/// One shared HTTP backend (see the module documentation).
pub struct Backend {
    conn: Connection,
    base: String,
    client: reqwest::Client,
    auth: Option<String>,
    permits: Semaphore,
    /// Items being graded through this backend at once (as many as `max_concurrency`): an
    /// item's clock starts only once it holds one, so the items queued behind the first
    /// `max_concurrency` do not spend their `timeout_ms` waiting for their turn.
    item_slots: Arc<Semaphore>,
    limiter: Mutex<Limiter>,
    breaker: Mutex<Breaker>,
    memory: Mutex<LruCache<String, Value>>,
    disk: Option<Mutex<rusqlite::Connection>>,
    spent_requests: AtomicU64,
    spent_tokens: AtomicU64,
}

impl std::fmt::Debug for Backend {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Backend")
            .field("url", &self.base)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Default)]
struct Limiter {
    /// Start times of the requests of the last minute.
    requests: std::collections::VecDeque<Instant>,
    /// Tokens spent in the last minute, with when.
    tokens: std::collections::VecDeque<(Instant, u64)>,
}

#[derive(Debug, Default)]
struct Breaker {
    consecutive_failures: u32,
    open_until: Option<Instant>,
}

fn registry() -> &'static Mutex<HashMap<String, Arc<Backend>>> {
    static SHARED: OnceLock<Mutex<HashMap<String, Arc<Backend>>>> = OnceLock::new();
    SHARED.get_or_init(Default::default)
}

/// The state of every shared backend of this process (see [`Backend::shared`]), in no
/// particular order; several backends may have the same URL (different settings).
pub fn shared_states() -> Vec<RemoteServer> {
    let shared = registry().lock().unwrap_or_else(|p| p.into_inner());
    shared.values().map(|b| b.state()).collect()
}

impl Backend {
    /// The backend for `conn`, shared with every grader of this process that names the same
    /// server with the same settings.
    pub fn shared(conn: &Connection) -> Result<Arc<Backend>, String> {
        conn.check()?;
        let key = serde_json::to_string(conn).map_err(|e| e.to_string())?;
        let mut shared = registry().lock().unwrap_or_else(|p| p.into_inner());
        if let Some(backend) = shared.get(&key) {
            return Ok(Arc::clone(backend));
        }
        let backend = Arc::new(Backend::new(conn.clone())?);
        shared.insert(key, Arc::clone(&backend));
        Ok(backend)
    }

    /// A backend of its own (not shared): for tests and tools.
    pub fn new(conn: Connection) -> Result<Backend, String> {
        conn.check()?;
        let auth = match &conn.api_key_env {
            Some(var) => Some(std::env::var(var).map_err(|_| {
                format!("the environment variable {var} (api_key_env) is not set or not UTF-8")
            })?),
            None => None,
        };
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(conn.max_concurrency)
            .connect_timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        let disk = match &conn.cache_path {
            Some(path) => Some(Mutex::new(open_cache(path)?)),
            None => None,
        };
        let cache_entries = conn.cache_entries.max(1);
        Ok(Backend {
            base: conn.url.trim().trim_end_matches('/').to_string(),
            permits: Semaphore::new(conn.max_concurrency),
            item_slots: Arc::new(Semaphore::new(conn.max_concurrency)),
            conn,
            client,
            auth,
            limiter: Mutex::default(),
            breaker: Mutex::default(),
            memory: Mutex::new(LruCache::new(cache_entries)),
            disk,
            spent_requests: AtomicU64::new(0),
            spent_tokens: AtomicU64::new(0),
        })
    }

    /// The server's base URL.
    pub fn url(&self) -> &str {
        &self.base
    }

    /// Sends `body` to `path` (e.g. `/v1/chat/completions`) as a JSON POST within `budget`
    /// and returns the JSON reply. See the module documentation for what it honours.
    pub async fn call(
        self: &Arc<Self>,
        path: &str,
        body: &Value,
        budget: &Budget,
    ) -> Result<Reply, CallError> {
        if self.conn.dry_run {
            let mut e = CallError::new(ErrorKind::Internal, None, "dry run");
            e.unsent =
                Some(serde_json::json!({"url": format!("{}{path}", self.base), "body": body}));
            return Err(e);
        }
        let key = self.cache_key(path, body);
        if let Some(hit) = self.cached(&key) {
            return Ok(Reply {
                body: hit,
                usage: Usage {
                    cache_hits: 1,
                    ..Usage::default()
                },
            });
        }
        // Run on the shared I/O runtime (the connection pool lives there) and abort the task
        // when this future is dropped.
        let this = Arc::clone(self);
        let path = path.to_string();
        let body = body.clone();
        let budget = budget.clone();
        let task = assay_core::runtime::handle().spawn(async move {
            let cancel = budget.cancel_token().cloned();
            let work = this.call_uncached(&path, &body, &budget);
            let result = match cancel {
                Some(token) => tokio::select! {
                    r = work => r,
                    _ = token.cancelled() => Err(CallError::new(ErrorKind::Cancelled, None, "the request was cancelled")),
                },
                None => work.await,
            };
            if let Ok(reply) = &result {
                this.store(&key, &reply.body);
            }
            result
        });
        let guard = AbortOnDrop(task.abort_handle());
        let result = task.await;
        drop(guard);
        result.unwrap_or_else(|e| {
            Err(CallError::new(
                ErrorKind::Internal,
                None,
                format!("the HTTP task failed: {e}"),
            ))
        })
    }

    async fn call_uncached(
        &self,
        path: &str,
        body: &Value,
        budget: &Budget,
    ) -> Result<Reply, CallError> {
        let deadline = budget.deadline();
        let mut usage = Usage::default();
        let fail = |mut e: CallError, usage: Usage| {
            e.usage = usage;
            Err(e)
        };
        // One permit for the whole call, retries included.
        let permit = match until(deadline, self.permits.acquire()).await {
            Some(Ok(p)) => p,
            Some(Err(_)) => {
                return fail(
                    CallError::new(ErrorKind::Internal, None, "the backend was closed"),
                    usage,
                )
            }
            None => {
                return fail(
                    deadline_error("waiting for a free connection slot", None),
                    usage,
                )
            }
        };
        let url = format!("{}{}", self.base, path);
        let mut last: Option<CallError> = None;
        let mut attempt = 0u32;
        loop {
            if let Err(e) = self.reserve() {
                return fail(e, usage);
            }
            if let Err(e) = self.breaker_check() {
                return fail(
                    last.map_or(e.clone(), |l| CallError {
                        message: format!("{}; {}", e.message, l.message),
                        ..l
                    }),
                    usage,
                );
            }
            if let Some(wait) = self.rate_wait() {
                if !fits(deadline, wait) {
                    return fail(deadline_error("waiting for the rate limit", None), usage);
                }
                tokio::time::sleep(wait).await;
                continue;
            }
            usage.requests += 1;
            self.spent_requests.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            let outcome = self.attempt(&url, body, deadline).await;
            tracing::debug!(url = %url, attempt, ms = started.elapsed().as_millis() as u64, ok = outcome.is_ok(), "model request");
            let (error, retry_after) = match outcome {
                Ok(reply) => {
                    let (prompt, completion) = token_usage(&reply);
                    usage.prompt_tokens += prompt;
                    usage.completion_tokens += completion;
                    self.spent_tokens
                        .fetch_add(prompt + completion, Ordering::Relaxed);
                    self.note_tokens(prompt + completion);
                    self.breaker_result(true);
                    drop(permit);
                    return Ok(Reply { body: reply, usage });
                }
                Err(Attempt::Final(e)) => {
                    self.breaker_result(false);
                    return fail(e, usage);
                }
                Err(Attempt::Retry(e, after)) => {
                    self.breaker_result(false);
                    (e, after)
                }
            };
            if budget.is_cancelled() {
                return fail(
                    CallError::new(
                        ErrorKind::Cancelled,
                        error.status,
                        "the request was cancelled",
                    ),
                    usage,
                );
            }
            if attempt >= self.conn.max_retries {
                let message = format!("{} (gave up after {} attempts)", error.message, attempt + 1);
                return fail(CallError { message, ..error }, usage);
            }
            let delay = retry_after.unwrap_or_else(|| self.backoff(attempt));
            if !fits(deadline, delay) {
                let message = format!(
                    "{} (no retry: the item's deadline comes before the next attempt in {} ms)",
                    error.message,
                    delay.as_millis()
                );
                return fail(CallError { message, ..error }, usage);
            }
            tokio::time::sleep(delay).await;
            last = Some(error);
            attempt += 1;
        }
    }

    async fn attempt(
        &self,
        url: &str,
        body: &Value,
        deadline: Option<Instant>,
    ) -> Result<Value, Attempt> {
        let mut limit = Duration::from_millis(self.conn.request_timeout_ms);
        if let Some(deadline) = deadline {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(Attempt::Final(deadline_error("before sending", None)));
            }
            limit = limit.min(left);
        }
        let mut request = self.client.post(url).json(body).timeout(limit);
        if let Some(key) = &self.auth {
            request = request.bearer_auth(key);
        }
        let response = match request.send().await {
            Ok(r) => r,
            Err(e) if e.is_timeout() => {
                return Err(self.timed_out(deadline, limit));
            }
            Err(e) => {
                let message = self.redact(&format!("cannot reach {url}: {}", error_chain(&e)));
                return Err(Attempt::Retry(
                    CallError::new(ErrorKind::Upstream, None, message),
                    None,
                ));
            }
        };
        let status = response.status();
        let retry_after = retry_after(response.headers());
        let bytes = match response.bytes().await {
            Ok(b) => b,
            Err(e) if e.is_timeout() => return Err(self.timed_out(deadline, limit)),
            Err(e) => {
                let message = self.redact(&format!(
                    "HTTP {} from {url}: the reply was cut off ({})",
                    status.as_u16(),
                    error_chain(&e)
                ));
                return Err(Attempt::Retry(
                    CallError::new(ErrorKind::Upstream, Some(status.as_u16()), message),
                    None,
                ));
            }
        };
        if !status.is_success() {
            let message = self.redact(&format!(
                "HTTP {} from {url}: {}",
                status.as_u16(),
                server_message(&bytes)
            ));
            let error = CallError::new(ErrorKind::Upstream, Some(status.as_u16()), message);
            let code = status.as_u16();
            return Err(if code == 429 || code == 408 || status.is_server_error() {
                Attempt::Retry(error, retry_after)
            } else {
                Attempt::Final(error)
            });
        }
        serde_json::from_slice(&bytes).map_err(|e| {
            let message = self.redact(&format!(
                "HTTP {} from {url}, but the body is not JSON ({e}): {}",
                status.as_u16(),
                truncate(&String::from_utf8_lossy(&bytes))
            ));
            // A body cut short is a transport failure: try again.
            let error = CallError::new(ErrorKind::Upstream, Some(status.as_u16()), message);
            if e.is_eof() {
                Attempt::Retry(error, None)
            } else {
                Attempt::Final(error)
            }
        })
    }

    fn timed_out(&self, deadline: Option<Instant>, limit: Duration) -> Attempt {
        let hit_deadline = deadline.is_some_and(|d| Instant::now() + Duration::from_millis(5) >= d);
        if hit_deadline {
            Attempt::Final(deadline_error("waiting for the reply", None))
        } else {
            Attempt::Retry(
                CallError::new(
                    ErrorKind::Upstream,
                    None,
                    format!(
                        "no reply from {} within {} ms (request_timeout_ms)",
                        self.base,
                        limit.as_millis()
                    ),
                ),
                None,
            )
        }
    }

    /// Removes the API key from a message, wherever a server or library put it.
    fn redact(&self, message: &str) -> String {
        match &self.auth {
            Some(key) if key.len() >= 4 => message.replace(key.as_str(), "[redacted]"),
            _ => message.to_string(),
        }
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let cap = self
            .conn
            .backoff_ms
            .saturating_mul(1u64 << attempt.min(20))
            .min(self.conn.max_backoff_ms);
        // Full jitter: uniform in [cap/2, cap] keeps some spacing while spreading clients.
        let low = cap / 2;
        Duration::from_millis(low + fastrand::u64(0..=cap - low))
    }

    /// Counts the request against the run budget, or refuses it.
    fn reserve(&self) -> Result<(), CallError> {
        if let Some(max) = self.conn.max_requests {
            let spent = self.spent_requests.load(Ordering::Relaxed);
            if spent >= max {
                return Err(CallError::new(
                    ErrorKind::Budget,
                    None,
                    format!("the run's request budget for {} is spent ({spent} of max_requests = {max})", self.base),
                ));
            }
        }
        if let Some(max) = self.conn.max_tokens {
            let spent = self.spent_tokens.load(Ordering::Relaxed);
            if spent >= max {
                return Err(CallError::new(
                    ErrorKind::Budget,
                    None,
                    format!(
                        "the run's token budget for {} is spent ({spent} of max_tokens = {max})",
                        self.base
                    ),
                ));
            }
        }
        Ok(())
    }

    fn breaker_check(&self) -> Result<(), CallError> {
        if self.conn.breaker_failures == 0 {
            return Ok(());
        }
        let mut breaker = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
        match breaker.open_until {
            Some(until) if Instant::now() < until => Err(CallError::new(
                ErrorKind::Upstream,
                None,
                format!(
                    "circuit breaker open: {} consecutive failed requests to {}; it lets a request through again in {} ms",
                    breaker.consecutive_failures,
                    self.base,
                    until.saturating_duration_since(Instant::now()).as_millis()
                ),
            )),
            Some(_) => {
                // Half-open: let this one through; a failure opens it again.
                breaker.open_until = None;
                breaker.consecutive_failures = self.conn.breaker_failures.saturating_sub(1);
                Ok(())
            }
            None => Ok(()),
        }
    }

    fn breaker_result(&self, ok: bool) {
        if self.conn.breaker_failures == 0 {
            return;
        }
        let mut breaker = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
        if ok {
            breaker.consecutive_failures = 0;
            breaker.open_until = None;
        } else {
            breaker.consecutive_failures += 1;
            if breaker.consecutive_failures >= self.conn.breaker_failures {
                breaker.open_until =
                    Some(Instant::now() + Duration::from_millis(self.conn.breaker_cooldown_ms));
            }
        }
    }

    /// How long to wait before the next request may start under the rate limits; `None`
    /// records the start and lets it go.
    fn rate_wait(&self) -> Option<Duration> {
        if self.conn.requests_per_minute.is_none() && self.conn.tokens_per_minute.is_none() {
            return None;
        }
        let minute = Duration::from_secs(60);
        let now = Instant::now();
        let mut limiter = self.limiter.lock().unwrap_or_else(|p| p.into_inner());
        while limiter
            .requests
            .front()
            .is_some_and(|t| now.duration_since(*t) >= minute)
        {
            limiter.requests.pop_front();
        }
        while limiter
            .tokens
            .front()
            .is_some_and(|(t, _)| now.duration_since(*t) >= minute)
        {
            limiter.tokens.pop_front();
        }
        if let Some(rpm) = self.conn.requests_per_minute {
            if limiter.requests.len() >= rpm as usize {
                let oldest = limiter.requests[0];
                return Some(
                    (oldest + minute)
                        .saturating_duration_since(now)
                        .max(Duration::from_millis(1)),
                );
            }
        }
        if let Some(tpm) = self.conn.tokens_per_minute {
            let used: u64 = limiter.tokens.iter().map(|(_, n)| n).sum();
            if used >= tpm {
                let oldest = limiter.tokens[0].0;
                return Some(
                    (oldest + minute)
                        .saturating_duration_since(now)
                        .max(Duration::from_millis(1)),
                );
            }
        }
        limiter.requests.push_back(now);
        None
    }

    fn note_tokens(&self, tokens: u64) {
        if self.conn.tokens_per_minute.is_some() && tokens > 0 {
            let mut limiter = self.limiter.lock().unwrap_or_else(|p| p.into_inner());
            limiter.tokens.push_back((Instant::now(), tokens));
        }
    }

    fn cache_key(&self, path: &str, body: &Value) -> String {
        let mut hash = Sha256::new();
        hash.update(self.base.as_bytes());
        hash.update([0]);
        hash.update(path.as_bytes());
        hash.update([0]);
        // The body names the model; serde_json keeps key order, so one rendering of a request
        // is one key.
        hash.update(body.to_string().as_bytes());
        hash.finalize().iter().map(|b| format!("{b:02x}")).collect()
    }

    fn cached(&self, key: &str) -> Option<Value> {
        if !self.conn.cache {
            return None;
        }
        if let Some(hit) = self
            .memory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(key)
        {
            return Some(hit.clone());
        }
        let disk = self.disk.as_ref()?;
        let db = disk.lock().unwrap_or_else(|p| p.into_inner());
        let text: Option<String> = db
            .query_row("SELECT reply FROM replies WHERE key = ?1", [key], |row| {
                row.get(0)
            })
            .ok();
        let value: Value = serde_json::from_str(&text?).ok()?;
        drop(db);
        self.memory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_string(), value.clone());
        Some(value)
    }

    fn store(&self, key: &str, reply: &Value) {
        if !self.conn.cache {
            return;
        }
        self.memory
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(key.to_string(), reply.clone());
        if let Some(disk) = &self.disk {
            let db = disk.lock().unwrap_or_else(|p| p.into_inner());
            if let Err(e) = db.execute(
                "INSERT OR REPLACE INTO replies (key, reply) VALUES (?1, ?2)",
                [key, &reply.to_string()],
            ) {
                tracing::warn!(error = %e, "cannot write the reply cache");
            }
        }
    }

    /// Waits for an item's turn on this backend (see `item_slots`), at most until `deadline`
    /// (the request's, absolute) and not past `cancel`. `None` when neither allowed it; the
    /// item has then not started, and its outcome says why.
    pub(crate) async fn item_slot(
        &self,
        deadline: Option<Instant>,
        cancel: &assay_core::CancelToken,
    ) -> Result<tokio::sync::OwnedSemaphorePermit, Outcome> {
        let slots = Arc::clone(&self.item_slots);
        tokio::select! {
            permit = until(deadline, slots.acquire_owned()) => match permit {
                Some(Ok(permit)) => Ok(permit),
                Some(Err(_)) => Err(Outcome::error(ErrorKind::Internal, "the backend was closed")),
                None => Err(Outcome::timeout(
                    "the request's deadline passed while the item waited for its turn (every \
                     connection slot of the server was busy)",
                )),
            },
            () = cancel.cancelled() => Err(Outcome::error(
                ErrorKind::Cancelled,
                "the request was cancelled while the item waited for its turn",
            )),
        }
    }

    /// What this backend is doing now.
    pub fn state(&self) -> RemoteServer {
        let breaker = self.breaker.lock().unwrap_or_else(|p| p.into_inner());
        let mut url = reqwest::Url::parse(&self.base).ok();
        if let Some(u) = url.as_mut() {
            let _ = u.set_username("");
            let _ = u.set_password(None);
        }
        let mut state = RemoteServer::new(url.map_or_else(
            || "(unparsable url)".to_string(),
            |u| u.as_str().trim_end_matches('/').to_string(),
        ));
        state.max_concurrency = self.conn.max_concurrency;
        state.in_flight = self
            .conn
            .max_concurrency
            .saturating_sub(self.permits.available_permits());
        state.breaker_open = breaker.open_until.is_some_and(|t| Instant::now() < t);
        state.consecutive_failures = breaker.consecutive_failures;
        state.requests = self.spent_requests.load(Ordering::Relaxed);
        state.tokens = self.spent_tokens.load(Ordering::Relaxed);
        state
    }

    /// Requests and tokens this backend has spent in this process.
    pub fn spent(&self) -> (u64, u64) {
        (
            self.spent_requests.load(Ordering::Relaxed),
            self.spent_tokens.load(Ordering::Relaxed),
        )
    }
}

fn open_cache(path: &std::path::Path) -> Result<rusqlite::Connection, String> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    }
    let db = rusqlite::Connection::open(path)
        .map_err(|e| format!("cannot open the reply cache {}: {e}", path.display()))?;
    db.busy_timeout(Duration::from_secs(5))
        .map_err(|e| e.to_string())?;
    db.execute_batch(
        "PRAGMA journal_mode = WAL; CREATE TABLE IF NOT EXISTS replies (key TEXT PRIMARY KEY, reply TEXT NOT NULL);",
    )
    .map_err(|e| format!("cannot set up the reply cache {}: {e}", path.display()))?;
    Ok(db)
}

enum Attempt {
    Retry(CallError, Option<Duration>),
    Final(CallError),
}

struct AbortOnDrop(tokio::task::AbortHandle);
impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Waits for `future` until `deadline`; `None` when the deadline came first.
async fn until<F: std::future::Future>(deadline: Option<Instant>, future: F) -> Option<F::Output> {
    match deadline {
        Some(d) => tokio::time::timeout_at(d.into(), future).await.ok(),
        None => Some(future.await),
    }
}

fn fits(deadline: Option<Instant>, wait: Duration) -> bool {
    deadline.is_none_or(|d| Instant::now() + wait < d)
}

fn deadline_error(when: &str, status: Option<u16>) -> CallError {
    CallError::new(
        ErrorKind::Timeout,
        status,
        format!("the item's deadline passed {when}"),
    )
}

fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<f64>() {
        if seconds.is_finite() && seconds >= 0.0 {
            return Some(Duration::from_secs_f64(seconds.min(3600.0)));
        }
    }
    None
}

/// The server's error message: `error.message` (OpenAI, vLLM), `message`, `error` (TEI), or
/// the body itself, truncated.
fn server_message(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    if let Ok(value) = serde_json::from_slice::<Value>(bytes) {
        let found = value
            .pointer("/error/message")
            .or_else(|| value.get("message"))
            .or_else(|| value.get("error"))
            .or_else(|| value.get("detail"));
        if let Some(found) = found {
            return truncate(&match found {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            });
        }
    }
    if text.trim().is_empty() {
        return "(empty body)".into();
    }
    truncate(text.trim())
}

pub(crate) fn truncate(text: &str) -> String {
    if text.len() <= MESSAGE_LIMIT {
        return text.to_string();
    }
    let mut end = MESSAGE_LIMIT;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes in all)", &text[..end], text.len())
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(e) = source {
        text.push_str(": ");
        text.push_str(&e.to_string());
        source = e.source();
    }
    text
}

/// Prompt and completion tokens of an OpenAI-style `usage` (vLLM's pooling replies report
/// `prompt_tokens` only).
fn token_usage(body: &Value) -> (u64, u64) {
    let usage = body.get("usage");
    let get = |k: &str| {
        usage
            .and_then(|u| u.get(k))
            .and_then(Value::as_u64)
            .unwrap_or(0)
    };
    (get("prompt_tokens"), get("completion_tokens"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_truncated_on_a_char_boundary() {
        let long = "é".repeat(400);
        let t = truncate(&long);
        assert!(t.len() < long.len());
        assert!(t.contains("bytes in all"));
    }

    #[test]
    fn server_messages_are_read_from_the_usual_shapes() {
        assert_eq!(
            server_message(br#"{"error": {"message": "bad model"}}"#),
            "bad model"
        );
        assert_eq!(
            server_message(br#"{"error": "Input validation error"}"#),
            "Input validation error"
        );
        assert_eq!(server_message(b"   "), "(empty body)");
        assert_eq!(server_message(b"plain text"), "plain text");
    }

    #[test]
    fn options_are_checked() {
        let mut c = Connection::default();
        assert!(c.check().unwrap_err().contains("url"));
        c.url = "ftp://x".into();
        assert!(c.check().unwrap_err().contains("http"));
        c.url = "http://localhost:1".into();
        assert!(c.check().is_ok());
        c.api_key_env = Some("ASSAY_TEST_SURELY_UNSET_VARIABLE".into());
        let e = c.check().unwrap_err();
        assert!(e.contains("ASSAY_TEST_SURELY_UNSET_VARIABLE"), "{e}");
    }

    #[test]
    fn a_dry_run_sends_nothing_and_shows_the_request() {
        // Port 9 (discard) on localhost: were anything sent, the call would fail differently.
        let b = Arc::new(
            Backend::new(Connection {
                url: "http://127.0.0.1:9/".into(),
                dry_run: true,
                ..Connection::default()
            })
            .unwrap(),
        );
        let body = serde_json::json!({"model": "m", "messages": []});
        let e =
            assay_core::block_on_io(b.call("/v1/chat/completions", &body, &Budget::unlimited()))
                .unwrap_err();
        let outcome = e.outcome();
        assert_eq!(outcome.status, assay_core::Status::NotApplicable);
        assert_eq!(
            outcome.explanation["request"]["url"],
            "http://127.0.0.1:9/v1/chat/completions"
        );
        assert_eq!(outcome.explanation["request"]["body"], body);
        assert_eq!(b.spent(), (0, 0));
    }

    #[test]
    fn the_memory_cache_keeps_the_most_recently_used_replies() {
        let b = Backend::new(Connection {
            url: "http://localhost:1".into(),
            cache_entries: 2,
            ..Connection::default()
        })
        .unwrap();
        let reply = |n: u32| serde_json::json!({"n": n});
        b.store("a", &reply(1));
        b.store("b", &reply(2));
        // Using `a` makes `b` the least recently used: the third reply pushes `b` out.
        assert_eq!(b.cached("a"), Some(reply(1)));
        b.store("c", &reply(3));
        assert_eq!(b.cached("b"), None);
        assert_eq!(b.cached("a"), Some(reply(1)));
        assert_eq!(b.cached("c"), Some(reply(3)));
        let zero = Backend::new(Connection {
            url: "http://localhost:1".into(),
            cache_entries: 0,
            ..Connection::default()
        });
        assert!(zero.unwrap_err().contains("cache = false"));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let b = Backend::new(Connection {
            url: "http://localhost:1".into(),
            backoff_ms: 100,
            max_backoff_ms: 1000,
            ..Connection::default()
        })
        .unwrap();
        for attempt in 0..10 {
            let d = b.backoff(attempt).as_millis() as u64;
            let cap = (100u64 << attempt).min(1000);
            assert!(
                d >= cap / 2 && d <= cap,
                "attempt {attempt}: {d} not in [{}, {cap}]",
                cap / 2
            );
        }
    }
}

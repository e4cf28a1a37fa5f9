//! What every remote model grader shares: the per-item async driver (budgets, the guard,
//! timing), template rendering, and the options macro.

use std::sync::Arc;

use assay_core::{
    Batch, BatchContext, BoxFuture, Budget, Content, ErrorKind, Grader, Item, Outcome,
};
use minijinja::{Environment, UndefinedBehavior};
use serde_json::{json, Value};

use crate::backend::Backend;
use crate::guard::Guard;

/// A remote grader that grades one item at a time as a future.
pub(crate) trait ItemGrader: Send + Sync + 'static {
    /// Declared components.
    fn components(&self) -> Vec<String>;
    /// The guard run before any request.
    fn guard(&self) -> &Guard;
    /// The backend its requests go to (whose item slots pace its items).
    fn backend(&self) -> &Backend;
    /// Grades one item; called only for items the guard let through.
    fn grade_item(self: Arc<Self>, item: Item, budget: Budget) -> BoxFuture<Outcome>;
}

/// Turns an [`ItemGrader`] into a [`Grader`]: items of a batch run concurrently (the
/// backend's semaphore bounds them), each under its own budget.
pub(crate) struct Remote<G>(pub Arc<G>);

impl<G: ItemGrader> Remote<G> {
    /// Grades one item; `budget` is called when grading starts (the item's clock starts then).
    /// With `turn` (the request's deadline and cancellation), the item first waits for its
    /// turn on the backend, so that its clock starts only when it can be sent.
    async fn one(
        grader: Arc<G>,
        item: Item,
        turn: Option<BatchContext>,
        budget: impl FnOnce() -> Budget + Send + 'static,
    ) -> Outcome {
        let blocked = grader.guard().check(&item);
        let _turn = match &turn {
            // An item the guard stops sends nothing, so it need not wait.
            Some(ctx) if blocked.is_none() => {
                match grader
                    .backend()
                    .item_slot(ctx.deadline(), ctx.cancel_token())
                    .await
                {
                    Ok(slot) => Some(slot),
                    Err(outcome) => return outcome,
                }
            }
            _ => None,
        };
        let budget = budget();
        let mut outcome = if let Err(expired) = budget.check() {
            Outcome::expired(expired).explain("reason", "the budget was spent before grading")
        } else if let Some(blocked) = blocked {
            blocked
        } else {
            grader.grade_item(item, budget.clone()).await
        };
        outcome.elapsed = Some(budget.start().elapsed());
        outcome
    }
}

impl<G: ItemGrader> Grader for Remote<G> {
    fn components(&self) -> Vec<String> {
        self.0.components()
    }

    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        let budget = budget.clone();
        assay_core::block_on_io(Self::one(
            Arc::clone(&self.0),
            item.clone(),
            None,
            move || budget,
        ))
    }

    fn grade_async(self: Arc<Self>, batch: Batch, ctx: BatchContext) -> BoxFuture<Vec<Outcome>> {
        let work: Vec<_> = (0..batch.len())
            .map(|k| {
                let ctx = ctx.clone();
                Self::one(
                    Arc::clone(&self.0),
                    batch.item(k).clone(),
                    Some(ctx.clone()),
                    move || ctx.item_budget(k),
                )
            })
            .collect();
        Box::pin(futures_util::future::join_all(work))
    }
}

/// A template environment: Jinja syntax, strict about undefined variables (a typo in a
/// template is an error, not an empty string).
pub(crate) fn environment() -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env
}

/// Checks that `source` parses as a template.
pub(crate) fn check_template(
    env: &Environment<'static>,
    what: &str,
    source: &str,
) -> Result<(), String> {
    env.template_from_str(source)
        .map(|_| ())
        .map_err(|e| format!("{what} is not a valid template: {e}"))
}

/// Renders `source` with `vars`; a failure is the item's `malformed_input` error.
pub(crate) fn render(
    env: &Environment<'static>,
    source: &str,
    vars: &Value,
) -> Result<String, Outcome> {
    env.render_str(
        source,
        minijinja::Value::from(minijinja::value::Serde(vars)),
    )
    .map_err(|e| {
        let mut text = e.to_string();
        if let Some(detail) = e.detail() {
            text.push_str(&format!(" ({detail})"));
        }
        Outcome::error(
            ErrorKind::MalformedInput,
            format!("the template does not render for this item: {text}"),
        )
    })
}

/// The variables templates see: `prompt`, `response`, `reference`, `rubric` (the reference's
/// `rubric` field, or the reference when it is a string), `messages` (the prompt as chat
/// messages), the whole `item`, and OpenAI's grader names `sample.output_text` and
/// `item.<field>` (the item's metadata fields are merged into `item`).
pub(crate) fn template_vars(item: &Item) -> Value {
    let prompt = item.prompt_text().unwrap_or("").to_string();
    let response = item.response_text().to_string();
    let reference = match &item.reference {
        Value::String(s) => json!(s),
        Value::Null => json!(""),
        Value::Object(map) => map
            .get("answer")
            .or_else(|| map.get("reference"))
            .cloned()
            .unwrap_or_else(|| item.reference.clone()),
        other => other.clone(),
    };
    let rubric = match &item.reference {
        Value::Object(map) => map.get("rubric").cloned().unwrap_or(json!("")),
        _ => json!(""),
    };
    let mut item_vars = serde_json::Map::new();
    if let Value::Object(meta) = &item.metadata {
        item_vars.extend(meta.clone());
    }
    if let Value::Object(reference) = &item.reference {
        for (k, v) in reference {
            item_vars.entry(k.clone()).or_insert(v.clone());
        }
    }
    item_vars.insert("prompt".into(), json!(prompt));
    item_vars.insert("response".into(), json!(response));
    item_vars.insert("reference".into(), reference.clone());
    item_vars.insert("metadata".into(), item.metadata.clone());
    json!({
        "prompt": prompt,
        "response": response,
        "reference": reference,
        "rubric": rubric,
        "messages": chat_messages(item.prompt.as_ref(), None),
        "item": Value::Object(item_vars),
        "sample": {"output_text": response},
    })
}

/// The prompt (and, when given, the response as a final assistant turn) as chat messages.
pub(crate) fn chat_messages(prompt: Option<&Content>, response: Option<&Content>) -> Vec<Value> {
    let mut messages = Vec::new();
    match prompt {
        None => {}
        Some(Content::Text(text)) => messages.push(json!({"role": "user", "content": text})),
        Some(Content::Messages(list)) => messages.extend(
            list.iter()
                .map(|m| json!({"role": m.role, "content": m.content})),
        ),
    }
    match response {
        None => {}
        Some(Content::Text(text)) => messages.push(json!({"role": "assistant", "content": text})),
        Some(content @ Content::Messages(_)) => {
            messages.push(json!({"role": "assistant", "content": content.final_text()}))
        }
    }
    messages
}

/// Defines a remote grader's options struct: its own fields, then the connection options
/// ([`crate::backend::Connection`]) and the guard, flat in the same table.
macro_rules! remote_options {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$fmeta:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($(#[$fmeta])* pub $field: $ty,)*
            /// Base URL of the server, e.g. `http://localhost:8000` (paths such as
            /// `/v1/chat/completions` are added).
            pub url: String,
            /// The name of an environment variable holding the API key, sent as
            /// `Authorization: Bearer …`; the key never appears in logs, errors or results.
            #[serde(default)]
            pub api_key_env: Option<String>,
            /// Most requests in flight to this server at once.
            #[serde(default = "crate::backend::default_concurrency")]
            pub max_concurrency: usize,
            /// Most requests started per minute (none: unlimited).
            #[serde(default)]
            pub requests_per_minute: Option<u32>,
            /// Most tokens (prompt + completion, as the server reports them) per minute.
            #[serde(default)]
            pub tokens_per_minute: Option<u64>,
            /// Retries after a 408, 429, 5xx, connection error or truncated reply.
            #[serde(default = "crate::backend::default_retries")]
            pub max_retries: u32,
            /// First retry delay in ms; doubles per retry with jitter (`Retry-After` replaces it).
            #[serde(default = "crate::backend::default_backoff_ms")]
            pub backoff_ms: u64,
            /// Longest retry delay in ms.
            #[serde(default = "crate::backend::default_max_backoff_ms")]
            pub max_backoff_ms: u64,
            /// Time limit of one attempt in ms (the item's deadline also bounds it).
            #[serde(default = "crate::backend::default_request_timeout_ms")]
            pub request_timeout_ms: u64,
            /// Consecutive failed attempts that open the circuit breaker (0: never).
            #[serde(default = "crate::backend::default_breaker_failures")]
            pub breaker_failures: u32,
            /// How long (ms) an open breaker refuses requests before trying one.
            #[serde(default = "crate::backend::default_breaker_cooldown_ms")]
            pub breaker_cooldown_ms: u64,
            /// Keep replies in memory keyed by (server, model, request): one request is sent
            /// once per process.
            #[serde(default = "crate::backend::yes")]
            pub cache: bool,
            /// Most replies kept in memory (least recently used dropped first).
            #[serde(default = "crate::backend::default_cache_entries")]
            pub cache_entries: usize,
            /// Also keep replies in this SQLite file (re-scoring the same rollouts later
            /// sends nothing).
            #[serde(default)]
            pub cache_path: Option<std::path::PathBuf>,
            /// Most requests this server may be sent in this process; later items are
            /// `error`/`budget`.
            #[serde(default)]
            pub max_requests: Option<u64>,
            /// Most tokens this server may spend in this process; later items are
            /// `error`/`budget`.
            #[serde(default)]
            pub max_tokens: Option<u64>,
            /// Send nothing: each item is `not_applicable` with the request it would have
            /// sent in its explanation.
            #[serde(default)]
            pub dry_run: bool,
            /// The one-token guard: a response with no content (empty, punctuation, a
            /// reasoning opener with nothing after it, the prompt echoed) earns 0 with reason
            /// `no_content`, and no request is sent.
            #[serde(default)]
            pub guard: crate::guard::GuardOptions,
        }

        impl $name {
            /// The connection options.
            pub fn connection(&self) -> crate::backend::Connection {
                crate::backend::Connection {
                    url: self.url.clone(),
                    api_key_env: self.api_key_env.clone(),
                    max_concurrency: self.max_concurrency,
                    requests_per_minute: self.requests_per_minute,
                    tokens_per_minute: self.tokens_per_minute,
                    max_retries: self.max_retries,
                    backoff_ms: self.backoff_ms,
                    max_backoff_ms: self.max_backoff_ms,
                    request_timeout_ms: self.request_timeout_ms,
                    breaker_failures: self.breaker_failures,
                    breaker_cooldown_ms: self.breaker_cooldown_ms,
                    cache: self.cache,
                    cache_entries: self.cache_entries,
                    cache_path: self.cache_path.clone(),
                    max_requests: self.max_requests,
                    max_tokens: self.max_tokens,
                    dry_run: self.dry_run,
                }
            }
        }
    };
}
pub(crate) use remote_options;

//! The engine: builds the graders of a configuration, routes items to them, grades batches in
//! parallel and turns outcomes into results that keep the contract (one per item, in order,
//! fixed component keys, no silent zero).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures_util::stream::{FuturesUnordered, StreamExt};
use futures_util::FutureExt;
use globset::{Glob, GlobMatcher};
use serde_json::Value;
use tracing::Instrument;

use crate::config::{Config, ConfigError, ConfigProblem, GraderConfig, OnError};
use crate::grader::{Batch, Panicked};
use crate::registry::{BuildContext, Registry, Resolver};
use crate::{
    BatchContext, ErrorKind, GradeError, GradeResult, Input, Item, Outcome, ScoreRequest, Scored,
    SharedGrader, Status,
};
use cost::{text_bytes, CostEstimate, INLINE_BUDGET, INLINE_BYTES};

/// How many items of one grader go into a batch (groups are never split).
pub const DEFAULT_BATCH_SIZE: usize = 64;

struct Entry {
    name: String,
    grader: SharedGrader,
    components: Vec<String>,
    timeout: Option<Duration>,
    on_error: OnError,
    /// What its items have been costing (decides which batches are graded inline).
    cost: CostEstimate,
}

struct Route {
    pattern: String,
    matcher: GlobMatcher,
    grader: usize,
}

/// A built configuration, ready to score items from many threads at once.
pub struct Engine {
    entries: Vec<Entry>,
    by_name: HashMap<String, usize>,
    routes: Vec<Route>,
    routed_components: Vec<String>,
    batch_size: usize,
    /// The configuration's failure reward, for items that reach no grader (malformed lines,
    /// no route).
    on_error: OnError,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("graders", &self.grader_names())
            .field(
                "routes",
                &self.routes.iter().map(|r| &r.pattern).collect::<Vec<_>>(),
            )
            .finish()
    }
}

/// Where the items of a call go.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    /// By `data_source`, through the configuration's routes.
    Routes,
    /// All to the grader of this name.
    Grader(&'a str),
}

impl Engine {
    /// Builds every grader of `config` with the kinds of `registry`, checking kinds, options,
    /// references between graders and routes. Every problem is reported at once; `source`
    /// names the configuration in the error.
    pub fn new(config: &Config, registry: &Registry, source: &str) -> Result<Engine, ConfigError> {
        let mut builder = Builder::new(registry, &config.graders);
        for index in 0..config.graders.len() {
            builder.build(index);
        }
        let mut problems = std::mem::take(&mut builder.problems);
        let mut routes = Vec::new();
        for (i, route) in config.routes.iter().enumerate() {
            let at = format!("routes[{i}]");
            let grader = builder.index.get(route.grader.as_str()).copied();
            if grader.is_none() {
                problems.push(ConfigProblem::new(
                    format!("{at}.grader"),
                    format!(
                        "no grader named `{}`; defined: {}",
                        route.grader,
                        builder.defined_names()
                    ),
                ));
            }
            match Glob::new(&route.data_source) {
                Ok(glob) => {
                    if let Some(grader) = grader {
                        routes.push(Route {
                            pattern: route.data_source.clone(),
                            matcher: glob.compile_matcher(),
                            grader,
                        });
                    }
                }
                Err(e) => problems.push(ConfigProblem::new(
                    format!("{at}.data_source"),
                    format!("not a valid pattern: {e}"),
                )),
            }
        }
        if config.routes.is_empty() && config.graders.len() > 1 {
            problems.push(ConfigProblem::new(
                "routes",
                "several graders and no route: add [[routes]] tables (data_source = \"*\" sets the default)",
            ));
        }
        if !problems.is_empty() {
            return Err(ConfigError {
                source: source.to_string(),
                problems,
            });
        }
        let entries: Vec<Entry> = config
            .graders
            .iter()
            .zip(builder.built)
            .map(|(gc, built)| {
                let grader = built.expect("every grader built when no problem was found");
                Entry {
                    name: gc.name.clone(),
                    components: grader.components(),
                    grader,
                    timeout: Some(Duration::from_millis(
                        gc.timeout_ms.unwrap_or(config.timeout_ms),
                    )),
                    on_error: gc.on_error.unwrap_or(config.on_error),
                    cost: CostEstimate::default(),
                }
            })
            .collect();
        if routes.is_empty() {
            // One grader and no route: it grades everything.
            routes.push(Route {
                pattern: "*".into(),
                matcher: Glob::new("*").expect("valid glob").compile_matcher(),
                grader: 0,
            });
        }
        let routed: BTreeSet<usize> = routes.iter().map(|r| r.grader).collect();
        let routed_components = routed
            .iter()
            .flat_map(|&g| entries[g].components.iter().cloned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let by_name = entries
            .iter()
            .enumerate()
            .map(|(i, e)| (e.name.clone(), i))
            .collect();
        Ok(Engine {
            entries,
            by_name,
            routes,
            routed_components,
            batch_size: DEFAULT_BATCH_SIZE,
            on_error: config.on_error,
        })
    }

    /// Sets how many items of one grader go into one batch (at least 1).
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.max(1);
        self
    }

    /// The grader called `name` and its item timeout, to call it directly (the conformance
    /// suite does).
    pub fn grader(&self, name: &str) -> Option<(SharedGrader, Option<Duration>)> {
        let entry = &self.entries[*self.by_name.get(name)?];
        Some((Arc::clone(&entry.grader), entry.timeout))
    }

    /// The names of the configured graders, in configuration order.
    pub fn grader_names(&self) -> Vec<&str> {
        self.entries.iter().map(|e| e.name.as_str()).collect()
    }

    /// The component keys every result of `target` carries.
    pub fn component_keys(&self, target: Target<'_>) -> Result<&[String], GradeError> {
        match target {
            Target::Routes => Ok(&self.routed_components),
            Target::Grader(name) => Ok(&self.entries[self.lookup(name)?].components),
        }
    }

    /// The grader an item goes to by its `data_source`.
    pub fn route(&self, data_source: Option<&str>) -> Result<&str, GradeError> {
        self.route_index(data_source)
            .map(|i| self.entries[i].name.as_str())
    }

    /// Whether `batches` of `inputs` are expected to cost less than the hop to the CPU pool:
    /// under [`INLINE_BUDGET`] in all by their graders' estimates (a grader with none yet is
    /// not cheap), with texts under [`INLINE_BYTES`] in all.
    fn cheap(&self, inputs: &[Input], batches: &[(usize, Arc<[usize]>)]) -> bool {
        let mut expected = Duration::ZERO;
        for (g, members) in batches {
            match self.entries[*g].cost.expected(members.len()) {
                Some(cost) => expected = expected.saturating_add(cost),
                None => return false,
            }
            if expected > INLINE_BUDGET {
                return false;
            }
        }
        let bytes = batches
            .iter()
            .flat_map(|(_, members)| members.iter())
            .map(|&i| text_bytes(&inputs[i]))
            .sum::<usize>();
        bytes <= INLINE_BYTES
    }

    fn route_index(&self, data_source: Option<&str>) -> Result<usize, GradeError> {
        let ds = data_source.unwrap_or("");
        self.routes
            .iter()
            .find(|r| r.matcher.is_match(ds))
            .map(|r| r.grader)
            .ok_or_else(|| {
                let patterns: Vec<&str> = self.routes.iter().map(|r| r.pattern.as_str()).collect();
                GradeError::new(
                    ErrorKind::NoRoute,
                    format!(
                        "no route matches data_source {:?}; routes: {}. Add a route, or a \"*\" default route",
                        ds,
                        patterns.join(", ")
                    ),
                )
            })
    }

    fn lookup(&self, name: &str) -> Result<usize, GradeError> {
        self.by_name.get(name).copied().ok_or_else(|| {
            GradeError::new(
                ErrorKind::NoRoute,
                format!(
                    "no grader named `{name}`; configured: {}",
                    self.grader_names().join(", ")
                ),
            )
        })
    }

    /// Scores a request: the one pipeline every front end goes through. Parses nothing
    /// (inputs are already items or malformed lines), routes each item, grades the batches
    /// of each grader concurrently (CPU graders on rayon, I/O graders on the async runtime;
    /// CPU batches cheaper than the hop to rayon on the calling task), turns outcomes into
    /// results that keep the contract, and shapes groups.
    ///
    /// Resolves by the request's deadline plus [`DEADLINE_SLACK`](crate::request::DEADLINE_SLACK)
    /// (unfinished items get `timeout`), or soon after its cancellation token fires (unfinished
    /// items get `error` of kind `cancelled`); either way the outstanding work is told to stop.
    /// Poll it inside a tokio runtime, or use [`score_blocking`](Engine::score_blocking).
    pub async fn score_request(&self, request: ScoreRequest) -> Scored {
        self.score_request_on(request, Caller::Async).await
    }

    async fn score_request_on(&self, request: ScoreRequest, caller: Caller) -> Scored {
        let ScoreRequest {
            inputs,
            grader,
            on_error,
            deadline,
            advantage,
            cancel,
            pool,
        } = request;
        let inputs: Arc<[Input]> = inputs.into();
        let n = inputs.len();
        let named = grader.as_deref().map(|name| self.lookup(name));
        let keys: Vec<String> = match &named {
            Some(Ok(g)) => self.entries[*g].components.clone(),
            Some(Err(_)) => Vec::new(),
            None => self.routed_components.clone(),
        };
        let fallback = |entry_on_error: OnError| on_error.unwrap_or(entry_on_error);
        let mut results: Vec<Option<GradeResult>> = vec![None; n];
        let mut routed_to: Vec<Option<usize>> = vec![None; n];
        let mut buckets: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, input) in inputs.iter().enumerate() {
            let routed = match (input, &named) {
                (Err(bad), _) => Err(bad.error()),
                (Ok(_), Some(Err(e))) => Err(e.clone()),
                (Ok(_), Some(Ok(g))) => Ok(*g),
                (Ok(item), None) => self.route_index(item.data_source.as_deref()),
            };
            match routed {
                Ok(g) => {
                    routed_to[i] = Some(g);
                    buckets.entry(g).or_default().push(i);
                }
                Err(error) => {
                    let id = match input {
                        Ok(item) => item.id.clone(),
                        Err(bad) => bad.id.clone(),
                    };
                    // A malformed line whose `data_source` can be read takes the failure
                    // reward of the grader it would have gone to.
                    let entry_on_error = match (input, &named) {
                        (Err(_), Some(Ok(g))) => self.entries[*g].on_error,
                        (Err(bad), None) => self
                            .route_index(bad.data_source.as_deref())
                            .map_or(self.on_error, |g| self.entries[g].on_error),
                        _ => self.on_error,
                    };
                    let outcome = Outcome::from_error(error);
                    let on_error = fallback(entry_on_error);
                    results[i] = Some(finish(id, outcome, 0.0, &keys, on_error, None));
                }
            }
        }

        let request_ctx = BatchContext::for_request(n, deadline, cancel.clone(), pool);
        // A request whose batches cost less than the hop to the CPU pool and back is graded
        // on this thread (see `cost`): a blocking caller's single item always, since the caller
        // waits anyway, and any caller's request while its expected time fits `INLINE_BUDGET`.
        // Larger requests keep the pool for all their batches, which it grades in parallel.
        let one_item = buckets.len() == 1 && buckets.values().all(|members| members.len() == 1);
        let batches: Vec<(usize, Arc<[usize]>)> = buckets
            .into_iter()
            .flat_map(|(g, indices)| {
                split_batches(&inputs, indices, self.batch_size)
                    .into_iter()
                    .map(move |members| (g, Arc::from(members)))
            })
            .collect();
        let inline = (caller == Caller::Blocking && one_item) || self.cheap(&inputs, &batches);
        let mut pending = FuturesUnordered::new();
        for (g, members) in batches {
            let entry = &self.entries[g];
            let batch = Batch::of(Arc::clone(&inputs), Arc::clone(&members));
            let mut ctx = request_ctx.for_batch(Arc::clone(&members), entry.timeout);
            if inline {
                ctx = ctx.inline_cpu();
            }
            let started = Instant::now();
            let span = tracing::debug_span!("batch", grader = %entry.name, items = members.len());
            let graded =
                AssertUnwindSafe(Arc::clone(&entry.grader).grade_async(batch, ctx)).catch_unwind();
            let work = async move {
                let outcomes = graded.await;
                tracing::debug!(
                    ms = started.elapsed().as_secs_f64() * 1e3,
                    panicked = outcomes.is_err(),
                    "batch graded"
                );
                outcomes
            }
            .instrument(span);
            pending.push(async move { (g, members, started, work.await) });
        }

        let backstop = deadline.map(|d| d + crate::request::DEADLINE_SLACK);
        let sleep = async {
            match backstop {
                Some(at) => tokio::time::sleep_until(at.into()).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(sleep);
        let stop = cancel.clone();
        let cancelled = stop.cancelled();
        tokio::pin!(cancelled);
        loop {
            tokio::select! {
                next = pending.next() => {
                    let Some((g, members, started, outcomes)) = next else { break };
                    let entry = &self.entries[g];
                    let outcomes = match outcomes {
                        Ok(outcomes) if outcomes.len() == members.len() => outcomes,
                        Ok(outcomes) => {
                            let message = format!(
                                "grader `{}` returned {} outcomes for {} items",
                                entry.name,
                                outcomes.len(),
                                members.len()
                            );
                            vec![Outcome::error(ErrorKind::Internal, message); members.len()]
                        }
                        Err(panic) => {
                            let message = Panicked::from(panic).message();
                            vec![Outcome::error(ErrorKind::Panic, message); members.len()]
                        }
                    };
                    let batch_ms = started.elapsed().as_secs_f64() * 1e3;
                    let (timed, total) = outcomes
                        .iter()
                        .filter_map(|o| o.elapsed)
                        .fold((0, Duration::ZERO), |(k, sum), d| (k + 1, sum.saturating_add(d)));
                    entry.cost.observe(total, timed);
                    for (&i, mut outcome) in members.iter().zip(outcomes) {
                        // A grader that noticed its budget end may not tell a cancellation
                        // from a deadline; once the request is cancelled, it was that.
                        if outcome.status == Status::Timeout && cancel.is_cancelled() {
                            outcome = cancelled_instead_of(outcome);
                        }
                        let elapsed = match (outcome.elapsed, request_ctx.started_input(i)) {
                            (Some(d), _) => d.as_secs_f64() * 1e3,
                            (None, Some(start)) => start.elapsed().as_secs_f64() * 1e3,
                            (None, None) => batch_ms,
                        };
                        let item = inputs[i].as_ref().expect("only items are routed");
                        results[i] = Some(finish(
                            item.id.clone(),
                            outcome,
                            elapsed,
                            &keys,
                            fallback(entry.on_error),
                            Some(&entry.name),
                        ));
                    }
                }
                () = &mut sleep => break,
                () = &mut cancelled => break,
            }
        }
        if results.iter().any(Option::is_none) {
            // Tell the stragglers to stop: rayon work sees its budget expire, sandboxed
            // processes are killed, remote calls are dropped with their futures.
            let was_cancelled = cancel.is_cancelled();
            let unfinished = results.iter().filter(|r| r.is_none()).count();
            if was_cancelled {
                tracing::info!(
                    unfinished,
                    "request cancelled; stopping its outstanding work"
                );
            } else {
                tracing::warn!(
                    unfinished,
                    "request deadline passed with items unfinished; they are `timeout`"
                );
            }
            cancel.cancel();
            drop(pending);
            for (i, slot) in results.iter_mut().enumerate() {
                if slot.is_some() {
                    continue;
                }
                let item = inputs[i].as_ref().expect("unrouted inputs have results");
                let entry = &self.entries[routed_to[i].expect("routed inputs")];
                let outcome = if was_cancelled {
                    Outcome::error(
                        ErrorKind::Cancelled,
                        "the request was cancelled before this item finished",
                    )
                } else {
                    Outcome::timeout("the request's deadline passed before this item finished")
                };
                let elapsed = request_ctx
                    .started_input(i)
                    .map_or(0.0, |s| s.elapsed().as_secs_f64() * 1e3);
                *slot = Some(finish(
                    item.id.clone(),
                    outcome,
                    elapsed,
                    &keys,
                    fallback(entry.on_error),
                    Some(&entry.name),
                ));
            }
        }
        let mut results: Vec<GradeResult> = results
            .into_iter()
            .map(|r| r.expect("every input has exactly one result"))
            .collect();
        let names: Vec<Option<&str>> = inputs
            .iter()
            .map(|input| input.as_ref().ok().and_then(|item| item.group.as_deref()))
            .collect();
        let groups = crate::group::shape_summaries(&names, &mut results, advantage);
        Scored { results, groups }
    }

    /// [`score_request`](Engine::score_request) for synchronous callers: blocks the calling
    /// thread until the results are in. Call it from a thread that is not a worker of the
    /// rayon pool the request uses.
    pub fn score_blocking(&self, request: ScoreRequest) -> Scored {
        crate::grader::block_on_io(self.score_request_on(request, Caller::Blocking))
    }

    /// Scores items by their routes: one result per item, in order.
    pub fn score(&self, items: &[Item]) -> Vec<GradeResult> {
        self.score_blocking(ScoreRequest::items(items.iter().cloned()))
            .results
    }

    /// Scores inputs (items, or lines that failed to parse) with `target`; `on_error`
    /// overrides the configured failure reward. One result per input, in order. A shorthand
    /// for [`score_blocking`](Engine::score_blocking).
    pub fn score_inputs(
        &self,
        inputs: &[Input],
        target: Target<'_>,
        on_error: Option<OnError>,
    ) -> Vec<GradeResult> {
        let grader = match target {
            Target::Routes => None,
            Target::Grader(name) => Some(name.to_string()),
        };
        let request = ScoreRequest::new(inputs.to_vec())
            .target(grader)
            .on_error(on_error);
        self.score_blocking(request).results
    }
}

/// Who waits for a request: an async task (whose runtime thread may run only short CPU work:
/// batches under `cost::INLINE_BUDGET`) or a thread blocked on it (which also grades a single
/// item itself, whatever its cost).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Caller {
    Async,
    Blocking,
}

/// The outcome of a cancelled request's item that its grader reported as out of time.
fn cancelled_instead_of(timed_out: Outcome) -> Outcome {
    let said = timed_out.error.map(|e| e.message).unwrap_or_default();
    let mut outcome = Outcome::error(
        ErrorKind::Cancelled,
        format!("the request was cancelled while this item was graded ({said})"),
    );
    outcome.explanation = timed_out.explanation;
    outcome.usage = timed_out.usage;
    outcome.elapsed = timed_out.elapsed;
    outcome
}

/// Splits one grader's items into batches of about `size`, keeping each group in one batch.
fn split_batches(inputs: &[Input], mut indices: Vec<usize>, size: usize) -> Vec<Vec<usize>> {
    let group_of = |i: usize| {
        inputs[i]
            .as_ref()
            .ok()
            .and_then(|item| item.group.as_deref())
    };
    // Order by the first appearance of each group, so a group's items are adjacent.
    let mut first_seen: HashMap<&str, usize> = HashMap::new();
    for &i in &indices {
        if let Some(g) = group_of(i) {
            first_seen.entry(g).or_insert(i);
        }
    }
    indices.sort_by_key(|&i| (group_of(i).map_or(i, |g| first_seen[g]), i));
    let mut batches: Vec<Vec<usize>> = Vec::new();
    let mut current: Vec<usize> = Vec::new();
    for i in indices {
        let continues_group = current
            .last()
            .is_some_and(|&last| group_of(last).is_some() && group_of(last) == group_of(i));
        if current.len() >= size && !continues_group {
            batches.push(std::mem::take(&mut current));
        }
        current.push(i);
    }
    if !current.is_empty() {
        batches.push(current);
    }
    batches
}

/// Turns a grader's outcome into a result that keeps the contract.
fn finish(
    id: Option<Value>,
    mut outcome: Outcome,
    elapsed_ms: f64,
    keys: &[String],
    on_error: OnError,
    grader: Option<&str>,
) -> GradeResult {
    // A scored status must carry a finite reward; anything else is a grader bug, made visible.
    let undeclared = outcome.components.keys().find(|k| !keys.contains(k));
    let broken = match (outcome.status.is_scored(), outcome.reward, undeclared) {
        (true, None, _) => Some(format!("status {} without a reward", outcome.status)),
        (_, Some(r), _) if !r.is_finite() => Some(format!("non-finite reward {r}")),
        (_, _, Some(key)) => Some(format!(
            "component `{key}`, which it does not declare (declared: {})",
            keys.join(", ")
        )),
        _ => None,
    };
    if let Some(what) = broken {
        let name = grader.unwrap_or("?");
        outcome = Outcome::error(
            ErrorKind::Internal,
            format!("grader `{name}` returned {what}"),
        );
    }
    if !outcome.status.is_scored() {
        outcome.reward = None;
    }
    if outcome.status.is_failure() {
        outcome.reward = on_error.reward();
    }
    let mut components: crate::Components = keys.iter().map(|k| (k.clone(), None)).collect();
    for (key, value) in outcome.components {
        if let Some(slot) = components.get_mut(&key) {
            *slot = value.filter(|v| v.is_finite());
        }
    }
    // The grader's name is the result's own `grader` field; the explanation is the grader's
    // alone (adding to it here would also grow, across threads, a map the grader allocated).
    GradeResult {
        id,
        reward: outcome.reward,
        status: outcome.status,
        components,
        pred: outcome.pred,
        explanation: outcome.explanation,
        error: outcome.error,
        grader: grader.map(String::from),
        elapsed_ms,
        advantage: None,
        usage: (!outcome.usage.is_zero()).then_some(outcome.usage),
        zero_spread: None,
    }
}

/// Builds graders in dependency order, finding cycles and unknown names.
struct Builder<'a> {
    registry: &'a Registry,
    configs: &'a [GraderConfig],
    index: HashMap<&'a str, usize>,
    built: Vec<Option<SharedGrader>>,
    state: Vec<State>,
    stack: Vec<usize>,
    problems: Vec<ConfigProblem>,
}

#[derive(Clone, Copy, PartialEq)]
enum State {
    Pending,
    Building,
    Done,
    Failed,
}

impl<'a> Builder<'a> {
    fn new(registry: &'a Registry, configs: &'a [GraderConfig]) -> Self {
        Builder {
            registry,
            configs,
            index: configs
                .iter()
                .enumerate()
                .map(|(i, c)| (c.name.as_str(), i))
                .collect(),
            built: vec![None; configs.len()],
            state: vec![State::Pending; configs.len()],
            stack: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn defined_names(&self) -> String {
        let names: Vec<&str> = self.configs.iter().map(|c| c.name.as_str()).collect();
        names.join(", ")
    }

    fn build(&mut self, index: usize) {
        if self.state[index] != State::Pending {
            return;
        }
        let configs = self.configs;
        let registry = self.registry;
        let config = &configs[index];
        let at = format!("graders.{}", config.name);
        let Some(kind) = registry.kind(&config.kind) else {
            self.state[index] = State::Failed;
            self.problems.push(ConfigProblem::new(
                format!("{at}.kind"),
                format!(
                    "unknown kind `{}`; known kinds: {}",
                    config.kind,
                    registry.names().join(", ")
                ),
            ));
            return;
        };
        self.state[index] = State::Building;
        self.stack.push(index);
        let options = Value::Object(config.options.clone());
        let result = {
            let mut ctx = BuildContext::new(&config.name, self);
            kind.build(options, &mut ctx)
        };
        self.stack.pop();
        match result {
            Ok(grader) => {
                self.built[index] = Some(grader);
                self.state[index] = State::Done;
            }
            Err(problems) => {
                self.state[index] = State::Failed;
                self.problems
                    .extend(problems.into_iter().map(|p| p.under(&at)));
            }
        }
    }
}

impl Resolver for Builder<'_> {
    fn resolve(&mut self, name: &str) -> Result<SharedGrader, String> {
        let Some(&index) = self.index.get(name) else {
            return Err(format!(
                "uses `{name}`, which is not defined; defined graders: {}",
                self.defined_names()
            ));
        };
        if self.state[index] == State::Building {
            let mut cycle: Vec<&str> = self
                .stack
                .iter()
                .skip_while(|&&i| i != index)
                .map(|&i| self.configs[i].name.as_str())
                .collect();
            cycle.push(name);
            return Err(format!("graders form a cycle: {}", cycle.join(" → ")));
        }
        self.build(index);
        match &self.built[index] {
            Some(grader) => Ok(Arc::clone(grader)),
            None => Err(format!(
                "uses `{name}`, which has problems of its own (listed separately)"
            )),
        }
    }
}

mod cost;
#[cfg(test)]
mod tests;

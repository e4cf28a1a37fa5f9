//! The engine: builds the graders of a configuration, routes items to them, grades batches in
//! parallel and turns outcomes into results that keep the contract (one per item, in order,
//! fixed component keys, no silent zero).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;
use std::time::{Duration, Instant};

use globset::{Glob, GlobMatcher};
use rayon::prelude::*;
use serde_json::Value;

use crate::config::{Config, ConfigError, ConfigProblem, GraderConfig, OnError};
use crate::registry::{BuildContext, Registry, Resolver};
use crate::{BatchContext, ErrorKind, GradeError, GradeResult, Input, Item, Outcome, SharedGrader};

/// How many items of one grader go into a batch (groups are never split).
pub const DEFAULT_BATCH_SIZE: usize = 64;

struct Entry {
    name: String,
    grader: SharedGrader,
    components: Vec<String>,
    timeout: Option<Duration>,
    on_error: OnError,
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

    /// Scores items by their routes: one result per item, in order.
    pub fn score(&self, items: &[Item]) -> Vec<GradeResult> {
        let inputs: Vec<Input> = items.iter().cloned().map(Ok).collect();
        self.score_inputs(&inputs, Target::Routes, None)
    }

    /// Scores inputs (items, or lines that failed to parse) with `target`; `on_error`
    /// overrides the configured failure reward. One result per input, in order.
    pub fn score_inputs(
        &self,
        inputs: &[Input],
        target: Target<'_>,
        on_error: Option<OnError>,
    ) -> Vec<GradeResult> {
        let named = match target {
            Target::Routes => None,
            Target::Grader(name) => Some(self.lookup(name)),
        };
        let keys: &[String] = match &named {
            Some(Ok(g)) => &self.entries[*g].components,
            Some(Err(_)) => &[],
            None => &self.routed_components,
        };
        let mut results: Vec<Option<GradeResult>> = vec![None; inputs.len()];
        let mut buckets: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for (i, input) in inputs.iter().enumerate() {
            let routed = match (input, &named) {
                (Err(bad), _) => Err(bad.error()),
                (Ok(_), Some(Err(e))) => Err(e.clone()),
                (Ok(_), Some(Ok(g))) => Ok(*g),
                (Ok(item), None) => self.route_index(item.data_source.as_deref()),
            };
            match routed {
                Ok(g) => buckets.entry(g).or_default().push(i),
                Err(error) => {
                    let id = match input {
                        Ok(item) => item.id.clone(),
                        Err(bad) => bad.id.clone(),
                    };
                    let outcome = Outcome::from_error(error);
                    results[i] = Some(finish(
                        id,
                        outcome,
                        0.0,
                        keys,
                        on_error.unwrap_or(self.on_error),
                        None,
                    ));
                }
            }
        }
        let batches: Vec<(usize, Vec<usize>)> = buckets
            .into_iter()
            .flat_map(|(g, indices)| {
                split_batches(inputs, indices, self.batch_size)
                    .into_iter()
                    .map(move |b| (g, b))
            })
            .collect();
        let graded: Vec<(usize, GradeResult)> = batches
            .into_par_iter()
            .flat_map_iter(|(g, indices)| {
                let entry = &self.entries[g];
                let items: Vec<&Item> = indices
                    .iter()
                    .map(|&i| inputs[i].as_ref().expect("only items are routed"))
                    .collect();
                let batch_results = self.grade_batch(entry, &items, keys, on_error);
                indices.into_iter().zip(batch_results)
            })
            .collect();
        for (i, r) in graded {
            results[i] = Some(r);
        }
        results
            .into_iter()
            .map(|r| r.expect("every input has exactly one result"))
            .collect()
    }

    fn grade_batch(
        &self,
        entry: &Entry,
        items: &[&Item],
        keys: &[String],
        on_error: Option<OnError>,
    ) -> Vec<GradeResult> {
        let ctx = BatchContext::new(entry.timeout);
        let started = Instant::now();
        let outcomes = catch_unwind(AssertUnwindSafe(|| entry.grader.grade_batch(items, &ctx)));
        let batch_ms = started.elapsed().as_secs_f64() * 1e3;
        let per_item_ms = batch_ms / items.len().max(1) as f64;
        let on_error = on_error.unwrap_or(entry.on_error);
        let outcomes: Vec<Outcome> = match outcomes {
            Ok(outcomes) if outcomes.len() == items.len() => outcomes,
            Ok(outcomes) => {
                let message = format!(
                    "grader `{}` returned {} outcomes for {} items",
                    entry.name,
                    outcomes.len(),
                    items.len()
                );
                vec![Outcome::error(ErrorKind::Internal, message); items.len()]
            }
            Err(_) => {
                // One item's panic must not fail its neighbours: grade them one at a time.
                items
                    .iter()
                    .map(|item| {
                        catch_unwind(AssertUnwindSafe(|| {
                            ctx.grade_timed(entry.grader.as_ref(), item)
                        }))
                        .unwrap_or_else(|panic| {
                            let message = format!(
                                "grader `{}` panicked: {}",
                                entry.name,
                                panic_text(&*panic)
                            );
                            Outcome::error(ErrorKind::Internal, message)
                        })
                    })
                    .collect()
            }
        };
        items
            .iter()
            .zip(outcomes)
            .map(|(item, outcome)| {
                let elapsed = outcome
                    .elapsed
                    .map_or(per_item_ms, |d| d.as_secs_f64() * 1e3);
                finish(
                    item.id.clone(),
                    outcome,
                    elapsed,
                    keys,
                    on_error,
                    Some(&entry.name),
                )
            })
            .collect()
    }

    /// Scores on rayon's pool without blocking the caller; the future resolves to the results.
    /// Works with any async runtime.
    pub fn score_async(
        self: &Arc<Self>,
        inputs: Vec<Input>,
        target: Option<String>,
        on_error: Option<OnError>,
    ) -> impl Future<Output = Vec<GradeResult>> + Send + 'static {
        let (tx, rx) = futures_channel::oneshot::channel();
        let engine = Arc::clone(self);
        let n = inputs.len();
        rayon::spawn(move || {
            let target = match &target {
                Some(name) => Target::Grader(name),
                None => Target::Routes,
            };
            let _ = tx.send(engine.score_inputs(&inputs, target, on_error));
        });
        async move {
            rx.await.unwrap_or_else(|_| {
                let outcome = Outcome::error(ErrorKind::Internal, "the scoring task was dropped");
                (0..n)
                    .map(|_| finish(None, outcome.clone(), 0.0, &[], OnError::Null, None))
                    .collect()
            })
        }
    }
}

fn panic_text(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
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
    let broken = match (outcome.status.is_scored(), outcome.reward) {
        (true, None) => Some(format!("status {} without a reward", outcome.status)),
        (_, Some(r)) if !r.is_finite() => Some(format!("non-finite reward {r}")),
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
    let mut explanation = outcome.explanation;
    if let Some(name) = grader {
        explanation
            .entry("grader")
            .or_insert_with(|| Value::String(name.to_string()));
    }
    GradeResult {
        id,
        reward: outcome.reward,
        status: outcome.status,
        components,
        pred: outcome.pred,
        explanation,
        error: outcome.error,
        elapsed_ms,
        advantage: None,
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

#[cfg(test)]
mod tests;

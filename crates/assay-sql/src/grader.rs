//! `sql`: text-to-SQL rewards by running the query on SQLite — execution match plus
//! Reasoning-SQL partial rewards, read-only and killable.
//!
//! ```toml
//! [graders.sql]
//! kind = "sql"
//! mode = "bird"                  # bird | spider | strict
//! db_dir = "data/bird/dev_databases"
//! format_tags = ["think", "answer"]
//! weights = { execution = 3, syntax = 1, schema_jaccard = 1, ngram = 1, format = 1 }
//! ```
//!
//! Reference: `{"db": "path.sqlite", "gold": "SELECT ..."}`, or `{"db_id": "name", "gold":
//! "SELECT ..."}` with `db_dir` set (`<db_dir>/<db_id>/<db_id>.sqlite`, the Spider/BIRD
//! layout); a string holding such an object is accepted too.
//!
//! Statuses: `ok` with the weighted reward (a refused write is `ok` with reward 0 and the reason
//! in `explanation.refused`); `invalid` when the response holds no SQL; `timeout` when the gold
//! query, or the predicted query, is interrupted at the item's deadline; `error` when the database is
//! missing or unreadable (`execution`, with the path), the reference is malformed or the gold
//! query fails (`bad_reference`), or the gold result is over the size caps (`resource_limit`).
//!
//! Components (always all present): `execution`, `syntax`, `schema_recall`, `schema_jaccard`,
//! `ngram`, `format` — see [`crate::Components`].
//!
//! A runaway predicted query is the policy's failure, as a program that hangs is in the `code`
//! grader: it runs for at most the item's `timeout_ms` minus the grader's overhead ([`overhead`]:
//! a tenth, at most 200 ms) and, stopped there, scores as a query that failed (execution 0,
//! `explanation.error.kind` = `time_limit`). Only a query the request's deadline stops first is
//! `timeout` (no reward: not a verdict on the query).
//!
//! Cost: bounded by the item's deadline (a progress handler interrupts SQLite) and the
//! `limits`; gold results are cached per (database, gold query), so the rollouts of one question
//! run its gold once, and the items of a batch run in parallel on pooled connections.

use std::sync::Arc;
use std::time::Duration;

use assay_core::{
    BatchContext, Budget, BuildContext, ErrorKind, Grader, GraderKind, Item, Outcome, SharedGrader,
};
use rayon::prelude::*;

use crate::engine::{Components, SqlEngine, Verdict, VerdictStatus};
use crate::error::{ExecError, SqlError};
use crate::options::SqlOptions;

/// The `sql` grader.
#[derive(Debug)]
pub struct SqlGrader {
    engine: SqlEngine,
}

impl SqlGrader {
    /// A grader with `options` (checked).
    pub fn new(options: SqlOptions) -> Result<Self, String> {
        Ok(SqlGrader {
            engine: SqlEngine::new(options)?,
        })
    }

    /// The engine behind the grader.
    pub fn engine(&self) -> &SqlEngine {
        &self.engine
    }
}

impl Grader for SqlGrader {
    fn components(&self) -> Vec<String> {
        Components::NAMES.iter().map(|n| n.to_string()).collect()
    }

    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        self.grade_within(item, budget, None)
    }

    fn grade_batch(&self, items: &[&Item], ctx: &BatchContext) -> Vec<Outcome> {
        let timeout = ctx.timeout();
        let one = |(k, item): (usize, &&Item)| {
            ctx.grade_timed_with(k, |budget| self.grade_within(item, budget, timeout))
        };
        if items.len() <= 1 {
            return items.iter().enumerate().map(one).collect();
        }
        items.par_iter().enumerate().map(one).collect()
    }
}

impl SqlGrader {
    /// Grades with the predicted query's own time limit: what is left of the item's `timeout`
    /// minus [`overhead`], so a runaway query is the policy's failure (execution 0) while a
    /// query the request's deadline stops is `timeout`.
    fn grade_within(&self, item: &Item, budget: &Budget, timeout: Option<Duration>) -> Outcome {
        let query_limit = timeout.and_then(|t| {
            let limit = t.saturating_sub(overhead(Some(t)));
            budget.start().checked_add(limit).map(|at| (at, limit))
        });
        match self.engine.grade_limited(
            &item.reference,
            item.response_text(),
            budget.deadline(),
            query_limit,
        ) {
            Ok(verdict) => outcome(verdict),
            Err(error) => Outcome::error(error_kind(&error), error.to_string()),
        }
    }
}

/// Time the grader keeps for itself out of an item's timeout (opening the database, the gold
/// query when it is not cached, comparing): a tenth of the timeout, at most 200 ms; the same
/// rule as the `code` grader's programs. A predicted query's own time limit is the rest.
pub fn overhead(timeout: Option<Duration>) -> Duration {
    timeout.map_or(Duration::ZERO, |t| (t / 10).min(Duration::from_millis(200)))
}

fn outcome(verdict: Verdict) -> Outcome {
    let mut outcome = match verdict.status {
        VerdictStatus::Ok => Outcome::ok(verdict.reward.unwrap_or(0.0)),
        VerdictStatus::Invalid => Outcome::invalid(
            verdict.reward.unwrap_or(0.0),
            "no SQL found in the response",
        ),
        VerdictStatus::Timeout => Outcome::timeout(
            verdict.explanation["reason"]
                .as_str()
                .unwrap_or("a query was interrupted at the deadline"),
        ),
    };
    if verdict.status != VerdictStatus::Timeout {
        for (name, value) in verdict.components.pairs() {
            outcome = outcome.component(name, value);
        }
    }
    if let Some(pred) = verdict.pred {
        outcome = outcome.pred(pred);
    }
    if let serde_json::Value::Object(entries) = verdict.explanation {
        for (key, value) in entries {
            outcome.explanation.entry(key).or_insert(value);
        }
    }
    outcome
}

fn error_kind(error: &SqlError) -> ErrorKind {
    match error {
        SqlError::DatabaseNotFound { .. } | SqlError::DatabaseOpen { .. } => ErrorKind::Execution,
        SqlError::BadReference(_) => ErrorKind::BadReference,
        SqlError::Gold {
            reason: ExecError::TooManyRows(_) | ExecError::TooLarge(_),
            ..
        } => ErrorKind::ResourceLimit,
        SqlError::Gold { .. } => ErrorKind::BadReference,
    }
}

/// The `sql` kind.
#[derive(Debug)]
pub struct SqlKind;

impl GraderKind for SqlKind {
    type Options = SqlOptions;
    const NAME: &'static str = "sql";
    const FAMILY: &'static str = "sql";
    const SUMMARY: &'static str = "Runs the predicted SQL read-only on SQLite and rewards execution match with the gold query (bird, spider or strict), plus weighted Reasoning-SQL partial rewards: syntax, schema linking, n-gram similarity, format.";
    const REFERENCE: &'static str = "{\"db\": \"path.sqlite\", \"gold\": \"SELECT ...\"} or {\"db_id\": \"name\", \"gold\": \"SELECT ...\"} with db_dir set";
    const EXAMPLE: &'static str = r#"
[graders.sql]
kind = "sql"
mode = "bird"                # execution match, as BIRD scores it
"#;

    fn build(options: SqlOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        Ok(Arc::new(SqlGrader::new(options)?))
    }
}

/// Registers the `sql` grader kind.
pub fn register(registry: &mut assay_core::Registry) {
    registry.register::<SqlKind>();
}

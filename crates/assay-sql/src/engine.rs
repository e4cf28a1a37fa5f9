//! The SQL engine: resolves the reference, runs gold (cached) and prediction on a pooled
//! read-only connection, compares, and combines the reward components.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use serde_json::{json, Value as Json};

use crate::cache::OnceCache;
use crate::compare::compare;
use crate::error::{ExecError, SqlError};
use crate::exec::{clean, execute};
use crate::extract::{extract, format_reward, Extracted};
use crate::gold::{Gold, GoldCache};
use crate::lexer::has_top_level_order_by;
use crate::options::SqlOptions;
use crate::partial::{lexical_items, linking, ngram_similarity};
use crate::pool::{PooledConn, Pools};
use crate::reference::Reference;
use crate::schema::Schema;

/// Rows shown from each result in an explanation when they differ.
const PREVIEW_ROWS: usize = 3;

/// The reward components, always all present (a fixed key set per configuration).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Components {
    /// 1 when the prediction's result matches the gold's.
    pub execution: f64,
    /// 1 when the prediction prepares against the schema.
    pub syntax: f64,
    /// Share of the gold's tables and columns the prediction uses.
    pub schema_recall: f64,
    /// Jaccard similarity of gold and predicted tables and columns.
    pub schema_jaccard: f64,
    /// N-gram similarity of the query texts.
    pub ngram: f64,
    /// 1 when the response has the expected format.
    pub format: f64,
}

impl Components {
    /// Component names, in the order of [`Components::as_array`].
    pub const NAMES: [&'static str; 6] = [
        "execution",
        "syntax",
        "schema_recall",
        "schema_jaccard",
        "ngram",
        "format",
    ];

    /// The values in [`Components::NAMES`] order.
    pub fn as_array(&self) -> [f64; 6] {
        [
            self.execution,
            self.syntax,
            self.schema_recall,
            self.schema_jaccard,
            self.ngram,
            self.format,
        ]
    }

    /// `(name, value)` pairs in [`Components::NAMES`] order.
    pub fn pairs(&self) -> impl Iterator<Item = (&'static str, f64)> {
        Self::NAMES.into_iter().zip(self.as_array())
    }
}

/// How grading an item ended (failures of inputs are [`SqlError`]s instead).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VerdictStatus {
    /// Scored.
    Ok,
    /// The response holds no SQL to grade (scored 0).
    Invalid,
    /// The deadline passed while the gold or the predicted query ran; no reward.
    Timeout,
}

/// The grade of one response.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// How grading ended.
    pub status: VerdictStatus,
    /// The reward: a number for `Ok` and `Invalid`, `None` for `Timeout`.
    pub reward: Option<f64>,
    /// The components (all zero unless scored).
    pub components: Components,
    /// The extracted SQL, if any.
    pub pred: Option<String>,
    /// Why: the comparison, errors, refusals, counts (JSON object).
    pub explanation: Json,
}

/// What running one predicted query against one gold gave: everything of the verdict that
/// depends on neither the response's wording nor the weights. Cached per (database, gold,
/// prediction).
#[derive(Debug)]
struct PredRun {
    /// What the prediction reads, when it prepared.
    reads: Option<BTreeSet<String>>,
    /// The comparison, or why the prediction has no result (never a timeout: those are not
    /// cached and end the item).
    outcome: Result<Compared, ExecError>,
}

/// The comparison of a predicted result with the gold.
#[derive(Debug)]
struct Compared {
    matched: bool,
    reason: String,
    rows: usize,
    preview: Option<Json>,
}

type PredCache = OnceCache<(PathBuf, String, String), PredRun>;

/// Grades text-to-SQL responses. Share one engine across threads: it pools connections per
/// database and caches gold results, so a group of rollouts runs its gold query once, and
/// verdicts per (database, gold, prediction), so identical rollouts run once.
#[derive(Debug)]
pub struct SqlEngine {
    options: SqlOptions,
    pools: Pools,
    gold: GoldCache,
    preds: PredCache,
    schemas: Mutex<HashMap<PathBuf, Arc<Schema>>>,
}

impl SqlEngine {
    /// An engine with `options`, after checking them.
    pub fn new(options: SqlOptions) -> Result<Self, String> {
        options.validate()?;
        Ok(SqlEngine {
            pools: Pools::new(options.limits.clone()),
            gold: GoldCache::weighted(
                options.limits.gold_cache_entries,
                options.limits.gold_cache_bytes,
                |gold| gold.result.size(),
            ),
            preds: PredCache::new(options.limits.pred_cache_entries),
            schemas: Mutex::new(HashMap::new()),
            options,
        })
    }

    /// The engine's options.
    pub fn options(&self) -> &SqlOptions {
        &self.options
    }

    /// The connection pools (for inspection).
    pub fn pools(&self) -> &Pools {
        &self.pools
    }

    /// Number of gold results cached.
    pub fn cached_golds(&self) -> usize {
        self.gold.len()
    }

    /// Number of prediction verdicts cached.
    pub fn cached_predictions(&self) -> usize {
        self.preds.len()
    }

    /// Grades `response` against `reference` (see [`Reference::parse`]). `deadline` bounds the
    /// whole item (gold and prediction); `None` sets no deadline.
    ///
    /// The database must open in every case; a response without SQL is `Invalid` without
    /// running the gold query, so a failing gold shows on the items that have SQL.
    pub fn grade(
        &self,
        reference: &Json,
        response: &str,
        deadline: Option<Instant>,
    ) -> Result<Verdict, SqlError> {
        self.grade_limited(reference, response, deadline, None)
    }

    /// [`grade`](Self::grade), with the predicted query's own time limit: `query_limit` is
    /// the instant it must finish by and its length. A prediction that runs past it is
    /// interrupted and scores as a query that failed (execution 0, [`ExecError::TimeLimit`]
    /// in the explanation): a runaway query is the policy's failure, as a program that hangs
    /// is in the `code` grader. A query stopped by `deadline` first is still `Timeout`.
    pub fn grade_limited(
        &self,
        reference: &Json,
        response: &str,
        deadline: Option<Instant>,
        query_limit: Option<(Instant, std::time::Duration)>,
    ) -> Result<Verdict, SqlError> {
        let reference = Reference::parse(reference, self.options.db_dir.as_deref())?;
        let conn = self.pools.get(&reference.db)?;
        let options = &self.options;
        let Some(found) = extract(response, options.extract, options.anchor.as_deref()) else {
            return Ok(Verdict {
                status: VerdictStatus::Invalid,
                reward: Some(0.0),
                components: Components::default(),
                pred: None,
                explanation: json!({
                    "reason": "no SQL found in the response",
                    "extract": options.extract,
                }),
            });
        };
        let gold = match self.gold(&conn, &reference.gold, deadline) {
            Ok(gold) => gold,
            Err(ExecError::Timeout) => return Ok(timeout("gold", conn.path(), found.sql)),
            Err(reason) => {
                return Err(SqlError::Gold {
                    path: conn.path().to_path_buf(),
                    reason,
                })
            }
        };
        let run = self.prediction(
            &conn,
            &reference.gold,
            &gold,
            &found.sql,
            deadline,
            query_limit,
        );
        let Ok(run) = run else {
            return Ok(timeout("prediction", conn.path(), found.sql));
        };
        let mut explanation = json!({
            "db": conn.path(),
            "mode": options.mode,
            "sql_source": found.source,
            "gold_rows": gold.result.rows.len(),
            "gold_ordered": gold.ordered,
        });
        if let Err(ExecError::Denied(reason)) = &run.outcome {
            // A write or other refused action scores 0 whatever the other components say.
            explanation["refused"] = Json::from(reason.as_str());
            return Ok(Verdict {
                status: VerdictStatus::Ok,
                reward: Some(0.0),
                components: Components::default(),
                pred: Some(found.sql),
                explanation,
            });
        }
        let components = self.components(&conn, &reference, response, &found, &gold, &run);
        explain_run(&mut explanation, &gold, &run);
        Ok(Verdict {
            status: VerdictStatus::Ok,
            reward: Some(self.combine(&components)),
            components,
            pred: Some(found.sql),
            explanation,
        })
    }

    /// Every component of a prediction that ran (or failed to prepare or run).
    fn components(
        &self,
        conn: &PooledConn,
        reference: &Reference,
        response: &str,
        found: &Extracted,
        gold: &Gold,
        run: &PredRun,
    ) -> Components {
        let options = &self.options;
        let link = match &run.reads {
            Some(reads) => linking(&gold.reads, reads),
            // It did not prepare, so the authorizer saw nothing: read the names it mentions.
            None => linking(&gold.reads, &lexical_items(&found.sql, &self.schema(conn))),
        };
        let matched = matches!(&run.outcome, Ok(compared) if compared.matched);
        Components {
            execution: if matched { 1.0 } else { 0.0 },
            syntax: if run.reads.is_some() { 1.0 } else { 0.0 },
            schema_recall: link.recall,
            schema_jaccard: link.jaccard,
            ngram: ngram_similarity(clean(&reference.gold), &found.sql, options.ngram),
            format: format_reward(response, &options.format_tags, Some(found), options.extract),
        }
    }

    /// The weighted mean of the components.
    fn combine(&self, components: &Components) -> f64 {
        let weights = self.options.weights.as_array();
        let total: f64 = weights.iter().sum();
        let sum: f64 = weights
            .iter()
            .zip(components.as_array())
            .map(|(w, c)| w * c)
            .sum();
        sum / total
    }

    fn gold(
        &self,
        conn: &PooledConn,
        gold: &str,
        deadline: Option<Instant>,
    ) -> Result<Arc<Gold>, ExecError> {
        self.gold
            .get_or_compute((conn.path().to_path_buf(), gold.to_string()), || {
                let run = execute(conn, gold, deadline, &self.options.limits);
                Ok(Gold {
                    result: run.result?,
                    reads: run.reads.unwrap_or_default(),
                    ordered: has_top_level_order_by(gold),
                })
            })
    }

    /// Runs `sql` and compares it with `gold`, or reuses the verdict of an identical earlier
    /// prediction. `Err` only for a timeout.
    fn prediction(
        &self,
        conn: &PooledConn,
        gold_sql: &str,
        gold: &Gold,
        sql: &str,
        deadline: Option<Instant>,
        query_limit: Option<(Instant, std::time::Duration)>,
    ) -> Result<Arc<PredRun>, ExecError> {
        // The query's own limit binds when it comes before the item's deadline.
        let own = query_limit.filter(|(at, _)| deadline.is_none_or(|d| *at < d));
        let stop = own.map(|(at, _)| at).or(deadline);
        let key = (
            conn.path().to_path_buf(),
            gold_sql.to_string(),
            sql.to_string(),
        );
        self.preds.get_or_compute(key, || {
            let execution = execute(conn, sql, stop, &self.options.limits);
            let outcome = match execution.result {
                Err(ExecError::Timeout) => match own {
                    // Stopped by its own limit, before the deadline: the policy's failure.
                    Some((at, limit)) if deadline.is_none_or(|d| Instant::now() < d) => {
                        debug_assert!(Instant::now() >= at);
                        Err(ExecError::TimeLimit(limit.as_millis() as u64))
                    }
                    _ => return Err(ExecError::Timeout),
                },
                Err(error) => Err(error),
                Ok(rows) => {
                    let comparison = compare(self.options.mode, &gold.result, &rows, gold.ordered);
                    Ok(Compared {
                        preview: (!comparison.matched).then(|| rows.preview(PREVIEW_ROWS)),
                        matched: comparison.matched,
                        reason: comparison.reason,
                        rows: rows.rows.len(),
                    })
                }
            };
            Ok(PredRun {
                reads: execution.reads,
                outcome,
            })
        })
    }

    fn schema(&self, conn: &PooledConn) -> Arc<Schema> {
        let path = conn.path();
        if let Some(schema) = lock(&self.schemas).get(path) {
            return Arc::clone(schema);
        }
        // A schema that cannot be read leaves lexical linking with nothing to match.
        let schema = Arc::new(Schema::load(conn).unwrap_or_default());
        lock(&self.schemas).insert(path.to_path_buf(), Arc::clone(&schema));
        schema
    }
}

/// Adds the comparison (or the prediction's error) to the explanation.
fn explain_run(explanation: &mut Json, gold: &Gold, run: &PredRun) {
    match &run.outcome {
        Ok(compared) => {
            explanation["pred_rows"] = Json::from(compared.rows);
            explanation["match"] = Json::from(compared.matched);
            if !compared.matched {
                explanation["reason"] = Json::from(compared.reason.as_str());
                explanation["gold_preview"] = gold.result.preview(PREVIEW_ROWS);
                if let Some(preview) = &compared.preview {
                    explanation["pred_preview"] = preview.clone();
                }
            }
        }
        Err(error) => {
            explanation["match"] = Json::from(false);
            explanation["error"] = json!({"kind": error.kind(), "message": error.to_string()});
        }
    }
}

fn timeout(phase: &str, db: &Path, pred: String) -> Verdict {
    Verdict {
        status: VerdictStatus::Timeout,
        reward: None,
        components: Components::default(),
        pred: Some(pred),
        explanation: json!({
            "db": db,
            "reason": format!("the {phase} query was interrupted at the deadline"),
        }),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

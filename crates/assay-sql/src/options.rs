//! The grader's options: comparison mode, where databases are, response extraction, reward
//! weights and limits.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::compare::CompareMode;
use crate::extract::ExtractMode;
use crate::limits::Limits;

/// Options of the `sql` grader.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SqlOptions {
    /// How results are compared: `bird` (set of rows), `spider` (multiset of rows, column order
    /// free, row order only under a top-level ORDER BY in the gold) or `strict` (exact).
    pub mode: CompareMode,
    /// Directory of databases. A reference with `db_id` reads
    /// `<db_dir>/<db_id>/<db_id>.sqlite` (Spider/BIRD layout); a relative `db` path is taken
    /// from here (without it, from the working directory).
    pub db_dir: Option<PathBuf>,
    /// Where the SQL is found in the response: `auto` (last ```sql block, else text after
    /// `anchor`, else the whole response), `fence`, `anchor` or `whole`.
    pub extract: ExtractMode,
    /// Text after which the SQL starts, for `extract = "anchor"` (or as the second choice of
    /// `auto`), e.g. "Final SQL:"; an opening tag such as "<answer>" ends at its closing tag.
    pub anchor: Option<String>,
    /// Weights of the reward components `execution`, `syntax`, `schema_recall`,
    /// `schema_jaccard`, `ngram` and `format`; the reward is their weighted mean
    /// (Σ weight·component / Σ weight). Keys left out keep their defaults.
    pub weights: Weights,
    /// Gram size (in SQL tokens) of the n-gram similarity component.
    pub ngram: usize,
    /// Tags the format component requires, each exactly once and in order, e.g.
    /// `["think", "answer"]`. Without tags, SQL in a fence (or after the anchor) is enough.
    pub format_tags: Vec<String>,
    /// Resource limits and caches: `max_sql_bytes`, `max_rows`, `max_result_bytes`,
    /// `max_value_bytes`, `cache_kib`, `mmap_bytes`, `pool_size`, `gold_cache_entries`,
    /// `gold_cache_bytes`, `pred_cache_entries` (see `assay_sql::Limits`).
    pub limits: Limits,
}

impl Default for SqlOptions {
    fn default() -> Self {
        SqlOptions {
            mode: CompareMode::default(),
            db_dir: None,
            extract: ExtractMode::default(),
            anchor: None,
            weights: Weights::default(),
            ngram: 2,
            format_tags: Vec::new(),
            limits: Limits::default(),
        }
    }
}

/// Weights of the reward components. The reward is `Σ weight·component / Σ weight`, so it stays
/// in [0, 1]. Default: execution only.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Weights {
    /// Execution match (1 when the results match under `mode`). Default 1.
    pub execution: f64,
    /// Syntax validity (1 when the query prepares against the schema). Default 0.
    pub syntax: f64,
    /// Schema linking recall: share of the gold's tables and columns the prediction uses.
    /// Default 0.
    pub schema_recall: f64,
    /// Schema linking Jaccard over tables and columns. Default 0.
    pub schema_jaccard: f64,
    /// N-gram Jaccard similarity of the query text to the gold. Default 0.
    pub ngram: f64,
    /// Format (SQL in a fence or after the anchor; `format_tags` present). Default 0.
    pub format: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Weights {
            execution: 1.0,
            syntax: 0.0,
            schema_recall: 0.0,
            schema_jaccard: 0.0,
            ngram: 0.0,
            format: 0.0,
        }
    }
}

impl Weights {
    /// The weights in [`crate::Components::NAMES`] order.
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
}

impl SqlOptions {
    /// Checks the options, saying what to change when they do not make sense.
    pub fn validate(&self) -> Result<(), String> {
        let weights = self.weights.as_array();
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err("weights must be finite and not negative".into());
        }
        if weights.iter().sum::<f64>() <= 0.0 {
            return Err("at least one weight must be positive (e.g. weights.execution = 1)".into());
        }
        if self.ngram == 0 {
            return Err("ngram must be at least 1".into());
        }
        if self.extract == ExtractMode::Anchor && self.anchor.as_deref().unwrap_or("").is_empty() {
            return Err(
                "extract = \"anchor\" needs a non-empty `anchor` (e.g. anchor = \"SQL:\")".into(),
            );
        }
        if self.limits.max_rows == 0 {
            return Err("limits.max_rows must be positive".into());
        }
        Ok(())
    }
}

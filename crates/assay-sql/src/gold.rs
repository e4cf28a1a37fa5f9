//! Gold results, cached per (database, gold query): a group of rollouts runs its gold once.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::cache::OnceCache;
use crate::value::ResultSet;

/// A gold query's result, with what it read and whether it fixes its row order.
#[derive(Debug)]
pub struct Gold {
    /// The rows.
    pub result: ResultSet,
    /// Tables and columns the gold query reads (see [`crate::exec::Execution::reads`]).
    pub reads: BTreeSet<String>,
    /// Whether the gold query has a top-level `ORDER BY`.
    pub ordered: bool,
}

/// Gold results by (database, gold query text).
pub type GoldCache = OnceCache<(PathBuf, String), Gold>;

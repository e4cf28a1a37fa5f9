//! The gold result cache: one run of each gold query per database, shared by every rollout
//! of the question.

use std::collections::{BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::ExecError;
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

type Entry = Arc<Mutex<Option<Result<Arc<Gold>, ExecError>>>>;

/// Gold results by (database, gold query text). Concurrent requests for one key wait for a
/// single computation. Timeouts are not cached (a later item may have more time); other
/// failures are.
#[derive(Debug)]
pub struct GoldCache {
    capacity: usize,
    entries: Mutex<HashMap<(PathBuf, String), Entry>>,
}

impl GoldCache {
    /// A cache holding at most `capacity` results (at least one).
    pub fn new(capacity: usize) -> Self {
        GoldCache {
            capacity: capacity.max(1),
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The cached gold for (`db`, `gold`), computing it with `compute` if absent.
    pub fn get_or_compute(
        &self,
        db: PathBuf,
        gold: &str,
        compute: impl FnOnce() -> Result<Gold, ExecError>,
    ) -> Result<Arc<Gold>, ExecError> {
        let entry = {
            let mut entries = lock(&self.entries);
            let key = (db, gold.to_string());
            if !entries.contains_key(&key) && entries.len() >= self.capacity {
                // Simple bound: drop everything not being computed right now.
                entries.retain(|_, entry| Arc::strong_count(entry) > 1);
            }
            Arc::clone(entries.entry(key).or_default())
        };
        let mut slot = lock(&entry);
        if let Some(done) = slot.as_ref() {
            return done.clone();
        }
        let computed = compute().map(Arc::new);
        if !matches!(computed, Err(ExecError::Timeout)) {
            *slot = Some(computed.clone());
        }
        computed
    }

    /// Number of cached entries.
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

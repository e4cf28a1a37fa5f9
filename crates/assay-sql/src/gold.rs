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
/// failures are. A capacity of 0 disables caching.
#[derive(Debug)]
pub struct GoldCache {
    capacity: usize,
    entries: Mutex<HashMap<(PathBuf, String), Entry>>,
}

impl GoldCache {
    /// A cache holding at most `capacity` results; 0 caches nothing.
    pub fn new(capacity: usize) -> Self {
        GoldCache {
            capacity,
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
        if self.capacity == 0 {
            return compute().map(Arc::new);
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn gold() -> Result<Gold, ExecError> {
        Ok(Gold {
            result: ResultSet {
                columns: vec!["x".into()],
                rows: vec![],
            },
            reads: BTreeSet::new(),
            ordered: false,
        })
    }

    #[test]
    fn concurrent_requests_compute_once() {
        let cache = GoldCache::new(8);
        let runs = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..16 {
                scope.spawn(|| {
                    cache
                        .get_or_compute(PathBuf::from("a.sqlite"), "SELECT 1", || {
                            runs.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(20));
                            gold()
                        })
                        .unwrap();
                });
            }
        });
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn timeouts_are_retried_and_errors_are_kept() {
        let cache = GoldCache::new(8);
        let db = || PathBuf::from("a.sqlite");
        let timed_out = cache.get_or_compute(db(), "q1", || Err(ExecError::Timeout));
        assert_eq!(timed_out.unwrap_err(), ExecError::Timeout);
        assert!(cache.get_or_compute(db(), "q1", gold).is_ok());
        let failed = cache.get_or_compute(db(), "q2", || Err(ExecError::Prepare("x".into())));
        assert!(failed.is_err());
        let again = cache.get_or_compute(db(), "q2", gold);
        assert_eq!(again.unwrap_err(), ExecError::Prepare("x".into()));
    }

    #[test]
    fn capacity_bounds_and_zero_disables() {
        let cache = GoldCache::new(2);
        for q in ["a", "b", "c", "d"] {
            cache.get_or_compute(PathBuf::from("db"), q, gold).unwrap();
        }
        assert!(cache.len() <= 2, "{}", cache.len());
        let off = GoldCache::new(0);
        let runs = AtomicUsize::new(0);
        for _ in 0..3 {
            off.get_or_compute(PathBuf::from("db"), "q", || {
                runs.fetch_add(1, Ordering::SeqCst);
                gold()
            })
            .unwrap();
        }
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        assert!(off.is_empty());
    }
}

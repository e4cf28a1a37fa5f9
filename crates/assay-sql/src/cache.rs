//! A bounded cache that computes each value once, even under concurrent requests: used for
//! gold results and for prediction verdicts.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::ExecError;

type Slot<V> = Arc<Mutex<Option<Result<Arc<V>, ExecError>>>>;

/// Values by key, each computed once. Concurrent requests for one key wait for a single
/// computation. Timeouts are not cached (a later item may have more time); other failures
/// are. A capacity of 0 disables caching.
#[derive(Debug)]
pub struct OnceCache<K, V> {
    capacity: usize,
    entries: Mutex<HashMap<K, Slot<V>>>,
}

impl<K: Eq + Hash, V> OnceCache<K, V> {
    /// A cache holding at most `capacity` values; 0 caches nothing.
    pub fn new(capacity: usize) -> Self {
        OnceCache {
            capacity,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The cached value for `key`, computing it with `compute` if absent.
    pub fn get_or_compute(
        &self,
        key: K,
        compute: impl FnOnce() -> Result<V, ExecError>,
    ) -> Result<Arc<V>, ExecError> {
        if self.capacity == 0 {
            return compute().map(Arc::new);
        }
        let slot = {
            let mut entries = lock(&self.entries);
            if !entries.contains_key(&key) && entries.len() >= self.capacity {
                // Simple bound: drop everything not being computed or read right now.
                entries.retain(|_, slot| Arc::strong_count(slot) > 1);
            }
            Arc::clone(entries.entry(key).or_default())
        };
        let mut value = lock(&slot);
        if let Some(done) = value.as_ref() {
            return done.clone();
        }
        let computed = compute().map(Arc::new);
        if !matches!(computed, Err(ExecError::Timeout)) {
            *value = Some(computed.clone());
        }
        computed
    }

    /// Number of entries.
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

    #[test]
    fn concurrent_requests_compute_once() {
        let cache: OnceCache<&str, u32> = OnceCache::new(8);
        let runs = AtomicUsize::new(0);
        std::thread::scope(|scope| {
            for _ in 0..16 {
                scope.spawn(|| {
                    let value = cache
                        .get_or_compute("q", || {
                            runs.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(20));
                            Ok(7)
                        })
                        .unwrap();
                    assert_eq!(*value, 7);
                });
            }
        });
        assert_eq!(runs.load(Ordering::SeqCst), 1);
        assert_eq!(cache.len(), 1);
    }

    #[test]
    fn timeouts_are_retried_and_errors_are_kept() {
        let cache: OnceCache<&str, u32> = OnceCache::new(8);
        let timed_out = cache.get_or_compute("q1", || Err(ExecError::Timeout));
        assert_eq!(timed_out.unwrap_err(), ExecError::Timeout);
        assert_eq!(*cache.get_or_compute("q1", || Ok(1)).unwrap(), 1);
        let failed = cache.get_or_compute("q2", || Err(ExecError::Prepare("x".into())));
        assert!(failed.is_err());
        let again = cache.get_or_compute("q2", || Ok(2));
        assert_eq!(again.unwrap_err(), ExecError::Prepare("x".into()));
    }

    #[test]
    fn capacity_bounds_and_zero_disables() {
        let cache: OnceCache<&str, u32> = OnceCache::new(2);
        for q in ["a", "b", "c", "d"] {
            cache.get_or_compute(q, || Ok(0)).unwrap();
        }
        assert!(cache.len() <= 2, "{}", cache.len());
        let off: OnceCache<&str, u32> = OnceCache::new(0);
        let runs = AtomicUsize::new(0);
        for _ in 0..3 {
            off.get_or_compute("q", || {
                runs.fetch_add(1, Ordering::SeqCst);
                Ok(0)
            })
            .unwrap();
        }
        assert_eq!(runs.load(Ordering::SeqCst), 3);
        assert!(off.is_empty());
    }
}

//! A bounded cache that computes each value once, even under concurrent requests: used for
//! gold results and for prediction verdicts.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::error::ExecError;

type Slot<V> = Arc<Mutex<Option<Result<Arc<V>, ExecError>>>>;

/// One key's slot, and the weight of the value it holds (0 until computed).
struct Entry<V> {
    slot: Slot<V>,
    weight: Arc<AtomicUsize>,
}

impl<V> Entry<V> {
    fn new() -> Self {
        Entry {
            slot: Arc::default(),
            weight: Arc::default(),
        }
    }
}

/// Values by key, each computed once. Concurrent requests for one key wait for a single
/// computation. Timeouts are not cached (a later item may have more time); other failures
/// are. The cache is bounded in entries and, with a weigher, in total weight (bytes): when a
/// bound is passed, every entry not in use is dropped. A capacity of 0 disables caching.
pub struct OnceCache<K, V> {
    capacity: usize,
    max_weight: usize,
    weigh: fn(&V) -> usize,
    total: AtomicUsize,
    entries: Mutex<HashMap<K, Entry<V>>>,
}

impl<K, V> std::fmt::Debug for OnceCache<K, V> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnceCache")
            .field("capacity", &self.capacity)
            .field("max_weight", &self.max_weight)
            .field("total", &self.total.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl<K: Eq + Hash, V> OnceCache<K, V> {
    /// A cache holding at most `capacity` values; 0 caches nothing.
    pub fn new(capacity: usize) -> Self {
        Self::weighted(capacity, usize::MAX, |_| 0)
    }

    /// A cache holding at most `capacity` values of at most `max_weight` in total, each value
    /// weighing `weigh(value)`. A value heavier than `max_weight` alone is not cached.
    pub fn weighted(capacity: usize, max_weight: usize, weigh: fn(&V) -> usize) -> Self {
        OnceCache {
            capacity,
            max_weight,
            weigh,
            total: AtomicUsize::new(0),
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
        let (slot, weight) = {
            let mut entries = lock(&self.entries);
            if !entries.contains_key(&key) && entries.len() >= self.capacity {
                self.evict_idle(&mut entries);
            }
            let entry = entries.entry(key).or_insert_with(Entry::new);
            (Arc::clone(&entry.slot), Arc::clone(&entry.weight))
        };
        let mut value = lock(&slot);
        if let Some(done) = value.as_ref() {
            return done.clone();
        }
        let computed = compute().map(Arc::new);
        let w = computed.as_ref().map_or(0, |v| (self.weigh)(v));
        if !matches!(computed, Err(ExecError::Timeout)) && w <= self.max_weight {
            weight.store(w, Ordering::Relaxed);
            self.total.fetch_add(w, Ordering::Relaxed);
            *value = Some(computed.clone());
        }
        drop(value);
        if self.total.load(Ordering::Relaxed) > self.max_weight {
            self.evict_idle(&mut lock(&self.entries));
        }
        computed
    }

    /// Drops every entry nobody is computing or reading right now.
    fn evict_idle(&self, entries: &mut HashMap<K, Entry<V>>) {
        entries.retain(|_, entry| {
            let in_use = Arc::strong_count(&entry.slot) > 1;
            if !in_use {
                self.total
                    .fetch_sub(entry.weight.load(Ordering::Relaxed), Ordering::Relaxed);
            }
            in_use
        });
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        lock(&self.entries).len()
    }

    /// Whether the cache is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Total weight of the cached values.
    pub fn weight(&self) -> usize {
        self.total.load(Ordering::Relaxed)
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
    fn weight_bounds_the_cache() {
        let cache: OnceCache<u32, Vec<u8>> = OnceCache::weighted(100, 1000, Vec::len);
        for key in 0..10 {
            cache.get_or_compute(key, || Ok(vec![0; 300])).unwrap();
            assert!(cache.weight() <= 1000, "{}", cache.weight());
        }
        assert!(cache.len() <= 4, "{}", cache.len());
        // Too heavy to cache at all: computed every time.
        let runs = AtomicUsize::new(0);
        for _ in 0..2 {
            cache
                .get_or_compute(99, || {
                    runs.fetch_add(1, Ordering::SeqCst);
                    Ok(vec![0; 5000])
                })
                .unwrap();
        }
        assert_eq!(runs.load(Ordering::SeqCst), 2);
        assert!(cache.weight() <= 1000);
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

//! Resource limits applied to every query.
//!
//! Memory stays bounded per connection: SQLite's page cache (`cache_kib`), the longest value it
//! may build (`max_value_bytes`), and what a result may hold in Rust (`max_rows`,
//! `max_result_bytes`). Sorts and temporary b-trees of big joins spill to temporary files
//! instead of growing the heap. Time is the item's deadline, enforced by a progress handler.

use serde::{Deserialize, Serialize};

/// Caps on what one query may cost. Every field has a default; see each for its value. Time
/// is not here: it is the item's deadline (the grader's `timeout_ms`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, schemars::JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Longest SQL text accepted, in bytes. Default 100000.
    pub max_sql_bytes: usize,
    /// Most rows a query may return; a prediction returning more scores 0. Default 100000.
    pub max_rows: usize,
    /// Most bytes a query's result may take in memory. Default 67108864 (64 MiB).
    pub max_result_bytes: usize,
    /// Longest string or blob SQLite may build while running a query, in bytes. Default
    /// 16777216 (16 MiB).
    pub max_value_bytes: usize,
    /// Page cache per connection, in KiB. Default 8192.
    pub cache_kib: u32,
    /// Bytes of each database read through memory mapping instead of `read()` calls. Off (0)
    /// by default: it saved no CPU time in `bench/sql`, and a database file truncated while
    /// mapped would crash the process (SIGBUS) instead of failing one item.
    pub mmap_bytes: u64,
    /// Idle read-only connections kept per database for reuse. Default 32.
    pub pool_size: usize,
    /// Gold results kept in the cache (one per database and gold query); 0 disables the cache.
    /// Default 4096.
    pub gold_cache_entries: usize,
    /// Most bytes of gold results kept in the cache; a larger gold result is not cached.
    /// Default 536870912 (512 MiB).
    pub gold_cache_bytes: usize,
    /// Prediction verdicts kept in the cache, one per (database, gold query, predicted query):
    /// identical predictions in a group run once. 0 disables the cache (do so for queries whose
    /// result changes from run to run, such as `random()`). Default 16384.
    pub pred_cache_entries: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_sql_bytes: 100_000,
            max_rows: 100_000,
            max_result_bytes: 64 << 20,
            max_value_bytes: 16 << 20,
            cache_kib: 8192,
            mmap_bytes: 0,
            pool_size: 32,
            gold_cache_entries: 4096,
            gold_cache_bytes: 512 << 20,
            pred_cache_entries: 16384,
        }
    }
}

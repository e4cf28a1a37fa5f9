//! Connection pooling: read-only connections per database, reused across threads.

use std::collections::HashMap;
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use crate::conn::ReadOnlyConn;
use crate::error::SqlError;
use crate::limits::Limits;

/// Pools of read-only connections, one pool per database file. Cheap to share across
/// threads; a connection is used by one thread at a time and returns to its pool on drop.
#[derive(Debug)]
pub struct Pools {
    limits: Limits,
    pools: Mutex<HashMap<PathBuf, Arc<DbPool>>>,
}

/// The idle connections of one database.
#[derive(Debug)]
struct DbPool {
    path: PathBuf,
    idle: Mutex<Vec<ReadOnlyConn>>,
    max_idle: usize,
}

/// A connection borrowed from a pool; it goes back when dropped.
#[derive(Debug)]
pub struct PooledConn {
    conn: Option<ReadOnlyConn>,
    home: Arc<DbPool>,
}

impl Pools {
    /// Empty pools whose connections get `limits`.
    pub fn new(limits: Limits) -> Self {
        Pools {
            limits,
            pools: Mutex::new(HashMap::new()),
        }
    }

    /// A read-only connection to the database at `path`: an idle one if there is one, a new
    /// one otherwise.
    pub fn get(&self, path: &Path) -> Result<PooledConn, SqlError> {
        let pool = self.pool(path)?;
        let idle = lock(&pool.idle).pop();
        let conn = match idle {
            Some(conn) => conn,
            None => ReadOnlyConn::open(&pool.path, &self.limits)?,
        };
        Ok(PooledConn {
            conn: Some(conn),
            home: pool,
        })
    }

    fn pool(&self, path: &Path) -> Result<Arc<DbPool>, SqlError> {
        if let Some(pool) = lock(&self.pools).get(path) {
            return Ok(Arc::clone(pool));
        }
        let canonical = path
            .canonicalize()
            .map_err(|_| SqlError::DatabaseNotFound {
                path: path.to_path_buf(),
            })?;
        let mut pools = lock(&self.pools);
        // Two spellings of one file share a pool.
        let existing = pools.values().find(|p| p.path == canonical).cloned();
        let pool = existing.unwrap_or_else(|| {
            Arc::new(DbPool {
                path: canonical,
                idle: Mutex::new(Vec::new()),
                max_idle: self.limits.pool_size,
            })
        });
        pools.insert(path.to_path_buf(), Arc::clone(&pool));
        Ok(pool)
    }

    /// Number of idle connections kept for `path` (for tests and metrics).
    pub fn idle_count(&self, path: &Path) -> usize {
        lock(&self.pools)
            .get(path)
            .map_or(0, |pool| lock(&pool.idle).len())
    }
}

impl PooledConn {
    /// The canonical path of the database this connection reads.
    pub fn path(&self) -> &Path {
        &self.home.path
    }
}

impl Deref for PooledConn {
    type Target = ReadOnlyConn;

    fn deref(&self) -> &ReadOnlyConn {
        self.conn.as_ref().expect("connection present until drop")
    }
}

impl Drop for PooledConn {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            let mut idle = lock(&self.home.idle);
            if idle.len() < self.home.max_idle {
                idle.push(conn);
            }
        }
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

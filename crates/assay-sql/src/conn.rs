//! Opening a database the only way graded queries see it: read-only, immutable, limited, and
//! behind the read-only authorizer.

use std::path::Path;

use rusqlite::config::DbConfig;
use rusqlite::limits::Limit;
use rusqlite::{Connection, OpenFlags};

use crate::error::SqlError;
use crate::guard::Guard;
use crate::limits::Limits;

/// A read-only connection with its authorizer's log.
pub struct ReadOnlyConn {
    conn: Connection,
    guard: Guard,
}

impl std::fmt::Debug for ReadOnlyConn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadOnlyConn").finish_non_exhaustive()
    }
}

impl ReadOnlyConn {
    /// Opens `path` as `file:PATH?mode=ro&immutable=1`: SQLite neither writes nor locks the
    /// file, and assumes nobody else changes it while it is open (do not modify a database
    /// while an engine has it open).
    ///
    /// The connection refuses everything but reading (see [`crate::guard`]), has the SQLite
    /// limits from `limits`, defensive mode on, triggers and untrusted schema functions off,
    /// and `query_only` set.
    pub fn open(path: &Path, limits: &Limits) -> Result<Self, SqlError> {
        if !path.is_file() {
            return Err(SqlError::DatabaseNotFound {
                path: path.to_path_buf(),
            });
        }
        let open_error = |e: rusqlite::Error| SqlError::DatabaseOpen {
            path: path.to_path_buf(),
            message: e.to_string(),
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_URI
            | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(uri(path), flags).map_err(open_error)?;
        configure(&conn, limits).map_err(open_error)?;
        // Read the schema now, so a file that is not a database fails here, with its path.
        conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
            .map_err(open_error)?;
        let guard = Guard::default();
        guard.install(&conn);
        Ok(ReadOnlyConn { conn, guard })
    }

    /// The underlying connection.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// The authorizer's log for this connection.
    pub fn guard(&self) -> &Guard {
        &self.guard
    }
}

fn configure(conn: &Connection, limits: &Limits) -> rusqlite::Result<()> {
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
    conn.pragma_update(None, "query_only", true)?;
    conn.pragma_update(None, "cache_size", -i64::from(limits.cache_kib))?;
    conn.pragma_update(
        None,
        "mmap_size",
        limits.mmap_bytes.min(i64::MAX as u64) as i64,
    )?;
    let clamp = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    let settings = [
        (
            Limit::SQLITE_LIMIT_SQL_LENGTH,
            clamp(limits.max_sql_bytes.max(1024)),
        ),
        (
            Limit::SQLITE_LIMIT_LENGTH,
            clamp(limits.max_value_bytes.max(1024)),
        ),
        (Limit::SQLITE_LIMIT_ATTACHED, 0),
        (Limit::SQLITE_LIMIT_EXPR_DEPTH, 500),
        (Limit::SQLITE_LIMIT_COMPOUND_SELECT, 200),
        (Limit::SQLITE_LIMIT_VDBE_OP, 250_000),
        (Limit::SQLITE_LIMIT_FUNCTION_ARG, 100),
        (Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH, 10_000),
        (Limit::SQLITE_LIMIT_VARIABLE_NUMBER, 100),
        (Limit::SQLITE_LIMIT_TRIGGER_DEPTH, 1),
        (Limit::SQLITE_LIMIT_WORKER_THREADS, 0),
    ];
    for (limit, value) in settings {
        conn.set_limit(limit, value)?;
    }
    Ok(())
}

/// `file:` URI for `path`, read-only and immutable, with the path percent-encoded.
fn uri(path: &Path) -> String {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut out = String::from("file:");
    for byte in absolute.to_string_lossy().bytes() {
        match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'/' | b'-' | b'_' | b'.' | b'~' => {
                out.push(byte as char)
            }
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out.push_str("?mode=ro&immutable=1");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_escapes_reserved_characters() {
        assert_eq!(
            uri(Path::new("/data/a b/x?y#z%.sqlite")),
            "file:/data/a%20b/x%3Fy%23z%25.sqlite?mode=ro&immutable=1"
        );
    }
}

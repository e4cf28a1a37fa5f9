//! Running one query under the guard: prepare (authorized), then step with a deadline and
//! caps on rows and bytes.

use std::collections::BTreeSet;
use std::time::Instant;

use rusqlite::ErrorCode;

use crate::conn::ReadOnlyConn;
use crate::error::ExecError;
use crate::limits::Limits;
use crate::value::{ResultSet, Value};

/// Virtual-machine instructions between two deadline checks.
const PROGRESS_OPS: i32 = 1000;

/// What preparing and running a query gave.
#[derive(Debug)]
pub struct Execution {
    /// Tables and columns the query reads (`table`, `table.column`, lowercased), when it
    /// prepared.
    pub reads: Option<BTreeSet<String>>,
    /// The rows, or why there are none.
    pub result: Result<ResultSet, ExecError>,
}

/// Removes surrounding whitespace and trailing semicolons.
pub fn clean(sql: &str) -> &str {
    sql.trim()
        .trim_end_matches(|c: char| c == ';' || c.is_whitespace())
}

/// Prepares `sql` on `conn` and, if it prepares, runs it until `deadline` (`None`: no
/// deadline).
pub fn execute(
    conn: &ReadOnlyConn,
    sql: &str,
    deadline: Option<Instant>,
    limits: &Limits,
) -> Execution {
    let sql = clean(sql);
    let failed = |e| Execution {
        reads: None,
        result: Err(e),
    };
    if sql.is_empty() {
        return failed(ExecError::Empty);
    }
    if sql.len() > limits.max_sql_bytes {
        return failed(ExecError::TooLong {
            len: sql.len(),
            max: limits.max_sql_bytes,
        });
    }
    if deadline.is_some_and(|d| Instant::now() >= d) {
        return failed(ExecError::Timeout);
    }
    let guard = conn.guard();
    guard.reset();
    let prepared = conn.connection().prepare(sql);
    let log = guard.take();
    let mut stmt = match prepared {
        Ok(stmt) => stmt,
        Err(e) => {
            let error = match (log.denied, e) {
                (Some(reason), _) => ExecError::Denied(reason),
                (None, rusqlite::Error::MultipleStatement) => ExecError::MultipleStatements,
                (None, e) => ExecError::Prepare(message(&e)),
            };
            return failed(error);
        }
    };
    let reads = Some(log.reads);
    if !stmt.readonly() {
        // Unreachable with the authorizer in place; kept as a second wall.
        return Execution {
            reads,
            result: Err(ExecError::Denied(
                "write refused: statement is not read-only (VACUUM or another writing statement)"
                    .into(),
            )),
        };
    }
    if let Some(deadline) = deadline {
        conn.connection()
            .progress_handler(PROGRESS_OPS, Some(move || Instant::now() >= deadline));
    }
    let mut result = fetch(&mut stmt, limits);
    drop(stmt);
    conn.connection().progress_handler(0, None::<fn() -> bool>);
    // Table-valued pragma functions prepare their PRAGMA while running: a refusal shows here.
    if let (Err(ExecError::Runtime(_)), Some(reason)) = (&result, guard.take().denied) {
        result = Err(ExecError::Denied(reason));
    }
    Execution { reads, result }
}

fn fetch(stmt: &mut rusqlite::Statement<'_>, limits: &Limits) -> Result<ResultSet, ExecError> {
    let columns: Vec<String> = stmt.column_names().into_iter().map(String::from).collect();
    let width = columns.len();
    let mut rows = Vec::new();
    let mut bytes = 0usize;
    let mut cursor = stmt.raw_query();
    loop {
        let row = match cursor.next() {
            Ok(Some(row)) => row,
            Ok(None) => break,
            Err(e) => return Err(runtime(e)),
        };
        if rows.len() == limits.max_rows {
            return Err(ExecError::TooManyRows(limits.max_rows));
        }
        let mut values = Vec::with_capacity(width);
        for i in 0..width {
            let value = Value::from_ref(row.get_ref(i).map_err(runtime)?);
            bytes += value.size();
            values.push(value);
        }
        if bytes > limits.max_result_bytes {
            return Err(ExecError::TooLarge(limits.max_result_bytes));
        }
        rows.push(values);
    }
    Ok(ResultSet { columns, rows })
}

fn runtime(e: rusqlite::Error) -> ExecError {
    if e.sqlite_error_code() == Some(ErrorCode::OperationInterrupted) {
        ExecError::Timeout
    } else {
        ExecError::Runtime(message(&e))
    }
}

/// SQLite's own message, without rusqlite's wrapping.
fn message(e: &rusqlite::Error) -> String {
    match e {
        rusqlite::Error::SqliteFailure(_, Some(msg)) => msg.clone(),
        rusqlite::Error::SqlInputError { msg, .. } => msg.clone(),
        other => other.to_string(),
    }
}

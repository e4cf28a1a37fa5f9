//! Errors: failures of the grader's inputs ([`SqlError`]) and reasons a query produced no
//! result ([`ExecError`]).

use std::path::PathBuf;

/// A failure of the grader or its inputs (the database, the reference, the gold query): the
/// item cannot be scored. Maps to status `error`.
#[derive(Debug, Clone, thiserror::Error)]
pub enum SqlError {
    /// The database file does not exist.
    #[error(
        "database not found: {path} (check the reference's `db`/`db_id` and the grader's `db_dir` option)",
        path = path.display()
    )]
    DatabaseNotFound {
        /// The path that was looked up.
        path: PathBuf,
    },
    /// SQLite could not open the database.
    #[error("cannot open database {path}: {message}", path = path.display())]
    DatabaseOpen {
        /// The database's path.
        path: PathBuf,
        /// SQLite's message.
        message: String,
    },
    /// The item's reference does not have the expected shape.
    #[error("bad reference: {0} (expected {{\"db\": \"path.sqlite\", \"gold\": \"SELECT ...\"}} or {{\"db_id\": \"name\", \"gold\": \"SELECT ...\"}} with `db_dir` set)")]
    BadReference(String),
    /// The gold query itself fails on its database.
    #[error("the gold query fails on {path}: {reason}", path = path.display())]
    Gold {
        /// The database's path.
        path: PathBuf,
        /// Why the gold query produced no result.
        reason: ExecError,
    },
}

impl SqlError {
    /// A short, stable name for the error, for `error.kind`.
    pub fn kind(&self) -> &'static str {
        match self {
            SqlError::DatabaseNotFound { .. } => "database_not_found",
            SqlError::DatabaseOpen { .. } => "database_open",
            SqlError::BadReference(_) => "bad_reference",
            SqlError::Gold { .. } => "gold_failed",
        }
    }
}

/// Why a query (predicted or gold) produced no result set.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecError {
    /// The query text is empty (or only comments and semicolons).
    #[error("empty query")]
    Empty,
    /// The query is longer than the configured limit.
    #[error("query is {len} bytes, over the limit of {max}")]
    TooLong {
        /// The query's length in bytes.
        len: usize,
        /// The limit.
        max: usize,
    },
    /// The authorizer refused an action: a write, ATTACH, a state-changing PRAGMA …
    #[error("{0}")]
    Denied(String),
    /// More than one statement in the text.
    #[error("more than one SQL statement; give a single query")]
    MultipleStatements,
    /// The query does not prepare: a syntax error, or a name not in the schema.
    #[error("does not prepare: {0}")]
    Prepare(String),
    /// The query failed while running.
    #[error("failed while running: {0}")]
    Runtime(String),
    /// The deadline passed; the query was interrupted.
    #[error("interrupted at the deadline")]
    Timeout,
    /// The predicted query ran past its own time limit (the item's timeout minus the grader's
    /// overhead) and was interrupted: the policy's failure, scored like any query that fails.
    #[error(
        "ran past its time limit of {0} ms (the item's timeout minus the grader's overhead) and \
         was interrupted"
    )]
    TimeLimit(u64),
    /// The query returned more rows than allowed.
    #[error("returned more than {0} rows")]
    TooManyRows(usize),
    /// The query's result exceeded the size cap.
    #[error("result exceeds {0} bytes")]
    TooLarge(usize),
}

impl ExecError {
    /// A short, stable name for explanations.
    pub fn kind(&self) -> &'static str {
        match self {
            ExecError::Empty => "empty",
            ExecError::TooLong { .. } => "too_long",
            ExecError::Denied(_) => "denied",
            ExecError::MultipleStatements => "multiple_statements",
            ExecError::Prepare(_) => "prepare",
            ExecError::Runtime(_) => "runtime",
            ExecError::Timeout => "timeout",
            ExecError::TimeLimit(_) => "time_limit",
            ExecError::TooManyRows(_) => "too_many_rows",
            ExecError::TooLarge(_) => "too_large",
        }
    }
}

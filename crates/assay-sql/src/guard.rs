//! The authorizer: which actions a graded query may take (read only), and a log of what it
//! read, which schema linking uses.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::hooks::{AuthAction, AuthContext, Authorization};

/// Pragmas that only report on the schema; every other pragma is refused.
const READ_ONLY_PRAGMAS: &[&str] = &[
    "table_info",
    "table_xinfo",
    "table_list",
    "index_list",
    "index_info",
    "index_xinfo",
    "foreign_key_list",
];

/// SQL functions refused although their action is a plain function call.
const DENIED_FUNCTIONS: &[&str] = &[
    "load_extension",
    "fts3_tokenizer",
    "readfile",
    "writefile",
    "edit",
];

/// What the authorizer saw while a statement was prepared.
#[derive(Debug, Default)]
pub struct AuthLog {
    /// The first refused action, described for the user (`None` when all were allowed).
    pub denied: Option<String>,
    /// Tables and columns read, lowercased: `table` or `table.column`.
    pub reads: BTreeSet<String>,
}

/// The shared state between a connection's authorizer callback and the code using the
/// connection.
#[derive(Debug, Clone, Default)]
pub struct Guard {
    log: Arc<Mutex<AuthLog>>,
}

impl Guard {
    /// Installs the read-only authorizer on `conn`, logging into this guard.
    pub fn install(&self, conn: &rusqlite::Connection) {
        let log = Arc::clone(&self.log);
        conn.authorizer(Some(move |ctx: AuthContext<'_>| {
            let mut log = log.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
            match decide(&ctx) {
                Ok(()) => {
                    if let AuthAction::Read {
                        table_name,
                        column_name,
                    } = ctx.action
                    {
                        record_read(&mut log.reads, table_name, column_name);
                    }
                    Authorization::Allow
                }
                Err(reason) => {
                    log.denied.get_or_insert(reason);
                    Authorization::Deny
                }
            }
        }));
    }

    /// Clears the log before preparing a new statement.
    pub fn reset(&self) {
        let mut log = self.lock();
        log.denied = None;
        log.reads.clear();
    }

    /// Takes the log of the statement just prepared, leaving it empty.
    pub fn take(&self) -> AuthLog {
        std::mem::take(&mut *self.lock())
    }

    fn lock(&self) -> MutexGuard<'_, AuthLog> {
        self.log
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

fn record_read(reads: &mut BTreeSet<String>, table: &str, column: &str) {
    let table = table.to_lowercase();
    if !column.is_empty() {
        reads.insert(format!("{table}.{}", column.to_lowercase()));
    }
    reads.insert(table);
}

/// The policy: `Ok` for reading actions, `Err(reason)` for everything else.
fn decide(ctx: &AuthContext<'_>) -> Result<(), String> {
    match ctx.action {
        AuthAction::Select | AuthAction::Read { .. } | AuthAction::Recursive => Ok(()),
        AuthAction::Function { function_name } => {
            if DENIED_FUNCTIONS
                .iter()
                .any(|f| f.eq_ignore_ascii_case(function_name))
            {
                Err(format!("function {function_name}() is not allowed"))
            } else {
                Ok(())
            }
        }
        AuthAction::Pragma { pragma_name, .. } => {
            if READ_ONLY_PRAGMAS
                .iter()
                .any(|p| p.eq_ignore_ascii_case(pragma_name))
            {
                Ok(())
            } else {
                Err(format!(
                    "PRAGMA {pragma_name} is not allowed (it may change state)"
                ))
            }
        }
        // SQLite asks to write its schema table before it names the CREATE or DROP itself.
        AuthAction::Insert { table_name }
        | AuthAction::Update { table_name, .. }
        | AuthAction::Delete { table_name }
            if is_schema_table(table_name) =>
        {
            Err(format!(
                "write refused: schema change (CREATE/DROP of a table, view, index or temp \
                 object writes {table_name})"
            ))
        }
        AuthAction::Insert { table_name } => {
            Err(format!("write refused: INSERT into {table_name}"))
        }
        AuthAction::Update { table_name, .. } => {
            Err(format!("write refused: UPDATE of {table_name}"))
        }
        AuthAction::Delete { table_name } => {
            Err(format!("write refused: DELETE from {table_name}"))
        }
        AuthAction::Attach { filename } => Err(format!("ATTACH refused ({filename})")),
        AuthAction::Detach { database_name } => Err(format!("DETACH refused ({database_name})")),
        AuthAction::Transaction { .. } | AuthAction::Savepoint { .. } => {
            Err("transaction control refused".to_string())
        }
        AuthAction::CreateTempTable { table_name } => {
            Err(format!("write refused: CREATE TEMP TABLE {table_name}"))
        }
        other => Err(format!("write refused: {}", describe(&other))),
    }
}

fn is_schema_table(table: &str) -> bool {
    [
        "sqlite_master",
        "sqlite_temp_master",
        "sqlite_schema",
        "sqlite_temp_schema",
    ]
    .iter()
    .any(|t| t.eq_ignore_ascii_case(table))
}

/// Names a schema-changing or otherwise refused action, as SQL.
fn describe(action: &AuthAction<'_>) -> String {
    match *action {
        AuthAction::CreateTable { table_name } => format!("CREATE TABLE {table_name}"),
        AuthAction::CreateIndex { index_name, .. }
        | AuthAction::CreateTempIndex { index_name, .. } => {
            format!("CREATE INDEX {index_name}")
        }
        AuthAction::CreateView { view_name } | AuthAction::CreateTempView { view_name } => {
            format!("CREATE VIEW {view_name}")
        }
        AuthAction::CreateTrigger { trigger_name, .. }
        | AuthAction::CreateTempTrigger { trigger_name, .. } => {
            format!("CREATE TRIGGER {trigger_name}")
        }
        AuthAction::CreateVtable { table_name, .. } => format!("CREATE VIRTUAL TABLE {table_name}"),
        AuthAction::DropTable { table_name } | AuthAction::DropTempTable { table_name } => {
            format!("DROP TABLE {table_name}")
        }
        AuthAction::DropIndex { index_name, .. } | AuthAction::DropTempIndex { index_name, .. } => {
            format!("DROP INDEX {index_name}")
        }
        AuthAction::DropView { view_name } | AuthAction::DropTempView { view_name } => {
            format!("DROP VIEW {view_name}")
        }
        AuthAction::DropTrigger { trigger_name, .. }
        | AuthAction::DropTempTrigger { trigger_name, .. } => {
            format!("DROP TRIGGER {trigger_name}")
        }
        AuthAction::DropVtable { table_name, .. } => format!("DROP VIRTUAL TABLE {table_name}"),
        AuthAction::AlterTable { table_name, .. } => format!("ALTER TABLE {table_name}"),
        AuthAction::Reindex { index_name } => format!("REINDEX {index_name}"),
        AuthAction::Analyze { table_name } => format!("ANALYZE {table_name}"),
        ref other => format!("{other:?}"),
    }
}

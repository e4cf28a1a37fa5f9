//! The names in a database's schema, for schema linking of queries that do not prepare.

use std::collections::{BTreeMap, BTreeSet};

use crate::conn::ReadOnlyConn;

/// Tables (and views) with their columns, all lowercased.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// Column names by table name.
    pub tables: BTreeMap<String, BTreeSet<String>>,
}

impl Schema {
    /// Reads the schema through `conn` (only reads: `sqlite_schema` and `pragma_table_info`).
    pub fn load(conn: &ReadOnlyConn) -> rusqlite::Result<Schema> {
        let conn = conn.connection();
        let mut tables = BTreeMap::new();
        let mut names = conn.prepare(
            "SELECT name FROM sqlite_schema WHERE type IN ('table', 'view') \
             AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )?;
        let names: Vec<String> = names
            .query_map([], |row| row.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        let mut columns = conn.prepare("SELECT name FROM pragma_table_info(?1)")?;
        for name in names {
            let cols: BTreeSet<String> = columns
                .query_map([&name], |row| row.get::<_, String>(0))?
                .map(|c| c.map(|c| c.to_lowercase()))
                .collect::<rusqlite::Result<_>>()?;
            tables.insert(name.to_lowercase(), cols);
        }
        Ok(Schema { tables })
    }
}

//! The reference an item carries: which database, and the gold query.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::SqlError;

/// A resolved reference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// The database file.
    pub db: PathBuf,
    /// The gold SQL.
    pub gold: String,
}

#[derive(Deserialize)]
struct Raw {
    db: Option<PathBuf>,
    db_id: Option<String>,
    gold: Option<String>,
}

impl Reference {
    /// Reads `{"db": "path.sqlite", "gold": "..."}` or `{"db_id": "name", "gold": "..."}`
    /// (the latter needs `db_dir`: the database is `<db_dir>/<db_id>/<db_id>.sqlite`). A string
    /// holding such an object is accepted too. Other keys are ignored. A relative `db` is taken
    /// from `db_dir` when set.
    pub fn parse(value: &serde_json::Value, db_dir: Option<&Path>) -> Result<Self, SqlError> {
        let bad = |m: String| SqlError::BadReference(m);
        let raw: Raw = match value {
            serde_json::Value::String(text) => serde_json::from_str(text)
                .map_err(|e| bad(format!("reference is a string but not a JSON object ({e})")))?,
            serde_json::Value::Object(_) => {
                Raw::deserialize(value).map_err(|e| bad(e.to_string()))?
            }
            other => return Err(bad(format!("got {}", type_name(other)))),
        };
        let gold = raw
            .gold
            .filter(|g| !g.trim().is_empty())
            .ok_or_else(|| bad("missing or empty `gold`".into()))?;
        let db = match (raw.db, raw.db_id) {
            (Some(db), _) => match db_dir {
                Some(dir) if db.is_relative() => dir.join(db),
                _ => db,
            },
            (None, Some(id)) => {
                let Some(dir) = db_dir else {
                    return Err(bad(format!(
                        "`db_id` \"{id}\" given but the grader has no `db_dir` option"
                    )));
                };
                if id.is_empty() || id.contains(['/', '\\']) || id == ".." {
                    return Err(bad(format!("`db_id` \"{id}\" is not a plain name")));
                }
                dir.join(&id).join(format!("{id}.sqlite"))
            }
            (None, None) => return Err(bad("missing `db` or `db_id`".into())),
        };
        Ok(Reference { db, gold })
    }
}

fn type_name(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reference_shapes() {
        let dir = Path::new("/dbs");
        let ok = [
            (
                json!({"db": "/x/a.sqlite", "gold": "SELECT 1"}),
                None,
                "/x/a.sqlite",
            ),
            (
                json!({"db": "a.sqlite", "gold": "SELECT 1"}),
                Some(dir),
                "/dbs/a.sqlite",
            ),
            (
                json!({"db": "/x/a.sqlite", "gold": "SELECT 1"}),
                Some(dir),
                "/x/a.sqlite",
            ),
            (
                json!({"db_id": "shop", "gold": "SELECT 1", "question": "?"}),
                Some(dir),
                "/dbs/shop/shop.sqlite",
            ),
            (
                json!(r#"{"db_id": "shop", "gold": "SELECT 1"}"#),
                Some(dir),
                "/dbs/shop/shop.sqlite",
            ),
        ];
        for (value, db_dir, path) in ok {
            let got = Reference::parse(&value, db_dir).unwrap();
            assert_eq!(got.db, PathBuf::from(path), "{value}");
            assert_eq!(got.gold, "SELECT 1");
        }
        let bad = [
            (
                json!({"db_id": "shop", "gold": "SELECT 1"}),
                None,
                "no `db_dir`",
            ),
            (
                json!({"db_id": "../etc", "gold": "SELECT 1"}),
                Some(dir),
                "not a plain name",
            ),
            (json!({"db": "a.sqlite"}), None, "missing or empty `gold`"),
            (json!({"gold": "SELECT 1"}), None, "missing `db` or `db_id`"),
            (json!(42), None, "got a number"),
            (json!("SELECT 1"), None, "not a JSON object"),
        ];
        for (value, db_dir, needle) in bad {
            let message = Reference::parse(&value, db_dir).unwrap_err().to_string();
            assert!(message.contains(needle), "{value}: {message}");
        }
    }
}

//! SQLite graders for Assay: execution match and Reasoning-SQL partial rewards for
//! text-to-SQL, on databases that graded queries cannot change and cannot stall.
//!
//! - **Read-only, twice over.** Databases open as `file:…?mode=ro&immutable=1`, and an
//!   authorizer lets a statement only read: writes, schema changes, temp tables, `ATTACH`,
//!   transactions, state-changing `PRAGMA`s and `load_extension` are refused. A refused query
//!   scores 0 with the reason in the explanation; the file is never touched.
//! - **Killable.** A progress handler interrupts a query at the item's deadline, so runaway
//!   `WITH RECURSIVE` loops and huge cross joins end on time with status `timeout`. Results
//!   are capped in rows and bytes; SQLite's own limits cap statement length and more.
//! - **Fast under RL load.** Read-only connections are pooled per database and shared across
//!   threads; gold results are cached per (database, gold query), so the 16 rollouts of one
//!   question run its gold once.
//! - **Comparison modes** `bird`, `spider`, `strict` ([`CompareMode`]), with value rules
//!   documented in [`value`].
//! - **Partial rewards** ([`Components`]): execution, syntax, schema linking (recall and
//!   Jaccard), n-gram similarity and format, weighted by [`Weights`].
//! - **A grader for assay-core**: [`SqlKind`] (`kind = "sql"`, options [`SqlOptions`]), added
//!   to a registry by [`register`]; [`SqlEngine`] is the same engine without assay-core types.
//!
//! ```no_run
//! use assay_sql::{SqlEngine, SqlOptions};
//! let engine = SqlEngine::new(SqlOptions::default()).unwrap();
//! let reference = serde_json::json!({"db": "shop.sqlite", "gold": "SELECT count(*) FROM orders"});
//! let verdict = engine.grade(&reference, "```sql\nSELECT COUNT(id) FROM orders\n```", None).unwrap();
//! println!("{:?} {:?}", verdict.reward, verdict.explanation);
//! ```

pub mod cache;
pub mod compare;
pub mod conn;
pub mod engine;
pub mod error;
pub mod exec;
pub mod extract;
pub mod gold;
pub mod grader;
pub mod guard;
pub mod lexer;
pub mod limits;
pub mod options;
pub mod partial;
pub mod pool;
pub mod reference;
pub mod schema;
pub mod value;

pub use compare::{compare, CompareMode, Comparison};
pub use engine::{Components, SqlEngine, Verdict, VerdictStatus};
pub use error::{ExecError, SqlError};
pub use extract::ExtractMode;
pub use grader::{register, SqlGrader, SqlKind};
pub use limits::Limits;
pub use options::{SqlOptions, Weights};
pub use reference::Reference;
pub use value::{ResultSet, Value};

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

//! Assay: rewards for LLM post-training and test-time scaling that are correct, fast, bounded
//! and explainable.
//!
//! This is the crate to import. It gathers every built-in grader kind into one [`registry()`]
//! and builds [`Engine`]s from configuration files, JSON values or a single kind:
//!
//! ```
//! use assay::{Item, Status};
//!
//! let engine = assay::engine_for_kind("multi", serde_json::json!({"graders": []}));
//! assert!(engine.is_err()); // a multi needs sub-graders: the error says so
//!
//! let config = serde_json::json!({
//!     "graders": {
//!         "a": {"kind": "transform", "grader": "a"}
//!     }
//! });
//! let err = assay::engine_from_value(&config, "example").unwrap_err();
//! assert!(err.to_string().contains("cycle"));
//! # let _ = (Item::default(), Status::Ok);
//! ```

use std::path::Path;

pub mod models;
pub mod openrlhf;

use serde_json::{Map, Value};

// The data model.
pub use assay_core::{
    Components, Content, ErrorKind, GradeError, GradeResult, Input, Item, MalformedItem, Message,
    Status, Usage,
};
// Scoring: the engine, its one request type and what it answers.
pub use assay_core::{AdvantageMode, Engine, GroupSummary, OnError, ScoreRequest, Scored, Target};
// Configuration.
pub use assay_core::{Config, ConfigError, ConfigProblem, KindInfo, OptionDoc, Registry};
// Deadlines and cancellation.
pub use assay_core::{Budget, CancelOnDrop, CancelToken, Expired, Meter};
// Writing a grader (see `assay_testkit` for the conformance suite every grader should pass).
/// Configuration files and `--set key=value` options.
pub use assay_core::config;
/// Group-relative shaping (GRPO, Dr. GRPO, RLOO advantages).
pub use assay_core::group;
/// `"a string"`, `"a list"` …: the JSON type of a value, for messages.
pub use assay_core::result::json_type;
/// The shared async runtime that I/O graders wait on.
pub use assay_core::runtime;
pub use assay_core::runtime::RemoteServer;
pub use assay_core::{
    block_on_io, Batch, BatchContext, BoxFuture, BuildContext, Grader, GraderKind, Outcome,
    Panicked, SharedGrader,
};

/// The grader families, each behind the cargo feature of its name.
#[cfg(feature = "code")]
pub use assay_code as code;
#[cfg(feature = "ifeval")]
pub use assay_ifeval as ifeval;
/// Local model inference and the model graders (the `models` feature).
#[cfg(feature = "models")]
pub use assay_inference as inference;
#[cfg(feature = "math")]
pub use assay_math as math;
/// Model graders over HTTP: judges, rubrics, remote reward models (the `remote` feature).
#[cfg(feature = "remote")]
pub use assay_model as remote;
#[cfg(feature = "similarity")]
pub use assay_similarity as similarity;
#[cfg(feature = "sql")]
pub use assay_sql as sql;
#[cfg(feature = "text")]
pub use assay_text as text;

/// A registry holding every built-in grader kind of the enabled features (the composition
/// kinds are always there).
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    assay_core::compose::register(&mut registry);
    #[cfg(feature = "text")]
    assay_text::register(&mut registry);
    #[cfg(feature = "math")]
    assay_math::register(&mut registry);
    #[cfg(feature = "code")]
    assay_code::register(&mut registry);
    #[cfg(feature = "sql")]
    assay_sql::grader::register(&mut registry);
    #[cfg(feature = "ifeval")]
    assay_ifeval::register(&mut registry);
    #[cfg(feature = "similarity")]
    assay_similarity::register(&mut registry);
    #[cfg(feature = "models")]
    assay_inference::register(&mut registry);
    #[cfg(feature = "remote")]
    assay_model::register(&mut registry);
    // One `reward_model` and one `process_reward`: local with `path`, remote with `url`.
    #[cfg(any(feature = "models", feature = "remote"))]
    models::register(&mut registry);
    registry
}

/// The remote model servers of the graders built so far in this process, one entry per server
/// and connection settings (empty without the `remote` feature).
pub fn remote_servers() -> Vec<RemoteServer> {
    #[cfg(feature = "remote")]
    {
        assay_model::shared_states()
    }
    #[cfg(not(feature = "remote"))]
    {
        Vec::new()
    }
}

/// Builds an engine from a configuration file (TOML, YAML or JSON, by extension).
pub fn engine_from_path(path: &Path) -> Result<Engine, ConfigError> {
    let config = Config::from_path(path)?;
    Engine::new(&config, &registry(), &path.display().to_string())
}

/// Builds an engine from a configuration given as JSON (e.g. an inline HTTP request or a
/// Python dict). `source` names it in error messages.
pub fn engine_from_value(value: &Value, source: &str) -> Result<Engine, ConfigError> {
    let config = Config::from_value(value).map_err(|problems| ConfigError {
        source: source.to_string(),
        problems,
    })?;
    Engine::new(&config, &registry(), source)
}

/// Builds an engine of one grader of `kind` with `options` (a JSON object; it may also hold
/// the keys every grader takes, such as `timeout_ms` and `on_error`), as
/// `assay score --grader KIND --set key=value` does.
pub fn engine_for_kind(kind: &str, options: Value) -> Result<Engine, ConfigError> {
    let source = format!("--grader {kind}");
    let config = config_for_kind(kind, options, &source)?;
    engine_from_value(&config, &source)
}

/// The configuration (as JSON) of one grader of `kind` with `options`: what
/// [`engine_for_kind`] builds, for callers that keep the configuration (Python pickles it).
pub fn config_for_kind(kind: &str, options: Value, source: &str) -> Result<Value, ConfigError> {
    let table = match options {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        other => {
            return Err(ConfigError::single(
                source,
                ConfigProblem::new("", format!("options must be a table, found {other}")),
            ))
        }
    };
    Config::single_value(kind, table).map_err(|p| ConfigError::single(source, p))
}

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

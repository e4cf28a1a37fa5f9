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

pub mod openrlhf;

pub use assay_core::*;
/// Local model inference and the model graders (the `models` feature).
#[cfg(feature = "models")]
pub use assay_inference as inference;
use serde_json::{Map, Value};

/// A registry holding every built-in grader kind.
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    assay_core::compose::register(&mut registry);
    assay_text::register(&mut registry);
    assay_math::register(&mut registry);
    assay_code::register(&mut registry);
    assay_sql::grader::register(&mut registry);
    assay_ifeval::register(&mut registry);
    assay_similarity::register(&mut registry);
    #[cfg(feature = "models")]
    assay_inference::register(&mut registry);
    registry
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
    let mut table = match options {
        Value::Object(map) => map,
        Value::Null => Map::new(),
        other => {
            return Err(ConfigError::single(
                source,
                ConfigProblem::new("", format!("options must be a table, found {other}")),
            ))
        }
    };
    table.insert("kind".into(), Value::String(kind.to_string()));
    let mut graders = Map::new();
    graders.insert(kind.to_string(), Value::Object(table));
    let mut top = Map::new();
    top.insert("graders".into(), Value::Object(graders));
    engine_from_value(&Value::Object(top), &source)
}

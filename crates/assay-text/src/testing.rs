//! Helpers for the graders' tests: engines built from configuration text, as users build them.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use assay_core::config::Format;
use assay_core::{
    Budget, BuildContext, Config, ConfigError, Engine, ErrorKind, GradeResult, Grader, GraderKind,
    Item, Outcome, Registry, SharedGrader,
};

/// Options of `probe`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeOptions {
    /// The metadata key holding this probe's verdict.
    pub key: String,
}

/// Reads `metadata[key]`: a number is an `ok` reward; `"invalid"`, `"error"`, `"timeout"`,
/// `"na"` give those statuses.
pub struct Probe(String);

impl Grader for Probe {
    fn components(&self) -> Vec<String> {
        Vec::new()
    }
    fn grade(&self, item: &Item, _: &Budget) -> Outcome {
        match item.metadata.get(&self.0) {
            Some(Value::Number(n)) => Outcome::ok(n.as_f64().unwrap()),
            Some(Value::String(s)) => match s.as_str() {
                "invalid" => Outcome::invalid(0.0, "no answer"),
                "error" => Outcome::error(ErrorKind::BadReference, "probe error"),
                "timeout" => Outcome::timeout("probe timeout"),
                "na" => Outcome::not_applicable("probe n/a"),
                other => Outcome::error(ErrorKind::BadReference, format!("unknown probe {other}")),
            },
            _ => Outcome::error(ErrorKind::BadReference, format!("no metadata.{}", self.0)),
        }
    }
}

/// The `probe` kind.
pub struct ProbeKind;

impl GraderKind for ProbeKind {
    type Options = ProbeOptions;
    const NAME: &'static str = "probe";
    const FAMILY: &'static str = "test";
    const SUMMARY: &'static str = "Reads its verdict from the item's metadata (tests only).";
    const REFERENCE: &'static str = "not used";
    fn build(options: ProbeOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        Ok(Arc::new(Probe(options.key)))
    }
}

/// A registry with the combinators, the text graders and `probe`.
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    assay_core::compose::register(&mut registry);
    crate::register(&mut registry);
    registry.register::<ProbeKind>();
    registry
}

/// Builds an engine from a configuration value.
pub fn try_engine_value(value: &Value) -> Result<Engine, ConfigError> {
    let config = Config::from_value(value).map_err(|problems| ConfigError {
        source: "test".into(),
        problems,
    })?;
    Engine::new(&config, &registry(), "test")
}

/// Builds an engine from TOML text.
pub fn try_engine(toml: &str) -> Result<Engine, ConfigError> {
    try_engine_value(&Format::Toml.parse(toml).expect("valid TOML"))
}

/// Builds an engine from TOML text, panicking with the problems on failure.
pub fn engine(toml: &str) -> Engine {
    try_engine(toml).unwrap_or_else(|e| panic!("{e}"))
}

fn single(kind: &str, options: &Value) -> Value {
    let mut table = options.as_object().cloned().unwrap_or_default();
    table.insert("kind".into(), json!(kind));
    json!({ "graders": { "g": table } })
}

/// Grades one response with a single grader of `kind` configured by `options`.
pub fn grade_one(kind: &str, options: &Value, response: &str, reference: Value) -> GradeResult {
    let engine = try_engine_value(&single(kind, options)).unwrap_or_else(|e| panic!("{e}"));
    engine.score(&[Item::new(response, reference)]).remove(0)
}

/// The configuration error of a single grader of `kind` configured by `options`.
pub fn build_error(kind: &str, options: &Value) -> String {
    match try_engine_value(&single(kind, options)) {
        Ok(_) => panic!("{kind} {options}: expected a configuration error"),
        Err(e) => e.to_string(),
    }
}

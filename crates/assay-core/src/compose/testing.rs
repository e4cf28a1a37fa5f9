//! A grader for tests of the engine and the combinators: it reads its verdict from the item.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Format;
use crate::{
    Budget, BuildContext, Config, Engine, ErrorKind, Grader, GraderKind, Item, Outcome, Registry,
    SharedGrader,
};

/// Options of `probe`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeOptions {
    /// The metadata key holding this probe's verdict.
    pub key: String,
}

/// Reads `metadata[key]`: a number is an `ok` reward (also component `value`); `"invalid"`,
/// `"error"`, `"timeout"`, `"na"` give those statuses; `"panic"` panics; `"slow"` spins until
/// its budget runs out.
pub struct Probe(String);

impl Grader for Probe {
    fn components(&self) -> Vec<String> {
        vec!["value".into()]
    }
    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        match item.metadata.get(&self.0) {
            Some(Value::Number(n)) => {
                let v = n.as_f64().unwrap();
                Outcome::ok(v).component("value", v).pred(v.to_string())
            }
            Some(Value::String(s)) => match s.as_str() {
                "invalid" => Outcome::invalid(0.0, "no answer").component("value", 0.0),
                "error" => Outcome::error(ErrorKind::BadReference, "probe error"),
                "timeout" => Outcome::timeout("probe timeout"),
                "na" => Outcome::not_applicable("probe n/a"),
                "panic" => panic!("probe panic"),
                "slow" => {
                    let mut meter = budget.meter(1024);
                    loop {
                        if meter.tick().is_err() {
                            return Outcome::timeout("probe ran out of time");
                        }
                    }
                }
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

/// A registry with the combinators and `probe`.
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    super::register(&mut registry);
    registry.register::<ProbeKind>();
    registry
}

/// Builds an engine from TOML text, panicking with the problems on failure.
pub fn engine(toml: &str) -> Engine {
    try_engine(toml).unwrap_or_else(|e| panic!("{e}"))
}

/// Builds an engine from TOML text.
pub fn try_engine(toml: &str) -> Result<Engine, crate::ConfigError> {
    let value = Format::Toml.parse(toml).expect("valid TOML");
    let config = Config::from_value(&value).map_err(|problems| crate::ConfigError {
        source: "test".into(),
        problems,
    })?;
    Engine::new(&config, &registry(), "test")
}

/// An item whose probes read `metadata`.
pub fn item(metadata: Value) -> Item {
    Item {
        metadata,
        ..Item::new("response", Value::Null)
    }
}

//! The registry of grader kinds.
//!
//! Each kind is a type implementing [`GraderKind`]: its name, a one-line summary, the reference
//! shape it takes, and a typed options struct. The options struct derives serde's `Deserialize`
//! (with `deny_unknown_fields`) and schemars' `JsonSchema`, so one definition gives validation
//! with precise messages *and* the documentation that `assay graders` prints.
//!
//! ```
//! use std::sync::Arc;
//! use assay_core::{Budget, BuildContext, Grader, GraderKind, Item, Outcome, Registry, SharedGrader};
//! use schemars::JsonSchema;
//! use serde::{Deserialize, Serialize};
//!
//! /// Options of `nonempty`.
//! #[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
//! #[serde(deny_unknown_fields, default)]
//! struct NonEmptyOptions {
//!     /// Reward for a non-empty response.
//!     reward: Option<f64>,
//! }
//!
//! struct NonEmpty(f64);
//! impl Grader for NonEmpty {
//!     fn components(&self) -> Vec<String> { vec![] }
//!     fn grade(&self, item: &Item, _: &Budget) -> Outcome {
//!         if item.response_text().trim().is_empty() {
//!             Outcome::invalid(0.0, "empty response")
//!         } else {
//!             Outcome::ok(self.0)
//!         }
//!     }
//! }
//!
//! struct NonEmptyKind;
//! impl GraderKind for NonEmptyKind {
//!     type Options = NonEmptyOptions;
//!     const NAME: &'static str = "nonempty";
//!     const FAMILY: &'static str = "text";
//!     const SUMMARY: &'static str = "Rewards any non-empty response.";
//!     const REFERENCE: &'static str = "not used";
//!     fn build(options: NonEmptyOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
//!         Ok(Arc::new(NonEmpty(options.reward.unwrap_or(1.0))))
//!     }
//! }
//!
//! let mut registry = Registry::new();
//! registry.register::<NonEmptyKind>();
//! assert!(registry.kind("nonempty").is_some());
//! ```

use std::collections::BTreeMap;
use std::fmt;

use schemars::JsonSchema;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::config::{ConfigProblem, COMMON_GRADER_KEYS};
use crate::SharedGrader;

/// A kind of grader: how to build one from typed options, and how to document it.
pub trait GraderKind: 'static {
    /// The typed options. Derive `Deserialize` with `#[serde(deny_unknown_fields)]` and
    /// `JsonSchema`; doc comments on fields become the option documentation.
    type Options: DeserializeOwned + JsonSchema;
    /// The name used in configurations (`kind = "…"`).
    const NAME: &'static str;
    /// The family it belongs to: `text`, `math`, `code`, `sql`, `model`, `composition` ….
    const FAMILY: &'static str;
    /// One sentence on what it rewards.
    const SUMMARY: &'static str;
    /// The `reference` shape it takes, for documentation.
    const REFERENCE: &'static str;
    /// A complete configuration (TOML) that uses this kind: a grader named after the kind,
    /// plus any graders it refers to. `assay graders KIND` prints it, and the conformance suite
    /// (`assay-testkit`) builds it. Every built-in kind has one.
    const EXAMPLE: &'static str = "";

    /// Builds a grader. `ctx` resolves other graders of the configuration by name. An `Err` is
    /// a configuration problem, reported with the grader's name.
    fn build(options: Self::Options, ctx: &mut BuildContext<'_>) -> Result<SharedGrader, String>;
}

/// Resolves graders of the configuration by name while one is being built.
pub trait Resolver {
    /// The grader called `name`, building it first if needed.
    fn resolve(&mut self, name: &str) -> Result<SharedGrader, String>;
}

/// What a [`GraderKind::build`] can see of the configuration around it.
pub struct BuildContext<'a> {
    name: &'a str,
    resolver: &'a mut dyn Resolver,
}

impl<'a> BuildContext<'a> {
    /// A context for building the grader called `name`.
    pub fn new(name: &'a str, resolver: &'a mut dyn Resolver) -> Self {
        BuildContext { name, resolver }
    }

    /// The name of the grader being built.
    pub fn name(&self) -> &str {
        self.name
    }

    /// Another grader of the configuration, by name. Cycles and unknown names are errors.
    pub fn grader(&mut self, name: &str) -> Result<SharedGrader, String> {
        self.resolver.resolve(name)
    }
}

type BuildFn =
    dyn Fn(Value, &mut BuildContext<'_>) -> Result<SharedGrader, Vec<ConfigProblem>> + Send + Sync;

/// A registered kind, with its documentation.
pub struct KindEntry {
    /// Documentation generated from the kind's definition.
    pub info: KindInfo,
    build: Box<BuildFn>,
}

impl fmt::Debug for KindEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KindEntry")
            .field("info", &self.info)
            .finish()
    }
}

impl KindEntry {
    /// Builds a grader of this kind from its options (the grader's table without the keys
    /// common to every grader). Problems are reported with paths relative to the options.
    pub fn build(
        &self,
        options: Value,
        ctx: &mut BuildContext<'_>,
    ) -> Result<SharedGrader, Vec<ConfigProblem>> {
        (self.build)(options, ctx)
    }
}

/// Documentation of a grader kind.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct KindInfo {
    /// The kind's name.
    pub name: &'static str,
    /// Its family.
    pub family: &'static str,
    /// What it rewards.
    pub summary: &'static str,
    /// The reference shape it takes.
    pub reference: &'static str,
    /// Its options.
    pub options: Vec<OptionDoc>,
    /// A complete example configuration (TOML) with a grader of this kind named after it.
    pub example: &'static str,
}

/// Documentation of one option.
#[derive(Debug, Clone, serde::Serialize)]
#[non_exhaustive]
pub struct OptionDoc {
    /// The option's key.
    pub name: String,
    /// Its type, in words (`number`, `string`, `one of "eq", "ne"`, `list of string` …).
    #[serde(rename = "type")]
    pub ty: String,
    /// Whether a configuration must set it.
    pub required: bool,
    /// The default, when it has one.
    pub default: Option<Value>,
    /// What it does.
    pub description: String,
}

/// The grader kinds an engine can build.
#[derive(Debug, Default)]
pub struct Registry {
    kinds: BTreeMap<&'static str, KindEntry>,
}

impl Registry {
    /// An empty registry. See `assay::registry()` for one with every built-in kind.
    pub fn new() -> Self {
        Registry::default()
    }

    /// Adds a kind. A later registration of the same name replaces the earlier one.
    pub fn register<K: GraderKind>(&mut self) -> &mut Self {
        let build = |options: Value, ctx: &mut BuildContext<'_>| {
            let typed: K::Options = serde_path_to_error::deserialize(options).map_err(|e| {
                let path = e.path().to_string();
                let path = if path == "." { String::new() } else { path };
                let mut message = e.into_inner().to_string();
                if message.starts_with("unknown field") {
                    message.push_str(&format!(
                        " (every grader also takes: {})",
                        COMMON_GRADER_KEYS.join(", ")
                    ));
                }
                vec![ConfigProblem::new(path, message)]
            })?;
            K::build(typed, ctx).map_err(|message| vec![ConfigProblem::new("", message)])
        };
        let info = KindInfo {
            name: K::NAME,
            family: K::FAMILY,
            summary: K::SUMMARY,
            reference: K::REFERENCE,
            options: option_docs(&schemars::schema_for!(K::Options)),
            example: K::EXAMPLE.trim_matches('\n'),
        };
        self.kinds.insert(
            K::NAME,
            KindEntry {
                info,
                build: Box::new(build),
            },
        );
        self
    }

    /// The kind called `name`.
    pub fn kind(&self, name: &str) -> Option<&KindEntry> {
        self.kinds.get(name)
    }

    /// Every kind, by name.
    pub fn kinds(&self) -> impl Iterator<Item = &KindEntry> {
        self.kinds.values()
    }

    /// The names of every kind, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        self.kinds.keys().copied().collect()
    }
}

/// Reads option documentation out of a JSON schema generated by schemars.
fn option_docs(schema: &schemars::Schema) -> Vec<OptionDoc> {
    let root = schema.as_value();
    let defs = root.get("$defs").and_then(Value::as_object);
    let required: Vec<&str> = root
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let Some(properties) = root.get("properties").and_then(Value::as_object) else {
        return Vec::new();
    };
    properties
        .iter()
        .map(|(name, prop)| OptionDoc {
            name: name.clone(),
            ty: type_words(prop, defs),
            required: required.contains(&name.as_str()),
            default: prop.get("default").cloned(),
            description: prop
                .get("description")
                .or_else(|| resolve(prop, defs).get("description"))
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_string(),
        })
        .collect()
}

fn resolve<'a>(schema: &'a Value, defs: Option<&'a Map<String, Value>>) -> &'a Value {
    let target = schema
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|r| r.strip_prefix("#/$defs/"))
        .and_then(|name| defs?.get(name));
    target.unwrap_or(schema)
}

fn type_words(schema: &Value, defs: Option<&Map<String, Value>>) -> String {
    let schema = resolve(schema, defs);
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return one_of(values.iter());
    }
    if let Some(c) = schema.get("const") {
        return c.to_string();
    }
    for key in ["oneOf", "anyOf"] {
        if let Some(alternatives) = schema.get(key).and_then(Value::as_array) {
            let non_null: Vec<&Value> = alternatives
                .iter()
                .filter(|a| a.get("type").and_then(Value::as_str) != Some("null"))
                .collect();
            if non_null
                .iter()
                .all(|a| a.get("const").is_some() || a.get("enum").is_some())
            {
                let values = non_null.iter().flat_map(|a| match a.get("enum") {
                    Some(Value::Array(values)) => values.iter().collect::<Vec<_>>(),
                    _ => a.get("const").into_iter().collect(),
                });
                return one_of(values);
            }
            let words: Vec<String> = non_null.iter().map(|a| type_words(a, defs)).collect();
            return words.join(" or ");
        }
    }
    match schema.get("type") {
        Some(Value::String(t)) => simple_type(t, schema, defs),
        Some(Value::Array(types)) => types
            .iter()
            .filter_map(Value::as_str)
            .filter(|t| *t != "null")
            .map(|t| simple_type(t, schema, defs))
            .collect::<Vec<_>>()
            .join(" or "),
        _ => "any".to_string(),
    }
}

fn simple_type(t: &str, schema: &Value, defs: Option<&Map<String, Value>>) -> String {
    match t {
        "array" => match schema.get("items") {
            Some(items) => format!("list of {}", type_words(items, defs)),
            None => "list".to_string(),
        },
        "object" => match schema.get("additionalProperties") {
            Some(values @ Value::Object(_)) => format!("table of {}", type_words(values, defs)),
            _ => "table".to_string(),
        },
        "integer" => "integer".to_string(),
        "number" => "number".to_string(),
        "boolean" => "boolean".to_string(),
        "string" => "string".to_string(),
        other => other.to_string(),
    }
}

fn one_of<'a>(values: impl Iterator<Item = &'a Value>) -> String {
    let words: Vec<String> = values.map(Value::to_string).collect();
    format!("one of {}", words.join(", "))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use schemars::JsonSchema;
    use serde::{Deserialize, Serialize};
    use serde_json::json;

    use super::*;
    use crate::{Budget, Grader, Item, Outcome};

    #[derive(Debug, Clone, Copy, Default, Serialize, Deserialize, JsonSchema)]
    #[serde(rename_all = "snake_case")]
    enum Mode {
        #[default]
        Fast,
        Slow,
    }

    /// Options of the test kind.
    #[derive(Debug, Serialize, Deserialize, JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct TestOptions {
        /// How much to reward.
        value: f64,
        /// Which way to go.
        #[serde(default)]
        mode: Mode,
        /// Words to look for.
        #[serde(default)]
        words: Vec<String>,
    }

    struct Constant(f64);
    impl Grader for Constant {
        fn components(&self) -> Vec<String> {
            Vec::new()
        }
        fn grade(&self, _: &Item, _: &Budget) -> Outcome {
            Outcome::ok(self.0)
        }
    }

    struct TestKind;
    impl GraderKind for TestKind {
        type Options = TestOptions;
        const NAME: &'static str = "constant";
        const FAMILY: &'static str = "test";
        const SUMMARY: &'static str = "A constant reward.";
        const REFERENCE: &'static str = "not used";
        fn build(options: TestOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
            if options.value.is_nan() {
                return Err("value must be a number".into());
            }
            Ok(Arc::new(Constant(options.value)))
        }
    }

    struct NoGraders;
    impl Resolver for NoGraders {
        fn resolve(&mut self, name: &str) -> Result<SharedGrader, String> {
            Err(format!("no grader {name}"))
        }
    }

    fn build(options: Value) -> Result<SharedGrader, Vec<ConfigProblem>> {
        let mut registry = Registry::new();
        registry.register::<TestKind>();
        let mut resolver = NoGraders;
        let mut ctx = BuildContext::new("t", &mut resolver);
        registry.kind("constant").unwrap().build(options, &mut ctx)
    }

    #[test]
    fn builds_from_valid_options() {
        let grader = build(json!({"value": 0.5, "mode": "slow"})).unwrap();
        assert_eq!(
            grader.grade(&Item::default(), &Budget::unlimited()).reward,
            Some(0.5)
        );
    }

    #[test]
    fn bad_options_name_the_field_and_the_valid_choices() {
        let cases = [
            (
                json!({"value": 1, "colour": 2}),
                "colour",
                "unknown field `colour`, expected one of `value`, `mode`, `words`",
            ),
            (
                json!({"value": "high"}),
                "value",
                "invalid type: string \"high\", expected f64",
            ),
            (
                json!({"value": 1, "mode": "warp"}),
                "mode",
                "unknown variant `warp`, expected `fast` or `slow`",
            ),
            (json!({}), "", "missing field `value`"),
            (
                json!({"value": 1, "words": [1]}),
                "words[0]",
                "invalid type: integer `1`, expected a string",
            ),
        ];
        for (options, path, message) in cases {
            let problems = build(options.clone()).err().expect("must fail");
            assert_eq!(problems.len(), 1, "{options}");
            assert_eq!(problems[0].path, path, "{options}");
            assert!(
                problems[0].message.starts_with(message),
                "{options}: {}",
                problems[0].message
            );
        }
    }

    #[test]
    fn documentation_comes_from_the_options_type() {
        let mut registry = Registry::new();
        registry.register::<TestKind>();
        let info = &registry.kind("constant").unwrap().info;
        let by_name = |n: &str| info.options.iter().find(|o| o.name == n).unwrap();
        assert_eq!(by_name("value").ty, "number");
        assert!(by_name("value").required);
        assert_eq!(by_name("value").description, "How much to reward.");
        assert_eq!(by_name("mode").ty, "one of \"fast\", \"slow\"");
        assert!(!by_name("mode").required);
        assert_eq!(by_name("words").ty, "list of string");
    }
}

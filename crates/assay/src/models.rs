//! One `reward_model` and one `process_reward` kind for both places a model runs: a
//! configuration with `path` runs the model in this process (`assay-inference`, cargo feature
//! `models`), one with `url` asks a server (`assay-model`, cargo feature `remote`).
//!
//! The options of a kind are the union of both sides' options, documented with the side they
//! belong to; a configuration gets the side's own validation (unknown keys, types) once its
//! side is known.

use std::borrow::Cow;
use std::marker::PhantomData;

use assay_core::{BuildContext, GraderKind, SharedGrader};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// Stands in for the options of a side that this build does not have.
#[derive(Debug, Deserialize)]
pub struct Unavailable(#[allow(dead_code)] Value);

impl JsonSchema for Unavailable {
    fn schema_name() -> Cow<'static, str> {
        "Unavailable".into()
    }
    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        schemars::json_schema!({"type": "object", "properties": {}})
    }
}

/// The options of a kind that runs locally (`path`) or remotely (`url`).
#[derive(Debug)]
pub enum Where<L, R> {
    /// `path` was given: a local model.
    Local(L),
    /// `url` was given: a server.
    Remote(R),
}

impl<'de, L: DeserializeOwned, R: DeserializeOwned> Deserialize<'de> for Where<L, R> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        use serde::de::Error;
        let map = Map::<String, Value>::deserialize(deserializer)?;
        let local = map.contains_key("path");
        let remote = map.contains_key("url");
        match (local, remote) {
            (true, true) => Err(D::Error::custom(
                "set either `path` (run the model here) or `url` (ask a server), not both",
            )),
            (false, false) => Err(D::Error::custom(
                "set `path` to a model directory to run the model here, or `url` to ask a server (vLLM, TEI, OpenRLHF, `assay serve --model`)",
            )),
            (true, false) => serde_json::from_value(Value::Object(map))
                .map(Where::Local)
                .map_err(|e| D::Error::custom(format!("(local model) {e}"))),
            (false, true) => serde_json::from_value(Value::Object(map))
                .map(Where::Remote)
                .map_err(|e| D::Error::custom(format!("(remote model) {e}"))),
        }
    }
}

/// Rewrites `#/$defs/X` references to `#/$defs/{prefix}X` so two schemas' definitions can
/// live side by side.
fn prefix_refs(value: &mut Value, prefix: &str) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get_mut("$ref") {
                if let Some(name) = r.strip_prefix("#/$defs/") {
                    *r = format!("#/$defs/{prefix}{name}");
                }
            }
            map.values_mut().for_each(|v| prefix_refs(v, prefix));
        }
        Value::Array(list) => list.iter_mut().for_each(|v| prefix_refs(v, prefix)),
        _ => {}
    }
}

impl<L: JsonSchema, R: JsonSchema> JsonSchema for Where<L, R> {
    fn schema_name() -> Cow<'static, str> {
        format!("Where_{}_{}", L::schema_name(), R::schema_name()).into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        let mut properties = Map::new();
        let mut defs = Map::new();
        let sides = [
            ("local", schemars::schema_for!(L).to_value()),
            ("remote", schemars::schema_for!(R).to_value()),
        ];
        let mut descriptions: Map<String, Value> = Map::new();
        for (side, mut schema) in sides {
            prefix_refs(&mut schema, &format!("{side}_"));
            if let Some(Value::Object(d)) = schema.get("$defs") {
                for (k, v) in d {
                    defs.insert(format!("{side}_{k}"), v.clone());
                }
            }
            let Some(Value::Object(props)) = schema.get("properties") else {
                continue;
            };
            for (name, prop) in props {
                let text = prop
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or("")
                    .to_string();
                let entry = descriptions
                    .entry(name.clone())
                    .or_insert_with(|| Value::Array(Vec::new()));
                if let Value::Array(list) = entry {
                    list.push(Value::String(format!("({side}) {text}")));
                }
                properties.entry(name.clone()).or_insert(prop.clone());
            }
        }
        for (name, list) in descriptions {
            if let (Some(Value::Object(prop)), Value::Array(list)) =
                (properties.get_mut(&name), list)
            {
                let texts: Vec<String> = list
                    .iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect();
                prop.insert("description".into(), Value::String(texts.join(" ")));
            }
        }
        let mut root = Map::new();
        root.insert("type".into(), "object".into());
        root.insert("properties".into(), Value::Object(properties));
        if !defs.is_empty() {
            root.insert("$defs".into(), Value::Object(defs));
        }
        Schema::try_from(Value::Object(root)).unwrap_or_default()
    }
}

#[cfg(feature = "models")]
type LocalReward = assay_inference::graders::RewardModelOptions;
#[cfg(not(feature = "models"))]
type LocalReward = Unavailable;
#[cfg(feature = "remote")]
type RemoteReward = assay_model::reward::RemoteRewardOptions;
#[cfg(not(feature = "remote"))]
type RemoteReward = Unavailable;

#[cfg(feature = "models")]
type LocalProcess = assay_inference::graders::ProcessRewardOptions;
#[cfg(not(feature = "models"))]
type LocalProcess = Unavailable;
#[cfg(feature = "remote")]
type RemoteProcess = assay_model::process::RemoteProcessOptions;
#[cfg(not(feature = "remote"))]
type RemoteProcess = Unavailable;

#[allow(dead_code)]
fn missing(kind: &str, side: &str, feature: &str) -> String {
    format!("{kind} with `{side}` needs Assay built with the cargo feature `{feature}`, which this build lacks")
}

/// `reward_model`: local with `path`, remote with `url`.
pub struct RewardModelKind(PhantomData<()>);

impl GraderKind for RewardModelKind {
    type Options = Where<LocalReward, RemoteReward>;
    const NAME: &'static str = "reward_model";
    const FAMILY: &'static str = "model";
    const SUMMARY: &'static str = "Scores the prompt and response with a reward model: run here from a model directory (`path`), or asked over HTTP (`url`: vLLM classify/pooling/score/rerank, TEI, OpenRLHF, `assay serve --model`).";
    const REFERENCE: &'static str = "not used";
    const EXAMPLE: &'static str = r#"
[graders.reward_model]
kind = "reward_model"
path = "/models/Skywork-Reward-V2-Qwen3-0.6B"   # a Hugging Face model directory, run here
max_length = 4096
transform = "sigmoid"
# or, on a server:  url = "http://localhost:8000", api = "classify", model = "Skywork-Reward-V2-Qwen3-0.6B"
"#;

    #[allow(unused_variables)]
    fn build(options: Self::Options, ctx: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        match options {
            #[cfg(feature = "models")]
            Where::Local(o) => assay_inference::graders::RewardModelKind::build(o, ctx),
            #[cfg(not(feature = "models"))]
            Where::Local(_) => Err(missing("reward_model", "path", "models")),
            #[cfg(feature = "remote")]
            Where::Remote(o) => assay_model::reward::build_reward(o),
            #[cfg(not(feature = "remote"))]
            Where::Remote(_) => Err(missing("reward_model", "url", "remote")),
        }
    }
}

/// `process_reward`: local with `path`, remote with `url`.
pub struct ProcessRewardKind(PhantomData<()>);

impl GraderKind for ProcessRewardKind {
    type Options = Where<LocalProcess, RemoteProcess>;
    const NAME: &'static str = "process_reward";
    const FAMILY: &'static str = "model";
    const SUMMARY: &'static str = "Scores each step of the response with a process reward model run here (`path`), or over HTTP (`url`: vLLM step-reward pooling, or an LLM judge per step), and aggregates the step rewards.";
    const REFERENCE: &'static str = "not used (a remote step judge may show it)";
    const EXAMPLE: &'static str = r#"
[graders.process_reward]
kind = "process_reward"
path = "/models/Qwen2.5-Math-PRM-7B"
aggregate = "min"                               # the weakest step decides
# or, on a server:  url = "http://localhost:8000", scorer = "pooling" (a PRM behind vLLM) or "judge"
"#;

    #[allow(unused_variables)]
    fn build(options: Self::Options, ctx: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        match options {
            #[cfg(feature = "models")]
            Where::Local(o) => assay_inference::graders::ProcessRewardKind::build(o, ctx),
            #[cfg(not(feature = "models"))]
            Where::Local(_) => Err(missing("process_reward", "path", "models")),
            #[cfg(feature = "remote")]
            Where::Remote(o) => assay_model::process::build_process(o),
            #[cfg(not(feature = "remote"))]
            Where::Remote(_) => Err(missing("process_reward", "url", "remote")),
        }
    }
}

/// Registers the two dispatching kinds (after both sides' own registrations, which they
/// replace).
pub fn register(registry: &mut assay_core::Registry) {
    registry
        .register::<RewardModelKind>()
        .register::<ProcessRewardKind>();
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: Value) -> Result<Where<LocalReward, RemoteReward>, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    #[test]
    fn path_or_url_picks_the_side() {
        let both = parse(json!({"path": "/m", "url": "http://x"})).unwrap_err();
        assert!(both.contains("not both"), "{both}");
        let neither = parse(json!({"transform": "sigmoid"})).unwrap_err();
        assert!(
            neither.contains("`path`") && neither.contains("`url`"),
            "{neither}"
        );
        #[cfg(feature = "models")]
        assert!(matches!(
            parse(json!({"path": "/m", "transform": "sigmoid"})).unwrap(),
            Where::Local(_)
        ));
        #[cfg(feature = "remote")]
        {
            assert!(matches!(
                parse(json!({"url": "http://x", "api": "score"})).unwrap(),
                Where::Remote(_)
            ));
            let wrong = parse(json!({"url": "http://x", "max_length": 5})).unwrap_err();
            assert!(
                wrong.contains("remote") && wrong.contains("max_length"),
                "{wrong}"
            );
        }
    }

    #[test]
    fn both_sides_are_documented() {
        let registry = crate::registry();
        let info = &registry.kind("reward_model").unwrap().info;
        let find = |n: &str| info.options.iter().find(|o| o.name == n);
        #[cfg(feature = "models")]
        assert!(find("path").unwrap().description.contains("(local)"));
        #[cfg(feature = "remote")]
        {
            assert!(find("url").unwrap().description.contains("(remote)"));
            assert!(find("api").is_some());
        }
        let transform = find("transform").unwrap();
        assert!(!transform.ty.is_empty());
    }
}

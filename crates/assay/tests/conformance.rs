//! Every registered grader kind, built from its own documented example, passes the conformance
//! suite of `assay-testkit`: the result contract on hostile and random input, deadlines and
//! cancellation.

use assay::config::Format;
use assay::{Config, Engine, Item};
use assay_testkit::Suite;
use serde_json::json;

/// Items of each kind's own domain, beside the suite's generic ones.
fn samples(kind: &str) -> Vec<Item> {
    match kind {
        "math" => vec![
            Item::new("so \\boxed{\\frac34}", "0.75"),
            Item::new("I do not know", "2"),
        ],
        "code" => vec![
            Item::new(
                "```python\nprint(input()[::-1])\n```",
                json!({"tests": [{"stdin": "abc", "stdout": "cba"}]}),
            ),
            Item::new(
                "```python\ndef add(a, b):\n    return a + b\n```",
                json!({"asserts": ["assert add(1, 2) == 3"]}),
            ),
        ],
        "choice" => vec![Item::new("The answer is (C).", "C")],
        "format" => vec![Item::new("<think>x</think><answer>4</answer>", json!(null))],
        "ifeval" => vec![Item::new(
            "hello world",
            json!({"instruction_id_list": ["change_case:english_lowercase"], "kwargs": [{}]}),
        )],
        "tool_call" => vec![Item::new(
            "<tool_call>{\"name\": \"f\", \"arguments\": {\"x\": 1}}</tool_call>",
            json!([{"name": "f", "arguments": {"x": 1}}]),
        )],
        _ => vec![Item::new("Answer: Paris", "paris")],
    }
}

/// The tiny model fixture standing in for the model directory of a model kind's example.
fn fixture_model(kind: &str) -> Option<String> {
    let dir = match kind {
        "reward_model" => "qwen2-rm",
        "process_reward" => "qwen2-prm",
        "embedding_similarity" => "bert-embed",
        _ => return None,
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    Some(
        root.join("../assay-inference/tests/fixtures/models")
            .join(dir)
            .display()
            .to_string(),
    )
}

#[test]
fn every_registered_kind_conforms() {
    let registry = assay::registry();
    let mut failures = Vec::new();
    for entry in registry.kinds() {
        let kind = entry.info.name;
        let example = entry.info.example;
        assert!(!example.is_empty(), "`{kind}` has no EXAMPLE configuration");
        let mut value = Format::Toml
            .parse(example)
            .unwrap_or_else(|e| panic!("`{kind}`'s example is not TOML: {e}"));
        // Model examples name a user's model directory: use the repository's tiny fixtures.
        if let Some(model) = fixture_model(kind) {
            value["graders"][kind]["path"] = json!(model);
        }
        let config = Config::from_value(&value)
            .unwrap_or_else(|p| panic!("`{kind}`'s example does not load: {p:?}"));
        let engine = Engine::new(&config, &registry, kind)
            .unwrap_or_else(|e| panic!("`{kind}`'s example does not build: {e}"));
        let report = Suite::new(&engine, kind).samples(samples(kind)).run();
        if !report.is_ok() {
            failures.push(format!("{kind}: {report}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

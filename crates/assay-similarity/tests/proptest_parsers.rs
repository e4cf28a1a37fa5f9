//! Property tests of the tool-call reader on untrusted text: `<tool_call>` blocks and OpenAI
//! `tool_calls` JSON, mutated and random. No input panics, and a well-formed call reads back.

use assay_similarity::tool_call::{call_from_value, parse_text};
use assay_testkit::mutate::mutated;
use proptest::prelude::*;
use serde_json::{json, Value};

const SEEDS: &[&str] = &[
    "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\", \"days\": 3}}\n</tool_call>",
    "I will call two tools.<tool_call>{\"name\": \"a\", \"arguments\": {}}</tool_call><tool_call>{\"name\": \"b\", \"parameters\": {\"x\": [1, 2.5, null]}}</tool_call>",
    "{\"tool_calls\": [{\"type\": \"function\", \"function\": {\"name\": \"f\", \"arguments\": \"{\\\"q\\\": 1}\"}}]}",
    "[{\"name\": \"search\", \"arguments\": {\"query\": \"rust\"}}]",
];

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[a-z{}\":, ]{0,16}".prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "name",
                    "arguments",
                    "parameters",
                    "type",
                    "function",
                    "tool_calls",
                    "id"
                ]),
                inner,
                0..4,
            )
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_text_is_read_without_a_panic(
        text in prop_oneof![
            any::<String>(),
            mutated(SEEDS.to_vec(), 8),
            json_value().prop_map(|v| v.to_string()),
            json_value().prop_map(|v| format!("<tool_call>{v}</tool_call>")),
        ],
    ) {
        let parsed = parse_text(&text);
        prop_assert_eq!(parsed.tagged, text.contains("<tool_call>"));
    }

    #[test]
    fn any_value_is_a_call_or_an_error(value in json_value()) {
        if let Err(message) = call_from_value(&value) {
            prop_assert!(!message.is_empty());
        }
    }

    #[test]
    fn a_well_formed_call_reads_back(name in "[a-z_][a-z0-9_]{0,20}", x in any::<i64>(), s in "[^<>]{0,20}") {
        let text = format!("<tool_call>{}</tool_call>", json!({"name": name, "arguments": {"x": x, "s": s}}));
        let parsed = parse_text(&text);
        prop_assert!(parsed.errors.is_empty(), "{:?}", parsed.errors);
        prop_assert_eq!(parsed.calls.len(), 1);
        prop_assert_eq!(&parsed.calls[0].name, &name);
    }
}

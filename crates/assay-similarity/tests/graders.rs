//! `similarity` and `tool_call` through an engine, as users configure them.

use assay_core::{Config, Engine, ErrorKind, GradeResult, Item, Registry, Status};
use serde_json::{json, Value};

fn try_engine(kind: &str, options: &Value) -> Result<Engine, String> {
    let mut table = options.as_object().cloned().unwrap_or_default();
    table.insert("kind".into(), json!(kind));
    let config = Config::from_value(&json!({"graders": {"g": table}})).expect("valid shape");
    let mut registry = Registry::new();
    assay_similarity::register(&mut registry);
    Engine::new(&config, &registry, "test").map_err(|e| e.to_string())
}

fn grade(kind: &str, options: Value, response: &str, reference: Value) -> GradeResult {
    let engine = try_engine(kind, &options).unwrap_or_else(|e| panic!("{e}"));
    engine.score(&[Item::new(response, reference)]).remove(0)
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn every_kind_is_registered_and_documented() {
    let mut registry = Registry::new();
    assay_similarity::register(&mut registry);
    assert_eq!(registry.names(), ["similarity", "tool_call"]);
    for kind in registry.kinds() {
        let info = &kind.info;
        assert_eq!(info.family, "text");
        assert!(info.summary.ends_with('.'), "{}", info.name);
        for option in &info.options {
            assert!(
                !option.description.is_empty(),
                "{}.{}",
                info.name,
                option.name
            );
            assert_ne!(option.ty, "any", "{}.{}", info.name, option.name);
        }
    }
}

#[test]
fn similarity_metrics_table() {
    // (metric, response, reference, reward)
    let cases: Vec<(&str, &str, Value, f64)> = vec![
        (
            "bleu",
            "the cat sat on the mat",
            json!("the cat sat on the mat"),
            1.0,
        ),
        ("bleu", "a b c", json!("x y z"), 0.0),
        (
            "bleu",
            "the cat",
            json!("the cat sat"),
            (1.0f64 - 1.5).exp(),
        ),
        (
            "chrf",
            "hello world",
            json!(["nothing", "hello world"]),
            1.0,
        ),
        ("chrf++", "hello world", json!("hello world"), 1.0),
        (
            "rouge1",
            "the cat on the mat",
            json!("the cat sat on the mat"),
            2.0 * 5.0 / 6.0 / (1.0 + 5.0 / 6.0),
        ),
        ("rougeL", "a c d b", json!("a b c d"), 0.75),
        ("rouge2", "", json!("a b"), 0.0),
        (
            "exact_match",
            "The Eiffel Tower!",
            json!(["eiffel tower", "paris"]),
            1.0,
        ),
        ("f1", "big red cat", json!("the red cat"), 0.8),
        ("edit", "abxd", json!("abcd"), 0.75),
        ("edit", "", json!(""), 1.0),
    ];
    for (metric, response, reference, reward) in cases {
        let r = grade(
            "similarity",
            json!({"metric": metric}),
            response,
            reference.clone(),
        );
        assert_eq!(r.status, Status::Ok, "{metric} {response:?}");
        let got = r.reward.unwrap();
        assert!(
            close(got, reward),
            "{metric} {response:?} {reference}: {got} != {reward}"
        );
        let component = if metric == "chrf++" {
            "chrf_pp"
        } else {
            metric
        };
        assert!(close(r.components[component].unwrap(), reward));
    }
}

#[test]
fn similarity_options_and_explanations() {
    let r = grade(
        "similarity",
        json!({"metric": "bleu", "lowercase": true}),
        "THE CAT",
        json!("the cat"),
    );
    assert!(close(r.reward.unwrap(), 1.0));
    assert!(close(r.explanation["bleu"].as_f64().unwrap(), 100.0));
    let stemmed = grade(
        "similarity",
        json!({"metric": "rouge1", "stemmer": true}),
        "cats running",
        json!("cat runs"),
    );
    assert!(close(stemmed.reward.unwrap(), 1.0));
    let plain = grade(
        "similarity",
        json!({"metric": "rouge1"}),
        "cats running",
        json!("cat runs"),
    );
    assert!(close(plain.reward.unwrap(), 0.0));
    for (options, message) in [
        (json!({}), "missing field `metric`"),
        (json!({"metric": "meteor"}), "unknown variant"),
        (
            json!({"metric": "f1", "stemmer": true}),
            "`stemmer` applies to rouge1",
        ),
        (
            json!({"metric": "rouge1", "lowercase": true}),
            "`lowercase` applies to bleu",
        ),
    ] {
        let err = try_engine("similarity", &options).err().unwrap_or_default();
        assert!(err.contains(message), "{options}: {err}");
    }
}

#[test]
fn similarity_bad_references() {
    for (reference, message) in [
        (json!(null), "no reference"),
        (json!([]), "empty"),
        (json!([1]), "must be a string"),
        (json!({"a": 1}), "expected a reference string"),
    ] {
        let r = grade(
            "similarity",
            json!({"metric": "f1"}),
            "x",
            reference.clone(),
        );
        assert_eq!(r.status, Status::Error, "{reference}");
        let e = r.error.unwrap();
        assert_eq!(e.kind, ErrorKind::BadReference);
        assert!(e.message.contains(message), "{reference}: {}", e.message);
    }
    let r = grade(
        "similarity",
        json!({"metric": "edit", "max_chars": 10}),
        &"x".repeat(11),
        json!("x"),
    );
    assert_eq!(r.error.unwrap().kind, ErrorKind::ResourceLimit);
    let long = "ab".repeat(25_000);
    let r = grade(
        "similarity",
        json!({"metric": "edit"}),
        &long,
        json!(long.clone()),
    );
    let e = r.error.unwrap();
    assert_eq!(e.kind, ErrorKind::ResourceLimit);
    assert!(e.message.contains("table cells"), "{}", e.message);
}

fn hermes(calls: &[Value]) -> String {
    calls
        .iter()
        .map(|c| format!("<tool_call>\n{c}\n</tool_call>"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// ToolRL's reward on hand-computed examples.
#[test]
fn toolrl_hand_computed() {
    let weather = json!({"name": "get_weather", "arguments": {"city": "Paris", "unit": "c"}});
    let gold = json!([weather]);
    // (response, reference, R_format, r_name, R_correct)
    let cases: Vec<(String, Value, f64, f64, f64)> = vec![
        // Exact call: R_max = 1 + (1 + 2) = 4 = S_max → R_correct = 3.
        (
            hermes(std::slice::from_ref(&weather)),
            gold.clone(),
            1.0,
            1.0,
            3.0,
        ),
        // One key of three shared, one value equal: R_max = 1 + 1/3 + 1 = 7/3; S_max = 4.
        (
            hermes(&[json!({"name": "get_weather", "arguments": {"city": "Paris", "days": 3}})]),
            gold.clone(),
            1.0,
            1.0,
            6.0 * (7.0 / 3.0) / 4.0 - 3.0,
        ),
        // Gold [A(x), B()], predicted [B(), C(y)]: r_name = 1/3; B matches with r_param = 1.
        // R_max = 1/3 + 1; S_max = 1 + 2 + 1 = 4 → R_correct = -1.
        (
            hermes(&[
                json!({"name": "B", "arguments": {}}),
                json!({"name": "C", "arguments": {"y": 2}}),
            ]),
            json!([{"name": "A", "arguments": {"x": 1}}, {"name": "B", "arguments": {}}]),
            1.0,
            1.0 / 3.0,
            -1.0,
        ),
        // Malformed JSON: format 0, no call → r_name 0, R_correct = -3.
        (
            "<tool_call>{\"name\": \"get_weather\", \"arguments\": {</tool_call>".into(),
            gold.clone(),
            0.0,
            0.0,
            -3.0,
        ),
        // No call expected, none made: R_correct = 3.
        ("The weather is fine.".into(), json!([]), 1.0, 1.0, 3.0),
        // A call expected, none made: format 0, R_correct = -3.
        ("I think it is sunny.".into(), gold.clone(), 0.0, 0.0, -3.0),
        // OpenAI style with arguments as a JSON string; numbers compare by value.
        (
            json!({"tool_calls": [{"type": "function", "function": {"name": "get_weather",
                "arguments": "{\"city\": \"Paris\", \"unit\": \"c\"}"}}]})
            .to_string(),
            gold.clone(),
            1.0,
            1.0,
            3.0,
        ),
        (
            hermes(&[json!({"name": "f", "arguments": {"n": 1.0}})]),
            json!([{"name": "f", "arguments": "{\"n\": 1}"}]),
            1.0,
            1.0,
            3.0,
        ),
    ];
    for (response, reference, format, name, correct) in cases {
        let r = grade("tool_call", json!({}), &response, reference.clone());
        assert_eq!(r.status, Status::Ok, "{response}");
        assert!(
            close(r.components["format"].unwrap(), format),
            "{response}: {:?}",
            r.explanation
        );
        assert!(close(r.components["name"].unwrap(), name), "{response}");
        assert!(
            close(r.components["correct"].unwrap(), correct),
            "{response}: {:?}",
            r.components
        );
        assert!(close(r.reward.unwrap(), format + correct), "{response}");
    }
    let r = grade(
        "tool_call",
        json!({}),
        "<tool_call>{oops}</tool_call>",
        gold,
    );
    let problems = r.explanation["problems"][0].as_str().unwrap();
    assert!(
        problems.starts_with("malformed JSON in <tool_call>"),
        "{problems}"
    );
}

#[test]
fn exact_mode_order_and_subset() {
    let a = json!({"name": "a", "arguments": {"x": 1}});
    let b = json!({"name": "b", "arguments": {"y": "z"}});
    let gold = json!([a, b]);
    let swapped = hermes(&[b.clone(), a.clone()]);
    let cases = [
        (json!({"reward": "exact"}), swapped.clone(), 1.0),
        (
            json!({"reward": "exact", "ordered": true}),
            swapped.clone(),
            0.0,
        ),
        (
            json!({"reward": "exact", "ordered": true}),
            hermes(&[a.clone(), b.clone()]),
            1.0,
        ),
        (
            json!({"reward": "exact"}),
            hermes(std::slice::from_ref(&a)),
            0.0,
        ),
        (
            json!({"reward": "exact"}),
            hermes(&[
                a.clone(),
                json!({"name": "b", "arguments": {"y": "z", "extra": true}}),
            ]),
            0.0,
        ),
        (
            json!({"reward": "exact", "arguments": "subset"}),
            hermes(&[
                a.clone(),
                json!({"name": "b", "arguments": {"y": "z", "extra": true}}),
            ]),
            1.0,
        ),
        (
            json!({"reward": "exact"}),
            format!("{}\n<tool_call>{{bad</tool_call>", hermes(&[a, b])),
            0.0,
        ),
    ];
    for (options, response, reward) in cases {
        let r = grade("tool_call", options.clone(), &response, gold.clone());
        assert_eq!(r.reward, Some(reward), "{options} {response}");
    }
}

#[test]
fn tool_call_format_options_and_errors() {
    let gold = json!([{"name": "f", "arguments": {}}]);
    let call = hermes(&[json!({"name": "f", "arguments": {}})]);
    let think = format!("<think>plan</think>\n{call}");
    let r = grade(
        "tool_call",
        json!({"require_think": true}),
        &call,
        gold.clone(),
    );
    assert_eq!(r.components["format"], Some(0.0));
    let r = grade(
        "tool_call",
        json!({"require_think": true}),
        &think,
        gold.clone(),
    );
    assert_eq!(r.components["format"], Some(1.0));
    let r = grade(
        "tool_call",
        json!({}),
        "<tool_call>{\"name\": \"f\"}",
        gold.clone(),
    );
    assert_eq!(r.components["format"], Some(0.0));
    for (reference, message) in [
        (json!(null), "no reference"),
        (json!([{"arguments": {}}]), "has no `name`"),
        (json!("just words"), "holds no tool call"),
    ] {
        let r = grade("tool_call", json!({}), &call, reference.clone());
        assert_eq!(r.status, Status::Error, "{reference}");
        assert!(r.error.unwrap().message.contains(message), "{reference}");
    }
    let err = try_engine("tool_call", &json!({"ordered": true}))
        .err()
        .unwrap_or_default();
    assert!(err.contains("apply to reward = \"exact\""), "{err}");
}

#[test]
fn structured_tool_calls_of_a_chat_response_are_read() {
    let engine = try_engine("tool_call", &json!({"reward": "exact"})).unwrap();
    let gold = json!([{"name": "get_weather", "arguments": {"city": "Paris"}}]);
    let chat = |arguments: &str| assay_core::Item {
        response: serde_json::from_value(json!([
            {"role": "user", "content": "Weather in Paris?"},
            {"role": "assistant", "content": null, "tool_calls": [
                {"id": "c1", "type": "function",
                 "function": {"name": "get_weather", "arguments": arguments}}
            ]}
        ]))
        .unwrap(),
        reference: gold.clone(),
        ..assay_core::Item::default()
    };
    let results = engine.score(&[chat(r#"{"city": "Paris"}"#), chat(r#"{"city": "Lyon"}"#)]);
    assert_eq!(results[0].reward, Some(1.0), "{:?}", results[0]);
    assert_eq!(results[1].reward, Some(0.0), "{:?}", results[1]);
}

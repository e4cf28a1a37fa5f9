//! The `ifeval` grader through an engine, as users configure it.

use assay_core::{Config, Engine, ErrorKind, GradeResult, Item, Registry, Status};
use serde_json::{json, Value};

fn engine(options: Value) -> Engine {
    let mut table = options.as_object().cloned().unwrap_or_default();
    table.insert("kind".into(), json!("ifeval"));
    let config = Config::from_value(&json!({"graders": {"g": table}})).expect("valid config");
    let mut registry = Registry::new();
    assay_ifeval::register(&mut registry);
    Engine::new(&config, &registry, "test").unwrap_or_else(|e| panic!("{e}"))
}

fn grade(options: Value, prompt: Option<&str>, response: &str, reference: Value) -> GradeResult {
    let mut item = Item::new(response, reference);
    item.prompt = prompt.map(|p| assay_core::Content::Text(p.into()));
    engine(options).score(&[item]).remove(0)
}

fn sample() -> Vec<Value> {
    include_str!("data/ifeval_sample.jsonl")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn reward_modes_and_components() {
    let record = &sample()[0]; // no_comma, 3 highlights, at least 300 words
    let response = format!("*one* *two* *three* {}", "word ".repeat(300));
    let r = grade(json!({}), None, &response, record.clone());
    assert_eq!(r.status, Status::Ok);
    assert_eq!(r.reward, Some(1.0));
    let short = "*one* *two* *three* too short";
    let r = grade(json!({}), None, short, record.clone());
    assert_eq!(r.reward, Some(0.0));
    assert_eq!(r.components["number_words"], Some(0.0));
    assert_eq!(r.components["no_comma"], Some(1.0));
    assert_eq!(r.components["number_highlighted_sections"], Some(1.0));
    assert_eq!(r.components["json_format"], None);
    assert_eq!(r.components.len(), 112);
    let details: Vec<&str> = r.explanation["instructions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["detail"].as_str().unwrap())
        .collect();
    assert!(
        details.contains(&"number_words: 5, needs at least 300"),
        "{details:?}"
    );
    let r = grade(json!({"reward": "fraction"}), None, short, record.clone());
    assert!((r.reward.unwrap() - 2.0 / 3.0).abs() < 1e-12);
    assert_eq!(r.pred.as_deref(), Some("2/3 followed"));
}

#[test]
fn strict_and_loose() {
    let reference = json!({"instruction_id_list": ["startend:quotation"], "kwargs": [{}]});
    let response = "Sure, here it is:\n\"quoted text\"";
    let strict = grade(json!({}), None, response, reference.clone());
    assert_eq!(strict.reward, Some(0.0));
    let loose = grade(json!({"mode": "loose"}), None, response, reference.clone());
    assert_eq!(loose.reward, Some(1.0));
    assert_eq!(
        loose.explanation["instructions"][0]["variant"],
        json!("first line removed")
    );
    // `*` removal rescues bold first words in loose mode only.
    let reference = json!({"instruction_id_list": ["length_constraints:nth_paragraph_first_word"],
        "kwargs": [{"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "summary"}]});
    let response = "Intro\n\n**Summary** here";
    assert_eq!(
        grade(json!({}), None, response, reference.clone()).reward,
        Some(0.0)
    );
    assert_eq!(
        grade(json!({"mode": "loose"}), None, response, reference).reward,
        Some(1.0)
    );
    // A blank response follows nothing, even vacuous-looking checks.
    let reference = json!({"instruction_id_list": ["punctuation:no_comma"], "kwargs": [{}]});
    for mode in ["strict", "loose"] {
        let r = grade(json!({"mode": mode}), None, "  \n ", reference.clone());
        assert_eq!(r.reward, Some(0.0), "{mode}");
    }
}

#[test]
fn hugging_face_nulls_string_references_and_prompt_fallback() {
    let reference = json!({"instruction_id_list": ["punctuation:no_comma", "combination:repeat_prompt"],
        "kwargs": [{"num_words": null, "relation": null},
                   {"prompt_to_repeat": null, "num_words": null}]});
    let r = grade(
        json!({}),
        Some("Repeat me."),
        "Repeat me. Then answer.",
        reference.clone(),
    );
    assert_eq!(r.status, Status::Ok, "{:?}", r.error);
    assert_eq!(r.reward, Some(1.0));
    let as_string = Value::String(reference.to_string());
    let r = grade(json!({}), Some("Repeat me."), "No.", as_string);
    assert_eq!(r.reward, Some(0.0));
    // The record with a non-letter `letter` counts the given character.
    let record = &sample()[2];
    let r = grade(
        json!({"reward": "fraction"}),
        None,
        "#a #b #c #d fun times",
        record.clone(),
    );
    assert_eq!(r.components["letter_frequency"], Some(1.0));
}

#[test]
fn errors_are_explicit() {
    let cases = [
        (json!(null), "got null"),
        (json!({"kwargs": []}), "no `instruction_id_list`"),
        (
            json!({"instruction_id_list": ["punctuation:no_comma"]}),
            "no `kwargs`",
        ),
        (
            json!({"instruction_id_list": ["a:b"], "kwargs": [{}]}),
            "unknown instruction id",
        ),
        (
            json!({"instruction_id_list": ["punctuation:no_comma"], "kwargs": []}),
            "parallel",
        ),
        (
            json!({"instruction_id_list": ["length_constraints:number_words"], "kwargs": [{}]}),
            "missing kwarg `num_words`",
        ),
    ];
    for (reference, message) in cases {
        let r = grade(json!({}), None, "text", reference.clone());
        assert_eq!(r.status, Status::Error, "{reference}");
        let error = r.error.unwrap();
        assert_eq!(error.kind, ErrorKind::BadReference);
        assert!(
            error.message.contains(message),
            "{reference}: {}",
            error.message
        );
    }
    let r = grade(
        json!({}),
        None,
        "anything",
        json!({"instruction_id_list": [], "kwargs": []}),
    );
    assert_eq!(r.reward, Some(1.0));
}

#[test]
fn options_are_checked() {
    let config =
        Config::from_value(&json!({"graders": {"g": {"kind": "ifeval", "mode": "lenient"}}}))
            .expect("shape");
    let mut registry = Registry::new();
    assay_ifeval::register(&mut registry);
    let Err(err) = Engine::new(&config, &registry, "test") else {
        panic!("expected a configuration error");
    };
    let err = err.to_string();
    assert!(err.contains("lenient"), "{err}");
}

#[test]
fn kind_is_documented() {
    let mut registry = Registry::new();
    assay_ifeval::register(&mut registry);
    assert_eq!(registry.names(), ["ifeval"]);
    let info = &registry.kind("ifeval").unwrap().info;
    assert!(info.summary.ends_with('.'));
    assert_eq!(info.options.len(), 3);
    for option in &info.options {
        assert!(!option.description.is_empty(), "{}", option.name);
        assert_ne!(option.ty, "any", "{}", option.name);
    }
}

/// Every IFBench and training constraint, on hand-written cases labelled by the official
/// checkers (`bench/ifbench/make_cases.py`; strict rule).
#[test]
fn ifbench_and_training_cases_match_the_official_checkers() {
    let mut ids = std::collections::BTreeMap::new();
    for line in include_str!("data/ifbench_cases.jsonl").lines() {
        let case: Value = serde_json::from_str(line).unwrap();
        let reference = json!({"instruction_id_list": [case["id"]], "kwargs": [case["kwargs"]]});
        let r = grade(
            json!({}),
            None,
            case["response"].as_str().unwrap(),
            reference,
        );
        assert_eq!(r.status, Status::Ok, "{case}: {:?}", r.error);
        let want = case["followed"].as_bool().unwrap();
        assert_eq!(
            r.reward,
            Some(f64::from(u8::from(want))),
            "{case}: {}",
            r.explanation["instructions"][0]["detail"]
        );
        ids.entry(case["id"].as_str().unwrap().to_string())
            .or_insert_with(std::collections::BTreeSet::new)
            .insert(want);
    }
    assert_eq!(ids.len(), 58 + 29, "every constraint has cases");
    for (id, outcomes) in ids {
        assert_eq!(
            outcomes.len(),
            2,
            "{id} needs a followed and a not-followed case"
        );
    }
}

#[test]
fn training_references_fraction_reward_and_thinking() {
    // The IF-RLVR data: a Python literal of a one-element list, key `instruction_id`.
    let reference = Value::String(
        "[{'instruction_id': ['first_word:first_word_answer', 'punctuation:punctuation_dot'], \
         'kwargs': [{'first_word': 'hello', 'N': None}, None]}]"
            .into(),
    );
    let response = "<think>Plan. Then more.</think><answer>Hello there friend.</answer>";
    let plain = grade(
        json!({"reward": "fraction"}),
        None,
        response,
        reference.clone(),
    );
    assert_eq!(plain.status, Status::Ok, "{:?}", plain.error);
    assert_eq!(plain.reward, Some(0.0));
    let r = grade(
        json!({"reward": "fraction", "strip_thinking": true}),
        None,
        response,
        reference.clone(),
    );
    assert_eq!(r.reward, Some(0.5));
    assert_eq!(r.components["first_word_answer"], Some(1.0));
    assert_eq!(r.components["punctuation_dot"], Some(0.0));
    let r = grade(
        json!({"strip_thinking": true}),
        None,
        "<think>x</think>Hello there friend",
        reference,
    );
    assert_eq!(r.reward, Some(1.0));
    // The two palindrome constraints keep their full ids as component names.
    let reference = json!({"instruction_id_list": ["keywords:palindrome", "words:palindrome"], "kwargs": [{}, {}]});
    let r = grade(
        json!({"reward": "fraction"}),
        None,
        "a level field",
        reference,
    );
    assert_eq!(r.components["keywords:palindrome"], Some(1.0));
    assert_eq!(r.components["words:palindrome"], Some(0.0));
}

#[test]
fn kwargs_that_would_be_random_or_bad_patterns_are_errors() {
    let cases = [
        (
            json!({"instruction_id_list": ["count:numbers"], "kwargs": [{"N": null}]}),
            "missing kwarg `N`",
        ),
        (
            json!({"instruction_id_list": ["words:keywords_specific_position"], "kwargs": [{"keyword": "a", "n": 0, "m": 1}]}),
            "kwarg `n` is 0",
        ),
        (
            json!({"instruction_id_list": ["keywords:word_once"], "kwargs": [{"keyword": "(unclosed"}]}),
            "not a valid one",
        ),
        (
            json!({"instruction_id_list": ["count:word_count_range"], "kwargs": [{"min_words": -1, "max_words": 3}]}),
            "at least 0",
        ),
        (
            json!({"instruction_id_list": ["keywords:existence"], "kwargs": [{"keywords": ["a".repeat(20_000)]}]}),
            "at most 10000",
        ),
        (
            json!({"instruction_id_list": ["sentence:keyword"], "kwargs": [{"word": "a".repeat(20_000), "N": 1}]}),
            "at most 10000",
        ),
    ];
    for (reference, message) in cases {
        let r = grade(json!({}), None, "text", reference.clone());
        assert_eq!(r.status, Status::Error, "{reference}");
        let error = r.error.unwrap();
        assert_eq!(error.kind, ErrorKind::BadReference);
        assert!(error.message.contains(message), "{}", error.message);
    }
}

//! The model graders through Assay's engine, on the tiny fixture models: rewards equal the
//! model's outputs (checked against transformers by `tests/parity.rs`), options are validated,
//! deadlines and bad inputs become statuses, and one model is loaded once for many graders.

use std::path::Path;

use assay_core::{Config, Engine, ErrorKind, Item, Registry, Status};
use assay_inference::{Input, LoadOptions, RunOptions, SequenceClassifier};
use serde_json::{json, Value};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/models")
        .join(name)
        .display()
        .to_string()
}

fn registry() -> Registry {
    let mut registry = Registry::new();
    assay_inference::register(&mut registry);
    registry
}

fn engine(grader: Value) -> Result<Engine, String> {
    let config =
        Config::from_value(&json!({"graders": {"g": grader}})).map_err(|p| format!("{p:?}"))?;
    Engine::new(&config, &registry(), "test").map_err(|e| e.to_string())
}

fn item(value: Value) -> Item {
    serde_json::from_value(value).unwrap()
}

#[test]
fn reward_model_scores_chats_with_normalisation_and_sigmoid() {
    let path = fixture("qwen2-rm");
    let items = vec![
        item(
            json!({"prompt": "How many clips did Natalia sell altogether in April and May?",
                    "response": "Natalia sold 48 clips in April and 24 in May, 72 in all."}),
        ),
        item(
            json!({"prompt": [{"role": "system", "content": "  Be brief.  "},
                               {"role": "user", "content": "What is the capital of France?"}],
                    "response": [{"role": "assistant", "content": "Paris."}]}),
        ),
    ];
    // The same chats as the parity fixture's first two cases, scored by the model directly.
    let model = SequenceClassifier::load(Path::new(&path), &LoadOptions::default()).unwrap();
    let chats = [
        json!([{"role": "user", "content": "How many clips did Natalia sell altogether in April and May?"},
               {"role": "assistant", "content": "Natalia sold 48 clips in April and 24 in May, 72 in all."}]),
        json!([{"role": "system", "content": "  Be brief.  "}, {"role": "user", "content": "What is the capital of France?"},
               {"role": "assistant", "content": "Paris."}]),
    ];
    let inputs: Vec<Input> = chats
        .iter()
        .map(|c| Input::Chat(c.as_array().unwrap().clone()))
        .collect();
    let expected = model.score(&inputs).unwrap();

    let plain = engine(json!({"kind": "reward_model", "path": path}))
        .unwrap()
        .score(&items);
    let shaped = engine(json!({"kind": "reward_model", "path": path,
                               "normalize": {"mean": 0.5, "std": 2.0}, "transform": "sigmoid"}))
    .unwrap()
    .score(&items);
    for i in 0..2 {
        assert_eq!(plain[i].status, Status::Ok, "{:?}", plain[i].error);
        let raw = f64::from(expected[i][0]);
        assert!((plain[i].reward.unwrap() - raw).abs() < 1e-6);
        assert_eq!(plain[i].components["score"], Some(raw));
        let want = 1.0 / (1.0 + (-(raw - 0.5) / 2.0).exp());
        assert!((shaped[i].reward.unwrap() - want).abs() < 1e-6);
        assert!(plain[i].explanation["truncated"].is_null());
    }
}

#[test]
fn multi_label_heads_choose_a_label_by_name_and_report_all() {
    let path = fixture("qwen3-multilabel");
    let items = vec![item(
        json!({"prompt": "Why is the sky blue?", "response": "Sunlight scatters."}),
    )];
    let by_index = engine(json!({"kind": "reward_model", "path": path, "label": 2}))
        .unwrap()
        .score(&items);
    let by_name = engine(json!({"kind": "reward_model", "path": path, "label": "label_c"}))
        .unwrap()
        .score(&items);
    assert_eq!(by_index[0].reward, by_name[0].reward);
    assert_eq!(by_index[0].components.len(), 3);
    assert_eq!(by_index[0].components["label_c"], by_index[0].reward);
    let err = engine(json!({"kind": "reward_model", "path": path, "label": "nope"})).unwrap_err();
    assert!(err.contains("not one of the model's labels"), "{err}");
}

#[test]
fn cross_encoders_score_prompt_response_pairs() {
    let items = vec![item(
        json!({"prompt": "what is the capital of france?", "response": "The capital of France is Paris."}),
    )];
    let results = engine(json!({"kind": "reward_model", "path": fixture("bert-cross")}))
        .unwrap()
        .score(&items);
    let model =
        SequenceClassifier::load(Path::new(&fixture("bert-cross")), &LoadOptions::default())
            .unwrap();
    let expected = model
        .score(&[Input::Pair(
            "what is the capital of france?".into(),
            "The capital of France is Paris.".into(),
        )])
        .unwrap();
    assert!((results[0].reward.unwrap() - f64::from(expected[0][0])).abs() < 1e-6);
}

#[test]
fn over_long_inputs_are_cut_and_reported_or_refused() {
    let path = fixture("qwen2-rm");
    let long = item(
        json!({"prompt": "Why?", "response": "Because the molecules of the air scatter it. ".repeat(20)}),
    );
    let cut = engine(json!({"kind": "reward_model", "path": path, "max_length": 24}))
        .unwrap()
        .score(std::slice::from_ref(&long));
    assert_eq!(cut[0].status, Status::Ok);
    let t = &cut[0].explanation["truncated"];
    assert_eq!(t["to_tokens"], json!(24));
    assert_eq!(t["side"], json!("left"));
    assert!(t["from_tokens"].as_u64().unwrap() > 24);
    let refused =
        engine(json!({"kind": "reward_model", "path": path, "max_length": 24, "truncate": false}))
            .unwrap()
            .score(&[long]);
    assert_eq!(refused[0].status, Status::Error);
    assert_eq!(
        refused[0].error.as_ref().unwrap().kind,
        ErrorKind::ResourceLimit
    );
}

#[test]
fn a_passed_deadline_is_a_timeout_for_every_item() {
    struct NoGraders;
    impl assay_core::registry::Resolver for NoGraders {
        fn resolve(&mut self, name: &str) -> Result<assay_core::SharedGrader, String> {
            Err(format!("no grader {name}"))
        }
    }
    let registry = registry();
    let mut resolver = NoGraders;
    let mut ctx = assay_core::BuildContext::new("g", &mut resolver);
    let grader = registry
        .kind("reward_model")
        .unwrap()
        .build(json!({"path": fixture("qwen2-rm")}), &mut ctx)
        .unwrap();
    let items: Vec<Item> = (0..3)
        .map(|i| item(json!({"prompt": "q", "response": format!("answer {i}")})))
        .collect();
    let refs: Vec<&Item> = items.iter().collect();
    let expired = assay_core::BatchContext::new(Some(std::time::Duration::ZERO));
    let outcomes = grader.grade_batch(&refs, &expired);
    assert_eq!(outcomes.len(), 3);
    for o in &outcomes {
        assert_eq!(o.status, Status::Timeout, "{o:?}");
        assert_eq!(o.error.as_ref().unwrap().kind, ErrorKind::Timeout);
    }
    let roomy = assay_core::BatchContext::new(Some(std::time::Duration::from_secs(60)));
    assert!(grader
        .grade_batch(&refs, &roomy)
        .iter()
        .all(|o| o.status == Status::Ok));
}

#[test]
fn bad_options_are_configuration_errors() {
    let cases = [
        (json!({"kind": "reward_model"}), "set `path`"),
        (
            json!({"kind": "reward_model", "path": "/no/such/dir"}),
            "not a directory",
        ),
        (
            json!({"kind": "reward_model", "path": fixture("qwen2-rm"), "colour": 1}),
            "unknown field `colour`",
        ),
        (
            json!({"kind": "reward_model", "path": fixture("qwen2-rm"), "normalize": {"std": 0}}),
            "normalize.std",
        ),
        (
            json!({"kind": "reward_model", "path": fixture("bert-embed")}),
            "no classification head",
        ),
        (
            json!({"kind": "reward_model", "path": fixture("qwen2-rm"), "device": "tpu"}),
            "unknown device",
        ),
        (
            json!({"kind": "process_reward", "path": fixture("qwen2-rm"), "step_token": "<nope>"}),
            "not a token",
        ),
        (
            json!({"kind": "embedding_similarity", "path": fixture("qwen2-rm"), "max_length": 0}),
            "max_length",
        ),
    ];
    for (config, expected) in cases {
        let err = engine(config.clone())
            .err()
            .unwrap_or_else(|| panic!("{config} must fail"));
        assert!(err.contains(expected), "{config}: {err}");
    }
}

#[test]
fn process_reward_aggregates_step_rewards_and_ignores_injected_markers() {
    let path = fixture("qwen2-prm");
    let grader =
        json!({"kind": "process_reward", "path": path, "system": "Please reason step by step."});
    let items = vec![
        item(json!({"prompt": "What is 1 + 1?", "response": "1 + 1 = 2.\n\nThe answer is 2."})),
        // The policy writes the marker itself: it is removed, so the steps are the same.
        item(
            json!({"prompt": "What is 1 + 1?", "response": "1 + 1 = 2.<extra_0>\n\n<extra_0>The answer is 2."}),
        ),
        item(json!({"prompt": "What is 1 + 1?", "response": "   \n\n  "})),
    ];
    let results = engine(grader.clone()).unwrap().score(&items);
    assert_eq!(results[0].status, Status::Ok, "{:?}", results[0].error);
    let steps: Vec<f64> = results[0].explanation["step_rewards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(steps.len(), 2);
    // The fixture's expected logits for this chat (from transformers), as probabilities.
    let expected: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(&path).join("expected.json")).unwrap(),
    )
    .unwrap();
    for (k, logits) in expected["cases"][0]["f32"]
        .as_array()
        .unwrap()
        .iter()
        .enumerate()
    {
        let (a, b) = (logits[0].as_f64().unwrap(), logits[1].as_f64().unwrap());
        let p = 1.0 / (1.0 + (a - b).exp());
        assert!((steps[k] - p).abs() < 1e-5, "step {k}: {} vs {p}", steps[k]);
    }
    assert_eq!(results[0].reward, Some(steps[0].min(steps[1])));
    assert_eq!(results[1].reward, results[0].reward);
    assert_eq!(results[2].status, Status::Invalid);
    let mean = engine(
        json!({"kind": "process_reward", "path": path, "system": "Please reason step by step.",
                             "aggregate": "mean"}),
    )
    .unwrap()
    .score(&items[..1]);
    assert!((mean[0].reward.unwrap() - (steps[0] + steps[1]) / 2.0).abs() < 1e-9);
}

#[test]
fn embedding_similarity_takes_the_best_reference() {
    let grader = json!({"kind": "embedding_similarity", "path": fixture("bert-embed")});
    let items = vec![
        item(
            json!({"response": "The quick brown fox jumps over the lazy dog.",
                    "reference": ["1 + 1 = 2", "The quick brown fox jumps over the lazy dog."]}),
        ),
        item(json!({"response": "The quick brown fox", "reference": "1 + 1 = 2"})),
        item(json!({"response": "x", "reference": 5})),
    ];
    let results = engine(grader).unwrap().score(&items);
    assert!(
        (results[0].reward.unwrap() - 1.0).abs() < 1e-5,
        "{:?}",
        results[0]
    );
    assert_eq!(results[0].explanation["best_reference"], json!(1));
    let r = results[1].reward.unwrap();
    assert!(r < 0.999 && r > -1.0, "{r}");
    assert_eq!(results[2].status, Status::Error);
    assert_eq!(
        results[2].error.as_ref().unwrap().kind,
        ErrorKind::BadReference
    );
}

#[test]
fn graders_of_one_model_share_one_copy() {
    let path = fixture("qwen2-rm");
    let options = LoadOptions::default();
    let a =
        assay_inference::shared(Path::new(&path), &options, "", SequenceClassifier::load).unwrap();
    let b =
        assay_inference::shared(Path::new(&path), &options, "", SequenceClassifier::load).unwrap();
    assert!(std::sync::Arc::ptr_eq(&a, &b));
    let _ = RunOptions::default();
}

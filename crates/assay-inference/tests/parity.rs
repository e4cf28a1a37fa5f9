//! Parity with transformers on tiny random models of every supported architecture.
//!
//! The fixtures under `tests/fixtures/models` were made by `tests/fixtures/make_fixtures.sh`
//! (transformers and torch from PyPI; run by hand): each directory is a Hugging Face model
//! directory plus `expected.json` with transformers' token ids, rendered chats and outputs,
//! one input at a time. Here the same inputs run through assay-inference in batches (padded,
//! sorted by length) and must agree:
//!
//! - token ids and rendered chat templates: exactly;
//! - f32 outputs: within 1e-4 (absolute, per value);
//! - bf16 outputs: within [`BF16_TOLERANCE`] of transformers' f32 outputs. bfloat16 keeps 8
//!   bits of mantissa (relative error about 4e-3 per rounding); after two layers on these
//!   random models the differences to f32 are up to about 1.5e-2, as they are between transformers'
//!   own bf16 and f32 outputs (the test checks that transformers' bf16 is within the same
//!   tolerance, so the bound is not looser than the format needs).

use std::path::{Path, PathBuf};

use assay_inference::{
    Embedder, Input, LoadOptions, Precision, ProcessRewardModel, RunOptions, SequenceClassifier,
    Side,
};
use serde_json::{Map, Value};

const F32_TOLERANCE: f32 = 1e-4;
const BF16_TOLERANCE: f32 = 3e-2;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/models")
        .join(name)
}

struct Case {
    input: Input,
    run: RunOptions,
    ids: Vec<u32>,
    type_ids: Option<Vec<u32>>,
    rendered: Option<String>,
    f32: Value,
    bf16: Value,
}

fn cases(name: &str) -> Vec<Case> {
    let text = std::fs::read_to_string(fixture(name).join("expected.json")).unwrap();
    let json: Value = serde_json::from_str(&text).unwrap();
    json["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let spec = &c["input"];
            let input = if let Some(chat) = spec.get("chat") {
                Input::Chat(chat.as_array().unwrap().clone())
            } else if let Some(pair) = spec.get("pair") {
                Input::Pair(
                    pair[0].as_str().unwrap().into(),
                    pair[1].as_str().unwrap().into(),
                )
            } else {
                Input::Text(spec["text"].as_str().unwrap().into())
            };
            let mut run = RunOptions {
                max_length: spec
                    .get("max_length")
                    .and_then(Value::as_u64)
                    .map(|n| n as usize),
                truncation_side: match spec.get("side").and_then(Value::as_str) {
                    Some("left") => Some(Side::Left),
                    Some("right") => Some(Side::Right),
                    _ => None,
                },
                ..RunOptions::default()
            };
            if let Some(tools) = spec.get("tools") {
                let mut kwargs = Map::new();
                kwargs.insert("tools".into(), tools.clone());
                run.template_kwargs = kwargs;
            }
            Case {
                input,
                run,
                ids: c["ids"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_u64().unwrap() as u32)
                    .collect(),
                type_ids: c
                    .get("type_ids")
                    .and_then(Value::as_array)
                    .map(|t| t.iter().map(|v| v.as_u64().unwrap() as u32).collect()),
                rendered: c
                    .get("rendered")
                    .and_then(Value::as_str)
                    .map(str::to_string),
                f32: c["f32"].clone(),
                bf16: c["bf16"].clone(),
            }
        })
        .collect()
}

fn flat(value: &Value) -> Vec<f32> {
    match value {
        Value::Array(items) => items.iter().flat_map(flat).collect(),
        Value::Number(n) => vec![n.as_f64().unwrap() as f32],
        other => panic!("not a number: {other}"),
    }
}

fn max_diff(a: &[f32], b: &[f32]) -> f32 {
    assert_eq!(a.len(), b.len(), "output sizes differ: {a:?} vs {b:?}");
    a.iter()
        .zip(b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

/// Groups the cases by run options (truncation differs per case) and runs each group as one
/// call, so that inputs of different lengths share padded batches.
fn run_grouped<T>(cases: &[Case], mut f: impl FnMut(&[Input], &RunOptions) -> Vec<T>) -> Vec<T> {
    let mut out: Vec<Option<T>> = cases.iter().map(|_| None).collect();
    let key = |c: &Case| {
        format!(
            "{:?}{:?}{:?}",
            c.run.max_length, c.run.truncation_side, c.run.template_kwargs
        )
    };
    let mut keys: Vec<String> = cases.iter().map(key).collect();
    keys.dedup();
    keys.sort();
    keys.dedup();
    for k in keys {
        let members: Vec<usize> = (0..cases.len()).filter(|&i| key(&cases[i]) == k).collect();
        let inputs: Vec<Input> = members.iter().map(|&i| cases[i].input.clone()).collect();
        let results = f(&inputs, &cases[members[0]].run);
        for (i, r) in members.into_iter().zip(results) {
            out[i] = Some(r);
        }
    }
    out.into_iter().map(Option::unwrap).collect()
}

fn check_bf16_bound(case: &Case, label: &str) {
    let hf = max_diff(&flat(&case.bf16), &flat(&case.f32));
    assert!(
        hf <= BF16_TOLERANCE,
        "{label}: transformers' own bf16 differs by {hf}"
    );
}

fn check_classifier(name: &str) {
    let cases = cases(name);
    let dir = fixture(name);
    let f32_model = SequenceClassifier::load(&dir, &LoadOptions::default()).unwrap();
    let bf16_model = SequenceClassifier::load(
        &dir,
        &LoadOptions {
            precision: Precision::Bf16,
            ..LoadOptions::default()
        },
    )
    .unwrap();
    for (i, case) in cases.iter().enumerate() {
        let encoded = f32_model.tokenize(&case.input, &case.run).unwrap();
        assert_eq!(encoded.ids, case.ids, "{name} case {i}: token ids");
        if let Some(type_ids) = &case.type_ids {
            assert_eq!(
                &encoded.type_ids, type_ids,
                "{name} case {i}: token type ids"
            );
        }
        if let (Some(rendered), Input::Chat(messages)) = (&case.rendered, &case.input) {
            let ours = f32_model
                .render_chat(messages, &case.run.template_kwargs)
                .unwrap();
            assert_eq!(&ours, rendered, "{name} case {i}: rendered chat");
        }
    }
    let f32_out = run_grouped(&cases, |inputs, run| f32_model.score_each(inputs, run));
    let bf16_out = run_grouped(&cases, |inputs, run| bf16_model.score_each(inputs, run));
    let mut worst_bf16 = 0.0f32;
    let mut worst_f32 = 0.0f32;
    for (i, case) in cases.iter().enumerate() {
        let ours = f32_out[i].as_ref().unwrap();
        let d = max_diff(&ours.values, &flat(&case.f32));
        assert!(
            d <= F32_TOLERANCE,
            "{name} case {i}: f32 differs by {d}: {:?} vs {}",
            ours.values,
            case.f32
        );
        worst_f32 = worst_f32.max(d);
        assert_eq!(ours.tokens, case.ids.len());
        let d16 = max_diff(&bf16_out[i].as_ref().unwrap().values, &flat(&case.f32));
        worst_bf16 = worst_bf16.max(d16);
        assert!(
            d16 <= BF16_TOLERANCE,
            "{name} case {i}: bf16 differs by {d16}"
        );
        check_bf16_bound(case, name);
    }
    eprintln!(
        "{name}: {} cases, worst f32 difference {worst_f32:.2e}, worst bf16 difference {worst_bf16:.4}",
        cases.len()
    );
}

#[test]
fn qwen2_reward_model_matches_transformers() {
    check_classifier("qwen2-rm");
}

#[test]
fn qwen3_multi_label_classifier_matches_transformers() {
    check_classifier("qwen3-multilabel");
    let model =
        SequenceClassifier::load(&fixture("qwen3-multilabel"), &LoadOptions::default()).unwrap();
    assert_eq!(model.labels(), ["label_a", "label_b", "label_c"]);
    assert_eq!(
        model.activation(),
        assay_inference::OutputActivation::Sigmoid
    );
}

#[test]
fn llama_reward_model_with_llama3_rope_matches_transformers() {
    check_classifier("llama-rm");
}

#[test]
fn bert_cross_encoder_matches_transformers() {
    check_classifier("bert-cross");
}

#[test]
fn roberta_cross_encoder_matches_transformers() {
    check_classifier("roberta-cross");
}

#[test]
fn truncation_is_reported() {
    let model = SequenceClassifier::load(&fixture("qwen2-rm"), &LoadOptions::default()).unwrap();
    let long = Input::Text("Step one: add the numbers. ".repeat(20));
    let run = RunOptions {
        max_length: Some(16),
        truncation_side: Some(Side::Left),
        ..RunOptions::default()
    };
    let scored = model.score_each(&[long.clone(), Input::Text("short".into())], &run);
    let cut = scored[0].as_ref().unwrap().truncated.expect("reported");
    assert_eq!(cut.kept_tokens, 16);
    assert!(cut.original_tokens > 16);
    assert_eq!(cut.side, Side::Left);
    assert!(scored[1].as_ref().unwrap().truncated.is_none());
    let refuse = RunOptions {
        no_truncation: true,
        ..run
    };
    let err = model.score_each(&[long], &refuse).remove(0).unwrap_err();
    assert!(
        err.to_string().contains("longer than max_length 16"),
        "{err}"
    );
}

#[test]
fn process_reward_model_matches_transformers() {
    let name = "qwen2-prm";
    let cases = cases(name);
    let model = ProcessRewardModel::load(
        &fixture(name),
        assay_inference::DEFAULT_STEP_TOKEN,
        &LoadOptions::default(),
    )
    .unwrap();
    let inputs: Vec<Input> = cases.iter().map(|c| c.input.clone()).collect();
    let results = model.score_each(&inputs, &RunOptions::default());
    for (i, case) in cases.iter().enumerate() {
        assert_eq!(
            model.tokenize(&case.input, &case.run).unwrap().ids,
            case.ids
        );
        let ours = results[i].as_ref().unwrap();
        let expected = case.f32.as_array().unwrap();
        assert_eq!(ours.logits.len(), expected.len(), "one row per step");
        let d = max_diff(&ours.logits.concat(), &flat(&case.f32));
        assert!(d <= F32_TOLERANCE, "{name} case {i}: differs by {d}");
        check_bf16_bound(case, name);
    }
    // An input without a step marker is an error of that input alone.
    let results = model.score_each(
        &[Input::Text("no steps here".into()), inputs[0].clone()],
        &RunOptions::default(),
    );
    assert!(results[0]
        .as_ref()
        .unwrap_err()
        .to_string()
        .contains("no step marker"));
    assert!(results[1].is_ok());
}

#[test]
fn bert_embeddings_match_transformers_and_ignore_fixed_padding() {
    let name = "bert-embed";
    let cases = cases(name);
    let model = Embedder::load(&fixture(name), &LoadOptions::default()).unwrap();
    // sentence_bert_config.json's max_seq_length, not the tokenizer's fixed padding (48).
    assert_eq!(model.max_length(), 32);
    let inputs: Vec<Input> = cases.iter().map(|c| c.input.clone()).collect();
    let results = model.embed_each(&inputs, &RunOptions::default());
    for (i, case) in cases.iter().enumerate() {
        assert_eq!(
            model.tokenize(&case.input, &case.run).unwrap().ids,
            case.ids,
            "case {i}"
        );
        let d = max_diff(&results[i].as_ref().unwrap().values, &flat(&case.f32));
        assert!(d <= F32_TOLERANCE, "{name} case {i}: differs by {d}");
        check_bf16_bound(case, name);
    }
    let bf16 = Embedder::load(
        &fixture(name),
        &LoadOptions {
            precision: Precision::Bf16,
            ..LoadOptions::default()
        },
    )
    .unwrap();
    let results = bf16.embed_each(&inputs, &RunOptions::default());
    for (i, case) in cases.iter().enumerate() {
        let d = max_diff(&results[i].as_ref().unwrap().values, &flat(&case.f32));
        assert!(d <= BF16_TOLERANCE, "{name} bf16 case {i}: differs by {d}");
    }
}

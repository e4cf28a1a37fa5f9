//! Scores a corpus with every similarity metric, for the comparison with the Python reference
//! packages (`tests/compare_reference.sh`).
//!
//! Input (stdin), one JSON object per line: `{"hyp": "...", "refs": ["...", ...]}`, or
//! `{"stem": ["word", ...]}` for Porter stems. Output (stdout), one JSON object per input line
//! with the scores (sacreBLEU's 0–100 for BLEU/chrF, 0–1 for the rest), then one line
//! `{"corpus_bleu": …, "corpus_chrf": …, "corpus_chrfpp": …}` over every `hyp` line.

use std::io::{self, BufRead, Write};

use assay_similarity::rouge::{score_multi, RougeType};
use assay_similarity::{bleu, chrf, edit, porter, squad};
use serde_json::{json, Value};

fn main() {
    let stdin = io::stdin();
    let mut out = io::BufWriter::new(io::stdout());
    let mut hyps: Vec<String> = Vec::new();
    let mut all_refs: Vec<Vec<String>> = Vec::new();
    for line in stdin.lock().lines() {
        let line = line.expect("read stdin");
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(&line).expect("JSON line");
        if let Some(words) = v.get("stem").and_then(Value::as_array) {
            let stems: Vec<String> = words
                .iter()
                .map(|w| porter::stem(w.as_str().expect("word")))
                .collect();
            writeln!(out, "{}", json!({ "stems": stems })).expect("write");
            continue;
        }
        let hyp = v["hyp"].as_str().expect("hyp").to_string();
        let refs: Vec<String> = v["refs"]
            .as_array()
            .expect("refs")
            .iter()
            .map(|r| r.as_str().expect("ref").to_string())
            .collect();
        let r: Vec<&str> = refs.iter().map(String::as_str).collect();
        let rouge = |kind, stem| score_multi(&r, &hyp, kind, stem).fmeasure;
        let best =
            |f: &dyn Fn(&str) -> f64| r.iter().map(|x| f(x)).fold(f64::NEG_INFINITY, f64::max);
        let result = json!({
            "bleu": bleu::sentence_bleu(&hyp, &r, false).score,
            "bleu_lc": bleu::sentence_bleu(&hyp, &r, true).score,
            "chrf": chrf::sentence_chrf(&hyp, &r, 0),
            "chrfpp": chrf::sentence_chrf(&hyp, &r, 2),
            "rouge1": rouge(RougeType::N(1), false),
            "rouge2": rouge(RougeType::N(2), false),
            "rougeL": rouge(RougeType::L, false),
            "rouge1_stem": rouge(RougeType::N(1), true),
            "rouge2_stem": rouge(RougeType::N(2), true),
            "rougeL_stem": rouge(RougeType::L, true),
            "exact_match": best(&|g| squad::exact_match(&hyp, g)),
            "f1": best(&|g| squad::f1(&hyp, g)),
            "edit": best(&|g| 1.0 - edit::normalized(&hyp, g)),
        });
        writeln!(out, "{result}").expect("write");
        hyps.push(hyp);
        all_refs.push(refs);
    }
    let h: Vec<&str> = hyps.iter().map(String::as_str).collect();
    let r: Vec<Vec<&str>> = all_refs
        .iter()
        .map(|refs| refs.iter().map(String::as_str).collect())
        .collect();
    let corpus = json!({
        "corpus_bleu": bleu::corpus_bleu(&h, &r, false).score,
        "corpus_chrf": chrf::corpus_chrf(&h, &r, 0),
        "corpus_chrfpp": chrf::corpus_chrf(&h, &r, 2),
    });
    writeln!(out, "{corpus}").expect("write");
}

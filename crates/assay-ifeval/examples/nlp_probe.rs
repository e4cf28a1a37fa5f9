//! Prints what the NLTK ports in this crate make of texts, for differential tests against NLTK
//! (`tools/probe_nltk.py`).
//!
//! Input (stdin), one JSON string a line; output, one JSON object a line:
//! `{"words": [...], "sentences": [...], "pos0": "VB"}`.

use std::io::{self, BufRead, Write};

use assay_ifeval::{postag, sentences, treebank};
use serde_json::{json, Value};

fn main() {
    let mut out = io::BufWriter::new(io::stdout());
    for line in io::stdin().lock().lines() {
        let line = line.expect("read stdin");
        let Ok(Value::String(text)) = serde_json::from_str::<Value>(&line) else {
            continue;
        };
        let words = treebank::word_tokenize(&text);
        let sents = sentences::sentence_strings(&text);
        let pos0 = postag::first_tag(&words);
        writeln!(
            out,
            "{}",
            json!({"words": words, "sentences": sents, "pos0": pos0})
        )
        .expect("write");
    }
}

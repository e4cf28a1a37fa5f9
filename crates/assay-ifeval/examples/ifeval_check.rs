//! Checks single instructions, for the comparison with IFEval's official checker
//! (`tests/compare_official.sh`).
//!
//! Input (stdin), one JSON object per line: `{"id": "...", "kwargs": {...}, "response": "..."}`.
//! Output (stdout), one line per input: `{"followed": true|false, "loose": true|false}` (IFEval's
//! strict and loose rules: a blank response or variant follows nothing) or `{"error": "..."}`.

use std::io::{self, BufRead, Write};

use assay_ifeval::instructions::Instruction;
use assay_ifeval::loose_variants;
use assay_ifeval::pytext::strip;
use serde_json::{json, Map, Value};

fn main() {
    let mut out = io::BufWriter::new(io::stdout());
    for line in io::stdin().lock().lines() {
        let line = line.expect("read stdin");
        if line.trim().is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(&line).expect("JSON line");
        let id = v["id"].as_str().expect("id");
        let kwargs = v["kwargs"].as_object().cloned().unwrap_or_else(Map::new);
        let response = v["response"].as_str().expect("response");
        let result = match Instruction::parse(id, &kwargs, None) {
            Ok(instruction) => {
                let passes =
                    |text: &str| !strip(text).is_empty() && instruction.check(text).followed;
                let loose = loose_variants(response).iter().any(|v| passes(v));
                json!({ "followed": passes(response), "loose": loose })
            }
            Err(e) => json!({ "error": e }),
        };
        writeln!(out, "{result}").expect("write");
    }
}

//! Agreement with Math-Verify's own published test cases, each run under its own options.
//!
//! The cases are carried over as data in `corpus/mathverify_cases.jsonl` (Apache-2.0, notice
//! in `corpus/mathverify_cases.NOTICE`). Each case's Math-Verify options map to Assay's:
//! the gold goes through the same extraction as the prediction (`extract_reference`);
//! `precision = p` (Math-Verify rounds floats to p decimals) becomes `decimal_tolerance =
//! 10^-p` and `numeric_precision = "reference"`; tests that extract plain expressions only
//! (`match_types = ["expr"]`, its number-format tests) run with `decimal_comma`, and tests that
//! extract LaTeX only (`["latex"]`) run without the last-number fallback. Math-Verify's
//! `strict = false` and `allow_set_relation_comp = false` have no Assay counterpart.
//!
//! Every case where Assay's verdict differs from the published one is listed, with the
//! reason, in `corpus/mathverify_disagreements.tsv`; the test fails when that list changes
//! either way, and when agreement falls below 97%.

use assay_math::{verify, NumericPrecision, Options, Status, Steps};
use serde_json::Value;
use std::collections::BTreeMap;

fn options(case: &Value) -> Options {
    let precision = case["precision"].as_i64().unwrap_or(6) as i32;
    let expr_only = case["match_types"] == serde_json::json!(["expr"]);
    let latex_only = case["match_types"] == serde_json::json!(["latex"]);
    let mut o = Options {
        extract_reference: true,
        decimal_tolerance: Some(10f64.powi(-precision)),
        numeric_precision: NumericPrecision::Reference,
        decimal_comma: expr_only,
        ..Options::default()
    };
    // LaTeX extraction only: no plain numbers from prose.
    o.extract.number_fallback = !latex_only;
    o
}

#[test]
fn agreement_with_math_verify_cases() {
    let reviewed: BTreeMap<String, String> = include_str!("corpus/mathverify_disagreements.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let (id, why) = l.split_once('\t').expect("id<TAB>reason");
            (id.to_string(), why.to_string())
        })
        .collect();
    let mut total = 0;
    let mut disagree = Vec::new();
    for line in include_str!("corpus/mathverify_cases.jsonl").lines() {
        let case: Value = serde_json::from_str(line).expect("a JSON case");
        let (gold, pred) = (
            case["gold"].as_str().unwrap(),
            case["pred"].as_str().unwrap(),
        );
        let expected = case["expected"].as_bool().unwrap();
        let v = verify(gold, pred, &options(&case), &mut Steps::default());
        total += 1;
        if (v.status == Status::Equal) != expected {
            let id = case["id"].as_str().unwrap().to_string();
            disagree.push((id, format!("want {expected}, got {v}")));
        }
    }
    let agreement = 1.0 - disagree.len() as f64 / total as f64;
    let unreviewed: Vec<String> = disagree
        .iter()
        .filter(|(id, _)| !reviewed.contains_key(id))
        .map(|(id, why)| format!("{id}: {why}"))
        .collect();
    let fixed: Vec<&String> = reviewed
        .keys()
        .filter(|id| !disagree.iter().any(|(d, _)| d == *id))
        .collect();
    eprintln!(
        "agreement with Math-Verify's cases: {}/{} = {:.1}%",
        total - disagree.len(),
        total,
        100.0 * agreement
    );
    assert!(
        unreviewed.is_empty() && fixed.is_empty(),
        "new disagreements:\n{}\nreviewed disagreements that now agree (remove them): {fixed:?}",
        unreviewed.join("\n")
    );
    assert!(agreement >= 0.97, "agreement {agreement:.3} below 97%");
}

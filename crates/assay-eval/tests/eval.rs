//! Evaluations end to end through the library: real graders as scorers, score files merged
//! into data, and the fixtures' numbers recomputed independently.

use std::path::Path;

use assay_eval::data::{read_rows, Row};
use assay_eval::{evaluate, merge_scores, EngineScorer, EvalOptions, Kind, Scores};
use serde_json::{json, Value};

fn rows(values: Vec<Value>) -> Vec<Row> {
    values
        .into_iter()
        .map(|v| v.as_object().unwrap().clone())
        .collect()
}

fn fixture(name: &str) -> Vec<Row> {
    read_rows(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

fn headline(report: &assay_eval::Report, name: &str) -> f64 {
    report
        .headline
        .iter()
        .find(|m| m.name == name)
        .and_then(|m| m.value)
        .unwrap_or_else(|| panic!("no {name} in {:?}", report.headline))
}

#[test]
fn a_verifier_grades_rewardbench_pairs_through_the_engine() {
    // The math grader as the "reward model": a correct chosen answer scores 1, a wrong
    // rejected one 0; the third pair has two wrong answers (a tie: wrong).
    let data = rows(vec![
        json!({"id": 1, "subset": "math-prm", "prompt": "1+1?", "reference": "2",
               "chosen": "\\boxed{2}", "rejected": "\\boxed{3}"}),
        json!({"id": 2, "subset": "math-prm", "prompt": "half?", "reference": "1/2",
               "chosen": "it is 0.5", "rejected": "\\boxed{2}"}),
        json!({"id": 3, "subset": "hep-go", "prompt": "x", "reference": "7",
               "chosen": "\\boxed{8}", "rejected": "\\boxed{9}"}),
    ]);
    let engine = assay::engine_for_kind("math", json!({})).unwrap();
    let scorer = EngineScorer::new(&engine, Some("math"));
    let opts = EvalOptions {
        probe_prompts: 3,
        ..EvalOptions::default()
    };
    let report = evaluate(
        Kind::RewardBench,
        &data,
        Scores::Scorer(&scorer),
        &opts,
        &|_| {},
    )
    .unwrap();
    // Reasoning: math-prm 2/2 (weight 984), hep-go 0/1 (weight 164) → 984/1148; one section.
    assert!((headline(&report, "Reasoning") - 984.0 / 1148.0).abs() < 1e-12);
    assert!((headline(&report, "Overall") - 984.0 / 1148.0).abs() < 1e-12);
    assert_eq!(report.disagreements.len(), 1);
    assert_eq!(
        report.disagreements[0].note,
        "tie: equal scores count as wrong"
    );
    let probe = report.probe.unwrap();
    assert_eq!(probe.prompts, 3);
    assert_eq!(probe.rewarded, 0);
}

#[test]
fn judgebench_pairs_scored_by_a_grader_count_both_orders_alike() {
    let data = rows(vec![
        json!({"pair_id": "a", "source": "livebench-math", "question": "2+2?", "reference": "4",
               "response_A": "\\boxed{4}", "response_B": "\\boxed{5}", "label": "A>B"}),
        json!({"pair_id": "b", "source": "livebench-math", "question": "2+3?", "reference": "5",
               "response_A": "\\boxed{6}", "response_B": "\\boxed{7}", "label": "B>A"}),
    ]);
    let engine = assay::engine_for_kind("math", json!({})).unwrap();
    let scorer = EngineScorer::new(&engine, None);
    let opts = EvalOptions {
        probe_prompts: 0,
        ..EvalOptions::default()
    };
    let report = evaluate(
        Kind::JudgeBench,
        &data,
        Scores::Scorer(&scorer),
        &opts,
        &|_| {},
    )
    .unwrap();
    // Pair a right; pair b: both wrong, equal scores → a tie in both orders → not right.
    assert_eq!(headline(&report, "Overall"), 0.5);
    assert_eq!(headline(&report, "Math"), 0.5);
    assert!(report.probe.is_none());
}

#[test]
fn score_files_merge_by_id_or_position() {
    let mut data = rows(vec![
        json!({"id": "x", "prompt": "p", "response": "r1", "label": true}),
        json!({"id": "y", "prompt": "p", "response": "r2", "label": false}),
    ]);
    let scores = rows(vec![
        json!({"id": "y", "score": 0.9}),
        json!({"id": "x", "score": 0.8}),
    ]);
    assert_eq!(merge_scores(&mut data, scores).unwrap(), 2);
    assert_eq!(data[0]["score"], json!(0.8));
    let report = evaluate(
        Kind::Pointwise,
        &data,
        Scores::InRows,
        &EvalOptions::default(),
        &|_| {},
    )
    .unwrap();
    let c = report.confusion.unwrap().matrix;
    assert_eq!((c.tp, c.fp, c.tn, c.fn_), (1, 1, 0, 0));
    // Without ids: by position, and only when the counts agree.
    let mut unkeyed = rows(vec![json!({"response": "a"}), json!({"response": "b"})]);
    assert!(merge_scores(&mut unkeyed, rows(vec![json!({"score": 1})])).is_err());
    assert_eq!(
        merge_scores(
            &mut unkeyed,
            rows(vec![json!({"score": 1}), json!({"score": 0})])
        )
        .unwrap(),
        2
    );
    assert_eq!(unkeyed[1]["score"], json!(0));
}

#[test]
fn rewardbench2_fixture_matches_an_independent_count() {
    let data = fixture("rewardbench2.jsonl");
    let report = evaluate(
        Kind::RewardBench2,
        &data,
        Scores::InRows,
        &EvalOptions::default(),
        &|_| {},
    )
    .unwrap();
    // Recount the best-of-4 subsets directly: chosen is scores[0], credit 1/k for k-way ties.
    let mut sums: std::collections::BTreeMap<String, (f64, f64)> = Default::default();
    for r in &data {
        let subset = r["subset"].as_str().unwrap().to_string();
        if subset == "Ties" {
            continue;
        }
        let s: Vec<f64> = r["scores"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect();
        let max = s.iter().cloned().fold(f64::MIN, f64::max);
        let credit = if s[0] == max {
            1.0 / s.iter().filter(|&&x| x == max).count() as f64
        } else {
            0.0
        };
        let e = sums.entry(subset).or_default();
        e.0 += credit;
        e.1 += 1.0;
    }
    for (subset, (credit, n)) in &sums {
        assert!(
            (headline(&report, subset) - credit / n).abs() < 1e-12,
            "{subset}"
        );
    }
    let ties = headline(&report, "Ties");
    assert!(ties > 0.0 && ties <= 1.01);
    let mean = (sums.values().map(|(c, n)| c / n).sum::<f64>() + ties) / (sums.len() + 1) as f64;
    assert!((headline(&report, "Overall") - mean).abs() < 1e-12);
}

#[test]
fn processbench_step_scores_sweep_and_threshold() {
    let data = rows(vec![
        json!({"id": "gsm8k-0", "steps": ["a", "b", "c"], "label": 1, "step_scores": [0.9, 0.2, 0.1]}),
        json!({"id": "gsm8k-1", "steps": ["a", "b"], "label": -1, "step_scores": [0.9, 0.6]}),
        json!({"id": "math-0", "steps": ["a", "b"], "label": -1, "step_scores": [0.8, 0.4]}),
        json!({"id": "math-1", "steps": ["a"], "label": 0, "prediction": 0}),
    ]);
    let report = evaluate(
        Kind::ProcessBench,
        &data,
        Scores::InRows,
        &EvalOptions::default(),
        &|_| {},
    )
    .unwrap();
    // Threshold 0.5: gsm8k both right (F1 1); math: error right (1), correct wrong (0) → F1 0.
    assert_eq!(headline(&report, "gsm8k F1"), 1.0);
    assert_eq!(headline(&report, "math F1"), 0.0);
    assert_eq!(headline(&report, "Average F1"), 0.5);
    let sweep = report.sweep.unwrap();
    // A threshold at or below 0.4 keeps math-0 correct: average F1 1.
    assert_eq!(sweep.best.1, 1.0);
    assert!(sweep.best.0 <= 0.4 + 1e-9 && sweep.best.0 > 0.2);
}

//! End-to-end tests of `assay select` and `assay eval`.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

fn assay() -> Command {
    Command::new(env!("CARGO_BIN_EXE_assay"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assay-eval/tests/fixtures")
}

fn run_with_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = assay()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("assay runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn lines(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each output line is JSON"))
        .collect()
}

#[test]
fn select_votes_per_group_with_a_summary() {
    let input = [
        json!({"group": "q1", "id": "a", "response": "so \\boxed{\\frac12}", "label": true}),
        json!({"group": "q2", "id": "d", "response": "\\boxed{x+1}", "label": true}),
        json!({"group": "q1", "id": "b", "response": "the answer is 0.5", "label": true}),
        json!({"group": "q1", "id": "c", "response": "\\boxed{2}", "label": false}),
        json!({"group": "q2", "id": "e", "response": "I have no idea how to solve this.", "label": false}),
    ]
    .iter()
    .map(Value::to_string)
    .collect::<Vec<_>>()
    .join("\n");
    let out = run_with_stdin(&["select", "-i", "-"], &input);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows = lines(&out);
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["group"], "q1");
    assert_eq!(rows[0]["chosen_id"], "a");
    assert_eq!(rows[0]["clusters"][0]["size"], 2);
    assert_eq!(rows[1]["abstained"][0]["reason"], "no_answer");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("accuracy") && stderr.contains("100.0% (2/2)"),
        "{stderr}"
    );
    assert!(stderr.contains("maj"), "{stderr}");
}

#[test]
fn select_scores_with_a_grader_and_rejects_bad_options() {
    let input = [
        json!({"group": "g", "response": "\\boxed{3}", "reference": "3"}),
        json!({"group": "g", "response": "\\boxed{4}", "reference": "3"}),
        json!({"group": "g", "response": "\\boxed{4}", "reference": "3"}),
    ]
    .iter()
    .map(Value::to_string)
    .collect::<Vec<_>>()
    .join("\n");
    let out = run_with_stdin(
        &["select", "--grader", "math", "-m", "best-of-n", "-q"],
        &input,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(lines(&out)[0]["chosen"], 0);
    let majority = run_with_stdin(&["select", "-q"], &input);
    assert_eq!(lines(&majority)[0]["answer"], "4");
    let bad = run_with_stdin(&["select", "-m", "vote"], &input);
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("unknown --method"));
}

#[test]
fn eval_judgebench_scores_file_writes_json_and_html() {
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("r.json");
    let html_path = dir.path().join("r.html");
    let out = assay()
        .args(["eval", "--scores"])
        .arg(fixtures().join("judgebench.jsonl"))
        .arg("--json")
        .arg(&json_path)
        .arg("--html")
        .arg(&html_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    assert_eq!(report["benchmark"], "judgebench");
    assert_eq!(report["examples"], 120);
    // The overall accuracy recomputed here from the fixture with JudgeBench's rule.
    let text = std::fs::read_to_string(fixtures().join("judgebench.jsonl")).unwrap();
    let mut right = 0;
    let mut n = 0;
    for line in text.lines() {
        let row: Value = serde_json::from_str(line).unwrap();
        let label = row["label"].as_str().unwrap();
        let flip = |d: &str| if d == "A>B" { "B>A" } else { "A>B" };
        let d1 = row["judgments"][0]["decision"].as_str().unwrap();
        let d2 = flip(row["judgments"][1]["decision"].as_str().unwrap());
        let score: i32 = [d1, d2]
            .iter()
            .map(|d| if *d == label { 1 } else { -1 })
            .sum();
        right += i32::from(score > 0);
        n += 1;
    }
    let overall = report["headline"][0]["value"].as_f64().unwrap();
    assert!((overall - f64::from(right) / f64::from(n)).abs() < 1e-12);
    let sha = report["protocol"]["scores"]["sha256"].as_str().unwrap();
    assert_eq!(sha.len(), 64);
    let html = std::fs::read_to_string(&html_path).unwrap();
    assert!(html.contains("<svg class=\"plot\"") && html.contains("Knowledge"));
}

#[test]
fn eval_with_a_grader_records_the_protocol_and_runs_the_probe() {
    let dir = tempfile::tempdir().unwrap();
    let json_path = dir.path().join("r.json");
    let config = dir.path().join("graders.toml");
    std::fs::write(&config, "[graders.answer]\nkind = \"math\"\n").unwrap();
    let template = dir.path().join("template.txt");
    std::fs::write(&template, "{prompt}").unwrap();
    let out = assay()
        .args(["eval", "--data"])
        .arg(fixtures().join("pointwise.jsonl"))
        .arg("--config")
        .arg(&config)
        .args(["--use", "answer", "--max-length", "2000", "--template"])
        .arg(&template)
        .arg("--json")
        .arg(&json_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(&json_path).unwrap()).unwrap();
    let p = &report["protocol"];
    assert_eq!(p["grader"]["name"], "answer");
    assert_eq!(p["grader"]["config"]["graders"]["answer"]["kind"], "math");
    assert_eq!(p["max_length"], 2000);
    assert_eq!(p["template"]["sha256"].as_str().unwrap().len(), 64);
    assert_eq!(p["data"][0]["rows"], 60);
    // The fixture's last five rows are mislabelled on purpose: five disagreements.
    assert_eq!(report["disagreements"].as_array().unwrap().len(), 5);
    let probe = &report["probe"];
    assert_eq!(probe["sent"], 20 * assay_eval::MASTER_KEYS.len());
    assert_eq!(probe["rewarded"], 0, "the math grader pays no master key");
    // An unknown grader name is a usage error.
    let bad = assay()
        .args(["eval", "--data"])
        .arg(fixtures().join("pointwise.jsonl"))
        .arg("--config")
        .arg(&config)
        .args(["--use", "nope"])
        .output()
        .unwrap();
    assert_eq!(
        bad.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

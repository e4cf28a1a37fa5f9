//! Table-driven tests: every row of the corpora in `tests/corpus/` must hold.
//!
//! All failures of a table are collected and reported together, so one run shows every
//! regression.

use assay_math::{check_answer, extract, verify, ExtractOptions, Options, Status, Steps};
use std::time::{Duration, Instant};

/// Rows of a tab-separated table, skipping blank lines and `#` comments.
fn rows(table: &str, columns: usize) -> Vec<(usize, Vec<String>)> {
    table
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.starts_with('#') && !l.trim().is_empty())
        .map(|(i, l)| {
            let cols: Vec<String> = l.splitn(columns, '\t').map(str::to_string).collect();
            assert_eq!(
                cols.len(),
                columns,
                "line {}: expected {columns} columns",
                i + 1
            );
            (i + 1, cols)
        })
        .collect()
}

fn expected_status(s: &str) -> Status {
    match s {
        "=" => Status::Equal,
        "!=" => Status::NotEqual,
        "no_answer" => Status::NoAnswer,
        "conflict" => Status::Conflict,
        "unparsable" => Status::Unparsable,
        "exhausted" => Status::Exhausted,
        "reference_error" => Status::ReferenceError,
        other => panic!("unknown expectation `{other}`"),
    }
}

fn run_pairs(table: &str, per_case_limit: Duration) {
    let mut failures = Vec::new();
    let opts = Options::default();
    for (line, cols) in rows(table, 3) {
        let want = expected_status(&cols[0]);
        let start = Instant::now();
        let v = check_answer(&cols[1], &cols[2], &opts, &mut Steps::default());
        let took = start.elapsed();
        if v.status != want {
            failures.push(format!(
                "line {line}: `{}` vs `{}`: want {}, got {v}",
                cols[1],
                cols[2],
                want.name()
            ));
        } else if took > per_case_limit {
            failures.push(format!("line {line}: took {took:?}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn equivalence_table() {
    run_pairs(
        include_str!("corpus/equivalence.tsv"),
        Duration::from_secs(5),
    );
}

#[test]
fn false_positive_table() {
    run_pairs(
        include_str!("corpus/false_positives.tsv"),
        Duration::from_secs(5),
    );
}

#[test]
fn adversarial_table() {
    // Release builds answer each row in microseconds to ~10 ms (the step budget); the bound
    // is loose for unoptimized builds on a loaded machine.
    run_pairs(
        include_str!("corpus/adversarial.tsv"),
        Duration::from_secs(5),
    );
}

#[test]
fn response_table() {
    let mut failures = Vec::new();
    for (line, cols) in rows(include_str!("corpus/responses.tsv"), 3) {
        let want = expected_status(&cols[0]);
        let response = cols[2].replace("\\n", "\n");
        let v = verify(
            &cols[1],
            &response,
            &Options::default(),
            &mut Steps::default(),
        );
        if v.status != want {
            failures.push(format!(
                "line {line}: `{}` vs `{response}`: want {}, got {v}",
                cols[1],
                want.name()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn extraction_table() {
    let mut failures = Vec::new();
    for (line, cols) in rows(include_str!("corpus/extraction.tsv"), 3) {
        let response = cols[2].replace("\\n", "\n");
        let got = extract(&response, &ExtractOptions::default()).answer;
        let ok = match (&got, cols[0].as_str()) {
            (None, "-") => true,
            (Some(e), want) => e.text == want && e.source.name() == cols[1],
            (None, _) => false,
        };
        if !ok {
            failures.push(format!(
                "line {line}: want `{}` ({}), got {got:?}",
                cols[0], cols[1]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Options named in the third column of `round2.tsv`.
fn round2_options(spec: &str) -> Options {
    let mut o = Options::default();
    for opt in spec.split(',').filter(|s| *s != "-") {
        match opt {
            "extract_reference" => o.extract_reference = true,
            "percent=value" => o.percent = assay_math::PercentPolicy::Value,
            "decimal_comma" => o.decimal_comma = true,
            "numeric_precision=reference" => {
                o.numeric_precision = assay_math::NumericPrecision::Reference
            }
            "no_fallback" => o.extract.number_fallback = false,
            other => panic!("unknown option `{other}`"),
        }
    }
    o
}

#[test]
fn round2_table() {
    let mut failures = Vec::new();
    let table = include_str!("corpus/round2.tsv");
    for (line, cols) in rows(table, 5) {
        let want = expected_status(&cols[0]);
        let reference = cols[3].replace("\\n", "\n");
        let response = cols[4].replace("\\n", "\n");
        let v = verify(
            &reference,
            &response,
            &round2_options(&cols[2]),
            &mut Steps::default(),
        );
        let class = v.extracted.as_ref().map(|e| e.source.class());
        if v.status != want {
            failures.push(format!(
                "line {line}: `{reference}` vs `{response}`: want {}, got {v}",
                want.name()
            ));
        } else if cols[1] != "-" && class != Some(cols[1].as_str()) {
            failures.push(format!(
                "line {line}: `{response}`: want class {}, got {class:?}",
                cols[1]
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

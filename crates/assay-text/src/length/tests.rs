use assay_core::{ErrorKind, Item, Status};
use serde_json::{json, Value};

use super::{kimi_lambda, overlong};
use crate::testing::{build_error, engine, grade_one, try_engine};

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

/// A response of exactly `len` characters that contains "42".
fn padded(len: usize) -> String {
    assert!(len >= 2);
    format!("42{}", ".".repeat(len - 2))
}

#[test]
fn overlong_formula() {
    // (length, max, buffer, factor, value)
    let cases = [
        (0, 100, 20, 1.0, 0.0),
        (80, 100, 20, 1.0, 0.0),
        (81, 100, 20, 1.0, -0.05),
        (90, 100, 20, 1.0, -0.5),
        (100, 100, 20, 1.0, -1.0),
        (101, 100, 20, 1.0, -1.0),
        (90, 100, 20, 2.0, -1.0),
        (10_000, 100, 20, 0.5, -0.5),
        (100, 100, 0, 1.0, 0.0),
        (101, 100, 0, 1.0, -1.0),
        (0, 100, 100, 1.0, 0.0),
        (50, 100, 100, 1.0, -0.5),
    ];
    for (len, max, buffer, factor, value) in cases {
        let got = overlong(len, max, buffer, factor);
        assert!(close(got, value), "{len} {max} {buffer} {factor}: {got}");
    }
}

#[test]
fn overlong_through_the_engine() {
    let options = json!({"mode": "overlong", "max_length": 10, "buffer": 4});
    let words =
        json!({"mode": "overlong", "unit": "words", "max_length": 4, "buffer": 2, "factor": 0.5});
    let cases = [
        (&options, "abcdef", 6.0, 0.0),
        (&options, "abcdefgh", 8.0, -0.5),
        (&options, "abcdefghijkl", 12.0, -1.0),
        (&options, "", 0.0, 0.0),
        // Characters, not bytes.
        (&options, "ééééééé", 7.0, -0.25),
        (&words, "one two  three\n", 3.0, -0.25),
        (&words, "a b c d e f", 6.0, -0.5),
    ];
    for (options, response, length, value) in cases {
        let r = grade_one("length", options, response, Value::Null);
        assert_eq!(r.status, Status::Ok, "{response:?}");
        assert_eq!(r.components["length"], Some(length), "{response:?}");
        assert!(
            close(r.reward.unwrap(), value),
            "{response:?}: {:?}",
            r.reward
        );
        assert_eq!(r.components["overlong"], r.reward);
    }
}

const COSINE: &str = r#"
[graders.answer]
kind = "string_check"
operation = "contains"

[graders.len]
kind = "length"
mode = "cosine"
correctness = "answer"
max_length = 1000

[[routes]]
data_source = "*"
grader = "len"
"#;

#[test]
fn cosine_values() {
    let e = engine(COSINE);
    // (length, reference, status, value)
    let cases = [
        (
            2,
            "42",
            Status::Ok,
            0.5 + 0.5 * 0.5 * (1.0 + (0.002 * std::f64::consts::PI).cos()),
        ),
        (500, "42", Status::Ok, 0.75),
        (1000, "42", Status::Ok, 0.5),
        (2000, "42", Status::Ok, 0.5),
        (500, "43", Status::Ok, -0.75),
        (1000, "43", Status::Ok, -0.5),
        (3000, "43", Status::Ok, -0.5),
    ];
    for (len, reference, status, value) in cases {
        let r = &e.score(&[Item::new(padded(len), reference)])[0];
        assert_eq!(r.status, status, "{len} {reference}");
        assert!(
            close(r.reward.unwrap(), value),
            "{len} {reference}: {:?}",
            r.reward
        );
        assert_eq!(r.components["length"], Some(len as f64));
        assert_eq!(r.components["cosine"], r.reward);
        assert_eq!(r.explanation["correct"], json!(reference == "42"));
        assert_eq!(r.explanation["answer"]["status"], json!("ok"));
    }
    // Shorter correct answers earn more; shorter wrong answers are penalized more.
    let score = |len: usize, reference: &str| {
        e.score(&[Item::new(padded(len), reference)])[0]
            .reward
            .unwrap()
    };
    assert!(score(100, "42") > score(900, "42"));
    assert!(score(100, "43") < score(900, "43"));
}

#[test]
fn cosine_options_and_exceed_value() {
    let config = COSINE.replace(
        "max_length = 1000",
        "max_length = 100\nunit = \"words\"\nexceed_value = -10\nmin_value_correct = 0\nmax_value_correct = 2\nthreshold = 0.5",
    );
    let e = engine(&config);
    let words = |n: usize| format!("42{}", " w".repeat(n - 1));
    let cases = [
        (50, "42", 1.0),
        (100, "42", 0.0),
        (101, "42", -10.0),
        (101, "43", -10.0),
    ];
    for (n, reference, value) in cases {
        let r = &e.score(&[Item::new(words(n), reference)])[0];
        assert!(
            close(r.reward.unwrap(), value),
            "{n} {reference}: {:?}",
            r.reward
        );
    }
}

#[test]
fn correctness_failures_are_not_silent_zeros() {
    let e = engine(COSINE);
    let results = e.score(&[
        // The correctness grader rejects the reference: the item fails with its error.
        Item::new("42", json!(42)),
        // It finds no answer in an empty response: wrong, and invalid.
        Item::new("", "42"),
    ]);
    assert_eq!(results[0].status, Status::Error);
    assert_eq!(results[0].reward, None);
    let error = results[0].error.as_ref().unwrap();
    assert_eq!(error.kind, ErrorKind::BadReference);
    assert!(
        error
            .message
            .starts_with("`answer`: expected the reference"),
        "{}",
        error.message
    );
    assert_eq!(results[1].status, Status::Invalid);
    assert!(close(results[1].reward.unwrap(), -1.0));
    assert_eq!(results[1].components["length"], Some(0.0));
}

#[test]
fn probe_statuses_propagate() {
    let config = r#"
        [graders.p]
        kind = "probe"
        key = "p"
        [graders.cos]
        kind = "length"
        mode = "cosine"
        correctness = "p"
        max_length = 10
        [graders.kimi]
        kind = "length"
        mode = "kimi"
        correctness = "p"
        [[routes]]
        data_source = "cos"
        grader = "cos"
        [[routes]]
        data_source = "kimi"
        grader = "kimi"
    "#;
    let e = engine(config);
    for source in ["cos", "kimi"] {
        let cases = [
            (
                "timeout",
                Status::Timeout,
                Some(ErrorKind::Timeout),
                "`p`: probe timeout",
            ),
            (
                "error",
                Status::Error,
                Some(ErrorKind::BadReference),
                "`p`: probe error",
            ),
            ("na", Status::NotApplicable, None, "`p`: probe n/a"),
        ];
        for (verdict, status, kind, message) in cases {
            let item = Item {
                data_source: Some(source.into()),
                group: Some("g".into()),
                metadata: json!({ "p": verdict }),
                ..Item::new("abc", Value::Null)
            };
            let r = &e.score(&[item])[0];
            assert_eq!(r.status, status, "{source} {verdict}");
            assert_eq!(r.reward, None, "{source} {verdict}");
            assert_eq!(r.error.as_ref().map(|e| e.kind), kind);
            let text = r
                .error
                .as_ref()
                .map(|e| e.message.clone())
                .unwrap_or_else(|| r.explanation["reason"].as_str().unwrap().to_string());
            assert_eq!(text, message);
        }
    }
}

#[test]
fn kimi_lambda_formula() {
    let cases = [
        (10, 10, 30, 0.5),
        (20, 10, 30, 0.0),
        (30, 10, 30, -0.5),
        (15, 10, 30, 0.25),
        (7, 7, 7, 0.0),
    ];
    for (len, min, max, lambda) in cases {
        assert!(
            close(kimi_lambda(len, min, max), lambda),
            "{len} {min} {max}"
        );
    }
}

const KIMI: &str = r#"
[graders.answer]
kind = "string_check"
operation = "contains"

[graders.len]
kind = "length"
mode = "kimi"
correctness = "answer"

[[routes]]
data_source = "*"
grader = "len"
"#;

fn grouped(group: &str, len: usize, reference: &str) -> Item {
    Item {
        group: Some(group.into()),
        ..Item::new(padded(len), reference)
    }
}

#[test]
fn kimi_rewards_within_each_group() {
    let items = [
        grouped("q1", 10, "42"), // shortest, correct: 0.5
        grouped("q2", 50, "42"), // q2: all equal lengths → 0
        grouped("q1", 20, "43"), // middle, wrong: min(0, 0) = 0
        grouped("q1", 30, "43"), // longest, wrong: -0.5
        grouped("q2", 50, "43"),
        grouped("q1", 30, "42"), // longest, correct: λ = -0.5
        grouped("q1", 12, "43"), // short and wrong: min(0, 0.4) = 0
        grouped("q3", 5, "42"),  // alone in its group: 0
    ];
    let expected = [0.5, 0.0, 0.0, -0.5, 0.0, -0.5, 0.0, 0.0];
    // Batches smaller than a group: the engine keeps groups whole.
    for batch in [1, 3, 64] {
        let results = engine(KIMI).with_batch_size(batch).score(&items);
        for (i, (r, want)) in results.iter().zip(expected).enumerate() {
            assert_eq!(
                r.status,
                Status::Ok,
                "batch {batch} item {i}: {:?}",
                r.error
            );
            assert!(
                close(r.reward.unwrap(), want),
                "batch {batch} item {i}: {:?}",
                r.reward
            );
            assert_eq!(r.components["kimi"], r.reward);
        }
        assert_eq!(results[0].explanation["group_size"], json!(5));
        assert_eq!(results[0].explanation["group_min_length"], json!(10));
        assert_eq!(results[0].explanation["group_max_length"], json!(30));
    }
}

#[test]
fn kimi_needs_a_group_and_counts_failed_samples_in_the_range() {
    let e = engine(KIMI);
    let results = e.score(&[
        Item::new(padded(10), "42"),
        grouped("q", 10, "42"),
        Item {
            group: Some("q".into()),
            ..Item::new(padded(30), json!(42))
        },
    ]);
    assert_eq!(results[0].status, Status::Error);
    assert_eq!(
        results[0].error.as_ref().unwrap().kind,
        ErrorKind::MalformedInput
    );
    assert!(results[0]
        .error
        .as_ref()
        .unwrap()
        .message
        .contains("`group`"));
    // The failed sample's length still sets the group's range.
    assert!(close(results[1].reward.unwrap(), 0.5));
    assert_eq!(results[2].status, Status::Error);
}

#[test]
fn kimi_in_a_combination_sees_the_whole_group() {
    let config = format!(
        "{KIMI}\n[graders.total]\nkind = \"multi\"\ngraders = [\"answer\", \"len\"]\nformula = \"answer + len\"\n"
    )
    .replace("grader = \"len\"", "grader = \"total\"");
    let results = engine(&config).score(&[grouped("q", 10, "42"), grouped("q", 30, "42")]);
    assert!(close(results[0].reward.unwrap(), 1.5), "{:?}", results[0]);
    assert!(close(results[1].reward.unwrap(), 0.5), "{:?}", results[1]);
    assert_eq!(results[0].components["len.kimi"], Some(0.5));
}

#[test]
fn bad_options() {
    let cases = [
        (json!({}), "missing field `mode`"),
        (json!({"mode": "linear"}), "unknown variant `linear`, expected one of `overlong`, `cosine`, `kimi`"),
        (json!({"mode": "overlong", "buffer": 10}), "mode `overlong` needs `max_length`, a positive integer"),
        (json!({"mode": "overlong", "max_length": 100}), "mode `overlong` needs `buffer`"),
        (json!({"mode": "overlong", "max_length": 0, "buffer": 0}), "needs `max_length`, a positive integer"),
        (json!({"mode": "overlong", "max_length": 10, "buffer": 20}), "`buffer` (20) must not exceed `max_length` (10)"),
        (json!({"mode": "overlong", "max_length": 10, "buffer": 2, "factor": -1}), "`factor` must be positive or zero"),
        (json!({"mode": "overlong", "max_length": -5, "buffer": 2}), "invalid value: integer `-5`, expected u64"),
        (json!({"mode": "overlong", "max_length": 10, "buffer": 2, "unit": "tokens"}), "unknown variant `tokens`, expected `chars` or `words`"),
        (
            json!({"mode": "overlong", "max_length": 10, "buffer": 2, "correctness": "a"}),
            "`correctness` do(es) not apply to mode `overlong`, which takes: unit, max_length, buffer, factor",
        ),
        (json!({"mode": "cosine", "max_length": 10}), "mode `cosine` needs `correctness`"),
        (json!({"mode": "cosine", "correctness": "answer"}), "mode `cosine` needs `max_length`"),
        (json!({"mode": "cosine", "max_length": 10, "correctness": "nope"}), "correctness: "),
        (
            json!({"mode": "cosine", "max_length": 10, "correctness": "x", "buffer": 3, "factor": 1}),
            "`buffer`, `factor` do(es) not apply to mode `cosine`",
        ),
        (json!({"mode": "kimi"}), "mode `kimi` needs `correctness`"),
        (json!({"mode": "kimi", "correctness": "x", "max_length": 10}), "`max_length` do(es) not apply to mode `kimi`"),
        (json!({"mode": "kimi", "correctness": "x", "threshold": "high"}), "invalid type: string \"high\", expected f64"),
        (json!({"mode": "kimi", "correctness": "x", "lambda": 1}), "unknown field `lambda`"),
    ];
    for (options, message) in cases {
        let text = build_error("length", &options);
        assert!(text.contains(message), "{options}: {text}");
    }
}

#[test]
fn correctness_must_name_a_defined_grader_and_no_cycle() {
    let unknown = KIMI.replace("correctness = \"answer\"", "correctness = \"zz\"");
    let text = try_engine(&unknown).unwrap_err().to_string();
    assert!(text.contains("graders.len: correctness: "), "{text}");
    assert!(text.contains("zz"), "{text}");
    let cycle = KIMI.replace("correctness = \"answer\"", "correctness = \"len\"");
    let text = try_engine(&cycle).unwrap_err().to_string();
    assert!(text.contains("cycle"), "{text}");
}

#[test]
fn documented_example_works() {
    let doc = include_str!("../length.rs");
    let toml: String = doc
        .lines()
        .skip_while(|l| !l.starts_with("//! ```toml"))
        .skip(1)
        .take_while(|l| !l.starts_with("//! ```"))
        .map(|l| l.strip_prefix("//! ").unwrap_or("").to_string() + "\n")
        .collect();
    let config = format!(
        "{toml}\n[graders.all]\nkind = \"multi\"\ngraders = [\"overlong\", \"cosine\", \"kimi\"]\n\
         [[routes]]\ndata_source = \"*\"\ngrader = \"all\"\n"
    );
    let item = |response: &str| Item {
        group: Some("q".into()),
        ..Item::new(response, "42")
    };
    let results = engine(&config).score(&[item("42"), item("4343434343")]);
    let rewards: Vec<f64> = results.iter().map(|r| r.reward.unwrap()).collect();
    // The sub-grader `kimi` reports its reward under `kimi`; its component of the same name
    // is not repeated as `kimi.kimi`.
    assert_eq!(results[0].components["kimi"], Some(0.5), "{:?}", results[0]);
    assert!(!results[0].components.contains_key("kimi.kimi"));
    assert!(rewards[0] > rewards[1]);
}

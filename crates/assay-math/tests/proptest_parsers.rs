//! Property tests of the math parsers on untrusted text: LaTeX and plain answers, whole
//! responses, mutated lines of the test corpora. The bar: no panic on any input, answers come
//! back within the step budget, and an expression always equals itself.

use assay_math::verify::{verify, Options, Status};
use assay_math::{extract, ExtractOptions, Steps};
use proptest::prelude::*;

/// Fields of the corpora (references, answers, whole responses), as seeds for mutation.
fn corpus() -> Vec<String> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus");
    let mut fields = Vec::new();
    for file in [
        "equivalence.tsv",
        "responses.tsv",
        "adversarial.tsv",
        "extraction.tsv",
    ] {
        let text = std::fs::read_to_string(format!("{dir}/{file}")).unwrap();
        for line in text.lines().filter(|l| !l.starts_with('#')) {
            fields.extend(line.split('\t').skip(1).map(|f| f.replace("\\n", "\n")));
        }
    }
    assert!(fields.len() > 100, "the corpora seed the mutations");
    fields
}

/// A corpus field with a few characters inserted, deleted or replaced.
fn mutated(seeds: Vec<String>) -> impl Strategy<Value = String> {
    let edits = prop::collection::vec((any::<prop::sample::Index>(), 0u8..3, any::<char>()), 0..6);
    (prop::sample::select(seeds), edits).prop_map(|(seed, edits)| {
        let mut chars: Vec<char> = seed.chars().collect();
        for (at, op, c) in edits {
            let i = at.index(chars.len() + 1);
            match op {
                0 => chars.insert(i, c),
                1 if i < chars.len() => {
                    chars.remove(i);
                }
                _ if i < chars.len() => chars[i] = c,
                _ => chars.push(c),
            }
        }
        chars.into_iter().collect()
    })
}

/// Text made of LaTeX's and plain math's pieces, in any order (mostly malformed).
fn latexish() -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        "\\frac",
        "\\dfrac",
        "\\sqrt",
        "\\boxed{",
        "\\left(",
        "\\right)",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "^",
        "_",
        "+",
        "-",
        "*",
        "/",
        "=",
        ",",
        ".",
        "%",
        "\\%",
        "\\pi",
        "\\infty",
        "\\cup",
        "\\le",
        "x",
        "y",
        "e",
        "i",
        "0",
        "1",
        "2",
        "9",
        "10",
        "3.14",
        "1/2",
        " ",
        "$",
        "$$",
        "\\text{",
        "\\cdot",
        "!",
        "\\sin",
        "\\log",
        "\\in",
        "\\{",
        "\\}",
        "\\\\",
        "the answer is ",
        "**",
        "<answer>",
        "</answer>",
        "\n",
        "9^{9^{9^{9}}}",
        "1e999",
    ];
    prop::collection::vec(prop::sample::select(PIECES), 0..48).prop_map(|p| p.concat())
}

/// Well-formed expressions, nested.
fn expression() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        (0u32..1000).prop_map(|n| n.to_string()),
        (0u32..100, 1u32..100).prop_map(|(a, b)| format!("{a}.{b}")),
        prop::sample::select(vec!["x", "y", "\\pi", "e"]).prop_map(String::from),
    ];
    leaf.prop_recursive(4, 24, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} + {b}")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a}) - ({b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("\\frac{{{a}}}{{{b}}}")),
            inner.clone().prop_map(|a| format!("\\sqrt{{{a}}}")),
            (inner.clone(), 0u32..4).prop_map(|(a, k)| format!("({a})^{{{k}}}")),
            (inner.clone(), inner).prop_map(|(a, b)| format!("{a} \\cdot {b}")),
        ]
    })
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        latexish(),
        mutated(corpus()),
        "[\\\\{}()^_0-9a-z +*/=.,$-]{0,64}",
    ]
}

/// The verdict of `reference` against `response` within `steps` work steps.
fn check(reference: &str, response: &str, steps: u64) -> Status {
    let mut budget = Steps::new(steps);
    let verdict = verify(reference, response, &Options::default(), &mut budget);
    verdict.status
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 384, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn verify_never_panics_and_stays_in_its_budget(reference in any_text(), response in any_text()) {
        // A panic fails the property; either side may be the reference.
        check(&reference, &response, 200_000);
        check(&response, &reference, 200_000);
    }

    #[test]
    fn a_tiny_budget_stops_work_instead_of_deciding_wrongly(expr in expression()) {
        // With almost no budget the verifier may give up, but never says "not equal" to
        // the very same answer.
        let status = check(&expr, &format!("\\boxed{{{expr}}}"), 16);
        prop_assert_ne!(status, Status::NotEqual, "{}", expr);
    }

    #[test]
    fn an_expression_equals_itself(expr in expression()) {
        let status = check(&expr, &format!("so the answer is $\\boxed{{{expr}}}$."), 2_000_000);
        prop_assert!(
            matches!(status, Status::Equal | Status::Exhausted),
            "{expr}: {status:?}"
        );
    }

    #[test]
    fn extraction_never_panics_and_alternatives_come_with_an_answer(response in any_text()) {
        let e = extract(&response, &ExtractOptions::default());
        prop_assert!(e.answer.is_some() || e.alternatives.is_empty());
    }
}

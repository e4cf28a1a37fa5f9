//! Hostile and random input: bounded time, no panic, never a false `Equal`.

use assay_math::{check_answer, parse, verify, ConflictPolicy, Options, Status, Steps};
use std::time::{Duration, Instant};

/// Generous bound for unoptimized builds on a loaded machine; release builds take
/// microseconds.
const LIMIT: Duration = Duration::from_secs(5);

fn timed_verify(reference: &str, response: &str) -> Status {
    let start = Instant::now();
    let v = verify(
        reference,
        response,
        &Options::default(),
        &mut Steps::default(),
    );
    let took = start.elapsed();
    assert!(
        took < LIMIT,
        "took {took:?} on a {}-byte response",
        response.len()
    );
    v.status
}

#[test]
fn deep_nesting_is_refused_quickly() {
    let braces = format!("\\boxed{{{}1{}}}", "{".repeat(50_000), "}".repeat(50_000));
    assert_ne!(timed_verify("1", &braces), Status::Equal);
    let parens = format!("\\boxed{{{}1{}}}", "(".repeat(10_000), ")".repeat(10_000));
    assert_ne!(timed_verify("1", &parens), Status::Equal);
    let fracs = format!("\\boxed{{{}}}", "\\frac{1}{".repeat(10_000));
    assert_ne!(timed_verify("1", &fracs), Status::Equal);
    let unclosed = "\\boxed{".repeat(20_000);
    assert_ne!(timed_verify("1", &unclosed), Status::Equal);
}

#[test]
fn huge_values_are_refused_quickly() {
    for answer in [
        "9^{9^{9^{9}}}",
        "100000!",
        "10^{10^{10}}",
        "(10^{9999})!",
        "e^{10^{6}}",
    ] {
        let s = timed_verify("5", &format!("\\boxed{{{answer}}}"));
        assert!(
            matches!(s, Status::Exhausted | Status::NotEqual),
            "{answer}: {s:?}"
        );
    }
}

#[test]
fn megabyte_response_is_linear() {
    let mut response = "the number 7 and then some words. ".repeat(30_000);
    response.push_str("So the answer is $\\boxed{42}$.");
    assert!(response.len() > 1_000_000);
    assert_eq!(timed_verify("42", &response), Status::Equal);
    let no_box = "7 8 9 $x$ **bold** ".repeat(60_000);
    assert_ne!(timed_verify("42", &no_box), Status::Equal);
}

#[test]
fn answer_spamming_is_not_rewarded() {
    let spam = "\\boxed{1} or maybe \\boxed{2} or \\boxed{3}";
    assert_eq!(timed_verify("2", spam), Status::Conflict);
    assert_eq!(timed_verify("3", spam), Status::Conflict);
    // Repeating one answer (in any spelling) is fine.
    assert_eq!(
        timed_verify("0.5", "\\boxed{\\frac12} so \\boxed{1/2}"),
        Status::Equal
    );
    let last = Options {
        conflict: ConflictPolicy::Last,
        ..Options::default()
    };
    let v = verify("3", spam, &last, &mut Steps::default());
    assert_eq!(v.status, Status::Equal);
}

#[test]
fn timeouts_are_distinct_from_not_equal() {
    let mut tiny = Steps::new(5);
    let v = check_answer("x^2+1", "(x+1)^2-2x", &Options::default(), &mut tiny);
    assert_eq!(v.status, Status::Exhausted, "{v}");
}

/// A small deterministic generator (no dependency needed for this).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0 >> 33
    }
}

#[test]
fn random_text_never_panics() {
    const ALPHABET: &[&str] = &[
        "\\frac",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "^",
        "_",
        "1",
        "2",
        "0",
        ".",
        ",",
        "x",
        "y",
        "\\sqrt",
        "\\pi",
        "e",
        "i",
        "+",
        "-",
        "*",
        "/",
        "=",
        "<",
        "\\le",
        "\\pm",
        "\\cup",
        "!",
        "%",
        "\\%",
        "\\text{",
        "cm",
        "\\infty",
        "\\sin",
        "\\log_",
        "\\begin{pmatrix}",
        "&",
        "\\\\",
        "\\end{pmatrix}",
        "\\{",
        "\\}",
        "|",
        " ",
        "\\left(",
        "\\right)",
        "$",
        "\\boxed{",
        "9^{9^{9}}",
        "\\ln",
        "e^{",
        "10^{",
    ];
    let mut rng = Lcg(0x5eed);
    for _ in 0..3_000 {
        let len = 1 + rng.next() % 24;
        let s: String = (0..len)
            .map(|_| ALPHABET[(rng.next() % ALPHABET.len() as u64) as usize])
            .collect();
        let start = Instant::now();
        let _ = parse(&s, &mut Steps::default());
        let _ = check_answer(&s, &s, &Options::default(), &mut Steps::default());
        let _ = verify("x+1", &s, &Options::default(), &mut Steps::default());
        assert!(start.elapsed() < LIMIT, "slow on `{s}`");
    }
}

#[test]
fn fractions_equal_their_decimals_and_slashes() {
    let mut rng = Lcg(7);
    for _ in 0..300 {
        let a = (rng.next() % 2000) as i64 - 1000;
        let b = 1 + (rng.next() % 3) as u32;
        let den = 2i64.pow(b) * 5i64.pow((rng.next() % 3) as u32);
        let frac = format!("\\frac{{{a}}}{{{den}}}");
        let slash = format!("{a}/{den}");
        let dec = format!("{}", a as f64 / den as f64);
        let opts = Options::default();
        for form in [&slash, &dec] {
            let v = check_answer(&frac, form, &opts, &mut Steps::default());
            assert_eq!(v.status, Status::Equal, "{frac} vs {form}: {v}");
        }
        let off = format!("{}/{den}", a + 1);
        let v = check_answer(&frac, &off, &opts, &mut Steps::default());
        assert_eq!(v.status, Status::NotEqual, "{frac} vs {off}: {v}");
    }
}

#[test]
fn safe_in_threads() {
    // No signals, no shared mutable state: the same verdicts from many threads at once.
    let pairs = [
        (
            "\\frac{\\sqrt3}{3}",
            "\\boxed{\\frac{1}{\\sqrt3}}",
            Status::Equal,
        ),
        ("1-\\frac1e", "\\boxed{1+\\frac1e}", Status::NotEqual),
        ("x^2+2x+1", "\\boxed{(x+1)^2}", Status::Equal),
        ("5", "\\boxed{9^{9^{9^{9}}}}", Status::Exhausted),
    ];
    std::thread::scope(|scope| {
        for _ in 0..8 {
            scope.spawn(|| {
                for _ in 0..20 {
                    for (reference, response, want) in pairs {
                        let v = verify(
                            reference,
                            response,
                            &Options::default(),
                            &mut Steps::default(),
                        );
                        assert_eq!(v.status, want, "{reference} vs {response}: {v}");
                    }
                }
            });
        }
    });
}

#[test]
fn explanations_name_the_rule_and_both_forms() {
    let v = verify(
        "\\frac34",
        "so \\boxed{0.75}",
        &Options::default(),
        &mut Steps::default(),
    );
    assert_eq!(
        v.to_string(),
        "equal: exact rational [answer `0.75` = 3/4] [reference = 3/4]"
    );
    let v = verify(
        "\\pi/2",
        "The answer is pi/2",
        &Options::default(),
        &mut Steps::default(),
    );
    assert_eq!(
        v.to_string(),
        "equal: numeric: agree to 128 bits [answer `pi/2` = pi/2] [reference = pi/2]"
    );
    let v = verify(
        "y = 2x + 3",
        "\\boxed{2y = 4x + 6}",
        &Options::default(),
        &mut Steps::default(),
    );
    assert!(v.rule.starts_with("equations: proportional at"), "{v}");
    let v = verify(
        "x^2 - 1",
        "\\boxed{(x-1)(x+2)}",
        &Options::default(),
        &mut Steps::default(),
    );
    assert!(v.rule.starts_with("symbolic: differ at x = "), "{v}");
}

#[test]
fn decimal_tolerance_is_opt_in_and_never_for_terminating_references() {
    let strict = Options::default();
    let loose = Options {
        decimal_tolerance: Some(1e-3),
        ..Options::default()
    };
    let check = |reference: &str, answer: &str, opts: &Options| {
        assay_math::check_answer(reference, answer, opts, &mut Steps::default()).status
    };
    assert_eq!(check("\\sqrt2", "1.414", &strict), Status::NotEqual);
    assert_eq!(check("\\sqrt2", "1.414", &loose), Status::Equal);
    assert_eq!(check("\\frac13", "0.333", &loose), Status::Equal);
    assert_eq!(check("\\frac13", ".333", &loose), Status::Equal);
    assert_eq!(check("\\pi", "3.14", &loose), Status::Equal);
    assert_eq!(check("\\pi", "3.2", &loose), Status::NotEqual);
    // A reference that a decimal writes exactly must be matched exactly.
    assert_eq!(check("0.25", "0.2501", &loose), Status::NotEqual);
    assert_eq!(check("\\frac14", "0.2501", &loose), Status::NotEqual);
    // Only decimal answers get the tolerance.
    assert_eq!(check("\\frac13", "333/1000", &loose), Status::NotEqual);
}

#[test]
fn master_keys_earn_nothing() {
    // Responses without an answer, or with an answer that fits everything, never equal a
    // reference, whatever its class (bare, marked, prose).
    let references = [
        "42",
        "\\frac{3}{4}",
        "x^2+1",
        "(1,2)",
        "\\text{Evelyn}",
        "[0,1)",
        "No",
        "25\\%",
        "1, 2",
        "y = 2x + 3",
    ];
    let hundred: Vec<String> = (1..=100).map(|k| format!("\\boxed{{{k}}}")).collect();
    let attacks = [
        String::new(),
        "   ".into(),
        "I cannot solve this.".into(),
        "The answer is".into(),
        "\\boxed{}".into(),
        "The answer is \\boxed{\\text{}}".into(),
        "$ $".into(),
        "a".into(),
        "\\infty".into(),
        "\\pm\\infty".into(),
        "(-\\infty, \\infty)".into(),
        "\\mathbb{R}".into(),
        "\\emptyset".into(),
        "all real numbers".into(),
        "any".into(),
        "it depends".into(),
        "undefined".into(),
        "NaN".into(),
        "\\text{the answer}".into(),
        "x".into(),
        "y".into(),
        "0 = 0".into(),
        "x = x".into(),
        "1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 42".into(),
        hundred.join(", "),
        "\\boxed{1} or \\boxed{2} or \\boxed{42} or \\boxed{\\frac34}".into(),
        "\\sum_{k=1}^{\\infty} k".into(),
        "????".into(),
    ];
    for reference in references {
        for attack in &attacks {
            let s = timed_verify(reference, attack);
            assert_ne!(s, Status::Equal, "`{attack}` against `{reference}`");
        }
    }
}

#[test]
fn matrix_products_and_bare_answers_stay_bounded() {
    // A chain of matrix products would grow its entries exponentially: refused, quickly.
    let row = (0..8)
        .map(|k| k.to_string())
        .collect::<Vec<_>>()
        .join(" & ");
    let m = format!(
        "\\begin{{pmatrix}}{}\\end{{pmatrix}}",
        vec![row; 8].join(" \\\\ ")
    );
    let chain = m.repeat(12);
    assert_ne!(timed_verify(&m, &chain), Status::Equal);
    // A long bare-looking response is not parsed whole (bounded), and a long final line neither.
    let long = "x+".repeat(50_000) + "1";
    assert_ne!(timed_verify("5", &long), Status::Equal);
    let lines = "1+1\n".repeat(100_000) + &"y".repeat(5_000);
    assert_ne!(timed_verify("2", &lines), Status::Equal);
}

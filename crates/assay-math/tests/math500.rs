//! Every MATH-500 gold answer must parse and equal itself written in other ways.
//!
//! The answers are copied into `corpus/math500_answers.tsv` (MIT, notice in the file).

use assay_math::exact::eval_exact;
use assay_math::{check_answer, parse_answer, verify, Expr, Options, Status, Steps};
use num_bigint::BigInt;
use num_integer::Integer;
use num_traits::{One, Signed, Zero};

fn answers() -> Vec<(String, String)> {
    include_str!("corpus/math500_answers.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| {
            let (id, a) = l.split_once('\t').expect("id<TAB>answer");
            (id.to_string(), a.to_string())
        })
        .collect()
}

/// The terminating decimal form of a rational, if its denominator is 2^a·5^b.
fn decimal(e: &Expr) -> Option<String> {
    let g = eval_exact(e, &[], &mut Steps::default()).ok()?;
    if !g.is_real() || g.re.is_integer() {
        return None;
    }
    let mut den = g.re.denom().clone();
    let mut digits = 0usize;
    let ten = BigInt::from(10);
    while !(den.is_one()) {
        let (q2, r2) = den.div_rem(&BigInt::from(2));
        let (q5, r5) = den.div_rem(&BigInt::from(5));
        if r2.is_zero() {
            den = q2;
        } else if r5.is_zero() {
            den = q5;
        } else {
            return None;
        }
        digits += 1;
    }
    let scaled = (g.re.abs()
        * num_rational::BigRational::from_integer(num_traits::Pow::pow(&ten, digits)))
    .to_integer();
    let s = format!("{:0>width$}", scaled, width = digits + 1);
    let (int, frac) = s.split_at(s.len() - digits);
    let sign = if g.re.is_negative() { "-" } else { "" };
    Some(format!("{sign}{int}.{frac}"))
}

/// The answer with spaces removed, except between letters (`\\cot x` must not become the
/// command `\\cotx`).
fn without_spaces(a: &str) -> String {
    let chars: Vec<char> = a.chars().collect();
    let mut out = String::new();
    for (i, &c) in chars.iter().enumerate() {
        let between_letters = i > 0
            && chars[i - 1].is_alphabetic()
            && chars.get(i + 1).is_some_and(|n| n.is_alphabetic());
        if c != ' ' || between_letters {
            out.push(c);
        }
    }
    out
}

/// Equivalent spellings of an answer.
fn rewrites(a: &str) -> Vec<String> {
    let mut out = vec![
        format!("${a}$"),
        format!("\\boxed{{{a}}}"),
        a.replace("\\dfrac", "\\frac").replace("\\frac", "\\dfrac"),
        a.replace("\\left", "").replace("\\right", ""),
        without_spaces(a),
        a.replace("\\! ", "").replace("\\!", ""),
        a.replace("\\text", "\\mathrm"),
        format!(" {a} "),
    ];
    out.retain(|s| s != a);
    out
}

#[test]
fn gold_answers_parse_and_equal_their_rewrites() {
    let opts = Options::default();
    let mut failures = Vec::new();
    for (id, a) in answers() {
        let mut budget = Steps::default();
        let parsed = match parse_answer(&a, &mut budget) {
            Ok(e) => e,
            Err(e) => {
                failures.push(format!("{id}: `{a}` does not parse: {e}"));
                continue;
            }
        };
        let mut forms = rewrites(&a);
        if let Some(d) = decimal(&parsed) {
            forms.push(d);
        }
        for form in forms {
            let v = check_answer(&a, &form, &opts, &mut Steps::default());
            if v.status != Status::Equal {
                failures.push(format!("{id}: `{a}` vs `{form}`: {v}"));
            }
        }
        let v = verify(
            &a,
            &format!("Thus the answer is $\\boxed{{{a}}}$."),
            &opts,
            &mut Steps::default(),
        );
        if v.status != Status::Equal {
            failures.push(format!("{id}: boxed response: {v}"));
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
fn gold_answers_differ_from_perturbations() {
    // An integer answer n never equals n + 1.
    let opts = Options::default();
    let mut failures = Vec::new();
    for (id, a) in answers() {
        let Ok(n) = a.trim().parse::<i64>() else {
            continue;
        };
        let wrong = (n + 1).to_string();
        let v = check_answer(&a, &wrong, &opts, &mut Steps::default());
        if v.status != Status::NotEqual {
            failures.push(format!("{id}: `{a}` vs `{wrong}`: {v}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every pair of different gold answers is compared; the pairs judged equal must be exactly
/// the reviewed snapshot in `corpus/math500_cross_equal.tsv`.
#[test]
fn different_gold_answers_are_not_equal_unless_reviewed() {
    let mut distinct: Vec<String> = answers().into_iter().map(|(_, a)| a).collect();
    distinct.sort();
    distinct.dedup();
    let parsed: Vec<Expr> = distinct
        .iter()
        .map(|a| parse_answer(a, &mut Steps::default()).expect("gold answers parse"))
        .collect();
    let settings = assay_math::Settings::default();
    let mut equal = Vec::new();
    for i in 0..distinct.len() {
        for j in (i + 1)..distinct.len() {
            let d =
                assay_math::equivalent(&parsed[i], &parsed[j], &settings, &mut Steps::default())
                    .expect("within budget");
            let back =
                assay_math::equivalent(&parsed[j], &parsed[i], &settings, &mut Steps::default())
                    .expect("within budget");
            assert_eq!(
                d.equal, back.equal,
                "asymmetric: `{}` vs `{}`",
                distinct[i], distinct[j]
            );
            if d.equal {
                equal.push(format!("{}\t{}", distinct[i], distinct[j]));
            }
        }
    }
    let expected: Vec<String> = include_str!("corpus/math500_cross_equal.tsv")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(str::to_string)
        .collect();
    assert_eq!(equal, expected, "the set of equal pairs changed");
}

/// The canonical form printed in explanations reads back as an equivalent expression.
#[test]
fn canonical_forms_read_back() {
    let corpus = [
        include_str!("corpus/equivalence.tsv"),
        include_str!("corpus/false_positives.tsv"),
    ];
    let mut inputs: Vec<String> = answers().into_iter().map(|(_, a)| a).collect();
    for table in corpus {
        for line in table
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            inputs.extend(line.split('\t').skip(1).map(str::to_string));
        }
    }
    let settings = assay_math::Settings::default();
    let mut failures = Vec::new();
    for input in inputs {
        let Ok(e) = parse_answer(&input, &mut Steps::default()) else {
            continue;
        };
        if matches!(e, Expr::Matrix(_)) {
            continue;
        }
        let printed = e.to_string();
        match parse_answer(&printed, &mut Steps::default()) {
            Ok(back) => match assay_math::equivalent(&e, &back, &settings, &mut Steps::default()) {
                Ok(d) if d.equal => {}
                Ok(d) => failures.push(format!("`{input}` -> `{printed}`: {}", d.rule)),
                Err(x) => failures.push(format!("`{input}` -> `{printed}`: {x}")),
            },
            Err(err) => failures.push(format!("`{input}` -> `{printed}` does not parse: {err}")),
        }
    }
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

//! The top-level check: extract an answer from a response, parse both sides, compare, and
//! explain the verdict.

use crate::equiv::{equivalent, PercentPolicy, Settings};
use crate::exact::{eval_exact, EvalError};
use crate::expr::Expr;
use crate::extract::{clean, extract, extract_reference, ExtractOptions, Extracted, Source};
use crate::numeric::eval_numeric;
use crate::parser::{normalize_text, parse_with, ParseError, ParseOptions};
use crate::steps::{Exhausted, Steps};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Pow, Signed, Zero};
use std::fmt;

/// How a numeric answer meets a numeric reference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum NumericPrecision {
    /// Exact values (the default): `6634` is not `6630`, `0.333` is not `1/3`.
    #[default]
    Exact,
    /// When the reference is a decimal numeral (`6630`, `4.4 \times 10^{7}`, `0.0123`), the
    /// answer's value rounded to the reference's significant figures must equal it
    /// (`6634` and `6.63e3` match `6630`; `4.43 \times 10^7` matches `4.4 \times 10^{7}`).
    /// Trailing zeros of an integer are not significant (`6630` has 3); an integer without
    /// trailing zeros (`34`) is exact, and so are references that are not decimal numerals.
    Reference,
}

/// What to do when a response gives several different final answers (answer spamming:
/// `\boxed{1}` … `\boxed{2}` … `\boxed{3}`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ConflictPolicy {
    /// The response is [`Status::Conflict`] (graded `invalid`) unless all its boxed answers
    /// are equivalent to each other. This is the default: containing the right answer
    /// somewhere must not earn a reward.
    #[default]
    Invalid,
    /// Only the last boxed answer counts.
    Last,
}

/// Settings of a check.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// How the answer is found in the response.
    pub extract: ExtractOptions,
    /// Answer-spamming policy.
    pub conflict: ConflictPolicy,
    /// Relative tolerance for decimal answers to references that no decimal writes exactly
    /// (`1/3`, `\\sqrt2`, `\\pi`); `None` (default) demands exact equality. A terminating
    /// reference (`0.25`) is always matched exactly.
    pub decimal_tolerance: Option<f64>,
    /// Random points used to compare expressions with variables.
    pub points: usize,
    /// Whether the reference is prose to extract an answer from (otherwise it is parsed
    /// as an answer, after removing `$…$` and `\boxed{}` wrappers).
    pub extract_reference: bool,
    /// Exact values (default), or rounding to the reference's significant figures.
    pub numeric_precision: NumericPrecision,
    /// What `25\%` means against a number without `%` (default: the number, `25`).
    pub percent: PercentPolicy,
    /// Read a comma between digits as a decimal comma (`2,74` is 2.74). Off by default.
    pub decimal_comma: bool,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            extract: ExtractOptions::default(),
            conflict: ConflictPolicy::Invalid,
            decimal_tolerance: None,
            points: 6,
            extract_reference: false,
            numeric_precision: NumericPrecision::Exact,
            percent: PercentPolicy::Unit,
            decimal_comma: false,
        }
    }
}

/// The kind of verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The answer equals the reference.
    Equal,
    /// The answer differs from the reference.
    NotEqual,
    /// No answer was found in the response.
    NoAnswer,
    /// The response gives several different final answers (see [`ConflictPolicy`]).
    Conflict,
    /// An answer was found but is not a mathematical expression this engine reads.
    Unparsable,
    /// The reference itself cannot be parsed: a problem of the data, not of the response.
    ReferenceError,
    /// The work budget or deadline ran out, or the input asks for a value too large to
    /// compute. Distinct from `NotEqual`: nothing was decided.
    Exhausted,
}

impl Status {
    /// Stable lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Status::Equal => "equal",
            Status::NotEqual => "not_equal",
            Status::NoAnswer => "no_answer",
            Status::Conflict => "conflict",
            Status::Unparsable => "unparsable",
            Status::ReferenceError => "reference_error",
            Status::Exhausted => "exhausted",
        }
    }
}

/// A verdict with its explanation.
#[derive(Debug, Clone, PartialEq)]
pub struct Verdict {
    /// The kind of verdict.
    pub status: Status,
    /// The answer found in the response (absent for [`check_answer`] and when none found).
    pub extracted: Option<Extracted>,
    /// The answer text that was compared.
    pub answer: Option<String>,
    /// Canonical form of the parsed reference.
    pub reference_form: Option<String>,
    /// Canonical form of the parsed answer.
    pub answer_form: Option<String>,
    /// The rule that decided, or why nothing was decided.
    pub rule: String,
    /// For [`Status::Exhausted`]: which limit was hit (the deadline, the step budget, or a
    /// size limit).
    pub exhausted: Option<Exhausted>,
}

impl Verdict {
    /// Whether the answer was judged equal to the reference.
    pub fn is_equal(&self) -> bool {
        self.status == Status::Equal
    }

    fn new(status: Status, rule: impl Into<String>) -> Verdict {
        Verdict {
            status,
            extracted: None,
            answer: None,
            reference_form: None,
            answer_form: None,
            rule: rule.into(),
            exhausted: None,
        }
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.status.name(), self.rule)?;
        if let Some(a) = &self.answer {
            write!(f, " [answer `{a}`")?;
            if let Some(form) = &self.answer_form {
                write!(f, " = {form}")?;
            }
            write!(f, "]")?;
        }
        if let Some(r) = &self.reference_form {
            write!(f, " [reference = {r}]")?;
        }
        Ok(())
    }
}

/// Parses an answer given directly (a reference, or an already extracted answer):
/// `$…$`, `\(…\)` and `\boxed{}` wrappers are removed first.
pub fn parse_answer(s: &str, budget: &mut Steps) -> Result<Expr, ParseError> {
    parse_with(&clean(s), ParseOptions::default(), budget)
}

fn parse_opts(s: &str, opts: &Options, budget: &mut Steps) -> Result<Expr, ParseError> {
    parse_cleaned(&clean(s), opts, budget)
}

fn parse_cleaned(cleaned: &str, opts: &Options, budget: &mut Steps) -> Result<Expr, ParseError> {
    let p = ParseOptions {
        decimal_comma: opts.decimal_comma,
    };
    parse_with(cleaned, p, budget)
}

/// The text of an answer with presentation removed (spaces, `\left`, `\!`, `$`, `\dfrac`):
/// two answers with the same key are the same answer, whatever they contain.
fn identity_key(cleaned: &str) -> String {
    let mut t = cleaned.to_string();
    for (from, to) in [
        ("\\left", ""),
        ("\\right", ""),
        ("\\displaystyle", ""),
        ("\\dfrac", "\\frac"),
        ("\\tfrac", "\\frac"),
        ("\\!", ""),
        ("\\,", ""),
        ("\\;", ""),
        ("\\ ", ""),
        ("$", ""),
    ] {
        if t.contains(from) {
            t = t.replace(from, to);
        }
    }
    // Spaces go, except between two letters or two digits (`\\cot x`, `1 2`).
    let chars: Vec<char> = t.chars().collect();
    let mut out = String::with_capacity(t.len());
    for (i, &c) in chars.iter().enumerate() {
        if c.is_whitespace() {
            let prev = out.chars().last();
            let next = chars[i..].iter().find(|c| !c.is_whitespace());
            let keep = match (prev, next) {
                (Some(p), Some(n)) => {
                    p.is_alphabetic() && n.is_alphabetic()
                        || p.is_ascii_digit() && n.is_ascii_digit()
                }
                _ => false,
            };
            if keep && !out.ends_with(' ') {
                out.push(' ');
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Extracts the final answer of `response` and compares it with `reference`.
pub fn verify(reference: &str, response: &str, opts: &Options, budget: &mut Steps) -> Verdict {
    let reference_text = if opts.extract_reference {
        match extract_reference(reference, &opts.extract).answer {
            Some(e) => e.text,
            None => {
                return Verdict::new(Status::ReferenceError, "no answer found in the reference")
            }
        }
    } else {
        reference.to_string()
    };
    let extraction = extract(response, &opts.extract);
    let Some(found) = extraction.answer else {
        return Verdict::new(Status::NoAnswer, "no final answer found in the response");
    };
    let mut verdict = check_answer(&reference_text, &found.text, opts, budget);
    if verdict.status == Status::ReferenceError {
        verdict.extracted = Some(found);
        return verdict;
    }
    // A response that is only words (`no idea`, `Not sure`) answers a question whose answer
    // is words; against a mathematical reference it gave no answer.
    let quoted = |f: &Option<String>| f.as_deref().is_some_and(|f| f.starts_with('"'));
    if found.source == Source::Bare
        && verdict.status == Status::NotEqual
        && quoted(&verdict.answer_form)
        && !quoted(&verdict.reference_form)
    {
        let mut v = Verdict::new(
            Status::NoAnswer,
            "no mathematical answer: the response is only words and the reference is not",
        );
        v.reference_form = verdict.reference_form;
        v.extracted = Some(found);
        return v;
    }
    if opts.conflict == ConflictPolicy::Invalid && !extraction.alternatives.is_empty() {
        match find_conflict(&found.text, &extraction.alternatives, opts, budget) {
            Ok(None) => {}
            Ok(Some(rule)) => {
                verdict.status = Status::Conflict;
                verdict.rule = rule;
            }
            Err(x) => {
                verdict.status = Status::Exhausted;
                verdict.rule = format!("while checking for conflicting answers: {x}");
                verdict.exhausted = Some(x);
            }
        }
    }
    verdict.extracted = Some(found);
    verdict
}

/// Checks whether every earlier boxed answer is equivalent to the final one; returns the
/// conflict, described, if one is not.
fn find_conflict(
    last: &str,
    alternatives: &[String],
    opts: &Options,
    budget: &mut Steps,
) -> Result<Option<String>, Exhausted> {
    let settings = settings(opts, last);
    let Ok(last_expr) = parse_opts(last, opts, budget) else {
        return Ok(None);
    };
    for alt in alternatives {
        let same = match parse_opts(alt, opts, budget) {
            Ok(e) => match equivalent(&e, &last_expr, &settings, budget) {
                Ok(d) => d.equal,
                Err(x) => return Err(x),
            },
            Err(_) => false,
        };
        if !same {
            return Ok(Some(format!(
                "answer spamming: {} different boxed answers (`{alt}` and `{last}`)",
                alternatives.len() + 1
            )));
        }
    }
    Ok(None)
}

fn settings(opts: &Options, answer: &str) -> Settings {
    let b = answer.as_bytes();
    let answer_has_decimal =
        (0..b.len().saturating_sub(1)).any(|i| b[i] == b'.' && b[i + 1].is_ascii_digit());
    Settings {
        decimal_tolerance: opts.decimal_tolerance,
        points: opts.points,
        answer_has_decimal,
        percent: opts.percent,
    }
}

fn exhausted(e: Exhausted) -> Verdict {
    let mut v = Verdict::new(Status::Exhausted, e.to_string());
    v.exhausted = Some(e);
    v
}

/// Compares an answer (already extracted) with a reference.
pub fn check_answer(reference: &str, answer: &str, opts: &Options, budget: &mut Steps) -> Verdict {
    let (reference_clean, answer_clean) = (clean(reference), clean(answer));
    let identical = || {
        let mut v = Verdict::new(Status::Equal, "identical answers (after removing spacing)");
        v.answer = Some(answer.to_string());
        v
    };
    if reference_clean == answer_clean && !reference_clean.is_empty() {
        return identical();
    }
    let v = compare_cleaned(answer, &reference_clean, &answer_clean, opts, budget);
    // Identical text is the same answer, whatever the parser makes of it (checked only when
    // the comparison did not already say equal, to keep the common path fast).
    if matches!(
        v.status,
        Status::NotEqual | Status::Unparsable | Status::ReferenceError
    ) && same_digits(&reference_clean, &answer_clean)
    {
        let key = identity_key(&reference_clean);
        if !key.is_empty() && key == identity_key(&answer_clean) {
            return identical();
        }
    }
    v
}

/// Whether two texts have the same digits in the same order (a cheap pre-check for identity).
fn same_digits(a: &str, b: &str) -> bool {
    a.bytes()
        .filter(u8::is_ascii_digit)
        .eq(b.bytes().filter(u8::is_ascii_digit))
}

fn compare_cleaned(
    answer: &str,
    reference_clean: &str,
    answer_clean: &str,
    opts: &Options,
    budget: &mut Steps,
) -> Verdict {
    let reference = reference_clean;
    let reference_expr = match parse_cleaned(reference_clean, opts, budget) {
        Ok(e) => e,
        Err(ParseError::Exhausted(x @ (Exhausted::Deadline | Exhausted::Steps))) => {
            let mut v = exhausted(x);
            v.rule = format!("while parsing the reference: {}", v.rule);
            v.answer = Some(answer.to_string());
            return v;
        }
        Err(e) => {
            let mut v = Verdict::new(Status::ReferenceError, format!("reference: {e}"));
            v.answer = Some(answer.to_string());
            return v;
        }
    };
    let mut v = Verdict::new(Status::NotEqual, String::new());
    v.answer = Some(answer.to_string());
    v.reference_form = Some(reference_expr.to_string());
    let answer_expr = match parse_cleaned(answer_clean, opts, budget) {
        Ok(e) => e,
        Err(ParseError::Exhausted(x)) => {
            let mut e = exhausted(x);
            e.answer = v.answer;
            e.reference_form = v.reference_form;
            return e;
        }
        Err(e) => {
            // A textual reference ("Evelyn") may meet an answer this parser rejects
            // ("Evelyn!?"); only then is the text compared.
            let text_match = match &reference_expr {
                Expr::Text(t) => *t == normalize_text(answer_clean),
                _ => false,
            };
            if text_match {
                v.status = Status::Equal;
                v.rule = "same text".into();
            } else {
                v.status = Status::Unparsable;
                v.rule = e.to_string();
            }
            return v;
        }
    };
    v.answer_form = Some(answer_expr.to_string());
    if let Expr::Text(t) = &reference_expr {
        let same = match &answer_expr {
            Expr::Text(u) => t == u,
            _ => *t == normalize_text(answer_clean),
        };
        v.status = if same {
            Status::Equal
        } else {
            Status::NotEqual
        };
        v.rule = if same { "same text" } else { "different text" }.into();
        return v;
    }
    match equivalent(
        &reference_expr,
        &answer_expr,
        &settings(opts, answer),
        budget,
    ) {
        Ok(d) => {
            v.status = if d.equal {
                Status::Equal
            } else {
                Status::NotEqual
            };
            v.rule = d.rule;
            if !d.equal && opts.numeric_precision == NumericPrecision::Reference {
                match at_reference_precision(reference, &answer_expr, budget) {
                    Ok(Some(rule)) => {
                        v.status = Status::Equal;
                        v.rule = rule;
                    }
                    Ok(None) => {}
                    Err(x) => {
                        v.status = Status::Exhausted;
                        v.rule = x.to_string();
                        v.exhausted = Some(x);
                    }
                }
            }
        }
        Err(x) => {
            v.status = Status::Exhausted;
            v.rule = x.to_string();
            v.exhausted = Some(x);
        }
    }
    v
}

/// A decimal numeral reference (`6630`, `-0.0123`, `4.4 \times 10^{7}`, `4.4e7`): its value
/// and its number of significant figures.
fn decimal_reference(text: &str) -> Option<(BigRational, u32)> {
    let t: String = clean(text)
        .replace("\\times", "*")
        .replace("\\cdot", "*")
        .replace('×', "*")
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '{' && *c != '}')
        .collect();
    let (neg, t) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.as_str()),
    };
    let mant_len = t
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(t.len());
    let (mant, rest) = t.split_at(mant_len);
    let exp: i64 = if rest.is_empty() {
        0
    } else if let Some(e) = rest.strip_prefix('e').or_else(|| rest.strip_prefix('E')) {
        e.trim_start_matches('+').parse().ok()?
    } else {
        rest.strip_prefix("*10^")?
            .trim_start_matches('+')
            .parse()
            .ok()?
    };
    if mant.is_empty() || mant.matches('.').count() > 1 || exp.abs() > 400 {
        return None;
    }
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    // An integer without trailing zeros (`2`, `34`) is exact, not a rounded value.
    if rest.is_empty() && !mant.contains('.') && !int.ends_with('0') {
        return None;
    }
    let digits = format!("{int}{frac}");
    if digits.is_empty() || digits.len() > 100 {
        return None;
    }
    let significant = digits.trim_start_matches('0');
    let significant = if mant.contains('.') {
        significant
    } else {
        significant.trim_end_matches('0')
    };
    let figures = significant.len().max(1) as u32;
    let n: BigInt = digits.parse().ok()?;
    let scale = exp - frac.len() as i64;
    let ten = BigInt::from(10);
    let mut value = if scale >= 0 {
        BigRational::from_integer(n * Pow::pow(&ten, scale as u64))
    } else {
        BigRational::new(n, Pow::pow(&ten, scale.unsigned_abs()))
    };
    if neg {
        value = -value;
    }
    Some((value, figures))
}

/// `v` rounded to `figures` significant figures (halves away from zero).
fn round_significant(v: &BigRational, figures: u32) -> BigRational {
    if v.is_zero() {
        return v.clone();
    }
    let a = v.abs();
    let ten = BigRational::from_integer(BigInt::from(10));
    // 10^e <= a < 10^(e+1)
    let mut e: i64 = ((a.numer().bits() as f64 - a.denom().bits() as f64)
        * std::f64::consts::LOG10_2)
        .floor() as i64;
    let pow10 = |k: i64| -> BigRational {
        if k >= 0 {
            Pow::pow(&ten, k as u64)
        } else {
            Pow::pow(&ten, k.unsigned_abs()).recip()
        }
    };
    while pow10(e) > a {
        e -= 1;
    }
    while pow10(e + 1) <= a {
        e += 1;
    }
    let unit = pow10(e - i64::from(figures) + 1);
    let half = BigRational::new(BigInt::one(), BigInt::from(2));
    let rounded = (&a / &unit + half).floor() * unit;
    if v.is_negative() {
        -rounded
    } else {
        rounded
    }
}

/// Under [`NumericPrecision::Reference`]: whether the answer, rounded to the reference's
/// significant figures, is the reference.
fn at_reference_precision(
    reference: &str,
    answer: &Expr,
    budget: &mut Steps,
) -> Result<Option<String>, Exhausted> {
    let Some((value, figures)) = decimal_reference(reference) else {
        return Ok(None);
    };
    if !answer.is_scalar() || !answer.is_constant() || value.numer().bits() > 4_000 {
        return Ok(None);
    }
    let a = match eval_exact(answer, &[], budget) {
        Ok(g) if g.is_real() => g.re,
        Ok(_) => return Ok(None),
        Err(EvalError::NotExact) => match eval_numeric(answer, &[], budget) {
            Ok(c) if c.is_real() => c.re.to_rational(),
            Ok(_) => return Ok(None),
            Err(EvalError::Exhausted(x)) => return Err(x),
            Err(_) => return Ok(None),
        },
        Err(EvalError::Exhausted(x)) => return Err(x),
        Err(_) => return Ok(None),
    };
    if a.numer().bits() > 4_000 || a.denom().bits() > 4_000 {
        return Ok(None);
    }
    Ok((round_significant(&a, figures) == value).then(|| {
        format!("equal at the reference's {figures} significant figures (numeric_precision = reference)")
    }))
}

//! The top-level check: extract an answer from a response, parse both sides, compare, and
//! explain the verdict.

use crate::budget::{Budget, Exhausted};
use crate::equiv::{equivalent, Settings};
use crate::expr::Expr;
use crate::extract::{clean, extract, ExtractOptions, Extracted};
use crate::parser::{normalize_text, parse, ParseError};
use std::fmt;

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
}

impl Default for Options {
    fn default() -> Self {
        Options {
            extract: ExtractOptions::default(),
            conflict: ConflictPolicy::Invalid,
            decimal_tolerance: None,
            points: 6,
            extract_reference: false,
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
pub fn parse_answer(s: &str, budget: &mut Budget) -> Result<Expr, ParseError> {
    parse(&clean(s), budget)
}

/// Extracts the final answer of `response` and compares it with `reference`.
pub fn verify(reference: &str, response: &str, opts: &Options, budget: &mut Budget) -> Verdict {
    let reference_text = if opts.extract_reference {
        match extract(reference, &opts.extract).answer {
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
    budget: &mut Budget,
) -> Result<Option<String>, Exhausted> {
    let settings = settings(opts, last);
    let Ok(last_expr) = parse_answer(last, budget) else {
        return Ok(None);
    };
    for alt in alternatives {
        let same = match parse_answer(alt, budget) {
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
    }
}

fn exhausted(e: Exhausted) -> Verdict {
    let mut v = Verdict::new(Status::Exhausted, e.to_string());
    v.exhausted = Some(e);
    v
}

/// Compares an answer (already extracted) with a reference.
pub fn check_answer(reference: &str, answer: &str, opts: &Options, budget: &mut Budget) -> Verdict {
    let reference_expr = match parse_answer(reference, budget) {
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
    let answer_expr = match parse_answer(answer, budget) {
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
                Expr::Text(t) => *t == normalize_text(&clean(answer)),
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
            _ => *t == normalize_text(&clean(answer)),
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
        }
        Err(x) => {
            v.status = Status::Exhausted;
            v.rule = x.to_string();
            v.exhausted = Some(x);
        }
    }
    v
}

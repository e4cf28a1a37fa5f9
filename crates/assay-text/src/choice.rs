//! `choice`: multiple-choice answers. Reads the answer letter the response gives and compares
//! it with the reference letter.
//!
//! ```toml
//! [graders.mc]
//! kind = "choice"
//! letters = "ABCDEFGHIJ"      # the option letters that count as answers
//! final_letter = true         # fall back to a bare letter ending the response
//! ```
//!
//! ## How the letter is read
//!
//! Candidates are found in three tiers; the first tier with a candidate decides, and within a
//! tier **the last candidate in the response wins** (models revise: "A? No, the answer is C";
//! when the candidates disagree, the explanation lists them under `conflicting`).
//!
//! 1. explicit: an answer phrase — `Answer: C`, `the answer is (C)`, `Final answer: **C**`,
//!    `the correct option is C`, `answer is $\text{C}$` — or `\boxed{C}` (also `\boxed{(C)}`,
//!    `\boxed{\text{C}}`), or an answer tag holding just the letter (`<answer>C</answer>`,
//!    `<answer> (c) </answer>`), as R1-style formats write it;
//! 2. marked: a parenthesized capital `(C)` not glued to a word (so `P(A)` is not an answer), or
//!    a bold letter `**C**`;
//! 3. final letter (when `final_letter` is on): the last line is just the letter, perhaps
//!    decorated (`C`, `(C)`, `C.`, `**C**`), or ends with one after `:`, `=` or `is`
//!    (`So it is C.`).
//!
//! A letter must stand alone: `Answer: Cats` reads nothing. Letters that are also English words
//! are guarded: after an answer phrase, a bare `A` or `I` followed by a lowercase word is read as
//! a word (`Answer: I think it is B` gives B, `The answer: A car …` gives nothing) unless the
//! word is a connective (`The answer is A because …` gives A). A response that only mentions a
//! letter in passing (`A car travels …`, `I think so`) has no answer: `invalid`, reward 0.
//!
//! Lowercase letters are read only where they cannot be words: `\boxed{c}` and `(c)` right
//! after an answer phrase.
//!
//! ## Why ten letters by default
//!
//! `letters` defaults to `ABCDEFGHIJ` because MMLU-Pro and similar benchmarks have up to ten
//! options. A wider set only changes which letters can be read, never how the reference is
//! matched, and it reads what the model actually said: with only `ABCD`, a model answering `E`
//! to a four-option question would have its `E` skipped and an earlier, unrelated `(B)` read
//! instead. Narrow it when a dataset's letters are fewer and you want `invalid` for letters
//! outside them.
//!
//! Reference: one letter, `"C"`, `"(C)"`, `"C."` or `"c"`, among `letters`. Reward 1 when the
//! letters are equal, else 0. `pred` is the letter read; the explanation names the pattern
//! that matched and the text it matched.
//!
//! Cost: a few linear-time regex scans of the response, checking the item's budget as
//! candidates are found.

use std::sync::Arc;

use ::regex::Regex;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use assay_core::{
    Budget, BuildContext, ErrorKind, Expired, Grader, GraderKind, Item, Outcome, SharedGrader,
};

use crate::common::{describe, excerpt};

fn default_letters() -> String {
    "ABCDEFGHIJ".into()
}

fn yes() -> bool {
    true
}

/// Options of `choice`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ChoiceOptions {
    /// The option letters that count as answers (case does not matter). The default covers
    /// ten-option benchmarks such as MMLU-Pro.
    #[serde(default = "default_letters")]
    pub letters: String,
    /// Whether a bare letter ending the response (its last line is `C`, `(C)`, `C.`, or ends
    /// in `… is C.`) counts when no explicit or marked answer is found.
    #[serde(default = "yes")]
    pub final_letter: bool,
}

/// How many conflicting answers the explanation lists (the last ones).
const MAX_LISTED: usize = 16;

/// Words after a bare `A` or `I` that still let it be an answer letter.
const CONNECTIVES: &[&str] = &[
    "according",
    "and",
    "as",
    "based",
    "because",
    "but",
    "by",
    "due",
    "for",
    "from",
    "given",
    "hence",
    "here",
    "in",
    "is",
    "on",
    "or",
    "per",
    "since",
    "so",
    "then",
    "there",
    "therefore",
    "thus",
    "was",
    "which",
    "with",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tier {
    Explicit,
    Marked,
    Final,
}

struct Pattern {
    name: &'static str,
    tier: Tier,
    regex: Regex,
}

/// A letter found in the response.
#[derive(Debug, Clone)]
struct Candidate {
    /// Byte offset of the letter.
    at: usize,
    letter: char,
    pattern: &'static str,
    tier: Tier,
    /// Byte range of the whole match.
    span: (usize, usize),
}

/// The `choice` grader.
pub struct Choice {
    letters: String,
    patterns: Vec<Pattern>,
}

impl Choice {
    /// A grader reading letters from `letters` (uppercase ASCII, no repeats).
    pub fn new(letters: &str, final_letter: bool) -> Result<Self, String> {
        let upper = letters.to_ascii_uppercase();
        if upper.is_empty() {
            return Err("`letters` is empty: give the option letters, e.g. \"ABCD\"".into());
        }
        if let Some(bad) = upper.chars().find(|c| !c.is_ascii_uppercase()) {
            return Err(format!(
                "`letters` must be ASCII letters only, found {bad:?} in {letters:?}"
            ));
        }
        let mut seen = Vec::new();
        for c in upper.chars() {
            if seen.contains(&c) {
                return Err(format!("`letters` repeats {c:?}: {letters:?}"));
            }
            seen.push(c);
        }
        let u = format!("[{upper}]");
        let ul = format!("[{upper}{}]", upper.to_ascii_lowercase());
        let open = r#"[\s\*_"'`\$\[]*"#;
        let close = r#"[\*_"'`\$\]\.\!\)]*"#;
        let phrase_head = r"(?i:\banswer\b|\b(?:correct|right|best|final)\s+(?:option|choice)\b)";
        let phrase_sep = r"(?:[\s:：=\*_\-–—]|(?i:\bis\b|\bwould\s+be\b|\bshould\s+be\b|\bwill\s+be\b|\bmust\s+be\b))*";
        let mut sources = vec![
            (
                "boxed",
                Tier::Explicit,
                format!(
                    r"\\boxed\s*\{{\s*(?:\\(?:text|textbf|mathrm|mathbf)\s*\{{\s*)?\(?\s*(?P<l>{ul})\s*\)?\s*\}}"
                ),
            ),
            (
                "answer tag",
                Tier::Explicit,
                format!(r"(?i:<answer>)\s*{open}\(?\s*(?P<l>{ul})\s*\)?{close}\s*(?i:</answer>)"),
            ),
            (
                "answer phrase",
                Tier::Explicit,
                format!(
                    r"{phrase_head}{phrase_sep}(?i:(?:option|choice|letter)\s*)?{open}(?:\(\s*(?P<p>{ul})\s*\)|\\(?:text|textbf|mathrm|mathbf)\s*\{{\s*(?P<t>{u})\s*\}}|(?P<b>{u})\b)"
                ),
            ),
            (
                "parenthesized",
                Tier::Marked,
                format!(r"(?:^|[^\w\\])\((?P<l>{u})\)"),
            ),
            (
                "bold",
                Tier::Marked,
                format!(r"(?:\*\*|__)\s*\(?(?P<l>{u})\)?\.?\s*(?:\*\*|__)"),
            ),
        ];
        if final_letter {
            sources.push((
                "final letter",
                Tier::Final,
                format!(r#"(?:\A|\n)[\s\*_\(\["'\$]*(?P<l>{u}){close}\s*\z"#),
            ));
            sources.push((
                "final letter",
                Tier::Final,
                format!(r"(?:[:=]|\bis)[ \t]*{open}\(?(?P<l>{u}){close}\s*\z"),
            ));
        }
        let patterns = sources
            .into_iter()
            .map(|(name, tier, source)| {
                Regex::new(&source)
                    .map(|regex| Pattern { name, tier, regex })
                    .map_err(|e| format!("internal pattern {name} failed to compile: {e}"))
            })
            .collect::<Result<_, _>>()?;
        Ok(Choice {
            letters: upper,
            patterns,
        })
    }

    /// The candidate letters of the first tier that has any (all of them, in order), or
    /// `Expired` when the budget runs out.
    fn candidates(&self, text: &str, budget: &Budget) -> Result<Vec<Candidate>, Expired> {
        let mut meter = budget.meter(64);
        let mut found: Vec<Candidate> = Vec::new();
        for pattern in &self.patterns {
            if found.last().is_some_and(|c| c.tier != pattern.tier) {
                break;
            }
            for caps in pattern.regex.captures_iter(text) {
                meter.tick()?;
                let Some(m) = ["l", "p", "t", "b"].iter().find_map(|g| caps.name(g)) else {
                    continue;
                };
                let letter = m
                    .as_str()
                    .chars()
                    .next()
                    .expect("a letter")
                    .to_ascii_uppercase();
                if caps.name("b").is_some() && is_word_use(letter, &text[m.end()..]) {
                    continue;
                }
                let whole = caps.get(0).expect("whole match");
                found.push(Candidate {
                    at: m.start(),
                    letter,
                    pattern: pattern.name,
                    tier: pattern.tier,
                    span: (whole.start(), whole.end()),
                });
            }
        }
        found.sort_by_key(|c| c.at);
        Ok(found)
    }

    /// The reference letter, or what is wrong with the reference.
    fn reference(&self, reference: &Value) -> Result<char, String> {
        let shape = format!(
            "expected the reference to be one answer letter among {} such as \"C\" or \"(C)\"",
            self.letters
        );
        let Some(text) = reference.as_str() else {
            return Err(format!("{shape}, got {}", describe(reference)));
        };
        let core = text
            .trim()
            .trim_start_matches(['(', '['])
            .trim_end_matches([')', ']', '.'])
            .trim();
        let mut chars = core.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) if c.is_ascii_alphabetic() => {
                let c = c.to_ascii_uppercase();
                if self.letters.contains(c) {
                    Ok(c)
                } else {
                    Err(format!(
                        "the reference letter {c} is not among the letters {}; set `letters`",
                        self.letters
                    ))
                }
            }
            _ => Err(format!("{shape}, got {}", describe(reference))),
        }
    }
}

/// Whether a bare `A` or `I` followed by `rest` reads as an English word rather than a letter.
fn is_word_use(letter: char, rest: &str) -> bool {
    if !matches!(letter, 'A' | 'I') {
        return false;
    }
    let trimmed = rest.trim_start_matches([' ', '\t']);
    if trimmed.len() == rest.len() {
        return false;
    }
    let word: String = trimmed
        .chars()
        .take_while(|c| c.is_alphabetic())
        .take(16)
        .collect();
    match word.chars().next() {
        Some(c) if c.is_lowercase() => !CONNECTIVES.contains(&word.as_str()),
        _ => false,
    }
}

impl Grader for Choice {
    fn components(&self) -> Vec<String> {
        Vec::new()
    }

    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        let gold = match self.reference(&item.reference) {
            Ok(c) => c,
            Err(message) => return Outcome::error(ErrorKind::BadReference, message),
        };
        let response = item.response_text();
        if response.trim().is_empty() {
            return Outcome::invalid(0.0, "empty response");
        }
        let candidates = match self.candidates(response, budget) {
            Ok(c) => c,
            Err(expired) => {
                return Outcome::timeout(format!("reading the answer letter: {expired}"))
            }
        };
        let Some(chosen) = candidates.last() else {
            return Outcome::invalid(
                0.0,
                format!(
                    "no answer letter ({}) found: no answer phrase, \\boxed{{}}, (X), **X** or final letter",
                    self.letters
                ),
            );
        };
        let mut letters: Vec<char> = Vec::new();
        for c in &candidates {
            if letters.last() != Some(&c.letter) {
                letters.push(c.letter);
            }
        }
        let mut outcome = Outcome::ok(if chosen.letter == gold { 1.0 } else { 0.0 })
            .pred(chosen.letter.to_string())
            .explain("pattern", chosen.pattern)
            .explain(
                "matched",
                excerpt(response[chosen.span.0..chosen.span.1].trim(), 80),
            );
        let mut distinct = letters.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() > 1 {
            // The last few changes of mind are what a reader needs; keep the explanation small.
            let skip = letters.len().saturating_sub(MAX_LISTED);
            let seq: Vec<String> = letters[skip..].iter().map(char::to_string).collect();
            outcome = outcome
                .explain("conflicting", json!(seq))
                .explain("rule", "several answers disagree: the last one counts");
        }
        outcome
    }
}

/// The `choice` kind.
pub struct ChoiceKind;

impl GraderKind for ChoiceKind {
    type Options = ChoiceOptions;
    const NAME: &'static str = "choice";
    const FAMILY: &'static str = "text";
    const SUMMARY: &'static str = "Reads a multiple-choice answer letter (\"Answer: C\", \"(C)\", \"\\boxed{C}\", a final letter) and compares it with the reference letter.";
    const REFERENCE: &'static str =
        "one answer letter: \"C\", \"(C)\", \"C.\" or \"c\", among `letters`";
    const EXAMPLE: &'static str = r#"
[graders.choice]
kind = "choice"
letters = "ABCD"        # the options of the question
"#;

    fn build(options: ChoiceOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        Ok(Arc::new(Choice::new(
            &options.letters,
            options.final_letter,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use assay_core::{ErrorKind, Item, Status};
    use serde_json::json;

    use crate::testing::{build_error, engine, grade_one};

    /// (response, letter read or None, pattern)
    const READS: &[(&str, Option<char>, &str)] = &[
        // Explicit answer phrases.
        ("Answer: C", Some('C'), "answer phrase"),
        ("answer: C", Some('C'), "answer phrase"),
        ("The answer is (C)", Some('C'), "answer phrase"),
        ("So the answer is C.", Some('C'), "answer phrase"),
        ("the answer is C.", Some('C'), "answer phrase"),
        ("Final Answer: **C**", Some('C'), "answer phrase"),
        ("**Answer:** C", Some('C'), "answer phrase"),
        ("**Answer**: (D) 42", Some('D'), "answer phrase"),
        ("The correct option is B", Some('B'), "answer phrase"),
        ("The answer is option E", Some('E'), "answer phrase"),
        ("The answer is $\\text{B}$", Some('B'), "answer phrase"),
        ("The answer is (c)", Some('C'), "answer phrase"),
        ("The answer would be B", Some('B'), "answer phrase"),
        ("Answer:\n\nJ", Some('J'), "answer phrase"),
        (
            "The answer is A because the car is faster.",
            Some('A'),
            "answer phrase",
        ),
        // \boxed.
        ("so $\\boxed{C}$", Some('C'), "boxed"),
        (
            "<think>A car is slow.</think><answer>C</answer>",
            Some('C'),
            "answer tag",
        ),
        ("<answer> (b) </answer>", Some('B'), "answer tag"),
        ("<answer>**D**</answer>", Some('D'), "answer tag"),
        ("<answer>I am not sure.</answer>", None, ""),
        ("\\boxed{(B)}", Some('B'), "boxed"),
        ("\\boxed{\\text{D}}", Some('D'), "boxed"),
        ("\\boxed{ c }", Some('C'), "boxed"),
        // Marked letters.
        ("I pick (C)", Some('C'), "parenthesized"),
        ("It must be **B**.", Some('B'), "bold"),
        ("It must be **(B)**.", Some('B'), "bold"),
        // Final letter.
        ("C", Some('C'), "final letter"),
        ("Let me think.\n\nB", Some('B'), "final letter"),
        ("Let me think.\nB.", Some('B'), "final letter"),
        ("Working...\n  D)  \n", Some('D'), "final letter"),
        ("Is it A? No. It is B.", Some('B'), "final letter"),
        ("My choice: C", Some('C'), "final letter"),
        // Letters that are words, not answers.
        ("A car travels 60 miles in one hour.", None, ""),
        ("I think so.", None, ""),
        ("I think the answer is B", Some('B'), "answer phrase"),
        ("Answer: I think it is D", Some('D'), "final letter"),
        ("The answer: A car is faster", None, ""),
        ("Answer: Cats", None, ""),
        ("P(A) = 0.5 and P(B) = 0.2", None, ""),
        ("The answer is not obvious.", None, ""),
        ("\\boxed{Cat}", None, ""),
        ("a", None, ""),
        ("Plan K.", None, ""),
        ("Plan A.", None, ""),
        ("A. Paris\nB. London\nC. Rome", None, ""),
        ("Option A is incorrect.", None, ""),
        ("In case I, the sum is even.", None, ""),
        ("The answer is I", Some('I'), "answer phrase"),
        ("Q", None, ""),
        // Conflicts: the last explicit answer counts, and explicit beats marked.
        (
            "Answer: A. Wait, re-checking... Answer: C",
            Some('C'),
            "answer phrase",
        ),
        (
            "\\boxed{B} ... actually the answer is D",
            Some('D'),
            "answer phrase",
        ),
        (
            "The answer is B. (A) is wrong and (C) is wrong.",
            Some('B'),
            "answer phrase",
        ),
        ("(A) is wrong, (C) is right", Some('C'), "parenthesized"),
        ("Answer: B\nC", Some('B'), "answer phrase"),
    ];

    #[test]
    fn reads_the_answer_letter() {
        for &(response, letter, pattern) in READS {
            let r = grade_one("choice", &json!({}), response, json!("C"));
            match letter {
                Some(l) => {
                    assert_eq!(r.status, Status::Ok, "{response:?}: {:?}", r.explanation);
                    assert_eq!(
                        r.pred.as_deref(),
                        Some(l.to_string().as_str()),
                        "{response:?}: {:?}",
                        r.explanation
                    );
                    assert_eq!(r.reward, Some(if l == 'C' { 1.0 } else { 0.0 }));
                    assert_eq!(r.explanation["pattern"], json!(pattern), "{response:?}");
                }
                None => {
                    assert_eq!(
                        r.status,
                        Status::Invalid,
                        "{response:?}: {:?}",
                        r.explanation
                    );
                    assert_eq!(r.reward, Some(0.0));
                    assert_eq!(r.pred, None);
                }
            }
        }
    }

    #[test]
    fn conflicting_answers_are_explained() {
        let r = grade_one(
            "choice",
            &json!({}),
            "Answer: A. Hmm, no. Answer: B. Final answer: C",
            json!("C"),
        );
        assert_eq!(r.reward, Some(1.0));
        assert_eq!(r.explanation["conflicting"], json!(["A", "B", "C"]));
        assert_eq!(r.explanation["matched"], json!("answer: C"));
    }

    #[test]
    fn options_change_what_is_read() {
        let cases = [
            (json!({"letters": "ABCD"}), "Answer: E", None),
            (json!({"letters": "abcd"}), "Answer: D", Some("D")),
            (json!({"final_letter": false}), "Thinking.\nC", None),
            (json!({"final_letter": true}), "Thinking.\nC", Some("C")),
            (
                json!({"letters": "ABCDEFGHIJKLMNOPQRSTUVWXYZ"}),
                "Answer: Q",
                Some("Q"),
            ),
        ];
        for (options, response, pred) in cases {
            let r = grade_one("choice", &options, response, json!("A"));
            assert_eq!(r.pred.as_deref(), pred, "{options} {response:?}");
        }
    }

    #[test]
    fn reference_shapes() {
        for reference in ["C", "(C)", "c", " C ", "C.", "[C]", "(c)"] {
            let r = grade_one("choice", &json!({}), "Answer: C", json!(reference));
            assert_eq!(r.reward, Some(1.0), "{reference:?}");
        }
        let cases = [
            (
                json!(2),
                "one answer letter among ABCDEFGHIJ such as \"C\" or \"(C)\", got number 2",
            ),
            (json!("CD"), "got string \"CD\""),
            (json!(""), "got string \"\""),
            (
                json!("K"),
                "the reference letter K is not among the letters ABCDEFGHIJ",
            ),
            (json!(["C"]), "got a list of 1 element(s)"),
            (json!(null), "got null"),
        ];
        for (reference, message) in cases {
            let r = grade_one("choice", &json!({}), "Answer: C", reference.clone());
            assert_eq!(r.status, Status::Error, "{reference}");
            let error = r.error.unwrap();
            assert_eq!(error.kind, ErrorKind::BadReference);
            assert!(error.message.contains(message), "{}", error.message);
        }
    }

    #[test]
    fn bad_options() {
        let cases = [
            (json!({"letters": ""}), "`letters` is empty"),
            (
                json!({"letters": "AB1"}),
                "`letters` must be ASCII letters only, found '1'",
            ),
            (json!({"letters": "ABA"}), "`letters` repeats 'A'"),
            (
                json!({"letters": ["A", "B"]}),
                "invalid type: sequence, expected a string",
            ),
            (
                json!({"final_letter": "yes"}),
                "invalid type: string \"yes\", expected a boolean",
            ),
            (
                json!({"options": "ABCD"}),
                "unknown field `options`, expected `letters` or `final_letter`",
            ),
        ];
        for (options, message) in cases {
            let text = build_error("choice", &options);
            assert!(text.contains(message), "{options}: {text}");
        }
    }

    #[test]
    fn long_responses_respect_the_budget() {
        use assay_core::{Budget, Grader};
        let grader = super::Choice::new("ABCD", true).unwrap();
        let text = "(A) **B** ".repeat(10_000);
        let item = Item::new(text, "B");
        let expired = grader.grade(&item, &Budget::new(Some(std::time::Duration::ZERO)));
        assert_eq!(expired.status, Status::Timeout);
        let graded = grader.grade(&item, &Budget::unlimited());
        assert_eq!(graded.pred.as_deref(), Some("B"));
        assert_eq!(
            graded.explanation["conflicting"].as_array().unwrap().len(),
            super::MAX_LISTED
        );
    }

    #[test]
    fn empty_and_chat_responses() {
        let r = grade_one("choice", &json!({}), "", json!("A"));
        assert_eq!(r.status, Status::Invalid);
        assert_eq!(r.explanation["reason"], json!("empty response"));
        let e = engine("[graders.mc]\nkind = \"choice\"\n");
        let item: Item = serde_json::from_value(json!({
            "response": [{"role": "user", "content": "Answer: B"},
                         {"role": "assistant", "content": "Answer: A"}],
            "reference": "A"
        }))
        .unwrap();
        assert_eq!(e.score(&[item])[0].reward, Some(1.0));
    }

    #[test]
    fn documented_example_works() {
        let e = engine(
            r#"
            [graders.mc]
            kind = "choice"
            letters = "ABCDEFGHIJ"      # the option letters that count as answers
            final_letter = true         # fall back to a bare letter ending the response
            "#,
        );
        let r = e.score(&[Item::new("The answer is (H).", "H")]);
        assert_eq!(r[0].reward, Some(1.0));
    }
}

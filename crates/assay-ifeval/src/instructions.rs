//! The 25 IFEval instruction kinds: parsing their kwargs and checking a response (spec §4).
//!
//! Each check returns whether the instruction is followed and the measured quantity in words
//! ("number_words: 287, needs at least 300").

use std::fmt;

use regex::{Regex, RegexBuilder};
use serde_json::{Map, Value};

use crate::language;
use crate::pytext::{self, count_words, is_boundary, is_lower, is_upper, strip, PY_WS};
use crate::sentences::{count_sentences, word_tokens};

/// Every instruction id, in the order of the grader's components.
pub const IDS: [&str; 25] = [
    "keywords:existence",
    "keywords:frequency",
    "keywords:forbidden_words",
    "keywords:letter_frequency",
    "language:response_language",
    "length_constraints:number_sentences",
    "length_constraints:number_paragraphs",
    "length_constraints:number_words",
    "length_constraints:nth_paragraph_first_word",
    "detectable_content:number_placeholders",
    "detectable_content:postscript",
    "detectable_format:number_bullet_lists",
    "detectable_format:constrained_response",
    "detectable_format:number_highlighted_sections",
    "detectable_format:multiple_sections",
    "detectable_format:json_format",
    "detectable_format:title",
    "combination:two_responses",
    "combination:repeat_prompt",
    "startend:end_checker",
    "startend:quotation",
    "change_case:capital_word_frequency",
    "change_case:english_capital",
    "change_case:english_lowercase",
    "punctuation:no_comma",
];

/// Every instruction id the grader knows: IFEval's 25, IFBench's 58, then the 29 training
/// constraints, in the order of the grader's components.
pub fn all_ids() -> &'static [&'static str] {
    use std::sync::OnceLock;
    static ALL: OnceLock<Vec<&'static str>> = OnceLock::new();
    ALL.get_or_init(|| {
        IDS.iter()
            .chain(crate::ifbench::IDS.iter())
            .chain(crate::train::IDS.iter())
            .copied()
            .collect()
    })
}

/// The component name of an instruction id: the part after the `:`, or the whole id where two
/// known ids share that part (`words:palindrome`, `keywords:palindrome`).
pub fn component_name(id: &str) -> &str {
    let short = id.split_once(':').map_or(id, |(_, name)| name);
    let shared = all_ids()
        .iter()
        .filter(|other| other.split_once(':').map_or(**other, |(_, n)| n) == short)
        .count();
    if shared > 1 {
        id
    } else {
        short
    }
}

/// IFEval's comparison relations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// `"less than"`: actual < N.
    LessThan,
    /// `"at least"`: actual ≥ N.
    AtLeast,
}

impl Relation {
    fn holds(self, actual: usize, n: usize) -> bool {
        match self {
            Relation::LessThan => actual < n,
            Relation::AtLeast => actual >= n,
        }
    }
}

impl fmt::Display for Relation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Relation::LessThan => "less than",
            Relation::AtLeast => "at least",
        })
    }
}

/// One instruction with its arguments.
#[derive(Debug, Clone)]
pub enum Instruction {
    /// keywords:existence: each keyword with its pattern.
    Existence(Vec<(String, Regex)>),
    /// keywords:frequency
    Frequency(String, Regex, usize, Relation),
    /// keywords:forbidden_words: each word with its pattern.
    Forbidden(Vec<(String, Regex)>),
    /// keywords:letter_frequency
    Letter(char, usize, Relation),
    /// language:response_language
    Language(String),
    /// length_constraints:number_sentences
    Sentences(usize, Relation),
    /// length_constraints:number_paragraphs
    Paragraphs(usize),
    /// length_constraints:number_words
    Words(usize, Relation),
    /// length_constraints:nth_paragraph_first_word: paragraphs, nth, first word.
    NthParagraph(usize, usize, String),
    /// detectable_content:number_placeholders
    Placeholders(usize),
    /// detectable_content:postscript: the marker and the pattern that finds it.
    Postscript(String, Regex),
    /// detectable_format:number_bullet_lists
    Bullets(usize),
    /// detectable_format:constrained_response
    Constrained,
    /// detectable_format:number_highlighted_sections
    Highlights(usize),
    /// detectable_format:multiple_sections: splitter, its pattern, count.
    Sections(String, Regex, usize),
    /// detectable_format:json_format
    Json,
    /// detectable_format:title
    Title,
    /// combination:two_responses
    TwoResponses,
    /// combination:repeat_prompt
    RepeatPrompt(String),
    /// startend:end_checker
    EndChecker(String),
    /// startend:quotation
    Quotation,
    /// change_case:capital_word_frequency
    CapitalWords(usize, Relation),
    /// change_case:english_capital
    EnglishCapital,
    /// change_case:english_lowercase
    EnglishLowercase,
    /// punctuation:no_comma
    NoComma,
    /// One of IFBench's 58 constraints.
    Bench(Box<crate::ifbench::Bench>),
    /// One of the 29 training constraints.
    Train(Box<crate::train::Train>),
}

/// The verdict of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Whether the instruction is followed.
    pub followed: bool,
    /// The measured quantity against the requirement, in words.
    pub detail: String,
}

/// Reads the kwargs of one instruction. Null, and the falsy values lm-eval drops, are absent.
struct Kwargs<'a> {
    id: &'a str,
    map: &'a Map<String, Value>,
}

impl Kwargs<'_> {
    fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| match v {
            Value::Null => false,
            Value::String(s) => !s.is_empty(),
            Value::Array(a) => !a.is_empty(),
            Value::Number(n) => n.as_f64() != Some(0.0),
            Value::Bool(b) => *b,
            Value::Object(o) => !o.is_empty(),
        })
    }

    fn missing(&self, key: &str) -> String {
        format!("{}: missing kwarg `{key}`", self.id)
    }

    fn string(&self, key: &str) -> Result<String, String> {
        match self.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(format!(
                "{}: kwarg `{key}` must be a string, got {other}",
                self.id
            )),
            None => Err(self.missing(key)),
        }
    }

    fn count(&self, key: &str) -> Result<usize, String> {
        let bad = |v: &Value| {
            format!(
                "{}: kwarg `{key}` must be a non-negative integer, got {v}",
                self.id
            )
        };
        match self.get(key) {
            Some(v @ Value::Number(n)) => match (n.as_u64(), n.as_f64()) {
                (Some(u), _) => usize::try_from(u).map_err(|_| bad(v)),
                (None, Some(f)) if f >= 0.0 && f.fract() == 0.0 && f < 1e15 => Ok(f as usize),
                _ => Err(bad(v)),
            },
            Some(v) => Err(bad(v)),
            None => Err(self.missing(key)),
        }
    }

    fn strings(&self, key: &str) -> Result<Vec<String>, String> {
        match self.get(key) {
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| {
                    v.as_str().map(str::to_string).ok_or_else(|| {
                        format!("{}: kwarg `{key}` must be a list of strings", self.id)
                    })
                })
                .collect(),
            Some(_) => Err(format!(
                "{}: kwarg `{key}` must be a list of strings",
                self.id
            )),
            None => Err(self.missing(key)),
        }
    }

    fn relation(&self, key: &str) -> Result<Relation, String> {
        match self.string(key)?.as_str() {
            "less than" => Ok(Relation::LessThan),
            "at least" => Ok(Relation::AtLeast),
            other => Err(format!(
                "{}: kwarg `{key}` must be \"less than\" or \"at least\", got {other:?}",
                self.id
            )),
        }
    }
}

impl Instruction {
    /// Builds an instruction from its id and kwargs. `prompt` stands in for a missing
    /// `prompt_to_repeat`. Unknown ids and missing or mistyped kwargs are errors.
    pub fn parse(
        id: &str,
        kwargs: &Map<String, Value>,
        prompt: Option<&str>,
    ) -> Result<Instruction, String> {
        let k = Kwargs { id, map: kwargs };
        Ok(match id {
            "keywords:existence" => Instruction::Existence(
                k.strings("keywords")?
                    .into_iter()
                    .map(|kw| Ok((kw.clone(), pattern(id, &kw, true)?)))
                    .collect::<Result<_, String>>()?,
            ),
            "keywords:frequency" => {
                let keyword = strip(&k.string("keyword")?).to_string();
                Instruction::Frequency(
                    keyword.clone(),
                    pattern(id, &keyword, true)?,
                    k.count("frequency")?,
                    k.relation("relation")?,
                )
            }
            "keywords:forbidden_words" => Instruction::Forbidden(
                k.strings("forbidden_words")?
                    .into_iter()
                    .map(|w| Ok((w.clone(), pattern(id, &w, true)?)))
                    .collect::<Result<_, String>>()?,
            ),
            "keywords:letter_frequency" | "letters:letter_counting2" => {
                let letter = k.string("letter")?;
                let mut chars = letter.chars();
                let (Some(c), None) = (chars.next(), chars.next()) else {
                    return Err(format!(
                        "{id}: kwarg `letter` must be a single character, got {letter:?}"
                    ));
                };
                Instruction::Letter(
                    c.to_lowercase().next().unwrap_or(c),
                    k.count("let_frequency")?,
                    k.relation("let_relation")?,
                )
            }
            "language:response_language" => Instruction::Language(k.string("language")?),
            "length_constraints:number_sentences" => {
                Instruction::Sentences(k.count("num_sentences")?, k.relation("relation")?)
            }
            "length_constraints:number_paragraphs" => {
                Instruction::Paragraphs(k.count("num_paragraphs")?)
            }
            "length_constraints:number_words" => {
                Instruction::Words(k.count("num_words")?, k.relation("relation")?)
            }
            "length_constraints:nth_paragraph_first_word" => Instruction::NthParagraph(
                k.count("num_paragraphs")?,
                k.count("nth_paragraph")?,
                k.string("first_word")?,
            ),
            "detectable_content:number_placeholders" => {
                Instruction::Placeholders(k.count("num_placeholders")?)
            }
            "detectable_content:postscript" => {
                let marker = k.string("postscript_marker")?;
                let re = match marker.as_str() {
                    "P.P.S" => Regex::new(&format!(r"p\.{PY_WS}?p\.{PY_WS}?s")).expect("valid"),
                    "P.S." => Regex::new(&format!(r"p\.{PY_WS}?s\.")).expect("valid"),
                    other => pattern(id, &other.to_lowercase(), false)?,
                };
                Instruction::Postscript(marker, re)
            }
            "detectable_format:number_bullet_lists" => {
                Instruction::Bullets(k.count("num_bullets")?)
            }
            "detectable_format:constrained_response" => Instruction::Constrained,
            "detectable_format:number_highlighted_sections" => {
                Instruction::Highlights(k.count("num_highlights")?)
            }
            "detectable_format:multiple_sections" => {
                let splitter = strip(&k.string("section_spliter")?).to_string();
                let re = Regex::new(&format!(r"{PY_WS}?{splitter}{PY_WS}?\d+{PY_WS}?"))
                    .or_else(|_| {
                        Regex::new(&format!(
                            r"{PY_WS}?{}{PY_WS}?\d+{PY_WS}?",
                            regex::escape(&splitter)
                        ))
                    })
                    .map_err(|e| {
                        format!("{id}: kwarg `section_spliter` cannot be searched for: {e}")
                    })?;
                Instruction::Sections(splitter, re, k.count("num_sections")?)
            }
            "detectable_format:json_format" => Instruction::Json,
            "detectable_format:title" => Instruction::Title,
            "combination:two_responses" => Instruction::TwoResponses,
            "combination:repeat_prompt" => match k.get("prompt_to_repeat") {
                Some(_) => Instruction::RepeatPrompt(k.string("prompt_to_repeat")?),
                None => match prompt {
                    Some(p) => Instruction::RepeatPrompt(p.to_string()),
                    None => return Err(k.missing("prompt_to_repeat")),
                },
            },
            "startend:end_checker" => Instruction::EndChecker(k.string("end_phrase")?),
            "startend:quotation" => Instruction::Quotation,
            "change_case:capital_word_frequency" => Instruction::CapitalWords(
                k.count("capital_frequency")?,
                k.relation("capital_relation")?,
            ),
            "change_case:english_capital" => Instruction::EnglishCapital,
            "change_case:english_lowercase" => Instruction::EnglishLowercase,
            "punctuation:no_comma" => Instruction::NoComma,
            other => {
                if let Some(b) = crate::ifbench::parse(other, kwargs) {
                    return Ok(Instruction::Bench(Box::new(b?)));
                }
                if let Some(t) = crate::train::parse(other, kwargs) {
                    return Ok(Instruction::Train(Box::new(t?)));
                }
                return Err(format!(
                    "unknown instruction id {other:?}; known ids: {}",
                    all_ids().join(", ")
                ));
            }
        })
    }

    /// Checks `text` against the instruction.
    pub fn check(&self, text: &str) -> Check {
        let (followed, detail) = self.run(text);
        Check { followed, detail }
    }

    fn run(&self, text: &str) -> (bool, String) {
        match self {
            Instruction::Existence(keywords) => {
                let missing: Vec<&String> = keywords
                    .iter()
                    .filter(|(_, re)| !re.is_match(text))
                    .map(|(kw, _)| kw)
                    .collect();
                if missing.is_empty() {
                    let all: Vec<&String> = keywords.iter().map(|(kw, _)| kw).collect();
                    (true, format!("all of {all:?} present"))
                } else {
                    (false, format!("missing {missing:?}"))
                }
            }
            Instruction::Frequency(keyword, re, n, rel) => {
                let count = re.find_iter(text).count();
                (
                    rel.holds(count, *n),
                    format!("{keyword:?} appears {count} times, needs {rel} {n}"),
                )
            }
            Instruction::Forbidden(words) => {
                let found: Vec<&String> = words
                    .iter()
                    .filter(|(_, re)| contains_word(text, re))
                    .map(|(w, _)| w)
                    .collect();
                if found.is_empty() {
                    (true, "no forbidden word".to_string())
                } else {
                    (false, format!("contains forbidden {found:?}"))
                }
            }
            Instruction::Letter(letter, n, rel) => {
                let count = text.to_lowercase().chars().filter(|c| c == letter).count();
                (
                    rel.holds(count, *n),
                    format!("letter {letter:?} appears {count} times, needs {rel} {n}"),
                )
            }
            Instruction::Language(want) => match language::detect(text) {
                None => (true, "no language detectable: counts as followed".into()),
                Some(got) => (got == *want, format!("language: {got}, needs {want}")),
            },
            Instruction::Sentences(n, rel) => {
                let count = count_sentences(text);
                (
                    rel.holds(count, *n),
                    format!("number_sentences: {count}, needs {rel} {n}"),
                )
            }
            Instruction::Paragraphs(n) => match count_paragraphs(text) {
                Some(count) => (
                    count == *n,
                    format!("number_paragraphs: {count}, needs exactly {n}"),
                ),
                None => (
                    false,
                    format!("an empty paragraph between `***` dividers, needs exactly {n}"),
                ),
            },
            Instruction::Words(n, rel) => {
                let count = count_words(text);
                (
                    rel.holds(count, *n),
                    format!("number_words: {count}, needs {rel} {n}"),
                )
            }
            Instruction::NthParagraph(num, nth, first) => nth_paragraph(text, *num, *nth, first),
            Instruction::Placeholders(n) => {
                let count = count_placeholders(text);
                (
                    count >= *n,
                    format!("number_placeholders: {count}, needs at least {n}"),
                )
            }
            Instruction::Postscript(marker, re) => {
                let lower = text.to_lowercase();
                let found = re.is_match(&lower);
                (
                    found,
                    format!(
                        "postscript {marker:?} {}",
                        if found { "found" } else { "not found" }
                    ),
                )
            }
            Instruction::Bullets(n) => {
                let count = count_bullets(text);
                (
                    count == *n,
                    format!("number_bullet_lists: {count}, needs exactly {n}"),
                )
            }
            Instruction::Constrained => {
                let t = strip(text);
                let found = [
                    "My answer is yes.",
                    "My answer is no.",
                    "My answer is maybe.",
                ]
                .iter()
                .find(|o| t.contains(*o));
                match found {
                    Some(o) => (true, format!("contains {o:?}")),
                    None => (false, "none of the allowed answers".into()),
                }
            }
            Instruction::Highlights(n) => {
                let count = count_highlights(text);
                (
                    count >= *n,
                    format!("number_highlighted_sections: {count}, needs at least {n}"),
                )
            }
            Instruction::Sections(splitter, re, n) => {
                let count = re.find_iter(text).count();
                (
                    count >= *n,
                    format!("sections marked {splitter:?}: {count}, needs at least {n}"),
                )
            }
            Instruction::Json => {
                let mut t = strip(text);
                for prefix in ["```json", "```Json", "```JSON", "```"] {
                    t = t.strip_prefix(prefix).unwrap_or(t);
                }
                t = t.strip_suffix("```").unwrap_or(t);
                let t = strip(t);
                match crate::pyjson::validate(t) {
                    Ok(()) => (true, "valid JSON".into()),
                    Err(e) => (false, format!("not JSON: {e}")),
                }
            }
            Instruction::Title => {
                let found = title_regex().find_iter(text).find(|m| {
                    let inner = m.as_str().trim_start_matches('<').trim_end_matches('>');
                    !strip(inner).is_empty()
                });
                match found {
                    Some(m) => (true, format!("title {}", m.as_str())),
                    None => (false, "no <<title>>".into()),
                }
            }
            Instruction::TwoResponses => two_responses(text),
            Instruction::RepeatPrompt(prompt) => {
                let want = strip(prompt).to_lowercase();
                let ok = strip(text).to_lowercase().starts_with(&want);
                (
                    ok,
                    if ok {
                        "starts with the prompt".into()
                    } else {
                        "does not start with the prompt repeated verbatim".into()
                    },
                )
            }
            Instruction::EndChecker(phrase) => {
                let t = strip(text).trim_matches('"').to_lowercase();
                let want = strip(phrase).to_lowercase();
                let ok = t.ends_with(&want);
                let tail: String = {
                    let chars: Vec<char> = t.chars().collect();
                    let k = want.chars().count().max(1);
                    chars[chars.len().saturating_sub(k)..].iter().collect()
                };
                (ok, format!("ends with {tail:?}, needs {want:?}"))
            }
            Instruction::Quotation => {
                let t = strip(text);
                let ok = t.chars().count() > 1 && t.starts_with('"') && t.ends_with('"');
                (
                    ok,
                    if ok {
                        "wrapped in double quotes".into()
                    } else {
                        "not wrapped in double quotes".into()
                    },
                )
            }
            Instruction::CapitalWords(n, rel) => {
                let count = word_tokens(text).iter().filter(|t| is_upper(t)).count();
                (
                    rel.holds(count, *n),
                    format!("capital words: {count}, needs {rel} {n}"),
                )
            }
            Instruction::EnglishCapital => case_and_english(text, is_upper, "all capitals"),
            Instruction::EnglishLowercase => case_and_english(text, is_lower, "all lowercase"),
            Instruction::NoComma => {
                let count = text.matches(',').count();
                (count == 0, format!("commas: {count}, needs 0"))
            }
            Instruction::Bench(b) => b.check(text),
            Instruction::Train(t) => t.check(text),
        }
    }
}

/// The longest kwarg used as a regular expression, in bytes.
pub(crate) const MAX_PATTERN: usize = 10_000;
/// The most memory one compiled kwarg pattern may take.
pub(crate) const PATTERN_SIZE: usize = 1 << 20;

/// A case-insensitive (or sensitive) pattern from a kwarg, built when the reference is read:
/// IFEval uses kwargs as regular expressions; one that is not valid in Rust's syntax is matched
/// literally, and one that cannot be built even so (too large) is an error for that item.
pub(crate) fn pattern(id: &str, kw: &str, case_insensitive: bool) -> Result<Regex, String> {
    if kw.len() > MAX_PATTERN {
        return Err(format!(
            "{id}: a kwarg used as a pattern is {} bytes long; at most {MAX_PATTERN} are searched for",
            kw.len()
        ));
    }
    let build = |p: &str| {
        RegexBuilder::new(p)
            .case_insensitive(case_insensitive)
            .size_limit(PATTERN_SIZE)
            .build()
    };
    build(kw)
        .or_else(|_| build(&regex::escape(kw)))
        .map_err(|e| {
            let shown: String = kw.chars().take(40).collect();
            format!("{id}: the kwarg {shown:?}… cannot be searched for ({e}); shorten it")
        })
}

/// Whether `re` matches with a Python `\b` on each side.
fn contains_word(text: &str, re: &Regex) -> bool {
    let mut start = 0;
    while let Some(m) = re.find_at(text, start) {
        if is_boundary(text, m.start()) && is_boundary(text, m.end()) && !m.is_empty() {
            return true;
        }
        start = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
        if start > text.len() {
            break;
        }
    }
    false
}

/// Paragraphs separated by `***` dividers; `None` when a middle paragraph is empty.
fn count_paragraphs(text: &str) -> Option<usize> {
    let re = Regex::new(&format!(r"{PY_WS}?\*\*\*{PY_WS}?")).expect("valid");
    let pieces: Vec<&str> = re.split(text).collect();
    let mut count = pieces.len();
    for (i, piece) in pieces.iter().enumerate() {
        if strip(piece).is_empty() {
            if i == 0 || i == pieces.len() - 1 {
                count -= 1;
            } else {
                return None;
            }
        }
    }
    Some(count)
}

fn nth_paragraph(text: &str, num: usize, nth: usize, first: &str) -> (bool, String) {
    let pieces: Vec<&str> = text.split("\n\n").collect();
    let count = pieces.iter().filter(|p| !strip(p).is_empty()).count();
    let want = first.to_lowercase();
    if nth == 0 || nth > count {
        return (
            false,
            format!("paragraphs: {count}, needs {num} with paragraph {nth} starting with {want:?}"),
        );
    }
    let paragraph = strip(pieces[nth - 1]);
    if paragraph.is_empty() {
        return (false, format!("paragraph {nth} is empty"));
    }
    let word = paragraph.split(pytext::is_space).next().unwrap_or("");
    let word = word.trim_start_matches('\'').trim_start_matches('"');
    let word: String = word
        .chars()
        .take_while(|c| !".,?!'\"".contains(*c))
        .collect::<String>()
        .to_lowercase();
    (
        count == num && word == want,
        format!(
            "paragraphs: {count}, needs {num}; paragraph {nth} starts with {word:?}, needs {want:?}"
        ),
    )
}

fn count_placeholders(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut count = 0;
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'[' {
            if let Some(j) = bytes[i + 1..]
                .iter()
                .position(|b| *b == b']' || *b == b'\n')
            {
                if bytes[i + 1 + j] == b']' {
                    count += 1;
                    i = i + 1 + j + 1;
                    continue;
                }
            }
        }
        i += 1;
    }
    count
}

fn count_bullets(text: &str) -> usize {
    use std::sync::OnceLock;
    static RES: OnceLock<(Regex, Regex)> = OnceLock::new();
    let (star, dash) = RES.get_or_init(|| {
        (
            Regex::new(&format!(r"(?m)^{PY_WS}*\*[^*].*$")).expect("valid"),
            Regex::new(&format!(r"(?m)^{PY_WS}*-.*$")).expect("valid"),
        )
    });
    star.find_iter(text).count() + dash.find_iter(text).count()
}

fn count_highlights(text: &str) -> usize {
    use std::sync::OnceLock;
    static RES: OnceLock<(Regex, Regex)> = OnceLock::new();
    let (single, double) = RES.get_or_init(|| {
        (
            Regex::new(r"\*[^\n*]*\*").expect("valid"),
            Regex::new(r"\*\*[^\n*]*\*\*").expect("valid"),
        )
    });
    let a = single
        .find_iter(text)
        .filter(|m| !strip(m.as_str().trim_matches('*')).is_empty())
        .count();
    let b = double
        .find_iter(text)
        .filter(|m| {
            let s = m.as_str();
            let inner = s
                .strip_prefix("**")
                .unwrap_or(s)
                .strip_suffix("**")
                .unwrap_or(s);
            !strip(inner).is_empty()
        })
        .count();
    a + b
}

fn title_regex() -> &'static Regex {
    use std::sync::OnceLock;
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(r"<<[^\n]+>>").expect("valid"))
}

fn two_responses(text: &str) -> (bool, String) {
    let pieces: Vec<&str> = text.split("******").collect();
    let mut kept = Vec::new();
    for (i, piece) in pieces.iter().enumerate() {
        if strip(piece).is_empty() {
            if i != 0 && i != pieces.len() - 1 {
                return (false, "an empty response between `******` dividers".into());
            }
        } else {
            kept.push(strip(piece));
        }
    }
    if kept.len() != 2 {
        return (
            false,
            format!("responses separated by ******: {}, needs 2", kept.len()),
        );
    }
    if kept[0] == kept[1] {
        return (false, "the two responses are identical".into());
    }
    (true, "two different responses".into())
}

fn case_and_english(text: &str, case: fn(&str) -> bool, what: &str) -> (bool, String) {
    if !case(text) {
        return (false, format!("not {what}"));
    }
    match language::detect(text) {
        None => (true, format!("{what}; no language detectable")),
        Some(lang) => (lang == "en", format!("{what}; language: {lang}, needs en")),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;

    fn check(id: &str, kwargs: Value, response: &str) -> Check {
        let map = kwargs.as_object().cloned().unwrap_or_default();
        Instruction::parse(id, &map, None)
            .unwrap_or_else(|e| panic!("{id}: {e}"))
            .check(response)
    }

    /// (id, kwargs, response, followed): pass and fail cases at the boundaries of each kind.
    #[test]
    fn every_kind_pass_and_fail() {
        let cases: Vec<(&str, Value, &str, bool)> = vec![
            // keywords:existence — case-insensitive substring.
            ("keywords:existence", json!({"keywords": ["cat", "Dog"]}), "A CAT and a dog", true),
            ("keywords:existence", json!({"keywords": ["cat"]}), "concatenate", true),
            ("keywords:existence", json!({"keywords": ["cat", "dog"]}), "a cat", false),
            // keywords:frequency — non-overlapping, no word boundaries.
            ("keywords:frequency", json!({"keyword": "war", "frequency": 2, "relation": "at least"}), "War and software", true),
            ("keywords:frequency", json!({"keyword": "war", "frequency": 2, "relation": "at least"}), "war", false),
            ("keywords:frequency", json!({"keyword": " war ", "frequency": 2, "relation": "less than"}), "war", true),
            ("keywords:frequency", json!({"keyword": "war", "frequency": 2, "relation": "less than"}), "war war", false),
            ("keywords:frequency", json!({"keyword": "aa", "frequency": 2, "relation": "at least"}), "aaa", false),
            // keywords:forbidden_words — word boundaries on both sides.
            ("keywords:forbidden_words", json!({"forbidden_words": ["rock"]}), "Rock, paper", false),
            ("keywords:forbidden_words", json!({"forbidden_words": ["rock"]}), "a rock-solid plan", false),
            ("keywords:forbidden_words", json!({"forbidden_words": ["rock"]}), "rocks and rocky hills", true),
            ("keywords:forbidden_words", json!({"forbidden_words": ["rock"]}), "rocks rock", false),
            // keywords:letter_frequency — both cases count.
            ("keywords:letter_frequency", json!({"letter": "a", "let_frequency": 3, "let_relation": "at least"}), "A banana", true),
            ("keywords:letter_frequency", json!({"letter": "A", "let_frequency": 3, "let_relation": "less than"}), "A bana", false),
            ("keywords:letter_frequency", json!({"letter": "z", "let_frequency": 1, "let_relation": "less than"}), "no such letter", true),
            ("keywords:letter_frequency", json!({"letter": "#", "let_frequency": 2, "let_relation": "at least"}), "#a #b", true),
            // language:response_language.
            ("language:response_language", json!({"language": "de"}), "Der schnelle braune Fuchs springt über den faulen Hund, während der Bauer zusieht.", true),
            ("language:response_language", json!({"language": "de"}), "The quick brown fox jumps over the lazy dog while the farmer watches from the porch.", false),
            ("language:response_language", json!({"language": "hi"}), "12345", true),
            // length_constraints:number_sentences.
            ("length_constraints:number_sentences", json!({"num_sentences": 3, "relation": "less than"}), "One. Two.", true),
            ("length_constraints:number_sentences", json!({"num_sentences": 2, "relation": "less than"}), "One. Two.", false),
            ("length_constraints:number_sentences", json!({"num_sentences": 2, "relation": "at least"}), "One. Two.", true),
            ("length_constraints:number_sentences", json!({"num_sentences": 3, "relation": "at least"}), "One. Two.", false),
            // length_constraints:number_paragraphs — `***` dividers.
            ("length_constraints:number_paragraphs", json!({"num_paragraphs": 2}), "a\n***\nb", true),
            ("length_constraints:number_paragraphs", json!({"num_paragraphs": 2}), "***\na\n***\nb\n***", true),
            ("length_constraints:number_paragraphs", json!({"num_paragraphs": 3}), "a\n***\nb", false),
            ("length_constraints:number_paragraphs", json!({"num_paragraphs": 2}), "a\n******\nb", false),
            ("length_constraints:number_paragraphs", json!({"num_paragraphs": 2}), "a ****b", true),
            // length_constraints:number_words.
            ("length_constraints:number_words", json!({"num_words": 3, "relation": "at least"}), "don't stop", true),
            ("length_constraints:number_words", json!({"num_words": 4, "relation": "at least"}), "don't stop", false),
            ("length_constraints:number_words", json!({"num_words": 3, "relation": "less than"}), "one two", true),
            ("length_constraints:number_words", json!({"num_words": 3, "relation": "less than"}), "one two three", false),
            // length_constraints:nth_paragraph_first_word — blank-line paragraphs.
            ("length_constraints:nth_paragraph_first_word", json!({"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "Then"}), "First.\n\n\"Then, it ended.", true),
            ("length_constraints:nth_paragraph_first_word", json!({"num_paragraphs": 3, "nth_paragraph": 2, "first_word": "then"}), "First.\n\nThen it ended.", false),
            ("length_constraints:nth_paragraph_first_word", json!({"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "summary"}), "a\n\n**Summary** b", false),
            ("length_constraints:nth_paragraph_first_word", json!({"num_paragraphs": 2, "nth_paragraph": 2, "first_word": "then"}), "a\n\n\n\nthen b", false),
            // detectable_content:number_placeholders.
            ("detectable_content:number_placeholders", json!({"num_placeholders": 2}), "[name] at [address]", true),
            ("detectable_content:number_placeholders", json!({"num_placeholders": 2}), "[[a]] and [b\nc]", false),
            ("detectable_content:number_placeholders", json!({"num_placeholders": 1}), "[]", true),
            // detectable_content:postscript.
            ("detectable_content:postscript", json!({"postscript_marker": "P.S."}), "Hi.\n\nP.S. bye", true),
            ("detectable_content:postscript", json!({"postscript_marker": "P.S."}), "Hi.\n\nPS bye", false),
            ("detectable_content:postscript", json!({"postscript_marker": "P.P.S"}), "p. p. s more", true),
            ("detectable_content:postscript", json!({"postscript_marker": "P.P.S"}), "P.S. only", false),
            // detectable_format:number_bullet_lists — exactly N.
            ("detectable_format:number_bullet_lists", json!({"num_bullets": 2}), "* a\n- b\n**Bold**\n1. c", true),
            ("detectable_format:number_bullet_lists", json!({"num_bullets": 2}), "* a\n* b\n* c", false),
            ("detectable_format:number_bullet_lists", json!({"num_bullets": 1}), "---\n• x", true),
            // detectable_format:constrained_response.
            ("detectable_format:constrained_response", json!({}), "Well. My answer is maybe.", true),
            ("detectable_format:constrained_response", json!({}), "my answer is yes.", false),
            // detectable_format:number_highlighted_sections.
            ("detectable_format:number_highlighted_sections", json!({"num_highlights": 2}), "*a* and **b**", true),
            ("detectable_format:number_highlighted_sections", json!({"num_highlights": 2}), "*a* and * *", false),
            ("detectable_format:number_highlighted_sections", json!({"num_highlights": 1}), "a * b * c", true),
            // detectable_format:multiple_sections.
            ("detectable_format:multiple_sections", json!({"section_spliter": "Section", "num_sections": 2}), "Section 1\na\nSection 2\nb", true),
            ("detectable_format:multiple_sections", json!({"section_spliter": "Section", "num_sections": 2}), "Section 1\na\nsection 2\nb", false),
            ("detectable_format:multiple_sections", json!({"section_spliter": "SECTION", "num_sections": 1}), "SUBSECTION 1", true),
            // detectable_format:json_format.
            ("detectable_format:json_format", json!({}), "```json\n{\"a\": 1}\n```", true),
            ("detectable_format:json_format", json!({}), "[1, NaN]", true),
            ("detectable_format:json_format", json!({}), "```jsonc\n{}\n```", false),
            ("detectable_format:json_format", json!({}), "{\"a\": 1} trailing", false),
            // detectable_format:title.
            ("detectable_format:title", json!({}), "<<My Title>>\ntext", true),
            ("detectable_format:title", json!({}), "<<>>\n<< >>", false),
            ("detectable_format:title", json!({}), "<< >> and <<b>>", true),
            // combination:two_responses.
            ("combination:two_responses", json!({}), "one\n******\ntwo", true),
            ("combination:two_responses", json!({}), "one\n******\none", false),
            ("combination:two_responses", json!({}), "one\n************\ntwo", false),
            ("combination:two_responses", json!({}), "one\n*******\ntwo", true),
            // combination:repeat_prompt.
            ("combination:repeat_prompt", json!({"prompt_to_repeat": "Say hi."}), "  say HI. Hi!", true),
            ("combination:repeat_prompt", json!({"prompt_to_repeat": "Say hi."}), "Say hi! Hi!", false),
            // startend:end_checker.
            ("startend:end_checker", json!({"end_phrase": "Any other questions?"}), "Done. \"Any other questions?\"", true),
            ("startend:end_checker", json!({"end_phrase": "Any other questions?"}), "Done. Any other questions?**", false),
            // startend:quotation.
            ("startend:quotation", json!({}), " \"quoted\" ", true),
            ("startend:quotation", json!({}), "\"", false),
            ("startend:quotation", json!({}), "“curly”", false),
            // change_case:capital_word_frequency.
            ("change_case:capital_word_frequency", json!({"capital_frequency": 3, "capital_relation": "at least"}), "I LOVE AI's work", true),
            ("change_case:capital_word_frequency", json!({"capital_frequency": 3, "capital_relation": "less than"}), "I LOVE AI's work", false),
            ("change_case:capital_word_frequency", json!({"capital_frequency": 2, "capital_relation": "less than"}), "iPhone 2024 A", true),
            // change_case:english_capital.
            ("change_case:english_capital", json!({}), "THE QUICK BROWN FOX JUMPS OVER THE LAZY DOG WHILE THE FARMER WATCHES.", true),
            ("change_case:english_capital", json!({}), "THE QUICK BROWN fox", false),
            // change_case:english_lowercase.
            ("change_case:english_lowercase", json!({}), "the quick brown fox jumps over the lazy dog while the farmer watches.", true),
            ("change_case:english_lowercase", json!({}), "the quick brown Fox", false),
            ("change_case:english_lowercase", json!({}), "der schnelle braune fuchs springt über den faulen hund, während der bauer zusieht.", false),
            // punctuation:no_comma.
            ("punctuation:no_comma", json!({}), "no commas here，only full-width", true),
            ("punctuation:no_comma", json!({}), "a, b", false),
        ];
        let mut seen = std::collections::BTreeSet::new();
        for (id, kwargs, response, followed) in cases {
            seen.insert(id);
            let c = check(id, kwargs.clone(), response);
            assert_eq!(
                c.followed, followed,
                "{id} {kwargs} {response:?}: {}",
                c.detail
            );
        }
        assert_eq!(seen.len(), IDS.len(), "every kind has cases");
    }

    #[test]
    fn details_name_the_measured_quantity() {
        let c = check(
            "length_constraints:number_words",
            json!({"num_words": 300, "relation": "at least"}),
            "just a few words",
        );
        assert_eq!(c.detail, "number_words: 4, needs at least 300");
    }

    #[test]
    fn bad_kwargs_are_errors() {
        let cases = [
            ("keywords:nope", json!({}), "unknown instruction id"),
            (
                "length_constraints:number_words",
                json!({"relation": "at least"}),
                "missing kwarg `num_words`",
            ),
            (
                "length_constraints:number_words",
                json!({"num_words": 3, "relation": "more than"}),
                "must be \"less than\" or \"at least\"",
            ),
            (
                "length_constraints:number_words",
                json!({"num_words": "3", "relation": "at least"}),
                "non-negative integer",
            ),
            (
                "keywords:letter_frequency",
                json!({"letter": "ab", "let_frequency": 1, "let_relation": "at least"}),
                "single character",
            ),
            (
                "keywords:existence",
                json!({"keywords": null}),
                "missing kwarg `keywords`",
            ),
            (
                "combination:repeat_prompt",
                json!({}),
                "missing kwarg `prompt_to_repeat`",
            ),
        ];
        for (id, kwargs, message) in cases {
            let map = kwargs.as_object().cloned().unwrap();
            let err = Instruction::parse(id, &map, None).unwrap_err();
            assert!(err.contains(message), "{id}: {err}");
        }
    }
}

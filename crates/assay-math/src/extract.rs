//! Finding the final answer in a model response.
//!
//! A response falls in one of three classes, and each has its rule:
//!
//! - **marked**: the answer is marked inside prose, by `\boxed{…}`/`\fbox{…}`,
//!   `<answer>…</answer>`, an anchored phrase ("the final answer is", "Answer:",
//!   "**Answer**"), Markdown bold, or a `$…$`/`\(…\)`/`\[…\]` span: the strongest mark wins.
//!   Several boxes that sit together at the end (`\boxed{1}, \boxed{2}` or
//!   `\boxed{(2,2)} \text{ and } \boxed{(6,2)}`) are one answer, the list.
//! - **bare**: nothing is marked, and the whole response (or else its final line) is an
//!   answer by itself: an expression with no prose words (`\frac{4}{9}`, `2\sqrt{3}-1`,
//!   `pi/2`, `exp(3) - 1`, `x = 5`) or one to three words (`converges`, `No`,
//!   `\text{(B)}`). The whole of it is the answer, never its last number.
//! - **prose**: nothing is marked and the response is not an answer by itself: the last
//!   number is the answer when [`ExtractOptions::number_fallback`] is on, else none.
//!
//! Sources are tried in a configurable priority order ([`ExtractOptions::priority`]).
//! Phrases, bold, math spans and numbers are searched only in the tail of the response
//! ([`ExtractOptions::tail_chars`]), boxed answers only among the last [`MAX_BOXED`]
//! occurrences, and bare answers only in responses (or final lines) of at most
//! [`MAX_BARE_CHARS`], so cost stays linear in the response length.
//!
//! A response that contains `\boxed` but no well-formed box (truncated, unbalanced, or
//! longer than 10,000 bytes) has no answer: weaker sources are not consulted.
//!
//! **Answer spamming.** Every distinct `\boxed{}` answer is reported in
//! [`Extraction::alternatives`]; the verifier then applies its conflict policy (by default
//! a response whose boxed answers are not all equivalent is `invalid`).

use std::ops::Range;

/// How many trailing `\boxed` occurrences are examined.
pub const MAX_BOXED: usize = 16;

/// Longest content of one `\boxed{…}` that is followed (in bytes).
const MAX_BOX_LEN: usize = 10_000;

/// Longest response (or final line) that may be a bare answer, in bytes.
pub const MAX_BARE_CHARS: usize = 1_000;

/// Where an answer came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Source {
    /// The last `\boxed{…}` or `\fbox{…}`.
    Boxed,
    /// The last `<answer>…</answer>` block.
    AnswerTag,
    /// Text after an anchored phrase such as "the final answer is" or "Answer:".
    Phrase,
    /// The last Markdown bold span (`**73**`).
    Bold,
    /// The last math span: `$…$`, `$$…$$`, `\(…\)` or `\[…\]`.
    Math,
    /// The whole response, or its final line: an answer written by itself.
    Bare,
    /// The last number in the response.
    LastNumber,
}

impl Source {
    /// Stable lower-case name (used in options and explanations).
    pub fn name(self) -> &'static str {
        match self {
            Source::Boxed => "boxed",
            Source::AnswerTag => "answer_tag",
            Source::Phrase => "phrase",
            Source::Bold => "bold",
            Source::Math => "math",
            Source::Bare => "bare",
            Source::LastNumber => "last_number",
        }
    }

    /// The class of response this source implies: `marked` (an answer marked inside
    /// prose), `bare` (the response is the answer) or `prose` (no marked answer).
    pub fn class(self) -> &'static str {
        match self {
            Source::Boxed | Source::AnswerTag | Source::Phrase | Source::Bold | Source::Math => {
                "marked"
            }
            Source::Bare => "bare",
            Source::LastNumber => "prose",
        }
    }

    /// The extraction rule of this source, in words (for explanations).
    pub fn rule(self) -> &'static str {
        match self {
            Source::Boxed => {
                "marked answer: the last \\boxed{} (boxes listed together at the end form one list)"
            }
            Source::AnswerTag => "marked answer: the last <answer> tag",
            Source::Phrase => {
                "marked answer: the text after an anchored phrase such as \"the final answer is\""
            }
            Source::Bold => "marked answer: the last bold span",
            Source::Math => "marked answer: the last math span",
            Source::Bare => "bare answer: the whole response (or its final line) is the answer",
            Source::LastNumber => "prose: the last number (no marked answer after it)",
        }
    }

    /// Looks a source up by its [`name`](Source::name).
    pub fn from_name(name: &str) -> Option<Source> {
        [
            Source::Boxed,
            Source::AnswerTag,
            Source::Phrase,
            Source::Bold,
            Source::Math,
            Source::Bare,
            Source::LastNumber,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// Extraction settings.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractOptions {
    /// Sources to try, in order. [`Source::LastNumber`] is skipped unless
    /// `number_fallback` is set.
    pub priority: Vec<Source>,
    /// Whether the last number may serve as the answer when nothing stronger is found.
    pub number_fallback: bool,
    /// How many trailing characters are searched for phrases, bold, math and numbers.
    pub tail_chars: usize,
}

impl Default for ExtractOptions {
    fn default() -> Self {
        ExtractOptions {
            priority: vec![
                Source::Boxed,
                Source::AnswerTag,
                Source::Phrase,
                Source::Bold,
                Source::Math,
                Source::Bare,
                Source::LastNumber,
            ],
            number_fallback: true,
            tail_chars: 4_000,
        }
    }
}

/// One extracted answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Extracted {
    /// The answer text, with wrappers (`$`, `\boxed{}`, `**`) and trailing punctuation removed.
    pub text: String,
    /// Where it came from.
    pub source: Source,
    /// Byte range of the answer in the response.
    pub span: Range<usize>,
}

/// The result of extraction.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Extraction {
    /// The final answer, if any source found one.
    pub answer: Option<Extracted>,
    /// Other distinct final answers of the same source (e.g. earlier, different
    /// `\boxed{}` contents); empty when the response is consistent.
    pub alternatives: Vec<String>,
}

/// Finds the final answer of `response`.
pub fn extract(response: &str, opts: &ExtractOptions) -> Extraction {
    extract_impl(response, opts, false)
}

/// Finds the answer of a reference that is a worked solution (or an answer). A reference is
/// trusted: its last box (or the boxes listed together at its end, joined also by "or") is
/// its answer even where earlier boxes differ, and math spans listed together at its end
/// (`$1$ and $2$`) are one answer.
pub fn extract_reference(reference: &str, opts: &ExtractOptions) -> Extraction {
    let mut e = extract_impl(reference, opts, true);
    e.alternatives.clear();
    e
}

fn extract_impl(response: &str, opts: &ExtractOptions, trusted: bool) -> Extraction {
    let tail_start = tail_start(response, opts.tail_chars);
    for &source in &opts.priority {
        let found = match source {
            Source::Boxed => {
                let all = boxed_all(response);
                if let Some(last) = all.last().cloned() {
                    // "The final answer is …" after every box: intermediate results were
                    // boxed, the final statement is the answer (a plain "Answer:" is not
                    // enough to override a box).
                    if !trusted
                        && response.len() > last.span.end + 16
                        && response[last.span.end..].contains("nswer")
                        && opts.priority.contains(&Source::Phrase)
                    {
                        let end = last.span.end;
                        if let Some(p) =
                            phrase_among(response, phrase_tail(response, opts), FINAL_PHRASES)
                                .filter(|p| p.span.start > end && !p.text.is_empty())
                        {
                            return Extraction {
                                answer: Some(Extracted {
                                    source: Source::Phrase,
                                    ..p
                                }),
                                alternatives: Vec::new(),
                            };
                        }
                    }
                    // Boxes listed together form one answer; so do earlier lists, which
                    // are the alternatives the conflict policy looks at.
                    if all.len() == 1 {
                        return Extraction {
                            answer: Some(last),
                            alternatives: Vec::new(),
                        };
                    }
                    let mut answers: Vec<Extracted> = Vec::new();
                    let mut end = all.len();
                    while end > 0 {
                        let g = trailing_group(response, &all[..end], trusted);
                        answers.push(if g > 1 {
                            joined(&all[end - g..end])
                        } else {
                            all[end - 1].clone()
                        });
                        end -= g;
                    }
                    let last = answers.remove(0);
                    let mut alternatives: Vec<String> = Vec::new();
                    for b in answers.iter().rev() {
                        if squash(&b.text) != squash(&last.text)
                            && !alternatives.iter().any(|a| squash(a) == squash(&b.text))
                        {
                            alternatives.push(b.text.clone());
                        }
                    }
                    return Extraction {
                        answer: Some(last),
                        alternatives,
                    };
                }
                if has_box(response) {
                    // A malformed or truncated box: weaker evidence must not stand in for it.
                    return Extraction::default();
                }
                None
            }
            Source::AnswerTag => answer_tag(response),
            Source::Phrase => phrase(response, phrase_tail(response, opts)),
            Source::Bold => bold(response, tail_start),
            Source::Math if trusted => math_spans_listed(response, tail_start),
            Source::Math => math_span(response, tail_start).map(|m| {
                // The later of the last math span and a number after it in prose:
                // "… $d = \frac{90}{n}$ … so there are 12 sequences."
                match last_number(response, tail_start) {
                    Some(n) if opts.number_fallback && n.span.start > m.span.end => n,
                    _ => m,
                }
            }),
            Source::Bare => bare(response),
            Source::LastNumber if opts.number_fallback => last_number(response, tail_start),
            Source::LastNumber => None,
        };
        // Each source names itself: a number after the last math span stays `LastNumber`.
        if let Some(e) = found {
            if e.text.is_empty() {
                continue;
            }
            return Extraction {
                answer: Some(e),
                alternatives: Vec::new(),
            };
        }
    }
    Extraction::default()
}

/// How many boxes at the end of `all` sit together (separated only by spaces, commas,
/// semicolons, `and`, `$` or spacing commands): 1 when the last box stands alone.
fn trailing_group(s: &str, all: &[Extracted], trusted: bool) -> usize {
    let mut n = 1;
    while n < all.len() {
        let prev = &all[all.len() - n - 1];
        let next = &all[all.len() - n];
        // From after the previous box's closing brace to the next box command.
        let from = prev.span.end + 1;
        let Some(to) = s[..next.span.start].rfind('\\') else {
            break;
        };
        if from > to || !is_separator(&s[from..to], trusted) {
            break;
        }
        n += 1;
    }
    n
}

/// Whether the text between two boxes (or math spans) only joins them: spacing,
/// punctuation, `and`, short labels (`y_2 =`, `for part (a)`), but no number and no word
/// of hesitation or revision (`or`, `maybe`, `wait`, `actually`). References may also join
/// with `or`.
fn is_separator(between: &str, trusted: bool) -> bool {
    // Short, and within one sentence and one paragraph.
    if between.len() > 80
        || between.contains("\n\n")
        || between.contains(". ")
        || between.contains(".\n")
    {
        return false;
    }
    let mut t = between.to_string();
    for cmd in [
        "\\text", "\\mbox", "\\qquad", "\\quad", "\\,", "\\;", "\\ ", "\\(", "\\)", "\\[", "\\]",
    ] {
        if t.contains(cmd) {
            t = t.replace(cmd, " ");
        }
    }
    // Subscripts of labels (`y_2`, `x_{1}`).
    let mut out = String::with_capacity(t.len());
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '_' {
            if chars.peek() == Some(&'{') {
                for d in chars.by_ref() {
                    if d == '}' {
                        break;
                    }
                }
            } else {
                chars.next();
            }
            continue;
        }
        out.push(c);
    }
    if !out
        .chars()
        .all(|c| c.is_alphabetic() || c.is_whitespace() || ",;:.$(){}=".contains(c))
    {
        return false;
    }
    const HEDGES: &[&str] = &[
        "or",
        "maybe",
        "perhaps",
        "possibly",
        "either",
        "alternatively",
        "wait",
        "actually",
        "instead",
        "correction",
        "rather",
        "not",
        "no",
        "but",
        "hmm",
        "however",
        "otherwise",
        "else",
        "wrong",
        "incorrect",
        "mistake",
        "oops",
        "sorry",
    ];
    out.split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .all(|w| {
            let w = w.to_ascii_lowercase();
            !HEDGES.contains(&w.as_str()) || trusted && w == "or"
        })
}

/// How far back anchored phrases are searched: they are strong evidence, so further than
/// the other weak sources.
fn phrase_tail(s: &str, opts: &ExtractOptions) -> usize {
    tail_start(s, opts.tail_chars.saturating_mul(4))
}

/// Math spans listed together at the end of a trusted reference (`$1$ and $2$ and $3$`,
/// `$21,16$ or $11$`): one answer, the list. Otherwise the last span.
fn math_spans_listed(s: &str, tail: usize) -> Option<Extracted> {
    let last = math_span(s, tail)?;
    let mut spans = vec![last];
    while spans.len() < MAX_BOXED {
        let first = &spans[spans.len() - 1];
        // The opening delimiter of this span, and the text before it.
        let before = &s[..first.span.start];
        let open_len =
            if before.ends_with("$$") || before.ends_with("\\(") || before.ends_with("\\[") {
                2
            } else if before.ends_with('$') {
                1
            } else {
                break;
            };
        let open = before.len() - open_len;
        if open <= tail {
            break;
        }
        let Some(prev) = math_span(&s[..open], tail) else {
            break;
        };
        // Just after the previous span's closing delimiter.
        let after = &s[prev.span.end..open];
        let close_len =
            if after.starts_with("$$") || after.starts_with("\\)") || after.starts_with("\\]") {
                2
            } else if after.starts_with('$') {
                1
            } else {
                break;
            };
        if !is_separator(&after[close_len..], true) {
            break;
        }
        spans.push(prev);
    }
    if spans.len() == 1 {
        return spans.pop();
    }
    spans.reverse();
    Some(joined(&spans))
}

/// One answer from boxes listed together: their contents as a list (or the one content
/// when they all say the same).
fn joined(group: &[Extracted]) -> Extracted {
    let first = &group[0];
    let last = &group[group.len() - 1];
    let same = group.iter().all(|b| squash(&b.text) == squash(&first.text));
    let text = if same {
        last.text.clone()
    } else {
        group
            .iter()
            .map(|b| b.text.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    Extracted {
        text,
        source: Source::Boxed,
        span: first.span.start..last.span.end,
    }
}

/// Words of two or more letters that may appear in a bare expression (`pi/2`,
/// `sqrt(3)`, `exp(3) - 1`, `1 or 2`).
const EXPRESSION_WORDS: &[&str] = &[
    "sqrt", "pi", "exp", "ln", "log", "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos",
    "arctan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "infinity", "inf", "infty", "oo",
    "or", "and", "abs",
];

/// Commands whose braced argument is text.
const TEXT_WRAPPERS: &[&str] = &[
    "text",
    "textbf",
    "textit",
    "textrm",
    "textnormal",
    "mbox",
    "mathrm",
    "mathbf",
    "mathit",
    "operatorname",
];

/// Whether `s` reads as an expression: no run of two or more letters outside command names
/// and text groups, except function and constant names.
fn looks_like_expression(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    let mut content = false;
    // Letter runs: (start, end, wordy) where wordy runs are prose-like words.
    let mut runs: Vec<(usize, usize, bool)> = Vec::new();
    while i < b.len() {
        let c = b[i];
        if c == b'\\' {
            let start = i + 1;
            let mut j = start;
            while j < b.len() && b[j].is_ascii_alphabetic() {
                j += 1;
            }
            let name = &s[start..j];
            content |= !name.is_empty();
            if TEXT_WRAPPERS.contains(&name) || name == "begin" || name == "end" {
                // Skip the braced argument: its words are units, names or environments.
                let mut k = j;
                while k < b.len() && b[k] == b' ' {
                    k += 1;
                }
                if k < b.len() && b[k] == b'{' {
                    match s[k..].find('}') {
                        Some(close) => j = k + close + 1,
                        None => return false,
                    }
                }
            }
            i = j.max(i + 2);
            continue;
        }
        if c.is_ascii_alphabetic() {
            let start = i;
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            let word = &s[start..i];
            let lower = word.to_ascii_lowercase();
            let after_number = s[..start]
                .trim_end()
                .ends_with(|c: char| c.is_ascii_digit());
            let unit = after_number && crate::lexer::is_unit_word(word);
            let wordy = word.len() >= 2 && !EXPRESSION_WORDS.contains(&lower.as_str()) && !unit;
            runs.push((start, i, wordy));
            content = true;
            continue;
        }
        if c >= 0x80 {
            // Non-ASCII: math symbols (π, √, ≤) are fine, letters of prose are not.
            let Some(ch) = s.get(i..).and_then(|rest| rest.chars().next()) else {
                // Inside a character (the scan above advanced by bytes): skip the byte.
                i += 1;
                continue;
            };
            if ch.is_alphabetic() && ch != 'π' {
                return false;
            }
            content = true;
            i += ch.len_utf8();
            continue;
        }
        content |= c.is_ascii_digit();
        i += 1;
    }
    // A word of prose sits next to another word or number with only spaces between
    // (`so x = 5`, `We get 18`); `xy + 1`, `Ke^{2x}` and `\frac{NO}{BO}` are expressions.
    for &(start, end, wordy) in &runs {
        if !wordy {
            continue;
        }
        let before = &s[..start];
        let after = &s[end..];
        let spaced_before = before.ends_with(' ')
            && before
                .trim_end()
                .ends_with(|c: char| c.is_ascii_alphanumeric());
        let spaced_after = after.starts_with(' ')
            && after
                .trim_start()
                .starts_with(|c: char| c.is_ascii_alphanumeric());
        if spaced_before || spaced_after {
            return false;
        }
    }
    content
}

/// Whether `s` is one to three words and nothing else (`converges`, `No`, `\text{(B)}`,
/// `Tuesday.`).
fn is_word_answer(s: &str) -> bool {
    let mut t = s.to_string();
    for w in TEXT_WRAPPERS {
        t = t.replace(&format!("\\{w}"), " ");
    }
    let t = t.trim_end_matches(['.', '!']);
    if t.len() > 40
        || !t
            .chars()
            .all(|c| c.is_alphabetic() || c.is_whitespace() || "{}()-".contains(c))
    {
        return false;
    }
    let words = t
        .split(|c: char| !c.is_alphabetic())
        .filter(|w| !w.is_empty())
        .count();
    (1..=3).contains(&words)
}

/// Whether `s` (trimmed) is an answer written by itself.
fn is_bare_answer(s: &str) -> bool {
    if s.is_empty() || s.len() > MAX_BARE_CHARS {
        return false;
    }
    if is_word_answer(s) {
        return true;
    }
    if !looks_like_expression(s) {
        return false;
    }
    // An expression this engine cannot read (`\\sum_{k=1}^{n} k`) is still the answer: it
    // may be identical to the reference, and its last number is not the answer.
    let mut budget = crate::steps::Steps::new(20_000);
    !matches!(
        crate::parser::parse(&clean(s), &mut budget),
        Ok(crate::expr::Expr::Text(_))
    )
}

/// The whole response, or its final non-empty line, when it is an answer by itself.
fn bare(s: &str) -> Option<Extracted> {
    let whole = s.trim();
    let candidate = if is_bare_answer(whole.trim_end_matches('.')) {
        whole
    } else {
        let line = whole.lines().map(str::trim).rfind(|l| !l.is_empty())?;
        if line.len() == whole.len() || !is_bare_answer(line.trim_end_matches('.')) {
            return None;
        }
        line
    };
    let start = candidate.as_ptr() as usize - s.as_ptr() as usize;
    Some(Extracted {
        text: clean(candidate),
        source: Source::Bare,
        span: start..start + candidate.len(),
    })
}

/// Whether the response contains a box command at all.
fn has_box(s: &str) -> bool {
    s.contains("\\boxed") || s.contains("\\fbox")
}

/// Removes whitespace, for comparing answer texts.
fn squash(s: &str) -> String {
    s.chars().filter(|c| !c.is_whitespace()).collect()
}

fn tail_start(s: &str, tail_chars: usize) -> usize {
    if s.len() <= tail_chars {
        return 0;
    }
    let mut i = s.len() - tail_chars;
    while !s.is_char_boundary(i) {
        i += 1;
    }
    i
}

/// Index just after the `}` matching the `{` at `open`, following at most `MAX_BOX_LEN`
/// bytes. Backslash-escaped braces do not count.
fn match_brace(s: &str, open: usize) -> Option<usize> {
    let bytes = s.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    let end = (open + MAX_BOX_LEN).min(bytes.len());
    while i < end {
        match bytes[i] {
            b'\\' => i += 1,
            b'{' => depth += 1,
            b'}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// The argument of a command whose name ends at `after`: a braced group or, as in
/// `\boxed 5`, the next run of non-space characters.
fn command_arg(s: &str, after: usize) -> Option<Range<usize>> {
    let rest = &s[after..];
    let trimmed = rest.trim_start();
    let start = after + (rest.len() - trimmed.len());
    if trimmed.starts_with('{') {
        let end = match_brace(s, start)?;
        Some(start + 1..end - 1)
    } else {
        if start == after {
            // `\boxedx` is another command, not `\boxed x`.
            return None;
        }
        let len = trimmed
            .find(|c: char| c.is_whitespace() || c == '$' || c == '}')
            .unwrap_or(trimmed.len());
        (len > 0).then_some(start..start + len)
    }
}

/// All `\boxed{}`/`\fbox{}` answers among the last [`MAX_BOXED`] occurrences, in order.
fn boxed_all(s: &str) -> Vec<Extracted> {
    let mut starts: Vec<(usize, usize)> = Vec::new();
    for cmd in ["\\boxed", "\\fbox"] {
        starts.extend(
            s.rmatch_indices(cmd)
                .take(MAX_BOXED)
                .map(|(i, _)| (i, i + cmd.len())),
        );
    }
    starts.sort_unstable();
    let skip = starts.len().saturating_sub(MAX_BOXED);
    let mut out: Vec<Extracted> = Vec::new();
    for &(begin, after) in &starts[skip..] {
        // A box nested inside the previous one (`\boxed{\boxed{1}}`) is the same answer.
        if out.last().is_some_and(|prev| begin < prev.span.end) {
            continue;
        }
        if let Some(r) = command_arg(s, after) {
            out.push(Extracted {
                text: clean(&s[r.clone()]),
                source: Source::Boxed,
                span: r,
            });
        }
    }
    out
}

fn answer_tag(s: &str) -> Option<Extracted> {
    let open = s.rfind("<answer>")? + "<answer>".len();
    let close = s[open..].find("</answer>").map_or(s.len(), |i| open + i);
    let inner = &s[open..close];
    // A boxed answer inside the tag is the answer.
    if let Some(b) = boxed_all(inner).pop() {
        let span = open + b.span.start..open + b.span.end;
        return Some(Extracted {
            text: b.text,
            source: Source::AnswerTag,
            span,
        });
    }
    Some(Extracted {
        text: clean(inner),
        source: Source::AnswerTag,
        span: open..close,
    })
}

/// Anchored phrases, matched case-insensitively; the answer follows them. `####` is the
/// GSM8K convention.
const PHRASES: &[&str] = &[
    "final answer is",
    "final answer:",
    "**final answer**",
    "**answer:**",
    "**answer**:",
    "**answer**",
    "answer:",
    "the answer is",
    "####",
];

/// Phrases that name the final answer (they override earlier boxes).
const FINAL_PHRASES: &[&str] = &["final answer is", "final answer:", "**final answer**"];

fn phrase(s: &str, tail: usize) -> Option<Extracted> {
    phrase_among(s, tail, PHRASES)
}

fn phrase_among(s: &str, tail: usize, phrases: &[&str]) -> Option<Extracted> {
    let lower = s[tail..].to_ascii_lowercase();
    let (at, len) = phrases
        .iter()
        .filter_map(|p| lower.rfind(p).map(|i| (i, p.len())))
        .max_by_key(|&(i, len)| (i + len, len))?;
    let start = tail + at + len;
    let rest = &s[start..];
    // The answer runs to the end of the line, or of the sentence.
    let line_end = rest.find('\n').unwrap_or(rest.len());
    let mut line = &rest[..line_end];
    if line.trim().is_empty() {
        // "Final Answer:\n\n$42$": take the next non-empty line.
        let after = rest[line_end..].trim_start();
        let next_end = after.find('\n').unwrap_or(after.len());
        line = &after[..next_end];
    }
    // The first sentence after the phrase (a `.` inside a math span does not end it).
    let sentence = match sentence_end(line) {
        Some(end) if line[..end].matches('$').count().is_multiple_of(2) => &line[..end],
        _ => line,
    };
    // An answer by itself (`7`, `$42$`, `(1, 2)`), else the later of its last math span and
    // its last number ("The largest $n$ is 34", "Jane started 3 hours ago").
    let text = if is_bare_answer(sentence.trim().trim_end_matches('.')) {
        sentence
    } else {
        match (math_span(sentence, 0), last_number(sentence, 0)) {
            (Some(m), Some(n)) if n.span.start > m.span.end => &sentence[n.span],
            (Some(m), _) => &sentence[m.span],
            (None, Some(n)) => &sentence[n.span],
            (None, None) => sentence,
        }
    };
    let rel = text.as_ptr() as usize - s.as_ptr() as usize;
    Some(Extracted {
        text: clean(text),
        source: Source::Phrase,
        span: rel..rel + text.len(),
    })
}

/// End of the first sentence: a `.` followed by a space (not a decimal point).
fn sentence_end(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    (0..b.len()).find(|&i| b[i] == b'.' && b.get(i + 1).is_none_or(|c| c.is_ascii_whitespace()))
}

fn bold(s: &str, tail: usize) -> Option<Extracted> {
    let t = &s[tail..];
    let close = t.rfind("**")?;
    let open = t[..close].rfind("**")?;
    let inner = &t[open + 2..close];
    if inner.is_empty() || inner.len() > 200 || inner.contains('\n') {
        return None;
    }
    let start = tail + open + 2;
    Some(Extracted {
        text: clean(inner),
        source: Source::Bold,
        span: start..start + inner.len(),
    })
}

fn math_span(s: &str, tail: usize) -> Option<Extracted> {
    let t = &s[tail..];
    let mut best: Option<Range<usize>> = None;
    for (open, close) in [("\\(", "\\)"), ("\\[", "\\]"), ("$$", "$$")] {
        if let Some(c) = t.rfind(close) {
            if let Some(o) = t[..c].rfind(open) {
                let r = o + open.len()..c;
                // Inline math does not run over lines; display math may.
                if open == "\\(" && t[r.clone()].contains('\n') {
                    continue;
                }
                if best.as_ref().is_none_or(|b| r.end > b.end) {
                    best = Some(r);
                }
            }
        }
    }
    // Single dollars: pair them from the start of the tail.
    let dollars: Vec<usize> = t
        .match_indices('$')
        .map(|(i, _)| i)
        .filter(|&i| i == 0 || t.as_bytes()[i - 1] != b'\\')
        .collect();
    if dollars.len() >= 2 {
        let mut pairs = dollars
            .chunks_exact(2)
            .filter(|p| p[1] > p[0] + 1 && !t[p[0]..p[1]].contains('\n'));
        if let Some(p) = pairs.next_back() {
            let r = p[0] + 1..p[1];
            if best.as_ref().is_none_or(|b| r.end > b.end) {
                best = Some(r);
            }
        }
    }
    let r = best?;
    let inner = &t[r.clone()];
    let inner_trim = inner.trim_matches('$');
    Some(Extracted {
        text: clean(inner_trim),
        source: Source::Math,
        span: tail + r.start..tail + r.end,
    })
}

fn last_number(s: &str, tail: usize) -> Option<Extracted> {
    let t = &s[tail..];
    let b = t.as_bytes();
    let mut end = b.len();
    let mut start;
    loop {
        while end > 0 && !b[end - 1].is_ascii_digit() {
            end -= 1;
        }
        if end == 0 {
            return None;
        }
        start = end;
        while start > 0 {
            let c = b[start - 1];
            let inner_sep = (c == b'.' || c == b',' || c == b'/')
                && start >= 2
                && b[start - 2].is_ascii_digit();
            if c.is_ascii_digit() || inner_sep {
                start -= 1;
            } else {
                break;
            }
        }
        // Digits inside a word (`AZYUK2A`, `H2O`, `x2`) are not a number of the prose.
        if start > 0 && b[start - 1].is_ascii_alphabetic() {
            end = start;
            continue;
        }
        break;
    }
    // `.4` is 0.4, not 4.
    if start > 0 && b[start - 1] == b'.' && (start < 2 || !b[start - 2].is_ascii_digit()) {
        start -= 1;
    }
    if start > 0 && b[start - 1] == b'-' {
        start -= 1;
    }
    // A percent sign right after the number belongs to it (`100%`, `25 \\%`).
    let rest = &t[end..];
    let pct = rest.trim_start_matches(' ');
    if pct.starts_with('%') {
        end += rest.len() - pct.len() + 1;
    } else if pct.starts_with("\\%") {
        end += rest.len() - pct.len() + 2;
    }
    Some(Extracted {
        text: t[start..end].to_string(),
        source: Source::LastNumber,
        span: tail + start..tail + end,
    })
}

/// Strips wrappers and trailing punctuation from an extracted answer.
pub fn clean(s: &str) -> String {
    let mut t = s.trim();
    loop {
        let before = t;
        t = t.trim();
        t = t.trim_end_matches(['.', ',', ';', ':']);
        // Leftovers of the phrase's markup: `\textbf{Answer:} 5`.
        t = t.trim_start_matches([':', '}']);
        if let Some(x) = t.strip_prefix("**").and_then(|x| x.strip_suffix("**")) {
            t = x;
        }
        if let Some(x) = t.strip_prefix("\\(").and_then(|x| x.strip_suffix("\\)")) {
            t = x;
        }
        if let Some(x) = t.strip_prefix("\\[").and_then(|x| x.strip_suffix("\\]")) {
            t = x;
        }
        if t.len() >= 2 && t.starts_with('$') && t.ends_with('$') && !t.ends_with("\\$") {
            t = t.trim_matches('$');
        }
        if t == before {
            break;
        }
    }
    // A boxed answer inside (e.g. "the answer is $\boxed{5}$").
    if let Some(b) = boxed_all(t).pop() {
        if b.span.start <= 8 && b.span.end + 1 >= t.len() {
            return b.text;
        }
    }
    t.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ans(s: &str) -> Option<(String, Source)> {
        extract(s, &ExtractOptions::default())
            .answer
            .map(|e| (e.text, e.source))
    }

    #[test]
    fn boxed_forms() {
        assert_eq!(
            ans("so \\boxed{\\frac{1}{2}}."),
            Some(("\\frac{1}{2}".into(), Source::Boxed))
        );
        assert_eq!(ans("\\boxed 5 done"), Some(("5".into(), Source::Boxed)));
        assert_eq!(ans("\\fbox{7}"), Some(("7".into(), Source::Boxed)));
        assert_eq!(
            ans("\\boxed{\\{1,2\\}}"),
            Some(("\\{1,2\\}".into(), Source::Boxed))
        );
    }

    #[test]
    fn spamming_is_reported() {
        let e = extract(
            "\\boxed{1} or \\boxed{2} or \\boxed{3}",
            &ExtractOptions::default(),
        );
        assert_eq!(e.answer.unwrap().text, "3");
        assert_eq!(e.alternatives, vec!["1".to_string(), "2".to_string()]);
    }

    #[test]
    fn phrases_and_fallbacks() {
        assert_eq!(ans("The final answer is $42$. I hope").unwrap().0, "42");
        assert_eq!(ans("blah\nAnswer: 3.5\n").unwrap().0, "3.5");
        assert_eq!(ans("so it is **73**").unwrap().0, "73");
        assert_eq!(ans("<answer>x = 2</answer>").unwrap().0, "x = 2");
        assert_eq!(ans("we get $x+1$ and then").unwrap().0, "x+1");
        assert_eq!(
            ans("there are 12 apples and 1,000 pears").unwrap().0,
            "1,000"
        );
        let no_fallback = ExtractOptions {
            number_fallback: false,
            ..ExtractOptions::default()
        };
        assert!(extract("there are 12 apples", &no_fallback)
            .answer
            .is_none());
    }
}

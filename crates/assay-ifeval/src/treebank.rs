//! NLTK's `word_tokenize` (NLTK 3.9): Punkt sentences ([`crate::sentences`]), then the improved
//! Treebank word tokenizer (`NLTKWordTokenizer`) on each sentence (IFBench spec §2.3).
//!
//! The tokenizer is a fixed sequence of regular-expression substitutions followed by a split on
//! whitespace. Each step here reproduces one substitution with Python's `re` semantics (Python's
//! `\s`, `\w`, `\b` and `$`); the steps that need look-around are written out by hand.

use std::sync::OnceLock;

use regex::{Captures, Regex};

use crate::pytext::{is_boundary, is_space, is_word};
use crate::sentences::sentence_spans;

/// NLTK's `word_tokenize(text)`: the tokens of every Punkt sentence of `text`, in order.
pub fn word_tokenize(text: &str) -> Vec<String> {
    let chars: Vec<(usize, char)> = text.char_indices().collect();
    let byte = |cp: usize| chars.get(cp).map_or(text.len(), |(b, _)| *b);
    let mut out = Vec::new();
    for (a, b) in sentence_spans(text) {
        out.extend(tokenize(&text[byte(a)..byte(b)]));
    }
    out
}

struct Rules {
    starting_quotes: Regex,
    double_backtick: Regex,
    open_quote: Regex,
    colon_comma: Regex,
    dots: Regex,
    symbols: Regex,
    question: Regex,
    apostrophe_space: Regex,
    star: Regex,
    parens: Regex,
    double_dash: Regex,
    closing_quotes: Regex,
    clitics2: Regex,
    clitics3: Regex,
    contractions2: Vec<Regex>,
    contractions3: Vec<Regex>,
}

fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        let re = |p: &str| Regex::new(p).expect("valid tokenizer pattern");
        Rules {
            starting_quotes: re("([«“‘„]|`+)"),
            double_backtick: re("(``)"),
            open_quote: re(r#"([ (\[{<])("|'')"#),
            colon_comma: re(r"([:,])([^\d])"),
            dots: re(r"\.{2,}"),
            symbols: re(r"[;@#$%&]"),
            question: re(r"[?!]"),
            apostrophe_space: re(r"([^'])' "),
            star: re(r"\*"),
            parens: re(r"[\]\[(){}<>]"),
            double_dash: re("--"),
            closing_quotes: re("([»”’])"),
            clitics2: re(r"([^' ])('[sS]|'[mM]|'[dD]|') "),
            clitics3: re(r"([^' ])('ll|'LL|'re|'RE|'ve|'VE|n't|N'T) "),
            contractions2: [
                "(?i)(can)(not)",
                "(?i)(d)('ye)",
                "(?i)(gim)(me)",
                "(?i)(gon)(na)",
                "(?i)(got)(ta)",
                "(?i)(lem)(me)",
                "(?i)(more)('n)",
                "(?i)(wan)(na)",
            ]
            .iter()
            .map(|p| re(p))
            .collect(),
            contractions3: ["(?i) ('t)(is)", "(?i) ('t)(was)"]
                .iter()
                .map(|p| re(p))
                .collect(),
        }
    })
}

/// `re.sub(pattern, rep, text)`, skipped when `trigger` says the pattern cannot match.
fn sub(re: &Regex, text: String, rep: &str, trigger: bool) -> String {
    if !trigger {
        return text;
    }
    match re.replace_all(&text, rep) {
        std::borrow::Cow::Borrowed(_) => text,
        std::borrow::Cow::Owned(s) => s,
    }
}

fn has_any(text: &str, chars: &[char]) -> bool {
    text.contains(chars)
}

/// `re.sub(r"\s+", " ", text)`.
fn collapse_whitespace(text: String) -> String {
    if !text.chars().any(|c| is_space(c) && c != ' ') && !text.contains("  ") {
        return text;
    }
    let mut out = String::with_capacity(text.len());
    let mut in_ws = false;
    for c in text.chars() {
        if is_space(c) {
            if !in_ws {
                out.push(' ');
            }
            in_ws = true;
        } else {
            out.push(c);
            in_ws = false;
        }
    }
    out
}

/// The words the contraction patterns split, lowercased, in pattern order.
const CONTRACTED: [&str; 8] = [
    "cannot", "d'ye", "gimme", "gonna", "gotta", "lemme", "more'n", "wanna",
];

/// `NLTKWordTokenizer().tokenize(text)` (no parenthesis conversion). Each substitution is
/// skipped when the text lacks the characters it needs.
pub fn tokenize(text: &str) -> Vec<String> {
    let r = rules();
    // Starting quotes.
    let quotes = has_any(text, &['«', '“', '‘', '„', '`']);
    let mut t = sub(&r.starting_quotes, text.to_string(), " $1 ", quotes);
    if let Some(rest) = t.strip_prefix('"') {
        t = format!("``{rest}");
    }
    let backtick = t.contains("``");
    t = sub(&r.double_backtick, t, " $1 ", backtick);
    let quote = t.contains('"') || t.contains("''");
    t = sub(&r.open_quote, t, "$1 `` ", quote);
    t = split_leading_apostrophe(&t);
    // Punctuation.
    t = final_period(&t, "]})>\"'»”’ ", true);
    let cc = has_any(&t, &[':', ',']);
    t = sub(&r.colon_comma, t, " $1 $2", cc);
    t = final_colon_comma(&t);
    let dots = t.contains("..");
    t = sub(&r.dots, t, " $0 ", dots);
    let symbols = has_any(&t, &[';', '@', '#', '$', '%', '&']);
    t = sub(&r.symbols, t, " $0 ", symbols);
    t = final_period(&t, "]})>\"'", false);
    let marks = has_any(&t, &['?', '!']);
    t = sub(&r.question, t, " $0 ", marks);
    let apostrophe_space = t.contains("' ");
    t = sub(&r.apostrophe_space, t, "$1 ' ", apostrophe_space);
    let star = t.contains('*');
    t = sub(&r.star, t, " $0 ", star);
    let brackets = has_any(&t, &['[', ']', '(', ')', '{', '}', '<', '>']);
    t = sub(&r.parens, t, " $0 ", brackets);
    let dash = t.contains("--");
    t = sub(&r.double_dash, t, " -- ", dash);
    t = format!(" {t} ");
    // Ending quotes.
    let closing = has_any(&t, &['»', '”', '’']);
    t = sub(&r.closing_quotes, t, " $1 ", closing);
    if t.contains("''") {
        t = t.replace("''", " '' ");
    }
    if t.contains('"') {
        t = t.replace('"', " '' ");
    }
    t = collapse_whitespace(t);
    let apostrophe = t.contains('\'');
    t = sub(&r.clitics2, t, "$1 $2 ", apostrophe);
    t = sub(&r.clitics3, t, "$1 $2 ", apostrophe);
    // Case-insensitive matching may also match non-ASCII letters (the Kelvin sign, the long s):
    // the literal pre-check applies only to ASCII text.
    let lowered = t.to_lowercase();
    let ascii = lowered.is_ascii();
    for (k, re) in r.contractions2.iter().enumerate() {
        if ascii && !lowered.contains(CONTRACTED[k]) {
            continue;
        }
        // `\b(..)(..)\b`, except `wan-na`, which must be followed by whitespace.
        let lookahead_space = k == 7;
        t = replace_checked(re, &t, |text, start, end| {
            is_boundary(text, start)
                && if lookahead_space {
                    text[end..].chars().next().is_some_and(is_space)
                } else {
                    is_boundary(text, end)
                }
        });
    }
    for (k, re) in r.contractions3.iter().enumerate() {
        if ascii && !lowered.contains([" 'tis", " 'twas"][k]) {
            continue;
        }
        t = replace_checked(re, &t, |text, _, end| is_boundary(text, end));
    }
    t.split(is_space)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect()
}

/// Replaces the non-overlapping matches of a two-group pattern that pass `ok` (a look-around
/// condition on the match's byte range) by ` $1 $2 `, scanning left to right as `re.sub` does.
fn replace_checked(re: &Regex, text: &str, ok: impl Fn(&str, usize, usize) -> bool) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut last = 0;
    let mut at = 0;
    while at <= text.len() {
        let Some(caps) = re.captures_at(text, at) else {
            break;
        };
        let m = caps.get(0).expect("whole match");
        if ok(text, m.start(), m.end()) {
            out.push_str(&text[last..m.start()]);
            push_groups(&mut out, &caps);
            last = m.end();
            at = m.end().max(m.start() + 1);
        } else {
            at = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
        }
    }
    out.push_str(&text[last..]);
    out
}

fn push_groups(out: &mut String, caps: &Captures<'_>) {
    out.push(' ');
    out.push_str(&caps[1]);
    out.push(' ');
    out.push_str(&caps[2]);
    out.push(' ');
}

/// `(?i)(\')(?!re|ve|ll|m|t|s|d|n)(\w)\b` → `\1 \2`: an apostrophe before a one-letter word
/// that is not a clitic gets a space after it.
fn split_leading_apostrophe(text: &str) -> String {
    if !text.contains('\'') {
        return text.to_string();
    }
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len() + 4);
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        out.push(c);
        if c == '\'' {
            if let Some(&w) = chars.get(i + 1) {
                let after = chars.get(i + 2).copied();
                let clitic = matches!(
                    w.to_lowercase().next().unwrap_or(w),
                    'm' | 't' | 's' | 'd' | 'n' | 'ſ'
                );
                if is_word(w) && !after.is_some_and(is_word) && !clitic {
                    out.push(' ');
                    out.push(w);
                    i += 2;
                    continue;
                }
            }
        }
        i += 1;
    }
    out
}

/// `([^\.])(\.)([CLOSERS]*)\s*$`: the last period of the text, when only closing characters and
/// whitespace follow it and it does not follow another period, is split off. With
/// `period_alone` the replacement is `\1 \2 \3 `, else `\1 \2\3 ` (the trailing whitespace is
/// dropped in both).
fn final_period(text: &str, closers: &str, period_alone: bool) -> String {
    let Some(dot) = text.rfind('.') else {
        return text.to_string();
    };
    let rest = &text[dot + 1..];
    let tail = rest.trim_start_matches(|c| closers.contains(c));
    if !tail.chars().all(is_space) || dot == 0 || text[..dot].ends_with('.') {
        return text.to_string();
    }
    let group3 = &rest[..rest.len() - tail.len()];
    let sep = if period_alone { " " } else { "" };
    format!("{} .{sep}{group3} ", &text[..dot])
}

/// `([:,])$` → ` \1 `: a colon or comma at the end of the text, or before a final newline.
fn final_colon_comma(text: &str) -> String {
    let body = text.strip_suffix('\n').unwrap_or(text);
    for candidate in [body, text] {
        if let Some(c) = candidate
            .chars()
            .next_back()
            .filter(|c| *c == ':' || *c == ',')
        {
            let at = candidate.len() - 1;
            return format!("{} {c} {}", &text[..at], &text[at + 1..]);
        }
    }
    text.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Token lists checked against NLTK 3.9.2's `word_tokenize`.
    #[test]
    fn tokens_match_nltk() {
        let cases: &[(&str, &[&str])] = &[
            (
                "Good muffins cost $3.88 (roughly 3,36 euros)\nin New York.  Please buy me\ntwo of them.\nThanks.",
                &["Good", "muffins", "cost", "$", "3.88", "(", "roughly", "3,36", "euros", ")", "in", "New", "York", ".", "Please", "buy", "me", "two", "of", "them", ".", "Thanks", "."],
            ),
            ("I can't, won't: DON'T!", &["I", "ca", "n't", ",", "wo", "n't", ":", "DO", "N'T", "!"]),
            ("\"Hello,\" she said.", &["``", "Hello", ",", "''", "she", "said", "."]),
            ("'Tis cannot gonna wanna go", &["'T", "is", "can", "not", "gon", "na", "wan", "na", "go"]),
            ("a--b ...c *x* 'a' b's", &["a", "--", "b", "...", "c", "*", "x", "*", "'", "a", "'", "b", "'s"]),
            ("End.)", &["End", ".", ")"]),
            ("Wait...", &["Wait", "..."]),
            ("Re: hi:", &["Re", ":", "hi", ":"]),
        ];
        for (text, want) in cases {
            assert_eq!(word_tokenize(text), *want, "{text:?}");
        }
    }
}

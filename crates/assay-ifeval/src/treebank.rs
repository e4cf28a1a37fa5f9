//! NLTK's `word_tokenize` (NLTK 3.9): Punkt sentences ([`crate::sentences`]), then the improved
//! Treebank word tokenizer (`NLTKWordTokenizer`) on each sentence (IFBench spec §2.3).
//!
//! The tokenizer is a fixed sequence of regular-expression substitutions followed by a split on
//! whitespace. Each step here reproduces one substitution with Python's `re` semantics (Python's
//! `\s`, `\w`, `\b` and `$`); the steps that need look-around are written out by hand.

use std::sync::OnceLock;

use regex::{Captures, Regex};

use crate::pytext::{is_boundary, is_space, is_word, PY_WS};
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
    whitespace: Regex,
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
            whitespace: re(&format!("{PY_WS}+")),
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

fn sub(re: &Regex, text: &str, rep: &str) -> String {
    re.replace_all(text, rep).into_owned()
}

/// `NLTKWordTokenizer().tokenize(text)` (no parenthesis conversion).
pub fn tokenize(text: &str) -> Vec<String> {
    let r = rules();
    // Starting quotes.
    let mut t = sub(&r.starting_quotes, text, " $1 ");
    if let Some(rest) = t.strip_prefix('"') {
        t = format!("``{rest}");
    }
    t = sub(&r.double_backtick, &t, " $1 ");
    t = sub(&r.open_quote, &t, "$1 `` ");
    t = split_leading_apostrophe(&t);
    // Punctuation.
    t = final_period(&t, "]})>\"'»”’ ", true);
    t = sub(&r.colon_comma, &t, " $1 $2");
    t = final_colon_comma(&t);
    t = sub(&r.dots, &t, " $0 ");
    t = sub(&r.symbols, &t, " $0 ");
    t = final_period(&t, "]})>\"'", false);
    t = sub(&r.question, &t, " $0 ");
    t = sub(&r.apostrophe_space, &t, "$1 ' ");
    t = sub(&r.star, &t, " $0 ");
    t = sub(&r.parens, &t, " $0 ");
    t = sub(&r.double_dash, &t, " -- ");
    t = format!(" {t} ");
    // Ending quotes.
    t = sub(&r.closing_quotes, &t, " $1 ");
    t = t.replace("''", " '' ");
    t = t.replace('"', " '' ");
    t = sub(&r.whitespace, &t, " ");
    t = sub(&r.clitics2, &t, "$1 $2 ");
    t = sub(&r.clitics3, &t, "$1 $2 ");
    for (k, re) in r.contractions2.iter().enumerate() {
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
    for re in &r.contractions3 {
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

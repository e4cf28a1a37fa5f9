//! Sentence counting in the manner of NLTK's English Punkt model (spec §3.2), and the word
//! tokenization that `capital_word_frequency` counts over (spec §3.4).
//!
//! IFEval counts sentences with NLTK's *trained* English Punkt model. Its parameters
//! (abbreviations, collocations, sentence starters, orthographic statistics) are not shipped
//! here; this module applies Punkt's algorithm — the same candidate search, first and second
//! pass and boundary realignment — with a built-in abbreviation list and a small list of common
//! sentence starters standing in for the trained statistics. Known differences:
//!
//! - an abbreviation, initial or ellipsis followed by a capitalized word breaks only when that
//!   word is a common sentence starter ("The", "It", "We" …); Punkt decides from its training
//!   counts, so rare starters may differ;
//! - a number with a period (`1.`) followed by a word starting in lower case does not break,
//!   followed by anything else it does (Punkt's orthographic test, approximated);
//! - collocations learnt in training (e.g. `Jan. 5`) are not known.
//!
//! Everything common in responses — `. ? !` followed by whitespace, quotes and brackets moving
//! to the previous sentence, `?!`/`!!!` counting once, `3.14`/`Hello.World` not splitting,
//! newlines never splitting — follows Punkt exactly.

use crate::pytext::{is_space, rstrip, strip};

/// Characters that may follow a sentence-ending `. ? !` directly and still make it a candidate.
const AFTER: &str = ")\";}]*:@'({[?!";

/// Characters that end a Punkt word token (Punkt's "non-word chars").
const NON_WORD: &str = "?!)\";}]*:@'({[";

/// Characters that cannot start a Punkt word token.
const NOT_WORD_START: &str = "(\"`{[:;&#*@)}]-,";

/// Abbreviations (lowercased, without the final period) that do not end a sentence.
const ABBREVIATIONS: &[&str] = &[
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "inc", "co", "corp", "ltd", "llc", "vs",
    "e.g", "i.e", "u.s", "u.k", "u.n", "u.s.a", "a.m", "p.m", "d.c", "jan", "feb", "mar", "apr",
    "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec", "mon", "tue", "wed", "thu", "fri",
    "sat", "sun", "no", "nos", "gen", "gov", "sen", "rep", "lt", "col", "capt", "sgt", "rev", "mt",
    "ft", "ave", "blvd", "dept", "univ", "assn", "bros", "messrs", "calif", "fla", "ariz", "mass",
    "mich", "minn", "conn", "penn", "wash", "ill", "kan", "ky", "la", "md", "neb", "nev", "okla",
    "ore", "tenn", "tex", "wis", "colo", "ga", "va", "pa", "n.y", "n.j", "cf", "al", "approx",
    "fig", "figs", "vol", "vols", "ed", "eds", "op", "cit", "ibid", "ph.d", "m.d", "b.a", "m.a",
    "b.s", "m.s", "etc",
];

/// Common words that, capitalized after an abbreviation, an initial or an ellipsis, start a new
/// sentence (stand-in for Punkt's orthographic statistics and frequent sentence starters).
const STARTERS: &[&str] = &[
    "the",
    "a",
    "an",
    "i",
    "it",
    "its",
    "this",
    "that",
    "these",
    "those",
    "he",
    "she",
    "we",
    "they",
    "you",
    "in",
    "on",
    "at",
    "for",
    "but",
    "and",
    "so",
    "if",
    "there",
    "what",
    "when",
    "how",
    "why",
    "where",
    "who",
    "my",
    "our",
    "his",
    "her",
    "their",
    "your",
    "as",
    "after",
    "before",
    "however",
    "also",
    "to",
    "with",
    "by",
    "from",
    "one",
    "some",
    "many",
    "most",
    "all",
    "each",
    "no",
    "not",
    "yes",
    "then",
    "now",
    "here",
    "while",
    "although",
    "because",
    "since",
    "other",
    "another",
    "both",
    "let",
    "please",
    "do",
    "does",
    "is",
    "are",
    "was",
    "were",
    "be",
    "can",
    "will",
    "would",
    "should",
    "could",
    "may",
    "of",
    "or",
    "first",
    "finally",
    "next",
    "thus",
    "therefore",
    "instead",
    "still",
    "yet",
    "even",
    "just",
    "only",
    "every",
    "any",
    "such",
    "more",
    "once",
];

fn is_number_type(token: &str) -> bool {
    // Punkt: ^-?[\.,]?\d[\d,\.-]*\.?$
    let t = token.strip_prefix('-').unwrap_or(token);
    let t = t
        .strip_prefix('.')
        .or_else(|| t.strip_prefix(','))
        .unwrap_or(t);
    let mut chars = t.chars();
    match chars.next() {
        Some(c) if c.is_numeric() => {}
        _ => return false,
    }
    let rest: String = chars.collect();
    let rest = rest.strip_suffix('.').unwrap_or(&rest);
    rest.chars()
        .all(|c| c.is_numeric() || c == ',' || c == '.' || c == '-')
}

fn is_abbreviation(ty: &str) -> bool {
    if ABBREVIATIONS.contains(&ty) {
        return true;
    }
    if let Some((_, last)) = ty.rsplit_once('-') {
        if ABBREVIATIONS.contains(&last) {
            return true;
        }
    }
    // Dotted single letters: "e.g", "u.s.a", "a.b.c".
    ty.contains('.')
        && ty
            .split('.')
            .all(|p| p.chars().count() == 1 && p.chars().all(char::is_alphabetic))
}

fn is_initial(ty: &str) -> bool {
    let mut chars = ty.chars();
    matches!((chars.next(), chars.next()), (Some(c), None) if c.is_alphabetic())
}

/// The Punkt word token that ends at the candidate (inclusive), from the chunk of non-space text.
fn last_token(chunk: &[char]) -> String {
    let start = chunk
        .iter()
        .rposition(|c| NON_WORD.contains(*c))
        .map_or(0, |p| p + 1);
    let token = &chunk[start..];
    let skip = token
        .iter()
        .take_while(|c| NOT_WORD_START.contains(**c))
        .count();
    token[skip..].iter().collect()
}

/// The next token after the candidate, for the orthographic test.
fn next_word(chars: &[char], from: usize) -> String {
    let mut i = from;
    while i < chars.len() && is_space(chars[i]) {
        i += 1;
    }
    if i < chars.len() && AFTER.contains(chars[i]) && i == from {
        return chars[i].to_string();
    }
    let mut word = String::new();
    while i < chars.len() && !is_space(chars[i]) {
        word.push(chars[i]);
        i += 1;
    }
    word
}

fn starts_sentence(next: &str) -> bool {
    let first = next.chars().next();
    if !first.is_some_and(char::is_uppercase) {
        return false;
    }
    let core: String = next
        .chars()
        .take_while(|c| c.is_alphanumeric() || *c == '\'')
        .collect::<String>()
        .to_lowercase();
    STARTERS.contains(&core.as_str())
}

/// The number of sentences in `text`, as NLTK's English Punkt tokenizer counts them
/// (approximately: see the module documentation).
pub fn count_sentences(text: &str) -> usize {
    let text = rstrip(text);
    if strip(text).is_empty() {
        return 0;
    }
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    // Candidates: `. ? !` followed by an AFTER char, or by whitespace then a token.
    let mut candidates: Vec<usize> = Vec::new();
    for i in 0..n {
        if !matches!(chars[i], '.' | '?' | '!') || i + 1 >= n {
            continue;
        }
        let next = chars[i + 1];
        if AFTER.contains(next) || is_space(next) {
            // Keep only the last candidate of a run with no whitespace between.
            if let Some(&prev) = candidates.last() {
                if !chars[prev + 1..=i].iter().any(|c| is_space(*c)) {
                    candidates.pop();
                }
            }
            candidates.push(i);
        }
    }
    let mut starts = vec![0usize];
    for &i in &candidates {
        let chunk_start = chars[..i]
            .iter()
            .rposition(|c| is_space(*c))
            .map_or(0, |p| p + 1);
        let next = next_word(&chars, i + 1);
        let brk = match chars[i] {
            '?' | '!' => true,
            _ => {
                let token = last_token(&chars[chunk_start..=i]);
                if token == "." {
                    true
                } else if token.ends_with("..") {
                    starts_sentence(&next)
                } else {
                    let ty = token[..token.len() - 1].to_lowercase();
                    if is_number_type(&token) {
                        let first = next.chars().next();
                        !(first.is_some_and(char::is_lowercase)
                            || first.is_some_and(|c| ";:,.!?".contains(c)))
                    } else if is_abbreviation(&ty) || is_initial(&ty) {
                        starts_sentence(&next)
                    } else {
                        true
                    }
                }
            }
        };
        if brk {
            let mut start = i + 1;
            if !AFTER.contains(chars[start]) {
                while start < n && is_space(chars[start]) {
                    start += 1;
                }
            }
            starts.push(start);
        }
    }
    // Pieces, with boundary realignment of leading closing quotes and brackets.
    let mut count = 0;
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(n);
        let mut s = start;
        if k > 0 {
            let mut j = s;
            while j < end && "\"')]}".contains(chars[j]) {
                j += 1;
            }
            if j > s {
                let followed = j >= n
                    || chars[j] == '\n'
                    || is_space(chars[j])
                    || (chars[j] == '-' && chars.get(j + 1) == Some(&'-'));
                if followed {
                    s = j;
                    while s < end && is_space(chars[s]) {
                        s += 1;
                    }
                }
            }
        }
        if s < end {
            count += 1;
        }
    }
    count
}

/// The tokens of NLTK's `word_tokenize` that matter for case tests: runs of text cut where the
/// improved Treebank tokenizer cuts them (spec §3.4). Periods stay attached (they do not change
/// `isupper`).
pub fn word_tokens(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    let chars: Vec<char> = text.chars().collect();
    let mut current = String::new();
    let flush = |current: &mut String, tokens: &mut Vec<String>| {
        if !current.is_empty() {
            split_clitics(std::mem::take(current), tokens);
        }
    };
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        let separator = is_space(c)
            || "«“‘„”»’\"`;@#$%&?!*()[]{}<>".contains(c)
            || ('\u{2012}'..='\u{2015}').contains(&c)
            || ((c == ',' || c == ':') && !next.is_some_and(|d| d.is_ascii_digit()))
            || (c == '-' && next == Some('-'))
            || (c == '.' && next == Some('.'));
        if separator {
            flush(&mut current, &mut tokens);
            if !is_space(c) {
                tokens.push(c.to_string());
            }
            // Swallow the rest of a `--` or `..` run.
            if (c == '-' || c == '.') && next == Some(c) {
                while i + 1 < chars.len() && chars[i + 1] == c {
                    i += 1;
                }
            }
        } else {
            current.push(c);
        }
        i += 1;
    }
    flush(&mut current, &mut tokens);
    tokens
}

fn split_clitics(token: String, tokens: &mut Vec<String>) {
    // A leading apostrophe before a word is split off.
    let (lead, body) = match token.strip_prefix('\'') {
        Some(rest) if !rest.is_empty() && !rest.starts_with('\'') => ("'", rest.to_string()),
        _ => ("", token.clone()),
    };
    if !lead.is_empty() {
        let lower = body.to_lowercase();
        // 'tis, 'twas: "'t" + "is".
        if lower == "tis" || lower == "twas" {
            tokens.push(format!("'{}", &body[..1]));
            tokens.push(body[1..].to_string());
            return;
        }
        tokens.push(lead.to_string());
    }
    let body = body.as_str();
    let lower = body.to_lowercase();
    for (word, cut) in [
        ("cannot", 3),
        ("gimme", 3),
        ("gonna", 3),
        ("gotta", 3),
        ("lemme", 3),
        ("more'n", 4),
        ("wanna", 3),
        ("d'ye", 1),
    ] {
        if lower == word {
            let at = body.char_indices().nth(cut).map_or(body.len(), |(b, _)| b);
            tokens.push(body[..at].to_string());
            tokens.push(body[at..].to_string());
            return;
        }
    }
    let two = ["'s", "'S", "'m", "'M", "'d", "'D"];
    let three = ["'ll", "'LL", "'re", "'RE", "'ve", "'VE", "n't", "N'T"];
    for suffix in three.iter().chain(two.iter()) {
        if let Some(stem) = body.strip_suffix(suffix) {
            if !stem.is_empty() && !stem.ends_with('\'') && !stem.ends_with(' ') {
                tokens.push(stem.to_string());
                tokens.push((*suffix).to_string());
                return;
            }
        }
    }
    if let Some(stem) = body.strip_suffix('\'') {
        if !stem.is_empty() && !stem.ends_with('\'') {
            tokens.push(stem.to_string());
            tokens.push("'".to_string());
            return;
        }
    }
    if !body.is_empty() {
        tokens.push(body.to_string());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pytext::is_upper;

    #[test]
    fn sentence_counts() {
        let cases = [
            ("", 0),
            ("   \n ", 0),
            ("no punctuation at all", 1),
            ("One. Two. Three.", 3),
            ("One.\nTwo", 2),
            ("Lines\nwithout\nstops", 1),
            ("Pi is 3.14 today.", 1),
            ("Hello.World is one.", 1),
            ("Really?! Yes.", 2),
            ("I was acting!!! I stopped.", 2),
            ("Mr. Smith went home. He slept.", 2),
            ("He said \"hi.\" Then left.", 2),
            ("Use e.g. apples. Fine.", 2),
            ("1. First item\n2. Second item", 3),
            ("wait... what", 1),
            ("End.\" ", 1),
            ("So it ends.**", 2),
        ];
        for (text, n) in cases {
            assert_eq!(count_sentences(text), n, "{text:?}");
        }
    }

    fn capitals(text: &str) -> usize {
        word_tokens(text).iter().filter(|t| is_upper(t)).count()
    }

    #[test]
    fn capital_word_tokens() {
        let cases = [
            ("I saw A AI model in 3D", 4),
            ("COVID-19 in the U.S.", 2),
            ("2024 iPhone", 0),
            ("AI's future", 1),
            ("DON'T stop", 2),
            ("Q&A", 2),
            ("AND/OR", 1),
            ("WELL-KNOWN", 1),
            ("**NOTE**", 1),
            ("IT'S I'M", 4),
            ("CANNOT", 2),
        ];
        for (text, n) in cases {
            assert_eq!(capitals(text), n, "{text:?}: {:?}", word_tokens(text));
        }
    }
}

//! Python `str` and `re` semantics that IFEval's checker relies on (spec §2): whitespace,
//! word characters, `strip`, `isupper`/`islower`, word counting.
//!
//! Everything here works on Unicode code points, as Python does.

use std::sync::OnceLock;

use regex::Regex;

/// A character class, in `regex` syntax, with exactly Python's whitespace (`str.isspace`, `\s`).
pub const PY_WS: &str = r"[\t\n\x0B\x0C\r\x1C-\x1F \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}]";

/// A character class, in `regex` syntax, with exactly Python's word characters (`\w`): letters
/// and numbers of every kind, and `_` (no combining marks).
pub const PY_WORD: &str = r"[\p{L}\p{N}_]";

/// Whether `c` is whitespace for Python (`str.isspace`).
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

fn word_char_regex() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(&format!(r"\A{PY_WORD}\z")).expect("valid class"))
}

/// Whether `c` is a word character for Python's `re` (`\w`): general category L* or N*, or `_`.
pub fn is_word(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    if !c.is_alphanumeric() {
        return false;
    }
    let mut buf = [0u8; 4];
    word_char_regex().is_match(c.encode_utf8(&mut buf))
}

/// Whether `c` is a decimal digit (general category Nd: Python's `\d` and `str.isdecimal`).
pub fn is_decimal(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_digit();
    }
    static RE: OnceLock<Regex> = OnceLock::new();
    c.is_numeric()
        && RE
            .get_or_init(|| Regex::new(r"\A\p{Nd}\z").expect("valid class"))
            .is_match(c.encode_utf8(&mut [0u8; 4]))
}

/// Python's `str.strip()`.
pub fn strip(s: &str) -> &str {
    s.trim_matches(is_space)
}

/// Python's `str.lstrip()`.
pub fn lstrip(s: &str) -> &str {
    s.trim_start_matches(is_space)
}

/// Python's `str.rstrip()`.
pub fn rstrip(s: &str) -> &str {
    s.trim_end_matches(is_space)
}

/// Whether `c` is a titlecase letter (general category Lt).
fn is_titlecase(c: char) -> bool {
    matches!(c as u32,
        0x01C5 | 0x01C8 | 0x01CB | 0x01F2 | 0x1F88..=0x1F8F | 0x1F98..=0x1F9F
        | 0x1FA8..=0x1FAF | 0x1FBC | 0x1FCC | 0x1FFC)
}

/// Python's `str.isupper()`: at least one uppercase character and none lowercase or titlecase.
pub fn is_upper(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if c.is_lowercase() || is_titlecase(c) {
            return false;
        }
        if c.is_uppercase() {
            cased = true;
        }
    }
    cased
}

/// Python's `str.islower()`: at least one lowercase character and none uppercase or titlecase.
pub fn is_lower(s: &str) -> bool {
    let mut cased = false;
    for c in s.chars() {
        if c.is_uppercase() || is_titlecase(c) {
            return false;
        }
        if c.is_lowercase() {
            cased = true;
        }
    }
    cased
}

/// IFEval's `count_words`: the number of maximal runs of word characters (NLTK's
/// `RegexpTokenizer(r"\w+")` over Python's `re`, as in NLTK 3.9 and earlier). NLTK releases that
/// compile the pattern with the `regex` module instead (3.10.x) treat combining marks and
/// zero-width joiners as word characters, and count fewer words in scripts such as Devanagari.
pub fn count_words(text: &str) -> usize {
    let mut count = 0;
    let mut in_word = false;
    for c in text.chars() {
        let w = is_word(c);
        if w && !in_word {
            count += 1;
        }
        in_word = w;
    }
    count
}

/// Whether a Python `\b` holds at byte offset `at` of `text`.
pub fn is_boundary(text: &str, at: usize) -> bool {
    let before = text[..at].chars().next_back().is_some_and(is_word);
    let after = text[at..].chars().next().is_some_and(is_word);
    before != after
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_counts_follow_python_word_chars() {
        let cases = [
            ("", 0),
            ("don't", 2),
            ("state-of-the-art", 4),
            ("3.14", 2),
            ("word1, word2.", 2),
            ("**bold** _x_", 2),
            ("नमस्ते", 2),
            ("x² ½", 1 + 1),
            ("日本語 テキスト", 2),
        ];
        for (text, n) in cases {
            assert_eq!(count_words(text), n, "{text:?}");
        }
    }

    #[test]
    fn whitespace_and_case_follow_python() {
        assert_eq!(strip("\u{1c} a \u{3000}"), "a");
        assert_eq!(strip("\u{200b}a"), "\u{200b}a");
        assert!(is_upper("AI 3D COVID-19"));
        assert!(!is_upper("2024"));
        assert!(!is_upper("iPhone"));
        assert!(!is_upper("ǅ"));
        assert!(is_lower("hello, world 42"));
        assert!(!is_lower("Hello"));
        assert!(!is_lower("123"));
    }

    #[test]
    fn boundaries() {
        assert!(is_boundary("rock-solid", 4));
        assert!(!is_boundary("rocks", 4));
        assert!(is_boundary("rock", 0));
        assert!(is_boundary("rock", 4));
    }
}

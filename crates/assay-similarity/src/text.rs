//! Python `str` semantics the reference packages rely on: whitespace (`str.split()`) and word
//! characters (`\w`, `\b`), on Unicode code points.

use std::sync::OnceLock;

use regex::Regex;

/// Whether `c` is whitespace for Python (`str.isspace`, `str.split()`, `\s`).
pub fn is_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.split()` with no argument: runs of whitespace separate, no empty pieces.
pub fn split(s: &str) -> impl Iterator<Item = &str> {
    s.split(is_space).filter(|p| !p.is_empty())
}

/// Python's `str.rstrip()`.
pub fn rstrip(s: &str) -> &str {
    s.trim_end_matches(is_space)
}

/// Whether `c` is a word character for Python's `re` (`\w`): general category L* or N*, or `_`.
pub fn is_word(c: char) -> bool {
    static RE: OnceLock<Regex> = OnceLock::new();
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    if !c.is_alphanumeric() {
        return false;
    }
    let re = RE.get_or_init(|| Regex::new(r"\A[\p{L}\p{N}_]\z").expect("valid class"));
    let mut buf = [0u8; 4];
    re.is_match(c.encode_utf8(&mut buf))
}

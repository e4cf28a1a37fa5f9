//! Small Python string operations the IFBench and training constraints are written with
//! (IFBench spec §2.1): `string.punctuation`, `str.strip(chars)`, `str.split()`, `translate`
//! deletions, `str.count`, slicing with negative indices, `int()` of Unicode digits.

use crate::pytext::{is_decimal, is_space, is_word};

/// Python's `string.punctuation`: the 32 ASCII punctuation characters.
pub const PUNCTUATION: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// Whether `c` is in `string.punctuation`.
pub fn is_punct(c: char) -> bool {
    c.is_ascii_punctuation()
}

/// `s.translate(str.maketrans('', '', string.punctuation))`.
pub fn remove_punct(s: &str) -> String {
    s.chars().filter(|c| !is_punct(*c)).collect()
}

/// `s.strip(string.punctuation + ' ')`.
pub fn strip_punct_space(s: &str) -> &str {
    s.trim_matches(|c: char| is_punct(c) || c == ' ')
}

/// `s.lstrip(string.punctuation + ' ')`.
pub fn lstrip_punct_space(s: &str) -> &str {
    s.trim_start_matches(|c: char| is_punct(c) || c == ' ')
}

/// `s.rstrip(string.punctuation + ' ')`.
pub fn rstrip_punct_space(s: &str) -> &str {
    s.trim_end_matches(|c: char| is_punct(c) || c == ' ')
}

/// `s.split()`: the runs of non-whitespace.
pub fn split(s: &str) -> Vec<&str> {
    s.split(is_space).filter(|w| !w.is_empty()).collect()
}

/// `s.lower()`.
pub fn lower(s: &str) -> String {
    s.to_lowercase()
}

/// `haystack.count(needle)`: non-overlapping occurrences; an empty needle occurs
/// `len(haystack) + 1` times.
pub fn count(haystack: &str, needle: &str) -> usize {
    if needle.is_empty() {
        haystack.chars().count() + 1
    } else {
        haystack.matches(needle).count()
    }
}

/// `c.isalpha()`: general category L*.
pub fn is_alpha(c: char) -> bool {
    is_word(c) && c != '_' && !c.is_numeric()
}

/// `c.isalnum()`: general category L* or N*.
pub fn is_alnum(c: char) -> bool {
    is_word(c) && c != '_'
}

/// The value of a decimal digit (general category Nd), as `int()` reads it. Unicode lays the
/// decimal digits out in runs of ten, zero first.
pub fn digit_value(c: char) -> Option<u32> {
    if c.is_ascii_digit() {
        return c.to_digit(10);
    }
    if !is_decimal(c) {
        return None;
    }
    let mut start = c as u32;
    while start > 0 && char::from_u32(start - 1).is_some_and(is_decimal) {
        start -= 1;
    }
    Some((c as u32 - start) % 10)
}

/// `int(s)` for a string of decimal digits (no sign, no spaces), saturating.
pub fn int_of_digits(s: &str) -> Option<u64> {
    let mut n: u64 = 0;
    for c in s.chars() {
        n = n
            .saturating_mul(10)
            .saturating_add(u64::from(digit_value(c)?));
    }
    Some(n)
}

/// The runs of decimal digits (`re.findall(r'\d+', s)`).
pub fn digit_runs(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        match (is_decimal(c), start) {
            (true, None) => start = Some(i),
            (false, Some(a)) => {
                out.push(&s[a..i]);
                start = None;
            }
            _ => {}
        }
    }
    if let Some(a) = start {
        out.push(&s[a..]);
    }
    out
}

/// `s[start:end]` with Python's slice rules (negative indices count from the end, out-of-range
/// indices are clamped), in code points.
pub fn slice(s: &str, start: i64, end: i64) -> String {
    let n = s.chars().count() as i64;
    let clamp = |i: i64| {
        if i < 0 {
            (i + n).max(0)
        } else {
            i.min(n)
        }
    };
    let (a, b) = (clamp(start), clamp(end));
    if a >= b {
        return String::new();
    }
    s.chars().skip(a as usize).take((b - a) as usize).collect()
}

/// Formats a number as Python prints it when it is integral (`5` for `5.0`), else plainly.
pub fn show(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{}", x as i64)
    } else {
        format!("{x}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_string_helpers() {
        assert_eq!(remove_punct("a-b, c!"), "ab c");
        assert_eq!(strip_punct_space(" (hi!) "), "hi");
        assert_eq!(split(" a\tb\u{3000}c "), ["a", "b", "c"]);
        assert_eq!(count("aaa", "aa"), 1);
        assert_eq!(count("ab", ""), 3);
        assert_eq!(digit_value('٣'), Some(3));
        assert_eq!(digit_value('𝟗'), Some(9));
        assert_eq!(int_of_digits("١٨٠٠"), Some(1800));
        assert_eq!(digit_runs("a12b3"), ["12", "3"]);
        assert_eq!(slice("hello", 1, 3), "el");
        assert_eq!(slice("hello", -3, 100), "llo");
        assert_eq!(slice("hello", 4, 2), "");
        assert!(is_alpha('é') && !is_alpha('1') && !is_alpha('_'));
        assert_eq!(show(5.0), "5");
    }
}

//! Comparing a program's standard output with the expected output, on the host.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// How standard output is compared with the expected output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    /// Byte for byte.
    Exact,
    /// Line by line, with runs of spaces and tabs collapsed, leading and trailing whitespace of
    /// each line ignored and trailing blank lines ignored. The number of lines must match:
    /// printing only the first of several expected lines fails.
    #[default]
    Lines,
    /// Whitespace-separated tokens, the same number of them: an expected integer matched
    /// exactly, other numbers within `float_tolerance` (absolute or relative), other tokens
    /// exactly.
    Tokens,
    /// As `lines`, ignoring letter case.
    CaseInsensitive,
}

fn normalized_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = text
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// An integer literal's digits, without sign or leading zeros, and whether it is negative.
fn integer(token: &str) -> Option<(bool, &str)> {
    let (negative, digits) = match token.as_bytes().first()? {
        b'-' => (true, &token[1..]),
        b'+' => (false, &token[1..]),
        _ => (false, token),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits = digits.trim_start_matches('0');
    Some((negative && !digits.is_empty(), digits))
}

/// Whether actual token `a` matches expected token `b`: an expected integer exactly (as
/// testlib-style checkers do: off by one is wrong however large the number), any other
/// number within the relative `tolerance`.
fn numbers_close(a: &str, b: &str, tolerance: f64) -> bool {
    if let Some(expected) = integer(b) {
        if let Some(actual) = integer(a) {
            return actual == expected;
        }
        // `5.0` for `5`: only while floats hold every integer exactly.
        const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
        return match (a.parse::<f64>(), b.parse::<f64>()) {
            (Ok(x), Ok(y)) => x == y && x.fract() == 0.0 && x.abs() < EXACT,
            _ => false,
        };
    }
    match (a.parse::<f64>(), b.parse::<f64>()) {
        // `nan` for `NaN`, `-nan` (C's printf) for `nan`; an infinity for one of the same sign.
        (Ok(x), Ok(y)) if x.is_nan() || y.is_nan() => x.is_nan() && y.is_nan(),
        (Ok(x), Ok(y)) if x.is_infinite() || y.is_infinite() => x == y,
        (Ok(x), Ok(y)) if x.is_finite() && y.is_finite() => {
            (x - y).abs() <= tolerance * y.abs().max(1.0)
        }
        _ => false,
    }
}

impl Comparator {
    /// Whether `actual` matches `expected`.
    pub fn matches(self, actual: &[u8], expected: &str, float_tolerance: f64) -> bool {
        if self == Comparator::Exact {
            return actual == expected.as_bytes();
        }
        let Ok(actual) = std::str::from_utf8(actual) else {
            return false;
        };
        match self {
            Comparator::Exact => unreachable!("handled above"),
            Comparator::Lines => normalized_lines(actual) == normalized_lines(expected),
            Comparator::CaseInsensitive => {
                normalized_lines(&actual.to_lowercase())
                    == normalized_lines(&expected.to_lowercase())
            }
            Comparator::Tokens => {
                let a: Vec<&str> = actual.split_whitespace().collect();
                let e: Vec<&str> = expected.split_whitespace().collect();
                a.len() == e.len()
                    && a.iter()
                        .zip(&e)
                        .all(|(x, y)| x == y || numbers_close(x, y, float_tolerance))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Comparator::*;

    #[test]
    fn lines_need_every_line() {
        assert!(Lines.matches(b"1 2\n3\n\n", "1  2\n3", 0.0));
        assert!(Lines.matches(b"  1\t2 \r\n3", "1 2\n3\n", 0.0));
        assert!(!Lines.matches(b"1 2\n", "1 2\n3\n", 0.0), "first line only");
        assert!(
            !Lines.matches(b"1 2\n3\n4\n", "1 2\n3\n", 0.0),
            "extra line"
        );
        assert!(!Lines.matches(b"YES\n", "yes\n", 0.0));
        assert!(CaseInsensitive.matches(b"YES\n", "yes\n", 0.0));
    }

    #[test]
    fn tokens_with_tolerance() {
        assert!(Tokens.matches(b"0.3333333\n", "0.333333333", 1e-6));
        assert!(!Tokens.matches(b"0.34\n", "0.333333333", 1e-6));
        assert!(!Tokens.matches(b"1 2", "1 2 3", 1e-6));
        assert!(Tokens.matches(b"nan", "nan", 1e-6), "identical tokens");
        // Integers are compared exactly, however large (off by one is wrong).
        assert!(!Tokens.matches(b"1234568", "1234567", 1e-6));
        assert!(!Tokens.matches(b"12345678901234567891", "12345678901234567890", 1e-6));
        assert!(Tokens.matches(b"007 -0 +5", "7 0 5", 1e-6));
        assert!(Tokens.matches(b"5.0", "5", 1e-6));
        assert!(!Tokens.matches(b"5.0000001", "5", 1e-6));
        assert!(
            Tokens.matches(b"2.0000001", "2.0", 1e-6),
            "floats keep the tolerance"
        );
        assert!(Tokens.matches(b"-nan NaN inf", "nan nan Infinity", 1e-6));
        assert!(!Tokens.matches(b"-inf", "inf", 1e-6));
        assert!(!Tokens.matches(b"nan", "1.5", 1e-6));
        assert!(Exact.matches(b"a\n", "a\n", 0.0));
        assert!(!Exact.matches(b"a", "a\n", 0.0));
    }
}

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
    /// Whitespace-separated tokens, the same number of them, numbers equal within
    /// `float_tolerance` (absolute or relative), others exactly.
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

fn numbers_close(a: &str, b: &str, tolerance: f64) -> bool {
    match (a.parse::<f64>(), b.parse::<f64>()) {
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
        assert!(Exact.matches(b"a\n", "a\n", 0.0));
        assert!(!Exact.matches(b"a", "a\n", 0.0));
    }
}

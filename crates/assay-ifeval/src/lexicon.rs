//! Word lists and tables the IFBench constraints consult (IFBench spec §2.4): NLTK's English stop
//! words, the single-character emoji of the `emoji` package, and `syllapy`'s syllable counter
//! (its table of known words, then its vowel-group rule).

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use crate::pyfn::{is_punct, lower};
use crate::pytext::{is_decimal, strip};

const STOPWORDS: &str = include_str!("../data/stopwords_english.txt");
const EMOJI: &str = include_str!("../data/emoji_single.txt");
const SYLLAPY: &str = include_str!("../data/syllapy.csv");

/// Whether `word` is in NLTK's English stop-word list (exact, case-sensitive membership).
pub fn is_stopword(word: &str) -> bool {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOPWORDS.lines().filter(|l| !l.is_empty()).collect())
        .contains(word)
}

/// `emoji.is_emoji(c)` for a single character (emoji 2.15.0).
pub fn is_emoji(c: char) -> bool {
    static RANGES: OnceLock<Vec<(u32, u32)>> = OnceLock::new();
    let ranges = RANGES.get_or_init(|| {
        EMOJI
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
            .map(|l| {
                let (a, b) = l.split_once('-').expect("range");
                (
                    u32::from_str_radix(a, 16).expect("hex"),
                    u32::from_str_radix(b, 16).expect("hex"),
                )
            })
            .collect()
    });
    let c = c as u32;
    let i = ranges.partition_point(|(_, b)| *b < c);
    ranges.get(i).is_some_and(|(a, _)| *a <= c)
}

fn syllable_table() -> &'static HashMap<&'static str, u32> {
    static TABLE: OnceLock<HashMap<&'static str, u32>> = OnceLock::new();
    TABLE.get_or_init(|| {
        SYLLAPY
            .lines()
            .filter_map(|l| {
                let (w, n) = l.rsplit_once(',')?;
                Some((w, n.parse().ok()?))
            })
            .collect()
    })
}

/// `syllapy.count(word)` (syllapy 0.7.2).
pub fn syllables(word: &str) -> u32 {
    let lowered = lower(strip(word));
    let w = lowered.trim_matches(is_punct);
    if w.is_empty() || w.chars().any(is_decimal) {
        return 0;
    }
    if let Some(n) = syllable_table().get(w) {
        return *n;
    }
    // Compound words: `([^-]+)-(.+)`.
    if let Some(dash) = w.find('-').filter(|&d| d > 0) {
        let (a, rest) = (&w[..dash], &w[dash + 1..]);
        let b = rest.split('\n').next().unwrap_or("");
        if !b.is_empty() {
            let (s1, s2) = (syllables(a), syllables(b));
            return if s1 == 0 || s2 == 0 { 0 } else { s1 + s2 };
        }
    }
    vowel_groups(w)
}

fn vowel_groups(w: &str) -> u32 {
    let chars: Vec<char> = w.chars().collect();
    let vowel = |c: char| "aeiouy".contains(c);
    let mut n: i64 = i64::from(vowel(chars[0]));
    for i in 1..chars.len() {
        if vowel(chars[i]) && !vowel(chars[i - 1]) {
            n += 1;
        }
    }
    if w.ends_with('e') {
        n -= 1;
    }
    if w.ends_with("le") && chars.len() > 2 && !vowel(chars[chars.len() - 3]) {
        n += 1;
    }
    if n == 0 {
        n += 1;
    }
    n.max(0) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopwords_emoji_syllables() {
        assert!(is_stopword("the") && is_stopword("don") && !is_stopword("The"));
        assert!(is_emoji('😀') && is_emoji('©') && !is_emoji('a') && !is_emoji('\u{fe0f}'));
        // Checked against syllapy 0.7.2.
        for (w, n) in [
            ("hello", 2),
            ("the", 1),
            ("syllable", 3),
            ("rhythm", 1),
            ("table", 2),
            ("", 0),
            ("b4", 0),
            ("self-care", 2),
        ] {
            assert_eq!(syllables(w), n, "{w}");
        }
    }
}

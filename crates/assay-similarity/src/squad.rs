//! SQuAD-style exact match and token F1, as the official SQuAD v2.0 evaluation script:
//! lower-case, ASCII punctuation removed, the articles `a`, `an`, `the` removed as whole words,
//! whitespace collapsed. F1 over the bag of tokens; an empty answer on either side scores 1 when
//! both are empty, else 0. With several references the best counts.

use std::collections::HashMap;

use crate::text;

/// The SQuAD answer normalization.
pub fn normalize_answer(s: &str) -> String {
    let lower = s.to_lowercase();
    let no_punct: String = lower
        .chars()
        .filter(|c| !c.is_ascii_punctuation())
        .collect();
    // Remove whole-word articles (Python `\b(a|an|the)\b` → " ").
    let mut out = String::with_capacity(no_punct.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        if matches!(word.as_str(), "a" | "an" | "the") {
            out.push(' ');
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in no_punct.chars() {
        if text::is_word(c) {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    text::split(&out).collect::<Vec<_>>().join(" ")
}

/// Exact match after normalization: 1 or 0.
pub fn exact_match(prediction: &str, gold: &str) -> f64 {
    f64::from(u8::from(
        normalize_answer(prediction) == normalize_answer(gold),
    ))
}

/// Token-level F1 after normalization.
pub fn f1(prediction: &str, gold: &str) -> f64 {
    let p = normalize_answer(prediction);
    let g = normalize_answer(gold);
    let pt: Vec<&str> = text::split(&p).collect();
    let gt: Vec<&str> = text::split(&g).collect();
    if pt.is_empty() || gt.is_empty() {
        return f64::from(u8::from(pt == gt));
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for t in &gt {
        *counts.entry(t).or_insert(0) += 1;
    }
    let mut same = 0;
    for t in &pt {
        if let Some(c) = counts.get_mut(t) {
            if *c > 0 {
                *c -= 1;
                same += 1;
            }
        }
    }
    if same == 0 {
        return 0.0;
    }
    let precision = same as f64 / pt.len() as f64;
    let recall = same as f64 / gt.len() as f64;
    2.0 * precision * recall / (precision + recall)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn squad_normalization_and_scores() {
        assert_eq!(normalize_answer("The  Eiffel-Tower!"), "eiffeltower");
        assert_eq!(normalize_answer("an apple, a pear"), "apple pear");
        assert_eq!(normalize_answer("theater"), "theater");
        assert_eq!(exact_match("the Cat.", "cat"), 1.0);
        assert!((f1("big red cat", "the red cat") - 0.8).abs() < 1e-12);
        assert_eq!(f1("", ""), 1.0);
        assert_eq!(f1("the", "a"), 1.0);
        assert_eq!(f1("x", ""), 0.0);
    }
}

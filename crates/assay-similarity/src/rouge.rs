//! ROUGE-N and ROUGE-L F-measure exactly as Google's `rouge-score` computes them: lower-case,
//! every run of characters outside `[a-z0-9]` is a separator (so non-ASCII letters separate
//! words), optional Porter stemming of tokens longer than 3 characters ([`crate::porter`]),
//! clipped n-gram overlap, LCS over tokens. With several references the one with the best
//! F-measure counts (`score_multi`). Scores are in 0–1.

use std::collections::HashMap;

use crate::porter;

/// Precision, recall and F-measure.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Prf {
    /// Precision.
    pub precision: f64,
    /// Recall.
    pub recall: f64,
    /// F-measure (harmonic mean).
    pub fmeasure: f64,
}

fn fmeasure(precision: f64, recall: f64) -> f64 {
    if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    }
}

/// `rouge-score`'s default tokenizer.
pub fn tokenize(text: &str, stemmer: bool) -> Vec<String> {
    let lower = text.to_lowercase();
    lower
        .split(|c: char| !(c.is_ascii_lowercase() || c.is_ascii_digit()))
        .filter(|t| !t.is_empty())
        .map(|t| {
            if stemmer && t.len() > 3 {
                porter::stem(t)
            } else {
                t.to_string()
            }
        })
        .filter(|t| {
            !t.is_empty()
                && t.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        })
        .collect()
}

fn ngrams(tokens: &[String], n: usize) -> HashMap<&[String], usize> {
    let mut counts = HashMap::new();
    if n == 0 || tokens.len() < n {
        return counts;
    }
    for w in tokens.windows(n) {
        *counts.entry(w).or_insert(0) += 1;
    }
    counts
}

/// ROUGE-N between tokenized target and prediction.
pub fn rouge_n_tokens(target: &[String], prediction: &[String], n: usize) -> Prf {
    let t = ngrams(target, n);
    let p = ngrams(prediction, n);
    let overlap: usize = t
        .iter()
        .map(|(g, c)| (*c).min(p.get(g).copied().unwrap_or(0)))
        .sum();
    let t_count: usize = t.values().sum();
    let p_count: usize = p.values().sum();
    let precision = overlap as f64 / p_count.max(1) as f64;
    let recall = overlap as f64 / t_count.max(1) as f64;
    Prf {
        precision,
        recall,
        fmeasure: fmeasure(precision, recall),
    }
}

/// The length of the longest common subsequence of two token lists.
pub fn lcs_len(a: &[String], b: &[String]) -> usize {
    let mut prev = vec![0usize; b.len() + 1];
    let mut cur = vec![0usize; b.len() + 1];
    for x in a {
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                prev[j + 1].max(cur[j])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// ROUGE-L between tokenized target and prediction.
pub fn rouge_l_tokens(target: &[String], prediction: &[String]) -> Prf {
    if target.is_empty() || prediction.is_empty() {
        return Prf::default();
    }
    let lcs = lcs_len(target, prediction) as f64;
    let precision = lcs / prediction.len() as f64;
    let recall = lcs / target.len() as f64;
    Prf {
        precision,
        recall,
        fmeasure: fmeasure(precision, recall),
    }
}

/// Which ROUGE.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RougeType {
    /// ROUGE-N with this n.
    N(usize),
    /// ROUGE-L.
    L,
}

/// The score against one target.
pub fn score(target: &str, prediction: &str, kind: RougeType, stemmer: bool) -> Prf {
    let t = tokenize(target, stemmer);
    let p = tokenize(prediction, stemmer);
    match kind {
        RougeType::N(n) => rouge_n_tokens(&t, &p, n),
        RougeType::L => rouge_l_tokens(&t, &p),
    }
}

/// The score against the target with the best F-measure (the first on ties), as
/// `RougeScorer.score_multi`.
pub fn score_multi(targets: &[&str], prediction: &str, kind: RougeType, stemmer: bool) -> Prf {
    let mut best: Option<Prf> = None;
    for t in targets {
        let s = score(t, prediction, kind, stemmer);
        if best.is_none_or(|b| s.fmeasure > b.fmeasure) {
            best = Some(s);
        }
    }
    best.unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokenizer_and_scores() {
        assert_eq!(
            tokenize("Hello, Wörld! 3.14", false),
            ["hello", "w", "rld", "3", "14"]
        );
        assert_eq!(tokenize("The cats running", true), ["the", "cat", "run"]);
        let s = score(
            "the cat sat on the mat",
            "the cat on the mat",
            RougeType::N(1),
            false,
        );
        assert!((s.precision - 1.0).abs() < 1e-12);
        assert!((s.recall - 5.0 / 6.0).abs() < 1e-12);
        let l = score("a b c d", "a c d b", RougeType::L, false);
        assert!((l.fmeasure - 0.75).abs() < 1e-12);
        assert_eq!(score("", "a", RougeType::L, false).fmeasure, 0.0);
        assert_eq!(score("", "", RougeType::N(1), false).fmeasure, 0.0);
    }
}

//! BLEU exactly as sacreBLEU 2 computes it: `13a` tokenization, clipped n-gram counts against
//! the maximum count over the references, the closest reference length (ties to the shorter),
//! and exponential ("exp", mteval-v13a) smoothing.
//!
//! Sentence BLEU uses the effective order (as `sacrebleu.sentence_bleu`); corpus BLEU sums the
//! statistics of every segment first (as `sacrebleu.corpus_bleu`). Scores are on sacreBLEU's
//! 0–100 scale.

use std::collections::HashMap;

use crate::text;
use crate::tok13a::tokenize_13a;

/// The maximum n-gram order.
pub const MAX_ORDER: usize = 4;

/// Sufficient statistics of one segment (or, summed, of a corpus).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct BleuStats {
    /// Hypothesis length in tokens.
    pub sys_len: usize,
    /// Closest reference length in tokens.
    pub ref_len: usize,
    /// Clipped n-gram matches, per order.
    pub correct: [usize; MAX_ORDER],
    /// Hypothesis n-grams, per order.
    pub total: [usize; MAX_ORDER],
}

impl std::ops::AddAssign for BleuStats {
    fn add_assign(&mut self, other: BleuStats) {
        self.sys_len += other.sys_len;
        self.ref_len += other.ref_len;
        for n in 0..MAX_ORDER {
            self.correct[n] += other.correct[n];
            self.total[n] += other.total[n];
        }
    }
}

fn preprocess(segment: &str, lowercase: bool) -> String {
    let s = if lowercase {
        segment.to_lowercase()
    } else {
        segment.to_string()
    };
    tokenize_13a(text::rstrip(&s))
}

fn ngrams<'a>(tokens: &'a [&'a str]) -> HashMap<&'a [&'a str], usize> {
    let mut counts = HashMap::new();
    for n in 1..=MAX_ORDER {
        for w in tokens.windows(n) {
            *counts.entry(w).or_insert(0) += 1;
        }
    }
    counts
}

/// The statistics of `hypothesis` against `references`.
pub fn segment_stats(hypothesis: &str, references: &[&str], lowercase: bool) -> BleuStats {
    let tokenized_refs: Vec<String> = references
        .iter()
        .map(|r| preprocess(r, lowercase))
        .collect();
    let ref_tokens: Vec<Vec<&str>> = tokenized_refs
        .iter()
        .map(|t| text::split(t).collect())
        .collect();
    let mut ref_counts: HashMap<&[&str], usize> = HashMap::new();
    let mut ref_lens = Vec::with_capacity(references.len());
    for tokens in &ref_tokens {
        ref_lens.push(tokens.len());
        for (ngram, count) in ngrams(tokens) {
            let slot = ref_counts.entry(ngram).or_insert(0);
            *slot = (*slot).max(count);
        }
    }
    let tokenized = preprocess(hypothesis, lowercase);
    let tokens: Vec<&str> = text::split(&tokenized).collect();
    let sys_len = tokens.len();
    // Closest reference length; ties go to the shorter.
    let mut closest: Option<(usize, usize)> = None;
    for &len in &ref_lens {
        let diff = sys_len.abs_diff(len);
        closest = match closest {
            None => Some((diff, len)),
            Some((d, l)) if diff < d || (diff == d && len < l) => Some((diff, len)),
            keep => keep,
        };
    }
    let mut stats = BleuStats {
        sys_len,
        ref_len: closest.map_or(0, |(_, l)| l),
        ..BleuStats::default()
    };
    for (ngram, count) in ngrams(&tokens) {
        let n = ngram.len() - 1;
        stats.total[n] += count;
        if let Some(r) = ref_counts.get(ngram) {
            stats.correct[n] += count.min(*r);
        }
    }
    stats
}

/// A BLEU score with its parts.
#[derive(Debug, Clone, PartialEq)]
pub struct BleuScore {
    /// The score, 0–100.
    pub score: f64,
    /// The n-gram precisions (smoothed), 0–100.
    pub precisions: [f64; MAX_ORDER],
    /// The brevity penalty.
    pub bp: f64,
    /// The statistics it was computed from.
    pub stats: BleuStats,
}

fn my_log(x: f64) -> f64 {
    if x == 0.0 {
        -9_999_999_999.0
    } else {
        x.ln()
    }
}

/// sacreBLEU's `compute_bleu` with exponential smoothing.
pub fn compute(stats: BleuStats, effective_order: bool) -> BleuScore {
    let (sys_len, ref_len) = (stats.sys_len as f64, stats.ref_len as f64);
    let bp = if stats.sys_len < stats.ref_len {
        if stats.sys_len > 0 {
            (1.0 - ref_len / sys_len).exp()
        } else {
            0.0
        }
    } else {
        1.0
    };
    let mut precisions = [0.0; MAX_ORDER];
    if stats.correct.iter().all(|c| *c == 0) {
        return BleuScore {
            score: 0.0,
            precisions,
            bp,
            stats,
        };
    }
    let mut smooth = 1.0;
    let mut eff_order = MAX_ORDER;
    #[allow(clippy::needless_range_loop)]
    for n in 0..MAX_ORDER {
        if stats.total[n] == 0 {
            break;
        }
        if effective_order {
            eff_order = n + 1;
        }
        if stats.correct[n] == 0 {
            smooth *= 2.0;
            precisions[n] = 100.0 / (smooth * stats.total[n] as f64);
        } else {
            precisions[n] = 100.0 * stats.correct[n] as f64 / stats.total[n] as f64;
        }
    }
    let sum: f64 = precisions[..eff_order].iter().map(|p| my_log(*p)).sum();
    BleuScore {
        score: bp * (sum / eff_order as f64).exp(),
        precisions,
        bp,
        stats,
    }
}

/// Sentence BLEU (`sacrebleu.sentence_bleu`: exp smoothing, effective order).
pub fn sentence_bleu(hypothesis: &str, references: &[&str], lowercase: bool) -> BleuScore {
    compute(segment_stats(hypothesis, references, lowercase), true)
}

/// Corpus BLEU (`sacrebleu.corpus_bleu`: statistics summed over segments, exp smoothing).
/// `references[i]` are the references of `hypotheses[i]`.
pub fn corpus_bleu(hypotheses: &[&str], references: &[Vec<&str>], lowercase: bool) -> BleuScore {
    let mut total = BleuStats::default();
    for (h, refs) in hypotheses.iter().zip(references) {
        total += segment_stats(h, refs, lowercase);
    }
    compute(total, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_and_disjoint() {
        let s = sentence_bleu("the cat sat on the mat", &["the cat sat on the mat"], false);
        assert!((s.score - 100.0).abs() < 1e-9);
        assert_eq!(sentence_bleu("a b c", &["x y z"], false).score, 0.0);
        assert_eq!(sentence_bleu("", &["x y z"], false).score, 0.0);
    }

    #[test]
    fn smoothing_and_brevity() {
        // "the cat" vs "the cat sat": 2 unigrams, 1 bigram match; effective order 2;
        // BP = exp(1 - 3/2).
        let s = sentence_bleu("the cat", &["the cat sat"], false);
        let expected = (1.0f64 - 1.5).exp() * 100.0;
        assert!((s.score - expected).abs() < 1e-9, "{s:?}");
    }
}

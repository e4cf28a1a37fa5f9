//! chrF and chrF++ exactly as sacreBLEU 2 computes them (defaults: character n-grams up to 6,
//! word n-grams 0 for chrF and 2 for chrF++, β = 2, whitespace removed, case kept, no epsilon
//! smoothing). With several references, the statistics of the reference with the best score
//! are kept. Scores are on sacreBLEU's 0–100 scale.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::text;

/// sacreBLEU's default character n-gram order.
pub const CHAR_ORDER: usize = 6;
/// sacreBLEU's default β.
pub const BETA: f64 = 2.0;

const PUNCTS: &str = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";

/// Match statistics: (hypothesis n-grams, reference n-grams, matches) per order.
pub type ChrfStats = Vec<[usize; 3]>;

fn remove_punctuation(sent: &str) -> Vec<String> {
    let mut out = Vec::new();
    for w in text::split(sent) {
        let chars: Vec<char> = w.chars().collect();
        if chars.len() == 1 {
            out.push(w.to_string());
        } else if PUNCTS.contains(chars[chars.len() - 1]) {
            out.push(chars[..chars.len() - 1].iter().collect());
            out.push(chars[chars.len() - 1].to_string());
        } else if PUNCTS.contains(chars[0]) {
            out.push(chars[0].to_string());
            out.push(chars[1..].iter().collect());
        } else {
            out.push(w.to_string());
        }
    }
    out
}

/// A segment prepared for n-gram extraction: whitespace removed, and its words.
struct Prepared {
    joined: String,
    words: Vec<String>,
}

fn prepare(sent: &str, word_order: usize) -> Prepared {
    Prepared {
        joined: text::split(sent).collect(),
        words: if word_order > 0 {
            remove_punctuation(sent)
        } else {
            Vec::new()
        },
    }
}

type Counts<'a> = HashMap<Cow<'a, str>, usize>;

fn all_ngrams(p: &Prepared, word_order: usize) -> Vec<Counts<'_>> {
    let joined = p.joined.as_str();
    // Byte offsets of every character, and the end.
    let mut bounds: Vec<usize> = joined.char_indices().map(|(i, _)| i).collect();
    bounds.push(joined.len());
    let chars = bounds.len() - 1;
    let mut all = Vec::with_capacity(CHAR_ORDER + word_order);
    for n in 1..=CHAR_ORDER {
        let mut counts: Counts<'_> = HashMap::new();
        for i in 0..chars.saturating_sub(n - 1) {
            *counts
                .entry(Cow::Borrowed(&joined[bounds[i]..bounds[i + n]]))
                .or_insert(0) += 1;
        }
        all.push(counts);
    }
    for n in 1..=word_order {
        let mut counts: Counts<'_> = HashMap::new();
        for w in p.words.windows(n) {
            let key = if n == 1 {
                Cow::Borrowed(w[0].as_str())
            } else {
                Cow::Owned(w.join(" "))
            };
            *counts.entry(key).or_insert(0) += 1;
        }
        all.push(counts);
    }
    all
}

fn f_score(stats: &[[usize; 3]]) -> f64 {
    let eps = 1e-16;
    let factor = BETA * BETA;
    let (mut avg_prec, mut avg_rec, mut effective) = (0.0, 0.0, 0usize);
    for &[n_hyp, n_ref, n_match] in stats {
        let prec = if n_hyp > 0 {
            n_match as f64 / n_hyp as f64
        } else {
            eps
        };
        let rec = if n_ref > 0 {
            n_match as f64 / n_ref as f64
        } else {
            eps
        };
        if n_hyp > 0 && n_ref > 0 {
            avg_prec += prec;
            avg_rec += rec;
            effective += 1;
        }
    }
    if effective == 0 {
        return 0.0;
    }
    avg_prec /= effective as f64;
    avg_rec /= effective as f64;
    if avg_prec + avg_rec != 0.0 {
        100.0 * (1.0 + factor) * avg_prec * avg_rec / (factor * avg_prec + avg_rec)
    } else {
        0.0
    }
}

/// The statistics of `hypothesis` against the best of `references`.
pub fn segment_stats(hypothesis: &str, references: &[&str], word_order: usize) -> ChrfStats {
    let hyp_prepared = prepare(hypothesis, word_order);
    let hyp = all_ngrams(&hyp_prepared, word_order);
    let mut best: ChrfStats = Vec::new();
    let mut best_f = -1.0;
    for r in references {
        let prepared = prepare(r, word_order);
        let reference = all_ngrams(&prepared, word_order);
        let stats: ChrfStats = hyp
            .iter()
            .zip(&reference)
            .map(|(h, r)| {
                let mut matches = 0;
                let mut hyp_count = 0;
                for (ng, count) in h {
                    hyp_count += count;
                    if let Some(rc) = r.get(ng) {
                        matches += (*count).min(*rc);
                    }
                }
                let ref_count: usize = r.values().sum();
                [if r.is_empty() { 0 } else { hyp_count }, ref_count, matches]
            })
            .collect();
        let f = f_score(&stats);
        if f > best_f {
            best_f = f;
            best = stats;
        }
    }
    best
}

/// Sentence chrF (`word_order` 0) or chrF++ (`word_order` 2), 0–100.
pub fn sentence_chrf(hypothesis: &str, references: &[&str], word_order: usize) -> f64 {
    let stats = segment_stats(hypothesis, references, word_order);
    if stats.is_empty() {
        return 0.0;
    }
    f_score(&stats)
}

/// Corpus chrF: statistics summed over segments, then scored.
pub fn corpus_chrf(hypotheses: &[&str], references: &[Vec<&str>], word_order: usize) -> f64 {
    let mut total: ChrfStats = vec![[0; 3]; CHAR_ORDER + word_order];
    for (h, refs) in hypotheses.iter().zip(references) {
        for (t, s) in total.iter_mut().zip(segment_stats(h, refs, word_order)) {
            for k in 0..3 {
                t[k] += s[k];
            }
        }
    }
    f_score(&total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_disjoint_empty() {
        assert!((sentence_chrf("hello world", &["hello world"], 0) - 100.0).abs() < 1e-9);
        assert!((sentence_chrf("hello world", &["hello world"], 2) - 100.0).abs() < 1e-9);
        assert_eq!(sentence_chrf("abc", &["xyz"], 0), 0.0);
        assert_eq!(sentence_chrf("", &["xyz"], 0), 0.0);
        assert_eq!(sentence_chrf("abc", &[""], 0), 0.0);
    }

    #[test]
    fn punctuation_splitting() {
        assert_eq!(
            remove_punctuation("(hi) there, x"),
            ["(hi", ")", "there", ",", "x"]
        );
    }
}

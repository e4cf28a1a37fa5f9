//! Unbiased estimators of pass@k, maj@k and best-of-k from n samples, for every k up to n.
//!
//! Each estimator is the exact average over all C(n, k) subsets of k of the n samples (the
//! combinatorial form, not resampling), so it is an unbiased estimate of the metric for k
//! fresh samples.
//!
//! - **pass@k** = 1 − C(n−c, k) / C(n, k), with c correct samples: the chance that a random
//!   k-subset holds at least one correct sample.
//! - **maj@k**: the chance that majority voting over a random k-subset picks a correct answer.
//!   Samples are grouped into clusters (equivalent answers); each cluster has a value in
//!   [0, 1], the share of its members that are correct (1 or 0 when correctness belongs to the
//!   answer). A subset's vote goes to the cluster with the most members in it; a tie between r
//!   clusters gives each 1/r (the expectation under a uniformly random tie-break); samples
//!   without an answer never win; a subset with no answer scores 0.
//! - **best-of-k** (`bon@k`): the chance that the highest-scored sample of a random k-subset
//!   is correct. Samples with equal scores are a tie group; when the subset's best score is
//!   shared, the pick is uniform among the tied samples, so the group contributes the mean
//!   correctness of its members. Samples without a score are never picked.
//!
//! Counts are computed in `f64` from Pascal's triangle; n is limited to [`MAX_N`] so that
//! C(n, k) stays finite.

/// Largest group for which the estimators are computed (C(1000, 500) ≈ 2.7e299).
pub const MAX_N: usize = 1000;

/// Pascal's triangle up to `n`, as `f64`.
pub struct Binomials {
    rows: Vec<Vec<f64>>,
}

impl Binomials {
    /// Binomial coefficients C(a, b) for a ≤ n.
    pub fn new(n: usize) -> Self {
        let mut rows: Vec<Vec<f64>> = Vec::with_capacity(n + 1);
        for a in 0..=n {
            let mut row = vec![1.0; a + 1];
            for b in 1..a {
                row[b] = rows[a - 1][b - 1] + rows[a - 1][b];
            }
            rows.push(row);
        }
        Binomials { rows }
    }

    /// C(a, b); zero when b > a.
    pub fn get(&self, a: usize, b: usize) -> f64 {
        if b > a {
            0.0
        } else {
            self.rows[a][b]
        }
    }
}

/// pass@k for one k: 1 − C(n−c, k)/C(n, k), computed as a product for stability.
pub fn pass_at_k(n: usize, c: usize, k: usize) -> f64 {
    assert!(
        c <= n && k >= 1 && k <= n,
        "pass_at_k needs c ≤ n and 1 ≤ k ≤ n"
    );
    if n - c < k {
        return 1.0;
    }
    // C(n−c, k)/C(n, k) = Π_{i=n−c+1}^{n} (1 − k/i)
    let mut miss = 1.0;
    for i in (n - c + 1)..=n {
        miss *= 1.0 - k as f64 / i as f64;
    }
    1.0 - miss
}

/// pass@k for k = 1..=n (index k−1).
pub fn pass_at_k_all(n: usize, c: usize) -> Vec<f64> {
    (1..=n).map(|k| pass_at_k(n, c, k)).collect()
}

/// Multiplies a polynomial in z (index a) and w (index r), `p[a][r]`, by `factor`, a list of
/// `(z degree, w degree, coefficient)` terms.
fn multiply(p: &[Vec<f64>], factor: &[(usize, usize, f64)], zmax: usize) -> Vec<Vec<f64>> {
    let rmax = p[0].len() + factor.iter().map(|t| t.1).max().unwrap_or(0);
    let mut out = vec![vec![0.0; rmax]; zmax + 1];
    for (a, row) in p.iter().enumerate() {
        for (r, &v) in row.iter().enumerate() {
            if v == 0.0 {
                continue;
            }
            for &(dz, dw, c) in factor {
                if a + dz <= zmax {
                    out[a + dz][r + dw] += v * c;
                }
            }
        }
    }
    out
}

/// maj@k for k = 1..=n (index k−1), where n = Σ sizes + `unanswered`.
///
/// `sizes[j]` is the number of samples in cluster j and `values[j]` its value in [0, 1]
/// (see the module docs). Returns `None` when n is 0 or above [`MAX_N`].
pub fn maj_at_k_all(sizes: &[usize], values: &[f64], unanswered: usize) -> Option<Vec<f64>> {
    assert_eq!(sizes.len(), values.len(), "one value per cluster");
    let n: usize = sizes.iter().sum::<usize>() + unanswered;
    if n == 0 || n > MAX_N {
        return None;
    }
    let binom = Binomials::new(n);
    let mut total = vec![0.0; n + 1]; // total[k]: Σ_j value_j · (ways j wins, tie-shared)
                                      // Clusters of equal size share their win counts: compute once per distinct size.
    let mut distinct: Vec<usize> = sizes
        .iter()
        .zip(values)
        .filter(|(&s, &v)| s > 0 && v > 0.0)
        .map(|(&s, _)| s)
        .collect();
    distinct.sort_unstable();
    distinct.dedup();
    for &s in &distinct {
        let weight: f64 = sizes
            .iter()
            .zip(values)
            .filter(|(&sj, _)| sj == s)
            .map(|(_, &v)| v)
            .sum();
        if weight == 0.0 {
            continue;
        }
        // The other clusters: all clusters, less one of size s.
        let mut others: Vec<usize> = sizes.to_vec();
        let pos = others.iter().position(|&x| x == s).expect("size present");
        others.swap_remove(pos);
        let wins = wins_for_size(s, &others, unanswered, n, &binom);
        for k in 1..=n {
            total[k] += weight * wins[k];
        }
    }
    Some((1..=n).map(|k| total[k] / binom.get(n, k)).collect())
}

/// For a cluster of size `s` against clusters `others` and `unanswered` samples that never
/// win: for each k, the number of k-subsets in which the cluster wins, a tie among r
/// clusters counting 1/r.
fn wins_for_size(
    s: usize,
    others: &[usize],
    unanswered: usize,
    n: usize,
    binom: &Binomials,
) -> Vec<f64> {
    let mut wins = vec![0.0; n + 1];
    for t in 1..=s {
        // The other clusters must hold fewer than t members of the subset (or exactly t: a tie).
        let mut free = unanswered; // samples with no limit: clusters smaller than t, unanswered
        let mut poly = vec![vec![1.0]]; // z^0 w^0
        let zmax = n - t;
        for &size in others {
            if size < t {
                free += size;
                continue;
            }
            let mut factor: Vec<(usize, usize, f64)> =
                (0..t).map(|x| (x, 0, binom.get(size, x))).collect();
            factor.push((t, 1, binom.get(size, t)));
            poly = multiply(&poly, &factor, zmax);
        }
        let own = binom.get(s, t);
        for (k, win) in wins.iter_mut().enumerate().skip(t) {
            let need = k - t; // members drawn from everything else
            let mut ways = 0.0;
            for (a, row) in poly.iter().enumerate().take(need + 1) {
                let rest = binom.get(free, need - a);
                if rest == 0.0 {
                    continue;
                }
                for (r, &v) in row.iter().enumerate() {
                    if v != 0.0 {
                        ways += v * rest / (r + 1) as f64;
                    }
                }
            }
            *win += own * ways;
        }
    }
    wins
}

/// best-of-k for k = 1..=n (index k−1).
///
/// `scores[i]` is sample i's score (`None`: never picked), `correct[i]` its correctness in
/// [0, 1]. Returns `None` when n is 0 or above [`MAX_N`].
pub fn best_of_k_all(scores: &[Option<f64>], correct: &[f64]) -> Option<Vec<f64>> {
    assert_eq!(scores.len(), correct.len(), "one correctness per score");
    let n = scores.len();
    if n == 0 || n > MAX_N {
        return None;
    }
    let binom = Binomials::new(n);
    // Unscored samples sit below every score and are worth 0.
    let unscored = scores.iter().filter(|s| s.is_none()).count();
    let mut scored: Vec<(f64, f64)> = scores
        .iter()
        .zip(correct)
        .filter_map(|(s, &c)| s.map(|s| (s, c)))
        .collect();
    scored.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut out = vec![0.0; n];
    let mut below = unscored;
    let mut i = 0;
    while i < scored.len() {
        let mut j = i;
        while j < scored.len() && scored[j].0 == scored[i].0 {
            j += 1;
        }
        let size = j - i;
        let mean = scored[i..j].iter().map(|x| x.1).sum::<f64>() / size as f64;
        for k in 1..=n {
            let p = (binom.get(below + size, k) - binom.get(below, k)) / binom.get(n, k);
            out[k - 1] += p * mean;
        }
        below += size;
        i = j;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    fn assert_all_close(got: &[f64], want: &[f64]) {
        assert_eq!(got.len(), want.len(), "{got:?} vs {want:?}");
        for (g, w) in got.iter().zip(want) {
            assert!(close(*g, *w), "{got:?} vs {want:?}");
        }
    }

    /// Brute force over all subsets (as bit masks) of a small group.
    fn brute(n: usize, k: usize, score: impl Fn(&[usize]) -> f64) -> f64 {
        let mut total = 0.0;
        let mut count = 0.0;
        for mask in 0u32..(1 << n) {
            if mask.count_ones() as usize == k {
                let members: Vec<usize> = (0..n).filter(|i| mask & (1 << i) != 0).collect();
                total += score(&members);
                count += 1.0;
            }
        }
        total / count
    }

    #[test]
    fn pass_at_k_hand_computed() {
        // n=4, c=1: pass@1 = 1/4, pass@2 = 1 − C(3,2)/C(4,2) = 1 − 3/6 = 1/2,
        // pass@3 = 1 − 1/4 = 3/4, pass@4 = 1.
        assert_all_close(&pass_at_k_all(4, 1), &[0.25, 0.5, 0.75, 1.0]);
        // n=5, c=2: pass@2 = 1 − C(3,2)/C(5,2) = 1 − 3/10 = 0.7.
        assert!(close(pass_at_k(5, 2, 2), 0.7));
        assert_all_close(&pass_at_k_all(3, 0), &[0.0, 0.0, 0.0]);
        assert_all_close(&pass_at_k_all(3, 3), &[1.0, 1.0, 1.0]);
    }

    #[test]
    fn maj_at_k_hand_computed() {
        // Clusters A (correct, 2 samples) and B (wrong, 1 sample): n = 3.
        // k=1: A wins in 2 of 3 subsets → 2/3.
        // k=2: {A,A} A wins; {A,B} ×2 a tie → 1/2 each; total (1 + 0.5 + 0.5)/3 = 2/3.
        // k=3: A has 2 of 3 → 1.
        let got = maj_at_k_all(&[2, 1], &[1.0, 0.0], 0).unwrap();
        assert_all_close(&got, &[2.0 / 3.0, 2.0 / 3.0, 1.0]);
    }

    #[test]
    fn maj_at_k_three_way_tie_and_unanswered() {
        // Three clusters of one sample each (the first correct) and one unanswered sample.
        // k=1: the correct one in 1 of 4 → 1/4.
        // k=2: subsets C(4,2)=6: {c,x}: 1/2 each (2 subsets, one per wrong) → 1;
        //      {c,u}: c wins → 1; the rest (wrong vs wrong, wrong with u) → 0. Total 2/6.
        // k=3: 4 subsets: {c,w1,w2}: 3-way tie → 1/3; {c,w1,u},{c,w2,u}: 1/2 each; {w1,w2,u}: 0.
        //      (1/3 + 1)/4 = 1/3.
        // k=4: 3-way tie → 1/3.
        let got = maj_at_k_all(&[1, 1, 1], &[1.0, 0.0, 0.0], 1).unwrap();
        assert_all_close(&got, &[0.25, 2.0 / 6.0, 1.0 / 3.0, 1.0 / 3.0]);
    }

    #[test]
    fn maj_at_k_matches_brute_force() {
        // 9 samples: cluster sizes 3, 2, 2, 1 and one unanswered; partial values.
        let sizes = [3usize, 2, 2, 1];
        let values = [0.5, 1.0, 0.0, 1.0];
        let mut cluster_of = Vec::new();
        for (j, &s) in sizes.iter().enumerate() {
            cluster_of.extend(std::iter::repeat_n(Some(j), s));
        }
        cluster_of.push(None);
        let n = cluster_of.len();
        let got = maj_at_k_all(&sizes, &values, 1).unwrap();
        for k in 1..=n {
            let want = brute(n, k, |members| {
                let mut counts = [0usize; 4];
                for &m in members {
                    if let Some(j) = cluster_of[m] {
                        counts[j] += 1;
                    }
                }
                let best = *counts.iter().max().unwrap();
                if best == 0 {
                    return 0.0;
                }
                let tied: Vec<usize> = (0..4).filter(|&j| counts[j] == best).collect();
                tied.iter().map(|&j| values[j]).sum::<f64>() / tied.len() as f64
            });
            assert!(close(got[k - 1], want), "k={k}: {} vs {want}", got[k - 1]);
        }
    }

    #[test]
    fn maj_at_1_equals_pass_at_1() {
        let got = maj_at_k_all(&[4, 3, 1], &[0.25, 1.0, 0.0], 0).unwrap();
        // correct samples: 1 + 3 = 4 of 8
        assert!(close(got[0], 0.5));
    }

    #[test]
    fn best_of_k_hand_computed_with_ties() {
        // Scores 3 (wrong), 2 (right), 2 (wrong), 1 (right), none (right but unscored).
        let scores = [Some(3.0), Some(2.0), Some(2.0), Some(1.0), None];
        let correct = [0.0, 1.0, 0.0, 1.0, 1.0];
        let got = best_of_k_all(&scores, &correct).unwrap();
        // k=1: mean of scored correctness, the unscored sample is never picked: 2/5.
        assert!(close(got[0], 2.0 / 5.0));
        for k in 1..=5 {
            let want = brute(5, k, |members| {
                let best = members
                    .iter()
                    .filter_map(|&m| scores[m])
                    .fold(f64::NEG_INFINITY, f64::max);
                let tied: Vec<usize> = members
                    .iter()
                    .copied()
                    .filter(|&m| scores[m] == Some(best))
                    .collect();
                if tied.is_empty() {
                    return 0.0;
                }
                tied.iter().map(|&m| correct[m]).sum::<f64>() / tied.len() as f64
            });
            assert!(close(got[k - 1], want), "k={k}: {} vs {want}", got[k - 1]);
        }
        // k=5: the top score 3 is always present and wrong.
        assert!(close(got[4], 0.0));
    }

    #[test]
    fn large_groups_stay_finite() {
        let got = maj_at_k_all(&[128, 64, 64], &[1.0, 0.0, 0.0], 0).unwrap();
        assert!(got
            .iter()
            .all(|v| v.is_finite() && (0.0..=1.0 + 1e-9).contains(v)));
        assert!(close(got[255], 1.0));
        assert!(maj_at_k_all(&[MAX_N + 1], &[1.0], 0).is_none());
    }
}

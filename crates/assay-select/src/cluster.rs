//! Clustering answers by mathematical equivalence, with union-find over pairwise checks.
//!
//! Two answers share a cluster when the math grader's equivalence (`assay_math::equivalent`)
//! says they are equal in either direction (either one taken as the reference), or when they
//! are linked by a chain of such pairs (union-find takes the transitive closure).
//!
//! Checking every pair of a group of n answers costs n² checks. Three steps keep the cost
//! near-linear on real groups:
//!
//! 1. **Identical text** is one answer: only distinct answer texts are parsed and compared.
//! 2. **Constant scalars** (numbers, `\frac12`, `\sqrt2`, `2\pi`: no variable, no percent, no
//!    structure) are sorted by their numeric value and only neighbours whose values lie within
//!    a narrow window (relative 1e-9, absolute 1e-9, or the decimal tolerance when one is set)
//!    are checked. Values outside the window can never be judged equal by the grader, which
//!    demands 128-bit agreement (or the decimal tolerance), so this drops no equal pair.
//! 3. **Everything else** (expressions with variables, equations, sets, tuples, intervals,
//!    percentages, text) is checked against every other distinct answer. Real groups have few
//!    of these.
//!
//! Answers that do not parse as mathematics are clustered by their normalized text (lower-case
//! letters and digits), as the grader compares textual answers.
//!
//! Every check runs on its own step budget, and the whole group on a deadline: a check that
//! runs out is counted as `undecided` (the two answers stay apart) and reported, never hidden.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use assay_math::exact::Assignment;
use assay_math::numeric::eval_numeric;
use assay_math::parser::normalize_text;
use assay_math::{equivalent, parse_answer, Expr, Settings, Steps};

/// How answers are compared when clustering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Equivalence {
    /// The math grader's equivalence (`\frac12`, `0.5` and `1/2` are one answer).
    #[default]
    Math,
    /// Identical text after trimming (for answers that are labels, letters or code).
    Exact,
}

impl Equivalence {
    /// Parses `math` or `exact`.
    pub fn from_name(name: &str) -> Option<Equivalence> {
        match name {
            "math" => Some(Equivalence::Math),
            "exact" => Some(Equivalence::Exact),
            _ => None,
        }
    }

    /// The name, as [`Equivalence::from_name`] reads it.
    pub fn name(self) -> &'static str {
        match self {
            Equivalence::Math => "math",
            Equivalence::Exact => "exact",
        }
    }
}

/// Settings of a clustering.
#[derive(Debug, Clone, PartialEq)]
pub struct ClusterOptions {
    /// How answers are compared.
    pub equivalence: Equivalence,
    /// Relative tolerance for decimals against values no decimal writes exactly (as the math
    /// grader's `decimal_tolerance`); `None` demands exact equality.
    pub decimal_tolerance: Option<f64>,
    /// Deadline for clustering one group; pairs left unchecked when it passes are counted as
    /// undecided.
    pub group_timeout: Duration,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            equivalence: Equivalence::Math,
            decimal_tolerance: None,
            group_timeout: Duration::from_secs(2),
        }
    }
}

/// The clusters of a group's answers.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Clustering {
    /// For each input answer, its cluster index (`None` for an absent answer). Clusters are
    /// numbered by their first member, in input order.
    pub assignment: Vec<Option<usize>>,
    /// The members of each cluster, in input order.
    pub clusters: Vec<Vec<usize>>,
    /// Pairwise equivalence checks run.
    pub checks: usize,
    /// Checks that ran out of budget or time (the two answers were kept apart).
    pub undecided: usize,
}

/// Union-find with path halving and union by size.
#[derive(Debug, Clone)]
pub struct UnionFind {
    parent: Vec<usize>,
    size: Vec<usize>,
}

impl UnionFind {
    /// `n` singletons.
    pub fn new(n: usize) -> Self {
        UnionFind {
            parent: (0..n).collect(),
            size: vec![1; n],
        }
    }

    /// The representative of `x`'s set.
    pub fn find(&mut self, mut x: usize) -> usize {
        while self.parent[x] != x {
            self.parent[x] = self.parent[self.parent[x]];
            x = self.parent[x];
        }
        x
    }

    /// Merges the sets of `a` and `b`; returns whether they were apart.
    pub fn union(&mut self, a: usize, b: usize) -> bool {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return false;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a;
        self.size[a] += self.size[b];
        true
    }
}

/// One distinct answer text, parsed.
struct Distinct {
    text: String,
    parsed: Option<Expr>,
    /// The real part of the value, for constant scalars whose value is finite.
    value: Option<f64>,
    has_decimal: bool,
}

fn has_decimal(text: &str) -> bool {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(1)).any(|i| b[i] == b'.' && b[i + 1].is_ascii_digit())
}

fn mentions_percent(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |n| found |= matches!(n, Expr::Percent(_)));
    found
}

/// The numeric value of a constant scalar, when it has a finite one.
fn scalar_value(e: &Expr) -> Option<f64> {
    if !e.is_scalar() || !e.is_constant() || mentions_percent(e) {
        return None;
    }
    let no_vars: &Assignment = &[];
    let value = eval_numeric(e, no_vars, &mut Steps::default()).ok()?;
    let re = value.re.to_f64();
    re.is_finite().then_some(re)
}

/// Clusters `answers` (one per response; `None` where a response has no answer).
pub fn cluster(answers: &[Option<&str>], opts: &ClusterOptions) -> Clustering {
    let deadline = Instant::now() + opts.group_timeout;
    // Step 1: distinct texts.
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut distinct_of: Vec<Option<usize>> = Vec::with_capacity(answers.len());
    let mut texts: Vec<&str> = Vec::new();
    for answer in answers {
        distinct_of.push(answer.map(|a| {
            let a = a.trim();
            *index.entry(a).or_insert_with(|| {
                texts.push(a);
                texts.len() - 1
            })
        }));
    }
    let mut uf = UnionFind::new(texts.len());
    let mut checks = 0;
    let mut undecided = 0;

    if opts.equivalence == Equivalence::Math {
        let distinct: Vec<Distinct> = texts
            .iter()
            .map(|t| {
                let parsed = parse_answer(t, &mut Steps::default()).ok();
                let value = parsed.as_ref().and_then(scalar_value);
                Distinct {
                    text: t.to_string(),
                    parsed,
                    value,
                    has_decimal: has_decimal(t),
                }
            })
            .collect();
        // Unparsable answers: by normalized text.
        let mut by_text: HashMap<String, usize> = HashMap::new();
        for (i, d) in distinct.iter().enumerate() {
            if d.parsed.is_none() {
                let key = normalize_text(&d.text);
                let key = if key.is_empty() { d.text.clone() } else { key };
                if let Some(&j) = by_text.get(&key) {
                    uf.union(i, j);
                } else {
                    by_text.insert(key, i);
                }
            }
        }
        let mut check = |a: usize, b: usize, uf: &mut UnionFind| {
            if uf.find(a) == uf.find(b) {
                return;
            }
            if Instant::now() >= deadline {
                undecided += 1;
                return;
            }
            checks += 1;
            match equal_either_way(&distinct[a], &distinct[b], opts, deadline) {
                Some(true) => {
                    uf.union(a, b);
                }
                Some(false) => {}
                None => undecided += 1,
            }
        };
        // Step 2: constant scalars, sorted by value, compared within a window.
        let mut scalars: Vec<usize> = (0..distinct.len())
            .filter(|&i| distinct[i].value.is_some())
            .collect();
        scalars.sort_by(|&a, &b| {
            let (va, vb) = (
                distinct[a].value.unwrap_or(0.0),
                distinct[b].value.unwrap_or(0.0),
            );
            va.total_cmp(&vb).then(a.cmp(&b))
        });
        let relative = opts.decimal_tolerance.unwrap_or(0.0).max(1e-9);
        for (p, &a) in scalars.iter().enumerate() {
            let va = distinct[a].value.unwrap_or(0.0);
            for &b in &scalars[p + 1..] {
                let vb = distinct[b].value.unwrap_or(0.0);
                if vb - va > 1e-9 + relative * va.abs().max(vb.abs()) {
                    break;
                }
                check(a, b, &mut uf);
            }
        }
        // Step 3: the rest against everything.
        let others: Vec<usize> = (0..distinct.len())
            .filter(|&i| distinct[i].parsed.is_some() && distinct[i].value.is_none())
            .collect();
        for &a in &others {
            for (b, db) in distinct.iter().enumerate() {
                // Two "other" answers are checked once, from the later one.
                let other_checked_before = db.value.is_none() && b <= a;
                if b == a || db.parsed.is_none() || other_checked_before {
                    continue;
                }
                check(a, b, &mut uf);
            }
        }
    }

    // Number clusters by first member.
    let mut cluster_of_root: HashMap<usize, usize> = HashMap::new();
    let mut clusters: Vec<Vec<usize>> = Vec::new();
    let mut assignment = Vec::with_capacity(answers.len());
    for (i, d) in distinct_of.iter().enumerate() {
        assignment.push(d.map(|d| {
            let root = uf.find(d);
            let c = *cluster_of_root.entry(root).or_insert_with(|| {
                clusters.push(Vec::new());
                clusters.len() - 1
            });
            clusters[c].push(i);
            c
        }));
    }
    Clustering {
        assignment,
        clusters,
        checks,
        undecided,
    }
}

/// Whether two parsed answers are equal with either taken as the reference; `None` when a
/// check ran out of budget or time before deciding.
fn equal_either_way(
    a: &Distinct,
    b: &Distinct,
    opts: &ClusterOptions,
    deadline: Instant,
) -> Option<bool> {
    let (Some(ea), Some(eb)) = (&a.parsed, &b.parsed) else {
        return Some(false);
    };
    let mut exhausted = false;
    for (reference, answer, answer_has_decimal) in
        [(ea, eb, b.has_decimal), (eb, ea, a.has_decimal)]
    {
        let settings = Settings {
            decimal_tolerance: opts.decimal_tolerance,
            answer_has_decimal,
            ..Settings::default()
        };
        let mut budget = Steps::default().deadline(deadline);
        match equivalent(reference, answer, &settings, &mut budget) {
            Ok(d) if d.equal => return Some(true),
            Ok(_) => {}
            Err(_) => exhausted = true,
        }
    }
    if exhausted {
        None
    } else {
        Some(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn groups(answers: &[&str]) -> Vec<Vec<usize>> {
        let answers: Vec<Option<&str>> = answers.iter().map(|a| Some(*a)).collect();
        cluster(&answers, &ClusterOptions::default()).clusters
    }

    #[test]
    fn equal_values_in_different_notations_are_one_cluster() {
        assert_eq!(
            groups(&["\\frac12", "0.5", "1/2", "2", "\\dfrac{1}{2}", "4/2"]),
            vec![vec![0, 1, 2, 4], vec![3, 5]]
        );
    }

    #[test]
    fn irrationals_structures_and_text() {
        let c = groups(&[
            "\\sqrt{2}",
            "2^{1/2}",
            "1.414",
            "x = 3",
            "3",
            "(1, 2)",
            "(1,2)",
            "\\{2, 1\\}",
            "\\{1,2\\}",
            "Paris",
            "paris",
            "25\\%",
            "0.25",
        ]);
        assert_eq!(
            c,
            vec![
                vec![0, 1],
                vec![2],
                vec![3, 4],
                vec![5, 6],
                vec![7, 8],
                vec![9, 10],
                vec![11],
                vec![12],
            ]
        );
    }

    #[test]
    fn absent_answers_have_no_cluster() {
        let c = cluster(&[Some("1"), None, Some("1.0")], &ClusterOptions::default());
        assert_eq!(c.assignment, vec![Some(0), None, Some(0)]);
        assert_eq!(c.clusters, vec![vec![0, 2]]);
    }

    #[test]
    fn exact_equivalence_compares_text() {
        let answers = [Some("0.5"), Some("1/2"), Some(" 0.5 ")];
        let opts = ClusterOptions {
            equivalence: Equivalence::Exact,
            ..ClusterOptions::default()
        };
        assert_eq!(cluster(&answers, &opts).clusters, vec![vec![0, 2], vec![1]]);
    }

    #[test]
    fn windowed_scalars_agree_with_all_pairs() {
        // Many distinct numbers in several notations: the windowed clustering must equal the
        // transitive closure of all pairwise checks.
        let mut texts = Vec::new();
        for n in 1..40 {
            texts.push(format!("{n}"));
            texts.push(format!("\\frac{{{}}}{{2}}", 2 * n));
            texts.push(format!("{}/{}", 3 * n, 3));
            texts.push(format!("{n}.0"));
            texts.push(format!("\\sqrt{{{}}}", n * n));
        }
        let answers: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
        let fast = cluster(&answers, &ClusterOptions::default());
        // Brute force: every pair, both directions.
        let parsed: Vec<Expr> = texts
            .iter()
            .map(|t| parse_answer(t, &mut Steps::default()).unwrap())
            .collect();
        let mut uf = UnionFind::new(texts.len());
        for a in 0..texts.len() {
            for b in a + 1..texts.len() {
                let s = Settings::default();
                let eq = equivalent(&parsed[a], &parsed[b], &s, &mut Steps::default())
                    .unwrap()
                    .equal
                    || equivalent(&parsed[b], &parsed[a], &s, &mut Steps::default())
                        .unwrap()
                        .equal;
                if eq {
                    uf.union(a, b);
                }
            }
        }
        for a in 0..texts.len() {
            for b in 0..texts.len() {
                assert_eq!(
                    fast.assignment[a] == fast.assignment[b],
                    uf.find(a) == uf.find(b),
                    "{} vs {}",
                    texts[a],
                    texts[b]
                );
            }
        }
        assert_eq!(fast.clusters.len(), 39);
        // Near-linear: far fewer checks than all pairs of the 195 answers.
        assert!(fast.checks < 195 * 4, "{} checks", fast.checks);
    }

    #[test]
    fn a_group_deadline_bounds_hostile_groups() {
        // 256 distinct expressions with variables: each must be compared with every other.
        let texts: Vec<String> = (0..256)
            .map(|k| format!("x^{{{}}} + {k}y - \\sqrt{{{}}} z", k % 7 + 2, k + 2))
            .collect();
        let answers: Vec<Option<&str>> = texts.iter().map(|t| Some(t.as_str())).collect();
        let opts = ClusterOptions {
            group_timeout: Duration::from_millis(20),
            ..ClusterOptions::default()
        };
        let started = Instant::now();
        let c = cluster(&answers, &opts);
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{:?}",
            started.elapsed()
        );
        assert!(c.undecided > 0, "the deadline left pairs unchecked");
        assert_eq!(c.checks + c.undecided, 256 * 255 / 2);
        assert_eq!(c.assignment.len(), 256);
    }

    #[test]
    fn union_find_merges_transitively() {
        let mut uf = UnionFind::new(5);
        assert!(uf.union(0, 1));
        assert!(uf.union(3, 4));
        assert!(uf.union(1, 4));
        assert!(!uf.union(0, 3));
        assert_eq!(uf.find(0), uf.find(4));
        assert_ne!(uf.find(2), uf.find(0));
    }
}

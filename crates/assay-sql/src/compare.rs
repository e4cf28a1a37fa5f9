//! Execution match: whether a predicted result set equals the gold one, under a named mode.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::value::{Key, ResultSet};

/// How two result sets are compared. Values compare under the rules in [`crate::value`].
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum CompareMode {
    /// BIRD's rule: the *sets* of rows are equal (duplicates and row order ignored; column
    /// order matters).
    #[default]
    Bird,
    /// Spider's test-suite rule: the *multisets* of rows are equal under some reordering of the
    /// predicted columns; row order matters only when the gold query has a top-level `ORDER BY`.
    Spider,
    /// Exact: same columns in the same order, same rows in the same order.
    Strict,
}

/// The outcome of a comparison, with the reason when the results differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// Whether the results match.
    pub matched: bool,
    /// Why they differ (empty when they match).
    pub reason: String,
}

impl Comparison {
    fn yes() -> Self {
        Comparison {
            matched: true,
            reason: String::new(),
        }
    }

    fn no(reason: impl Into<String>) -> Self {
        Comparison {
            matched: false,
            reason: reason.into(),
        }
    }
}

/// Most column permutations tried in `spider` mode before giving up (columns whose value
/// multisets coincide, such as several all-NULL columns, multiply the candidates).
const MAX_PERMUTATIONS: usize = 10_000;

/// Compares `pred` against `gold` under `mode`. `gold_ordered` says whether the gold query fixes
/// its row order (a top-level `ORDER BY`); only `spider` mode reads it.
pub fn compare(
    mode: CompareMode,
    gold: &ResultSet,
    pred: &ResultSet,
    gold_ordered: bool,
) -> Comparison {
    match mode {
        CompareMode::Bird => compare_sets(gold, pred),
        CompareMode::Spider => compare_spider(gold, pred, gold_ordered),
        CompareMode::Strict => compare_strict(gold, pred),
    }
}

fn all_keys(result: &ResultSet) -> Vec<Vec<Key<'_>>> {
    (0..result.rows.len()).map(|r| result.row_keys(r)).collect()
}

fn compare_sets(gold: &ResultSet, pred: &ResultSet) -> Comparison {
    let gold_rows: HashSet<Vec<Key<'_>>> = all_keys(gold).into_iter().collect();
    let pred_rows: HashSet<Vec<Key<'_>>> = all_keys(pred).into_iter().collect();
    if gold_rows == pred_rows {
        Comparison::yes()
    } else {
        let missing = gold_rows.difference(&pred_rows).count();
        let extra = pred_rows.difference(&gold_rows).count();
        Comparison::no(format!(
            "row sets differ: {missing} distinct gold row(s) missing, {extra} unexpected"
        ))
    }
}

fn compare_strict(gold: &ResultSet, pred: &ResultSet) -> Comparison {
    if gold.columns.len() != pred.columns.len() {
        return Comparison::no(column_count_reason(gold, pred));
    }
    if gold.rows.len() != pred.rows.len() {
        return Comparison::no(row_count_reason(gold, pred));
    }
    match (0..gold.rows.len()).find(|&r| gold.row_keys(r) != pred.row_keys(r)) {
        None => Comparison::yes(),
        Some(r) => Comparison::no(format!("row {r} differs")),
    }
}

fn compare_spider(gold: &ResultSet, pred: &ResultSet, ordered: bool) -> Comparison {
    if gold.rows.is_empty() && pred.rows.is_empty() {
        return Comparison::yes();
    }
    if gold.columns.len() != pred.columns.len() {
        return Comparison::no(column_count_reason(gold, pred));
    }
    if gold.rows.len() != pred.rows.len() {
        return Comparison::no(row_count_reason(gold, pred));
    }
    let gold_keys = all_keys(gold);
    let pred_keys = all_keys(pred);
    let width = gold.columns.len();
    // Columns can only be paired when they hold the same multiset of values.
    fn signature<'a>(rows: &[Vec<Key<'a>>], c: usize) -> Vec<Key<'a>> {
        let mut column: Vec<Key<'a>> = rows.iter().map(|row| row[c]).collect();
        column.sort_unstable();
        column
    }
    let gold_sigs: Vec<_> = (0..width).map(|c| signature(&gold_keys, c)).collect();
    let pred_sigs: Vec<_> = (0..width).map(|c| signature(&pred_keys, c)).collect();
    let candidates: Vec<Vec<usize>> = gold_sigs
        .iter()
        .map(|g| (0..width).filter(|&p| pred_sigs[p] == *g).collect())
        .collect();
    if let Some(c) = candidates.iter().position(Vec::is_empty) {
        return Comparison::no(format!(
            "no predicted column holds the values of gold column {c} ({})",
            gold.columns[c]
        ));
    }
    let gold_bag = (!ordered).then(|| bag(gold_keys.iter().cloned()));
    let mut search = PermutationSearch {
        candidates: &candidates,
        used: vec![false; width],
        chosen: Vec::with_capacity(width),
        tried: 0,
    };
    let found = search.run(&mut |perm| {
        let permuted = pred_keys
            .iter()
            .map(|row| perm.iter().map(|&p| row[p]).collect::<Vec<_>>());
        match &gold_bag {
            Some(gold_bag) => bag(permuted) == *gold_bag,
            None => permuted.eq(gold_keys.iter().cloned()),
        }
    });
    if found {
        Comparison::yes()
    } else if search.tried >= MAX_PERMUTATIONS {
        Comparison::no(format!(
            "no match within the first {MAX_PERMUTATIONS} column pairings"
        ))
    } else if ordered {
        Comparison::no("rows differ (order matters: the gold query has ORDER BY)")
    } else {
        Comparison::no("row multisets differ")
    }
}

fn bag<'a>(rows: impl Iterator<Item = Vec<Key<'a>>>) -> HashMap<Vec<Key<'a>>, usize> {
    let mut counts = HashMap::new();
    for row in rows {
        *counts.entry(row).or_insert(0) += 1;
    }
    counts
}

/// Depth-first search over bijections gold column → predicted column.
struct PermutationSearch<'c> {
    candidates: &'c [Vec<usize>],
    used: Vec<bool>,
    chosen: Vec<usize>,
    tried: usize,
}

impl PermutationSearch<'_> {
    fn run(&mut self, accept: &mut dyn FnMut(&[usize]) -> bool) -> bool {
        if self.tried >= MAX_PERMUTATIONS {
            return false;
        }
        let column = self.chosen.len();
        if column == self.candidates.len() {
            self.tried += 1;
            return accept(&self.chosen);
        }
        for &p in &self.candidates[column] {
            if self.used[p] {
                continue;
            }
            self.used[p] = true;
            self.chosen.push(p);
            let found = self.run(accept);
            self.chosen.pop();
            self.used[p] = false;
            if found {
                return true;
            }
        }
        false
    }
}

fn column_count_reason(gold: &ResultSet, pred: &ResultSet) -> String {
    format!(
        "gold has {} column(s), prediction has {}",
        gold.columns.len(),
        pred.columns.len()
    )
}

fn row_count_reason(gold: &ResultSet, pred: &ResultSet) -> String {
    format!(
        "gold has {} row(s), prediction has {}",
        gold.rows.len(),
        pred.rows.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::Value;
    use CompareMode::*;

    fn rs(columns: &[&str], rows: Vec<Vec<Value>>) -> ResultSet {
        ResultSet {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
        }
    }

    fn i(v: i64) -> Value {
        Value::Integer(v)
    }

    fn t(v: &str) -> Value {
        Value::Text(v.into())
    }

    #[test]
    fn modes_on_typical_differences() {
        let gold = rs(&["name", "n"], vec![vec![t("a"), i(1)], vec![t("b"), i(2)]]);
        let cases: Vec<(&str, ResultSet, bool, [bool; 3])> = vec![
            // (case, prediction, gold ordered, [bird, spider, strict])
            ("equal", gold.clone(), false, [true, true, true]),
            (
                "rows reordered",
                rs(&["name", "n"], vec![vec![t("b"), i(2)], vec![t("a"), i(1)]]),
                false,
                [true, true, false],
            ),
            (
                "rows reordered, gold ordered",
                rs(&["name", "n"], vec![vec![t("b"), i(2)], vec![t("a"), i(1)]]),
                true,
                [true, false, false],
            ),
            (
                "columns swapped",
                rs(&["n", "name"], vec![vec![i(1), t("a")], vec![i(2), t("b")]]),
                false,
                [false, true, false],
            ),
            (
                "duplicated row",
                rs(
                    &["name", "n"],
                    vec![vec![t("a"), i(1)], vec![t("b"), i(2)], vec![t("b"), i(2)]],
                ),
                false,
                [true, false, false],
            ),
            (
                "reals for integers",
                rs(
                    &["name", "n"],
                    vec![
                        vec![t("a"), Value::Real(1.0)],
                        vec![t("b"), Value::Real(2.0)],
                    ],
                ),
                false,
                [true, true, true],
            ),
            (
                "text for integers",
                rs(
                    &["name", "n"],
                    vec![vec![t("a"), t("1")], vec![t("b"), t("2")]],
                ),
                false,
                [false, false, false],
            ),
            (
                "wrong value",
                rs(&["name", "n"], vec![vec![t("a"), i(1)], vec![t("b"), i(3)]]),
                false,
                [false, false, false],
            ),
            (
                "missing row",
                rs(&["name", "n"], vec![vec![t("a"), i(1)]]),
                false,
                [false, false, false],
            ),
            (
                "extra column",
                rs(
                    &["name", "n", "x"],
                    vec![vec![t("a"), i(1), i(0)], vec![t("b"), i(2), i(0)]],
                ),
                false,
                [false, false, false],
            ),
            (
                "null for value",
                rs(
                    &["name", "n"],
                    vec![vec![t("a"), i(1)], vec![t("b"), Value::Null]],
                ),
                false,
                [false, false, false],
            ),
        ];
        for (case, pred, ordered, expected) in cases {
            for (mode, want) in [Bird, Spider, Strict].into_iter().zip(expected) {
                let got = compare(mode, &gold, &pred, ordered);
                assert_eq!(got.matched, want, "{case} in {mode:?}: {}", got.reason);
                assert_eq!(got.reason.is_empty(), want, "{case} in {mode:?}");
            }
        }
    }

    #[test]
    fn spider_pairs_columns_with_equal_values_correctly() {
        // Both columns hold {1, 2}: only the pairing that keeps rows intact matches.
        let gold = rs(
            &["a", "b"],
            vec![vec![i(1), i(2)], vec![i(2), i(2)], vec![i(1), i(1)]],
        );
        let swapped = rs(
            &["b", "a"],
            vec![vec![i(2), i(1)], vec![i(2), i(2)], vec![i(1), i(1)]],
        );
        assert!(compare(Spider, &gold, &swapped, false).matched);
        let broken = rs(
            &["b", "a"],
            vec![vec![i(1), i(2)], vec![i(2), i(2)], vec![i(2), i(1)]],
        );
        assert!(!compare(Spider, &gold, &broken, false).matched);
    }

    #[test]
    fn spider_bounds_the_column_pairing_search() {
        // Eight columns holding the same values {0, 1}: every pairing is a candidate.
        let width = 8;
        let row = |bits: &[i64]| bits.iter().map(|&b| i(b)).collect::<Vec<_>>();
        let names: Vec<&str> = (0..width).map(|_| "c").collect();
        let gold = rs(
            &names,
            vec![
                row(&[0, 1, 0, 1, 0, 1, 0, 1]),
                row(&[1, 0, 1, 0, 1, 0, 1, 0]),
            ],
        );
        let pred = rs(
            &names,
            vec![
                row(&[0, 0, 0, 0, 1, 1, 1, 1]),
                row(&[1, 1, 1, 1, 0, 0, 0, 0]),
            ],
        );
        let started = std::time::Instant::now();
        let got = compare(Spider, &gold, &pred, false);
        assert!(got.matched, "a pairing exists: {}", got.reason);
        // Five columns read (0, 1) and three (1, 0), against four and four: no pairing works.
        let pred = rs(
            &names,
            vec![
                row(&[0, 0, 0, 0, 0, 1, 1, 1]),
                row(&[1, 1, 1, 1, 1, 0, 0, 0]),
            ],
        );
        let got = compare(Spider, &gold, &pred, false);
        assert!(!got.matched);
        assert!(
            got.reason.contains("first 10000 column pairings"),
            "{}",
            got.reason
        );
        assert!(started.elapsed() < std::time::Duration::from_secs(5));
    }

    #[test]
    fn empty_results() {
        let empty = rs(&["a"], vec![]);
        let empty_wide = rs(&["a", "b"], vec![]);
        assert!(compare(Bird, &empty, &empty_wide, false).matched);
        assert!(compare(Spider, &empty, &empty_wide, false).matched);
        assert!(!compare(Strict, &empty, &empty_wide, false).matched);
        assert!(!compare(Bird, &empty, &rs(&["a"], vec![vec![i(1)]]), false).matched);
    }
}

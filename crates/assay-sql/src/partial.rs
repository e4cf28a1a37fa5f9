//! Reasoning-SQL's partial rewards that compare query *texts* and *schema use*: schema linking
//! and n-gram similarity. (Syntax validity and format live where they are measured: in
//! [`crate::exec`] and [`crate::extract`].)

use std::collections::{BTreeSet, HashSet};

use crate::lexer::tokenize;
use crate::schema::Schema;

/// How well the prediction's schema items match the gold's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Linking {
    /// Share of the gold query's tables and columns that the prediction uses.
    pub recall: f64,
    /// |gold ∩ prediction| / |gold ∪ prediction| over tables and columns.
    pub jaccard: f64,
}

/// Compares two sets of schema items (`table`, `table.column`).
pub fn linking(gold: &BTreeSet<String>, pred: &BTreeSet<String>) -> Linking {
    if gold.is_empty() {
        // A gold query that reads no table (`SELECT 1`): using none is a perfect link.
        let score = if pred.is_empty() { 1.0 } else { 0.0 };
        return Linking {
            recall: 1.0,
            jaccard: score,
        };
    }
    let common = gold.intersection(pred).count() as f64;
    let union = gold.union(pred).count() as f64;
    Linking {
        recall: common / gold.len() as f64,
        jaccard: common / union,
    }
}

/// Schema items a query mentions, found lexically: for a query that does not prepare, so the
/// authorizer could not report what it reads. Tables are identifiers naming a table; columns
/// are identifiers naming a column of a mentioned table (of any table if none is mentioned).
pub fn lexical_items(sql: &str, schema: &Schema) -> BTreeSet<String> {
    let identifiers: HashSet<String> = tokenize(sql)
        .into_iter()
        .filter(|t| t.is_identifier())
        .map(|t| t.text)
        .collect();
    let mentioned: Vec<&String> = schema
        .tables
        .keys()
        .filter(|t| identifiers.contains(*t))
        .collect();
    let searched: Vec<&String> = if mentioned.is_empty() {
        schema.tables.keys().collect()
    } else {
        mentioned.clone()
    };
    let mut items: BTreeSet<String> = mentioned.iter().map(|t| t.to_string()).collect();
    for table in searched {
        for column in &schema.tables[table] {
            if identifiers.contains(column) {
                items.insert(format!("{table}.{column}"));
                items.insert(table.clone());
            }
        }
    }
    items
}

/// Jaccard similarity of the token `n`-grams of two queries (tokens as in
/// [`crate::lexer`]: keywords and identifiers lowercased, comments and layout ignored). Texts
/// shorter than `n` tokens use their full length as the gram size.
pub fn ngram_similarity(gold: &str, pred: &str, n: usize) -> f64 {
    let gold_tokens: Vec<String> = tokenize(gold).into_iter().map(|t| t.text).collect();
    let pred_tokens: Vec<String> = tokenize(pred).into_iter().map(|t| t.text).collect();
    if gold_tokens.is_empty() || pred_tokens.is_empty() {
        return if gold_tokens.is_empty() && pred_tokens.is_empty() {
            1.0
        } else {
            0.0
        };
    }
    let n = n.max(1).min(gold_tokens.len()).min(pred_tokens.len());
    let grams = |tokens: &[String]| -> HashSet<Vec<String>> {
        tokens.windows(n).map(<[String]>::to_vec).collect()
    };
    let (g, p) = (grams(&gold_tokens), grams(&pred_tokens));
    let common = g.intersection(&p).count() as f64;
    common / g.union(&p).count() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(items: &[&str]) -> BTreeSet<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn linking_scores() {
        let gold = set(&["orders", "orders.amount", "orders.customer_id"]);
        let cases = [
            (
                set(&["orders", "orders.amount", "orders.customer_id"]),
                1.0,
                1.0,
            ),
            (set(&["orders", "orders.amount"]), 2.0 / 3.0, 2.0 / 3.0),
            (
                set(&["orders", "orders.amount", "orders.customer_id", "customers"]),
                1.0,
                0.75,
            ),
            (set(&["customers"]), 0.0, 0.0),
            (set(&[]), 0.0, 0.0),
        ];
        for (pred, recall, jaccard) in cases {
            let got = linking(&gold, &pred);
            assert!((got.recall - recall).abs() < 1e-12, "{pred:?}: {got:?}");
            assert!((got.jaccard - jaccard).abs() < 1e-12, "{pred:?}: {got:?}");
        }
    }

    #[test]
    fn lexical_items_follow_the_schema() {
        let mut schema = Schema::default();
        schema
            .tables
            .insert("orders".into(), set(&["id", "amount"]));
        schema
            .tables
            .insert("customers".into(), set(&["id", "name"]));
        assert_eq!(
            lexical_items("SELEC amount FROM Orders WHERE", &schema),
            set(&["orders", "orders.amount"])
        );
        assert_eq!(
            lexical_items("SELECT name FROM", &schema),
            set(&["customers", "customers.name"])
        );
    }

    #[test]
    fn ngram_similarity_scores() {
        let gold = "SELECT name FROM t WHERE x = 1";
        assert_eq!(
            ngram_similarity(gold, "select  NAME from t where x = 1;", 2),
            7.0 / 8.0
        );
        assert_eq!(ngram_similarity(gold, gold, 2), 1.0);
        assert_eq!(ngram_similarity(gold, "DELETE", 2), 0.0);
        assert_eq!(ngram_similarity(gold, "", 2), 0.0);
        let near = ngram_similarity(gold, "SELECT name FROM t WHERE x = 2", 2);
        assert!(near > 0.5 && near < 1.0, "{near}");
    }
}

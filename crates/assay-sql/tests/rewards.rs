//! Partial rewards (Reasoning-SQL) through the engine, and parallel grading with the gold
//! cache and connection pools.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use assay_sql::{Components, SqlOptions, VerdictStatus, Weights};
use common::{engine, grade, shop};

fn all_weights() -> Weights {
    Weights {
        execution: 3.0,
        syntax: 1.0,
        schema_recall: 1.0,
        schema_jaccard: 1.0,
        ngram: 1.0,
        format: 1.0,
    }
}

#[test]
fn partial_rewards_rank_near_misses_above_garbage() {
    let db = shop();
    let engine = engine(SqlOptions {
        weights: all_weights(),
        format_tags: vec!["think".into(), "answer".into()],
        ..SqlOptions::default()
    });
    let gold =
        "SELECT c.name FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.qty > 2";
    let wrap = |sql: &str| format!("<think>join</think><answer>```sql\n{sql}\n```</answer>");
    let correct = grade(&engine, &db.path, gold, &wrap(
        "SELECT customers.name FROM orders JOIN customers ON customers.id = orders.customer_id WHERE orders.qty >= 3",
    ));
    let near = grade(
        &engine,
        &db.path,
        gold,
        &wrap(
            "SELECT c.name FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.qty > 5",
        ),
    );
    let unlinked = grade(&engine, &db.path, gold, &wrap("SELECT title FROM products"));
    let broken = grade(
        &engine,
        &db.path,
        gold,
        "SELECT c.name FROM customers c JOIN orders o ON WHERE",
    );
    for verdict in [&correct, &near, &unlinked, &broken] {
        assert_eq!(verdict.status, VerdictStatus::Ok, "{}", verdict.explanation);
    }
    assert_eq!(correct.components.execution, 1.0);
    assert_eq!(correct.components.schema_recall, 1.0);
    assert!(
        correct.components.ngram < 1.0,
        "different text, same meaning"
    );
    assert_eq!(correct.components.format, 1.0);

    assert_eq!(near.components.execution, 0.0);
    assert_eq!(near.components.syntax, 1.0);
    assert_eq!(near.components.schema_jaccard, 1.0);
    assert!(near.components.ngram > 0.8);

    assert_eq!(unlinked.components.syntax, 1.0);
    assert_eq!(unlinked.components.schema_recall, 0.0);

    // Does not prepare: schema linking falls back to the names it mentions.
    assert_eq!(broken.components.syntax, 0.0);
    assert_eq!(broken.components.format, 0.0);
    assert!(
        broken.components.schema_recall > 0.0,
        "{:?}",
        broken.components
    );

    let rewards: Vec<f64> = [&correct, &near, &unlinked, &broken]
        .iter()
        .map(|v| v.reward.unwrap())
        .collect();
    assert!(rewards.windows(2).all(|w| w[0] > w[1]), "{rewards:?}");
    // The reward is the weighted mean of the components.
    let weights = all_weights().as_array();
    let expected: f64 = weights
        .iter()
        .zip(near.components.as_array())
        .map(|(w, c)| w * c)
        .sum::<f64>()
        / weights.iter().sum::<f64>();
    assert!((near.reward.unwrap() - expected).abs() < 1e-12);
}

#[test]
fn caches_can_be_turned_off_without_changing_verdicts() {
    let db = shop();
    let cached = engine(SqlOptions::default());
    let uncached = engine(SqlOptions {
        limits: assay_sql::Limits {
            gold_cache_entries: 0,
            pred_cache_entries: 0,
            ..assay_sql::Limits::default()
        },
        ..SqlOptions::default()
    });
    let gold = "SELECT city, count(*) FROM customers GROUP BY city";
    for pred in [
        "SELECT city, count(id) FROM customers GROUP BY city",
        "SELECT city, count(*) FROM customers WHERE city IS NOT NULL GROUP BY city",
        "SELECT city, count(id) FROM customers GROUP BY city",
        "UPDATE customers SET city = NULL",
    ] {
        let a = grade(&cached, &db.path, gold, pred);
        let b = grade(&uncached, &db.path, gold, pred);
        assert_eq!(a, b, "{pred}");
    }
    assert_eq!(cached.cached_predictions(), 3);
    assert_eq!(uncached.cached_predictions(), 0);
    assert_eq!(uncached.cached_golds(), 0);
}

#[test]
fn components_have_a_fixed_key_set() {
    assert_eq!(
        Components::NAMES,
        [
            "execution",
            "syntax",
            "schema_recall",
            "schema_jaccard",
            "ngram",
            "format"
        ]
    );
    let pairs: Vec<_> = Components::default()
        .pairs()
        .map(|(name, _)| name)
        .collect();
    assert_eq!(pairs, Components::NAMES);
}

#[test]
fn bad_options_are_rejected_with_advice() {
    let cases = [
        (
            SqlOptions {
                weights: Weights {
                    execution: 0.0,
                    ..Weights::default()
                },
                ..SqlOptions::default()
            },
            "at least one weight",
        ),
        (
            SqlOptions {
                extract: assay_sql::ExtractMode::Anchor,
                ..SqlOptions::default()
            },
            "needs a non-empty `anchor`",
        ),
        (
            SqlOptions {
                ngram: 0,
                ..SqlOptions::default()
            },
            "ngram",
        ),
    ];
    for (options, needle) in cases {
        let error = assay_sql::SqlEngine::new(options).unwrap_err();
        assert!(error.contains(needle), "{error}");
    }
}

#[test]
fn options_parse_from_json_and_reject_unknown_keys() {
    let options: SqlOptions = serde_json::from_value(serde_json::json!({
        "mode": "spider",
        "weights": {"execution": 2, "ngram": 1},
        "limits": {"max_rows": 100}
    }))
    .unwrap();
    assert_eq!(options.mode, assay_sql::CompareMode::Spider);
    assert_eq!(options.weights.ngram, 1.0);
    assert_eq!(options.limits.max_rows, 100);
    assert_eq!(options.limits.max_result_bytes, 64 << 20);
    let error =
        serde_json::from_value::<SqlOptions>(serde_json::json!({"mod": "bird"})).unwrap_err();
    assert!(error.to_string().contains("unknown field `mod`"), "{error}");
}

#[test]
fn parallel_rollouts_share_one_gold_run_and_pooled_connections() {
    let db = shop();
    let engine = engine(SqlOptions::default());
    let gold = "SELECT name FROM customers ORDER BY id";
    let predictions = [
        ("SELECT name FROM customers", 1.0),
        ("SELECT name FROM customers WHERE id < 3", 0.0),
        ("DROP TABLE customers", 0.0),
        ("SELECT name FROM customers ORDER BY name", 1.0),
    ];
    let graded = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        for thread in 0..8 {
            let (engine, db, graded) = (&engine, &db, &graded);
            scope.spawn(move || {
                for round in 0..16 {
                    let (pred, want) = predictions[(thread + round) % predictions.len()];
                    let verdict = grade(engine, &db.path, gold, pred);
                    assert_eq!(
                        verdict.reward,
                        Some(want),
                        "{pred}: {}",
                        verdict.explanation
                    );
                    graded.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(graded.into_inner(), 128);
    assert_eq!(engine.cached_golds(), 1);
    // Four distinct predictions, each run once (the refused write included).
    assert_eq!(engine.cached_predictions(), 4);
    let idle = engine.pools().idle_count(&db.path);
    assert!(
        (1..=8).contains(&idle),
        "{idle} idle connections for 8 threads"
    );
}

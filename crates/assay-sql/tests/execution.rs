//! Execution match through the engine, on a real database, in every mode.

mod common;

use assay_sql::{CompareMode, SqlOptions, VerdictStatus};
use common::{engine, grade, shop};

#[test]
fn execution_match_in_each_mode() {
    let db = shop();
    // (case, gold, prediction, [bird, spider, strict])
    let cases = [
        (
            "equal",
            "SELECT name FROM customers WHERE city IS NOT NULL",
            "SELECT name FROM customers WHERE NOT city IS NULL",
            [true, true, true],
        ),
        (
            "reordered rows",
            "SELECT id, name FROM customers",
            "SELECT id, name FROM customers ORDER BY id DESC",
            [true, true, false],
        ),
        (
            "reordered rows, gold ordered",
            "SELECT id FROM customers ORDER BY id",
            "SELECT id FROM customers ORDER BY id DESC",
            [true, false, false],
        ),
        (
            "reordered columns",
            "SELECT id, name FROM customers",
            "SELECT name, id FROM customers",
            [false, true, false],
        ),
        (
            "duplicated rows",
            "SELECT DISTINCT name FROM customers",
            "SELECT name FROM customers",
            [true, false, false],
        ),
        (
            "real for integer",
            "SELECT qty FROM orders WHERE id = 1",
            "SELECT CAST(qty AS REAL) FROM orders WHERE id = 1",
            [true, true, true],
        ),
        (
            "average vs sum over count",
            "SELECT AVG(price) FROM products",
            "SELECT SUM(price) / COUNT(price) FROM products",
            [true, true, true],
        ),
        (
            "text for integer",
            "SELECT qty FROM orders WHERE id = 4",
            "SELECT note FROM orders WHERE id = 4",
            [false, false, false],
        ),
        (
            "NULL matches NULL",
            "SELECT city FROM customers WHERE id = 3",
            "SELECT NULL",
            [true, true, true],
        ),
        (
            "wrong filter",
            "SELECT name FROM customers WHERE city = 'London'",
            "SELECT name FROM customers WHERE city = 'New York'",
            [false, false, false],
        ),
        (
            "both empty",
            "SELECT name FROM customers WHERE id > 100",
            "SELECT name, city FROM customers WHERE id < 0",
            [true, true, false],
        ),
        (
            "through a view",
            "SELECT id FROM orders WHERE qty >= 3",
            "SELECT id FROM big_orders",
            [true, true, true],
        ),
    ];
    for (mode_index, mode) in [CompareMode::Bird, CompareMode::Spider, CompareMode::Strict]
        .into_iter()
        .enumerate()
    {
        let engine = engine(SqlOptions {
            mode,
            ..SqlOptions::default()
        });
        for (case, gold, pred, expected) in &cases {
            let verdict = grade(&engine, &db.path, gold, pred);
            assert_eq!(verdict.status, VerdictStatus::Ok, "{case}");
            let want = if expected[mode_index] { 1.0 } else { 0.0 };
            assert_eq!(
                verdict.reward,
                Some(want),
                "{case} in {mode:?}: {}",
                verdict.explanation
            );
            assert_eq!(verdict.components.execution, want, "{case} in {mode:?}");
        }
    }
}

#[test]
fn mismatch_explains_itself() {
    let db = shop();
    let engine = engine(SqlOptions::default());
    let verdict = grade(
        &engine,
        &db.path,
        "SELECT name FROM customers",
        "```sql\nSELECT title FROM products\n```",
    );
    assert_eq!(verdict.reward, Some(0.0));
    assert_eq!(verdict.pred.as_deref(), Some("SELECT title FROM products"));
    let explanation = &verdict.explanation;
    assert_eq!(explanation["match"], false);
    assert_eq!(explanation["gold_rows"], 4);
    assert_eq!(explanation["pred_rows"], 3);
    assert!(explanation["reason"]
        .as_str()
        .unwrap()
        .contains("row sets differ"));
    assert_eq!(explanation["pred_preview"]["rows"][0][0], "pen");
}

#[test]
fn malformed_and_failing_sql_score_zero() {
    let db = shop();
    let engine = engine(SqlOptions::default());
    let gold = "SELECT name FROM customers";
    let cases = [
        ("SELEC name FROM customers", "prepare", "syntax error"),
        ("SELECT nme FROM customers", "prepare", "no such column"),
        ("SELECT name FROM clients", "prepare", "no such table"),
        (
            "SELECT name FROM customers WHERE (",
            "prepare",
            "incomplete input",
        ),
        ("SELECT 1; SELECT 2", "multiple_statements", "single query"),
        ("SELECT json_extract('{', '$')", "runtime", "malformed JSON"),
    ];
    for (pred, kind, message) in cases {
        let verdict = grade(&engine, &db.path, gold, pred);
        assert_eq!(verdict.status, VerdictStatus::Ok, "{pred}");
        assert_eq!(verdict.reward, Some(0.0), "{pred}");
        let error = &verdict.explanation["error"];
        assert_eq!(error["kind"], kind, "{pred}: {error}");
        assert!(
            error["message"].as_str().unwrap().contains(message),
            "{pred}: {error}"
        );
    }
}

#[test]
fn response_without_sql_is_invalid() {
    let db = shop();
    let engine = engine(SqlOptions {
        extract: assay_sql::ExtractMode::Fence,
        ..SqlOptions::default()
    });
    let verdict = grade(&engine, &db.path, "SELECT 1", "I don't know.");
    assert_eq!(verdict.status, VerdictStatus::Invalid);
    assert_eq!(verdict.reward, Some(0.0));
    assert_eq!(verdict.pred, None);
}

#[test]
fn missing_database_is_an_error_naming_the_path() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nowhere").join("gone.sqlite");
    let engine = engine(SqlOptions::default());
    let reference = serde_json::json!({"db": missing, "gold": "SELECT 1"});
    let error = engine.grade(&reference, "SELECT 1", None).unwrap_err();
    assert_eq!(error.kind(), "database_not_found");
    assert!(
        error.to_string().contains(&missing.display().to_string()),
        "{error}"
    );
}

#[test]
fn db_id_resolves_in_the_database_directory() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("shop")).unwrap();
    common::build_shop(&dir.path().join("shop").join("shop.sqlite"), 0);
    let engine = engine(SqlOptions {
        db_dir: Some(dir.path().to_path_buf()),
        ..SqlOptions::default()
    });
    let reference = serde_json::json!({"db_id": "shop", "gold": "SELECT count(*) FROM orders"});
    let verdict = engine.grade(&reference, "SELECT 5", None).unwrap();
    assert_eq!(verdict.reward, Some(1.0));
    let reference = serde_json::json!({"db_id": "mall", "gold": "SELECT 1"});
    let error = engine.grade(&reference, "SELECT 1", None).unwrap_err();
    assert!(error.to_string().contains("mall.sqlite"), "{error}");
}

#[test]
fn a_file_that_is_not_a_database_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("notes.sqlite");
    std::fs::write(
        &path,
        "this is not a database, just text long enough to matter",
    )
    .unwrap();
    let engine = engine(SqlOptions::default());
    let reference = serde_json::json!({"db": path, "gold": "SELECT 1"});
    let error = engine.grade(&reference, "SELECT 1", None).unwrap_err();
    assert_eq!(error.kind(), "database_open");
    assert!(error.to_string().contains("notes.sqlite"), "{error}");
}

#[test]
fn failing_gold_is_an_error() {
    let db = shop();
    let engine = engine(SqlOptions::default());
    let reference = serde_json::json!({"db": db.path, "gold": "SELECT nope FROM customers"});
    let error = engine.grade(&reference, "SELECT 1", None).unwrap_err();
    assert_eq!(error.kind(), "gold_failed");
    assert!(error.to_string().contains("no such column"), "{error}");
}

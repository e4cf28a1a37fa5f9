//! Graded queries cannot change the database, reach other files, or run past the deadline.

mod common;

use std::time::{Duration, Instant};

use assay_sql::{SqlEngine, SqlOptions, VerdictStatus};
use common::{engine, fingerprint, grade, shop};

#[test]
fn every_write_or_state_change_is_refused_and_the_file_is_unchanged() {
    let db = shop();
    let before = fingerprint(&db.path);
    let elsewhere = db.dir.path().join("copy.sqlite");
    let attached = db.dir.path().join("other.sqlite");
    let statements = [
        "INSERT INTO customers VALUES (9, 'Eve', 'Nowhere')",
        "INSERT INTO customers SELECT * FROM customers",
        "REPLACE INTO customers VALUES (1, 'Eve', NULL)",
        "UPDATE orders SET qty = 0",
        "DELETE FROM orders",
        "DROP TABLE orders",
        "DROP VIEW big_orders",
        "DROP INDEX orders_customer",
        "CREATE TABLE t (x)",
        "CREATE TEMP TABLE t (x)",
        "CREATE TEMP VIEW v AS SELECT 1",
        "CREATE INDEX i ON customers(name)",
        "CREATE VIEW v AS SELECT 1",
        "CREATE TRIGGER tr AFTER INSERT ON orders BEGIN DELETE FROM orders; END",
        "CREATE VIRTUAL TABLE v USING fts5(x)",
        "ALTER TABLE customers ADD COLUMN age INTEGER",
        "ALTER TABLE customers RENAME TO people",
        &format!("ATTACH DATABASE '{}' AS other", attached.display()),
        "DETACH DATABASE main",
        "BEGIN",
        "COMMIT",
        "SAVEPOINT s",
        "ANALYZE",
        "REINDEX",
        "VACUUM",
        &format!("VACUUM INTO '{}'", elsewhere.display()),
        "PRAGMA writable_schema = 1",
        "PRAGMA journal_mode = WAL",
        "PRAGMA user_version = 7",
        "PRAGMA query_only = 0",
        "PRAGMA foreign_keys = ON",
        "PRAGMA temp_store_directory = '/tmp'",
        "SELECT load_extension('/tmp/evil.so')",
        "WITH x AS (SELECT 1) DELETE FROM orders",
        "SELECT 1; DROP TABLE orders",
        "INSERT INTO orders DEFAULT VALUES RETURNING id",
    ];
    let engine = engine(SqlOptions::default());
    for sql in statements {
        let verdict = grade(&engine, &db.path, "SELECT count(*) FROM orders", sql);
        assert_eq!(
            verdict.status,
            VerdictStatus::Ok,
            "{sql}: {}",
            verdict.explanation
        );
        assert_eq!(verdict.reward, Some(0.0), "{sql}");
        assert_eq!(verdict.components.as_array(), [0.0; 6], "{sql}");
        let refused = verdict.explanation["refused"].as_str().unwrap_or_default();
        assert!(
            refused.contains("refused") || refused.contains("not allowed"),
            "{sql}: {}",
            verdict.explanation
        );
        assert_eq!(fingerprint(&db.path), before, "{sql} changed the database");
    }
    assert!(!elsewhere.exists(), "VACUUM INTO wrote a file");
    assert!(!attached.exists(), "ATTACH created a file");
    // Still intact and readable.
    let verdict = grade(&engine, &db.path, "SELECT count(*) FROM orders", "SELECT 5");
    assert_eq!(verdict.reward, Some(1.0));
}

#[test]
fn refusal_reasons_name_the_action() {
    let db = shop();
    let engine = engine(SqlOptions::default());
    let cases = [
        ("DROP TABLE orders", "schema change"),
        ("CREATE INDEX i ON customers(name)", "schema change"),
        (
            "ALTER TABLE customers ADD COLUMN age INTEGER",
            "ALTER TABLE customers",
        ),
        (
            "CREATE TRIGGER tr AFTER INSERT ON orders BEGIN SELECT 1; END",
            "CREATE TRIGGER tr",
        ),
        ("VACUUM", "not read-only"),
        ("DELETE FROM orders", "DELETE from orders"),
        ("UPDATE orders SET qty = 0", "UPDATE of orders"),
        ("PRAGMA writable_schema = 1", "PRAGMA writable_schema"),
        ("ATTACH DATABASE ':memory:' AS m", "ATTACH refused"),
        ("SELECT load_extension('x')", "load_extension"),
        (
            "CREATE TEMP TABLE t (x)",
            "temp object writes sqlite_temp_master",
        ),
        ("SELECT * FROM pragma_journal_mode", "PRAGMA journal_mode"),
    ];
    for (sql, needle) in cases {
        let verdict = grade(&engine, &db.path, "SELECT 1", sql);
        let reason = verdict.explanation["refused"].as_str().unwrap_or_default();
        assert!(reason.contains(needle), "{sql}: {}", verdict.explanation);
    }
}

#[test]
fn reading_pragmas_and_ctes_are_allowed() {
    let db = shop();
    let engine = engine(SqlOptions::default());
    let verdict = grade(
        &engine,
        &db.path,
        "SELECT name FROM pragma_table_info('customers')",
        "SELECT name FROM pragma_table_info('customers')",
    );
    assert_eq!(verdict.reward, Some(1.0), "{}", verdict.explanation);
    let verdict = grade(
        &engine,
        &db.path,
        "SELECT 55",
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < 10) SELECT sum(n) FROM s",
    );
    assert_eq!(verdict.reward, Some(1.0), "{}", verdict.explanation);
}

fn timed(
    engine: &SqlEngine,
    db: &std::path::Path,
    gold: &str,
    pred: &str,
    budget: Duration,
) -> (assay_sql::Verdict, Duration) {
    let start = Instant::now();
    let reference = serde_json::json!({"db": db, "gold": gold});
    let verdict = engine
        .grade(&reference, pred, Some(start + budget))
        .unwrap();
    (verdict, start.elapsed())
}

#[test]
fn runaway_queries_stop_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.sqlite");
    common::build_shop(&path, 5000);
    let engine = engine(SqlOptions::default());
    let budget = Duration::from_millis(300);
    let runaways = [
        "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s) SELECT count(*) FROM s",
        "SELECT count(*) FROM numbers a, numbers b, numbers c",
        "SELECT a.n FROM numbers a, numbers b ORDER BY a.n * b.n DESC LIMIT 1",
        "WITH RECURSIVE s(n, t) AS (SELECT 1, 'x' UNION ALL SELECT n + 1, t || 'x' FROM s) SELECT max(length(t)) FROM s",
    ];
    for sql in runaways {
        let (verdict, elapsed) = timed(&engine, &path, "SELECT 1", sql, budget);
        assert_eq!(
            verdict.status,
            VerdictStatus::Timeout,
            "{sql}: {}",
            verdict.explanation
        );
        assert_eq!(verdict.reward, None, "{sql}");
        assert!(
            // Generous slack for a loaded CI machine; unstopped, these queries never end.
            elapsed < budget + Duration::from_secs(2),
            "{sql} ran {elapsed:?} past a {budget:?} budget"
        );
        assert!(verdict.explanation["reason"]
            .as_str()
            .unwrap()
            .contains("prediction"));
    }
    // The connection is usable afterwards.
    let (verdict, _) = timed(
        &engine,
        &path,
        "SELECT count(*) FROM numbers",
        "SELECT 5000",
        Duration::from_secs(30),
    );
    assert_eq!(verdict.reward, Some(1.0));
}

#[test]
fn a_gold_query_past_the_deadline_is_a_timeout_and_is_retried_later() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.sqlite");
    common::build_shop(&path, 3000);
    let engine = engine(SqlOptions::default());
    let gold = "SELECT count(*) FROM numbers a, numbers b WHERE a.n % 7 = b.n % 5";
    let (verdict, _) = timed(&engine, &path, gold, "SELECT 1", Duration::from_millis(1));
    assert_eq!(verdict.status, VerdictStatus::Timeout);
    assert!(verdict.explanation["reason"]
        .as_str()
        .unwrap()
        .contains("gold"));
    let (verdict, _) = timed(&engine, &path, gold, "SELECT 1", Duration::from_secs(60));
    assert_eq!(verdict.status, VerdictStatus::Ok, "{}", verdict.explanation);
}

#[test]
fn oversized_results_score_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.sqlite");
    common::build_shop(&path, 2000);
    let engine = engine(SqlOptions {
        limits: assay_sql::Limits {
            max_rows: 1000,
            ..assay_sql::Limits::default()
        },
        ..SqlOptions::default()
    });
    let verdict = grade(&engine, &path, "SELECT 1", "SELECT n FROM numbers");
    assert_eq!(verdict.reward, Some(0.0));
    assert_eq!(verdict.explanation["error"]["kind"], "too_many_rows");
}

#[test]
fn pragma_functions_and_file_functions_cannot_change_anything() {
    let db = shop();
    let before = fingerprint(&db.path);
    let written = db.dir.path().join("written.txt");
    let engine = engine(SqlOptions::default());
    let attempts = [
        "SELECT * FROM pragma_journal_mode('wal')".to_string(),
        "SELECT * FROM pragma_journal_mode".to_string(),
        "SELECT * FROM pragma_user_version(7)".to_string(),
        "SELECT * FROM pragma_query_only(0)".to_string(),
        "SELECT * FROM pragma_writable_schema(1)".to_string(),
        format!("SELECT writefile('{}', 'y')", written.display()),
        "SELECT fts3_tokenizer('simple')".to_string(),
    ];
    for sql in &attempts {
        let verdict = grade(&engine, &db.path, "SELECT count(*) FROM orders", sql);
        assert_eq!(verdict.status, VerdictStatus::Ok, "{sql}");
        assert_eq!(verdict.reward, Some(0.0), "{sql}");
        let explanation = &verdict.explanation;
        assert!(
            explanation["refused"].is_string() || explanation["error"]["message"].is_string(),
            "{sql}: {explanation}"
        );
        assert_eq!(fingerprint(&db.path), before, "{sql} changed the database");
    }
    assert!(!written.exists());
    // The connection still answers queries the same way (query_only and friends unchanged).
    let verdict = grade(&engine, &db.path, "SELECT count(*) FROM orders", "SELECT 5");
    assert_eq!(verdict.reward, Some(1.0));
}

//! Test databases, built in each test.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

use assay_sql::{SqlEngine, SqlOptions, Verdict};
use rusqlite::Connection;
use sha2::{Digest, Sha256};

/// A temporary directory holding `shop.sqlite`.
pub struct Shop {
    pub dir: tempfile::TempDir,
    pub path: PathBuf,
}

/// Builds a small shop database: customers, products, orders (with duplicates of values,
/// NULLs, reals and integers).
pub fn shop() -> Shop {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("shop.sqlite");
    build_shop(&path, 0);
    Shop { dir, path }
}

/// Writes the shop schema with `extra_rows` additional `numbers` rows.
pub fn build_shop(path: &Path, extra_rows: i64) {
    let conn = Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, city TEXT);
         CREATE TABLE products (id INTEGER PRIMARY KEY, title TEXT, price REAL);
         CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER REFERENCES customers(id),
                              product_id INTEGER REFERENCES products(id), qty INTEGER, note TEXT);
         CREATE TABLE numbers (n INTEGER);
         CREATE INDEX orders_customer ON orders(customer_id);
         CREATE VIEW big_orders AS SELECT * FROM orders WHERE qty >= 3;
         INSERT INTO customers VALUES (1, 'Ada', 'London'), (2, 'Grace', 'New York'),
                                      (3, 'Linus', NULL), (4, 'Ada', 'Paris');
         INSERT INTO products VALUES (1, 'pen', 1.5), (2, 'book', 12.0), (3, 'lamp', 30.25);
         INSERT INTO orders VALUES (1, 1, 1, 2, NULL), (2, 1, 2, 1, 'gift'), (3, 2, 3, 4, NULL),
                                   (4, 3, 1, 10, '10'), (5, 2, 2, 3, NULL);",
    )
    .unwrap();
    if extra_rows > 0 {
        conn.execute(
            "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < ?1)
             INSERT INTO numbers SELECT n FROM s",
            [extra_rows],
        )
        .unwrap();
    }
}

/// SHA-256 of a file, and of its `-wal`/`-journal` siblings' existence.
pub fn fingerprint(path: &Path) -> (String, bool, bool) {
    let bytes = std::fs::read(path).unwrap();
    let hash = format!("{:x}", Sha256::digest(&bytes));
    let sibling = |suffix: &str| {
        let mut name = path.as_os_str().to_owned();
        name.push(suffix);
        Path::new(&name).exists()
    };
    (hash, sibling("-wal"), sibling("-journal"))
}

/// An engine with `options`.
pub fn engine(options: SqlOptions) -> SqlEngine {
    SqlEngine::new(options).unwrap()
}

/// Grades `pred` against `gold` on `db`, with a generous deadline.
pub fn grade(engine: &SqlEngine, db: &Path, gold: &str, pred: &str) -> Verdict {
    let reference = serde_json::json!({"db": db, "gold": gold});
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    engine.grade(&reference, pred, Some(deadline)).unwrap()
}

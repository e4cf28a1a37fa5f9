//! The `sql` grader through assay-core's engine, configured as users configure it.

mod common;

use assay_core::config::Format;
use assay_core::{Config, Engine, ErrorKind, Item, Registry, Status};
use serde_json::json;

fn engine(toml: &str) -> Engine {
    let mut registry = Registry::new();
    assay_core::compose::register(&mut registry);
    assay_sql::register(&mut registry);
    let value = Format::Toml.parse(toml).expect("valid TOML");
    let config = Config::from_value(&value).unwrap_or_else(|p| panic!("{p:?}"));
    Engine::new(&config, &registry, "test").unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn scores_a_group_of_rollouts_with_every_status() {
    let db = common::shop();
    let missing = db.dir.path().join("missing.sqlite");
    let e = engine(
        r#"
        timeout_ms = 1000
        [graders.sql]
        kind = "sql"
        mode = "spider"
        weights = { execution = 3, syntax = 1 }
        "#,
    );
    let gold = "SELECT name FROM customers WHERE city = 'London'";
    let reference = json!({"db": db.path, "gold": gold});
    let item = |response: &str| Item {
        group: Some("q1".into()),
        ..Item::new(response, reference.clone())
    };
    let results = e.score(&[
        item("```sql\nSELECT name FROM customers WHERE city = 'London';\n```"),
        item("```sql\nSELECT name FROM customers\n```"),
        item("```sql\nDROP TABLE customers\n```"),
        item("```sql\nWITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s) SELECT count(*) FROM s\n```"),
        item("```sql\nSELEC name\n```"),
        Item::new("```sql\nSELECT 1\n```", json!({"db": missing, "gold": "SELECT 1"})),
        Item::new("SELECT 1", json!({"gold": "SELECT 1"})),
    ]);
    let summary: Vec<(Status, Option<f64>)> =
        results.iter().map(|r| (r.status, r.reward)).collect();
    assert_eq!(
        summary,
        [
            (Status::Ok, Some(1.0)),
            (Status::Ok, Some(0.25)),
            (Status::Ok, Some(0.0)),
            (Status::Ok, Some(0.25)),
            (Status::Ok, Some(0.0)),
            (Status::Error, None),
            (Status::Error, None),
        ],
        "{results:#?}"
    );
    assert_eq!(results[0].components["execution"], Some(1.0));
    assert_eq!(results[0].components.len(), 6);
    assert_eq!(results[1].components["syntax"], Some(1.0));
    assert!(results[2].explanation["refused"]
        .as_str()
        .unwrap()
        .contains("write refused"));
    // A runaway query is the policy's failure, as a program that hangs: it is stopped at its
    // own limit (1000 ms minus 100 ms of overhead) and scores as a query that failed.
    assert_eq!(results[3].components["execution"], Some(0.0));
    assert_eq!(results[3].explanation["error"]["kind"], json!("time_limit"));
    assert!(results[3].explanation["error"]["message"]
        .as_str()
        .unwrap()
        .contains("time limit of 900 ms"));
    // Interrupted at its 0.9 s limit (slack for a loaded machine); unstopped, it never ends.
    assert!(results[3].elapsed_ms < 5000.0, "{}", results[3].elapsed_ms);
    let error = results[5].error.as_ref().unwrap();
    assert_eq!(error.kind, ErrorKind::Execution);
    assert!(
        error.message.contains("missing.sqlite"),
        "{}",
        error.message
    );
    assert_eq!(
        results[6].error.as_ref().unwrap().kind,
        ErrorKind::BadReference
    );
    assert_eq!(
        results[0].pred.as_deref(),
        Some("SELECT name FROM customers WHERE city = 'London';")
    );
}

#[test]
fn a_runaway_query_stopped_by_the_request_deadline_is_a_timeout() {
    let db = common::shop();
    let e = engine("timeout_ms = 60000\n[graders.sql]\nkind = \"sql\"\n");
    let reference = json!({"db": db.path, "gold": "SELECT 1"});
    let runaway = "```sql\nWITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s) SELECT count(*) FROM s\n```";
    let scored = e.score_blocking(
        assay_core::ScoreRequest::items([Item::new(runaway, reference)])
            .timeout(std::time::Duration::from_millis(300)),
    );
    let r = &scored.results[0];
    // Not a verdict on the query: the request's deadline, not its own limit, stopped it.
    assert_eq!(r.status, Status::Timeout, "{r:#?}");
    assert_eq!(r.reward, None);
}

#[test]
fn configuration_mistakes_are_reported() {
    let mut registry = Registry::new();
    assay_sql::register(&mut registry);
    let build = |toml: &str| {
        let value = Format::Toml.parse(toml).unwrap();
        let config = Config::from_value(&value).unwrap();
        Engine::new(&config, &registry, "test")
            .err()
            .map(|e| e.to_string())
    };
    let unknown = build("[graders.s]\nkind = \"sql\"\nmood = \"bird\"").unwrap();
    assert!(unknown.contains("unknown field `mood`"), "{unknown}");
    let bad_mode = build("[graders.s]\nkind = \"sql\"\nmode = \"fuzzy\"").unwrap();
    assert!(bad_mode.contains("bird"), "{bad_mode}");
    let anchor = build("[graders.s]\nkind = \"sql\"\nextract = \"anchor\"").unwrap();
    assert!(anchor.contains("anchor"), "{anchor}");
}

#[test]
fn kind_is_documented() {
    let mut registry = Registry::new();
    assay_sql::register(&mut registry);
    let info = &registry.kind("sql").expect("registered").info;
    assert_eq!(info.family, "sql");
    assert!(info.summary.ends_with('.'));
    let names: Vec<&str> = info.options.iter().map(|o| o.name.as_str()).collect();
    for option in [
        "mode",
        "db_dir",
        "extract",
        "anchor",
        "weights",
        "ngram",
        "format_tags",
        "limits",
    ] {
        assert!(names.contains(&option), "{option} missing from {names:?}");
    }
    println!("{}", serde_json::to_string_pretty(info).unwrap());
    for option in &info.options {
        assert!(
            !option.description.is_empty(),
            "{} has no description",
            option.name
        );
        assert_ne!(option.ty, "any", "{}", option.name);
    }
}

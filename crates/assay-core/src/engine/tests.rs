use std::sync::Arc;
use std::time::Duration;

use serde_json::json;

use crate::compose::testing::{engine, item, try_engine};
use crate::{ErrorKind, GradeResult, Input, Item, MalformedItem, OnError, Status, Target};

const ROUTED: &str = r#"
    [graders.a]
    kind = "probe"
    key = "a"
    [graders.b]
    kind = "probe"
    key = "b"
    [[routes]]
    data_source = "alpha"
    grader = "a"
    [[routes]]
    data_source = "b*"
    grader = "b"
"#;

fn routed_item(data_source: Option<&str>, metadata: serde_json::Value, id: i64) -> Item {
    Item {
        id: Some(json!(id)),
        data_source: data_source.map(String::from),
        ..item(metadata)
    }
}

#[test]
fn routes_pick_graders_by_exact_name_and_glob() {
    let e = engine(ROUTED);
    assert_eq!(e.route(Some("alpha")).unwrap(), "a");
    assert_eq!(e.route(Some("beta")).unwrap(), "b");
    assert_eq!(e.route(Some("b")).unwrap(), "b");
    let err = e.route(Some("gamma")).unwrap_err();
    assert_eq!(err.kind, ErrorKind::NoRoute);
    assert!(err.message.contains("routes: alpha, b*"), "{}", err.message);
    assert!(e.route(None).is_err());
}

#[test]
fn one_result_per_input_in_order_with_fixed_keys() {
    let e = engine(ROUTED);
    let inputs: Vec<Input> = vec![
        Ok(routed_item(Some("beta"), json!({"b": 0.5}), 0)),
        MalformedItem::parse_line(r#"{"id": 1, "oops": true}"#).map(|_: Item| unreachable!()),
        Ok(routed_item(Some("alpha"), json!({"a": 1}), 2)),
        Ok(routed_item(Some("zeta"), json!({}), 3)),
        Ok(routed_item(Some("alpha"), json!({"a": "error"}), 4)),
        Ok(routed_item(Some("alpha"), json!({"a": "panic"}), 5)),
        Ok(routed_item(Some("beta"), json!({"b": "invalid"}), 6)),
    ];
    let results = e.score_inputs(&inputs, Target::Routes, None);
    let summary: Vec<(Option<serde_json::Value>, Status, Option<f64>)> = results
        .iter()
        .map(|r| (r.id.clone(), r.status, r.reward))
        .collect();
    assert_eq!(
        summary,
        [
            (Some(json!(0)), Status::Ok, Some(0.5)),
            (Some(json!(1)), Status::Error, None),
            (Some(json!(2)), Status::Ok, Some(1.0)),
            (Some(json!(3)), Status::Error, None),
            (Some(json!(4)), Status::Error, None),
            (Some(json!(5)), Status::Error, None),
            (Some(json!(6)), Status::Invalid, Some(0.0)),
        ]
    );
    let kinds: Vec<Option<ErrorKind>> = results
        .iter()
        .map(|r| r.error.as_ref().map(|e| e.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            None,
            Some(ErrorKind::MalformedInput),
            None,
            Some(ErrorKind::NoRoute),
            Some(ErrorKind::BadReference),
            Some(ErrorKind::Internal),
            None
        ]
    );
    assert!(results[5]
        .error
        .as_ref()
        .unwrap()
        .message
        .contains("probe panic"));
    for r in &results {
        let keys: Vec<&str> = r.components.keys().map(String::as_str).collect();
        assert_eq!(keys, ["value"], "{r:?}");
    }
}

#[test]
fn fallback_rewards_apply_to_failures_only() {
    let config = format!("on_error = \"zero\"\n{ROUTED}");
    let e = engine(&config);
    let items = [
        routed_item(Some("alpha"), json!({"a": "error"}), 0),
        routed_item(Some("alpha"), json!({"a": "timeout"}), 1),
        routed_item(Some("alpha"), json!({"a": "na"}), 2),
        routed_item(Some("alpha"), json!({"a": 0.25}), 3),
    ];
    let rewards: Vec<Option<f64>> = e.score(&items).iter().map(|r| r.reward).collect();
    assert_eq!(rewards, [Some(0.0), Some(0.0), None, Some(0.25)]);
    // Items that reach no grader take the configuration's fallback too.
    let unrouted: Vec<Input> = vec![
        Ok(routed_item(Some("nowhere"), json!({}), 9)),
        MalformedItem::parse_line("{").map(|_: Item| unreachable!()),
    ];
    let results = e.score_inputs(&unrouted, Target::Routes, None);
    assert_eq!(results[0].reward, Some(0.0));
    assert_eq!(results[1].reward, Some(0.0));
    assert_eq!(results[0].status, Status::Error);
    let inputs: Vec<Input> = items.iter().cloned().map(Ok).collect();
    let overridden = e.score_inputs(&inputs, Target::Routes, Some(OnError::Value(-1.0)));
    let rewards: Vec<Option<f64>> = overridden.iter().map(|r| r.reward).collect();
    assert_eq!(rewards, [Some(-1.0), Some(-1.0), None, Some(0.25)]);
    // The status stays visible under a fallback.
    assert_eq!(overridden[0].status, Status::Error);
    assert_eq!(overridden[1].status, Status::Timeout);
}

#[test]
fn deadline_turns_runaway_work_into_timeout() {
    let config = r#"
        timeout_ms = 30
        [graders.a]
        kind = "probe"
        key = "a"
    "#;
    let e = engine(config);
    let r = &e.score(&[item(json!({"a": "slow"}))])[0];
    assert_eq!(r.status, Status::Timeout);
    assert_eq!(r.reward, None);
    assert_eq!(r.error.as_ref().unwrap().kind, ErrorKind::Timeout);
    assert!(
        r.elapsed_ms >= 30.0 && r.elapsed_ms < 5_000.0,
        "{}",
        r.elapsed_ms
    );
}

#[test]
fn named_target_bypasses_routes() {
    let e = engine(ROUTED);
    let inputs: Vec<Input> = vec![Ok(routed_item(Some("zeta"), json!({"b": 1}), 0))];
    assert_eq!(
        e.score_inputs(&inputs, Target::Grader("b"), None)[0].reward,
        Some(1.0)
    );
    let missing = &e.score_inputs(&inputs, Target::Grader("nope"), None)[0];
    assert_eq!(missing.error.as_ref().unwrap().kind, ErrorKind::NoRoute);
}

#[test]
fn many_items_keep_their_order_across_batches_and_groups() {
    let e = engine(ROUTED).with_batch_size(3);
    let items: Vec<Item> = (0..200)
        .map(|i| Item {
            group: Some(format!("g{}", i % 7)),
            ..routed_item(
                Some(if i % 2 == 0 { "alpha" } else { "beta" }),
                json!({"a": i, "b": -i}),
                i,
            )
        })
        .collect();
    let results: Vec<GradeResult> = e.score(&items);
    for (i, r) in results.iter().enumerate() {
        let i = i as i64;
        assert_eq!(r.id, Some(json!(i)));
        let expected = if i % 2 == 0 { i } else { -i } as f64;
        assert_eq!(r.reward, Some(expected));
    }
}

#[test]
fn async_scoring_gives_the_same_results() {
    let e = Arc::new(engine(ROUTED));
    let inputs: Vec<Input> = (0..10)
        .map(|i| Ok(routed_item(Some("alpha"), json!({"a": i}), i)))
        .collect();
    let sync = e.score_inputs(&inputs, Target::Routes, None);
    let future = e.score_async(inputs, None, None);
    let got = futures_executor::block_on(future);
    let rewards = |rs: &[GradeResult]| rs.iter().map(|r| r.reward).collect::<Vec<_>>();
    assert_eq!(rewards(&got), rewards(&sync));
}

#[test]
fn configuration_problems_are_all_reported_together() {
    let config = r#"
        [graders.a]
        kind = "nope"
        [graders.b]
        kind = "probe"
        colour = 1
        [graders.c]
        kind = "multi"
        graders = ["missing"]
        [[routes]]
        data_source = "x"
        grader = "ghost"
        [[routes]]
        data_source = "[unclosed"
        grader = "a"
    "#;
    let err = try_engine(config).unwrap_err();
    let paths: Vec<&str> = err.problems.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "graders.a.kind",
            "graders.b.colour",
            "graders.c",
            "routes[0].grader",
            "routes[1].data_source"
        ]
    );
    let text = err.to_string();
    assert!(text.contains("5 problems"), "{text}");
    assert!(
        text.contains("known kinds: gate, multi, probe, transform"),
        "{text}"
    );
    assert!(
        text.contains("unknown field `colour`, expected `key`"),
        "{text}"
    );
    assert!(
        text.contains("every grader also takes: kind, timeout_ms, on_error, description"),
        "{text}"
    );
}

#[test]
fn several_graders_need_routes() {
    let config =
        "[graders.a]\nkind = \"probe\"\nkey = \"a\"\n[graders.b]\nkind = \"probe\"\nkey = \"b\"\n";
    let text = try_engine(config).unwrap_err().to_string();
    assert!(text.contains("several graders and no route"), "{text}");
}

#[test]
fn per_grader_timeout_and_on_error_override_the_defaults() {
    let config = r#"
        on_error = "zero"
        timeout_ms = 60000
        [graders.a]
        kind = "probe"
        key = "a"
        timeout_ms = 20
        on_error = -5
    "#;
    let r = &engine(config).score(&[item(json!({"a": "slow"}))])[0];
    assert_eq!(r.status, Status::Timeout);
    assert_eq!(r.reward, Some(-5.0));
    assert!(r.elapsed_ms < 10_000.0);
    let _ = Duration::ZERO;
}

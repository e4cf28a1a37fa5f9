use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::compose::testing::{engine, item, try_engine};
use crate::{
    ErrorKind, GradeResult, Input, Item, MalformedItem, OnError, ScoreRequest, Status, Target,
};

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
            Some(ErrorKind::Panic),
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
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let engine = Arc::clone(&e);
    let got =
        runtime.block_on(async move { engine.score_request(ScoreRequest::new(inputs)).await });
    let rewards = |rs: &[GradeResult]| rs.iter().map(|r| r.reward).collect::<Vec<_>>();
    assert_eq!(rewards(&got.results), rewards(&sync));
    assert_eq!(got.results[0].grader.as_deref(), Some("a"));
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
        text.contains("known kinds: gate, multi, nap, probe, transform"),
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

const MIXED: &str = r#"
    [graders.cpu]
    kind = "probe"
    key = "a"
    [graders.io]
    kind = "nap"
    key = "ms"
    timeout_ms = 60000
    [graders.both]
    kind = "multi"
    graders = ["cpu", "io"]
    formula = "cpu + io"
    timeout_ms = 60000
    [[routes]]
    data_source = "io"
    grader = "io"
    [[routes]]
    data_source = "both"
    grader = "both"
    [[routes]]
    data_source = "*"
    grader = "cpu"
"#;

fn mixed_item(data_source: &str, metadata: serde_json::Value, id: i64) -> Item {
    routed_item(Some(data_source), metadata, id)
}

/// A one-thread rayon pool: I/O graders must not need it while they wait.
fn one_thread() -> Arc<rayon::ThreadPool> {
    Arc::new(
        rayon::ThreadPoolBuilder::new()
            .num_threads(1)
            .build()
            .unwrap(),
    )
}

#[test]
fn io_graders_wait_concurrently_without_holding_cpu_threads() {
    let e = engine(MIXED);
    // 64 remote calls of 300 ms each, on a one-thread CPU pool, beside CPU items: if a wait
    // held a thread they would take 64 × 300 ms.
    let mut items: Vec<Item> = (0..64)
        .map(|i| mixed_item("io", json!({"ms": 300}), i))
        .collect();
    items.extend((64..80).map(|i| mixed_item("cpu", json!({"a": 0.5}), i)));
    items.extend((80..96).map(|i| mixed_item("both", json!({"a": 0.5, "ms": 300}), i)));
    let started = Instant::now();
    let scored = e.score_blocking(ScoreRequest::items(items).pool(one_thread()));
    let took = started.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
    let statuses: Vec<Status> = scored.results.iter().map(|r| r.status).collect();
    assert!(statuses.iter().all(|s| *s == Status::Ok), "{statuses:?}");
    assert_eq!(scored.results[0].reward, Some(1.0));
    assert_eq!(scored.results[70].reward, Some(0.5));
    // A multi mixing a CPU and an I/O grader combines both.
    assert_eq!(scored.results[90].reward, Some(1.5));
    assert_eq!(scored.results[90].components["io"], Some(1.0));
    // What the remote calls spent is counted per item and summed by compositions.
    assert_eq!(scored.results[0].usage.map(|u| u.requests), Some(1));
    assert_eq!(scored.results[90].usage.map(|u| u.prompt_tokens), Some(3));
    assert_eq!(scored.results[70].usage, None);
    // Each item reports its own time: the naps about 300 ms, the CPU probes far less.
    assert!(
        scored.results[0].elapsed_ms >= 290.0,
        "{}",
        scored.results[0].elapsed_ms
    );
    assert!(
        scored.results[70].elapsed_ms < 200.0,
        "{}",
        scored.results[70].elapsed_ms
    );
}

#[test]
fn a_request_deadline_bounds_the_whole_request_whatever_its_size() {
    let config = r#"
        timeout_ms = 600000
        [graders.slow]
        kind = "probe"
        key = "a"
    "#;
    let e = engine(config);
    // 64 items that would each spin for their whole (ten-minute) timeout, on one thread.
    let items: Vec<Item> = (0..64)
        .map(|i| routed_item(None, json!({"a": "slow"}), i))
        .collect();
    let started = Instant::now();
    let scored = e.score_blocking(
        ScoreRequest::items(items)
            .timeout(Duration::from_millis(300))
            .pool(one_thread()),
    );
    let took = started.elapsed();
    assert!(
        took < Duration::from_millis(300)
            + crate::request::DEADLINE_SLACK
            + Duration::from_millis(500),
        "took {took:?}"
    );
    assert_eq!(scored.results.len(), 64);
    assert!(scored.results.iter().all(|r| r.status == Status::Timeout));
    assert!(scored
        .results
        .iter()
        .all(|r| r.error.as_ref().unwrap().kind == ErrorKind::Timeout));
}

#[test]
fn an_io_grader_past_the_request_deadline_times_out() {
    let e = engine(MIXED);
    let items: Vec<Item> = (0..8)
        .map(|i| mixed_item("io", json!({"ms": 60_000}), i))
        .collect();
    let started = Instant::now();
    let scored = e.score_blocking(ScoreRequest::items(items).timeout(Duration::from_millis(200)));
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert!(
        scored.results.iter().all(|r| r.status == Status::Timeout),
        "{scored:?}"
    );
}

#[test]
fn cancelling_a_request_stops_its_work_within_a_second() {
    use crate::compose::testing::NAPS_IN_FLIGHT;
    use std::sync::atomic::Ordering;
    let e = Arc::new(engine(MIXED));
    let cancel = crate::CancelToken::new();
    let items: Vec<Item> = (0..32)
        .map(|i| {
            mixed_item(
                if i % 2 == 0 { "io" } else { "cpu" },
                json!({"ms": 60_000, "a": "slow"}),
                i,
            )
        })
        .collect();
    let request = ScoreRequest::items(items).cancel_token(cancel.clone());
    let engine = Arc::clone(&e);
    let worker = std::thread::spawn(move || engine.score_blocking(request));
    std::thread::sleep(Duration::from_millis(200));
    let cancelled_at = Instant::now();
    cancel.cancel();
    let scored = worker.join().unwrap();
    assert!(
        cancelled_at.elapsed() < Duration::from_secs(1),
        "{:?}",
        cancelled_at.elapsed()
    );
    assert_eq!(scored.results.len(), 32);
    assert!(scored.results.iter().all(|r| r
        .error
        .as_ref()
        .is_some_and(|e| e.kind == ErrorKind::Cancelled)));
    // Nothing is left waiting.
    let until = Instant::now() + Duration::from_secs(1);
    while NAPS_IN_FLIGHT.load(Ordering::SeqCst) > 0 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    assert_eq!(NAPS_IN_FLIGHT.load(Ordering::SeqCst), 0);
}

#[test]
fn a_panic_on_one_item_of_a_hundred_fails_that_item_only() {
    let e = engine("[graders.p]\nkind = \"probe\"\nkey = \"a\"\n");
    let items: Vec<Item> = (0..100)
        .map(|i| {
            routed_item(
                None,
                json!({"a": if i == 37 { json!("panic") } else { json!(i) }}),
                i,
            )
        })
        .collect();
    let results = e.score(&items);
    for (i, r) in results.iter().enumerate() {
        if i == 37 {
            assert_eq!(r.status, Status::Error);
            assert_eq!(r.error.as_ref().unwrap().kind, ErrorKind::Panic);
            assert!(r.error.as_ref().unwrap().message.contains("probe panic"));
        } else {
            assert_eq!(r.reward, Some(i as f64), "{r:?}");
        }
    }
}

#[test]
fn every_item_is_graded_once_even_when_its_neighbour_panics() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static CALLS: AtomicUsize = AtomicUsize::new(0);
    struct Counting;
    impl crate::Grader for Counting {
        fn components(&self) -> Vec<String> {
            Vec::new()
        }
        fn grade(&self, item: &Item, _: &crate::Budget) -> crate::Outcome {
            CALLS.fetch_add(1, Ordering::SeqCst);
            if item.response_text() == "panic" {
                panic!("counted panic");
            }
            crate::Outcome::ok(1.0)
        }
    }
    let items: Vec<Item> = (0..50)
        .map(|i| Item::new(if i == 3 { "panic" } else { "fine" }, json!(null)))
        .collect();
    let refs: Vec<&Item> = items.iter().collect();
    let outcomes = crate::Grader::grade_batch(&Counting, &refs, &crate::BatchContext::new(None));
    assert_eq!(outcomes.len(), 50);
    assert_eq!(CALLS.load(Ordering::SeqCst), 50);
}

#[test]
fn advantages_and_zero_spread_come_with_group_summaries() {
    let e = engine("[graders.p]\nkind = \"probe\"\nkey = \"a\"\n");
    let grouped = |g: &str, a: f64, id: i64| Item {
        group: Some(g.into()),
        ..routed_item(None, json!({"a": a}), id)
    };
    let items = vec![
        grouped("q1", 1.0, 0),
        grouped("q1", 0.0, 1),
        grouped("q2", 1.0, 2),
        grouped("q2", 1.0, 3),
        routed_item(None, json!({"a": 1.0}), 4),
    ];
    let scored =
        e.score_blocking(ScoreRequest::items(items).advantage(crate::AdvantageMode::Drgrpo));
    let adv: Vec<Option<f64>> = scored.results.iter().map(|r| r.advantage).collect();
    assert_eq!(
        adv,
        [Some(0.5), Some(-0.5), Some(0.0), Some(0.0), Some(0.0)]
    );
    let spread: Vec<Option<bool>> = scored.results.iter().map(|r| r.zero_spread).collect();
    assert_eq!(
        spread,
        [Some(false), Some(false), Some(true), Some(true), None]
    );
    let groups: Vec<(&str, usize, bool)> = scored
        .groups
        .iter()
        .map(|g| (g.group.as_str(), g.size, g.zero_spread))
        .collect();
    assert_eq!(groups, [("q1", 2, false), ("q2", 2, true)]);
    // Without an advantage the results are left alone; the summaries are still there.
    let plain = e.score_blocking(ScoreRequest::items(vec![grouped("q", 1.0, 0)]));
    assert_eq!(plain.groups.len(), 1);
    assert_eq!(plain.results[0].zero_spread, None);
    assert_eq!(plain.results[0].advantage, None);
}

#[test]
fn sub_graders_share_the_item_clock() {
    // Two slow sub-graders under one 300 ms item timeout: the second does not get a fresh
    // 300 ms of its own.
    let config = r#"
        [graders.a]
        kind = "probe"
        key = "a"
        [graders.b]
        kind = "probe"
        key = "b"
        [graders.both]
        kind = "multi"
        graders = ["a", "b"]
        timeout_ms = 300
        [[routes]]
        data_source = "*"
        grader = "both"
    "#;
    let e = engine(config);
    let started = Instant::now();
    let r = &e
        .score_blocking(
            ScoreRequest::items(vec![routed_item(
                None,
                json!({"a": "slow", "b": "slow"}),
                0,
            )])
            .pool(one_thread()),
        )
        .results[0];
    assert_eq!(r.status, Status::Timeout);
    assert!(
        started.elapsed() < Duration::from_millis(550),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn a_malformed_line_takes_the_failure_reward_of_the_grader_it_routes_to() {
    let config = r#"
        [graders.a]
        kind = "probe"
        key = "a"
        on_error = -1
        [graders.b]
        kind = "probe"
        key = "b"
        [[routes]]
        data_source = "alpha"
        grader = "a"
        [[routes]]
        data_source = "*"
        grader = "b"
    "#;
    let e = engine(config);
    let inputs = vec![
        MalformedItem::parse_line(r#"{"id": 1, "data_source": "alpha"}"#),
        MalformedItem::parse_line(r#"{"id": 2, "data_source": "beta"}"#),
        MalformedItem::parse_line("not json"),
    ];
    let results = e.score_inputs(&inputs, Target::Routes, None);
    let rewards: Vec<Option<f64>> = results.iter().map(|r| r.reward).collect();
    assert_eq!(rewards, [Some(-1.0), None, None]);
    assert!(results
        .iter()
        .all(|r| r.error.as_ref().unwrap().kind == ErrorKind::MalformedInput));
}

#[test]
fn a_blocking_call_grades_its_single_item_on_the_calling_thread() {
    let e = engine("[graders.a]\nkind = \"probe\"\nkey = \"a\"");
    let here = format!("{:?}", std::thread::current().id());
    let on = |items: Vec<Item>| -> Vec<String> {
        e.score(&items)
            .into_iter()
            .map(|r| r.pred.expect("a thread"))
            .collect()
    };
    // One item: no hop to the pool and back (the caller waits anyway), even before the
    // grader's cost is known.
    assert_eq!(
        on(vec![item(json!({"a": "thread"}))]),
        std::slice::from_ref(&here)
    );
    // A panic on the calling thread is still that item's error, and the caller goes on.
    let panicked = e.score(&[item(json!({"a": "panic"}))]).remove(0);
    assert_eq!(panicked.error.unwrap().kind, ErrorKind::Panic);
}

#[test]
fn batches_cheaper_than_a_hop_to_the_pool_are_graded_where_the_request_is_driven() {
    let e = engine("[graders.a]\nkind = \"probe\"\nkey = \"a\"\ntimeout_ms = 20");
    let here = format!("{:?}", std::thread::current().id());
    // `block_on_io` drives the request's future on this thread, as an async caller's
    // runtime thread would.
    let graded_by = |metadata: serde_json::Value| -> GradeResult {
        crate::grader::block_on_io(e.score_request(ScoreRequest::items([item(metadata)])))
            .results
            .remove(0)
    };
    // A grader that has graded nothing yet may be slow: the pool grades its first batch.
    let first = graded_by(json!({"a": "thread"}));
    assert_ne!(first.pred.as_deref(), Some(here.as_str()));
    // Its items prove cheap (microseconds, against the tens of a hop), so later batches are
    // graded on the caller's thread. (On a loaded machine one item may measure slow and
    // send a few more to the pool until the estimate comes down again.)
    let inline = (0..300).any(|_| graded_by(json!({"a": "thread"})).pred.as_deref() == Some(&here));
    assert!(
        inline,
        "cheap items were never graded on the caller's thread"
    );
    // An item that runs to its 20 ms timeout sends the next batches back to the pool
    // (the slow item itself, graded inline, still stopped at its deadline).
    let started = Instant::now();
    assert_eq!(graded_by(json!({"a": "slow"})).status, Status::Timeout);
    assert!(started.elapsed() < Duration::from_secs(2));
    let after_slow = graded_by(json!({"a": "thread"}));
    assert_ne!(after_slow.pred.as_deref(), Some(here.as_str()));
}

//! Faults between Assay and a real server: a proxy in front of llama-server injects 429 with
//! `Retry-After`, 503, connection resets, slow and truncated replies. Checks retries,
//! deadlines, statuses, the circuit breaker, cancellation, and that no item is sent again
//! once it succeeded.

mod common;

use std::time::{Duration, Instant};

use assay_core::{
    CancelToken, Config, Content, Engine, GradeResult, Item, Registry, ScoreRequest, Status,
};
use common::{Fault, Llama, Proxy};
use serde_json::{json, Value};

fn engine(options: Value) -> Engine {
    let mut registry = Registry::new();
    assay_model::register(&mut registry);
    let value = Config::single_value("judge", options.as_object().unwrap().clone()).unwrap();
    Engine::new(&Config::from_value(&value).unwrap(), &registry, "test").unwrap()
}

/// A judge through `proxy` that always answers "yes" (1.0), with fast retries; `extra`
/// overrides options.
fn judge(proxy: &Proxy, extra: Value) -> Engine {
    let mut options = json!({
        "url": proxy.url, "model": "m", "verdict": "label", "labels": ["yes", "no"], "passing_labels": ["yes"],
        "backoff_ms": 20, "max_backoff_ms": 200, "timeout_ms": 120000,
        "sampling": {"max_tokens": 8, "extra_body": {"grammar": "root ::= \"yes\""}}
    });
    for (k, v) in extra.as_object().unwrap() {
        options[k] = v.clone();
    }
    engine(options)
}

fn item(response: &str) -> Item {
    Item {
        prompt: Some(Content::Text("2+2?".into())),
        ..Item::new(response, json!("4"))
    }
}

fn one(e: &Engine, response: &str) -> GradeResult {
    e.score(&[item(response)]).remove(0)
}

#[test]
fn retries_429_honouring_retry_after() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    let proxy = Proxy::start(
        &llama.url,
        vec![Fault::Status(429, Some(1), "slow down".into())],
    );
    let started = Instant::now();
    let r = one(&judge(&proxy, json!({})), "4");
    assert_eq!(r.status, Status::Ok, "{r:?}");
    assert_eq!(r.reward, Some(1.0));
    assert!(
        started.elapsed() >= Duration::from_millis(950),
        "Retry-After: 1 was not honoured ({:?})",
        started.elapsed()
    );
    assert_eq!(r.usage.unwrap().requests, 2);
    assert_eq!(proxy.requests(), 2);
}

#[test]
fn retries_503_resets_truncations_and_slow_replies() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    let proxy = Proxy::start(
        &llama.url,
        vec![
            Fault::Status(503, None, "loading".into()),
            Fault::Reset,
            Fault::Truncate,
            Fault::Slow(Duration::from_secs(3)),
        ],
    );
    let r = one(
        &judge(
            &proxy,
            json!({"request_timeout_ms": 1000, "max_retries": 5}),
        ),
        "4",
    );
    assert_eq!(r.status, Status::Ok, "{r:?}");
    assert_eq!(r.usage.unwrap().requests, 5, "four faults, then the answer");
}

#[test]
fn a_retry_after_past_the_deadline_is_not_waited_for() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    let proxy = Proxy::start(
        &llama.url,
        vec![Fault::Status(
            429,
            Some(30),
            "rate limited: try in 30 s".into(),
        )],
    );
    let e = judge(&proxy, json!({"timeout_ms": 2000}));
    let started = Instant::now();
    let r = one(&e, "4");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(r.status, Status::Error, "{r:?}");
    let error = r.error.unwrap();
    assert_eq!(error.kind.as_str(), "upstream");
    assert!(
        error.message.contains("HTTP 429")
            && error.message.contains("try in 30 s")
            && error.message.contains("deadline"),
        "{}",
        error.message
    );
    assert_eq!(r.explanation["http_status"], json!(429));
}

#[test]
fn client_errors_are_not_retried_and_carry_the_message() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    let proxy = Proxy::start(
        &llama.url,
        vec![Fault::Status(400, None, "model `m` does not exist".into())],
    );
    let r = one(&judge(&proxy, json!({})), "4");
    assert_eq!(r.status, Status::Error);
    assert!(
        r.error.as_ref().unwrap().message.contains("does not exist"),
        "{r:?}"
    );
    assert_eq!(r.explanation["http_status"], json!(400));
    assert_eq!(proxy.requests(), 1);
    assert_ne!(
        r.reward,
        Some(0.0),
        "a failure is a status, never a silent 0"
    );
}

#[test]
fn the_breaker_opens_after_consecutive_failures() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    let faults = (0..10)
        .map(|_| Fault::Status(503, None, "down".into()))
        .collect();
    let proxy = Proxy::start(&llama.url, faults);
    let e = judge(
        &proxy,
        json!({"breaker_failures": 3, "breaker_cooldown_ms": 60000, "max_retries": 1, "max_concurrency": 1}),
    );
    let results = e.score(&[item("a"), item("b"), item("c")]);
    assert!(
        results.iter().all(|r| r.status == Status::Error),
        "{results:?}"
    );
    let refused = results
        .iter()
        .filter(|r| {
            r.error
                .as_ref()
                .unwrap()
                .message
                .contains("circuit breaker open")
        })
        .count();
    assert!(refused >= 1, "{results:?}");
    assert_eq!(proxy.requests(), 3, "the open breaker sends nothing");
}

#[test]
fn cancellation_stops_a_request_in_flight() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    let proxy = Proxy::start(&llama.url, vec![Fault::Slow(Duration::from_secs(10))]);
    let e = judge(&proxy, json!({}));
    let cancel = CancelToken::new();
    let c = cancel.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(300));
        c.cancel();
    });
    let started = Instant::now();
    let scored = e.score_blocking(ScoreRequest::items([item("4")]).cancel_token(cancel));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
    let r = &scored.results[0];
    assert_eq!(r.status, Status::Error, "{r:?}");
    assert_eq!(r.error.as_ref().unwrap().kind.as_str(), "cancelled");
}

#[test]
fn no_item_is_sent_again_after_it_succeeded() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    let faults = vec![
        Fault::Status(503, None, "x".into()),
        Fault::Reset,
        Fault::Status(429, Some(0), "y".into()),
        Fault::Truncate,
        Fault::Status(502, None, "z".into()),
    ];
    let proxy = Proxy::start(&llama.url, faults);
    let e = judge(&proxy, json!({"max_concurrency": 4}));
    let items: Vec<Item> = (0..20)
        .map(|k| item(&format!("answer number {k}")))
        .collect();
    let results = e.score(&items);
    assert!(
        results.iter().all(|r| r.status == Status::Ok),
        "{results:?}"
    );
    let seen = proxy.seen.lock().unwrap();
    assert_eq!(seen.delivered.len(), 20);
    assert!(
        seen.delivered.values().all(|&n| n == 1),
        "an item was delivered twice: {:?}",
        seen.delivered.values().collect::<Vec<_>>()
    );
    let sent = seen.bodies.len();
    drop(seen);
    // Scoring the same rollouts again sends nothing: the cache answers.
    let again = e.score(&items);
    assert!(again
        .iter()
        .all(|r| r.usage.unwrap().cache_hits == 1 && r.usage.unwrap().requests == 0));
    assert_eq!(proxy.requests(), sent);
}

/// Items queued behind `max_concurrency` others have not started: their `timeout_ms` counts
/// from when they are sent, so a long queue in front of a slow server is not a wall of
/// timeouts.
#[test]
fn waiting_for_a_turn_does_not_spend_the_item_timeout() {
    let Some(llama) = Llama::start("chat", &[]) else {
        return;
    };
    // Every request is held 150 ms: 40 items one at a time take over 6 s, past any one
    // item's 5 s (which leaves a loaded machine room for each single request).
    let proxy = Proxy::start(
        &llama.url,
        vec![Fault::Slow(Duration::from_millis(150)); 80],
    );
    let e = judge(
        &proxy,
        json!({"max_concurrency": 1, "timeout_ms": 5000, "cache": false}),
    );
    let items: Vec<Item> = (0..40).map(|k| item(&format!("answer {k}"))).collect();
    let started = Instant::now();
    let results = e.score(&items);
    let took = started.elapsed();
    assert!(
        took > Duration::from_millis(5000),
        "no queue formed: {took:?}"
    );
    assert!(
        results.iter().all(|r| r.status == Status::Ok),
        "{:?}",
        results
            .iter()
            .filter(|r| r.status != Status::Ok)
            .collect::<Vec<_>>()
    );
    // A request deadline still bounds the queue: what has not had its turn by then is
    // `timeout`, without being sent.
    let e = judge(
        &proxy,
        json!({"max_concurrency": 1, "timeout_ms": 5000, "cache": false}),
    );
    let deadline = Instant::now() + Duration::from_millis(500);
    let scored = e.score_blocking(ScoreRequest::items(items).deadline(Some(deadline)));
    let timeouts = scored
        .results
        .iter()
        .filter(|r| r.status == Status::Timeout)
        .count();
    assert!(timeouts > 20, "{timeouts} timeouts");
}

//! The remote `reward_model` against Assay's own `assay serve --model` (vLLM's pooling API on a
//! random localhost port): the same tiny reward model gives the same reward run here (`path`)
//! and asked over HTTP (`url`), through both `/pooling` (raw logits) and `/classify`
//! (probabilities).
#![cfg(feature = "models")]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use assay::inference::LoadOptions;
use assay::{Content, Item, ScoreRequest, Status};
use assay_server::model_api::{router, ServedModel};
use serde_json::{json, Value};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../assay-inference/tests/fixtures/models")
        .join(name)
}

/// Serves the tiny reward model as `m` with `assay serve --model`'s router on a random
/// localhost port; returns its base URL.
async fn serve_reward_model() -> String {
    let model = ServedModel::load(
        &fixture("qwen2-rm"),
        Some("m".into()),
        &LoadOptions::default(),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(Arc::new(model))).await });
    url
}

async fn rewards(kind_options: Value, items: &[Item]) -> Vec<assay::GradeResult> {
    let engine = assay::engine_for_kind("reward_model", kind_options).unwrap();
    engine
        .score_request(ScoreRequest::items(items.to_vec()))
        .await
        .results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reward_model_gives_the_same_reward_here_and_over_http() {
    let url = serve_reward_model().await;

    let items: Vec<Item> = ["4", "It is four, since 2 + 2 = 4.", "I am not sure."]
        .iter()
        .map(|r| Item {
            prompt: Some(Content::Text("What is 2 + 2?".into())),
            ..Item::new(*r, Value::Null)
        })
        .collect();
    let local = rewards(json!({"path": fixture("qwen2-rm")}), &items).await;
    let pooled = rewards(json!({"url": url, "api": "pooling", "model": "m"}), &items).await;
    let classified = rewards(json!({"url": url, "api": "classify", "model": "m"}), &items).await;
    for ((l, p), c) in local.iter().zip(&pooled).zip(&classified) {
        assert_eq!(
            (l.status, p.status, c.status),
            (Status::Ok, Status::Ok, Status::Ok),
            "{l:?} {p:?} {c:?}"
        );
        let logit = l.reward.unwrap();
        assert!(
            (p.reward.unwrap() - logit).abs() < 1e-4,
            "local {logit}, /pooling {:?}",
            p.reward
        );
        // One label: /classify gives the sigmoid of the logit, as vLLM does.
        let sigmoid = 1.0 / (1.0 + (-logit).exp());
        assert!(
            (c.reward.unwrap() - sigmoid).abs() < 1e-4,
            "sigmoid {sigmoid}, /classify {:?}",
            c.reward
        );
        assert_eq!(p.usage.unwrap().requests, 1);
        assert!(p.usage.unwrap().prompt_tokens > 0);
    }
}

mod common;

/// A scoring server whose graders ask a model server: `/metrics` shows what each grader spent
/// and the state of each remote server (requests in flight, its circuit breaker).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_show_model_usage_and_remote_server_state() {
    let url = serve_reward_model().await;
    // A port nothing listens on: every attempt fails, and one failure opens the breaker.
    let dead = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", l.local_addr().unwrap())
    };
    let config = json!({
        "graders": {
            "rm": {"kind": "reward_model", "url": url, "api": "pooling", "model": "m", "cache": false},
            "down": {"kind": "reward_model", "url": dead, "api": "pooling", "model": "m",
                     "max_retries": 0, "breaker_failures": 1, "breaker_cooldown_ms": 600000}
        },
        "routes": [
            {"data_source": "down", "grader": "down"},
            {"data_source": "*", "grader": "rm"}
        ]
    });
    let registry = assay::registry();
    let mut server_config = assay_server::ServerConfig::new(common::engine(&config, &registry));
    server_config.registry = Arc::new(registry);
    let server = common::TestServer::start(server_config).await;
    let items = json!({"items": [
        {"prompt": "What is 2 + 2?", "response": "4"},
        {"prompt": "What is 2 + 2?", "response": "It is four."},
        {"prompt": "What is 2 + 2?", "response": "4", "data_source": "down"}
    ]});
    let reply = server.post("/v1/score", &items).await.json();
    let results = reply["results"].as_array().unwrap();
    assert_eq!(results[0]["status"], "ok", "{reply}");
    assert_eq!(results[1]["status"], "ok", "{reply}");
    assert_eq!(results[2]["status"], "error", "{reply}");

    let metrics = server.metrics().await;
    let has = |line: &str| assert!(metrics.contains(line), "no `{line}` in\n{metrics}");
    has("assay_model_requests_total{grader=\"rm\"} 2");
    has("assay_model_cache_hits_total{grader=\"rm\"} 0");
    has(&format!("assay_remote_in_flight{{server=\"{url}\"}} 0"));
    has(&format!("assay_remote_breaker_open{{server=\"{url}\"}} 0"));
    has(&format!(
        "assay_remote_max_concurrency{{server=\"{url}\"}} 64"
    ));
    has(&format!("assay_remote_breaker_open{{server=\"{dead}\"}} 1"));
    has(&format!(
        "assay_remote_consecutive_failures{{server=\"{dead}\"}} 1"
    ));
    let prompt_tokens: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("assay_model_tokens_total{grader=\"rm\",kind=\"prompt\"} "))
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no prompt tokens for rm in\n{metrics}"));
    assert!(prompt_tokens > 0);
}

/// The `openrlhf` API of the remote `reward_model` against Assay's own `/get_reward` (OpenRLHF's
/// reward-server protocol): Assay can front an existing OpenRLHF reward server, and the reward
/// that comes back is the one that server's grader gives.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openrlhf_client_gets_what_an_openrlhf_reward_server_gives() {
    let served = json!({"graders": {"rep": {"kind": "repetition"}}});
    let registry = assay::registry();
    let mut config = assay_server::ServerConfig::new(common::engine(&served, &registry));
    config.registry = Arc::new(registry);
    let server = common::TestServer::start(config).await;
    let responses = [
        "The cat sat on the mat and looked out of the window.",
        "the the the the the the the the the the the the the the",
        "Paris is the capital of France. Paris is the capital of France. Paris is the capital.",
    ];
    let items: Vec<Item> = responses
        .iter()
        .map(|r| Item::new(*r, Value::Null))
        .collect();
    let remote = rewards(
        json!({"url": server.url(""), "api": "openrlhf", "text_template": "{{ response }}"}),
        &items,
    )
    .await;
    let local = assay::engine_for_kind("repetition", json!({}))
        .unwrap()
        .score_request(ScoreRequest::items(items.clone()))
        .await
        .results;
    for (r, l) in remote.iter().zip(&local) {
        assert_eq!(r.status, Status::Ok, "{r:?}");
        assert!(
            (r.reward.unwrap() - l.reward.unwrap()).abs() < 1e-12,
            "remote {:?}, local {:?}",
            r.reward,
            l.reward
        );
        assert_eq!(r.usage.unwrap().requests, 1);
    }
    // The rewards differ, so the test would see a mix-up of items.
    assert!(local[0].reward != local[1].reward, "{local:?}");
}

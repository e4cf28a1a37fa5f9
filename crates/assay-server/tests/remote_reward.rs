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

async fn rewards(kind_options: Value, items: &[Item]) -> Vec<assay::GradeResult> {
    let engine = assay::engine_for_kind("reward_model", kind_options).unwrap();
    engine
        .score_request(ScoreRequest::items(items.to_vec()))
        .await
        .results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reward_model_gives_the_same_reward_here_and_over_http() {
    let model = ServedModel::load(
        &fixture("qwen2-rm"),
        Some("m".into()),
        &LoadOptions::default(),
    )
    .unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, router(Arc::new(model))).await });

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

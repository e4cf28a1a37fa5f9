//! `assay serve --model`: vLLM's pooling API over real HTTP on a random localhost port, with
//! the tiny fixture models of assay-inference (whose outputs match transformers, see
//! crates/assay-inference/tests/parity.rs). Each answer is checked against the model called
//! directly, so the HTTP layer adds nothing and loses nothing.
#![cfg(feature = "models")]

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use assay::inference::{
    Embedder, Input, LoadOptions, ProcessRewardModel, RunOptions, SequenceClassifier,
};
use assay_server::model_api::{router, ServedModel};
use axum::http::{Method, StatusCode};
use common::{send, Reply};
use serde_json::{json, Value};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../assay-inference/tests/fixtures/models")
        .join(name)
}

struct Server {
    base: String,
}

impl Server {
    async fn start(name: &str) -> Server {
        let model =
            ServedModel::load(&fixture(name), Some("m".into()), &LoadOptions::default()).unwrap();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, router(Arc::new(model))).await });
        Server { base }
    }

    async fn post(&self, path: &str, body: Value) -> Reply {
        send(
            &format!("{}{path}", self.base),
            Method::POST,
            Some(body.to_string().into_bytes()),
        )
        .await
    }
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-5
}

#[tokio::test]
async fn classify_and_pooling_serve_a_reward_model() {
    let server = Server::start("qwen2-rm").await;
    let direct = SequenceClassifier::load(&fixture("qwen2-rm"), &LoadOptions::default()).unwrap();
    let texts = ["1 + 1 = 2", "The quick brown fox jumps over the lazy dog."];
    let logits = direct.score(&texts.map(Input::from)).unwrap();

    let r = server
        .post("/classify", json!({"model": "m", "input": texts}))
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let v = r.json();
    assert_eq!(v["object"], "list");
    assert_eq!(v["model"], "m");
    assert!(v["id"].as_str().unwrap().starts_with("classify-"));
    for (i, row) in logits.iter().enumerate() {
        let d = &v["data"][i];
        assert_eq!(d["index"], i);
        assert_eq!(d["num_classes"], 1);
        assert_eq!(d["label"], "LABEL_0");
        // One label: vLLM applies a sigmoid.
        let p = 1.0 / (1.0 + (-f64::from(row[0])).exp());
        assert!(close(d["probs"][0].as_f64().unwrap(), p));
    }
    let tokens: usize = texts
        .iter()
        .map(|t| {
            direct
                .tokenize(&Input::from(*t), &RunOptions::default())
                .unwrap()
                .ids
                .len()
        })
        .sum();
    assert_eq!(v["usage"]["prompt_tokens"], tokens);

    // /pooling gives the raw score; chats go through the chat template.
    let chat =
        json!([{"role": "user", "content": "Why?"}, {"role": "assistant", "content": "Because."}]);
    let expected = direct
        .score(&[Input::Chat(chat.as_array().unwrap().clone())])
        .unwrap();
    let r = server.post("/pooling", json!({"messages": chat})).await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["data"][0]["object"], "pooling");
    assert!(close(
        v["data"][0]["data"][0].as_f64().unwrap(),
        f64::from(expected[0][0])
    ));
}

#[tokio::test]
async fn errors_have_vllm_shapes() {
    let server = Server::start("qwen2-rm").await;
    let cases = [
        (
            "/classify",
            json!({"model": "other", "input": "x"}),
            StatusCode::NOT_FOUND,
            "does not exist",
        ),
        (
            "/classify",
            json!({"input": [1, 2, 3]}),
            StatusCode::BAD_REQUEST,
            "token-id inputs",
        ),
        (
            "/classify",
            json!({}),
            StatusCode::BAD_REQUEST,
            "`input` is required",
        ),
        (
            "/classify",
            json!({"input": "word ".repeat(400)}),
            StatusCode::BAD_REQUEST,
            "maximum context length is 256",
        ),
        (
            "/v1/embeddings",
            json!({"input": "x"}),
            StatusCode::BAD_REQUEST,
            "needs an embedding model",
        ),
        (
            "/score",
            json!({"text_1": "a", "text_2": "b"}),
            StatusCode::BAD_REQUEST,
            "cross-encoder",
        ),
    ];
    for (path, body, status, message) in cases {
        let r = server.post(path, body.clone()).await;
        assert_eq!(r.status, status, "{path} {body}");
        let m = r.error_message();
        assert!(m.contains(message), "{path} {body}: {m}");
        assert_eq!(r.json()["error"]["code"], status.as_u16());
    }
    let r = send(
        &format!("{}/classify", server.base),
        Method::POST,
        Some(b"{oops".to_vec()),
    )
    .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // truncate_prompt_tokens keeps the last N tokens instead.
    let r = server
        .post(
            "/classify",
            json!({"input": "word ".repeat(400), "truncate_prompt_tokens": 32}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["usage"]["prompt_tokens"], 32);
}

#[tokio::test]
async fn embeddings_score_and_rerank_serve_an_embedding_model() {
    let server = Server::start("bert-embed").await;
    let direct = Embedder::load(&fixture("bert-embed"), &LoadOptions::default()).unwrap();
    let texts = ["The quick brown fox", "1 + 1 = 2", "Why is the sky blue?"];
    let expected = direct.embed(&texts).unwrap();

    let r = server
        .post("/v1/embeddings", json!({"model": "m", "input": texts}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    for (i, e) in expected.iter().enumerate() {
        assert_eq!(v["data"][i]["object"], "embedding");
        let got: Vec<f64> = v["data"][i]["embedding"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert!(got.iter().zip(e).all(|(a, b)| close(*a, f64::from(*b))));
    }
    let r = server
        .post(
            "/v1/embeddings",
            json!({"input": texts[0], "encoding_format": "base64"}),
        )
        .await;
    let b64 = r.json()["data"][0]["embedding"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(b64.len(), (expected[0].len() * 4).div_ceil(3) * 4);

    let cosine =
        |a: &[f32], b: &[f32]| -> f64 { a.iter().zip(b).map(|(x, y)| f64::from(x * y)).sum() };
    let r = server
        .post(
            "/score",
            json!({"text_1": texts[0], "text_2": [texts[1], texts[2]]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["data"][1]["object"], "score");
    assert!(close(
        v["data"][0]["score"].as_f64().unwrap(),
        cosine(&expected[0], &expected[1])
    ));
    assert!(close(
        v["data"][1]["score"].as_f64().unwrap(),
        cosine(&expected[0], &expected[2])
    ));

    let r = server
        .post(
            "/rerank",
            json!({"query": texts[0], "documents": [texts[1], texts[2], texts[0]], "top_n": 2}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    // The query itself ranks first, with cosine 1.
    assert_eq!(results[0]["index"], 2);
    assert_eq!(results[0]["document"]["text"], texts[0]);
    assert!(close(results[0]["relevance_score"].as_f64().unwrap(), 1.0));
    assert!(results[0]["relevance_score"].as_f64() >= results[1]["relevance_score"].as_f64());

    let r = send(&format!("{}/v1/models", server.base), Method::GET, None).await;
    assert_eq!(r.json()["data"][0]["id"], "m");
}

#[tokio::test]
async fn cross_encoder_scores_pairs_and_prm_pools_steps() {
    let server = Server::start("bert-cross").await;
    let direct = SequenceClassifier::load(&fixture("bert-cross"), &LoadOptions::default()).unwrap();
    let (q, d) = (
        "what is the capital of france?",
        "The capital of France is Paris.",
    );
    let logit = direct.score(&[Input::Pair(q.into(), d.into())]).unwrap()[0][0];
    let r = server
        .post("/rerank", json!({"query": q, "documents": [d]}))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let p = 1.0 / (1.0 + (-f64::from(logit)).exp());
    assert!(close(
        r.json()["results"][0]["relevance_score"].as_f64().unwrap(),
        p
    ));
    let r = server
        .post("/score", json!({"queries": [q], "documents": [d]}))
        .await;
    assert!(close(r.json()["data"][0]["score"].as_f64().unwrap(), p));

    let server = Server::start("qwen2-prm").await;
    let prm = ProcessRewardModel::load(&fixture("qwen2-prm"), "<extra_0>", &LoadOptions::default())
        .unwrap();
    let chat = json!([{"role": "user", "content": "What is 1 + 1?"},
                      {"role": "assistant", "content": "1 + 1 = 2.<extra_0>The answer is 2.<extra_0>"}]);
    let steps = prm
        .score_each(
            &[Input::Chat(chat.as_array().unwrap().clone())],
            &RunOptions::default(),
        )
        .remove(0)
        .unwrap();
    let r = server.post("/pooling", json!({"messages": chat})).await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let data = r.json()["data"][0]["data"].clone();
    let rewards = steps.step_rewards();
    assert_eq!(data.as_array().unwrap().len(), 2);
    for (k, reward) in rewards.iter().enumerate() {
        assert!(close(data[k][1].as_f64().unwrap(), f64::from(*reward)));
    }
}

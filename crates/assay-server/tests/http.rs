//! The server over real HTTP on 127.0.0.1: every endpoint, every whole-request error, bad
//! items, overload and recovery, OpenRLHF's /get_reward, metrics, graceful shutdown.

mod common;

use std::time::Duration;

use assay_server::{ServerConfig, ServerError};
use common::{engine, registry, send, server_config, TestServer};
use hyper::{Method, StatusCode};
use serde_json::{json, Value};

#[tokio::test]
async fn health_readiness_graders_and_metrics_endpoints() {
    let server = TestServer::start(server_config()).await;
    let r = server.get("/healthz").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ok");

    let r = server.get("/readyz").await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["status"], "ready");

    let r = server.get("/v1/graders").await;
    assert_eq!(r.status, StatusCode::OK);
    let doc = r.json();
    let names: Vec<&str> = doc["graders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| g["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["exact", "contains", "total", "slow"]);
    let total = &doc["graders"][2];
    assert_eq!(total["components"], json!(["exact", "contains"]));
    assert_eq!(doc["default_route"], "total");
    assert_eq!(doc["get_reward"]["grader"], "total");
    let string_check = doc["kinds"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "string_check")
        .expect("string_check is documented");
    assert!(string_check["options"]
        .as_array()
        .unwrap()
        .iter()
        .any(|o| o["name"] == "operation" && !o["description"].as_str().unwrap().is_empty()));

    let r = server.get("/metrics").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = String::from_utf8(r.body).unwrap();
    assert!(text.contains("# TYPE assay_http_requests_total counter"));
    assert!(text.contains(
        "assay_http_requests_total{endpoint=\"/healthz\",grader=\"none\",code=\"200\"} 1"
    ));
    assert!(text.contains("assay_in_flight 0"));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_a_clients_own_is_kept() {
    let server = TestServer::start(server_config()).await;
    let id = |reply: &common::Reply| {
        reply
            .headers
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
            .expect("x-request-id")
    };
    let (a, b) = (
        id(&server.get("/healthz").await),
        id(&server.get("/healthz").await),
    );
    assert_ne!(a, b);
    for made in [&a, &b] {
        // A UUID: 32 hex digits in five groups.
        assert_eq!(made.len(), 36, "{made}");
        assert_eq!(made.matches('-').count(), 4, "{made}");
    }
    let client = hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
        .build_http::<http_body_util::Full<hyper::body::Bytes>>();
    let request = hyper::Request::builder()
        .uri(server.url("/healthz"))
        .header("x-request-id", "trainer-step-7")
        .body(http_body_util::Full::default())
        .unwrap();
    let response = client.request(request).await.unwrap();
    assert_eq!(response.headers()["x-request-id"], "trainer-step-7");
}

#[tokio::test]
async fn past_max_connections_new_connections_wait_until_one_closes() {
    let mut config = server_config();
    config.limits.max_connections = 2;
    let server = TestServer::start(config).await;
    let addr = server.addr;
    let first = tokio::net::TcpStream::connect(&addr).await.unwrap();
    let _second = tokio::net::TcpStream::connect(&addr).await.unwrap();
    // Both are accepted and hold the two places; a third connection waits in the listen
    // queue and its request is not served.
    let url = server.url("/healthz");
    let waiting = tokio::spawn(async move { send(&url, Method::GET, None).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!waiting.is_finished(), "served past max_connections");
    // One closes: the waiting connection is accepted and served.
    drop(first);
    let reply = tokio::time::timeout(Duration::from_secs(5), waiting)
        .await
        .expect("served once a place was free")
        .unwrap();
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        server.get("/v1/graders").await.json()["limits"]["max_connections"],
        2
    );
}

#[tokio::test]
async fn scores_by_name_by_route_and_inline() {
    let server = TestServer::start(server_config()).await;

    // By name.
    let r = server
        .post(
            "/v1/score",
            &json!({"grader": "exact", "items": [
                {"id": "a", "response": " Paris ", "reference": "paris"},
                {"id": 7, "response": "Lyon", "reference": "paris"},
                {"response": "x", "reference": ["y", "X"]}
            ]}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let results = r.json()["results"].clone();
    assert_eq!(results.as_array().unwrap().len(), 3);
    assert_eq!(results[0]["id"], "a");
    assert_eq!(results[0]["reward"], 1.0);
    assert_eq!(results[0]["status"], "ok");
    assert_eq!(results[1]["id"], 7);
    assert_eq!(results[1]["reward"], 0.0);
    assert_eq!(results[2]["reward"], 1.0);

    // By route: the default route goes to `total`, `slow*` to `slow`.
    let r = server
        .post(
            "/v1/score",
            &json!({"items": [
                {"response": "the answer is paris", "reference": "paris"},
                {"data_source": "slow_ds", "response": "r", "metadata": {"sleep_ms": 1}}
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let results = r.json()["results"].clone();
    assert_eq!(results[0]["reward"], 0.5);
    assert_eq!(
        results[0]["components"],
        json!({"contains": 1.0, "exact": 0.0})
    );
    assert_eq!(results[1]["reward"], 1.0);
    assert_eq!(results[1]["grader"], "slow");
    // Routed results carry the routed graders' keys, null where not reported.
    assert_eq!(
        results[1]["components"],
        json!({"contains": null, "exact": null})
    );

    // Inline: one grader, then a whole configuration; the second identical request hits the
    // cache even with its keys in another order.
    let inline = json!({"kind": "string_check", "operation": "icontains"});
    let body = json!({"grader": inline, "items": [{"response": "PARIS!", "reference": "paris"}]});
    for _ in 0..2 {
        let r = server.post("/v1/score", &body).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.json()["results"][0]["reward"], 1.0);
    }
    let reordered = json!({"items": [{"response": "x", "reference": "y"}],
                           "grader": {"operation": "icontains", "kind": "string_check"}});
    assert_eq!(
        server.post("/v1/score", &reordered).await.json()["results"][0]["reward"],
        0.0
    );
    let whole = json!({"grader": {
        "graders": {"a": {"kind": "string_check"}, "b": {"kind": "string_check", "operation": "ne"}},
        "routes": [{"data_source": "neg", "grader": "b"}, {"data_source": "*", "grader": "a"}]
    }, "items": [
        {"response": "x", "reference": "x"},
        {"data_source": "neg", "response": "x", "reference": "x"}
    ]});
    let r = server.post("/v1/score", &whole).await;
    assert_eq!(r.status, StatusCode::OK);
    let results = r.json()["results"].clone();
    assert_eq!(
        (results[0]["reward"].clone(), results[1]["reward"].clone()),
        (json!(1.0), json!(0.0))
    );

    let metrics = server.metrics().await;
    assert!(
        metrics.contains("assay_inline_cache_total{result=\"hit\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("assay_inline_cache_total{result=\"miss\"} 2"),
        "{metrics}"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn one_bad_item_fails_alone() {
    let server = TestServer::start(server_config()).await;
    let r = server
        .post(
            "/v1/score",
            &json!({"grader": "exact", "items": [
                {"id": 1, "response": "a", "reference": "a"},
                {"id": 2, "response": 42, "reference": "a"},
                "not an item",
                {"id": 4, "reference": "a"},
                {"id": 5, "response": "a", "reference": ""},
                {"id": 6, "response": "b", "reference": "b"}
            ]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let results = r.json()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 6);
    let statuses: Vec<&str> = results
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["ok", "error", "error", "error", "error", "ok"]);
    for bad in [&results[1], &results[2], &results[3]] {
        assert_eq!(bad["error"]["kind"], "malformed_input", "{bad}");
        assert_eq!(
            bad["reward"],
            Value::Null,
            "a failure is never a silent zero"
        );
    }
    assert_eq!(results[1]["id"], 2);
    assert!(results[1]["error"]["message"]
        .as_str()
        .unwrap()
        .starts_with("items[1] is not a valid item"));
    assert_eq!(results[3]["id"], 4);
    assert_eq!(results[4]["error"]["kind"], "bad_reference");
    assert_eq!(results[5]["reward"], 1.0);

    // on_error gives failures a fallback reward, still visibly failed.
    let r = server
        .post(
            "/v1/score",
            &json!({"grader": "exact", "on_error": -1, "items": [{"response": 1}]}),
        )
        .await;
    let result = r.json()["results"][0].clone();
    assert_eq!(
        (result["status"].clone(), result["reward"].clone()),
        (json!("error"), json!(-1.0))
    );

    // Metrics count items by grader and status.
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("assay_items_total{grader=\"exact\",status=\"ok\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("assay_items_total{grader=\"exact\",status=\"error\"} 5"),
        "{metrics}"
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn whole_request_errors_are_4xx_with_a_message() {
    let mut config = server_config();
    config.limits.max_body_bytes = 4096;
    config.limits.max_items = 5;
    let server = TestServer::start(config).await;
    let item = json!({"response": "a", "reference": "a"});
    let cases: Vec<(Vec<u8>, &str, StatusCode, &str)> = vec![
        (
            b"{\"items\": [".to_vec(),
            "/v1/score",
            StatusCode::BAD_REQUEST,
            "not valid JSON",
        ),
        (
            b"".to_vec(),
            "/v1/score",
            StatusCode::BAD_REQUEST,
            "body is empty",
        ),
        (
            json!([1]).to_string().into_bytes(),
            "/v1/score",
            StatusCode::BAD_REQUEST,
            "must be a JSON object",
        ),
        (
            json!({"items": {"response": "a"}}).to_string().into_bytes(),
            "/v1/score",
            StatusCode::BAD_REQUEST,
            "`items` must be a list",
        ),
        (
            json!({"grader": 3, "items": []}).to_string().into_bytes(),
            "/v1/score",
            StatusCode::BAD_REQUEST,
            "`grader` must be the name",
        ),
        (
            json!({"grader": "nope", "items": [item]})
                .to_string()
                .into_bytes(),
            "/v1/score",
            StatusCode::BAD_REQUEST,
            "no grader named `nope`; configured: exact, contains, total, slow",
        ),
        (
            json!({"grader": {"kind": "string_check", "operation": "fuzzy"}, "items": [item]})
                .to_string()
                .into_bytes(),
            "/v1/score",
            StatusCode::BAD_REQUEST,
            "unknown variant `fuzzy`",
        ),
        (
            json!({"grader": {"kind": "no_such_kind"}, "items": [item]})
                .to_string()
                .into_bytes(),
            "/v1/score",
            StatusCode::BAD_REQUEST,
            "unknown kind `no_such_kind`",
        ),
        (
            json!({"grader": {"kind": "string_check", "timeout_ms": 3_600_000}, "items": []})
                .to_string()
                .into_bytes(),
            "/v1/score",
            StatusCode::BAD_REQUEST,
            "graders.string_check.timeout_ms = 3600000 is above this server's limit",
        ),
        (
            json!({"items": [item], "extra": 1})
                .to_string()
                .into_bytes(),
            "/v1/score",
            StatusCode::BAD_REQUEST,
            "unknown key `extra`",
        ),
        (
            json!({"items": vec![item.clone(); 6]})
                .to_string()
                .into_bytes(),
            "/v1/score",
            StatusCode::PAYLOAD_TOO_LARGE,
            "over the limit of 5",
        ),
        (
            json!({"items": [{"response": "x".repeat(5000)}]})
                .to_string()
                .into_bytes(),
            "/v1/score",
            StatusCode::PAYLOAD_TOO_LARGE,
            "over the limit of 4096 bytes",
        ),
        (
            json!({"query": "a"}).to_string().into_bytes(),
            "/get_reward",
            StatusCode::BAD_REQUEST,
            "`query` must be a list",
        ),
        (
            json!({"query": ["a", "b"], "labels": ["x"]})
                .to_string()
                .into_bytes(),
            "/get_reward",
            StatusCode::BAD_REQUEST,
            "`labels` has 1 entries but `query` has 2",
        ),
        (
            b"nope".to_vec(),
            "/get_reward",
            StatusCode::BAD_REQUEST,
            "not valid JSON",
        ),
        (
            json!({"query": vec!["a"; 6]}).to_string().into_bytes(),
            "/get_reward",
            StatusCode::PAYLOAD_TOO_LARGE,
            "over the limit of 5",
        ),
    ];
    for (body, path, status, message) in cases {
        let shown = String::from_utf8_lossy(&body)
            .chars()
            .take(80)
            .collect::<String>();
        let r = server.post_raw(path, body).await;
        assert_eq!(r.status, status, "{path} {shown}");
        let got = r.error_message();
        assert!(got.contains(message), "{path} {shown}: {got}");
    }
    // An inline configuration's problems are listed one by one.
    let r = server
        .post(
            "/v1/score",
            &json!({"grader": {"graders": {"b": {}}, "routes": 3}, "items": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let problems = r.json()["error"]["problems"].as_array().unwrap().clone();
    assert!(problems.len() >= 2, "{problems:?}");

    let r = server.get("/v2/score").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.error_message().contains("POST /v1/score"));
    let r = server.get("/v1/score").await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.error_message().contains("use POST"));

    let metrics = server.metrics().await;
    assert!(
        metrics.contains("assay_rejected_total{reason=\"invalid_json\"} 3"),
        "{metrics}"
    );
    assert!(
        metrics.contains("assay_rejected_total{reason=\"batch_too_large\"} 2"),
        "{metrics}"
    );
    assert!(metrics.contains(
        "assay_http_requests_total{endpoint=\"/v1/score\",grader=\"unknown\",code=\"400\"} 1"
    ));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn inline_graders_can_be_turned_off() {
    let mut config = server_config();
    config.allow_inline = false;
    let server = TestServer::start(config).await;
    let r = server
        .post(
            "/v1/score",
            &json!({"grader": {"kind": "string_check"}, "items": []}),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.error_message().contains("does not take inline"));
    server.stop().await.unwrap();
}

fn slow_request(ms: u64) -> Value {
    json!({"grader": "slow", "items": [{"response": "r", "metadata": {"sleep_ms": ms}}]})
}

/// Polls the metrics (bounded: about 10 s) until `line` shows.
async fn wait_for_metric(server: &TestServer, line: &str) {
    for _ in 0..500 {
        if server.metrics().await.lines().any(|l| l == line) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the metrics never showed {line:?}");
}

#[tokio::test]
async fn overload_sheds_with_retry_after_then_recovers() {
    let mut config = server_config();
    config.limits.max_concurrent = 1;
    config.limits.max_queue = 1;
    config.limits.queue_timeout = Duration::from_millis(1000);
    let server = TestServer::start(config).await;
    let url = server.url("/v1/score");
    let post = |ms: u64| {
        let url = url.clone();
        tokio::spawn(async move {
            send(
                &url,
                Method::POST,
                Some(slow_request(ms).to_string().into_bytes()),
            )
            .await
        })
    };
    // One runs (2.5 s), one waits for the slot and times out after 1 s (503); the rest find
    // the server full (429).
    let running = post(2500);
    wait_for_metric(&server, "assay_in_flight 1").await;
    let queued = post(10);
    wait_for_metric(&server, "assay_queue_depth 1").await;
    let shed: Vec<_> = (0..4).map(|_| post(10)).collect();
    for r in shed {
        let r = r.await.unwrap();
        assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(r.retry_after(), Some(1));
        assert!(r.error_message().contains("at capacity"));
        // Refused before its body was read: the connection is not reused.
        assert_eq!(
            r.headers.get("connection").and_then(|v| v.to_str().ok()),
            Some("close")
        );
    }
    let ready = server.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(ready.json()["status"], "overloaded");
    assert_eq!(ready.retry_after(), Some(1));
    let queued = queued.await.unwrap();
    assert_eq!(queued.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(queued.retry_after(), Some(1));
    assert!(queued.error_message().contains("no scoring slot"));
    let running = running.await.unwrap();
    assert_eq!(running.status, StatusCode::OK);
    // Recovered: the next request is served, and the server is ready again.
    let r = server.post("/v1/score", &slow_request(1)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(server.get("/readyz").await.status, StatusCode::OK);
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("assay_rejected_total{reason=\"queue_full\"} 4"),
        "{metrics}"
    );
    assert!(
        metrics.contains("assay_rejected_total{reason=\"queue_timeout\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains("assay_queue_depth 0"), "{metrics}");
    assert!(metrics.contains("assay_in_flight 0"), "{metrics}");
    server.stop().await.unwrap();
}

#[tokio::test]
async fn get_reward_strips_the_prompt_and_template_tokens() {
    let server = TestServer::start(server_config()).await;
    let prompt = "<|im_start|>user\nCapital of France?<|im_end|>\n<|im_start|>assistant\n";
    let r = server
        .post(
            "/get_reward",
            &json!({
                "query": [
                    format!("{prompt}Paris<|im_end|>\n<|endoftext|><|endoftext|>"),
                    format!("{prompt}I think it is Paris.<|im_end|>"),
                    format!("{prompt}Lyon</s>"),
                    format!("{prompt}anything"),
                    7
                ],
                "prompts": [prompt, prompt, prompt, prompt, prompt],
                "labels": ["Paris", "Paris", "Paris", "", "Paris"]
            }),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let v = r.json();
    // The default route is `total` = 0.5 exact (trim, case) + 0.5 contains.
    assert_eq!(v["rewards"], json!([1.0, 0.5, 0.0, 0.0, 0.0]));
    assert_eq!(v["scores"], v["rewards"]);
    assert_eq!(v["extra_logs"]["assay_failed"], json!([0, 0, 0, 1, 1]));
    assert_eq!(
        v["extra_logs"]["assay_prompt_not_found"],
        json!([0, 0, 0, 0, 0])
    );
    let failures = v["failures"].as_array().unwrap();
    assert_eq!(failures.len(), 2);
    assert_eq!(failures[0]["index"], 3);
    assert_eq!(failures[0]["kind"], "bad_reference");
    assert_eq!(failures[1]["index"], 4);
    assert_eq!(failures[1]["kind"], "malformed_input");
    assert!(failures[1]["message"]
        .as_str()
        .unwrap()
        .contains("query[4] must be a string"));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn get_reward_uses_its_configured_grader_and_failure_reward() {
    let mut config = server_config();
    config.get_reward.grader = Some("contains".into());
    config.get_reward.failure_reward = Some(-1.0);
    config.get_reward.strip_tokens = vec!["<END>".into()];
    let server = TestServer::start(config).await;
    let r = server
        .post(
            "/get_reward",
            &json!({"query": ["Q: so paris<END>", "Q: x"], "prompts": ["Q:", "Q:"],
                    "labels": ["paris", ""]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["rewards"], json!([1.0, -1.0]));
    assert_eq!(v["extra_logs"]["assay_failed"], json!([0, 1]));
    assert_eq!(v["failures"][0]["reward"], -1.0);
    let metrics = server.metrics().await;
    assert!(
        metrics.contains("assay_items_total{grader=\"contains\",status=\"ok\"} 1"),
        "{metrics}"
    );
    assert!(metrics.contains(
        "assay_http_requests_total{endpoint=\"/get_reward\",grader=\"contains\",code=\"200\"} 1"
    ));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn get_reward_without_a_grader_refuses_to_start_and_says_how_to_add_one() {
    let registry = registry();
    let config = json!({
        "graders": {"a": {"kind": "string_check"}, "b": {"kind": "string_check"}},
        "routes": [{"data_source": "x", "grader": "a"}, {"data_source": "y", "grader": "b"}]
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = assay_server::serve(
        listener,
        ServerConfig::new(engine(&config, &registry)),
        async {},
    )
    .await
    .unwrap_err();
    let message = err.to_string();
    for fix in [
        "data_source = \"*\"",
        "--get-reward-grader NAME",
        "graders: a, b",
        "--no-get-reward",
    ] {
        assert!(message.contains(fix), "{fix} missing from: {message}");
    }

    // Turned off, the server starts and /get_reward says why it is not there.
    let mut off = ServerConfig::new(engine(&config, &registry));
    off.get_reward.enabled = false;
    let server = TestServer::start(off).await;
    let r = server.post("/get_reward", &json!({"query": ["a"]})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.error_message().contains("--no-get-reward"));
    let r = server
        .post(
            "/v1/score",
            &json!({"grader": "a", "items": [{"response": "a", "reference": "a"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn get_reward_flags_a_prompt_not_found_with_the_shared_log_keys() {
    let server = TestServer::start(server_config()).await;
    let r = server
        .post(
            "/get_reward",
            &json!({"query": ["Q: Paris", "other Paris"], "prompts": ["Q:", "Q:"],
                    "labels": ["Paris", "Paris"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    let keys: Vec<&str> = v["extra_logs"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, assay::openrlhf::EXTRA_LOG_KEYS);
    assert_eq!(v["extra_logs"]["assay_prompt_not_found"], json!([0, 1]));
    server.stop().await.unwrap();
}

#[tokio::test]
async fn configuration_problems_are_all_listed_at_start() {
    let mut config = server_config();
    config.limits.max_items = 0;
    config.limits.max_concurrent = 0;
    config.get_reward.grader = Some("missing".into());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let err = assay_server::serve(listener, config, async {})
        .await
        .unwrap_err();
    let ServerError::Config(problems) = &err else {
        panic!("{err}");
    };
    assert_eq!(problems.len(), 3, "{err}");
    assert!(
        err.to_string().contains("no grader named `missing`"),
        "{err}"
    );
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_requests() {
    let mut server = TestServer::start(server_config()).await;
    let url = server.url("/v1/score");
    let in_flight = tokio::spawn(async move {
        send(
            &url,
            Method::POST,
            Some(slow_request(700).to_string().into_bytes()),
        )
        .await
    });
    // Wait (bounded) until the request is being scored.
    let mut started = false;
    for _ in 0..100 {
        if server.metrics().await.contains("assay_in_flight 1") {
            started = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(started, "the slow request never started");
    server.shutdown();
    let addr = server.addr;
    // It stops accepting while the request is still being scored.
    let mut refused = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err() {
            refused = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(refused, "new connections are still accepted while draining");
    assert!(
        !in_flight.is_finished(),
        "the in-flight request ended too early"
    );
    let reply = in_flight.await.unwrap();
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["results"][0]["reward"], 1.0);
    let stopped = tokio::time::timeout(Duration::from_secs(10), &mut server.handle)
        .await
        .expect("the server stops once the request is done")
        .unwrap();
    assert!(stopped.is_ok(), "{stopped:?}");
    // Nothing listens any more.
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn concurrent_clients_each_get_their_own_results() {
    let server = TestServer::start(server_config()).await;
    let url = server.url("/v1/score");
    let tasks: Vec<_> = (0..16)
        .map(|i| {
            let url = url.clone();
            tokio::spawn(async move {
                let items: Vec<Value> = (0..20)
                    .map(|j| json!({"id": j, "response": format!("r{i}-{j}"), "reference": format!("r{i}-{}", j % 2 * j)}))
                    .collect();
                let body = json!({"grader": "exact", "items": items}).to_string();
                send(&url, Method::POST, Some(body.into_bytes())).await
            })
        })
        .collect();
    for t in tasks {
        let r = t.await.unwrap();
        assert_eq!(r.status, StatusCode::OK);
        let results = r.json()["results"].as_array().unwrap().clone();
        for (j, result) in results.iter().enumerate() {
            assert_eq!(result["id"], j);
            let expected = if j == 0 || j % 2 == 1 { 1.0 } else { 0.0 };
            assert_eq!(result["reward"], expected, "{result}");
        }
    }
    server.stop().await.unwrap();
}

#[tokio::test]
async fn large_batches_come_back_whole_and_in_order() {
    let server = TestServer::start(server_config()).await;
    let n = 4000;
    let items: Vec<Value> = (0..n)
        .map(|i| json!({"id": i, "response": format!("answer {i} {}", "pad ".repeat(20)), "reference": format!("answer {i}")}))
        .collect();
    let body = json!({"grader": "contains", "items": items});
    assert!(
        body.to_string().len() > 256 << 10,
        "large enough to be parsed off the runtime"
    );
    let r = server.post("/v1/score", &body).await;
    assert_eq!(r.status, StatusCode::OK);
    let results = r.json()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), n);
    for (i, result) in results.iter().enumerate() {
        assert_eq!(result["id"], i);
        assert_eq!(result["reward"], 1.0);
    }
    let queries: Vec<String> = (0..n).map(|i| format!("Q{i}: answer {i}</s>")).collect();
    let prompts: Vec<String> = (0..n).map(|i| format!("Q{i}:")).collect();
    let labels: Vec<String> = (0..n).map(|i| format!("answer {i}")).collect();
    let r = server
        .post(
            "/get_reward",
            &json!({"query": queries, "prompts": prompts, "labels": labels}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let v = r.json();
    assert_eq!(v["rewards"].as_array().unwrap().len(), n);
    assert!(
        v["rewards"].as_array().unwrap().iter().all(|r| r == 1.0),
        "{}",
        v["failures"]
    );
    server.stop().await.unwrap();
}

#[tokio::test]
async fn a_body_that_never_arrives_gets_408_and_frees_its_place() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut config = server_config();
    config.limits.body_timeout = Duration::from_millis(200);
    config.limits.max_concurrent = 1;
    config.limits.max_queue = 0;
    let server = TestServer::start(config).await;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stream
        .write_all(
            b"POST /v1/score HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
              content-length: 100\r\n\r\n{\"items\"",
        )
        .await
        .unwrap();
    let mut reply = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(10), async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    reply.extend_from_slice(&buf[..n]);
                    if reply.windows(4).any(|w| w == b"\r\n\r\n") && reply.ends_with(b"}}") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no reply within 10 s");
    let text = String::from_utf8_lossy(&reply);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("did not arrive"), "{text}");
    // Its admission was released: the only place is free again.
    let r = server.post("/v1/score", &slow_request(1)).await;
    assert_eq!(r.status, StatusCode::OK);
    server.stop().await.unwrap();
}

/// A body trickling in a byte every 50 ms never waits 200 ms between frames, yet takes far
/// longer than the 200 ms body timeout in all: it still gets 408 in time (slow-loris bodies).
#[tokio::test]
async fn a_body_that_trickles_in_gets_408_within_the_body_timeout() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut config = server_config();
    config.limits.body_timeout = Duration::from_millis(200);
    let server = TestServer::start(config).await;
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut read_half, mut write_half) = stream.into_split();
    write_half
        .write_all(
            b"POST /v1/score HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n\
              content-length: 1000\r\n\r\n",
        )
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let trickle = tokio::spawn(async move {
        for _ in 0..1000 {
            if write_half.write_all(b" ").await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let mut buf = [0u8; 4096];
    let n = tokio::time::timeout(Duration::from_secs(10), read_half.read(&mut buf))
        .await
        .expect("a reply within 10 s")
        .unwrap();
    let text = String::from_utf8_lossy(&buf[..n]);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    trickle.abort();
    server.stop().await.unwrap();
}

/// A client that never finishes its request's head, sending it a byte every 50 ms (it is
/// never silent for long, yet takes far longer than the 300 ms body timeout), is disconnected
/// (slow-loris headers) rather than holding a connection for ever.
#[tokio::test]
async fn a_head_that_trickles_in_is_disconnected() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut config = server_config();
    config.limits.body_timeout = Duration::from_millis(300);
    let server = TestServer::start(config).await;
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut read_half, mut write_half) = stream.into_split();
    let trickle = tokio::spawn(async move {
        let head = b"POST /v1/score HTTP/1.1\r\nhost: x\r\nx-padding: "
            .iter()
            .copied();
        for byte in head.chain(std::iter::repeat_n(b'a', 10_000)) {
            if write_half.write_all(&[byte]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    });
    let started = std::time::Instant::now();
    let mut buf = [0u8; 1024];
    let read = tokio::time::timeout(Duration::from_secs(10), read_half.read(&mut buf))
        .await
        .expect("the server ends the connection within 10 s");
    assert!(
        matches!(read, Ok(0) | Err(_)),
        "{read:?}: {}",
        String::from_utf8_lossy(&buf)
    );
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    trickle.abort();
    // The server still serves.
    let r = server.post("/v1/score", &slow_request(1)).await;
    assert_eq!(r.status, StatusCode::OK);
    server.stop().await.unwrap();
}

#[tokio::test]
async fn advantages_and_group_summaries_over_http() {
    let server = TestServer::start(server_config()).await;
    let item = |group: &str, response: &str| json!({"group": group, "response": response, "reference": "paris"});
    let r = server
        .post(
            "/v1/score",
            &json!({"grader": "exact", "advantage": "drgrpo", "items": [
                item("q1", "paris"), item("q1", "lyon"),
                item("q2", "paris"), item("q2", "paris"),
                {"response": "paris", "reference": "paris"}
            ]}),
        )
        .await;
    assert_eq!(
        r.status,
        StatusCode::OK,
        "{}",
        String::from_utf8_lossy(&r.body)
    );
    let body = r.json();
    let advantages: Vec<Value> = body["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["advantage"].clone())
        .collect();
    assert_eq!(
        advantages,
        [json!(0.5), json!(-0.5), json!(0.0), json!(0.0), json!(0.0)]
    );
    assert_eq!(body["results"][2]["zero_spread"], true);
    assert_eq!(body["results"][0]["zero_spread"], false);
    assert!(body["results"][4].get("zero_spread").is_none());
    assert_eq!(body["results"][0]["grader"], "exact");
    assert_eq!(body["groups"][0]["group"], "q1");
    assert_eq!(body["groups"][1]["zero_spread"], true);
    assert_eq!(body["groups"][1]["size"], 2);

    let bad = server
        .post("/v1/score", &json!({"advantage": "ppo", "items": []}))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(
        bad.error_message()
            .contains("unknown advantage mode \"ppo\""),
        "{}",
        bad.error_message()
    );
}

#[tokio::test]
async fn a_request_deadline_returns_every_unfinished_item_as_timeout() {
    let server = TestServer::start(server_config()).await;
    // `slow` sleeps without looking at its budget: the engine stops waiting for it at the
    // deadline plus its documented slack.
    let items: Vec<Value> = (0..8)
        .map(|i| json!({"id": i, "data_source": "slow", "response": "x", "metadata": {"sleep_ms": 4000}}))
        .collect();
    let started = std::time::Instant::now();
    let r = server
        .post("/v1/score", &json!({"deadline_ms": 300, "items": items}))
        .await;
    let took = started.elapsed();
    assert_eq!(r.status, StatusCode::OK);
    assert!(took < Duration::from_millis(1500), "took {took:?}");
    let results = r.json()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), 8);
    for result in &results {
        assert_eq!(result["status"], "timeout", "{result}");
        assert_eq!(result["error"]["kind"], "timeout");
        assert_eq!(result["grader"], "slow");
    }

    let bad = server
        .post("/v1/score", &json!({"deadline_ms": -5, "items": []}))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad
        .error_message()
        .contains("`deadline_ms` must be a whole number"));
}

/// Processes of sandboxed tasks (the sandbox's task uid on the host) descending from this test
/// process: the running programs of this test's requests.
fn our_sandboxed_programs() -> Vec<i32> {
    const TASK_HOST_UID: &str = "2000000001";
    let me = std::process::id() as i32;
    let status = |pid: i32| std::fs::read_to_string(format!("/proc/{pid}/status")).ok();
    let field = |text: &str, key: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(key))
            .map(|v| v.trim().to_string())
    };
    let descends = |mut pid: i32| {
        for _ in 0..64 {
            if pid == me {
                return true;
            }
            match status(pid)
                .and_then(|s| field(&s, "PPid:"))
                .and_then(|p| p.parse().ok())
            {
                Some(parent) if parent > 0 => pid = parent,
                _ => return false,
            }
        }
        false
    };
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<i32>().ok())
        .filter(|&pid| {
            status(pid)
                .and_then(|s| field(&s, "Uid:"))
                .is_some_and(|uids| uids.split_whitespace().next() == Some(TASK_HOST_UID))
        })
        .filter(|&pid| descends(pid))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_disconnects_stops_its_sandboxed_programs() {
    use tokio::io::AsyncWriteExt;
    let server = TestServer::start(server_config()).await;
    let items: Vec<Value> = (0..4)
        .map(|i| {
            json!({"id": i, "response": "```python\nwhile True:\n    pass\n```",
                   "reference": {"tests": [{"stdin": "", "stdout": "x"}], "time_limit_s": 60}})
        })
        .collect();
    let body = json!({"grader": {"kind": "code", "timeout_ms": 60000}, "items": items}).to_string();
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST /v1/score HTTP/1.1\r\nhost: test\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body.as_bytes()).await.unwrap();
    // Wait until the programs run (sandbox start included), then hang up.
    let until = std::time::Instant::now() + Duration::from_secs(20);
    while our_sandboxed_programs().is_empty() {
        assert!(
            std::time::Instant::now() < until,
            "the programs never started"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    drop(stream);
    let hung_up = std::time::Instant::now();
    tokio::time::sleep(Duration::from_secs(2)).await;
    let left = our_sandboxed_programs();
    assert!(
        left.is_empty(),
        "still running {:?} after the client left",
        left
    );
    assert!(hung_up.elapsed() < Duration::from_secs(3));
    server.stop().await.unwrap();
}

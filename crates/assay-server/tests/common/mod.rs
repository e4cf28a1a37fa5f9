//! Shared helpers: an in-process server on 127.0.0.1:0 and a real HTTP/1.1 client (hyper).

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use assay::{
    Budget, BuildContext, Config, Engine, Grader, GraderKind, Item, Outcome, Registry, SharedGrader,
};
use assay_server::{serve, ServerConfig, ServerError};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{HeaderMap, Method, Request, StatusCode};
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Options of `sleep`.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct SleepOptions {}

/// Sleeps `metadata.sleep_ms` (at most 5 s), then rewards 1: a slow grader for load tests.
pub struct Sleep;

impl Grader for Sleep {
    fn components(&self) -> Vec<String> {
        Vec::new()
    }
    fn grade(&self, item: &Item, _: &Budget) -> Outcome {
        let ms = item.metadata.get("sleep_ms").and_then(Value::as_u64);
        std::thread::sleep(Duration::from_millis(ms.unwrap_or(0).min(5000)));
        Outcome::ok(1.0)
    }
}

/// The `sleep` kind.
pub struct SleepKind;

impl GraderKind for SleepKind {
    type Options = SleepOptions;
    const NAME: &'static str = "sleep";
    const FAMILY: &'static str = "test";
    const SUMMARY: &'static str = "Sleeps metadata.sleep_ms, then rewards 1 (tests only).";
    const REFERENCE: &'static str = "not used";
    fn build(_: SleepOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        Ok(Arc::new(Sleep))
    }
}

pub fn registry() -> Registry {
    let mut registry = assay::registry();
    registry.register::<SleepKind>();
    registry
}

/// Text graders, a composition, a slow grader; `slow*` data sources go to `slow`, the rest
/// to `total`.
pub fn test_config() -> Value {
    json!({
        "graders": {
            "exact": {"kind": "string_check", "normalize": ["trim", "case"]},
            "contains": {"kind": "string_check", "operation": "contains"},
            "total": {"kind": "multi", "graders": ["exact", "contains"],
                      "formula": "0.5 * exact + 0.5 * contains"},
            "slow": {"kind": "sleep"}
        },
        "routes": [
            {"data_source": "slow*", "grader": "slow"},
            {"data_source": "*", "grader": "total"}
        ]
    })
}

pub fn engine(config: &Value, registry: &Registry) -> Engine {
    let parsed = Config::from_value(config).expect("valid test configuration");
    Engine::new(&parsed, registry, "test").expect("test configuration builds")
}

pub fn server_config() -> ServerConfig {
    let registry = registry();
    let mut config = ServerConfig::new(engine(&test_config(), &registry));
    config.registry = Arc::new(registry);
    config
}

/// A server running in this process.
pub struct TestServer {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    pub handle: JoinHandle<Result<(), ServerError>>,
}

impl TestServer {
    pub async fn start(config: ServerConfig) -> TestServer {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(serve(listener, config, async move {
            let _ = rx.await;
        }));
        TestServer {
            addr,
            shutdown: Some(tx),
            handle,
        }
    }

    /// Starts the graceful shutdown.
    pub fn shutdown(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }

    /// Shuts down and waits (bounded) for the server to return.
    pub async fn stop(mut self) -> Result<(), ServerError> {
        self.shutdown();
        tokio::time::timeout(Duration::from_secs(30), self.handle)
            .await
            .expect("the server stops within 30 s")
            .expect("the server task does not panic")
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub async fn get(&self, path: &str) -> Reply {
        send(&self.url(path), Method::GET, None).await
    }

    pub async fn post(&self, path: &str, body: &Value) -> Reply {
        self.post_raw(path, body.to_string().into_bytes()).await
    }

    pub async fn post_raw(&self, path: &str, body: Vec<u8>) -> Reply {
        send(&self.url(path), Method::POST, Some(body)).await
    }

    pub async fn metrics(&self) -> String {
        let r = self.get("/metrics").await;
        assert_eq!(r.status, StatusCode::OK);
        String::from_utf8(r.body).unwrap()
    }
}

/// A response, read whole.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }

    /// The message of a `{"error": {...}}` body, checking its shape.
    pub fn error_message(&self) -> String {
        let v = self.json();
        let message = v["error"]["message"]
            .as_str()
            .unwrap_or_else(|| panic!("no error.message in {v}"));
        assert!(v["error"]["type"].is_string(), "{v}");
        message.to_string()
    }

    pub fn retry_after(&self) -> Option<u64> {
        self.headers
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
    }
}

/// Sends one request on a fresh client (bounded: 30 s).
pub async fn send(url: &str, method: Method, body: Option<Vec<u8>>) -> Reply {
    let client = Client::builder(TokioExecutor::new()).build_http::<Full<Bytes>>();
    let mut builder = Request::builder().method(method).uri(url);
    if body.is_some() {
        builder = builder.header("content-type", "application/json");
    }
    let request = builder
        .body(Full::new(Bytes::from(body.unwrap_or_default())))
        .unwrap();
    let response = tokio::time::timeout(Duration::from_secs(30), client.request(request))
        .await
        .expect("a response within 30 s")
        .expect("the request is sent");
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .into_body()
        .collect()
        .await
        .expect("the body is read")
        .to_bytes()
        .to_vec();
    Reply {
        status,
        headers,
        body,
    }
}

//! Every registered grader kind, built from its own documented example, passes the conformance
//! suite of `assay-testkit`: the result contract on hostile and random input, deadlines and
//! cancellation.

use assay::config::Format;
use assay::{Config, Engine, Item};
use assay_testkit::Suite;
use serde_json::json;

/// Items of each kind's own domain, beside the suite's generic ones.
fn samples(kind: &str) -> Vec<Item> {
    match kind {
        "math" => vec![
            Item::new("so \\boxed{\\frac34}", "0.75"),
            Item::new("I do not know", "2"),
        ],
        "code" => vec![
            Item::new(
                "```python\nprint(input()[::-1])\n```",
                json!({"tests": [{"stdin": "abc", "stdout": "cba"}]}),
            ),
            Item::new(
                "```python\ndef add(a, b):\n    return a + b\n```",
                json!({"asserts": ["assert add(1, 2) == 3"]}),
            ),
        ],
        "choice" => vec![Item::new("The answer is (C).", "C")],
        "format" => vec![Item::new("<think>x</think><answer>4</answer>", json!(null))],
        "ifeval" => vec![Item::new(
            "hello world",
            json!({"instruction_id_list": ["change_case:english_lowercase"], "kwargs": [{}]}),
        )],
        "tool_call" => vec![Item::new(
            "<tool_call>{\"name\": \"f\", \"arguments\": {\"x\": 1}}</tool_call>",
            json!([{"name": "f", "arguments": {"x": 1}}]),
        )],
        _ => vec![Item::new("Answer: Paris", "paris")],
    }
}

/// The tiny model fixture standing in for the model directory of a model kind's example.
fn fixture_model(kind: &str) -> Option<String> {
    let dir = match kind {
        "reward_model" => "qwen2-rm",
        "process_reward" => "qwen2-prm",
        "embedding_similarity" => "bert-embed",
        _ => return None,
    };
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    Some(
        root.join("../assay-inference/tests/fixtures/models")
            .join(dir)
            .display()
            .to_string(),
    )
}

/// A server for the remote model kinds' examples: llama.cpp's `llama-server` on a tiny random
/// model when the test script built one (`ASSAY_LLAMA_SERVER`, `ASSAY_TINY_GGUF`, see
/// `crates/assay-model/tests/`), else a local port where nothing listens (every item is then an
/// `upstream` error, which the contract allows).
struct Server(Option<std::process::Child>, String);

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.0 {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

fn judge_server() -> Server {
    use std::io::{Read, Write};
    let port = || {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    };
    let (Some(bin), Some(models)) = (
        std::env::var_os("ASSAY_LLAMA_SERVER"),
        std::env::var_os("ASSAY_TINY_GGUF"),
    ) else {
        eprintln!(
            "\n=== ASSAY_LLAMA_SERVER / ASSAY_TINY_GGUF unset: the remote model kinds (judge, rubric, \
             url-based reward_model/process_reward) are checked against a closed port only ===\n"
        );
        return Server(None, format!("http://127.0.0.1:{}", port()));
    };
    let p = port();
    let child = std::process::Command::new(bin)
        .arg("-m")
        .arg(std::path::Path::new(&models).join("chat.gguf"))
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &p.to_string(),
            "-t",
            "2",
            "-c",
            "2048",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("llama-server starts");
    let server = Server(Some(child), format!("http://127.0.0.1:{p}"));
    let started = std::time::Instant::now();
    loop {
        let healthy = std::net::TcpStream::connect(("127.0.0.1", p)).is_ok_and(|mut s| {
            let _ = s.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
            let mut out = String::new();
            let _ = s.read_to_string(&mut out);
            out.starts_with("HTTP/1.1 200")
        });
        if healthy {
            return server;
        }
        assert!(
            started.elapsed().as_secs() < 60,
            "llama-server did not start"
        );
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

#[test]
fn every_registered_kind_conforms() {
    let registry = assay::registry();
    let server = judge_server();
    let mut failures = Vec::new();
    for entry in registry.kinds() {
        let kind = entry.info.name;
        let example = entry.info.example;
        assert!(!example.is_empty(), "`{kind}` has no EXAMPLE configuration");
        let mut value = Format::Toml
            .parse(example)
            .unwrap_or_else(|e| panic!("`{kind}`'s example is not TOML: {e}"));
        // Model examples name a user's model directory: use the repository's tiny fixtures.
        if let Some(model) = fixture_model(kind) {
            value["graders"][kind]["path"] = json!(model);
        }
        // Remote model examples name a user's server: use the test's.
        if value["graders"][kind].get("url").is_some() {
            value["graders"][kind]["url"] = json!(server.1);
            value["graders"][kind]["backoff_ms"] = json!(10);
        }
        let config = Config::from_value(&value)
            .unwrap_or_else(|p| panic!("`{kind}`'s example does not load: {p:?}"));
        let engine = Engine::new(&config, &registry, kind)
            .unwrap_or_else(|e| panic!("`{kind}`'s example does not build: {e}"));
        let report = Suite::new(&engine, kind).samples(samples(kind)).run();
        if !report.is_ok() {
            failures.push(format!("{kind}: {report}"));
        }
    }
    // The remote halves of the kinds whose examples run locally.
    let remote = [
        (
            "reward_model",
            json!({"url": server.1, "api": "rerank", "backoff_ms": 10}),
        ),
        (
            "process_reward",
            json!({"url": server.1, "scorer": "judge", "model": "m", "backoff_ms": 10, "sampling": {"max_tokens": 1}}),
        ),
    ];
    for (kind, options) in remote {
        let engine = assay::engine_for_kind(kind, options)
            .unwrap_or_else(|e| panic!("remote `{kind}` does not build: {e}"));
        let report = Suite::new(&engine, kind).samples(samples(kind)).run();
        if !report.is_ok() {
            failures.push(format!("{kind} (remote): {report}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

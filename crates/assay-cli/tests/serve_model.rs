//! `assay serve --model PATH` end to end: the real binary serves a tiny fixture reward model
//! (its outputs match transformers, see crates/assay-inference/tests/parity.rs) with vLLM's
//! pooling API beside the graders, and what it serves agrees with what `assay score` computes
//! with the same model as a `reward_model` grader.
#![cfg(feature = "models")]

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

mod common;

use serde_json::{json, Value};

fn assay() -> Command {
    Command::new(env!("CARGO_BIN_EXE_assay"))
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../assay-inference/tests/fixtures/models")
        .join(name)
}

/// A running `assay serve`, stopped (SIGKILL) when dropped.
struct Served {
    child: Child,
    addr: String,
}

impl Served {
    fn start(args: &[&str]) -> Served {
        let mut command = assay();
        command
            .arg("serve")
            .args(args)
            .args(["--addr", "127.0.0.1:0"]);
        let (child, addr) = common::start_server(command);
        Served { child, addr }
    }

    /// POSTs JSON and returns the status line and the parsed body.
    fn post(&self, path: &str, body: &Value) -> (String, Value) {
        let body = body.to_string();
        let mut stream = std::net::TcpStream::connect(&self.addr).unwrap();
        write!(
            stream,
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            self.addr,
            body.len()
        )
        .unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
        let status = head.lines().next().unwrap_or("").to_string();
        let body =
            serde_json::from_str(body.trim()).unwrap_or_else(|e| panic!("{status}: {e}: {body}"));
        (status, body)
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const CHATS: [(&str, &str); 3] = [
    ("What is 2 + 2?", "4"),
    ("Name a colour.", "The sky is blue, so: blue."),
    ("Why?", "Because."),
];

/// The rewards `assay score` gives the chats with the fixture as a `reward_model` grader.
fn scored_by_the_cli(model: &Path) -> Vec<f64> {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("rm.toml");
    std::fs::write(
        &config,
        format!(
            "[graders.rm]\nkind = \"reward_model\"\npath = {}\ninput = \"chat\"\n",
            toml_string(model)
        ),
    )
    .unwrap();
    let input: String = CHATS
        .iter()
        .enumerate()
        .map(|(i, (prompt, response))| {
            format!(
                "{}\n",
                json!({"id": i, "prompt": prompt, "response": response})
            )
        })
        .collect();
    let mut child = assay()
        .args(["score", "--config", config.to_str().unwrap()])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|line| {
            let result: Value = serde_json::from_str(line).unwrap();
            assert_eq!(result["status"], "ok", "{result}");
            result["reward"].as_f64().unwrap()
        })
        .collect()
}

fn toml_string(path: &Path) -> String {
    Value::String(path.to_str().unwrap().to_string()).to_string()
}

#[test]
fn served_scores_match_the_reward_model_grader_and_graders_still_serve() {
    let model = fixture("qwen2-rm");
    let expected = scored_by_the_cli(&model);
    let served = Served::start(&[
        "--model",
        model.to_str().unwrap(),
        "--served-model-name",
        "rm",
        "--grader",
        "string_check",
    ]);

    for ((prompt, response), want) in CHATS.iter().zip(&expected) {
        let messages = json!([
            {"role": "user", "content": prompt},
            {"role": "assistant", "content": response},
        ]);
        let (status, body) = served.post("/pooling", &json!({"model": "rm", "messages": messages}));
        assert!(status.contains("200"), "{status} {body}");
        assert_eq!(body["model"], "rm");
        let got = body["data"][0]["data"][0].as_f64().unwrap();
        assert!(
            (got - want).abs() < 1e-5,
            "served {got}, graded {want} for {prompt:?}"
        );
    }

    // One label: /classify gives vLLM's sigmoid of the same logit.
    let (status, body) = served.post("/classify", &json!({"model": "rm", "input": ["a", "b"]}));
    assert!(status.contains("200"), "{status} {body}");
    assert_eq!(body["data"].as_array().unwrap().len(), 2);
    for row in body["data"].as_array().unwrap() {
        let p = row["probs"][0].as_f64().unwrap();
        assert!(p > 0.0 && p < 1.0, "{row}");
    }

    // The graders are served beside the model.
    let (status, body) = served.post(
        "/v1/score",
        &json!({"items": [{"id": 1, "response": "yes", "reference": "yes"}]}),
    );
    assert!(status.contains("200"), "{status} {body}");
    assert_eq!(body["results"][0]["reward"], json!(1.0));
}

#[test]
fn a_model_directory_that_cannot_load_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    let out = assay()
        .args([
            "serve",
            "--model",
            dir.path().to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("config.json"), "{stderr}");
}

/// `assay serve --model PATH` without graders serves the model alone, and stops cleanly on
/// SIGTERM (as the scoring server does), exiting 0.
#[cfg(unix)]
#[test]
fn a_model_alone_is_served_and_stops_on_sigterm() {
    let mut served = Served::start(&[
        "--model",
        fixture("qwen2-rm").to_str().unwrap(),
        "--served-model-name",
        "rm",
    ]);
    let (status, body) = served.post("/pooling", &json!({"model": "rm", "input": "Hello."}));
    assert!(status.contains("200"), "{status} {body}");
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(
        unsafe { libc::kill(served.child.id() as i32, libc::SIGTERM) },
        0
    );
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = served.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert!(status.success(), "{status:?}");
}

//! End-to-end tests of the `assay` binary: streaming, ordering, failures, exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};

mod common;

fn assay() -> Command {
    Command::new(env!("CARGO_BIN_EXE_assay"))
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn run_with_stdin(args: &[&str], stdin: &str) -> Output {
    let mut child = assay()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("assay runs");
    // Write from a thread of its own: `assay` streams, so it writes results while it reads,
    // and a pipe that nobody reads would stop both sides.
    let mut pipe = child.stdin.take().unwrap();
    let input = stdin.as_bytes().to_vec();
    let writer = std::thread::spawn(move || pipe.write_all(&input));
    let output = child.wait_with_output().unwrap();
    // A run that stops early (a usage error) closes its input: that is not the test's failure.
    let _ = writer.join();
    output
}

/// The JSON a successful command printed (the test fails with its stderr otherwise).
fn success_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn results(output: &Output) -> Vec<Value> {
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("each output line is JSON"))
        .collect()
}

#[test]
fn stdin_to_stdout_keeps_order_and_survives_malformed_lines() {
    let input = [
        r#"{"id": "a", "response": "Paris", "reference": "paris"}"#,
        "{this is not json",
        "",
        r#"{"id": "c", "response": "Lyon", "reference": "paris"}"#,
        r#"{"id": "d", "reference": "paris"}"#,
        r#"{"id": "e", "response": "x", "reference": 5}"#,
    ]
    .join("\n");
    let out = run_with_stdin(
        &[
            "score",
            "--grader",
            "string_check",
            "--set",
            "normalize=[\"case\"]",
            "--input",
            "-",
            "--output",
            "-",
        ],
        &input,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rs = results(&out);
    let brief: Vec<(Value, Value, Value)> = rs
        .iter()
        .map(|r| (r["id"].clone(), r["status"].clone(), r["reward"].clone()))
        .collect();
    assert_eq!(
        brief,
        [
            (json!("a"), json!("ok"), json!(1.0)),
            (json!(null), json!("error"), json!(null)),
            (json!("c"), json!("ok"), json!(0.0)),
            (json!("d"), json!("error"), json!(null)),
            (json!("e"), json!("error"), json!(null)),
        ]
    );
    assert_eq!(rs[1]["error"]["kind"], json!("malformed_input"));
    assert_eq!(rs[3]["error"]["kind"], json!("malformed_input"));
    assert_eq!(rs[4]["error"]["kind"], json!("bad_reference"));
    for r in &rs {
        for key in [
            "id",
            "reward",
            "status",
            "components",
            "pred",
            "explanation",
            "error",
            "elapsed_ms",
        ] {
            assert!(r.get(key).is_some(), "{key} missing in {r}");
        }
    }
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("scored 5 items"), "{stderr}");
    assert!(
        stderr.contains("ok 2 · invalid 0 · not_applicable 0 · timeout 0 · error 3"),
        "{stderr}"
    );
    assert!(stderr.contains("malformed_input 2"), "{stderr}");
}

#[test]
fn on_error_fallback_is_applied_but_status_stays() {
    let out = run_with_stdin(
        &[
            "score",
            "--grader",
            "string_check",
            "--on-error",
            "zero",
            "--quiet",
        ],
        "{broken\n",
    );
    assert!(out.status.success());
    let rs = results(&out);
    assert_eq!(rs[0]["status"], json!("error"));
    assert_eq!(rs[0]["reward"], json!(0.0));
    assert!(out.stderr.is_empty(), "--quiet prints nothing");
}

#[test]
fn configuration_errors_exit_2_and_list_every_problem() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "[graders.a]\nkind = \"nope\"\n[graders.b]\nkind = \"string_check\"\noperation = \"equals\"\n[[routes]]\ndata_source = \"*\"\ngrader = \"c\"\n",
    )
    .unwrap();
    let out = run_with_stdin(&["score", "--config", config.to_str().unwrap()], "");
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("3 problems"), "{stderr}");
    assert!(
        stderr.contains("graders.a.kind: unknown kind `nope`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("graders.b.operation: unknown variant `equals`"),
        "{stderr}"
    );
    assert!(
        stderr.contains("routes[0].grader: no grader named `c`"),
        "{stderr}"
    );
    assert!(out.stdout.is_empty());

    let out = run_with_stdin(
        &["score", "--grader", "string_check", "--set", "bogus=1"],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("unknown field `bogus`"));

    let out = run_with_stdin(&["score"], "");
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn missing_input_exits_1_with_the_path() {
    let out = run_with_stdin(
        &[
            "score",
            "--grader",
            "string_check",
            "--input",
            "/nonexistent/in.jsonl",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/in.jsonl"));
}

#[test]
fn advantages_and_group_summary() {
    let input: String = [
        ("g1", "yes"),
        ("g1", "no"),
        ("g1", "no"),
        ("g1", "yes"),
        ("g2", "yes"),
        ("g2", "yes"),
        ("g3", "no"),
    ]
    .iter()
    .enumerate()
    .map(|(i, (g, r))| {
        json!({"id": i, "group": g, "response": r, "reference": "yes"}).to_string() + "\n"
    })
    .collect();
    let dir = tempfile::tempdir().unwrap();
    let summary_path = dir.path().join("summary.json");
    let out = run_with_stdin(
        &[
            "score",
            "--grader",
            "string_check",
            "--advantage",
            "drgrpo",
            "--window",
            "3",
            "--summary-json",
            summary_path.to_str().unwrap(),
        ],
        &input,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let advantages: Vec<Value> = results(&out)
        .iter()
        .map(|r| r["advantage"].clone())
        .collect();
    assert_eq!(
        advantages,
        [
            json!(0.5),
            json!(-0.5),
            json!(-0.5),
            json!(0.5),
            json!(0.0),
            json!(0.0),
            json!(0.0)
        ]
    );
    let summary: Value =
        serde_json::from_str(&std::fs::read_to_string(&summary_path).unwrap()).unwrap();
    assert_eq!(summary["groups"], json!(3));
    assert_eq!(summary["zero_spread_groups"], json!(1));
    assert_eq!(summary["split_groups"], json!(0));
    assert_eq!(summary["items"], json!(7));

    let bad = run_with_stdin(
        &["score", "--grader", "string_check", "--advantage", "ppo"],
        "",
    );
    assert_eq!(bad.status.code(), Some(2));
}

#[test]
fn many_items_stay_in_order_across_windows_and_threads() {
    let input: String = (0..5000)
        .map(|i| {
            let response = if i % 3 == 0 { "match" } else { "other" };
            json!({"id": i, "group": format!("g{}", i / 4), "response": response, "reference": "match"}).to_string() + "\n"
        })
        .collect();
    let out = run_with_stdin(
        &[
            "score",
            "--grader",
            "string_check",
            "--threads",
            "2",
            "--window",
            "37",
            "--quiet",
        ],
        &input,
    );
    assert!(out.status.success());
    let rs = results(&out);
    assert_eq!(rs.len(), 5000);
    for (i, r) in rs.iter().enumerate() {
        assert_eq!(r["id"], json!(i));
        assert_eq!(r["reward"], json!(if i % 3 == 0 { 1.0 } else { 0.0 }));
    }
}

/// Peak RSS of a `score` run over `lines` generated items, from its JSON summary.
fn peak_rss_for(lines: usize, dir: &Path) -> u64 {
    let input = dir.join(format!("in-{lines}.jsonl"));
    let mut file = std::io::BufWriter::new(std::fs::File::create(&input).unwrap());
    for i in 0..lines {
        writeln!(
            file,
            r#"{{"id": {i}, "group": "q{}", "data_source": "synthetic", "response": "The answer is {} because of many words here to make the line realistic in size", "reference": "The answer is 7 because of many words here to make the line realistic in size"}}"#,
            i / 8,
            i % 10
        )
        .unwrap();
    }
    drop(file);
    let summary = dir.join(format!("summary-{lines}.json"));
    let output = dir.join(format!("out-{lines}.jsonl"));
    let status = assay()
        .args(["score", "--grader", "string_check", "--quiet", "--input"])
        .arg(&input)
        .arg("--output")
        .arg(&output)
        .arg("--summary-json")
        .arg(&summary)
        .status()
        .unwrap();
    assert!(status.success());
    let summary: Value = serde_json::from_str(&std::fs::read_to_string(&summary).unwrap()).unwrap();
    assert_eq!(summary["items"], json!(lines));
    let written = std::fs::read_to_string(&output).unwrap().lines().count();
    assert_eq!(written, lines);
    summary["peak_rss_bytes"]
        .as_u64()
        .expect("peak RSS is reported on Linux")
}

#[test]
fn streaming_memory_stays_flat_as_input_grows() {
    let dir = tempfile::tempdir().unwrap();
    let small = peak_rss_for(20_000, dir.path());
    let large = peak_rss_for(200_000, dir.path());
    // 10× the input (about 35 MB more) must not cost more than a few MB more memory.
    assert!(
        large < small + 16 * 1024 * 1024,
        "peak RSS grew from {small} to {large} bytes for 10× the input"
    );
}

#[test]
fn check_explains_one_pair() {
    let out = assay()
        .args([
            "check",
            "string_check",
            "--set",
            "operation=contains",
            "--response",
            "it is Paris.",
            "--reference",
            "Paris",
        ])
        .output()
        .unwrap();
    let r = success_json(&out);
    assert_eq!(r["reward"], json!(1.0));
    assert_eq!(r["status"], json!("ok"));
}

#[test]
fn graders_lists_every_registered_kind_with_options() {
    let out = assay().args(["graders", "--json"]).output().unwrap();
    assert!(out.status.success());
    let kinds: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> = kinds.iter().map(|k| k["name"].as_str().unwrap()).collect();
    let registry = assay::registry();
    assert_eq!(names, registry.names());
    for kind in &kinds {
        assert!(!kind["summary"].as_str().unwrap().is_empty());
        for option in kind["options"].as_array().unwrap() {
            assert!(
                !option["description"].as_str().unwrap().is_empty(),
                "{kind}"
            );
        }
    }
    let text = assay().arg("graders").output().unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    for name in registry.names() {
        assert!(text.contains(&format!("{name} (")), "{name}");
    }
    let unknown = assay().args(["graders", "nope"]).output().unwrap();
    assert_eq!(unknown.status.code(), Some(2));
}

#[test]
fn bundled_example_scores_as_documented() {
    let root = repo_root();
    let out = assay()
        .current_dir(&root)
        .args([
            "score",
            "--config",
            "examples/rewards.toml",
            "--input",
            "examples/rollouts.jsonl",
            "--quiet",
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let expected: Vec<Value> = std::fs::read_to_string(root.join("examples/expected.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let got = results(&out);
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        for key in ["id", "reward", "status", "components", "pred", "error"] {
            assert_eq!(g[key], e[key], "{key} of {}", e["id"]);
        }
    }
}

/// The fenced blocks of one language in the README.
fn readme_blocks(language: &str) -> Vec<String> {
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let fence = format!("```{language}\n");
    let mut blocks = Vec::new();
    let mut rest = readme.as_str();
    while let Some(start) = rest.find(&fence) {
        let body = &rest[start + fence.len()..];
        let end = body.find("```").expect("closed fence");
        blocks.push(body[..end].to_string());
        rest = &body[end..];
    }
    blocks
}

#[test]
fn readme_configurations_build_and_the_example_is_the_bundled_file() {
    let blocks = readme_blocks("toml");
    assert!(blocks.len() >= 2);
    let bundled = std::fs::read_to_string(repo_root().join("examples/rewards.toml")).unwrap();
    assert_eq!(
        blocks[0], bundled,
        "README's first TOML block is examples/rewards.toml"
    );
    // The judge example reads its API key from this variable when it is built.
    std::env::set_var("JUDGE_API_KEY", "sk-readme-example");
    let dir = tempfile::tempdir().unwrap();
    for (i, block) in blocks.iter().enumerate() {
        let path = dir.path().join(format!("readme-{i}.toml"));
        std::fs::write(&path, block).unwrap();
        if let Err(e) = assay::engine_from_path(&path) {
            panic!("README TOML block {i} does not build: {e}");
        }
    }
}

#[test]
fn readme_json_examples_are_a_valid_item_and_result() {
    let blocks = readme_blocks("json");
    let item: assay::Item = serde_json::from_str(&blocks[0]).expect("README item parses");
    assert_eq!(item.group.as_deref(), Some("q17"));
    let result: assay::GradeResult =
        serde_json::from_str(&blocks[1]).expect("README result parses");
    assert_eq!(result.status, assay::Status::Ok);
}

#[test]
fn readme_error_listing_is_what_assay_prints() {
    let listing = readme_blocks("text")
        .into_iter()
        .find(|b| b.starts_with("error: invalid configuration bad.toml"))
        .expect("README shows a configuration error");
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bad.toml"),
        "[graders.a]\nkind = \"nope\"\n[graders.b]\nkind = \"string_check\"\noperation = \"equals\"\n[[routes]]\ndata_source = \"*\"\ngrader = \"c\"\n",
    )
    .unwrap();
    let out = assay()
        .current_dir(dir.path())
        .args(["score", "--config", "bad.toml"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stderr), listing);
}

/// Sends one HTTP/1.1 request and returns the status line and body.
fn http(addr: &str, method: &str, path: &str, body: &str) -> (String, String) {
    use std::io::Read;
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    (
        head.lines().next().unwrap_or("").to_string(),
        body.to_string(),
    )
}

#[test]
fn serve_scores_over_http_and_exits_0_on_sigterm() {
    let (mut child, addr) =
        start_server(&["serve", "--grader", "string_check", "--addr", "127.0.0.1:0"]);
    let (status, body) = http(
        &addr,
        "POST",
        "/v1/score",
        r#"{"items": [{"id": 1, "response": "yes", "reference": "yes"}, {"id": 2}]}"#,
    );
    assert!(status.contains("200"), "{status} {body}");
    let body: Value = serde_json::from_str(body.trim()).unwrap_or_else(|e| panic!("{e}: {body}"));
    assert_eq!(body["results"][0]["reward"], json!(1.0));
    assert_eq!(
        body["results"][1]["error"]["kind"],
        json!("malformed_input")
    );
    let (status, _) = http(&addr, "GET", "/healthz", "");
    assert!(status.contains("200"), "{status}");

    let pid = child.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let code = child.wait().unwrap();
    assert_eq!(code.code(), Some(0), "graceful shutdown exits 0");
}

/// Items whose program loops forever (the reference allows a minute).
fn looping_code_items(n: usize) -> String {
    (0..n)
        .map(|i| {
            json!({
                "id": i,
                "response": "```python\nwhile True:\n    pass\n```",
                "reference": {"tests": [{"stdin": "", "stdout": "done"}], "time_limit_s": 60},
            })
            .to_string()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn a_run_deadline_bounds_sixty_four_runaway_programs() {
    // 64 programs that never end, one second each of item timeout, five seconds for the run:
    // the programs that get a cell fail their test (a hang is the policy's 0, not a timeout),
    // the rest are `timeout` when the run's deadline passes, and the run ends within 7 s.
    let started = std::time::Instant::now();
    let out = run_with_stdin(
        &[
            "score",
            "--grader",
            "code",
            "--set",
            "timeout_ms=1000",
            "--deadline",
            "5",
            "--quiet",
        ],
        &looping_code_items(64),
    );
    let took = started.elapsed();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(took < std::time::Duration::from_secs(7), "took {took:?}");
    let got = results(&out);
    assert_eq!(got.len(), 64);
    let mut timeouts = 0;
    for (i, r) in got.iter().enumerate() {
        assert_eq!(r["id"], i);
        match r["status"].as_str().unwrap() {
            "timeout" => timeouts += 1,
            "ok" => {
                assert_eq!(r["reward"], 0.0, "{r}");
                assert_eq!(r["explanation"]["failures"][0]["status"], "timeout", "{r}");
            }
            other => panic!("unexpected status {other}: {r}"),
        }
    }
    assert!(timeouts > 0, "the deadline cut the run short");
}

#[cfg(unix)]
#[test]
fn ctrl_c_stops_a_run_within_a_second_and_exits_130() {
    let mut child = assay()
        .args(["score", "--grader", "code", "--set", "timeout_ms=120000"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("assay runs");
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(looping_code_items(8).as_bytes()).unwrap();
    drop(stdin);
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let signalled = std::time::Instant::now();
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGINT) }, 0);
    let out = child.wait_with_output().unwrap();
    assert!(
        signalled.elapsed() < std::time::Duration::from_secs(2),
        "{:?}",
        signalled.elapsed()
    );
    assert_eq!(out.status.code(), Some(130));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("interrupted"), "{stderr}");
}

/// A run whose output nobody reads blocks writing it; a signal must still end the process
/// (within the grace period), not wait for a second signal or SIGKILL.
#[cfg(unix)]
#[test]
fn a_run_blocked_on_its_output_still_ends_on_sigterm() {
    let mut child = assay()
        .args(["score", "--grader", "string_check"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("assay runs");
    let mut stdin = child.stdin.take().unwrap();
    // Far more output than a pipe holds (64 KiB): the writer blocks, and stays blocked because
    // this test never reads stdout. Stdin is fed from a thread: it may block too.
    let feeder = std::thread::spawn(move || {
        let line = json!({"response": "x".repeat(200), "reference": "y"}).to_string();
        for _ in 0..20_000 {
            if writeln!(stdin, "{line}").is_err() {
                break;
            }
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(2000));
    assert!(
        child.try_wait().unwrap().is_none(),
        "assay should be blocked on its output"
    );
    let signalled = std::time::Instant::now();
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let mut stderr = child.stderr.take().unwrap();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if signalled.elapsed() > std::time::Duration::from_secs(15) {
            let _ = child.kill();
            panic!("assay was still running 15 s after SIGTERM");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    assert_eq!(status.code(), Some(130));
    let mut text = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut text).unwrap();
    assert!(text.contains("interrupted"), "{text}");
    feeder.join().unwrap();
}

#[test]
fn json_logs_carry_the_request_id_through_grading() {
    use std::io::{BufRead, Read};
    let mut child = assay()
        .args([
            "serve",
            "--grader",
            "code",
            "--addr",
            "127.0.0.1:0",
            "--log-format",
            "json",
        ])
        .env("ASSAY_LOG", "debug")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    let addr = loop {
        line.clear();
        assert!(
            stderr.read_line(&mut line).unwrap() > 0,
            "server exited early"
        );
        let event: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
        let message = event["fields"]["message"].as_str().unwrap_or("");
        if let Some(rest) = message.split("listening on http://").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    // A runaway program and a short request deadline: the engine logs the unfinished items.
    let body = json!({"deadline_ms": 300, "items": [{
        "response": "```python\nwhile True:\n    pass\n```",
        "reference": {"tests": [{"stdin": "", "stdout": "x"}], "time_limit_s": 60}}]})
    .to_string();
    let mut stream = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        stream,
        "POST /v1/score HTTP/1.1\r\nhost: x\r\nx-request-id: req-7f3a\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(
        response
            .to_ascii_lowercase()
            .contains("x-request-id: req-7f3a"),
        "{response}"
    );
    assert!(response.contains("\"timeout\""), "{response}");
    // SAFETY: kill(2) on our own child's pid.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let mut rest = String::new();
    stderr.read_to_string(&mut rest).unwrap();
    child.wait().unwrap();
    let events: Vec<Value> = rest
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    // The engine's events sit in the request's span: the batch's (on a worker of the
    // pipeline, in the batch's span) when the grader answered in time, else the deadline
    // warning of a machine too loaded to start the sandbox within 300 ms.
    let in_request = |e: &&Value| {
        e["spans"].as_array().is_some_and(|spans| {
            spans
                .iter()
                .any(|s| s["name"] == "request" && s["request_id"] == "req-7f3a")
        })
    };
    let engine_event = events
        .iter()
        .filter(in_request)
        .find(|e| {
            e["fields"]["message"] == "batch graded"
                || e["fields"]["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("request deadline passed"))
        })
        .unwrap_or_else(|| panic!("no engine event in the request's span: {rest}"));
    if engine_event["fields"]["message"] == "batch graded" {
        assert_eq!(engine_event["span"]["name"], "batch", "{engine_event}");
        assert_eq!(engine_event["span"]["grader"], "code", "{engine_event}");
    }
}

/// Waits until `path` holds at least one complete line (at most a minute).
fn wait_for_a_line(path: &Path) {
    let started = std::time::Instant::now();
    while started.elapsed() < std::time::Duration::from_secs(60) {
        if std::fs::read_to_string(path).is_ok_and(|s| s.contains('\n')) {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    panic!(
        "no result was written to {} within a minute",
        path.display()
    );
}

#[test]
fn a_killed_run_resumes_and_every_id_ends_up_exactly_once() {
    let dir = tempfile::tempdir().unwrap();
    let n = 3000;
    let lines: Vec<String> = (0..n)
        .map(|i| json!({"id": i, "response": format!("r{}", i % 7), "reference": "r3"}).to_string())
        .collect();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let output = dir.path().join("out.jsonl");
    let out = output.to_str().unwrap();
    let args = [
        "score",
        "--grader",
        "string_check",
        "--window",
        "100",
        "--output",
        out,
    ];

    // The first run reads its input from a pipe that delivers only the first 1000 lines, so
    // it is still running when it is killed (SIGKILL: nothing gets to clean up).
    let mut child = assay()
        .args(args)
        .args(["--input", "-", "--quiet"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin
        .write_all((lines[..1000].join("\n") + "\n").as_bytes())
        .unwrap();
    stdin.flush().unwrap();
    wait_for_a_line(&output);
    child.kill().unwrap();
    child.wait().unwrap();
    drop(stdin);
    let first = std::fs::read_to_string(&output).unwrap();
    let written = first.matches('\n').count(); // whole lines; a cut-off one is dropped
    assert!(
        written > 0 && written <= 1000,
        "{written} results before the kill"
    );
    // A write cut off by the kill leaves a partial last line: make sure there is one.
    let mut file = std::fs::OpenOptions::new()
        .append(true)
        .open(&output)
        .unwrap();
    if first.ends_with('\n') {
        file.write_all(br#"{"id": 2999, "rew"#).unwrap();
    }
    drop(file);

    let resumed = assay()
        .args(args)
        .args(["--input", input.to_str().unwrap(), "--resume"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&resumed.stderr);
    assert!(resumed.status.success(), "{stderr}");
    assert!(
        stderr.contains("a cut-off last line was dropped"),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("resuming: {written} results")),
        "{stderr}"
    );

    let text = std::fs::read_to_string(&output).unwrap();
    let mut seen = vec![0u32; n];
    for line in text.lines() {
        let result: Value = serde_json::from_str(line).expect("every line is a whole result");
        let id = result["id"].as_u64().unwrap() as usize;
        seen[id] += 1;
        let expected = if id % 7 == 3 { 1.0 } else { 0.0 };
        assert_eq!(result["reward"], json!(expected), "{line}");
    }
    let wrong: Vec<(usize, u32)> = seen
        .iter()
        .enumerate()
        .filter(|(_, &c)| c != 1)
        .map(|(i, &c)| (i, c))
        .collect();
    assert!(wrong.is_empty(), "ids not written exactly once: {wrong:?}");

    // Resuming a finished run scores nothing more.
    let again = assay()
        .args(args)
        .args(["--input", input.to_str().unwrap(), "--resume", "--quiet"])
        .output()
        .unwrap();
    assert!(again.status.success());
    assert_eq!(std::fs::read_to_string(&output).unwrap(), text);
}

#[test]
fn resume_refuses_stdout_and_advantages_and_progress_can_be_forced() {
    let out = run_with_stdin(&["score", "--grader", "string_check", "--resume"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--resume needs --output FILE"));
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("o.jsonl");
    let o = path.to_str().unwrap();
    let out = run_with_stdin(
        &[
            "score",
            "--grader",
            "string_check",
            "-o",
            o,
            "--resume",
            "--advantage",
            "grpo",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--advantage"));
    // Not a terminal: --progress reports in plain lines on stderr; stdout stays results only.
    let out = run_with_stdin(
        &["score", "--grader", "string_check", "--progress", "--quiet"],
        "{\"id\": 1, \"response\": \"a\", \"reference\": \"a\"}\n",
    );
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("progress: 1 items"));
    assert_eq!(results(&out).len(), 1);
}

/// Starts `assay` with `args` (an `--addr 127.0.0.1:0` among them) and returns the child and
/// the address it listens on.
fn start_server(args: &[&str]) -> (std::process::Child, String) {
    let mut command = assay();
    command.args(args).current_dir(repo_root());
    common::start_server(command)
}

#[test]
fn the_readme_get_reward_example_scores_its_own_answer_format() {
    let sh = readme_blocks("sh").join("\n");
    let serve = sh
        .lines()
        .find(|l| l.starts_with("assay serve --config examples/rewards.toml"))
        .expect("README serves the example");
    let mut args: Vec<&str> = serve.split_whitespace().skip(1).collect();
    let at = args.iter().position(|a| *a == "--addr").unwrap();
    args[at + 1] = "127.0.0.1:0";
    let (mut child, addr) = start_server(&args);

    let mut lines = sh.lines().skip_while(|l| !l.contains("/get_reward -d '"));
    let curl = lines.next().expect("README posts to /get_reward");
    let body = curl.split('\'').nth(1).unwrap();
    let shown: Value =
        serde_json::from_str(lines.next().unwrap().trim_start_matches("# ")).unwrap();
    let (status, answer) = http(&addr, "POST", "/get_reward", body);
    assert!(status.contains("200"), "{status} {answer}");
    let answer: Value = serde_json::from_str(answer.trim()).unwrap();
    assert_eq!(answer, shown, "the README shows what the server answers");
    assert!(answer["rewards"][0].as_f64().unwrap() > 0.5);
    child.kill().unwrap();
    child.wait().unwrap();

    // Without --get-reward-grader the server would grade with the free-text `*` route; with a
    // configuration that has no default route at all it refuses to start and says why.
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("routes.toml");
    std::fs::write(
        &config,
        "[graders.a]\nkind = \"choice\"\n[[routes]]\ndata_source = \"mmlu\"\ngrader = \"a\"\n",
    )
    .unwrap();
    let out = assay()
        .args([
            "serve",
            "--config",
            config.to_str().unwrap(),
            "--addr",
            "127.0.0.1:0",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--get-reward-grader NAME (graders: a)"),
        "{stderr}"
    );
}

/// `assay check … --dry-run` shows the request a remote grader would send and sends nothing:
/// the server it names is a real listener, which must see no connection.
#[test]
fn check_dry_run_shows_the_request_and_sends_nothing() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.set_nonblocking(true).unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let out = assay()
        .args(["check", "judge", "--set"])
        .arg(format!("url={url}"))
        .args(["--set", "model=m", "--prompt", "2+2?", "--response", "4"])
        .args(["--reference", "4", "--dry-run"])
        .output()
        .unwrap();
    let result = success_json(&out);
    assert_eq!(result["status"], "not_applicable", "{result}");
    let request = &result["explanation"]["request"];
    assert_eq!(request["url"], format!("{url}/v1/chat/completions"));
    assert_eq!(request["body"]["model"], "m");
    let prompt = request["body"]["messages"][0]["content"].as_str().unwrap();
    assert!(
        prompt.contains("2+2?") && prompt.contains("Reference answer:\n4"),
        "{prompt}"
    );
    match listener.accept() {
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
        other => panic!("the dry run connected to the server: {other:?}"),
    }
}

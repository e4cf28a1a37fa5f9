//! `run` as `assay serve` uses it: SIGTERM while a request is in flight finishes the request,
//! then `run` returns `Ok(())` (the CLI exits 0). Its own test binary, so the signal only
//! reaches this process's one test.

mod common;

use std::time::Duration;

use common::{send, server_config};
use hyper::{Method, StatusCode};
use serde_json::json;

#[test]
fn sigterm_drains_in_flight_requests_and_returns_ok() {
    if !std::path::Path::new("/usr/bin/kill").exists()
        && !std::path::Path::new("/bin/kill").exists()
    {
        eprintln!("skipped: no kill command");
        return;
    }
    // A free port: bind 0, read it, release it.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut config = server_config();
    config.addr = ([127, 0, 0, 1], port).into();
    let server = std::thread::spawn(move || assay_server::run(config));

    let client = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    client.block_on(async {
        // Bounded wait for the server to answer (its signal handlers are then installed).
        let mut up = false;
        for _ in 0..500 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                up = send(&format!("{base}/healthz"), Method::GET, None)
                    .await
                    .status
                    == StatusCode::OK;
                if up {
                    break;
                }
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(up, "the server never came up");
        let body =
            json!({"grader": "slow", "items": [{"response": "r", "metadata": {"sleep_ms": 1500}}]});
        let url = format!("{base}/v1/score");
        let in_flight = tokio::spawn(async move {
            send(&url, Method::POST, Some(body.to_string().into_bytes())).await
        });
        // Bounded wait until it is being scored.
        let mut scoring = false;
        for _ in 0..500 {
            let metrics = send(&format!("{base}/metrics"), Method::GET, None).await;
            if String::from_utf8_lossy(&metrics.body)
                .lines()
                .any(|l| l == "assay_in_flight 1")
            {
                scoring = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(scoring, "the request never started");
        let status = std::process::Command::new("kill")
            .args(["-TERM", &std::process::id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let reply = in_flight.await.unwrap();
        assert_eq!(reply.status, StatusCode::OK);
        assert_eq!(reply.json()["results"][0]["reward"], 1.0);
    });
    let mut waited = Duration::ZERO;
    while !server.is_finished() && waited < Duration::from_secs(20) {
        std::thread::sleep(Duration::from_millis(20));
        waited += Duration::from_millis(20);
    }
    assert!(server.is_finished(), "run did not return after SIGTERM");
    let result = server.join().unwrap();
    assert!(result.is_ok(), "{result:?}");
}

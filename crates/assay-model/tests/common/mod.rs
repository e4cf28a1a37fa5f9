//! Test helpers: a real `llama-server` on a random localhost port, and a fault-injecting
//! proxy in front of it.
//!
//! The server binary comes from `ASSAY_LLAMA_SERVER` (built by `tests/build_llama_server.sh`),
//! the tiny models from `ASSAY_TINY_GGUF` (made by `tests/make_tiny_models.sh`);
//! `scripts/test.sh` sets both. Without them the tests say so loudly and skip.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::net::{SocketAddr, TcpListener as StdListener};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// Where the server binary and the models are, or `None` (after a loud message).
pub fn llama() -> Option<(PathBuf, PathBuf)> {
    let server = std::env::var_os("ASSAY_LLAMA_SERVER").map(PathBuf::from);
    let models = std::env::var_os("ASSAY_TINY_GGUF").map(PathBuf::from);
    match (server, models) {
        (Some(s), Some(m)) if s.exists() && m.join("chat.gguf").exists() => Some((s, m)),
        _ => {
            eprintln!(
                "\n\n==========================================================================\n\
                 SKIPPED: set ASSAY_LLAMA_SERVER (bash crates/assay-model/tests/build_llama_server.sh)\n\
                 and ASSAY_TINY_GGUF (bash crates/assay-model/tests/make_tiny_models.sh) to run the\n\
                 tests against a real llama-server; scripts/test.sh sets both.\n\
                 ==========================================================================\n"
            );
            None
        }
    }
}

fn free_port() -> u16 {
    StdListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A running llama-server, killed on drop.
pub struct Llama {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
}

impl Drop for Llama {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Llama {
    /// Starts llama-server on `model` (`chat`, `embed` or `rerank`) with extra arguments and
    /// waits until `/health` answers 200.
    pub fn start(model: &str, extra: &[&str]) -> Option<Llama> {
        let (server, models) = llama()?;
        let port = free_port();
        let mut cmd = Command::new(server);
        cmd.arg("-m")
            .arg(models.join(format!("{model}.gguf")))
            .args([
                "--host",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "-t",
                "2",
                "-c",
                "2048",
                "--no-webui",
            ])
            .args(extra)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let child = cmd.spawn().expect("llama-server starts");
        let llama = Llama {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let client = health::get;
        let started = Instant::now();
        loop {
            if client(&llama.url) {
                return Some(llama);
            }
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "llama-server did not become healthy in 60 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

mod health {
    /// `GET /health` with a plain socket (the tests need no blocking HTTP client).
    pub fn get(url: &str) -> bool {
        use std::io::{Read, Write};
        let addr = url.trim_start_matches("http://");
        let Ok(mut s) = std::net::TcpStream::connect(addr) else {
            return false;
        };
        let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(2)));
        if s.write_all(
            format!("GET /health HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
        )
        .is_err()
        {
            return false;
        }
        let mut out = String::new();
        let _ = s.read_to_string(&mut out);
        out.starts_with("HTTP/1.1 200")
    }
}

/// A fault the proxy injects instead of (or while) forwarding one request.
#[derive(Debug, Clone)]
pub enum Fault {
    /// Answer with this status, an optional `Retry-After` (seconds) and a JSON error body.
    Status(u16, Option<u64>, String),
    /// Close the connection without answering.
    Reset,
    /// Wait this long, then forward.
    Slow(Duration),
    /// Forward, but send only half of the reply's body.
    Truncate,
    /// Answer 401 with the request's `Authorization` header in the body (a server that echoes
    /// the key).
    EchoAuth,
}

/// What the proxy saw.
#[derive(Debug, Default)]
pub struct Seen {
    /// Every request body received, in order.
    pub bodies: Vec<String>,
    /// Bodies forwarded and answered by the upstream in full (successes), with counts.
    pub delivered: HashMap<String, usize>,
}

/// A proxy on a random localhost port that forwards to `upstream`, injecting `faults` in
/// order (one per request; none left: plain forwarding).
pub struct Proxy {
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    /// The faults still to inject.
    pub faults: Arc<Mutex<VecDeque<Fault>>>,
    /// What it saw.
    pub seen: Arc<Mutex<Seen>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Proxy {
    /// Starts the proxy on the shared I/O runtime.
    pub fn start(upstream: &str, faults: Vec<Fault>) -> Proxy {
        let upstream: SocketAddr = upstream.trim_start_matches("http://").parse().unwrap();
        let std_listener = StdListener::bind("127.0.0.1:0").unwrap();
        std_listener.set_nonblocking(true).unwrap();
        let port = std_listener.local_addr().unwrap().port();
        let faults = Arc::new(Mutex::new(VecDeque::from(faults)));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let handle = assay_core::runtime::handle();
        let (f, s) = (Arc::clone(&faults), Arc::clone(&seen));
        let task = handle.spawn(async move {
            let listener = TcpListener::from_std(std_listener).unwrap();
            loop {
                let Ok((socket, _)) = listener.accept().await else {
                    continue;
                };
                let (f, s) = (Arc::clone(&f), Arc::clone(&s));
                tokio::spawn(async move {
                    let _ = serve(socket, upstream, f, s).await;
                });
            }
        });
        Proxy {
            url: format!("http://127.0.0.1:{port}"),
            faults,
            seen,
            task,
        }
    }

    /// Requests received.
    pub fn requests(&self) -> usize {
        self.seen.lock().unwrap().bodies.len()
    }
}

async fn read_request(socket: &mut TcpStream) -> std::io::Result<Option<(String, Vec<u8>)>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 8192];
    let head_end = loop {
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
        if let Some(p) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
    let length: usize = head
        .lines()
        .find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case("content-length")
                .then(|| v.trim().parse().ok())?
        })
        .unwrap_or(0);
    while buf.len() < head_end + length {
        let n = socket.read(&mut chunk).await?;
        if n == 0 {
            break;
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    Ok(Some((head, buf[head_end..].to_vec())))
}

async fn serve(
    mut socket: TcpStream,
    upstream: SocketAddr,
    faults: Arc<Mutex<VecDeque<Fault>>>,
    seen: Arc<Mutex<Seen>>,
) -> std::io::Result<()> {
    let Some((head, body)) = read_request(&mut socket).await? else {
        return Ok(());
    };
    let body_text = String::from_utf8_lossy(&body).to_string();
    seen.lock().unwrap().bodies.push(body_text.clone());
    let fault = faults.lock().unwrap().pop_front();
    let reply = |status: u16, extra: String, body: String| {
        format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n{extra}\r\n{body}",
            body.len()
        )
    };
    match fault {
        Some(Fault::Status(code, retry_after, message)) => {
            let extra = retry_after
                .map(|s| format!("Retry-After: {s}\r\n"))
                .unwrap_or_default();
            let body = serde_json::json!({"error": {"message": message, "code": code}}).to_string();
            socket
                .write_all(reply(code, extra, body).as_bytes())
                .await?;
            return Ok(());
        }
        Some(Fault::Reset) => {
            // A zero linger resets the connection at once (it does not block).
            #[allow(deprecated)]
            socket.set_linger(Some(Duration::ZERO))?;
            drop(socket);
            return Ok(());
        }
        Some(Fault::EchoAuth) => {
            let auth = head
                .lines()
                .find(|l| l.to_ascii_lowercase().starts_with("authorization:"))
                .unwrap_or("no authorization header")
                .to_string();
            let body = serde_json::json!({"error": {"message": format!("invalid key in {auth}")}})
                .to_string();
            socket
                .write_all(reply(401, String::new(), body).as_bytes())
                .await?;
            return Ok(());
        }
        Some(Fault::Slow(d)) => tokio::time::sleep(d).await,
        Some(Fault::Truncate) | None => {}
    }
    // Forward.
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut up = TcpStream::connect(upstream).await?;
    let request = format!(
        "POST {path} HTTP/1.1\r\nHost: {upstream}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    up.write_all(request.as_bytes()).await?;
    up.write_all(&body).await?;
    let mut response = Vec::new();
    up.read_to_end(&mut response).await?;
    if matches!(fault, Some(Fault::Truncate)) {
        let head_end = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(response.len(), |p| p + 4);
        let cut = head_end + (response.len() - head_end) / 2;
        socket.write_all(&response[..cut]).await?;
        socket.flush().await?;
        return Ok(());
    }
    // Count a delivery before the client can see it: the client may finish
    // and the test read the count before this task runs again. A write that
    // fails was not delivered, so it takes the count back.
    let ok = response.starts_with(b"HTTP/1.1 200");
    if ok {
        *seen
            .lock()
            .unwrap()
            .delivered
            .entry(body_text.clone())
            .or_default() += 1;
    }
    let written = async {
        socket.write_all(&response).await?;
        socket.flush().await
    }
    .await;
    if ok && written.is_err() {
        *seen.lock().unwrap().delivered.entry(body_text).or_default() -= 1;
    }
    written
}

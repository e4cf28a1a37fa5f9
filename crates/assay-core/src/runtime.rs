//! The process-wide async runtime that I/O graders wait on when the caller is synchronous (the
//! CLI, Python, [`Engine::score`](crate::Engine::score)). An async caller (the HTTP server)
//! polls the pipeline on its own tokio runtime instead.
//!
//! The runtime is small (two worker threads): it only waits on sockets and timers; CPU work
//! runs on rayon. A process forked from one that had started it (Python's `multiprocessing`)
//! inherits a runtime whose threads do not exist in the child: the child starts its own and
//! leaves the copy untouched.

use std::sync::Mutex;

use tokio::runtime::{Handle, Runtime};

/// Worker threads of the shared runtime.
const IO_THREADS: usize = 2;

static RUNTIME: Mutex<Option<(u32, &'static Runtime)>> = Mutex::new(None);

/// A handle to the shared I/O runtime of this process, started on first use.
///
/// # Panics
///
/// If the operating system refuses to start the runtime's threads.
pub fn handle() -> Handle {
    let pid = std::process::id();
    let mut guard = RUNTIME.lock().unwrap_or_else(|p| p.into_inner());
    if let Some((owner, runtime)) = *guard {
        if owner == pid {
            return runtime.handle().clone();
        }
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(IO_THREADS)
        .thread_name("assay-io")
        .enable_all()
        .build()
        .expect("cannot start the I/O runtime's threads");
    // Leaked on purpose: one runtime for the life of the process (an inherited one is never
    // dropped either: its threads do not exist in a forked child).
    let runtime: &'static Runtime = Box::leak(Box::new(runtime));
    *guard = Some((pid, runtime));
    runtime.handle().clone()
}

/// One remote model server this process talks to, and what it is doing now: for monitoring
/// (`assay serve` reports these in `/metrics`). The remote graders' backends fill it in.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct RemoteServer {
    /// The server's base URL, without any user name or password it held.
    pub url: String,
    /// Requests in flight now.
    pub in_flight: usize,
    /// The most requests it may have in flight (`max_concurrency`).
    pub max_concurrency: usize,
    /// Whether its circuit breaker is open (refusing requests) now.
    pub breaker_open: bool,
    /// Failed attempts in a row (the breaker opens at `breaker_failures`).
    pub consecutive_failures: u32,
    /// Requests sent so far (retries included).
    pub requests: u64,
    /// Tokens the server reported spending so far (prompt + completion).
    pub tokens: u64,
}

impl RemoteServer {
    /// The server at `url`, with nothing in flight and nothing spent (the struct is
    /// `#[non_exhaustive]`: set the other fields on the value).
    pub fn new(url: impl Into<String>) -> Self {
        RemoteServer {
            url: url.into(),
            in_flight: 0,
            max_concurrency: 0,
            breaker_open: false,
            consecutive_failures: 0,
            requests: 0,
            tokens: 0,
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_runtime_runs_timers() {
        let handle = super::handle();
        let value = handle.block_on(async {
            tokio::time::sleep(std::time::Duration::from_millis(1)).await;
            7
        });
        assert_eq!(value, 7);
        assert_eq!(super::handle().id(), handle.id());
    }
}

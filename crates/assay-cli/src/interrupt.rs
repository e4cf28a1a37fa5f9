//! Ctrl-C: the first SIGINT (or SIGTERM) cancels the run's outstanding work through a
//! [`CancelToken`]; the command then stops and exits 130. A second one exits at once, and so
//! does a run that has not stopped [`GRACE`] after the first (one blocked writing to a pipe
//! nobody reads, say): a signal always ends the process.

use std::time::Duration;

use assay::CancelToken;

/// How long a run may take to stop after the first signal before the process exits anyway.
/// Results already written stay whole lines except perhaps the last, which `--resume` drops.
pub const GRACE: Duration = Duration::from_secs(5);

/// A token that fires on the first SIGINT or SIGTERM of the process.
pub fn on_ctrl_c() -> CancelToken {
    let token = CancelToken::new();
    let fired = token.clone();
    assay::runtime::handle().spawn(async move {
        wait_for_signal().await;
        fired.cancel();
        tokio::select! {
            () = wait_for_signal() => {}
            () = tokio::time::sleep(GRACE) => {
                eprintln!(
                    "interrupted: the run did not stop within {} s of the signal (output \
                     blocked?); exiting now",
                    GRACE.as_secs()
                );
            }
        }
        std::process::exit(130);
    });
    token
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            },
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

//! Ctrl-C: the first SIGINT (or SIGTERM) cancels the run's outstanding work through a
//! [`CancelToken`]; the command then stops and exits 130. A second one exits at once.

use assay::CancelToken;

/// A token that fires on the first SIGINT or SIGTERM of the process.
pub fn on_ctrl_c() -> CancelToken {
    let token = CancelToken::new();
    let fired = token.clone();
    assay::runtime::handle().spawn(async move {
        wait_for_signal().await;
        fired.cancel();
        wait_for_signal().await;
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

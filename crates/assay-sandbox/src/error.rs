//! Errors shared by the supervisor's internal modules: why a cell could not run a task, and
//! why a run stopped early at the caller's request. Kept apart from [`crate::cell`] and
//! [`crate::protocol`] so that neither module depends on the other for its error type.

use std::io;

/// Why a run stopped before its task finished on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The caller raised the cancel flag.
    Cancelled,
    /// The caller's absolute deadline passed.
    Deadline,
}

/// Why a cell could not run a task. The cell is unusable afterwards.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CellError {
    /// The cell failed to start.
    #[error("could not {step}: {error}{remedy}")]
    Spawn {
        /// What was being done.
        step: &'static str,
        /// The OS error.
        error: io::Error,
        /// What to do about it, when the step builds an isolation layer.
        remedy: String,
    },
    /// The zygote broke the protocol, died, or missed its deadline.
    #[error("{0}")]
    Zygote(String),
    /// A system call in the supervisor failed.
    #[error("{0}: {1}")]
    Io(&'static str, io::Error),
    /// The run was stopped (cancelled, or its deadline passed) and the cell did not come back
    /// in time (or was still starting): it was destroyed.
    #[error("stopped: {0:?}")]
    Stopped(Stop),
}

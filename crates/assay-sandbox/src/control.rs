//! What a caller bounds one run with beyond the task's own limits: an absolute deadline and a
//! cancel flag.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::error::Stop;

/// How often a waiting or running call looks at the cancel flag (and so, about how late a
/// cancellation is noticed).
pub(crate) const POLL: Duration = Duration::from_millis(20);

/// Bounds on one [`Sandbox::run_with`](crate::Sandbox::run_with) call beyond the task's own
/// [`Limits`](crate::Limits): an absolute deadline and a cancel flag. The default bounds
/// nothing (that is [`Sandbox::run`](crate::Sandbox::run)).
///
/// - **Deadline**: waiting for an idle cell ends at the deadline
///   ([`RunError::DeadlineBeforeStart`](crate::RunError::DeadlineBeforeStart)); a task that
///   starts runs for at most `min(limits.wall, deadline - now)`, and when the deadline, not
///   its own wall limit, stops it, the call returns
///   [`RunError::DeadlineDuringRun`](crate::RunError::DeadlineDuringRun) (its outcome is
///   unknown), not an [`Execution`](crate::Execution) with status `Timeout`.
/// - **Cancel flag**: once raised, a waiting call returns and a running task is killed (with
///   every process it started) within about 50 ms; the call returns
///   [`RunError::Cancelled`](crate::RunError::Cancelled).
///
/// ```
/// use std::sync::atomic::AtomicBool;
/// use std::sync::Arc;
/// use std::time::{Duration, Instant};
/// use assay_sandbox::RunControl;
///
/// let cancel = Arc::new(AtomicBool::new(false));
/// let control = RunControl::new()
///     .with_deadline(Instant::now() + Duration::from_secs(5))
///     .with_cancel(cancel.clone());
/// assert!(!control.is_cancelled());
/// cancel.store(true, std::sync::atomic::Ordering::Relaxed);
/// assert!(control.is_cancelled());
/// ```
#[derive(Clone, Debug, Default)]
#[non_exhaustive]
pub struct RunControl {
    /// The instant by which the call must have returned (plus a few milliseconds); `None`
    /// for no bound beyond the task's own limits.
    pub deadline: Option<Instant>,
    /// Raised (set to `true`) by the caller to stop the call: a waiting call returns, a
    /// running task is killed.
    pub cancel: Option<Arc<AtomicBool>>,
}

impl RunControl {
    /// No deadline and no cancel flag.
    pub fn new() -> RunControl {
        RunControl::default()
    }

    /// Sets the absolute deadline.
    pub fn with_deadline(mut self, deadline: Instant) -> RunControl {
        self.deadline = Some(deadline);
        self
    }

    /// Sets the cancel flag.
    pub fn with_cancel(mut self, cancel: Arc<AtomicBool>) -> RunControl {
        self.cancel = Some(cancel);
        self
    }

    /// Whether the cancel flag is raised.
    pub fn is_cancelled(&self) -> bool {
        self.cancel
            .as_ref()
            .is_some_and(|flag| flag.load(Ordering::Relaxed))
    }

    /// Time left before the deadline (zero once it has passed), or `None` without one.
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Whether the call is bounded at all (a waiting loop must then wake up to look).
    pub(crate) fn is_bounded(&self) -> bool {
        self.deadline.is_some() || self.cancel.is_some()
    }

    /// Why the call must stop now, if it must: cancellation first, then the deadline.
    pub(crate) fn stop(&self) -> Option<Stop> {
        if self.is_cancelled() {
            Some(Stop::Cancelled)
        } else if self.deadline.is_some_and(|d| Instant::now() >= d) {
            Some(Stop::Deadline)
        } else {
            None
        }
    }

    /// How long a wait may block before it must look at the flag and the deadline again:
    /// at most `limit`, at most [`POLL`] with a cancel flag, and never past the deadline.
    pub(crate) fn wait_step(&self, limit: Duration) -> Duration {
        let mut step = limit;
        if self.cancel.is_some() {
            step = step.min(POLL);
        }
        if let Some(left) = self.remaining() {
            step = step.min(left);
        }
        step
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_for_cancellation_first_then_the_deadline() {
        let flag = Arc::new(AtomicBool::new(false));
        let past = Instant::now() - Duration::from_millis(1);
        let control = RunControl::new().with_cancel(flag.clone());
        assert_eq!(control.stop(), None);
        assert!(control.is_bounded());
        assert_eq!(control.wait_step(Duration::from_secs(9)), POLL);
        let control = control.with_deadline(past);
        assert_eq!(control.stop(), Some(Stop::Deadline));
        assert_eq!(control.remaining(), Some(Duration::ZERO));
        flag.store(true, Ordering::Relaxed);
        assert_eq!(control.stop(), Some(Stop::Cancelled));
        let none = RunControl::new();
        assert!(!none.is_bounded());
        assert_eq!(none.stop(), None);
        assert_eq!(none.remaining(), None);
        assert_eq!(
            none.wait_step(Duration::from_secs(9)),
            Duration::from_secs(9)
        );
    }
}

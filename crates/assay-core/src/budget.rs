//! Deadlines, cancellation and work budgets. Graders never rely on signals or thread kills:
//! pure computation checks its [`Budget`] as it goes (cheaply, through a [`Meter`]), executed
//! code is killed by the process supervisor at the same deadline, and remote calls are aborted
//! when the budget's [`CancelToken`] fires.
//!
//! Deadlines are absolute instants. A request's deadline and an item's own timeout meet in the
//! item's budget as the earlier of the two, and the budget is handed down unchanged to every
//! sub-grader, sandboxed test and remote call of the item: nothing restarts the clock.

use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Notify;

/// A flag that tells outstanding work to stop: raised when a client disconnects, on Ctrl-C or
/// a Python `KeyboardInterrupt`, or when a request's deadline has passed and its results were
/// already given. Cheap to clone; every clone sees the same flag.
#[derive(Debug, Clone, Default)]
pub struct CancelToken {
    inner: Arc<CancelInner>,
}

#[derive(Debug, Default)]
struct CancelInner {
    flag: Arc<AtomicBool>,
    notify: Notify,
}

impl CancelToken {
    /// A token that has not fired.
    pub fn new() -> Self {
        CancelToken::default()
    }

    /// Fires the token: every holder sees [`is_cancelled`](Self::is_cancelled) and every
    /// [`cancelled`](Self::cancelled) future resolves. Firing twice is harmless.
    pub fn cancel(&self) {
        self.inner.flag.store(true, Ordering::SeqCst);
        self.inner.notify.notify_waiters();
    }

    /// Whether the token has fired.
    pub fn is_cancelled(&self) -> bool {
        self.inner.flag.load(Ordering::Relaxed)
    }

    /// The flag itself, for code that cannot depend on this crate (the sandbox polls it while
    /// a task runs).
    pub fn flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.inner.flag)
    }

    /// Resolves once the token fires (at once if it already has). For `tokio::select!`
    /// against a remote call.
    pub async fn cancelled(&self) {
        loop {
            let notified = self.inner.notify.notified();
            tokio::pin!(notified);
            // Register before checking, so a cancel between the check and the await is not
            // missed.
            notified.as_mut().enable();
            if self.is_cancelled() {
                return;
            }
            notified.await;
        }
    }

    /// A guard that fires the token when dropped, unless [`disarm`](CancelOnDrop::disarm)ed:
    /// hold one in a request handler and a dropped request (a client that went away) stops
    /// its work.
    pub fn cancel_on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(Some(self.clone()))
    }
}

/// Fires its [`CancelToken`] when dropped (see [`CancelToken::cancel_on_drop`]).
#[derive(Debug)]
pub struct CancelOnDrop(Option<CancelToken>);

impl CancelOnDrop {
    /// Keeps the token from firing: the work finished and its results were delivered.
    pub fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(token) = self.0.take() {
            token.cancel();
        }
    }
}

/// The time one item may take: when its grading started, the absolute instant by which it must
/// end, and the cancellation token of its request.
#[derive(Debug, Clone)]
pub struct Budget {
    start: Instant,
    deadline: Option<Instant>,
    cancel: Option<CancelToken>,
}

impl Budget {
    /// A budget of `timeout` starting now; `None` means no deadline.
    pub fn new(timeout: Option<Duration>) -> Self {
        let start = Instant::now();
        Budget {
            start,
            deadline: timeout.and_then(|t| start.checked_add(t)),
            cancel: None,
        }
    }

    /// A budget that started at `start` and ends at `deadline` (an absolute instant).
    pub fn until(start: Instant, deadline: Option<Instant>) -> Self {
        Budget {
            start,
            deadline,
            cancel: None,
        }
    }

    /// A budget without a deadline.
    pub fn unlimited() -> Self {
        Budget::new(None)
    }

    /// The same budget, also ended by `cancel`.
    pub fn with_cancel(mut self, cancel: CancelToken) -> Self {
        self.cancel = Some(cancel);
        self
    }

    /// The same budget with its deadline moved to `deadline` if that is earlier.
    pub fn capped(mut self, deadline: Option<Instant>) -> Self {
        self.deadline = earliest(self.deadline, deadline);
        self
    }

    /// When grading started.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// The deadline, if any.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// The cancellation token, if the budget has one.
    pub fn cancel_token(&self) -> Option<&CancelToken> {
        self.cancel.as_ref()
    }

    /// Time left before the deadline (`None` when there is no deadline).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Whether the work must stop: the deadline passed or the request was cancelled.
    pub fn expired(&self) -> bool {
        self.is_cancelled() || self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// Whether the request this budget belongs to was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(CancelToken::is_cancelled)
    }

    /// `Err(Expired)` once the deadline has passed or the request was cancelled.
    pub fn check(&self) -> Result<(), Expired> {
        if self.expired() {
            Err(Expired {
                after: self.start.elapsed(),
                cancelled: self.is_cancelled(),
            })
        } else {
            Ok(())
        }
    }

    /// A step counter that looks at the clock only every `stride` steps, for tight loops.
    pub fn meter(&self, stride: u32) -> Meter<'_> {
        Meter {
            budget: self,
            stride: stride.max(1),
            countdown: stride.max(1),
        }
    }
}

/// The earlier of two optional deadlines (`None` is no deadline).
pub fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// Counts work steps and checks the clock every `stride` of them.
#[derive(Debug)]
pub struct Meter<'a> {
    budget: &'a Budget,
    stride: u32,
    countdown: u32,
}

impl Meter<'_> {
    /// Records one step; `Err(Expired)` once the deadline has passed.
    #[inline]
    pub fn tick(&mut self) -> Result<(), Expired> {
        self.countdown -= 1;
        if self.countdown == 0 {
            self.countdown = self.stride;
            self.budget.check()
        } else {
            Ok(())
        }
    }
}

/// The deadline passed, or the request was cancelled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expired {
    /// How long the item had run when this was noticed.
    pub after: Duration,
    /// Whether the request was cancelled (rather than out of time).
    pub cancelled: bool,
}

impl fmt::Display for Expired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = if self.cancelled {
            "the request was cancelled"
        } else {
            "deadline passed"
        };
        write!(f, "{what} after {:.1} ms", self.after.as_secs_f64() * 1e3)
    }
}

impl std::error::Error for Expired {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unlimited_budget_never_expires() {
        let budget = Budget::unlimited();
        assert!(!budget.expired());
        assert!(budget.remaining().is_none());
        let mut meter = budget.meter(1);
        for _ in 0..1000 {
            meter.tick().unwrap();
        }
    }

    #[test]
    fn zero_budget_is_expired_and_meter_notices_within_a_stride() {
        let budget = Budget::new(Some(Duration::ZERO));
        assert!(budget.expired());
        assert!(budget.check().is_err());
        let mut meter = budget.meter(16);
        let ticks = (1..=16).find(|_| meter.tick().is_err());
        assert_eq!(ticks, Some(16));
    }

    #[test]
    fn generous_budget_is_not_expired() {
        let budget = Budget::new(Some(Duration::from_secs(3600)));
        assert!(!budget.expired());
        assert!(budget.remaining().unwrap() > Duration::from_secs(3000));
    }

    #[test]
    fn cancellation_expires_a_budget_without_a_deadline() {
        let token = CancelToken::new();
        let budget = Budget::unlimited().with_cancel(token.clone());
        assert!(budget.check().is_ok());
        token.cancel();
        let err = budget.check().unwrap_err();
        assert!(err.cancelled);
        assert!(err.to_string().starts_with("the request was cancelled"));
    }

    #[test]
    fn capping_keeps_the_earlier_deadline() {
        let now = Instant::now();
        let soon = now + Duration::from_millis(10);
        let late = now + Duration::from_secs(10);
        assert_eq!(
            Budget::until(now, Some(late)).capped(Some(soon)).deadline(),
            Some(soon)
        );
        assert_eq!(
            Budget::until(now, Some(soon)).capped(Some(late)).deadline(),
            Some(soon)
        );
        assert_eq!(Budget::until(now, None).capped(None).deadline(), None);
        assert_eq!(earliest(None, Some(soon)), Some(soon));
    }

    #[test]
    fn cancel_on_drop_fires_unless_disarmed() {
        let token = CancelToken::new();
        token.cancel_on_drop().disarm();
        assert!(!token.is_cancelled());
        drop(token.cancel_on_drop());
        assert!(token.is_cancelled());
    }

    #[test]
    fn cancelled_future_resolves_after_cancel_from_another_thread() {
        let token = CancelToken::new();
        let remote = token.clone();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let waiter = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(20));
            remote.cancel();
        });
        runtime.block_on(async {
            tokio::time::timeout(Duration::from_secs(5), token.cancelled())
                .await
                .expect("the cancelled future resolves");
        });
        waiter.join().unwrap();
        // Already fired: resolves at once.
        runtime.block_on(token.cancelled());
    }
}

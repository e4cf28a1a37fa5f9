//! Deadlines and work budgets. Graders never rely on signals or thread kills: pure computation
//! checks its [`Budget`] as it goes (cheaply, through a [`Meter`]), and executed code is killed by
//! the process supervisor at the same deadline.

use std::fmt;
use std::time::{Duration, Instant};

/// The time an item may take, counted from when its grading starts.
#[derive(Debug, Clone, Copy)]
pub struct Budget {
    start: Instant,
    deadline: Option<Instant>,
}

impl Budget {
    /// A budget of `timeout` starting now; `None` means no deadline.
    pub fn new(timeout: Option<Duration>) -> Self {
        let start = Instant::now();
        Budget {
            start,
            deadline: timeout.and_then(|t| start.checked_add(t)),
        }
    }

    /// A budget without a deadline.
    pub fn unlimited() -> Self {
        Budget::new(None)
    }

    /// When grading started.
    pub fn start(&self) -> Instant {
        self.start
    }

    /// The deadline, if any.
    pub fn deadline(&self) -> Option<Instant> {
        self.deadline
    }

    /// Time left before the deadline (`None` when there is no deadline).
    pub fn remaining(&self) -> Option<Duration> {
        self.deadline
            .map(|d| d.saturating_duration_since(Instant::now()))
    }

    /// Whether the deadline has passed.
    pub fn expired(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }

    /// `Err(Expired)` once the deadline has passed.
    pub fn check(&self) -> Result<(), Expired> {
        if self.expired() {
            Err(Expired {
                after: self.start.elapsed(),
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

/// The deadline passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expired {
    /// How long the item had run when the deadline was noticed.
    pub after: Duration,
}

impl fmt::Display for Expired {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "deadline passed after {:.1} ms",
            self.after.as_secs_f64() * 1e3
        )
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
}

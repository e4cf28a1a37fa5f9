//! Work budgets: every engine function takes one, so hostile input costs bounded work.
//!
//! A [`Budget`] combines an optional wall-clock deadline with a step counter. Engine code
//! charges steps as it works (one per token, per arithmetic operation, per series term …)
//! and stops with [`Exhausted`] when either runs out. No signals and no threads are used,
//! so a budget is safe in any worker thread.

use std::fmt;
use std::time::{Duration, Instant};

/// Default number of work steps granted to one comparison. A step is roughly 50 ns of
/// work, so this bounds a comparison near 10 ms on any input; ordinary pairs use a few
/// hundred steps, and the heaviest MATH-500 pairs well under 20,000.
pub const DEFAULT_STEPS: u64 = 200_000;

/// How often (in steps) the clock is read; reading it on every step would dominate cost.
const CLOCK_EVERY: u64 = 1024;

/// A work budget: a step counter plus an optional deadline.
#[derive(Debug, Clone)]
pub struct Budget {
    steps_left: u64,
    deadline: Option<Instant>,
    until_clock: u64,
}

/// Why work stopped before a verdict was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exhausted {
    /// The deadline passed.
    Deadline,
    /// The step counter reached zero.
    Steps,
    /// The input asks for a value too large to compute (a huge exponent, a huge factorial,
    /// nesting deeper than the parser allows, an oversized input). The message names it.
    TooLarge(String),
}

impl fmt::Display for Exhausted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Exhausted::Deadline => write!(f, "deadline passed before a verdict was reached"),
            Exhausted::Steps => write!(f, "work budget (step count) exhausted"),
            Exhausted::TooLarge(what) => write!(f, "refused: {what}"),
        }
    }
}

impl std::error::Error for Exhausted {}

impl Default for Budget {
    fn default() -> Self {
        Budget::steps(DEFAULT_STEPS)
    }
}

impl Budget {
    /// A budget of `steps` work steps and no deadline.
    pub fn steps(steps: u64) -> Self {
        Budget {
            steps_left: steps,
            deadline: None,
            until_clock: CLOCK_EVERY,
        }
    }

    /// A budget of [`DEFAULT_STEPS`] steps that also stops after `timeout`.
    pub fn with_timeout(timeout: Duration) -> Self {
        Budget::default().deadline(Instant::now() + timeout)
    }

    /// Adds (or replaces) a wall-clock deadline.
    pub fn deadline(mut self, at: Instant) -> Self {
        self.deadline = Some(at);
        self
    }

    /// Steps still available.
    pub fn steps_left(&self) -> u64 {
        self.steps_left
    }

    /// Charges `n` steps; fails when the budget or the deadline is exhausted.
    #[inline]
    pub fn charge(&mut self, n: u64) -> Result<(), Exhausted> {
        if self.steps_left < n {
            self.steps_left = 0;
            return Err(Exhausted::Steps);
        }
        self.steps_left -= n;
        if let Some(deadline) = self.deadline {
            if self.until_clock <= n {
                self.until_clock = CLOCK_EVERY;
                if Instant::now() >= deadline {
                    return Err(Exhausted::Deadline);
                }
            } else {
                self.until_clock -= n;
            }
        }
        Ok(())
    }

    /// Charges one step.
    #[inline]
    pub fn tick(&mut self) -> Result<(), Exhausted> {
        self.charge(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_run_out() {
        let mut b = Budget::steps(3);
        assert!(b.charge(2).is_ok());
        assert!(b.tick().is_ok());
        assert_eq!(b.tick(), Err(Exhausted::Steps));
    }

    #[test]
    fn deadline_is_checked() {
        let mut b = Budget::steps(u64::MAX).deadline(Instant::now());
        let mut failed = false;
        for _ in 0..(2 * CLOCK_EVERY) {
            if b.tick().is_err() {
                failed = true;
                break;
            }
        }
        assert!(failed);
    }
}

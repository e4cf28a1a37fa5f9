//! Work allowances: every engine function takes one, so hostile input costs bounded work.
//!
//! A [`Steps`] is a step counter that also stops at the deadline and cancellation of the
//! item's [`Budget`] (the one budget type of Assay, from `assay-core`). Engine code charges
//! steps as it works (one per token, per arithmetic operation, per series term …) and stops
//! with [`Exhausted`] when either runs out. No signals and no threads are used, so it is safe
//! in any worker thread.

use std::fmt;
use std::time::{Duration, Instant};

use assay_core::Budget;

/// Default number of work steps granted to one comparison. A step is roughly 50 ns of
/// work, so this bounds a comparison near 10 ms on any input; ordinary pairs use a few
/// hundred steps, and the heaviest MATH-500 pairs well under 20,000.
pub const DEFAULT_STEPS: u64 = 200_000;

/// How often (in steps) the clock is read; reading it on every step would dominate cost.
const CLOCK_EVERY: u64 = 1024;

/// A work allowance: a step counter, within an optional [`Budget`] (deadline and
/// cancellation).
#[derive(Debug, Clone)]
pub struct Steps {
    steps_left: u64,
    budget: Option<Budget>,
    until_clock: u64,
}

/// Why work stopped before a verdict was reached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exhausted {
    /// The deadline passed, or the request was cancelled.
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

impl Default for Steps {
    fn default() -> Self {
        Steps::new(DEFAULT_STEPS)
    }
}

impl Steps {
    /// An allowance of `steps` work steps and no deadline.
    pub fn new(steps: u64) -> Self {
        Steps {
            steps_left: steps,
            budget: None,
            until_clock: CLOCK_EVERY,
        }
    }

    /// An allowance of [`DEFAULT_STEPS`] steps that also stops after `timeout`.
    pub fn with_timeout(timeout: Duration) -> Self {
        Steps::default().within(Budget::new(Some(timeout)))
    }

    /// Adds (or replaces) a wall-clock deadline.
    pub fn deadline(self, at: Instant) -> Self {
        self.within(Budget::until(Instant::now(), Some(at)))
    }

    /// Also stops when `budget`'s deadline passes or its request is cancelled.
    pub fn within(mut self, budget: Budget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// The budget this allowance is within, if any.
    pub fn budget(&self) -> Option<&Budget> {
        self.budget.as_ref()
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
        if let Some(budget) = &self.budget {
            if self.until_clock <= n {
                self.until_clock = CLOCK_EVERY;
                if budget.expired() {
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
        let mut b = Steps::new(3);
        assert!(b.charge(2).is_ok());
        assert!(b.tick().is_ok());
        assert_eq!(b.tick(), Err(Exhausted::Steps));
    }

    #[test]
    fn deadline_is_checked() {
        let mut b = Steps::new(u64::MAX).deadline(Instant::now());
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

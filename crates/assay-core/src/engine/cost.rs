//! What grading an item of one grader has been costing, so that the engine can grade batches
//! that cost less than a thread hop on the caller's thread.
//!
//! Handing a batch to the CPU pool and getting its results back wakes two threads. On a busy
//! server that costs more than grading a short item does (a `string_check` item takes about
//! 2 µs, a math item 5 to 15 µs; bench/server/NOTES.md has the measurements). So each grader
//! keeps a running estimate of its time per item, and a batch whose estimate is under
//! [`INLINE_BUDGET`] is graded where the request is being driven, even by an async caller: that
//! is less time than tokio asks a task to run between two awaits.
//!
//! The estimate rises at once when a batch is slower than it (one slow item sends the next
//! batches back to the pool) and falls back slowly when batches are faster. A grader that has
//! not graded anything yet has no estimate and goes to the pool, and so do batches whose
//! texts are long ([`INLINE_BYTES`]): an estimate made on short answers says nothing about a
//! megabyte of hostile output. The item's own budget still bounds a batch graded inline: an
//! item that turns out slow stops at its deadline like any other, but it holds the thread
//! driving its request until then (an async runtime worker, for the server), once: its time
//! sets the estimate, and the grader's next batches go to the pool until dozens of fast ones
//! have brought the estimate back down (from 5 ms, about 35 batches; from 1 s, about 75).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// The most time the batches of one request may be expected to take on the caller's thread.
pub(crate) const INLINE_BUDGET: Duration = Duration::from_micros(50);

/// The most text (responses and string references) the batches of one request graded on the
/// caller's thread may hold.
pub(crate) const INLINE_BYTES: usize = 16 * 1024;

/// The length of an input's response and string reference (0 for a malformed input, which is
/// not graded).
pub(crate) fn text_bytes(input: &crate::Input) -> usize {
    input.as_ref().map_or(0, |item| {
        item.response_text().len() + item.reference.as_str().map_or(0, str::len)
    })
}

/// No estimate yet: the grader has not reported the time of an item.
const UNKNOWN: u64 = u64::MAX;

/// A grader's running estimate of its time per item, in nanoseconds.
#[derive(Debug)]
pub(crate) struct CostEstimate {
    nanos_per_item: AtomicU64,
}

impl Default for CostEstimate {
    fn default() -> Self {
        CostEstimate {
            nanos_per_item: AtomicU64::new(UNKNOWN),
        }
    }
}

impl CostEstimate {
    /// The expected time of a batch of `items` items, or `None` before the first report.
    pub(crate) fn expected(&self, items: usize) -> Option<Duration> {
        match self.nanos_per_item.load(Ordering::Relaxed) {
            UNKNOWN => None,
            nanos => Some(Duration::from_nanos(nanos.saturating_mul(items as u64))),
        }
    }

    /// Takes in a batch whose `items` items took `total` together: a slower batch sets the
    /// estimate, a faster one moves it an eighth of the way down.
    pub(crate) fn observe(&self, total: Duration, items: usize) {
        if items == 0 {
            return;
        }
        // Below `UNKNOWN`, so that a report never reads as no report.
        let sample = (total.as_nanos() / items as u128).min(u128::from(UNKNOWN - 1)) as u64;
        // Concurrent batches may race here; either update is a fair estimate, so a plain
        // load-then-store is enough.
        let current = self.nanos_per_item.load(Ordering::Relaxed);
        let next = if current == UNKNOWN || sample >= current {
            sample
        } else {
            current - (current - sample) / 8
        };
        self.nanos_per_item.store(next, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const US: Duration = Duration::from_micros(1);

    #[test]
    fn a_grader_with_no_report_has_no_estimate() {
        assert_eq!(CostEstimate::default().expected(1), None);
    }

    #[test]
    fn the_estimate_scales_with_the_batch() {
        let cost = CostEstimate::default();
        cost.observe(20 * US, 10);
        assert_eq!(cost.expected(1), Some(2 * US));
        assert_eq!(cost.expected(25), Some(50 * US));
    }

    #[test]
    fn a_slow_batch_raises_the_estimate_at_once_and_fast_ones_lower_it_slowly() {
        let cost = CostEstimate::default();
        cost.observe(2 * US, 1);
        cost.observe(Duration::from_millis(1), 1);
        assert_eq!(cost.expected(1), Some(Duration::from_millis(1)));
        cost.observe(2 * US, 1);
        let after_one = cost.expected(1).unwrap();
        assert!(after_one < Duration::from_millis(1) && after_one > 800 * US);
        for _ in 0..100 {
            cost.observe(2 * US, 1);
        }
        assert!(cost.expected(1).unwrap() < 3 * US);
    }

    #[test]
    fn after_a_slow_item_dozens_of_fast_batches_bring_the_estimate_under_the_budget() {
        // The figures the module's documentation gives.
        for (slow, needed) in [(Duration::from_millis(5), 35), (Duration::from_secs(1), 75)] {
            let cost = CostEstimate::default();
            cost.observe(slow, 1);
            let mut batches: u32 = 0;
            while cost.expected(1).unwrap() > INLINE_BUDGET {
                cost.observe(2 * US, 1);
                batches += 1;
            }
            assert!(batches.abs_diff(needed) <= 1, "{slow:?}: {batches} batches");
        }
    }

    #[test]
    fn an_empty_batch_and_huge_times_do_not_break_it() {
        let cost = CostEstimate::default();
        cost.observe(US, 0);
        assert_eq!(cost.expected(1), None);
        cost.observe(Duration::MAX, 1);
        assert!(cost.expected(1).is_some());
        assert!(cost.expected(usize::MAX).is_some());
    }
}

//! The grader abstraction.
//!
//! A [`Grader`] is batch-first: the engine hands it a batch of items so that graders backed by a
//! model, a sandbox or a database can schedule their work. Graders that look at one item at a
//! time implement [`Grader::grade`] and inherit the batch method.
//!
//! Every item has a [`Budget`]. Pure computation checks it as it goes and returns
//! [`Outcome::timeout`] when it runs out; nothing is interrupted from outside.

use std::sync::Arc;
use std::time::Duration;

use crate::{Budget, Item, Outcome};

/// A configured unit that scores items. Implementations must be cheap to share across threads:
/// the engine calls them from many worker threads at once.
pub trait Grader: Send + Sync {
    /// The names of the components this grader reports, fixed for its configuration. Outcomes
    /// may leave some out (they become `null`); they must not add others.
    fn components(&self) -> Vec<String>;

    /// Grades one item within `budget`.
    fn grade(&self, item: &Item, budget: &Budget) -> Outcome;

    /// Grades a batch, one outcome per item, in order. The engine keeps the items of one
    /// `group` in the same batch. The default grades the items one after another, each with a
    /// fresh budget from `ctx`.
    fn grade_batch(&self, items: &[&Item], ctx: &BatchContext) -> Vec<Outcome> {
        items
            .iter()
            .map(|item| ctx.grade_timed(self, item))
            .collect()
    }
}

/// A grader shared between the engine and the graders that compose it.
pub type SharedGrader = Arc<dyn Grader>;

/// What a grader knows about the batch it is grading.
#[derive(Debug, Clone, Copy)]
pub struct BatchContext {
    timeout: Option<Duration>,
}

impl BatchContext {
    /// A context whose items each have `timeout` (none: unlimited).
    pub fn new(timeout: Option<Duration>) -> Self {
        BatchContext { timeout }
    }

    /// The per-item time limit.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// A fresh budget for one item, starting now.
    pub fn item_budget(&self) -> Budget {
        Budget::new(self.timeout)
    }

    /// Grades one item with `grader` under a fresh budget and records the time it took: the
    /// per-item step of [`Grader::grade_batch`], for graders that schedule items themselves
    /// (in parallel, say).
    pub fn grade_timed<G: Grader + ?Sized>(&self, grader: &G, item: &Item) -> Outcome {
        let budget = self.item_budget();
        let mut outcome = grader.grade(item, &budget);
        outcome.elapsed = Some(budget.start().elapsed());
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Echo;
    impl Grader for Echo {
        fn components(&self) -> Vec<String> {
            vec!["len".into()]
        }
        fn grade(&self, item: &Item, _budget: &Budget) -> Outcome {
            let len = item.response_text().len() as f64;
            Outcome::ok(len).component("len", len)
        }
    }

    #[test]
    fn default_batch_grades_in_order() {
        let items = [Item::new("a", ""), Item::new("abc", ""), Item::new("", "")];
        let refs: Vec<&Item> = items.iter().collect();
        let rewards: Vec<_> = Echo
            .grade_batch(&refs, &BatchContext::new(None))
            .into_iter()
            .map(|o| o.reward)
            .collect();
        assert_eq!(rewards, [Some(1.0), Some(3.0), Some(0.0)]);
    }
}

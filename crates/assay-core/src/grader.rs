//! The grader abstraction.
//!
//! A [`Grader`] is batch-first: the engine hands it a [`Batch`] of items so that graders backed
//! by a model, a sandbox or a database can schedule their work. There are two kinds:
//!
//! - **CPU graders** (the default) implement [`Grader::grade`], and [`Grader::grade_batch`] if
//!   they schedule a batch themselves. The engine runs them on its rayon pool, or on the
//!   calling thread for batches that cost less than the hop there (see
//!   [`BatchContext::spawn_cpu`]).
//! - **I/O graders** (remote reward models, judges) override [`Grader::grade_async`]: their
//!   batch is a future on the engine's async runtime that holds no CPU thread while it waits.
//!
//! A composition ([`crate::compose`]) can mix both: it awaits each sub-grader's
//! [`Grader::grade_async`].
//!
//! Every item has a [`Budget`]: the earlier of its request's deadline and its own timeout,
//! counted from when its grading first started, plus the request's [`CancelToken`]. Pure
//! computation checks it as it goes and returns [`Outcome::expired`] when it runs out; nothing
//! is interrupted from outside. The budget is shared by everything that grades the item
//! (sub-graders, sandboxed tests, remote calls): nothing restarts the clock.

use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::budget::earliest;
use crate::{Budget, CancelToken, ErrorKind, Input, Item, Outcome};

/// A boxed future that can be sent between threads: what [`Grader::grade_async`] returns.
pub type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// A configured unit that scores items. Implementations must be cheap to share across threads:
/// the engine calls them from many worker threads at once.
pub trait Grader: Send + Sync + 'static {
    /// The names of the components this grader reports, fixed for its configuration. Outcomes
    /// may leave some out (they become `null`); they must not add others.
    fn components(&self) -> Vec<String>;

    /// Grades one item within `budget`. I/O graders implement it by waiting for
    /// [`grade_async`](Grader::grade_async) (see [`block_on_io`]).
    fn grade(&self, item: &Item, budget: &Budget) -> Outcome;

    /// Grades a batch, one outcome per item, in order. The engine keeps the items of one
    /// `group` in the same batch. The default grades the items in parallel on the current
    /// rayon pool, each under its own budget from `ctx` ([`BatchContext::grade_timed`]: a
    /// panic becomes an `error` of kind `panic` for that item alone).
    fn grade_batch(&self, items: &[&Item], ctx: &BatchContext) -> Vec<Outcome> {
        if items.len() <= 1 {
            return items
                .iter()
                .enumerate()
                .map(|(k, item)| ctx.grade_timed(self, k, item))
                .collect();
        }
        items
            .par_iter()
            .enumerate()
            .map(|(k, item)| ctx.grade_timed(self, k, item))
            .collect()
    }

    /// Grades a batch as a future. The default runs [`grade_batch`](Grader::grade_batch) on
    /// the engine's CPU pool. I/O graders override it to await remote calls on the async
    /// runtime, with their own bounded concurrency, honouring each item's budget and the
    /// request's cancellation (`ctx.cancel_token()`).
    fn grade_async(self: Arc<Self>, batch: Batch, ctx: BatchContext) -> BoxFuture<Vec<Outcome>> {
        let n = batch.len();
        let work = ctx.clone().spawn_cpu(move || {
            let items = batch.items();
            self.grade_batch(&items, &ctx)
        });
        Box::pin(async move {
            work.await
                .unwrap_or_else(|panic| vec![Outcome::error(ErrorKind::Panic, panic.message()); n])
        })
    }
}

/// A grader shared between the engine and the graders that compose it.
pub type SharedGrader = Arc<dyn Grader>;

/// The items of one batch: a cheap handle onto the request's inputs.
#[derive(Clone)]
pub struct Batch {
    inputs: Arc<[Input]>,
    members: Arc<[usize]>,
}

impl std::fmt::Debug for Batch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batch")
            .field("len", &self.members.len())
            .finish()
    }
}

impl Batch {
    /// A batch of `items` (for tests and for calling a grader directly).
    pub fn new(items: Vec<Item>) -> Batch {
        let n = items.len();
        Batch {
            inputs: items.into_iter().map(Ok).collect(),
            members: (0..n).collect(),
        }
    }

    /// The batch of `members` (indices into `inputs`, each an item).
    pub(crate) fn of(inputs: Arc<[Input]>, members: Arc<[usize]>) -> Batch {
        debug_assert!(members.iter().all(|&i| inputs[i].is_ok()));
        Batch { inputs, members }
    }

    /// How many items it holds.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// The `k`-th item.
    pub fn item(&self, k: usize) -> &Item {
        self.inputs[self.members[k]]
            .as_ref()
            .expect("a batch holds only items")
    }

    /// Its items, in order.
    pub fn items(&self) -> Vec<&Item> {
        (0..self.len()).map(|k| self.item(k)).collect()
    }

    /// The batch of the items at `positions` (of this batch), in that order: for a grader that
    /// passes only some items on (a gate whose primary reward failed the threshold).
    pub fn subset(&self, positions: &[usize]) -> Batch {
        Batch {
            inputs: Arc::clone(&self.inputs),
            members: positions.iter().map(|&k| self.members[k]).collect(),
        }
    }
}

/// What every batch of one request shares.
#[derive(Debug, Default, Clone)]
struct RequestClock {
    deadline: Option<Instant>,
    cancel: CancelToken,
    /// When each input's grading first started, by input index.
    starts: Box<[OnceLock<Instant>]>,
    pool: Option<Arc<rayon::ThreadPool>>,
}

/// What a grader knows about the batch it is grading: the request's deadline and cancellation,
/// the item timeout of the grader the items were routed to, and when each item's grading
/// started.
#[derive(Debug, Clone)]
pub struct BatchContext {
    timeout: Option<Duration>,
    clock: Arc<RequestClock>,
    /// For each position of the batch, the index of its input in the request (empty for a
    /// context made with [`BatchContext::new`]: each item then starts its own clock).
    slots: Arc<[usize]>,
    /// Run [`spawn_cpu`](Self::spawn_cpu) work on the calling thread: set by the engine for
    /// batches that cost less than a hop to the pool and back (which wakes two threads), and
    /// for the one item of a blocking request, whose caller waits anyway.
    inline_cpu: bool,
}

impl BatchContext {
    /// A context whose items each have `timeout` (none: unlimited), no request deadline and
    /// no cancellation: for tests and for calling a grader directly.
    pub fn new(timeout: Option<Duration>) -> Self {
        BatchContext {
            timeout,
            clock: Arc::new(RequestClock::default()),
            slots: Arc::from(Vec::new()),
            inline_cpu: false,
        }
    }

    /// The same context with a request deadline (an absolute instant).
    pub fn with_deadline(mut self, deadline: Option<Instant>) -> Self {
        Arc::make_mut(&mut self.clock).deadline = deadline;
        self
    }

    /// The same context with the request's cancellation token.
    pub fn with_cancel(mut self, cancel: CancelToken) -> Self {
        Arc::make_mut(&mut self.clock).cancel = cancel;
        self
    }

    pub(crate) fn for_request(
        inputs: usize,
        deadline: Option<Instant>,
        cancel: CancelToken,
        pool: Option<Arc<rayon::ThreadPool>>,
    ) -> BatchContext {
        BatchContext {
            timeout: None,
            clock: Arc::new(RequestClock {
                deadline,
                cancel,
                starts: (0..inputs).map(|_| OnceLock::new()).collect(),
                pool,
            }),
            slots: Arc::from(Vec::new()),
            inline_cpu: false,
        }
    }

    /// The context of one batch of the request: its members and its grader's timeout.
    pub(crate) fn for_batch(&self, members: Arc<[usize]>, timeout: Option<Duration>) -> Self {
        BatchContext {
            timeout,
            clock: Arc::clone(&self.clock),
            slots: members,
            inline_cpu: false,
        }
    }

    /// The context of `positions` of this batch, in that order (see [`Batch::subset`]).
    pub fn subset(&self, positions: &[usize]) -> Self {
        let slots = if self.slots.is_empty() {
            Arc::from(Vec::new())
        } else {
            positions.iter().map(|&k| self.slots[k]).collect()
        };
        BatchContext {
            timeout: self.timeout,
            clock: Arc::clone(&self.clock),
            slots,
            inline_cpu: self.inline_cpu,
        }
    }

    /// The same context, running CPU work on the calling thread (see `inline_cpu`).
    pub(crate) fn inline_cpu(mut self) -> Self {
        self.inline_cpu = true;
        self
    }

    /// The per-item time limit.
    pub fn timeout(&self) -> Option<Duration> {
        self.timeout
    }

    /// The request's deadline, if any.
    pub fn deadline(&self) -> Option<Instant> {
        self.clock.deadline
    }

    /// The request's cancellation token.
    pub fn cancel_token(&self) -> &CancelToken {
        &self.clock.cancel
    }

    /// `Err` once the request's deadline has passed or it was cancelled: for batch graders to
    /// check before they start any work (it starts no item's clock).
    pub fn check_request(&self) -> Result<(), crate::Expired> {
        Budget::until(Instant::now(), self.clock.deadline)
            .with_cancel(self.clock.cancel.clone())
            .check()
    }

    /// When the grading of input `index` of the request first started, if it has.
    pub(crate) fn started_input(&self, index: usize) -> Option<Instant> {
        self.clock.starts.get(index)?.get().copied()
    }

    /// When the grading of the `k`-th item first started (by any grader), if it has.
    pub fn started(&self, k: usize) -> Option<Instant> {
        let slot = *self.slots.get(k)?;
        self.clock.starts.get(slot)?.get().copied()
    }

    /// The budget of the `k`-th item of the batch. Its clock starts the first time any grader
    /// asks for it and is shared by every later one, so sub-graders and the test cases of one
    /// item never restart it; its deadline is the earlier of that start plus the timeout and
    /// the request's deadline.
    pub fn item_budget(&self, k: usize) -> Budget {
        let now = Instant::now();
        let start = self
            .slots
            .get(k)
            .and_then(|&slot| self.clock.starts.get(slot))
            .map_or(now, |cell| *cell.get_or_init(|| now));
        let own = self.timeout.and_then(|t| start.checked_add(t));
        Budget::until(start, earliest(own, self.clock.deadline))
            .with_cancel(self.clock.cancel.clone())
    }

    /// Grades the `k`-th item with `grader` under its budget and records the time it took: the
    /// per-item step of [`Grader::grade_batch`], for graders that schedule items themselves.
    /// An item whose budget is spent before it starts is not graded (status `timeout`, or
    /// `error` of kind `cancelled`); a panic becomes an `error` of kind `panic`.
    pub fn grade_timed<G: Grader + ?Sized>(&self, grader: &G, k: usize, item: &Item) -> Outcome {
        self.grade_timed_with(k, |budget| grader.grade(item, budget))
    }

    /// [`grade_timed`](Self::grade_timed) with the grading step given as a closure over item
    /// `k`'s budget, for graders whose per-item step needs more than [`Grader::grade`] gets
    /// (the batch's [`timeout`](Self::timeout), say).
    pub fn grade_timed_with(&self, k: usize, grade: impl FnOnce(&Budget) -> Outcome) -> Outcome {
        let budget = self.item_budget(k);
        let mut outcome = match budget.check() {
            Err(expired) => {
                Outcome::expired(expired).explain("reason", "the budget was spent before grading")
            }
            Ok(()) => catch_unwind(AssertUnwindSafe(|| grade(&budget))).unwrap_or_else(|panic| {
                Outcome::error(ErrorKind::Panic, Panicked::from(panic).message())
            }),
        };
        outcome.elapsed = Some(budget.start().elapsed());
        outcome
    }

    /// Runs `work` on the request's CPU pool (rayon's global pool unless the request named
    /// one) and resolves to its value, or to the panic that ended it. For batches the engine
    /// expects to cost less than the hop to the pool (a few microseconds an item, short texts),
    /// and for the single item of a blocking call
    /// ([`Engine::score_blocking`](crate::Engine::score_blocking)), the work runs at once on
    /// the calling thread instead.
    pub fn spawn_cpu<T, F>(&self, work: F) -> impl Future<Output = Result<T, Panicked>> + Send
    where
        T: Send + 'static,
        F: FnOnce() -> T + Send + 'static,
    {
        let (tx, rx) = futures_channel::oneshot::channel();
        // The caller's span (the request, the batch) goes with the work onto the pool.
        let span = tracing::Span::current();
        let job = move || {
            let _entered = span.enter();
            let result = catch_unwind(AssertUnwindSafe(work)).map_err(Panicked::from);
            let _ = tx.send(result);
        };
        match &self.clock.pool {
            _ if self.inline_cpu => job(),
            Some(pool) => pool.spawn(job),
            None => rayon::spawn(job),
        }
        async move {
            rx.await.unwrap_or_else(|_| {
                Err(Panicked(
                    "the CPU pool dropped the work without running it".into(),
                ))
            })
        }
    }
}

/// A panic caught while grading, with its message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Panicked(String);

impl Panicked {
    /// What the panic said, as an error message.
    pub fn message(&self) -> String {
        format!("the grader panicked: {}", self.0)
    }
}

impl From<Box<dyn std::any::Any + Send>> for Panicked {
    fn from(panic: Box<dyn std::any::Any + Send>) -> Self {
        let text = panic
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "a panic without a message".into());
        Panicked(text)
    }
}

/// Waits for an I/O grader's future from synchronous code: the body of [`Grader::grade`] for
/// graders that implement [`Grader::grade_async`]. The future runs on the calling thread inside
/// the shared I/O runtime's context (see [`crate::runtime`]).
pub fn block_on_io<F: Future>(future: F) -> F::Output {
    let handle = crate::runtime::handle();
    let _entered = handle.enter();
    futures_executor::block_on(future)
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
            if item.response_text() == "boom" {
                panic!("echo cannot say boom");
            }
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

    #[test]
    fn a_panic_fails_only_its_own_item() {
        let items = [
            Item::new("a", ""),
            Item::new("boom", ""),
            Item::new("xy", ""),
        ];
        let refs: Vec<&Item> = items.iter().collect();
        let outcomes = Echo.grade_batch(&refs, &BatchContext::new(None));
        assert_eq!(outcomes[0].reward, Some(1.0));
        assert_eq!(outcomes[2].reward, Some(2.0));
        let error = outcomes[1].error.as_ref().expect("an error");
        assert_eq!(error.kind, ErrorKind::Panic);
        assert!(error.message.contains("echo cannot say boom"), "{error}");
    }

    #[test]
    fn an_item_whose_budget_is_spent_is_not_graded() {
        let ctx = BatchContext::new(None).with_deadline(Some(Instant::now()));
        let outcome = ctx.grade_timed(&Echo, 0, &Item::new("boom", ""));
        assert_eq!(outcome.status, crate::Status::Timeout);
        let cancel = CancelToken::new();
        cancel.cancel();
        let ctx = BatchContext::new(None).with_cancel(cancel);
        let outcome = ctx.grade_timed(&Echo, 0, &Item::new("boom", ""));
        assert_eq!(outcome.error.unwrap().kind, ErrorKind::Cancelled);
    }

    #[test]
    fn the_item_clock_is_shared_by_every_grader_of_the_item() {
        let ctx = BatchContext::for_request(2, None, CancelToken::new(), None)
            .for_batch(Arc::from(vec![1usize]), Some(Duration::from_secs(5)));
        let first = ctx.item_budget(0);
        std::thread::sleep(Duration::from_millis(5));
        let second = ctx.item_budget(0);
        assert_eq!(first.start(), second.start());
        assert_eq!(first.deadline(), second.deadline());
        assert_eq!(ctx.started(0), Some(first.start()));
        // The subset maps positions to the same request slots.
        assert_eq!(ctx.subset(&[0]).item_budget(0).start(), first.start());
    }

    #[test]
    fn async_default_runs_the_batch_on_the_cpu_pool() {
        let batch = Batch::new(vec![Item::new("ab", ""), Item::new("boom", "")]);
        let outcomes = block_on_io(Arc::new(Echo).grade_async(batch, BatchContext::new(None)));
        assert_eq!(outcomes[0].reward, Some(2.0));
        assert_eq!(outcomes[1].error.as_ref().unwrap().kind, ErrorKind::Panic);
    }
}

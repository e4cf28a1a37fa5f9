//! What the engine's one entry point takes and gives: a [`ScoreRequest`] in, [`Scored`] out.
//! Every front end (the CLI, the HTTP server, Python) builds a request and reads the results;
//! none of them grades on its own.

use std::sync::Arc;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use crate::{AdvantageMode, CancelToken, GradeResult, Input, Item, OnError};

/// Slack the engine allows past a request's deadline before it stops waiting for a grader that
/// does not check its budget: results come back within `deadline + DEADLINE_SLACK`, every
/// unfinished item with status `timeout`. Graders that check their budget (all built-in ones)
/// finish well inside it.
pub const DEADLINE_SLACK: Duration = Duration::from_millis(500);

/// A request to score inputs: what to score, with which grader, until when, and how to shape
/// the rewards. Build one with [`ScoreRequest::new`] and the builder methods.
///
/// ```
/// use std::time::Duration;
/// use assay_core::{AdvantageMode, Item, ScoreRequest};
///
/// let request = ScoreRequest::items(vec![Item::new("4", "4")])
///     .grader("answer")
///     .timeout(Duration::from_secs(5))
///     .advantage(AdvantageMode::Grpo);
/// assert_eq!(request.inputs.len(), 1);
/// ```
#[derive(Debug, Default)]
#[non_exhaustive]
pub struct ScoreRequest {
    /// The inputs: items, or lines that failed to parse (they get an `error` result each).
    pub inputs: Vec<Input>,
    /// The grader every item goes to; `None` routes each item by its `data_source`.
    pub grader: Option<String>,
    /// Overrides the configured reward of `timeout` and `error` results.
    pub on_error: Option<OnError>,
    /// When the whole request must be answered (an absolute instant): items not finished by
    /// then get status `timeout`.
    pub deadline: Option<Instant>,
    /// Adds each result's group-relative advantage and its group's zero-spread flag.
    pub advantage: Option<AdvantageMode>,
    /// Fired to stop the request's outstanding work (a client that went away, Ctrl-C).
    pub cancel: CancelToken,
    /// The rayon pool for CPU graders (default: rayon's global pool).
    pub pool: Option<Arc<rayon::ThreadPool>>,
}

impl ScoreRequest {
    /// A request for `inputs`, routed by `data_source`, with no deadline.
    pub fn new(inputs: Vec<Input>) -> Self {
        ScoreRequest {
            inputs,
            ..ScoreRequest::default()
        }
    }

    /// A request for `items` (all well formed).
    pub fn items(items: impl IntoIterator<Item = Item>) -> Self {
        ScoreRequest::new(items.into_iter().map(Ok).collect())
    }

    /// Sends every item to the grader `name` instead of routing it.
    pub fn grader(mut self, name: impl Into<String>) -> Self {
        self.grader = Some(name.into());
        self
    }

    /// Sends every item to `name` when it is `Some`, else routes.
    pub fn target(mut self, name: Option<String>) -> Self {
        self.grader = name;
        self
    }

    /// Overrides the failure reward.
    pub fn on_error(mut self, on_error: Option<OnError>) -> Self {
        self.on_error = on_error;
        self
    }

    /// Sets the request's deadline (an absolute instant).
    pub fn deadline(mut self, deadline: Option<Instant>) -> Self {
        self.deadline = deadline;
        self
    }

    /// Sets the request's deadline to `timeout` from now.
    pub fn timeout(self, timeout: Duration) -> Self {
        let deadline = Instant::now().checked_add(timeout);
        self.deadline(deadline)
    }

    /// Asks for group-relative advantages.
    pub fn advantage(mut self, mode: impl Into<Option<AdvantageMode>>) -> Self {
        self.advantage = mode.into();
        self
    }

    /// Uses `cancel` as the request's cancellation token.
    pub fn cancel_token(mut self, cancel: CancelToken) -> Self {
        self.cancel = cancel;
        self
    }

    /// Runs the CPU graders on `pool`.
    pub fn pool(mut self, pool: Arc<rayon::ThreadPool>) -> Self {
        self.pool = Some(pool);
        self
    }
}

/// The answer to a [`ScoreRequest`].
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Scored {
    /// One result per input, in input order.
    pub results: Vec<GradeResult>,
    /// Every named group of the request, in order of first appearance.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<GroupSummary>,
}

/// The statistics of one group of samples (items sharing `group`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GroupSummary {
    /// The group's name.
    pub group: String,
    /// Its items.
    pub size: usize,
    /// Its items with a reward (failures without a fallback take no part).
    pub scored: usize,
    /// Their mean reward.
    pub mean: f64,
    /// Their sample standard deviation (0 for fewer than two).
    pub std: f64,
    /// Whether every scored sample got the same reward (at least two scored).
    pub zero_spread: bool,
}

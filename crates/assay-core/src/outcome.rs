//! What a grader says about one item: [`Outcome`], its [`Status`] and, on failure, a
//! [`GradeError`] of a closed [`ErrorKind`].

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Named partial scores of one result. The key set is fixed per configuration: the engine fills
/// keys a grader did not report with `null`, so batch consumers never see ragged keys.
pub type Components = BTreeMap<String, Option<f64>>;

/// How grading one item ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Status {
    /// Graded: `reward` is a number.
    Ok,
    /// The response had no gradable answer: a real, scorable failure of the policy. `reward` is a
    /// number (usually 0).
    Invalid,
    /// The grader does not apply to this item (e.g. a reference of another task family).
    NotApplicable,
    /// The item's deadline passed before a verdict. `reward` is null unless a fallback is set.
    Timeout,
    /// A failure of the grader or of its inputs; `error` says which. `reward` is null unless a
    /// fallback is set.
    Error,
}

impl Status {
    /// Every status, in the order summaries print them.
    pub const ALL: [Status; 5] = [
        Status::Ok,
        Status::Invalid,
        Status::NotApplicable,
        Status::Timeout,
        Status::Error,
    ];

    /// The wire name (`ok`, `invalid`, `not_applicable`, `timeout`, `error`).
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Invalid => "invalid",
            Status::NotApplicable => "not_applicable",
            Status::Timeout => "timeout",
            Status::Error => "error",
        }
    }

    /// Whether this status carries a reward of the grader's own (ok or invalid).
    pub fn is_scored(self) -> bool {
        matches!(self, Status::Ok | Status::Invalid)
    }

    /// Whether this status is a failure (timeout or error) that the fallback policy applies to.
    pub fn is_failure(self) -> bool {
        matches!(self, Status::Timeout | Status::Error)
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The closed set of error kinds. Every `error` or `timeout` result carries one.
///
/// | kind | meaning | what to do |
/// |---|---|---|
/// | `malformed_input` | the input line is not a valid item (bad JSON, no `response`, a field of the wrong type) | fix the producer of the input |
/// | `bad_reference` | the item's `reference` is missing or not of the shape the grader takes | check the grader's documented reference shape |
/// | `reference_parse_error` | the reference has the right shape but cannot be read (a math answer that does not parse) | fix the dataset's reference |
/// | `no_route` | no route matches the item's `data_source` | add a route, or a `"*"` default route |
/// | `timeout` | the item's deadline passed (status `timeout`) | raise `timeout_ms`, or accept the verdict |
/// | `resource_limit` | a size, memory or work bound other than time was hit | raise the bound if the input is legitimate |
/// | `execution` | running the item failed for reasons outside the model output (sandbox, database, runtime unavailable) | check the grader's environment |
/// | `upstream` | a remote service (reward model, judge) failed | check the service |
/// | `budget` | a spending budget of the run (requests or tokens of a paid service) was used up | raise the budget, or score fewer items |
/// | `cancelled` | the request was cancelled (client gone, Ctrl-C, `KeyboardInterrupt`) before the item finished | nothing: nobody waits for it |
/// | `panic` | the grader panicked on this item; other items are unaffected | report it |
/// | `internal` | a bug in a grader (a non-finite reward, a wrong number of outcomes) | report it |
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// The input line is not a valid item.
    MalformedInput,
    /// The reference is missing or of the wrong shape.
    BadReference,
    /// The reference has the right shape but cannot be parsed.
    ReferenceParseError,
    /// No route matches the item's `data_source`.
    NoRoute,
    /// The deadline passed.
    Timeout,
    /// A size, memory or work bound other than time was hit.
    ResourceLimit,
    /// Running the item failed for reasons outside the model output.
    Execution,
    /// A remote service failed.
    Upstream,
    /// A spending budget of the run was used up.
    Budget,
    /// The request was cancelled before the item finished.
    Cancelled,
    /// The grader panicked on this item.
    Panic,
    /// A bug in a grader.
    Internal,
}

impl ErrorKind {
    /// Every kind, for documentation and exhaustive tests.
    pub const ALL: [ErrorKind; 12] = [
        ErrorKind::MalformedInput,
        ErrorKind::BadReference,
        ErrorKind::ReferenceParseError,
        ErrorKind::NoRoute,
        ErrorKind::Timeout,
        ErrorKind::ResourceLimit,
        ErrorKind::Execution,
        ErrorKind::Upstream,
        ErrorKind::Budget,
        ErrorKind::Cancelled,
        ErrorKind::Panic,
        ErrorKind::Internal,
    ];

    /// The wire name, e.g. `bad_reference`.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::MalformedInput => "malformed_input",
            ErrorKind::BadReference => "bad_reference",
            ErrorKind::ReferenceParseError => "reference_parse_error",
            ErrorKind::NoRoute => "no_route",
            ErrorKind::Timeout => "timeout",
            ErrorKind::ResourceLimit => "resource_limit",
            ErrorKind::Execution => "execution",
            ErrorKind::Upstream => "upstream",
            ErrorKind::Budget => "budget",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Panic => "panic",
            ErrorKind::Internal => "internal",
        }
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Why an item failed: a kind from the closed set and a message for a person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GradeError {
    /// The class of failure.
    pub kind: ErrorKind,
    /// What went wrong and, where possible, what to do about it.
    pub message: String,
}

impl GradeError {
    /// A new error.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        GradeError {
            kind,
            message: message.into(),
        }
    }
}

impl fmt::Display for GradeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

/// A grader's verdict on one item, before the engine adds the id, timing and fallbacks.
///
/// Build one with [`Outcome::ok`], [`Outcome::invalid`], [`Outcome::not_applicable`],
/// [`Outcome::timeout`] or [`Outcome::error`], then add detail with the `with_*` methods.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct Outcome {
    /// How grading ended.
    pub status: Status,
    /// The reward: a number for `ok` and `invalid`, `None` otherwise.
    pub reward: Option<f64>,
    /// Named partial scores.
    pub components: Components,
    /// What the grader read as the answer, for display.
    pub pred: Option<String>,
    /// Why the grader decided what it did; always a JSON object.
    pub explanation: Map<String, Value>,
    /// The failure, for `timeout` and `error`.
    pub error: Option<GradeError>,
    /// Time spent on this item, when the grader measured it (the engine otherwise divides the
    /// batch's time evenly).
    pub elapsed: Option<std::time::Duration>,
    /// What grading this item spent on remote services (requests, tokens, cache hits); zero
    /// for graders that call none.
    pub usage: Usage,
}

/// What grading spent on remote services (reward models, judges): counted per item, summed by
/// compositions, and totalled per grader by the run summary and `/metrics`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// Requests sent (retries included).
    pub requests: u64,
    /// Prompt tokens the services reported.
    pub prompt_tokens: u64,
    /// Completion tokens the services reported.
    pub completion_tokens: u64,
    /// Requests answered from the response cache instead of being sent.
    pub cache_hits: u64,
}

impl Usage {
    /// Whether nothing was spent.
    pub fn is_zero(&self) -> bool {
        *self == Usage::default()
    }
}

impl std::ops::Add for Usage {
    type Output = Usage;
    fn add(self, other: Usage) -> Usage {
        Usage {
            requests: self.requests + other.requests,
            prompt_tokens: self.prompt_tokens + other.prompt_tokens,
            completion_tokens: self.completion_tokens + other.completion_tokens,
            cache_hits: self.cache_hits + other.cache_hits,
        }
    }
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, other: Usage) {
        *self = *self + other;
    }
}

impl std::iter::Sum for Usage {
    fn sum<I: Iterator<Item = Usage>>(iter: I) -> Usage {
        iter.fold(Usage::default(), |a, b| a + b)
    }
}

impl Outcome {
    fn with_status(status: Status, reward: Option<f64>, error: Option<GradeError>) -> Self {
        Outcome {
            status,
            reward,
            components: Components::new(),
            pred: None,
            explanation: Map::new(),
            error,
            elapsed: None,
            usage: Usage::default(),
        }
    }

    /// A graded item.
    pub fn ok(reward: f64) -> Self {
        Self::with_status(Status::Ok, Some(reward), None)
    }

    /// A response with no gradable answer; `reason` goes into the explanation.
    pub fn invalid(reward: f64, reason: impl Into<String>) -> Self {
        Self::with_status(Status::Invalid, Some(reward), None).explain("reason", reason.into())
    }

    /// The grader does not apply; `reason` goes into the explanation.
    pub fn not_applicable(reason: impl Into<String>) -> Self {
        Self::with_status(Status::NotApplicable, None, None).explain("reason", reason.into())
    }

    /// The deadline passed.
    pub fn timeout(message: impl Into<String>) -> Self {
        Self::with_status(
            Status::Timeout,
            None,
            Some(GradeError::new(ErrorKind::Timeout, message)),
        )
    }

    /// A failure of the grader or of its inputs.
    pub fn error(kind: ErrorKind, message: impl Into<String>) -> Self {
        if kind == ErrorKind::Timeout {
            return Self::timeout(message);
        }
        Self::with_status(Status::Error, None, Some(GradeError::new(kind, message)))
    }

    /// The outcome of an item whose budget ran out: `timeout`, or `error` of kind `cancelled`
    /// when the request was cancelled.
    pub fn expired(expired: crate::Expired) -> Self {
        if expired.cancelled {
            Self::error(ErrorKind::Cancelled, expired.to_string())
        } else {
            Self::timeout(expired.to_string())
        }
    }

    /// An outcome from a [`GradeError`] (status `timeout` for the timeout kind, else `error`).
    pub fn from_error(error: GradeError) -> Self {
        Self::error(error.kind, error.message)
    }

    /// Adds a component.
    pub fn component(mut self, name: impl Into<String>, value: f64) -> Self {
        self.components.insert(name.into(), Some(value));
        self
    }

    /// Sets the predicted answer.
    pub fn pred(mut self, pred: impl Into<String>) -> Self {
        self.pred = Some(pred.into());
        self
    }

    /// Adds an explanation entry.
    pub fn explain(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.explanation.insert(key.into(), value.into());
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_names_match_serde() {
        for status in Status::ALL {
            assert_eq!(
                serde_json::to_value(status).unwrap(),
                Value::String(status.as_str().into())
            );
        }
        for kind in ErrorKind::ALL {
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                Value::String(kind.as_str().into())
            );
        }
    }

    #[test]
    fn constructors_set_reward_and_error_consistently() {
        let cases = [
            (Outcome::ok(0.5), Status::Ok, Some(0.5), None),
            (
                Outcome::invalid(0.0, "no answer"),
                Status::Invalid,
                Some(0.0),
                None,
            ),
            (
                Outcome::not_applicable("other task"),
                Status::NotApplicable,
                None,
                None,
            ),
            (
                Outcome::timeout("slow"),
                Status::Timeout,
                None,
                Some(ErrorKind::Timeout),
            ),
            (
                Outcome::error(ErrorKind::BadReference, "no gold"),
                Status::Error,
                None,
                Some(ErrorKind::BadReference),
            ),
            (
                Outcome::error(ErrorKind::Timeout, "slow"),
                Status::Timeout,
                None,
                Some(ErrorKind::Timeout),
            ),
        ];
        for (outcome, status, reward, kind) in cases {
            assert_eq!(outcome.status, status);
            assert_eq!(outcome.reward, reward);
            assert_eq!(outcome.error.map(|e| e.kind), kind);
        }
    }
}

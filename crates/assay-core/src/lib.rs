//! The core of Assay, a reward engine for LLM post-training and test-time scaling.
//!
//! This crate knows no domain and no transport. It holds:
//!
//! - the data model: [`Item`] in, [`GradeResult`] out, [`Status`], the closed set of
//!   [`ErrorKind`]s;
//! - the [`Grader`] abstraction: batch-first, deadline-aware through [`Budget`];
//! - the [`Registry`] of grader kinds with typed, self-documenting options ([`GraderKind`]);
//! - configuration ([`Config`]) and routing by `data_source`;
//! - composition ([`compose`]: `multi` with a [`formula`], `gate`, `transform`) and group
//!   shaping ([`group`]);
//! - the [`Engine`] that puts them together.
//!
//! Adding a grader: write its options struct and a type implementing [`Grader`], a
//! [`GraderKind`] that builds it, and register the kind (see [`registry`] for a complete
//! example).

pub mod budget;
pub mod compose;
pub mod config;
pub mod engine;
pub mod formula;
pub mod grader;
pub mod group;
pub mod item;
pub mod outcome;
pub mod registry;
pub mod request;
pub mod result;
pub mod runtime;

pub use budget::{Budget, CancelOnDrop, CancelToken, Expired, Meter};
pub use config::{Config, ConfigError, ConfigProblem, OnError};
pub use engine::{Engine, Target};
pub use grader::{block_on_io, Batch, BatchContext, BoxFuture, Grader, Panicked, SharedGrader};
pub use group::AdvantageMode;
pub use item::{Content, Item, Message};
pub use outcome::{Components, ErrorKind, GradeError, Outcome, Status, Usage};
pub use registry::{BuildContext, GraderKind, KindInfo, OptionDoc, Registry};
pub use request::{GroupSummary, ScoreRequest, Scored};
pub use result::{GradeResult, Input, MalformedItem};

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

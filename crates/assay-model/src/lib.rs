//! Model-based rewards over HTTP for Assay: reward models, LLM judges, rubrics and process
//! rewards on the servers users already run (vLLM, SGLang, Hugging Face TEI, llama.cpp, any
//! OpenAI-compatible API, OpenRLHF reward servers).
//!
//! # Kinds
//!
//! | kind | server | reward |
//! |---|---|---|
//! | `reward_model` (with `url`) | vLLM `/classify`, `/pooling`, `/score`, `/rerank`; TEI `/predict`, `/rerank`; OpenRLHF `/get_reward` | the model's scalar, normalised (affine or running) and transformed (sigmoid, log-sigmoid) |
//! | `judge` | OpenAI-compatible `/v1/chat/completions` or `/v1/completions` | P(yes) from `top_logprobs`, a score parsed in a required format, or a label; samples by mean or vote; pairwise in both orders |
//! | `rubric` | OpenAI-compatible | weighted criteria, hard ones gating to 0; one call per criterion or all in one |
//! | `process_reward` (with `url`) | vLLM step-reward `/pooling`, or a judge per step | step scores aggregated by min, last, product, mean or first error |
//!
//! `reward_model` and `process_reward` share their names with the local graders of
//! `assay-inference`: the `assay` facade registers one kind of each name that runs locally
//! with `path` and remotely with `url`.
//!
//! # Backends
//!
//! Every grader talks to its server through a [`Backend`] ([`backend`]): one connection pool,
//! a concurrency limit, an optional rate limit, retries with exponential backoff and jitter
//! that honour `Retry-After` and the item's deadline, a circuit breaker, a response cache (in
//! memory, optionally in SQLite) and a run budget. Every failure is a status carrying the
//! HTTP code and the server's message; the API key (read from the environment variable the
//! configuration names) never appears in one. Before any request, the one-token guard
//! ([`guard`]) gives a response with no content reward 0 with reason `no_content`.

// A failed item's `Outcome` (or `CallError`) is returned once per item and per request, next to
// a network round trip: boxing it would add noise and save nothing measurable.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod backend;
mod common;
pub mod guard;
pub mod judge;
pub mod process;
pub mod reward;
pub mod rubric;

pub use backend::{shared_states, Backend, CallError, Connection, Reply};

/// Registers the remote kinds: `judge`, `rubric`, and the remote `reward_model` and
/// `process_reward` (which the `assay` facade replaces by kinds that dispatch between local
/// and remote).
pub fn register(registry: &mut assay_core::Registry) {
    registry
        .register::<judge::JudgeKind>()
        .register::<rubric::RubricKind>()
        .register::<reward::RemoteRewardKind>()
        .register::<process::RemoteProcessKind>();
}

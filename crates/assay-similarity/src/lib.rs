//! Reference-based text rewards and tool-call rewards for Assay.
//!
//! | kind | rewards |
//! |---|---|
//! | [`similarity`](mod@similarity) | BLEU, chrF, chrF++ (as sacreBLEU), ROUGE-1/2/L (as rouge-score), SQuAD exact match and F1, normalized edit distance |
//! | [`tool_call`] | tool calls (Hermes/Qwen `<tool_call>` blocks, OpenAI `tool_calls`) against reference calls: ToolRL's reward or exact match |
//!
//! The metric implementations are public ([`bleu`], [`chrf`], [`rouge`], [`porter`],
//! [`squad`], [`edit`], [`tok13a`]) for use outside a grader, corpus-level BLEU and chrF among
//! them.

pub mod bleu;
pub mod chrf;
pub mod edit;
pub mod porter;
pub mod rouge;
pub mod similarity;
pub mod squad;
pub mod text;
pub mod tok13a;
pub mod tool_call;

/// Registers `similarity` and `tool_call`.
pub fn register(registry: &mut assay_core::Registry) {
    registry
        .register::<similarity::SimilarityKind>()
        .register::<tool_call::ToolCallKind>();
}

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

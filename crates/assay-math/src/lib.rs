//! Answer extraction and mathematical equivalence for LLM math rewards.
pub mod budget;
pub mod exact;
pub mod expr;
pub mod lexer;
pub mod numeric;
pub mod parser;

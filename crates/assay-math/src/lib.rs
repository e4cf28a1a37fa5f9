//! Answer extraction and mathematical equivalence for LLM math rewards.
//!
//! ```
//! use assay_math::{verify, Budget, Options, Status};
//!
//! let v = verify("\\frac34", "so the answer is \\boxed{0.75}", &Options::default(), &mut Budget::default());
//! assert_eq!(v.status, Status::Equal);
//! assert_eq!(v.rule, "exact rational");
//! ```
//!
//! The pipeline: [`extract`] finds the final answer in a response; [`parser`] reads LaTeX
//! or plain text into an [`Expr`]; [`equiv`] decides equality exactly (big rationals), by
//! high-precision numerics ([`numeric`]) or at random points for expressions with
//! variables. Every step takes a [`Budget`], so hostile input gets a bounded answer:
//! [`Status::Exhausted`] is distinct from [`Status::NotEqual`].

pub mod budget;
pub mod equiv;
pub mod exact;
pub mod expr;
pub mod extract;
pub mod grader;
pub mod lexer;
pub mod numeric;
pub mod parser;
pub mod verify;

pub use budget::{Budget, Exhausted};
pub use equiv::{equivalent, Decision, Settings};
pub use expr::Expr;
pub use extract::{extract, ExtractOptions, Extracted, Extraction, Source};
pub use grader::{register, MathGrader, MathKind, MathOptions};
pub use parser::{parse, ParseError};
pub use verify::{check_answer, parse_answer, verify, ConflictPolicy, Options, Status, Verdict};

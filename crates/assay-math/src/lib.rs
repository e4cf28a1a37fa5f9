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
//! The pipeline: [`extract()`] finds the final answer in a response; [`parser`] reads LaTeX
//! or plain text into an [`Expr`]; [`equiv`] decides equality exactly (big rationals), by
//! high-precision numerics ([`numeric`]) or at random points for expressions with
//! variables. Every step takes a [`Budget`], so hostile input gets a bounded answer:
//! [`Status::Exhausted`] is distinct from [`Status::NotEqual`]. [`grader`] wraps it all as
//! the `math` grader of `assay-core`.
//!
//! # Policies
//!
//! - **Exactness.** Numbers are exact rationals (decimals included): `0.0000001 ≠
//!   0.0000002`, `2^{-60} ≠ 2^{-61}`, `0.3333 ≠ 1/3`. Irrational values are compared with
//!   320-bit arithmetic and must agree to 128 bits (38 digits), so a rounded decimal never equals
//!   `\sqrt2`, `π` or `1/3` unless [`Options::decimal_tolerance`] is set (off by default;
//!   even then a terminating reference such as `0.25` must be matched exactly).
//! - **Variables** are matched by name (case-sensitive) and compared at 6 points that
//!   cycle through positive integers, negative integers and fractions; points where a side
//!   is undefined are skipped, and at least 3 must agree.
//! - **Equations** are equal when one is a non-zero multiple of the other (`y = 2x + 3` and
//!   `2y - 4x = 6`); `x = 5`, `5 = x` and `f(x) = 5` also match a bare `5`. Inequalities in
//!   one variable compare through their interval form (`x > 2` is `(2, ∞)`).
//! - **Structures**: answer lists (`1, 2`, `1 \text{ or } 2`, `\pm`) and sets unordered;
//!   tuples ordered; `(a, b)` equals the open interval; intervals by endpoints and openness;
//!   matrices element-wise, column or row vectors also against tuples.
//! - **Percent** means ÷100, and `25\%` also matches a bare `25` (the question asked for a
//!   percent); a bare number never matches 100× or ÷100 of itself.
//! - **Degrees and units** are dropped: `90^\circ` is `90` (not `π/2`); `5 \text{ cm}` is `5`.
//! - **Notation**: `\log x` is base 10, `\ln x` natural; `x^10` reads the whole numeral
//!   (`x^{10}`), while macro arguments follow LaTeX (`\frac43` is 4/3); `52_8` is a numeral
//!   in base 8 and only equals the same numeral; `e` and `i` are constants; odd roots of
//!   negative numbers are real (`(-8)^{1/3} = -2`); two numbers side by side (`2 3`) are an
//!   error, not a product.
//! - **Answer spamming**: with several different `\boxed{}` answers the response is a
//!   [`Status::Conflict`] (graded `invalid`) unless [`ConflictPolicy::Last`] is chosen.
//! - **Bounds**: answers over 20,000 characters, numerals over 2,000 digits, nesting deeper
//!   than 200 parser levels (about 30 brackets), powers whose exact value exceeds 65,536
//!   bits, factorials above 2,000 and exponentials above e^16384 are refused
//!   ([`Status::Exhausted`] with [`Exhausted::TooLarge`]) in microseconds; everything else
//!   is bounded by the step budget ([`budget::DEFAULT_STEPS`], about 10 ms of work) and the
//!   caller's deadline.
//!
//! A `cargo-fuzz` target lives in `fuzz/` (`cargo +nightly fuzz run verify`).

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
pub use equiv::{equivalent, Decision, PercentPolicy, Settings};
pub use expr::Expr;
pub use extract::{extract, extract_reference, ExtractOptions, Extracted, Extraction, Source};
pub use grader::{register, MathGrader, MathKind, MathOptions};
pub use parser::{parse, ParseError};
pub use verify::{
    check_answer, parse_answer, verify, ConflictPolicy, NumericPrecision, Options, Status, Verdict,
};

//! Answer extraction and mathematical equivalence for LLM math rewards.
//!
//! ```
//! use assay_math::{verify, Steps, Options, Status};
//!
//! let v = verify("\\frac34", "so the answer is \\boxed{0.75}", &Options::default(), &mut Steps::default());
//! assert_eq!(v.status, Status::Equal);
//! assert_eq!(v.rule, "exact rational");
//! ```
//!
//! The pipeline: [`extract()`] finds the final answer in a response; [`parser`] reads LaTeX
//! or plain text into an [`Expr`]; [`equiv`] decides equality exactly (big rationals), by
//! high-precision numerics ([`numeric`]) or at random points for expressions with
//! variables. Every step takes a [`Steps`], so hostile input gets a bounded answer:
//! [`Status::Exhausted`] is distinct from [`Status::NotEqual`]. [`grader`] wraps it all as
//! the `math` grader of `assay-core`.
//!
//! # Policies
//!
//! - **Extraction classifies the response first** ([`extract()`]): a *marked* answer inside
//!   prose (the last `\boxed{}`, `<answer>`, "the final answer is …", bold, or the last
//!   `$…$`), a *bare* answer (nothing marked, and the whole response or its final line is an
//!   answer by itself: `\frac{4}{9}`, `pi/2`, `x = 5`, `converges`), or *prose* with no
//!   marked answer (the last number, when `number_fallback` is on). A bare expression is
//!   never reduced to its last number (`\frac{4}{9}` is not `9`). Boxes listed together at
//!   the end (`\boxed{1}, \boxed{2}`, `\boxed{(2,2)} \text{ and } \boxed{(6,2)}`) are one
//!   answer, the list; "the final answer is …" after every box overrides the boxes; in prose
//!   the later of the last math span and the last number wins. The class and the rule that
//!   decided are in the grader's `explanation` (`class`, `extraction_rule`).
//! - **References** given as worked solutions (`extract_reference`) go through the same
//!   extraction, trusted: the last box (or the boxes or math spans listed together at the end)
//!   is the answer, and earlier boxes are no conflict ([`extract_reference()`]).
//! - **Identity.** Two answers whose text is the same after removing spacing, `\left`/`\right`
//!   and `$` are equal, whatever they contain (`D = (0,1)`, `12:00`, `\sum_{k=1}^n k`).
//! - **Exactness.** Numbers are exact rationals (decimals included): `0.0000001 ≠
//!   0.0000002`, `2^{-60} ≠ 2^{-61}`, `0.3333 ≠ 1/3`. Irrational values are compared with
//!   320-bit arithmetic and must agree to 128 bits (38 digits), so a rounded decimal never equals
//!   `\sqrt2`, `π` or `1/3` unless [`Options::decimal_tolerance`] is set (off by default;
//!   even then a terminating reference such as `0.25` must be matched exactly).
//!   [`NumericPrecision::Reference`] (off by default) compares at the significant figures of a
//!   decimal reference: `6634` matches `6630`, `4.43 \times 10^7` matches `4.4 \times 10^{7}`;
//!   integers without trailing zeros stay exact.
//! - **Variables** are matched by name (case-sensitive) and compared at 6 points that
//!   cycle through positive integers, negative integers and fractions; at least 3 must
//!   agree. Both sides are evaluated over the reals (an even root of a negative number is
//!   undefined) unless an answer names `i`, and points where a side is undefined are
//!   skipped: `\sqrt{1/n} = \frac{1}{\sqrt n}`, `\ln(x^2) = 2\ln|x|`. When the verdict
//!   rests on such a restricted domain, the rule says so. Arbitrary constants (`C`, `c`, `K`,
//!   `C_1`, `c_2` beside other variables) are renamed to the reference's: `x^2/2 + c` equals
//!   `\frac{x^2}{2} + C`.
//! - **Equations** are equal when one is a non-zero multiple of the other (`y = 2x + 3` and
//!   `2y - 4x = 6`). A labelled answer matches its value: `x = 5`, `5 = x`, `f(x) = 5`,
//!   `(p,q) = (3,2)`, `|AB| = 1`, `V_1:V_2 = 11:21`; a label holds no number, sum or power
//!   (`2x + z = 1` is an equation). A chain `x = 5+5+1 = 11` is its last side; a true
//!   computation `6 \cdot 7 = 42` is its result (but `0 = 0` is a statement); after
//!   `\approx` comes a rounding, not the answer (`x = \frac13 \approx 0.33` is `\frac13`).
//!   Inequalities in one variable compare through their interval form (`x > 2` is `(2, ∞)`,
//!   `-x > -1` is `x < 1`, `-2 \le x \le 7` is `[-2, 7]`, `0 < f(x) < 1` is `(0, 1)`,
//!   `1 \le |z| \le 2` is `[-2,-1] ∪ [1,2]`).
//! - **Structures**: answer lists (`1, 2`, `1 \text{ or } 2`, `\pm`) and sets unordered, as
//!   sets (repeats ignored); one answer listed twice is that answer; tuples ordered; `(a, b)`
//!   equals the open interval but never the bare list `a, b`; intervals by endpoints and
//!   openness; matrices element-wise (sums and products of matrices are worked out), column
//!   or row vectors also against tuples; ratios part by part or proportional (`2:4 = 1:2`,
//!   `12:00 ≠ 1:00`).
//! - **Words** are compared as normalised text (case, `\text{}`, punctuation and articles
//!   dropped): `No = no`, `No ≠ None`, `\text{(B)} = B`, `converges = Converges.`. Short
//!   answer words (`no`, `yes`, `odd`, …) are words, not products of variables.
//! - **Percent**: one policy, never both readings. By default ([`PercentPolicy::Unit`]) the
//!   percent sign is a unit: `25\% = 25`, `25\% ≠ 0.25`, `5 = 5\%`. With
//!   [`PercentPolicy::Value`] it is ÷100: `25\% = 0.25 = \frac14`, `25\% ≠ 25`. Inside
//!   arithmetic (`100 \cdot 10\%`) it is always ÷100.
//! - **Degrees and units** are dropped: `90^\circ` is `90` (not `π/2`); `5 \text{ cm}`,
//!   `12\,\mathrm{m/s}`, `5.13 \text{ ft/sec}` and `35 cm` are the number.
//! - **Notation**: `\log x` is base 10, `\ln x` natural; `x^10` reads the whole numeral
//!   (`x^{10}`), while macro arguments follow LaTeX (`\frac43` is 4/3); a command glued to a
//!   letter reads as written (`\lnx` is `\ln x`, `\pix` is `\pi x`, `\sinx` is `\sin x`);
//!   `\\frac` (doubly escaped) is `\frac`; an unknown command names a quantity (`\ell`),
//!   while unsupported operators (`\sum`, `\int`, `\lim`) make the answer unreadable (unless
//!   identical to the reference); scientific notation in every spelling (`4.5e33`,
//!   `4.5E+33`, `4.5\times10^{33}`, `4.5*10^33`); `.4` is 0.4; digit groups `1,000`,
//!   `10{,}455`, `11,\!111,\!100`, `1\,000` and `1 000`; a decimal comma (`2,74` = 2.74) only
//!   with [`Options::decimal_comma`]; `52_8` is a numeral in base 8 and only equals the same
//!   numeral; `e` and `i` are constants; odd roots of negative numbers are real
//!   (`(-8)^{1/3} = -2`); two numbers side by side (`2 3`, `137 1/2`) are an error, not a
//!   product.
//! - **Answer spamming**: with several different `\boxed{}` answers (that are not one list
//!   at the end) the response is a [`Status::Conflict`] (graded `invalid`) unless
//!   [`ConflictPolicy::Last`] is chosen. Boxes separated by a hedge (`or`, `maybe`, `wait`,
//!   `actually`, a new sentence) are never one list. A list never matches a single value, so
//!   listing candidates earns nothing.
//! - **Bounds**: answers over 20,000 characters, numerals over 2,000 digits, nesting deeper
//!   than 200 parser levels (about 30 brackets), powers whose exact value exceeds 65,536
//!   bits, factorials above 2,000 and exponentials above e^16384 are refused
//!   ([`Status::Exhausted`] with [`Exhausted::TooLarge`]) in microseconds; everything else
//!   is bounded by the step budget ([`steps::DEFAULT_STEPS`], about 10 ms of work) and the
//!   caller's deadline. Bare answers are looked for only in responses (or final lines) of at
//!   most [`extract::MAX_BARE_CHARS`] bytes.
//!
//! A `cargo-fuzz` target lives in `fuzz/` (`cargo +nightly fuzz run verify`).

pub mod equiv;
pub mod exact;
pub mod expr;
pub mod extract;
pub mod grader;
pub mod lexer;
pub mod numeric;
pub mod parser;
pub mod steps;
pub mod verify;

pub use equiv::{equivalent, Decision, PercentPolicy, Settings};
pub use expr::Expr;
pub use extract::{extract, extract_reference, ExtractOptions, Extracted, Extraction, Source};
pub use grader::{register, MathGrader, MathKind, MathOptions};
pub use parser::{parse, ParseError};
pub use steps::{Exhausted, Steps};
pub use verify::{
    check_answer, parse_answer, verify, ConflictPolicy, NumericPrecision, Options, Status, Verdict,
};

//! Code graders for Assay: the response's program runs against tests in the
//! [`assay_sandbox`], and the verdict is computed on the host.
//!
//! # The `code` grader
//!
//! The program is the last fenced code block of the response in the language (```` ```python
//! ````, ```` ```py ````, ```` ```cpp ```` … or untagged), or the whole response when there is
//! none (option `extract`). Languages: Python for every shape, C++17 (`"language": "cpp"` in the
//! reference or the options; compiled once per distinct program) for stdin/stdout tests.
//! Reference shapes:
//!
//! - **stdin/stdout tests**: the program runs once per case; its standard output is compared on
//!   the host (the expected output never enters the sandbox) with the `comparator` option:
//!   `exact`, `lines` (default: whitespace-normalized, with a strict line count), `tokens` (with
//!   `float_tolerance`) or `case_insensitive`.
//!   ```json
//!   {"language": "python", "tests": [{"stdin": "1 2\n", "stdout": "3\n", "weight": 1}],
//!    "time_limit_s": 2, "memory_mb": 256}
//!   ```
//! - **assert lists**, MBPP style (`test_list`, `test_imports` and `test_setup_code` of MBPP
//!   records are accepted as they are); each assert is scored separately:
//!   ```json
//!   {"asserts": ["assert add(1, 2) == 3", "assert add(0, 0) == 0"], "setup": "import math"}
//!   ```
//! - **a HumanEval check program**; each top-level statement of `check` that asserts is one
//!   test (HumanEval records work as they are):
//!   ```json
//!   {"test": "def check(candidate):\n    assert candidate(2) == 4\n", "entry_point": "square"}
//!   ```
//!
//! Rewards (option `reward`): `all` (1 when every test passes, else 0), `fraction`, or
//! `weighted` (weights from the reference). Components `passed` and `total` count tests.
//! Compile and runtime errors are status `ok` with reward 0 and the error in the explanation;
//! a sandbox failure is status `error` (kind `execution`), never a zero.
//!
//! # Reward holes closed
//!
//! - Expected values stay out of the candidate's process wherever the test allows it: a
//!   *plan* is first computed from the reference alone (in the sandbox, once per distinct
//!   reference, cached): the tests are split into statements, and for every `assert A == B`,
//!   `assert math.isclose(A, B, ...)` or `assert abs(A - B) < eps` whose side `B` (or `A`)
//!   does not involve the candidate, that side is evaluated there. The candidate's run then
//!   receives only the other side (`candidate(3)`, without the assert's source), reports its
//!   value as plain data, and the host compares it with Python's `==` semantics
//!   ([`pyvalue::py_eq`]) or the tolerance ([`pyvalue::close`]). A candidate that searches its
//!   own memory for the answers finds none. This covers 92% of HumanEval's scored asserts (most
//!   of the rest are `assert True` and `assert candidate(...)`, which hold no answer) and 98%
//!   of MBPP's. Other statements (loops, helpers) run in place.
//! - Exit status is never success: each test must be reported on the sandbox's result channel
//!   with the task's random nonce, after it ran; `exit(0)` or `os._exit(0)` before the asserts
//!   fails every test not reported.
//! - Values returned by the candidate's functions are converted to plain data (exact `int`,
//!   `str`, `list` …) before anything compares them: an object whose `__eq__` always returns
//!   `True` fails.
//! - Every loaded module (builtins included) is restored before each test, so monkeypatching
//!   `isinstance`, `math.isclose` or `AssertionError` from the candidate does not change how the
//!   tests judge it.
//! - Tests are sent in memory, never written where the program could read them as files.
//!
//! What remains: asserts that run in place (not `A == B`) share the candidate's process, so a
//! program that deliberately introspects the harness (frames, `gc`) could find the nonce and
//! forge their reports. Stdin/stdout tests and `A == B` asserts are judged on the host.

mod compare;
mod extract;
mod grader;
mod judge;
mod language;
mod plan;
pub mod pyvalue;
mod reference;
mod run;

pub use compare::Comparator;
pub use extract::last_code_block;
pub use grader::{CodeGrader, CodeKind, CodeOptions, Extract, RewardMode};
pub use language::CodeLanguage;
pub use reference::{IoCase, Reference, Tests};

use assay_core::Registry;

/// Registers the `code` grader.
pub fn register(registry: &mut Registry) {
    registry.register::<CodeKind>();
}

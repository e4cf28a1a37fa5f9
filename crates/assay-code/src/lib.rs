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
//!   `exact`, `lines` (default: whitespace-normalized, with a strict line count), `tokens` (integers
//!   exactly, other numbers within `float_tolerance`) or `case_insensitive`.
//!   ```json
//!   {"language": "python", "tests": [{"stdin": "1 2\n", "stdout": "3\n", "weight": 1}],
//!    "time_limit_s": 2, "memory_mb": 256}
//!   ```
//! - **assert lists**, MBPP style (`test_list`, `test_imports` and `test_setup_code` of MBPP
//!   records are accepted as they are); each assert is scored separately:
//!   ```json
//!   {"asserts": ["assert add(1, 2) == 3", "assert add(0, 0) == 0"], "setup": "import math"}
//!   ```
//! - **a HumanEval check program**; each top-level statement of `check` that asserts, or
//!   calls a function of the tests that asserts, is one test (HumanEval and EvalPlus records
//!   work as they are; `entry_point` may be an expression such as `Solution().twoSum`):
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
//! - Expected values stay on the host wherever the test allows it: a *plan* is first computed
//!   from the reference alone (in the sandbox, once per distinct reference, cached): the tests
//!   are split into statements, and for every `assert A == B`, `assert math.isclose(A, B,
//!   ...)` or `assert abs(A - B) < eps` whose side `B` (or `A`) does not involve the
//!   candidate and is made of literals, builtins and pure modules only (anything the tests
//!   bind may hold something else by the time the test runs), that side is evaluated there. The candidate's run then receives only the other
//!   side (`candidate(3)`, without the assert's source), reports its value as plain data, and
//!   the host compares it with Python's `==` semantics ([`pyvalue::py_eq`]) or the tolerance
//!   ([`pyvalue::close`]). This covers 92% of HumanEval's scored asserts (most of the rest are
//!   `assert True` and `assert candidate(...)`, which hold no answer) and 98% of MBPP's.
//! - Every test runs in a *judge* process that never executes the candidate's code. The
//!   candidate's program runs in a child the judge forks before reading the tests and the
//!   report nonce (both come on stdin; the task's program carries only the candidate's
//!   source): the child closes the result channel (fd 3) and stdin before compiling the
//!   program, and cannot reopen them, nor read the judge's memory, since the judge makes
//!   itself non-dumpable (`prctl(PR_SET_DUMPABLE, 0)`, whatever the host's
//!   `fs.suid_dumpable`) and seccomp denies ptrace. The judge calls the candidate over a socket pair, in plain data; other objects
//!   stay in their process behind handles, both ways: the candidate's classes can be
//!   constructed and its generators iterated, and the tests can lend the candidate their own
//!   functions, classes and instances, and builtins that only compute (an allowlist: nothing
//!   that looks up attributes by a name the candidate picks, such as `getattr` or
//!   `str.format`; attributes served only of the tests' own instances, never private ones).
//!   A program that searches its memory finds neither the tests, nor the nonce, nor a way to
//!   report.
//! - Which operand of `A == B` is evaluated with the candidate is decided once its program
//!   has loaded: the one that uses the candidate's names, so a function named like a builtin
//!   (`sum`) is judged wherever the assert puts it. The host accepts a value only for a side
//!   the plan offered, and never an "ok" for a host-judged test.
//! - Exit status is never success: each test must be reported on the result channel with the
//!   task's random nonce, after it ran; `exit(0)` or `os._exit(0)` before or during the tests
//!   fails every test not yet reported.
//! - Nothing the candidate returns is compared with the tests' values by its own code: values
//!   cross as plain data (exact `int`, `str`, `list` …), and a handle is compared, or takes
//!   part in arithmetic, by the candidate's rules only with another of its objects
//!   (`Frac(1, 2) == Frac(1, 2)`); with anything else it compares by identity and does no
//!   arithmetic, so no value of the tests reaches the candidate through an operator, and an
//!   object whose `__eq__` always returns `True`, or a callable object standing in for a
//!   function, fails.
//!   Monkeypatching builtins, `math.isclose` or `AssertionError` changes only the candidate's
//!   process.
//! - Tests are sent in memory, never written where the program could read them as files.
//! - A test must be about the program (option `require_program_names`, on by default): a
//!   scored test that reads names from outside the tests but none the program defines
//!   (`assert divmod(7, 2) == (3, 1)` against a program that defines no `divmod`, which the
//!   builtin passes) makes the item `invalid` (reward 0) with the reason. The plan records
//!   what each scored test reads from outside the tests, following the tests' own helpers
//!   and variables (`solve = candidate`; a list passed to the candidate and checked after);
//!   the judge reports which of those names the program defines. Constant asserts
//!   (`assert True`) are not flagged, but a reference made only of them is a
//!   `bad_reference` error.
//!
//! # The harness
//!
//! The plan, the judge and the candidate's side are the Python package `assay_code_harness`
//! (`crates/assay-code/python/`: `values`, `report`, `names`, `lending`, `peer`, `plan`,
//! `candidate`, `judge`), preloaded in the sandbox's zygote as modules given as source. Its
//! pytest suite (`tests/python`, run by `tests/python/run.sh`) covers the peer protocol,
//! values, names, the plan and the judge as processes, without a sandbox; the Rust suites run
//! it in the sandbox.
//!
//! Limits: each call is a round trip between two processes (about 32 µs, and arguments are
//! copied both ways); `in` iterates an object behind a handle; what the candidate prints is
//! not seen by the tests.

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

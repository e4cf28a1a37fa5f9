//! The `code` grader end to end, including programs that try to cheat.

use std::time::Duration;

use assay_code::{CodeGrader, CodeOptions, RewardMode};
use assay_core::{BatchContext, ErrorKind, Grader, Item, Outcome, Status};
use serde_json::{json, Value};

mod common;

use common::grade_with as grade;

fn fenced(code: &str) -> String {
    format!("Here is my solution:\n```python\n{code}\n```\n")
}

fn humaneval() -> Value {
    json!({
        "test": "METADATA = {}\n\ndef check(candidate):\n    assert candidate(1) == 2\n    assert candidate(5) == 10\n    assert candidate(-3) == -6\n",
        "entry_point": "double",
    })
}

fn reward(o: &Outcome) -> f64 {
    assert_eq!(o.status, Status::Ok, "{o:?}");
    o.reward.unwrap()
}

#[test]
fn humaneval_correct_and_wrong() {
    let ok = grade(
        CodeOptions::default(),
        &fenced("def double(x):\n    return 2 * x"),
        humaneval(),
    );
    assert_eq!(reward(&ok), 1.0);
    assert_eq!(ok.components["passed"], Some(3.0));
    let off = grade(
        CodeOptions::default(),
        &fenced("def double(x):\n    return 2 * x + 1"),
        humaneval(),
    );
    assert_eq!(reward(&off), 0.0);
    let partial = grade(
        CodeOptions {
            reward: RewardMode::Fraction,
            ..CodeOptions::default()
        },
        &fenced("def double(x):\n    return 2 * x if x > 0 else 0"),
        humaneval(),
    );
    assert!((reward(&partial) - 2.0 / 3.0).abs() < 1e-9, "{partial:?}");
}

#[test]
fn cheating_programs_fail() {
    let cheats = [
        ("early os._exit", "import os\ndef double(x):\n    return 0\nos._exit(0)"),
        ("early sys.exit", "import sys\ndef double(x):\n    return 0\nsys.exit(0)"),
        ("exit inside the call", "import os\ndef double(x):\n    os._exit(0)"),
        (
            "always-equal object",
            "class Yes:\n    def __eq__(self, other):\n        return True\n    def __ne__(self, other):\n        return False\ndef double(x):\n    return Yes()",
        ),
        (
            "int subclass with __eq__",
            "class I(int):\n    def __eq__(self, other):\n        return True\ndef double(x):\n    return I(0)",
        ),
        (
            "monkeypatched builtins",
            "import builtins\nbuiltins.AssertionError = type('Nope', (Exception,), {})\ndef double(x):\n    import builtins\n    builtins.int = str\n    return 0",
        ),
        (
            "forged report without the nonce",
            "import os\nos.write(3, b'0 {\"i\": 0, \"ok\": true}\\n')\ndef double(x):\n    return 0",
        ),
        (
            "reads the tests from disk",
            "import os\nsrc = ''.join(open(f).read() for f in os.listdir('.'))\ndef double(x):\n    return int(src.split('== ')[1].split()[0]) if '== ' in src else 0",
        ),
    ];
    for (name, code) in cheats {
        let o = grade(
            CodeOptions {
                reward: RewardMode::Fraction,
                ..CodeOptions::default()
            },
            &fenced(code),
            humaneval(),
        );
        assert_eq!(reward(&o), 0.0, "{name}: {o:?}");
        let why = Value::Object(o.explanation.clone()).to_string();
        assert!(
            !why.contains("compile_error"),
            "{name} must be valid Python: {why}"
        );
    }
}

#[test]
fn monkeypatching_the_judges_functions_fails() {
    let reference = json!({
        "asserts": ["assert math.isclose(double(1), 2)", "assert math.isclose(double(2), 4)"],
        "setup": "import math",
    });
    let honest = grade(
        CodeOptions::default(),
        &fenced("def double(x):\n    return 2.0 * x"),
        reference.clone(),
    );
    assert_eq!(reward(&honest), 1.0);
    let cheats = [
        "import math\nmath.isclose = lambda *a, **k: True\ndef double(x):\n    return 0",
        "def double(x):\n    import math, builtins\n    math.isclose = lambda *a, **k: True\n    builtins.isinstance = lambda *a: True\n    return 0",
    ];
    for code in cheats {
        let o = grade(
            CodeOptions {
                reward: RewardMode::Fraction,
                ..CodeOptions::default()
            },
            &fenced(code),
            reference.clone(),
        );
        assert_eq!(reward(&o), 0.0, "{code}: {o:?}");
        let why = Value::Object(o.explanation.clone()).to_string();
        assert!(
            !why.contains("compile_error"),
            "must be valid Python: {why}"
        );
    }
}

#[test]
fn expected_values_never_enter_the_candidates_process() {
    // The candidate searches its whole process (objects, frames, source) for the tests.
    let snoop = r#"
import gc, re, sys
def double(x):
    pattern = re.compile(re.escape(f"double({x}) ==") + r"\s*(-?\d+)")
    texts = [o for o in gc.get_objects() if isinstance(o, (dict, list, tuple))]
    f = sys._getframe()
    while f is not None:
        texts.append(f.f_locals)
        texts.append(f.f_code.co_consts)
        f = f.f_back
    for t in texts:
        try:
            m = pattern.search(str(t))
        except Exception:
            continue
        if m:
            return int(m.group(1))
    return -1
"#;
    let reference = json!({"asserts": ["assert double(2) == 4", "assert double(3) == 6"]});
    let o = grade(
        CodeOptions {
            reward: RewardMode::Fraction,
            ..CodeOptions::default()
        },
        &fenced(snoop),
        reference,
    );
    assert_eq!(reward(&o), 0.0, "{o:?}");
    // It did run and answer (wrongly): the expected values were nowhere to be found.
    let error = o.explanation["failures"][0]["error"].as_str().unwrap();
    assert!(error.ends_with(r#"got {"int":"-1"}"#), "{error}");
}

#[test]
fn mbpp_asserts_each_scored() {
    let reference = json!({
        "test_list": ["assert add(1, 2) == 3", "assert add(2, 2) == 4", "assert add(0, 5) == 6"],
        "test_imports": [],
    });
    let o = grade(
        CodeOptions {
            reward: RewardMode::Fraction,
            ..CodeOptions::default()
        },
        &fenced("def add(a, b):\n    return a + b"),
        reference.clone(),
    );
    assert!((reward(&o) - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(o.components["total"], Some(3.0));
    let weighted = grade(
        CodeOptions {
            reward: RewardMode::Weighted,
            ..CodeOptions::default()
        },
        &fenced("def add(a, b):\n    return a + b"),
        json!({"asserts": ["assert add(1, 2) == 3", "assert add(0, 5) == 6"], "weights": [3, 1]}),
    );
    assert_eq!(reward(&weighted), 0.75);
}

#[test]
fn stdin_stdout_tests() {
    let reference = json!({"language": "python", "tests": [
        {"stdin": "1 2\n", "stdout": "3\n7\n"},
        {"stdin": "5 5\n", "stdout": "10\n7\n"},
    ], "time_limit_s": 5});
    let good = "a, b = map(int, input().split())\nprint(a + b)\nprint(7)";
    assert_eq!(
        reward(&grade(
            CodeOptions::default(),
            &fenced(good),
            reference.clone()
        )),
        1.0
    );
    let first_line_only = "a, b = map(int, input().split())\nprint(a + b)";
    assert_eq!(
        reward(&grade(
            CodeOptions::default(),
            &fenced(first_line_only),
            reference.clone()
        )),
        0.0
    );
    let syntax = grade(CodeOptions::default(), &fenced("def (:"), reference.clone());
    assert_eq!(reward(&syntax), 0.0);
    assert!(
        Value::Object(syntax.explanation.clone())
            .to_string()
            .contains("SyntaxError"),
        "{syntax:?}"
    );
    let slow = grade(
        CodeOptions::default(),
        &fenced("while True:\n    pass"),
        json!({"tests": [{"stdin": "", "stdout": "1"}], "time_limit_s": 0.5}),
    );
    assert_eq!(reward(&slow), 0.0);
}

#[test]
fn bad_references_and_missing_code() {
    let o = grade(CodeOptions::default(), "x", json!({"nothing": 1}));
    assert_eq!(o.status, Status::Error);
    assert_eq!(o.error.unwrap().kind, ErrorKind::BadReference);
    let o = grade(
        CodeOptions {
            extract: assay_code::Extract::LastBlock,
            ..CodeOptions::default()
        },
        "I don't know.",
        humaneval(),
    );
    assert_eq!(o.status, Status::Invalid);
}

#[test]
fn cpp_stdin_stdout() {
    let reference = json!({"language": "cpp", "tests": [
        {"stdin": "1 2\n", "stdout": "3\n"},
        {"stdin": "40 2\n", "stdout": "42\n"},
    ]});
    let good = "```cpp\n#include <iostream>\nint main() { long a, b; std::cin >> a >> b; std::cout << a + b << std::endl; }\n```";
    assert_eq!(
        reward(&grade(CodeOptions::default(), good, reference.clone())),
        1.0
    );
    let broken = "```cpp\nint main() { return x; }\n```";
    let o = grade(CodeOptions::default(), broken, reference.clone());
    assert_eq!(reward(&o), 0.0);
    assert!(
        Value::Object(o.explanation.clone())
            .to_string()
            .contains("compile error"),
        "{o:?}"
    );
    let asserts = grade(
        CodeOptions::default(),
        good,
        json!({"language": "cpp", "asserts": ["assert 1"]}),
    );
    assert_eq!(asserts.error.unwrap().kind, ErrorKind::BadReference);
}

#[test]
fn a_program_that_hangs_past_its_item_timeout_fails_instead_of_timing_out() {
    // The reference allows 10 s, the item's timeout is 1 s: the program's own limit is cut to
    // what the timeout leaves, so hanging earns the 0 of a failed test, not a `timeout`.
    let grader = CodeGrader::new(CodeOptions::default()).unwrap();
    let item = Item::new(
        fenced("import time\ntime.sleep(30)\nprint(1)"),
        json!({"tests": [{"stdin": "", "stdout": "1"}], "time_limit_s": 10}),
    );
    let started = std::time::Instant::now();
    let o = grader
        .grade_batch(
            &[&item],
            &BatchContext::new(Some(Duration::from_millis(1000))),
        )
        .pop()
        .unwrap();
    assert_eq!(o.status, Status::Ok, "{o:?}");
    assert_eq!(o.reward, Some(0.0));
    // Far less than the reference's 10 s (a loaded machine needs some seconds to start the
    // sandbox).
    assert!(
        started.elapsed() < Duration::from_millis(8000),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(o.explanation["failures"][0]["status"], "timeout", "{o:?}");
}

#[test]
fn a_request_deadline_that_stops_the_program_is_a_timeout() {
    let grader = CodeGrader::new(CodeOptions::default()).unwrap();
    let item = Item::new(
        fenced("import time\ntime.sleep(30)\nprint(1)"),
        json!({"tests": [{"stdin": "", "stdout": "1"}], "time_limit_s": 10}),
    );
    let started = std::time::Instant::now();
    let ctx = BatchContext::new(Some(Duration::from_secs(60)))
        .with_deadline(Some(started + Duration::from_millis(700)));
    let o = grader.grade_batch(&[&item], &ctx).pop().unwrap();
    assert_eq!(o.status, Status::Timeout, "{o:?}");
    assert_eq!(o.reward, None);
    // Far less than the reference's 10 s, with room for a loaded machine.
    assert!(
        started.elapsed() < Duration::from_millis(8000),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn cancelling_kills_the_running_programs_within_a_second() {
    let grader = CodeGrader::new(CodeOptions::default()).unwrap();
    // Start the process-wide sandbox first: its start-up is not what is measured.
    let warm = grade(
        CodeOptions::default(),
        &fenced("print(1)"),
        json!({"tests": [{"stdin": "", "stdout": "1"}]}),
    );
    assert_eq!(warm.reward, Some(1.0));
    let items: Vec<Item> = (0..4)
        .map(|_| {
            Item::new(
                fenced("while True:\n    pass"),
                json!({"tests": [{"stdin": "", "stdout": "1"}], "time_limit_s": 60}),
            )
        })
        .collect();
    let refs: Vec<&Item> = items.iter().collect();
    let cancel = assay_core::CancelToken::new();
    let ctx = BatchContext::new(Some(Duration::from_secs(120))).with_cancel(cancel.clone());
    let fire = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(800));
        cancel.cancel();
        std::time::Instant::now()
    });
    let outcomes = grader.grade_batch(&refs, &ctx);
    let cancelled_at = fire.join().unwrap();
    assert!(
        cancelled_at.elapsed() < Duration::from_secs(1),
        "{:?}",
        cancelled_at.elapsed()
    );
    for o in &outcomes {
        assert_eq!(
            o.error.as_ref().map(|e| e.kind),
            Some(ErrorKind::Cancelled),
            "{o:?}"
        );
    }
}

#[test]
fn tolerance_asserts_are_judged_on_the_host() {
    let reference = json!({
        "test": "def check(candidate):\n    assert abs(candidate(1.5) - 0.5) < 1e-6\n    assert math.isclose(candidate(2.25), 0.25, rel_tol=1e-9)\n",
        "entry_point": "frac",
    });
    let with_math = |body: &str| fenced(&format!("import math\n{body}"));
    let good = grade(
        CodeOptions::default(),
        &with_math("def frac(x):\n    return x % 1.0"),
        reference.clone(),
    );
    assert_eq!(reward(&good), 1.0, "{good:?}");
    let bad = grade(
        CodeOptions {
            reward: RewardMode::Fraction,
            ..CodeOptions::default()
        },
        &with_math("def frac(x):\n    return 0.5"),
        reference,
    );
    assert_eq!(reward(&bad), 0.5, "{bad:?}");
    let error = bad.explanation["failures"][0]["error"].as_str().unwrap();
    assert!(
        error.contains("got {\"float\":\"0.5\"}"),
        "judged on the host: {error}"
    );
}

#[test]
fn the_python_that_ran_is_named_and_a_missing_test_module_is_the_environment() {
    let which = String::from_utf8(
        std::process::Command::new("python3")
            .args([
                "-c",
                "import os, sys; print(os.path.realpath(sys.executable))",
            ])
            .output()
            .unwrap()
            .stdout,
    )
    .unwrap();
    let ok = grade(
        CodeOptions::default(),
        &fenced("def double(x):\n    return 2 * x"),
        humaneval(),
    );
    let python = ok.explanation["python"].as_str().unwrap().to_string();
    assert!(python.starts_with(which.trim()), "{python} vs {which}");
    assert!(python.contains("(Python 3."), "{python}");

    // The tests import a module this interpreter does not have: not the program's failure.
    let reference = json!({
        "test_list": ["assert double(2) == 4"],
        "test_imports": ["import assay_no_such_module_xyz"],
    });
    let o = grade(
        CodeOptions::default(),
        &fenced("def double(x):\n    return 2 * x"),
        reference,
    );
    assert_eq!(o.status, Status::Error, "{o:?}");
    let error = o.error.as_ref().unwrap();
    assert_eq!(error.kind, ErrorKind::Execution, "{error:?}");
    for expected in [
        "environment:",
        "assay_no_such_module_xyz",
        "python = ",
        which.trim(),
    ] {
        assert!(
            error.message.contains(expected),
            "{expected} missing: {}",
            error.message
        );
    }

    // A program that raises ModuleNotFoundError itself still fails as the program.
    let o = grade(
        CodeOptions::default(),
        &fenced("import assay_no_such_module_xyz\ndef double(x):\n    return 2 * x"),
        json!({"test_list": ["assert double(2) == 4"]}),
    );
    assert_ne!(o.status, Status::Error, "{o:?}");
    assert_eq!(o.reward, Some(0.0), "{o:?}");

    // An interpreter that cannot run is named in the error.
    let o = grade(
        CodeOptions {
            python: Some("/nonexistent/python3".into()),
            ..CodeOptions::default()
        },
        &fenced("def double(x):\n    return 2 * x"),
        humaneval(),
    );
    assert_eq!(o.status, Status::Error, "{o:?}");
    assert!(
        o.error
            .as_ref()
            .unwrap()
            .message
            .contains("/nonexistent/python3"),
        "{o:?}"
    );
}

//! Regression: a candidate's globals named like builtins (or its own `__builtins__`) must not
//! decide the tests that run in place (`for x in range(...)`, `all(...)`, `abs(...) < eps`
//! inside a loop), while a task that asks for a function named like a builtin still works.

use assay_code::CodeOptions;
use assay_core::{Outcome, Status};
use serde_json::{json, Value};

mod common;

fn grade(response: &str, reference: Value) -> Outcome {
    common::grade_with(CodeOptions::default(), response, reference)
}

#[test]
fn shadowed_builtins_do_not_fake_tests() {
    let check = json!({
        "test": "def check(candidate):\n    for x in range(5):\n        assert candidate(x) == x * 2\n    assert all(candidate(i) > i for i in [1, 2, 3])\n    for x in [1.5, 2.5]:\n        assert abs(candidate(x) - 2 * x) < 1e-9\n",
        "entry_point": "double",
    });
    let asserts = json!({
        "asserts": [
            "assert all(double(x) == 2 * x for x in [1, 2, 3])",
            "assert not any(double(x) != 2 * x for x in [4, 5])",
            "assert len(set(map(double, [1, 2, 3]))) == 3 and sorted([double(2), double(1)])[0] == 2",
        ],
    });
    let cheats = [
        "def double(x):\n    return -1\ndef range(*a):\n    return []\ndef all(*a):\n    return True\ndef abs(x):\n    return 0",
        "double = lambda x: -1\nall = lambda *a: True\nany = lambda *a: False\nlen = lambda *a: 3\nsorted = lambda *a: [2]\nrange = lambda *a: []\nabs = lambda x: 0",
        "import builtins as _b\ndef double(x):\n    return -1\n__builtins__ = dict(vars(_b), range=lambda *a: [], all=lambda *a: True, any=lambda *a: False, len=lambda *a: 3, sorted=lambda *a: [2], abs=lambda x: 0)",
    ];
    for reference in [&check, &asserts] {
        for cheat in cheats {
            let o = grade(cheat, reference.clone());
            assert_eq!(o.status, Status::Ok, "{o:?}");
            assert_eq!(o.components["passed"], Some(0.0), "{cheat}\n{o:?}");
        }
        let ok = grade("def double(x):\n    return 2 * x", reference.clone());
        assert_eq!(ok.reward, Some(1.0), "{ok:?}");
    }
}

#[test]
fn a_function_named_like_a_builtin_can_still_be_asked_for() {
    // MBPP 126 asks for `sum(a, b)`, the sum of the common divisors.
    let reference = json!({"asserts": ["assert sum(10,15) == 6", "assert sum(100,150) == 93", "assert sum(4,6) == 3"]});
    let solution = "def sum(a, b):\n    total = 0\n    for i in range(1, min(a, b)):\n        if a % i == 0 and b % i == 0:\n            total += i\n    return total";
    let o = grade(solution, reference);
    assert_eq!(o.reward, Some(1.0), "{o:?}");
}

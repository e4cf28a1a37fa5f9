//! Regression: an infinite result must not pass `math.isclose` tests judged on the host
//! (`rel_tol * inf` made every expected value "close" to infinity).

use assay_code::CodeOptions;
use assay_core::{Outcome, Status};
use serde_json::{json, Value};

mod common;

fn grade(response: &str, reference: Value) -> Outcome {
    common::grade_with(CodeOptions::default(), response, reference)
}

#[test]
fn infinity_is_not_close_to_a_finite_expected_value() {
    let asserts = json!({
        "asserts": [
            "assert math.isclose(area(2), 12.566370614359172, rel_tol=0.001)",
            "assert math.isclose(area(3), 28.274333882308138)",
        ],
        "setup": "import math",
    });
    let check = json!({
        "test": "import math\ndef check(candidate):\n    assert math.isclose(candidate(2), 12.566370614359172)\n",
        "entry_point": "area",
    });
    for reference in [asserts, check] {
        for cheat in ["float('inf')", "-float('inf')", "float('nan')"] {
            let o = grade(
                &format!("def area(r):\n    return {cheat}"),
                reference.clone(),
            );
            assert_eq!(o.status, Status::Ok, "{o:?}");
            assert_eq!(o.reward, Some(0.0), "{cheat} passed: {o:?}");
        }
        let ok = grade(
            "import math\ndef area(r):\n    return math.pi * r * r",
            reference.clone(),
        );
        assert_eq!(ok.reward, Some(1.0), "{ok:?}");
    }
}

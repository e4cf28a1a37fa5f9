"""The plan: the tests split into statements, expected values computed without the candidate,
and what each scored statement reads."""

import json

import pytest

from assay_code_harness.plan import split_tests

import harness_process


def test_check_functions_are_split_into_statements():
    spec = {
        "kind": "check",
        "test": "import math\nHELP = 1\ndef helper(a, b):\n    assert a == b\n"
        "def check(candidate):\n    x = candidate(1)\n    assert x == 2\n    helper(candidate(2), 4)\n"
        "check(f)\n",
        "entry_point": "f",
    }
    setup, param, tests = split_tests(spec)
    assert param == "candidate"
    assert "HELP = 1" in setup and "check(f)" not in setup
    assert tests == [("x = candidate(1)", False), ("assert x == 2", True), ("helper(candidate(2), 4)", True)]
    with pytest.raises(ValueError, match="no check"):
        split_tests({"kind": "check", "test": "x = 1", "entry_point": "f"})


def plan_of(spec):
    nonce = "ab" * 16
    literal = json.dumps(json.dumps({**spec, "nonce": nonce}))
    call = f"import json\nfrom assay_code_harness.plan import main\nmain(json.loads({literal}))\n"
    reports, done = harness_process.run(call, nonce=nonce)
    assert done.returncode == 0, done.stderr.decode()
    assert len(reports) == 1, reports
    return reports[0]


def test_the_plan_computes_expected_sides_and_reads():
    plan = plan_of({"kind": "asserts", "setup": "", "asserts": ["assert f(1) == 2", "assert divmod(7, 2) == (3, 1)", "assert True"]})
    first, builtin, constant = plan["tests"]
    assert first["sides"] == [{"expr": "f(1)", "expected": {"int": "2"}, "uses": ["f"], "other": []}]
    assert first["reads"] == ["f"]
    # Both operands evaluate without the candidate: either may be the program's.
    assert [s["expr"] for s in builtin["sides"]] == ["divmod(7, 2)", "(3, 1)"]
    assert builtin["reads"] == ["divmod"]
    assert constant["reads"] == [] and constant["sides"] == []


def test_tests_that_do_not_parse_are_reported_as_such():
    plan = plan_of({"kind": "asserts", "setup": "", "asserts": ["assert ("]})
    assert "SyntaxError" in plan["error"]

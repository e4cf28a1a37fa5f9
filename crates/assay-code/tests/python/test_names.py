"""Which names code binds and reads: what decides `require_program_names`."""

import pytest

from assay_code_harness.names import bound_in, free_names, module_bases, outside_reads


def test_bound_and_free_names():
    assert bound_in(["import os.path as p, sys\nx, *y = 1, 2\nfor i in z: pass\ndef f(a): global g\nclass C: pass"]) == {
        "p", "sys", "x", "y", "i", "f", "g", "C",
    }
    assert free_names("print(len(xs), [v for v in ys])") == {"print", "len", "xs", "v", "ys"}
    assert free_names("def (") == set()
    assert module_bases(["math.pi + math.e", "q.enqueue(1)"]) == {"math": {"pi", "e"}, "q": {"enqueue"}}


@pytest.mark.parametrize(
    "setup, statements, expected",
    [
        # Builtins only: a program must define `divmod` for the test to be about it.
        ("", ["assert divmod(7, 2) == (3, 1)"], [{"divmod"}]),
        # Constants read nothing outside the tests.
        ("", ["assert True", "assert 1 + 1 == 2"], [set(), set()]),
        # The tests' own helper reads the program's `solve`.
        ("def run():\n    return solve(3)", ["assert run() == 9"], [{"solve"}]),
        # `data` was passed to the candidate, which may change it in place. (A name of the
        # tests stands for every statement that mentions it: an over-approximation, which can
        # only leave a test unflagged.)
        ("", ["data = [3, 1]", "candidate(data)", "assert data == sorted([3, 1])"],
         [set(), {"candidate", "sorted"}, {"candidate", "sorted"}]),
        # A name bound to the candidate reads it.
        ("", ["f = candidate", "assert f(2) == 4"], [{"candidate"}, {"candidate"}]),
        # Loop variables, comprehension targets and lambda parameters are the tests' own: a
        # program defining `x` does not make these tests about it.
        ("", ["for x in [(7, 2)]:\n    assert divmod(*x) == (3, 1)"], [{"divmod"}]),
        ("", ["assert sorted(x for x in [3, 1]) == [1, 3]"], [{"sorted"}]),
        ("", ["assert (lambda x: abs(x))(-1) == 1"], [{"abs"}]),
        # What the tests import is theirs.
        ("import math", ["assert math.floor(area(2)) == 12"], [{"area"}]),
        # A statement that does not parse reads nothing.
        ("", ["assert ("], [set()]),
    ],
)
def test_outside_reads(setup, statements, expected):
    assert outside_reads(setup, statements) == expected

"""The judge and the candidate's process, end to end, without a sandbox: the nonce and the
tests come on stdin after the fork, the candidate has no result channel, the judge is not
dumpable, and the reports say which of the program's names the tests read."""

import json

import harness_process

NONCE = "cd" * 16


def judge(program, tests, setup="", param=None, entry_point=None, reads=()):
    suite = {
        "nonce": NONCE,
        "param": param,
        "entry_point": entry_point,
        "setup": setup,
        "tests": [{"src": src, "scored": True, "sides": []} for src in tests],
        "reads": sorted(reads),
    }
    call = f"from assay_code_harness.judge import main\nmain({json.dumps(program)})\n"
    reports, done = harness_process.run(call, stdin=json.dumps(suite).encode(), nonce=NONCE)
    assert done.returncode == 0, done.stderr.decode()
    return reports


def test_an_honest_program_passes_and_its_names_are_reported():
    reports = judge("def f(x):\n    return 2 * x\nUNUSED = 1\n", ["assert f(2) == 4", "assert f(3) == 7"], reads={"f", "len"})
    assert reports[0] == {"names": ["f"]}
    assert reports[1] == {"i": 0, "ok": True}
    assert reports[2]["i"] == 1 and reports[2]["ok"] is False and "AssertionError" in reports[2]["error"]
    assert reports[3] == {"finished": True, "broken": None}


def test_the_candidate_has_no_channel_and_inherits_a_non_dumpable_process():
    program = (
        "import ctypes, os\n"
        "def write():\n    os.write(3, b'forged')\n"
        "def dumpable():\n    return ctypes.CDLL(None).prctl(3, 0, 0, 0, 0)\n"
    )
    reports = judge(program, ["write()", "assert dumpable() == 0"], reads={"write", "dumpable"})
    assert reports[1]["ok"] is False and "Bad file descriptor" in reports[1]["error"]
    assert reports[2] == {"i": 1, "ok": True}


def test_a_check_binds_the_entry_point_and_a_missing_one_is_a_load_error():
    reports = judge("def g(x):\n    return x\n", ["assert candidate(1) == 1"], param="candidate", entry_point="g", reads={"candidate"})
    assert reports[0] == {"names": ["candidate"]}
    assert reports[1] == {"i": 0, "ok": True}
    reports = judge("x = 1\n", ["assert candidate(1) == 1"], param="candidate", entry_point="g")
    assert reports == [{"load_error": "the response defines no function 'g'"}]
    reports = judge("def (:\n", ["assert True"])
    assert list(reports[0]) == ["compile_error"]


def test_a_module_the_tests_cannot_import_is_the_environment_not_the_program():
    reports = judge("def f(x):\n    return 2 * x\n", ["assert f(2) == 4"], setup="import assay_no_such_module_xyz\n", reads={"f"})
    assert reports[-1].keys() == {"environment_error"}, reports
    assert "assay_no_such_module_xyz" in reports[-1]["environment_error"]
    # A setup that fails otherwise (or imports what exists, then fails) breaks the tests as before.
    reports = judge("def f(x):\n    return 2 * x\n", ["assert f(2) == 4"], setup="import json\nraise ValueError('x')\n", reads={"f"})
    assert "environment_error" not in json.dumps(reports)
    # The candidate's own ModuleNotFoundError, raised into the tests, is the program's.
    reports = judge(
        "def f(x):\n    raise ModuleNotFoundError('no', name='assay_no_such_module_xyz')\n",
        ["assert f(2) == 4"],
        setup="f(1)\n",
        reads={"f"},
    )
    assert "environment_error" not in json.dumps(reports), reports

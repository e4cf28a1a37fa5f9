"""The judge: the harness task's main process. It holds the result channel (fd 3), runs the
test setup and every test, and never executes a line of the candidate's code; the candidate's
program runs in a child it forks first (`candidate.main`) and is called over a socket pair
(`peer`).

The program of the task is `judge.main(<the candidate's source>)`; everything else arrives on
stdin, which the judge reads only after the fork, so that the child's memory never holds it:
`{"nonce", "param", "entry_point", "setup", "tests", "reads"}` (see `plan.rs`). Before the
fork the judge makes itself non-dumpable (`prctl(PR_SET_DUMPABLE, 0)`), whatever the host's
`fs.suid_dumpable`: a process of the same uid cannot open its `/proc/<pid>/mem` or
`/proc/<pid>/fd`.

Reports (one JSON object per line, tagged with the nonce): `{"names": [...]}` once the program
has loaded (the program's names among those the tests read), then `{"i", "ok"[, "error"]}` or
`{"i", "value", "side"}` per scored test, and `{"finished": true, "broken"}` at the end; or
`{"compile_error"}`, `{"load_error"}`, `{"harness_error"}` instead, or `{"environment_error"}`
when the tests' setup cannot import a module (the interpreter lacks it: not the program's
failure).
"""

import builtins
import ctypes
import json
import os
import signal
import socket
import sys
import time
import types

from assay_code_harness import candidate
from assay_code_harness.lending import data_class
from assay_code_harness.names import bound_in, free_names, module_bases
from assay_code_harness.peer import connect
from assay_code_harness.report import describe, reporter
from assay_code_harness.values import canon

PR_SET_DUMPABLE = 4
_libc = ctypes.CDLL(None, use_errno=True)


def _module_missing(e):
    """Whether `e` is a `ModuleNotFoundError` raised by an import statement of the test setup
    itself (every frame below the judge's is the setup's or the import system's, so an
    exception the candidate raised and the peer forwarded never passes for one) for a module
    this interpreter really cannot find."""
    if type(e) is not ModuleNotFoundError or not isinstance(e.name, str) or not e.name:
        return False
    tb = e.__traceback__.tb_next if e.__traceback__ is not None else None
    while tb is not None:
        where = tb.tb_frame.f_code.co_filename
        if where != "<test setup>" and not where.startswith("<frozen importlib"):
            return False
        tb = tb.tb_next
    import importlib.util

    try:
        return importlib.util.find_spec(e.name.split(".")[0]) is None
    except (ImportError, ValueError):
        return False


def make_undumpable():
    """`prctl(PR_SET_DUMPABLE, 0)`: from now on (and in children forked from now on), only
    root may read this process's memory or open its descriptors through `/proc`. Returns
    None, or why it failed."""
    ulong = ctypes.c_ulong
    if _libc.prctl(ctypes.c_int(PR_SET_DUMPABLE), ulong(0), ulong(0), ulong(0), ulong(0)) != 0:
        return f"prctl(PR_SET_DUMPABLE, 0) failed: {os.strerror(ctypes.get_errno())}"
    return None


def _bound_names(suite, tests):
    """Every name the tests' code binds, anywhere (see `names.bound_in`)."""
    return bound_in([suite["setup"]] + [t["src"] for t in tests if t["src"]])


def _module_bases(suite, tests):
    """The names the tests' code reads an attribute of (`math` in `math.pi`), each with the
    attributes read."""
    sources = [suite["setup"]] + [t["src"] for t in tests if t["src"]]
    sources += [side["expr"] for t in tests for side in t["sides"]]
    return module_bases(sources)


def main(source):
    """Runs the tests that arrive on stdin against the program `source`, run in a forked
    child."""
    # Only the judge may end itself: an interrupt from the candidate's process kills it (every
    # unreported test fails) instead of raising inside a test.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    # Before the fork: the child is never a moment alone with a dumpable judge.
    harness_error = make_undumpable()

    # The judge and the candidate take turns, never run at once: on one CPU, a call's round
    # trip is a switch between them instead of a wake-up across CPUs (half the latency).
    try:
        with open("/proc/self/stat", "rb") as stat:
            cpu = int(stat.read().rsplit(b")", 1)[1].split()[36])
        os.sched_setaffinity(0, {cpu})
    except (OSError, ValueError, IndexError):
        pass
    mine, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        try:
            mine.close()
            candidate.main(source, theirs)
        finally:
            os._exit(1)
    theirs.close()
    # Away from the scratch directory, which the candidate's process can write.
    os.chdir("/")
    # The nonce and the tests, only now that the candidate's process exists without them.
    suite = json.loads(sys.stdin.buffer.read())
    report = reporter(suite["nonce"])
    if harness_error is not None:
        os.kill(pid, signal.SIGKILL)
        report({"harness_error": harness_error})
        return
    tests, param = suite["tests"], suite["param"]

    class CandidateError(Exception):
        """The candidate's process went away, broke the protocol, or raised an exception
        that is not one of Python's built-in ones."""

    CandidateError.__module__, CandidateError.__qualname__ = "builtins", "CandidateError"

    def on_lost(e):
        if not isinstance(e, EOFError):
            return f"lost the candidate's process: {describe(e).strip()}"
        # The connection closes as the process exits: give it a moment to become a zombie.
        for _ in range(100):
            try:
                done, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done, status = pid, 0
            if done:
                break
            time.sleep(0.001)
        if done and os.WIFEXITED(status):
            return f"the candidate's process exited with code {os.WEXITSTATUS(status)}"
        if done and os.WIFSIGNALED(status):
            return f"the candidate's process was killed by signal {os.WTERMSIG(status)}"
        return "the candidate's process closed its connection"

    peer = connect(mine, "j", True, CandidateError, on_lost)
    try:
        kind, detail = peer.recv()
    except BaseException as e:
        report({"load_error": f"the program did not load: {on_lost(e)}"})
        return
    if kind in ("compile_error", "load_error"):
        report({kind: str(detail)[-2000:]})
        return
    names = {}
    for entry in detail:
        try:
            name, how, value = entry
            if how == "module":
                # The judge's own copy of a module the candidate imported (tests written for
                # MBPP use the candidate's `math`), if the judge has it loaded already: a
                # module name from the candidate never makes the judge import anything.
                module = sys.modules.get(value) if value != "__main__" else None
                if isinstance(module, types.ModuleType):
                    names[name] = module
            else:
                names[name] = peer.decode(value)
        except BaseException:
            continue
    # A name the tests use as a module (`math.pi`) is the judge's module of that name, whatever
    # the candidate bound to it (an object with `pi = 0.0` would decide such a test); unless
    # the module lacks what the tests read (`queue.enqueue` is the candidate's own queue).
    clashing = [n for n, v in names.items() if not isinstance(v, types.ModuleType) and n in sys.modules]
    for name, attributes in (_module_bases(suite, tests) if clashing else {}).items():
        module = sys.modules.get(name)
        if name in clashing and isinstance(module, types.ModuleType):
            if all(hasattr(module, a) for a in attributes):
                names[name] = module
    env = dict(names)
    env["__name__"] = "__main__"
    # The tests and the setup see the real builtins: a candidate's global named like a builtin
    # (`range`, `all`) would otherwise decide the tests run here. Host-judged expressions still
    # see the candidate's functions of those names (a task may ask for a function called `sum`);
    # their values are compared on the host, so shadowing cannot fake them.
    env["__builtins__"] = builtins
    builtin_names = builtins.__dict__
    shadowing = {n: env.pop(n) for n in list(env) if n in builtin_names and not n.startswith("__")}
    # The names the candidate decides (a module it imported is the judge's own copy).
    candidate_names = {n for n, v in names.items() if not isinstance(v, types.ModuleType)}
    if param is not None:
        entry_point = suite["entry_point"]
        if entry_point.isidentifier():
            entry = names.get(entry_point)
        else:
            # LeetCode style: `Solution().twoSum`, evaluated over the program's names.
            try:
                entry = eval(compile(entry_point, "<entry point>", "eval"), {"__builtins__": builtins, **names})
            except BaseException as e:
                report({"load_error": f"the entry point {entry_point!r} failed: {describe(e).strip()}"})
                return
        if not callable(entry):
            report({"load_error": f"the response defines no function {entry_point!r}"})
            return
        env[param] = entry
        candidate_names.add(param)
    # The names of the program the tests read (the host flags a scored test that reads none).
    report({"names": sorted(candidate_names.intersection(suite.get("reads", ())))})
    broken = None
    try:
        if suite["setup"].strip():
            exec(compile(suite["setup"], "<test setup>", "exec"), env)
    except BaseException as e:
        if _module_missing(e):
            # A module the tests import is not installed for this interpreter: the grader's
            # environment is wrong, not the program.
            report({"environment_error": describe(e).strip()[-2000:]})
            return
        broken = "test setup failed: " + describe(e)
    lent = []
    classes = [n for n, v in env.items() if isinstance(v, type) and v.__module__ == "__main__" and n not in names]
    wanted = free_names(source) if classes else ()
    # Names that are not the builtins a data class may read: anything the tests bind (at any
    # time: in `check`, or a setup function's `global`) or the program defines.
    unsafe = set(names) | {n for n in env if n != "__builtins__"}
    if classes:
        unsafe |= _bound_names(suite, tests)
    for name in classes:
        value = env[name]
        if name in wanted and data_class(value, unsafe):
            try:
                lent.append([name, peer.encode(value)])
            except BaseException:
                pass
    if lent:
        try:
            peer.send(["define", lent])
        except BaseException:
            pass  # the next call to the candidate says what happened
    index = 0
    for test in tests:
        scored = test["scored"]
        if broken is not None:
            if scored:
                report({"i": index, "ok": False, "error": broken})
                index += 1
            continue
        try:
            sides = test["sides"]
            if sides:
                # The side that involves the candidate is evaluated; the host holds the other
                # side's value, computed with Python's builtins, so that side must name none of
                # the candidate's (a program defining `max` and `sum` would otherwise choose
                # what `max(3, 0) == sum([1, 2])` compares). Without any name of the
                # candidate's on either side, the first.
                named = candidate_names.intersection
                usable = [k for k, side in enumerate(sides) if not named(side.get("other", ()))]
                k = next((k for k in usable if named(sides[k]["uses"])), None)
                if k is None:
                    if len(usable) < len(sides):
                        raise NameError("the program redefines a name the expected value is computed with")
                    k = 0
                scope = {**env, **shadowing} if shadowing else env
                value = canon(eval(compile(sides[k]["expr"], f"<test {index}>", "eval"), scope))
                report({"i": index, "value": value, "side": k})
            else:
                if scored and param is None and shadowing:
                    # An assert list calls the task's functions by name: one named like a
                    # builtin (`divmod`) would be the builtin here, and the test would not test
                    # the program at all.
                    used = set(shadowing).intersection(free_names(test["src"]))
                    if used:
                        raise NameError(
                            f"the program redefines the builtin {sorted(used)[0]!r}, which this test "
                            "uses: the test cannot tell which one it means"
                        )
                exec(compile(test["src"], f"<test {index}>", "exec"), env)
                if scored:
                    report({"i": index, "ok": True})
        except BaseException as e:
            if scored:
                report({"i": index, "ok": False, "error": describe(e)})
            else:
                broken = "an earlier test step failed: " + describe(e)
        if scored:
            index += 1
    # A step that failed after the last test (a trailing call that raised) still fails the
    # check: the host fails the last test for it.
    report({"finished": True, "broken": broken})
    mine.close()

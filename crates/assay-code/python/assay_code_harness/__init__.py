"""Test harnesses of the `code` grader, for assert-style and check-style references.

Trusted code that runs inside the sandbox and reports on file descriptor 3, every line tagged
with the task's nonce. The grader installs every module of this package in the sandbox's
Python zygote (`SandboxConfig::python_modules`), so tasks import them for free; the modules
import each other by absolute name, and load in the order of `plan.rs`'s `HARNESS_MODULES`.

Two programs are built from them:

- the *plan* (`plan.main`), run on the reference alone, without any candidate code: it splits
  the tests into statements and, for each `assert A == B` (or `math.isclose(A, B, ...)`, or
  `abs(A - B) < eps`) whose side B (or A) can be evaluated without the candidate, evaluates
  that side to plain data: the expected value (with the tolerance, if any). Expected values go
  back to the host and never enter the sandbox again.
- the *harness* (`judge.main`), run with the candidate, in two processes: a judge that runs the
  tests and a forked child that runs the candidate's code (`candidate.main`). For a test with an
  expected value the judge reports the other side's value (as plain data) and the host
  compares; the judge runs other tests itself and reports pass or fail. A test counts only
  once its report arrives: exiting early, crashing or hanging fails every test not yet
  reported.

Modules, one job each:

- `values`: plain data as the host compares it (`canon`) and as it crosses between the two
  processes (`encode`, `decode`);
- `report`: the result channel (fd 3) and how exceptions are described;
- `names`: which names a piece of code binds and reads;
- `lending`: what the judge may lend the candidate's code, and which attributes it serves;
- `peer`: the protocol between the judge and the candidate's process (frames, handles,
  proxies);
- `plan`, `candidate`, `judge`: the three programs' main functions.
"""

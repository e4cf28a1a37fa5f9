//! The judge process: tests run in a process that never executes the candidate's code, and
//! the candidate's process cannot reach the result channel, the tests, or the judge.

use assay_code::{CodeGrader, CodeOptions, RewardMode};
use assay_core::{BatchContext, Grader, Item, Outcome, Status};
use serde_json::{json, Value};

fn grade(response: &str, reference: Value) -> Outcome {
    let grader = CodeGrader::new(CodeOptions {
        reward: RewardMode::Fraction,
        ..CodeOptions::default()
    })
    .unwrap();
    let item = Item::new(format!("```python\n{response}\n```"), reference);
    grader
        .grade_batch(&[&item], &BatchContext::new(None))
        .pop()
        .unwrap()
}

fn reward(o: &Outcome) -> f64 {
    assert_eq!(o.status, Status::Ok, "{o:?}");
    o.reward.unwrap()
}

fn explanation(o: &Outcome) -> String {
    Value::Object(o.explanation.clone()).to_string()
}

/// A check whose every test runs in the judge (none is judged on the host).
fn loop_check() -> Value {
    json!({
        "test": "def check(candidate):\n    for x in range(5):\n        assert candidate(x) == x * 2\n    assert candidate(10) != 3\n    assert candidate(4) in [8, 9]\n",
        "entry_point": "f",
    })
}

#[test]
fn an_honest_program_passes_the_judges_tests() {
    let o = grade("def f(x):\n    return 2 * x", loop_check());
    assert_eq!(reward(&o), 1.0, "{o:?}");
    assert_eq!(o.components["total"], Some(3.0));
}

#[test]
fn a_report_forged_with_the_nonce_from_the_candidates_memory_fails() {
    // The nonce is in the candidate's memory (it was forked from the judge); fd 3 is not.
    let forge = r#"
import json, os, sys
def f(x):
    frame = sys._getframe()
    while frame is not None:
        spec = frame.f_locals.get("spec")
        if isinstance(spec, dict) and "nonce" in spec:
            tag = spec["nonce"].encode()
            for fd in range(3, 64):
                for i in range(5):
                    try:
                        os.write(fd, tag + b" " + json.dumps({"i": i, "ok": True}).encode() + b"\n")
                    except OSError:
                        pass
            os._exit(0)
        frame = frame.f_back
    raise RuntimeError("no nonce found")
"#;
    let o = grade(forge, loop_check());
    assert_eq!(reward(&o), 0.0, "{o:?}");
    // It did find the nonce (and wrote it everywhere, its socket to the judge included).
    assert!(!explanation(&o).contains("no nonce found"), "{o:?}");
}

#[test]
fn the_judges_descriptors_and_memory_are_out_of_reach() {
    // Every way to the judge's fd 3 or memory the kernel offers a process of the same uid.
    let probe = r#"
import ctypes, os
def probe():
    judge = os.getppid()
    if judge <= 1 or not os.path.isdir(f"/proc/{judge}"):
        return f"no judge process to attack (ppid {judge})"
    reached = []
    for path in (f"/proc/{judge}/fd/3", f"/proc/{judge}/mem", f"/proc/{judge}/fd", f"/proc/{judge}/environ"):
        try:
            fd = os.open(path, os.O_RDONLY)
            os.close(fd)
            reached.append(path)
        except OSError:
            pass
    libc = ctypes.CDLL(None, use_errno=True)
    syscall = libc.syscall
    syscall.restype = ctypes.c_long
    pidfd = os.pidfd_open(judge)
    if syscall(ctypes.c_long(438), ctypes.c_long(pidfd), ctypes.c_long(3), ctypes.c_long(0)) >= 0:
        reached.append("pidfd_getfd")
    class iovec(ctypes.Structure):
        _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]
    buf = ctypes.create_string_buffer(16)
    local = iovec(ctypes.cast(buf, ctypes.c_void_p), 16)
    remote = iovec(ctypes.c_void_p(id(os)), 16)
    if syscall(ctypes.c_long(310), ctypes.c_long(judge), ctypes.byref(local), ctypes.c_long(1), ctypes.byref(remote), ctypes.c_long(1), ctypes.c_long(0)) >= 0:
        reached.append("process_vm_readv")
    if syscall(ctypes.c_long(101), ctypes.c_long(16), ctypes.c_long(judge), ctypes.c_long(0), ctypes.c_long(0)) >= 0:
        reached.append("ptrace attach")
    return "reached: " + ", ".join(reached) if reached else "contained"
"#;
    let o = grade(probe, json!({"asserts": ["assert probe() == 'contained'"]}));
    assert_eq!(reward(&o), 1.0, "{o:?}");
}

#[test]
fn the_tests_never_enter_the_candidates_process() {
    // The candidate reads every readable byte of its own address space. The first test checks that
    // the scan works (it finds a marker of the candidate's own); the loop's test data, run by
    // the judge, must be nowhere.
    let snoop = r#"
import ctypes, re
def memory():
    chunks = []
    with open("/proc/self/maps") as maps:
        for line in maps:
            fields = line.split()
            start, end = (int(v, 16) for v in fields[0].split("-"))
            special = len(fields) > 5 and fields[5] in ("[vvar]", "[vsyscall]", "[vvar_vclock]")
            if "r" not in fields[1] or special or end - start > 1 << 28:
                continue
            chunks.append(ctypes.string_at(start, end - start))
    return b"\x00".join(chunks)
def f(x):
    seen = memory()
    if x == 0:
        return 1 if b"MARKER" + b"-OF-THE-CANDIDATE" in seen else 0
    found = re.search(rb"\(%d, (\d+)\)" % x, seen)
    return int(found.group(1)) if found else -1
# MARKER-OF-THE-CANDIDATE
"#;
    let reference = json!({
        "test": "def check(candidate):\n    assert candidate(0) == 1\n    for x, want in [(1, 7919), (2, 7927)]:\n        assert candidate(x) == want\n",
        "entry_point": "f",
    });
    let o = grade(snoop, reference);
    assert_eq!(reward(&o), 0.5, "{o:?}");
    assert_eq!(o.components["passed"], Some(1.0));
}

#[test]
fn callable_objects_and_always_equal_results_fail_wherever_they_are_compared() {
    let cheat = r#"
class Yes:
    def __eq__(self, other):
        return True
    def __ne__(self, other):
        return False
    def __hash__(self):
        return 0
class F:
    def __call__(self, x):
        return Yes()
f = F()
"#;
    let o = grade(cheat, loop_check());
    // `candidate(10) != 3` holds for any result other than 3: only that one passes.
    assert_eq!(o.components["passed"], Some(1.0), "{o:?}");
    let asserts = grade(
        cheat,
        json!({"asserts": ["assert f(1) == 2", "assert [f(1)] == [2]", "assert f(1) in {2}", "assert (f(1), 1) == (2, 1)"]}),
    );
    assert_eq!(reward(&asserts), 0.0, "{asserts:?}");
    assert!(explanation(&asserts).contains("a Yes object is not plain data"));
}

#[test]
fn candidate_objects_iterators_exceptions_and_in_place_changes_work() {
    let program = r#"
class Pair:
    def __init__(self, a, b):
        self.a = a
        self.b = b
def max_chain_length(pairs, n):
    pairs = sorted(pairs, key=lambda p: p.b)
    count, end = 0, float("-inf")
    for p in pairs[:n]:
        if p.a > end:
            count, end = count + 1, p.b
    return count
def squares(n):
    for i in range(n):
        yield i * i
def sort_in_place(xs):
    xs.sort()
def checked_sqrt(x):
    if x < 0:
        raise ValueError("negative")
    return x ** 0.5
def big(n):
    return 2 ** n
def f(x):
    return x
"#;
    let test = r#"
def check(candidate):
    assert max_chain_length([Pair(5, 24), Pair(15, 25), Pair(27, 40), Pair(50, 60)], 4) == 3
    p = Pair(1, 2)
    assert p.a == 1 and p.b == 2
    assert list(squares(2000))[-1] == 1999 ** 2
    assert sum(squares(4)) == 14
    xs = [3, 1, 2]
    sort_in_place(xs)
    assert xs == [1, 2, 3]
    ys = [2, 1]
    sort_in_place(xs=ys)
    assert ys == [1, 2]
    try:
        checked_sqrt(-1)
    except ValueError as e:
        assert "negative" in str(e)
    else:
        assert False
    assert big(300) == 2 ** 300 and big(300) > 0
    assert candidate((1, frozenset({2}), b"x", 1.5, None, {"k": [1j]})) == (1, frozenset({2}), b"x", 1.5, None, {"k": [1j]})
"#;
    let o = grade(program, json!({"test": test, "entry_point": "f"}));
    assert_eq!(reward(&o), 1.0, "{o:?}");
    assert_eq!(o.components["total"], Some(9.0));
}

#[test]
fn an_exit_inside_a_call_fails_only_the_tests_from_then_on() {
    let program = "import os\ndef f(x):\n    if x == 3:\n        os._exit(0)\n    return 2 * x";
    let tests: Vec<String> = (1..=5)
        .map(|x| format!("assert f({x}) == {}", 2 * x))
        .collect();
    let o = grade(program, json!({"asserts": tests}));
    assert_eq!(reward(&o), 0.4, "{o:?}");
    assert!(explanation(&o).contains("exited with code 0"), "{o:?}");
}

#[test]
fn signalling_the_judge_fails_the_tests() {
    for signal in ["SIGINT", "SIGKILL", "SIGSTOP", "SIGTERM"] {
        let program = format!(
            "import os, signal\ndef f(x):\n    os.kill(os.getppid(), signal.{signal})\n    return 2 * x"
        );
        let grader = CodeGrader::new(CodeOptions {
            reward: RewardMode::Fraction,
            time_limit_s: 2.0,
            ..CodeOptions::default()
        })
        .unwrap();
        let item = Item::new(format!("```python\n{program}\n```"), loop_check());
        let o = grader
            .grade_batch(&[&item], &BatchContext::new(None))
            .pop()
            .unwrap();
        assert_eq!(reward(&o), 0.0, "{signal}: {o:?}");
    }
}

//! The judge process: tests run in a process that never executes the candidate's code, and
//! the candidate's process cannot reach the result channel, the tests, or the judge.

use assay_code::{CodeGrader, CodeOptions, RewardMode};
use assay_core::{BatchContext, Grader, Item, Outcome, Status};
use serde_json::{json, Value};

mod common;

fn grade(response: &str, reference: Value) -> Outcome {
    let options = CodeOptions {
        reward: RewardMode::Fraction,
        ..CodeOptions::default()
    };
    common::grade_with(options, &format!("```python\n{response}\n```"), reference)
}

fn reward(o: &Outcome) -> f64 {
    assert_eq!(o.status, Status::Ok, "{o:?}");
    o.reward.unwrap()
}

fn explanation(o: &Outcome) -> String {
    Value::Object(o.explanation.clone()).to_string()
}

/// A check whose every test runs in the judge (none is judged on the host).
/// The tests' linked list, as LeetCode-style tests define it.
const LIST_NODE: &str = "
class ListNode:
    def __init__(self, val=0, next=None):
        self.val = val
        self.next = next
def build(xs):
    head = None
    for x in reversed(xs):
        head = ListNode(x, head)
    return head
def to_list(node):
    out = []
    while node is not None:
        out.append(node.val)
        node = node.next
    return out
";

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
    // The judge ends cleanly (it once raised after its last report, on every item).
    assert_eq!(o.explanation["status"], "exited 0", "{o:?}");
}

#[test]
fn the_nonce_is_not_in_the_candidates_objects_and_a_forged_report_fails() {
    // The judge reads the nonce only after it forked the candidate's process: no frame and no
    // object of that process holds it (a full scan of its memory is in the crate's unit
    // tests), and fd 3 is closed. Were it found, the forger would write it everywhere.
    let forge = r#"
import gc, json, os, sys
def found():
    frame = sys._getframe()
    while frame is not None:
        for scope in (frame.f_locals, frame.f_globals):
            for value in list(scope.values()):
                if isinstance(value, dict) and "nonce" in value:
                    return value["nonce"]
        frame = frame.f_back
    for obj in gc.get_objects():
        if isinstance(obj, dict) and isinstance(obj.get("nonce"), str):
            return obj["nonce"]
    return None
def f(x):
    nonce = found()
    if nonce is None:
        raise RuntimeError("no nonce found")
    tag = nonce.encode()
    for fd in range(3, 64):
        for i in range(5):
            try:
                os.write(fd, tag + b" " + json.dumps({"i": i, "ok": True}).encode() + b"\n")
            except OSError:
                pass
    os._exit(0)
"#;
    let o = grade(forge, loop_check());
    assert_eq!(reward(&o), 0.0, "{o:?}");
    assert!(explanation(&o).contains("no nonce found"), "{o:?}");
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
    for path in (f"/proc/{judge}/fd/3", f"/proc/{judge}/fd/0", f"/proc/{judge}/mem", f"/proc/{judge}/fd", f"/proc/{judge}/environ"):
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

#[test]
fn a_module_name_from_the_candidate_never_makes_the_judge_import() {
    // Found by review: reporting a fake module named `unittest.__main__` made the judge import
    // it, and unittest's main then imported test*.py files from the scratch directory, in
    // the judge's process, where they could forge reports.
    let exploit = r#"
import types
EVIL = r'''
import sys, os
f = sys._getframe()
while f is not None and f.f_code.co_name != "__assay_harness":
    f = f.f_back
report = f.f_locals["report"]
for i in range(3):
    report({"i": i, "ok": True})
report({"finished": True})
os._exit(0)
'''
with open("test_assay_pwn.py", "w") as fh:
    fh.write(EVIL)
pwn = types.ModuleType("unittest.__main__")
def f(x):
    return 0
"#;
    let o = grade(
        exploit,
        json!({"asserts": ["assert f(1) != 0", "assert f(2) in (4, 5)", "assert f(3) == 6"]}),
    );
    assert_eq!(reward(&o), 0.0, "{o:?}");
}

#[test]
fn a_function_named_like_a_builtin_is_judged_on_either_side_of_the_assert() {
    // Found by review: in `assert 6 == sum([1, 2, 3])` the plan computed the right side with
    // the builtin `sum`, and the judge evaluated only the constant `6`.
    let reference = json!({"asserts": ["assert 6 == sum([1, 2, 3])", "assert sum([4]) == 4"]});
    let wrong = grade("def sum(xs):\n    return 0", reference.clone());
    assert_eq!(reward(&wrong), 0.0, "{wrong:?}");
    let right = grade(
        "def sum(xs):\n    t = 0\n    for x in xs:\n        t += x\n    return t",
        reference,
    );
    assert_eq!(reward(&right), 1.0, "{right:?}");
    // A program that defines no `sum`: the first test checks only the builtin. By default
    // (require_program_names) that is flagged; without it, the builtin's answer is right.
    let reference = json!({"asserts": ["assert 6 == sum([1, 2, 3])", "assert f(2) == 2"]});
    let unrelated = grade("def f(x):\n    return x", reference.clone());
    assert_eq!(unrelated.status, Status::Invalid, "{unrelated:?}");
    assert!(
        explanation(&unrelated).contains("reads no name the program defines (it reads sum)"),
        "{unrelated:?}"
    );
    let options = CodeOptions {
        reward: RewardMode::Fraction,
        require_program_names: false,
        ..CodeOptions::default()
    };
    let lenient = common::grade_with(
        options,
        "```python\ndef f(x):\n    return x\n```",
        reference,
    );
    assert_eq!(reward(&lenient), 1.0, "{lenient:?}");
}

#[test]
fn library_values_and_exceptions_keep_their_behaviour() {
    let program = r#"
import collections
Point = collections.namedtuple("Point", "x y")
class Bad(ValueError):
    pass
def point():
    return Point(1, 2)
def counts(s):
    return collections.Counter(s)
def groups(pairs):
    d = collections.defaultdict(list)
    for k, v in pairs:
        d[k].append(v)
    return d
def window(xs):
    return collections.deque(xs, maxlen=2)
def fail():
    raise Bad("bad input", 3)
"#;
    let test = r#"
def check(candidate):
    p = point()
    assert p.x == 1 and p.y == 2 and p == (1, 2) and p._asdict() == {"x": 1, "y": 2}
    assert counts("abca").most_common(1) == [("a", 2)]
    g = groups([(1, "a"), (1, "b")])
    assert g[1] == ["a", "b"] and g[2] == []
    assert list(window([1, 2, 3])) == [2, 3]
    try:
        fail()
    except ValueError as e:
        assert type(e).__name__ == "Bad" and e.args == ("bad input", 3)
    else:
        assert False
    assert counts("aab") == {"a": 2, "b": 1}
"#;
    let o = grade(program, json!({"test": test, "entry_point": "point"}));
    assert_eq!(reward(&o), 1.0, "{o:?}");
    assert_eq!(o.components["total"], Some(6.0));
}

#[test]
fn the_judge_lends_the_tests_objects_and_functions_to_the_candidate() {
    let program = r#"
def reverse(head):
    prev = None
    while head:
        nxt = head.next
        head.next = prev
        prev = head
        head = nxt
    return prev
def apply(f, xs):
    return [f(x) for x in xs]
def longest(words, key):
    return max(words, key=key)
"#;
    let test = LIST_NODE.to_owned()
        + r#"
def check(candidate):
    assert to_list(candidate(build([1, 2, 3]))) == [3, 2, 1]
    head = build([4, 5])
    assert candidate(head).next is head
    assert apply(lambda x: x * 3, [1, 2]) == [3, 6]
    assert longest(["a", "ccc", "bb"], len) == "ccc"
"#;
    let o = grade(program, json!({"test": test, "entry_point": "reverse"}));
    assert_eq!(reward(&o), 1.0, "{o:?}");
    assert_eq!(o.components["total"], Some(4.0));
}

#[test]
fn what_the_judge_lends_cannot_reach_its_internals() {
    // The candidate speaks the protocol itself, on its socket to the judge, asking for what the
    // proxies never ask: private and special attributes of a lent function, an object never
    // lent, a method replaced, and builtins that reach outside.
    let program = r#"
import gc, json, socket, struct
def sock():
    return next(o for o in gc.get_objects() if isinstance(o, socket.socket) and o.fileno() >= 0)
def ask(request):
    s = sock()
    data = json.dumps(request).encode()
    s.sendall(struct.pack("<I", len(data)) + data)
    def exact(n):
        buf = b""
        while len(buf) < n:
            buf += s.recv(n - len(buf))
        return buf
    (n,) = struct.unpack("<I", exact(4))
    return json.loads(exact(n))
def probe(f, node):
    handle = {"j": [object.__getattribute__(f, "_assay_id"), "function"]}
    node_handle = {"j": [object.__getattribute__(node, "_assay_id"), "Node"]}
    outcomes = []
    for name in ("__globals__", "__code__", "__class__", "_secret"):
        outcomes.append(ask(["req", "getattr", handle, [name], []])[0])
    outcomes.append(ask(["req", "getattr", node_handle, ["_secret"], []])[0])
    outcomes.append(ask(["req", "setattr", node_handle, ["same", handle], []])[0])
    outcomes.append(ask(["req", "getattr", {"j": [12345, "x"]}, ["val"], []])[0])
    outcomes.append(ask(["req", "getattr", node_handle, ["val"], []])[0])
    return outcomes
def call(f, x):
    return f(x)
"#;
    let test = r#"
class Node:
    def __init__(self, val):
        self.val = val
        self._secret = "hidden"
    def same(self, other):
        return self.val == other

def check(candidate):
    assert candidate(lambda: 0, Node(7)) == ["raise"] * 7 + ["ok"]
    for lent in (open, eval, getattr, __import__):
        try:
            call(lent, "x")
        except TypeError as e:
            assert "cannot be passed to the candidate" in str(e)
        else:
            assert False, lent
"#;
    let o = grade(program, json!({"test": test, "entry_point": "probe"}));
    assert_eq!(reward(&o), 1.0, "{o:?}");
}

#[test]
fn a_lent_type_cannot_be_used_to_look_up_the_judges_attributes() {
    // Found by review: a test lending `str` let the candidate call `str.format` in the
    // judge with a format string of its own, which looks up `_` attributes and items there
    // (the tests' globals, and `ctypes.cdll[...]`, which loads a library into the judge).
    let leak = r#"
def f(xs, conv, key):
    return conv.format("{0.__globals__[EXPECTED]}", key)
"#;
    let reference = json!({
        "test": "EXPECTED = 'c,b,a'\ndef check(candidate):\n    assert candidate(['a', 'b', 'c'], str, lambda s: s) == EXPECTED\n",
        "entry_point": "f",
    });
    let o = grade(leak, reference);
    assert_eq!(reward(&o), 0.0, "{o:?}");
    assert!(explanation(&o).contains("is not lent"), "{o:?}");
    // What may be lent is computed with, not looked into.
    let program = r#"
def apply(f, xs):
    return [f(x) for x in xs]
def attribute(f, name):
    return getattr(f, name)
"#;
    let test = r#"
import math, operator
def check(candidate):
    assert apply(str.lower, ["A", "b"]) == ["a", "b"]
    assert apply(math.sqrt, [4, 9]) == [2.0, 3.0]
    assert apply(str, [1]) == ["1"] and apply(int, ["7"]) == [7]
    assert apply(operator.itemgetter(1), [(1, 2)]) == [2]
    for lent in (operator.attrgetter, operator.methodcaller, "{}".format, str.format, getattr, vars, open, math):
        try:
            apply(lent, [1])
        except TypeError as e:
            assert "cannot be passed to the candidate" in str(e), e
        else:
            assert False, lent
    for target, name in ((str, "format"), (int, "from_bytes"), (lambda: 0, "__globals__")):
        try:
            attribute(target, name)
        except AttributeError as e:
            assert "is not lent" in str(e) or name.startswith("__"), e
        else:
            assert False, name
"#;
    let o = grade(program, json!({"test": test, "entry_point": "apply"}));
    assert_eq!(reward(&o), 1.0, "{o:?}");
}

#[test]
fn membership_is_not_decided_by_the_candidates_object() {
    let cheat = "class All:\n    def __contains__(self, x):\n        return True\n    def __iter__(self):\n        return iter([])\ndef f():\n    return All()";
    let o = grade(
        cheat,
        json!({"test": "def check(candidate):\n    assert 3 in candidate()\n    assert 4 in candidate()\n", "entry_point": "f"}),
    );
    assert_eq!(reward(&o), 0.0, "{o:?}");
}

#[test]
fn classes_the_tests_define_are_there_for_the_program_and_containers_change_in_place() {
    // LeetCode style: the tests define ListNode; the program uses it without defining it.
    let program = r#"
def merge(a, b):
    dummy = tail = ListNode(0)
    while a and b:
        if a.val <= b.val:
            tail.next, a = a, a.next
        else:
            tail.next, b = b, b.next
        tail = tail.next
    tail.next = a or b
    return dummy.next
def rotate(d):
    d.rotate(1)
def tally(c, word):
    c.update(word)
"#;
    let test = LIST_NODE.to_owned()
        + r#"
import collections

def check(candidate):
    assert to_list(candidate(build([1, 4]), build([2, 3, 5]))) == [1, 2, 3, 4, 5]
    d = collections.deque([1, 2, 3])
    rotate(d)
    assert list(d) == [3, 1, 2]
    c = collections.Counter("ab")
    tally(c, "aa")
    assert c["a"] == 3
"#;
    let o = grade(program, json!({"test": test, "entry_point": "merge"}));
    assert_eq!(reward(&o), 1.0, "{o:?}");
    assert_eq!(o.components["total"], Some(3.0));
}

#[test]
fn a_value_the_plan_computed_from_a_variable_is_never_the_expected_one() {
    // Found by review: the plan computed `data` before the candidate sorted it in place
    // (statements that call the candidate do not run in the plan), and a candidate defining
    // `sorted` made the judge evaluate the other side against that stale value.
    let test = "def check(candidate):\n    data = [5, 3, 1, 4]\n    candidate(data)\n    assert data == sorted([5, 3, 1, 4])\n    data2 = [9, 7, 8]\n    candidate(data2)\n    assert [7, 8, 9] == data2\n";
    let reference = json!({"test": test, "entry_point": "sort_in_place"});
    let cheat = grade(
        "def sort_in_place(a):\n    pass\ndef sorted(xs, **kw):\n    return list(xs)",
        reference.clone(),
    );
    assert_eq!(reward(&cheat), 0.0, "{cheat:?}");
    // The honest program passes both orientations (the second failed against the stale value).
    let honest = grade("def sort_in_place(a):\n    a.sort()", reference);
    assert_eq!(reward(&honest), 1.0, "{honest:?}");
    let asserts = grade(
        "def f(a):\n    a.reverse()",
        json!({"setup": "arr = [1, 2, 3]", "asserts": ["assert f(arr) is None", "assert [3, 2, 1] == arr", "assert arr == [3, 2, 1]"]}),
    );
    assert_eq!(reward(&asserts), 1.0, "{asserts:?}");
}

#[test]
fn a_name_the_tests_use_as_a_module_is_the_judges_module() {
    let cheat = "class _M:\n    pi = 0.0\nmath = _M()\ndef circle_area(r):\n    return 0.0";
    let reference = json!({"asserts": ["assert circle_area(2) == math.pi * 4", "assert circle_area(3) == math.pi * 9"]});
    assert_eq!(reward(&grade(cheat, reference.clone())), 0.0);
    let honest = grade(
        "import math\ndef circle_area(r):\n    return math.pi * r * r",
        reference,
    );
    assert_eq!(reward(&honest), 1.0, "{honest:?}");
}

#[test]
fn the_tests_iterators_generators_and_partials_are_lent() {
    let program = "def total(it):\n    return sum(it)\ndef apply(f, xs):\n    return [f(x) for x in xs]\ndef is_node(x):\n    return isinstance(x, ListNode)";
    let test = r#"
import functools
class ListNode:
    def __init__(self, val=0):
        self.val = val

def check(candidate):
    assert total(x * x for x in range(4)) == 14
    assert total(iter([1, 2])) == 3 and total({1: 2}.values()) == 2 and total(map(abs, [-1, -2])) == 3
    assert apply(functools.partial(pow, 2), [3]) == [8]
    assert is_node(ListNode(1)) is True and is_node(5) is False
"#;
    let o = grade(program, json!({"test": test, "entry_point": "total"}));
    assert_eq!(reward(&o), 1.0, "{o:?}");
}

#[test]
fn the_candidates_objects_compare_among_themselves_and_never_with_the_tests_values() {
    let program = r#"
class Frac:
    def __init__(self, n, d):
        from math import gcd
        g = gcd(n, d)
        self.n, self.d = n // g, d // g
    def __add__(self, other):
        if isinstance(other, int):
            other = Frac(other, 1)
        return Frac(self.n * other.d + other.n * self.d, self.d * other.d)
    __radd__ = __add__
    def __eq__(self, other):
        return isinstance(other, Frac) and (self.n, self.d) == (other.n, other.d)
    def __lt__(self, other):
        return self.n * other.d < other.n * self.d
    def __neg__(self):
        return Frac(-self.n, self.d)
    def value(self):
        return self.n / self.d
"#;
    let test = r#"
def check(candidate):
    assert Frac(1, 2) + Frac(1, 3) == Frac(5, 6)
    assert Frac(1, 2) + Frac(1, 1) == Frac(3, 2) and Frac(1, 2) != Frac(1, 3)
    assert Frac(1, 3) < Frac(1, 2) and sorted([Frac(1, 2), Frac(1, 3)])[0] == Frac(1, 3)
    assert (-Frac(1, 2)).value() == -0.5
"#;
    let o = grade(program, json!({"test": test, "entry_point": "Frac"}));
    assert_eq!(reward(&o), 1.0, "{o:?}");
    // Against the tests' own values, the candidate's comparisons are not consulted.
    let cheat = "class Any:\n    def __eq__(self, o):\n        return True\n    def __lt__(self, o):\n        return True\n    def __gt__(self, o):\n        return True\ndef f(x):\n    return Any()";
    let o = grade(
        cheat,
        json!({"test": "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(1) < 5 and candidate(1) > 3\n    for x in range(3):\n        assert candidate(x) == x\n", "entry_point": "f"}),
    );
    assert_eq!(reward(&o), 0.0, "{o:?}");
}

#[test]
fn arithmetic_with_the_tests_values_never_reaches_the_candidate() {
    // Found by review: forwarding `candidate(x) - y` sent the expected value `y` to the
    // candidate, whose `__sub__` returned 0.0 (passing `abs(candidate(x) - y) < eps`) and
    // recorded it, to return on the host-judged asserts that followed.
    let cheat = r#"
learned = {}
class Probe:
    def __init__(self, x):
        self.x = x
    def __sub__(self, other):
        learned[self.x] = other
        return 0.0
    __rsub__ = __sub__
def f(x):
    return learned[x] if x in learned else Probe(x)
"#;
    let test = "import math\ndef check(candidate):\n    for x, y in [(1, 2.5), (2, 7.25), (3, 1.0)]:\n        assert math.fabs(candidate(x) - y) < 1e-6\n    assert candidate(1) == 2.5\n    assert math.isclose(candidate(2), 7.25)\n    assert abs(candidate(3) - 1.0) < 1e-9\n";
    let o = grade(cheat, json!({"test": test, "entry_point": "f"}));
    assert_eq!(reward(&o), 0.0, "{o:?}");
}

#[test]
fn a_stop_iteration_from_a_call_does_not_end_the_tests_loop() {
    let o = grade(
        "def f(x):\n    raise StopIteration",
        json!({"test": "def check(candidate):\n    cases = [(1, 2), (2, 4)]\n    assert all(map(lambda c: candidate(c[0]) == c[1], cases))\n", "entry_point": "f"}),
    );
    assert_eq!(reward(&o), 0.0, "{o:?}");
}

#[test]
fn an_expected_value_never_comes_from_state_the_tests_keep() {
    // Found by review: the plan's value of `count()` or `snapshot()` (functions of the tests
    // reading their state) and of a name `check` rebinds was stale when the test ran.
    let cases = [
        (
            "counter = {'n': 0}\ndef count():\n    return counter['n']\ndef check(candidate):\n    candidate(counter)\n    candidate(counter)\n    assert candidate(counter) == count()\n",
            "def f(d):\n    d['n'] += 1\n    return d['n'] + 1",
            "def f(d):\n    d['n'] += 1\n    return d['n']",
        ),
        (
            "items = [1, 2, 3]\ndef snapshot():\n    return list(items)\ndef check(candidate):\n    assert candidate(items) == 6\n    assert [1, 2, 3] == snapshot()\n",
            "def f(xs):\n    t = sum(xs)\n    xs.clear()\n    return t",
            "def f(xs):\n    return sum(xs)",
        ),
        (
            "def solve(x):\n    return x * 2\ndef check(candidate):\n    solve = candidate\n    assert 6 == solve(3)\n",
            "def f(x):\n    return -1",
            "def f(x):\n    return 2 * x",
        ),
    ];
    for (test, wrong, right) in cases {
        let reference = json!({"test": test, "entry_point": "f"});
        let w = grade(wrong, reference.clone());
        assert!(reward(&w) < 1.0, "{test}: {w:?}");
        let r = grade(right, reference);
        assert_eq!(reward(&r), 1.0, "{test}: {r:?}");
    }
}

#[test]
fn the_tests_class_data_and_methods_are_not_lent() {
    // Found by review: a lent class of the tests' served its class-level table of answers.
    let passed = grade(
        "def f(x, case):\n    return case.table[x]",
        json!({"test": "class Case:\n    table = {1: 11, 2: 29}\n    def __init__(self):\n        self.mine = 1\ndef check(candidate):\n    assert candidate(1, Case()) == 11\n    assert candidate(2, Case()) == 29\n", "entry_point": "f"}),
    );
    assert_eq!(reward(&passed), 0.0, "{passed:?}");
    assert!(explanation(&passed).contains("is not lent"), "{passed:?}");
    // Found by review: every class of the tests was lent to a program naming it, a reference
    // solution included. Only data structures are (a few dunders, reading no test global).
    let oracle = r#"
import random
class RefSolution:
    def answer(self, n):
        return sum(i * i % 7 for i in range(n)) ^ 12345
class Wrapped:
    def __init__(self, n):
        self.n = RefSolution().answer(n)
def check(candidate):
    random.seed(1)
    for _ in range(5):
        n = random.randint(1, 1000)
        assert candidate(n) == RefSolution().answer(n)
"#;
    for program in [
        "def solve(n):\n    return RefSolution().answer(n)",
        "def solve(n):\n    return Wrapped(n).n",
    ] {
        let o = grade(program, json!({"test": oracle, "entry_point": "solve"}));
        assert_eq!(reward(&o), 0.0, "{program}: {o:?}");
        assert!(explanation(&o).contains("is not defined"), "{o:?}");
    }
}

#[test]
fn host_comparisons_follow_python_for_library_numbers_and_dicts() {
    let program = r#"
import collections, decimal, fractions
def od(pairs):
    return collections.OrderedDict(reversed(pairs))
def big(n):
    return 2 ** n + 1
def frac():
    return fractions.Fraction(1, 2)
def dec():
    return decimal.Decimal("1.00")
"#;
    let reference = json!({
        "setup": "import collections, decimal, math",
        "asserts": [
            "assert od([('a', 1), ('b', 2)]) == collections.OrderedDict([('a', 1), ('b', 2)])",
            "assert abs(big(60) - 1152921504606846976) < 0.5",
            "assert frac() == 0.5",
            "assert dec() == decimal.Decimal('1.0')",
            "assert math.isclose(frac(), 0.5)",
        ],
    });
    let o = grade(program, reference);
    // The first two are wrong (order; off by one beyond a float's precision), the rest right.
    assert_eq!(o.components["passed"], Some(3.0), "{o:?}");
    let failures = explanation(&o);
    assert!(
        failures.contains("\"test\":0") && failures.contains("\"test\":1"),
        "{o:?}"
    );
}

#[test]
fn redefining_the_names_of_an_expected_value_fails_the_test() {
    // Found by review: defining both `max` and `sum` chose which side of
    // `max(3, 0) == sum([1, 2])` was compared with a value computed with the builtins.
    let o = grade(
        "def sum(xs):\n    return -1\ndef max(*a):\n    return 3",
        json!({"asserts": ["assert max(3, 0) == sum([1, 2])"]}),
    );
    assert_eq!(reward(&o), 0.0, "{o:?}");
    assert!(explanation(&o).contains("redefines a name"), "{o:?}");
}

#[test]
fn a_leetcode_entry_point_expression_is_called() {
    let o = grade(
        "class Solution:\n    def twoSum(self, nums, target):\n        seen = {}\n        for i, x in enumerate(nums):\n            if target - x in seen:\n                return [seen[target - x], i]\n            seen[x] = i",
        json!({"test": "def check(candidate):\n    assert candidate(nums=[2, 7, 11, 15], target=9) == [0, 1]\n    assert candidate(nums=[3, 3], target=6) == [0, 1]\n", "entry_point": "Solution().twoSum"}),
    );
    assert_eq!(reward(&o), 1.0, "{o:?}");
}

#[test]
fn more_library_values_cross_as_themselves() {
    let program = r#"
import collections, datetime, types
def keys():
    return {"a": 1, "b": 2}.keys()
def raw():
    return bytearray(b"ab")
def wrapped():
    return collections.UserList([1, 2]), types.MappingProxyType({"k": 1})
def day():
    return datetime.date(2024, 2, 29) + datetime.timedelta(days=1)
class Num:
    def __float__(self):
        return 2.5
    def __index__(self):
        return 3
def num():
    return Num()
class Squares:
    def __getitem__(self, key):
        return [i * i for i in range(10)][key]
def squares():
    return Squares()
"#;
    let test = r#"
import datetime
def check(candidate):
    assert keys() == {"a", "b"} and list(keys()) == ["a", "b"]
    assert raw() == b"ab"
    assert wrapped() == ([1, 2], {"k": 1})
    assert day() == datetime.date(2024, 3, 1)
    assert float(num()) == 2.5 and list(range(num())) == [0, 1, 2]
    assert squares()[1:3] == [1, 4]
"#;
    let o = grade(program, json!({"test": test, "entry_point": "keys"}));
    assert_eq!(reward(&o), 1.0, "{o:?}");
    assert_eq!(o.components["total"], Some(6.0));
}

#[test]
fn a_data_class_that_reaches_the_tests_globals_is_not_lent() {
    // Found by review: the check read only the top-level names of the class's methods.
    let program = "def f(n):\n    return Box(n).hint";
    let tests =
        "def check(candidate):\n    assert candidate(3) == 10\n    assert candidate(4) == 17\n";
    let boxes = [
        "class Box:\n    def __init__(self, n):\n        self.hint = [solve(k) for k in (n,)][0]\n",
        "class Box:\n    def __init__(self, n, _s=solve):\n        self.hint = _s(n)\n",
        "class Box:\n    def __init__(self, n):\n        self.hint = globals()['solve'](n)\n",
        "def track(cls, s=solve):\n    def __init__(self, n):\n        self.hint = s(n)\n    cls.__init__ = __init__\n    return cls\n@track\nclass Box:\n    pass\n",
        "class Meta(type):\n    def __call__(cls, n):\n        o = super().__call__()\n        o.hint = solve(n)\n        return o\nclass Box(metaclass=Meta):\n    pass\n",
    ];
    for class in boxes {
        let test = format!("def solve(n):\n    return n * n + 1\n{class}{tests}");
        let o = grade(program, json!({"test": test, "entry_point": "f"}));
        assert_eq!(reward(&o), 0.0, "{class}: {o:?}");
    }
    // Plain data structures are lent, with `__eq__` (and so no hash) or `__slots__`.
    let lent = r#"
class P:
    __slots__ = ("x", "y")
    def __init__(self, x, y):
        self.x, self.y = x, y
    def __eq__(self, other):
        return isinstance(other, P) and (self.x, self.y) == (other.x, other.y)
def check(candidate):
    assert candidate(1, 2) == P(1, 2)
"#;
    let o = grade(
        "def f(x, y):\n    return P(x, y)",
        json!({"test": lent, "entry_point": "f"}),
    );
    assert_eq!(reward(&o), 1.0, "{o:?}");
}

#[test]
fn a_data_class_reads_only_builtins_nobody_rebinds() {
    // Found by review: the names a lent class might not read were the tests' globals minus
    // the program's, and only those bound by the setup. A program defining `_ref` itself, or
    // a helper bound inside `check`, let `Case(...).expected` hand out the answers.
    let shadowed = "def _ref(nums):\n    return sorted(nums)[len(nums) // 2] * 7 + 3\nclass Case:\n    def __init__(self, nums):\n        self.nums = nums\n        self.expected = _ref(nums)\ndef check(candidate):\n    for nums in ([5, 1, 4], [9, 2, 8, 7]):\n        c = Case(nums)\n        assert candidate(c.nums) == c.expected\n    assert candidate([10, 20, 30]) == 143\n";
    let later = "class Case:\n    def __init__(self, nums):\n        self.nums = nums\n        self.expected = ref(nums)\ndef check(candidate):\n    def ref(nums):\n        return sorted(nums)[len(nums) // 2] * 7 + 3\n    for nums in ([5, 1, 4], [9, 2, 8, 7]):\n        c = Case(nums)\n        assert candidate(c.nums) == c.expected\n    assert candidate([10, 20, 30]) == 143\n";
    for (test, program) in [
        (
            shadowed,
            "_ref = None\ndef f(nums):\n    return Case(list(nums)).expected",
        ),
        (later, "def f(nums):\n    return Case(list(nums)).expected"),
    ] {
        let o = grade(program, json!({"test": test, "entry_point": "f"}));
        assert_eq!(reward(&o), 0.0, "{o:?}");
    }
    // A data class with __slots__ is served.
    let slots = "class Node:\n    __slots__ = ('val', 'next')\n    def __init__(self, val, next=None):\n        self.val = val\n        self.next = next\ndef check(candidate):\n    assert candidate(Node(1, Node(2))) == 3\n";
    let o = grade(
        "def f(node):\n    t = 0\n    while node:\n        t += node.val\n        node = node.next\n    return t",
        json!({"test": slots, "entry_point": "f"}),
    );
    assert_eq!(reward(&o), 1.0, "{o:?}");
}

#[test]
fn only_the_real_isclose_is_judged_as_isclose() {
    // Found by review: a helper of the tests named `isclose` was judged as math.isclose.
    let strict = "def isclose(a, b):\n    return type(a) is type(b) and a == b\ndef check(candidate):\n    assert isclose(candidate(2), 4)\n    assert isclose(candidate(3), 9)\n";
    let o = grade(
        "def f(x):\n    return x * x + 1e-9",
        json!({"test": strict, "entry_point": "f"}),
    );
    assert_eq!(reward(&o), 0.0, "{o:?}");
    // math.isclose raises for a complex number; cmath.isclose does not.
    let o = grade(
        "def f(x):\n    return complex(x * x, 1e-12)",
        json!({"setup": "import math, cmath", "asserts": ["assert math.isclose(f(3), 9.0)", "assert cmath.isclose(f(3), 9.0)"]}),
    );
    assert_eq!(o.components["passed"], Some(1.0), "{o:?}");
}

#[test]
fn asserts_inside_the_tests_helpers_count() {
    // Found by review: only statements holding an `assert` themselves were tests, so calls to
    // a helper that asserts went uncounted (a wrong program scored 1.0), and a `def` inside
    // `check` whose body asserts counted as a test that always passed.
    let cases = [
        "def check(candidate):\n    def helper(x, y):\n        assert candidate(x) == y\n    helper(1, 2)\n    helper(3, 6)\n",
        "def assert_equal(a, b):\n    assert a == b, (a, b)\n\ndef check(candidate):\n    assert candidate(1) == 2\n    assert_equal(candidate(3), 6)\n    assert_equal(candidate(4), 8)\n",
        "def assertion(out, exp, atol):\n    assert out == exp\n\ndef check(candidate):\n    inputs = [[1], [3]]\n    results = [2, 6]\n    for i, (inp, exp) in enumerate(zip(inputs, results)):\n        assertion(candidate(*inp), exp, 0)\n",
    ];
    for test in cases {
        let reference = json!({"test": test, "entry_point": "f"});
        let wrong = grade(
            "def f(x):\n    return 2 if x == 1 else 0",
            reference.clone(),
        );
        assert!(reward(&wrong) < 1.0, "{test}: {wrong:?}");
        let right = grade("def f(x):\n    return 2 * x", reference);
        assert_eq!(reward(&right), 1.0, "{test}: {right:?}");
    }
    // Tests that check nothing are a bad reference, not a zero.
    let o = grade(
        "def f(x):\n    return x",
        json!({"test": "def check(candidate):\n    candidate(1)\n", "entry_point": "f"}),
    );
    assert_eq!(o.status, Status::Error, "{o:?}");
}

#[test]
fn an_assert_list_never_tests_a_builtin_in_place_of_the_program() {
    // Found by review: with the task's function named like a builtin, an assert the judge
    // runs called the builtin, so any program passed it.
    let o = grade(
        "def divmod(a, b):\n    return (0, 0)",
        json!({"asserts": ["assert divmod(7, 2) == (3, 1) and divmod(8, 2) == (4, 0)"]}),
    );
    assert_eq!(reward(&o), 0.0, "{o:?}");
    assert!(explanation(&o).contains("redefines the builtin"), "{o:?}");
}

#[test]
fn a_scored_test_that_reads_no_name_of_the_program_is_flagged() {
    // Found by review: asserts that call only builtins passed with a program that defines
    // nothing. With require_program_names (the default) the item is `invalid`.
    let reference = json!({"asserts": ["assert divmod(7, 2) == (3, 1)"]});
    let nothing = grade("x = 1", reference.clone());
    assert_eq!(nothing.status, Status::Invalid, "{nothing:?}");
    assert_eq!(nothing.reward, Some(0.0));
    assert!(
        explanation(&nothing).contains("reads divmod"),
        "{nothing:?}"
    );
    let defined = grade("def divmod(a, b):\n    return (a // b, a % b)", reference);
    assert_eq!(reward(&defined), 1.0, "{defined:?}");
    // Tests that read the program through the tests' own helpers, variables it changed in
    // place, or a name bound to it are about the program.
    let cases = [
        (
            json!({"setup": "def run():\n    return solve(3)", "asserts": ["assert run() == 9"]}),
            "def solve(x):\n    return x * x",
        ),
        (
            json!({"setup": "xs = [3, 1, 2]", "asserts": ["assert tidy(xs) is None", "assert xs == sorted([3, 1, 2])"]}),
            "def tidy(a):\n    a.sort()",
        ),
        (
            json!({"test": "def check(candidate):\n    f = candidate\n    assert f(2) == 4\n    assert True\n", "entry_point": "double"}),
            "def double(x):\n    return 2 * x",
        ),
    ];
    for (reference, program) in cases {
        let o = grade(program, reference.clone());
        assert_eq!(reward(&o), 1.0, "{reference}: {o:?}");
    }
    // A reference whose tests read nothing from outside the tests passes every program: the
    // reference's fault.
    let constant = grade(
        "x = 1",
        json!({"asserts": ["assert True", "assert 1 + 1 == 2"]}),
    );
    assert_eq!(constant.status, Status::Error, "{constant:?}");
    assert!(
        explanation_or_error(&constant).contains("read no name"),
        "{constant:?}"
    );
}

fn explanation_or_error(o: &Outcome) -> String {
    format!("{:?} {}", o.error, explanation(o))
}

#[test]
fn a_check_that_does_not_run_to_its_end_fails() {
    // Found by review: a failure after the last counted test cost nothing, even with
    // reward "all": tests written with `raise`, helpers that raise, unittest's assertEqual, a
    // trailing call that times out.
    let program = "def f(x):\n    if x > 100:\n        while True:\n            pass\n    return 2 if x == 1 else 0";
    let cases = [
        "def check(candidate):\n    assert candidate(1) == 2\n    if candidate(2) != 4:\n        raise AssertionError('bad')\n",
        "def expect(got, want):\n    if got != want:\n        raise AssertionError((got, want))\ndef check(candidate):\n    assert candidate(1) == 2\n    expect(candidate(2), 4)\n",
        "import unittest\ndef check(candidate):\n    assert candidate(1) == 2\n    unittest.TestCase().assertEqual(candidate(2), 4)\n",
        "def check(candidate):\n    assert candidate(1) == 2\n    candidate(10**9)\n",
    ];
    for test in cases {
        let options = CodeOptions {
            time_limit_s: 2.0,
            ..CodeOptions::default()
        };
        let reference = json!({"test": test, "entry_point": "f"});
        let o = common::grade_with(options, &format!("```python\n{program}\n```"), reference);
        assert_eq!(o.reward, Some(0.0), "{test}: {o:?}");
    }
    // An assert-list entry of several statements is run whole.
    let o = grade(
        "def f(x):\n    return 2 if x == 1 else 0",
        json!({"asserts": ["assert f(1) == 2\nassert f(2) == 4", "assert f(1) == 2; assert f(3) == 6"]}),
    );
    assert_eq!(reward(&o), 0.0, "{o:?}");
    // A test file that ends by calling check itself still works.
    let o = grade(
        "def f(x):\n    return 2 * x",
        json!({"test": "def check(candidate):\n    assert candidate(2) == 4\ncheck(f)\n", "entry_point": "f"}),
    );
    assert_eq!(reward(&o), 1.0, "{o:?}");
}

#[test]
fn large_expected_values_and_test_files_that_call_check_themselves() {
    // Found by review: the plan's report of a 100,000-element expected list overflowed the
    // result channel, and `if __name__ == "__main__": check(f)` broke the setup.
    // (The program's report of its value is bounded by `output_limit_bytes`, 1 MiB by
    // default: a test with values this large raises it.)
    let options = CodeOptions {
        output_limit_bytes: 4 << 20,
        ..CodeOptions::default()
    };
    let o = common::grade_with(
        options,
        "```python\ndef f(n):\n    return list(range(n))\n```",
        json!({"asserts": ["assert f(100000) == list(range(100000))"]}),
    );
    assert_eq!(reward(&o), 1.0, "{o:?}");
    let test = "def check(candidate):\n    assert candidate(1) == 2\n    assert candidate(3) == 6\nif __name__ == \"__main__\":\n    check(f)\n";
    let right = grade(
        "def f(x):\n    return 2 * x",
        json!({"test": test, "entry_point": "f"}),
    );
    assert_eq!(reward(&right), 1.0, "{right:?}");
    let cheat = grade(
        "def f(x):\n    return 2 if x == 1 else 0\ndef check(c):\n    pass",
        json!({"test": test, "entry_point": "f"}),
    );
    assert_eq!(reward(&cheat), 0.5, "{cheat:?}");
    // An empty entry of an assert list is a bad reference.
    let o = grade("def f(x):\n    return x", json!({"asserts": ["# nothing"]}));
    assert_eq!(o.status, Status::Error, "{o:?}");
}

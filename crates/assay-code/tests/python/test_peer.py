"""The peer protocol between the judge and the candidate's process, over a real socket pair:
the candidate's side serves requests in a thread, the judge's side calls it through proxies."""

import collections
import datetime
import fractions
import socket
import struct
import threading

import pytest

from assay_code_harness import peer as peer_module
from assay_code_harness.peer import FRAME_LIMIT, channel, connect


class CandidateError(Exception):
    """Raised on the judge's side for a lost or misbehaving candidate."""


class JudgeError(Exception):
    """Raised on the candidate's side for a lost or misbehaving judge."""


def from_the_tests(source, name):
    """A function as the tests define it: compiled under a `<test …>` name, in `__main__`."""
    env = {"__name__": "__main__"}
    exec(compile(source, "<test setup>", "exec"), env)
    return env[name]


class Pair:
    """A judge's end and a candidate's end; the candidate's program is `namespace`, exported
    as the real candidate does (`["loaded", names]`), then served until the judge hangs up."""

    def __init__(self, namespace):
        judge_sock, candidate_sock = socket.socketpair()
        self.judge_sock, self.candidate_sock = judge_sock, candidate_sock
        self.candidate = connect(candidate_sock, "h", False, JudgeError, lambda e: f"lost the judge: {e}")
        self.judge = connect(judge_sock, "j", True, CandidateError, lambda e: f"lost the candidate: {e}")
        self.thread = threading.Thread(target=self._serve, args=(namespace,), daemon=True)
        self.thread.start()
        kind, detail = self.judge.recv()
        assert kind == "loaded"
        self.names = {name: self.judge.decode(value) for name, _, value in detail}

    def _serve(self, namespace):
        names = []
        for name, value in namespace.items():
            try:
                names.append([name, "value", self.candidate.encode(value)])
            except BaseException:
                names.append([name, "value", self.candidate.export(value, 0)])
        self.candidate.send(["loaded", names])
        while True:
            try:
                message = self.candidate.recv()
            except (EOFError, OSError):
                return
            self.candidate.send(self.candidate.serve(message))

    def close(self):
        self.judge_sock.close()
        self.thread.join(5)
        self.candidate_sock.close()


@pytest.fixture
def program():
    pairs = []

    def start(namespace):
        pair = Pair(namespace)
        pairs.append(pair)
        return pair.names

    yield start
    for pair in pairs:
        pair.close()


def candidate_code(source):
    """The names a program defines (compiled as the candidate's code is, under `solution`)."""
    env = {"__name__": "solution"}
    exec(compile(source, "<candidate>", "exec"), env)
    return {k: v for k, v in env.items() if not k.startswith("__")}


def test_plain_values_cross_by_value_and_functions_as_proxies(program):
    names = program(candidate_code("LIMIT = 10 ** 30\nPAIR = (1, 'a')\ndef double(x):\n    return 2 * x\n"))
    assert names["LIMIT"] == 10**30 and type(names["LIMIT"]) is int
    assert names["PAIR"] == (1, "a")
    double = names["double"]
    assert type(double).__name__ == "Proxy"
    assert double(21) == 42
    assert double([1]) == [1, 1]
    assert double(fractions.Fraction(1, 3)) == fractions.Fraction(2, 3)


def test_in_place_changes_to_arguments_come_back(program):
    names = program(candidate_code("def tidy(xs, d):\n    xs.sort()\n    d['seen'] = True\n"))
    xs, d = [3, 1, 2], {}
    assert names["tidy"](xs, d) is None
    assert xs == [1, 2, 3]
    assert d == {"seen": True}


def test_a_proxy_equals_only_by_identity_with_anything_but_another_proxy(program):
    names = program(
        candidate_code(
            "class Yes:\n    def __eq__(self, other):\n        return True\n    def __ne__(self, other):\n        return False\n"
            "    __hash__ = object.__hash__\n"
            "def make():\n    return Yes()\n"
            "class Point:\n    def __init__(self, x):\n        self.x = x\n"
            "    def __eq__(self, other):\n        return isinstance(other, Point) and self.x == other.x\n"
        )
    )
    yes = names["make"]()
    assert not (yes == 1) and yes != [1, 2] and not (yes == yes.__class__)
    assert yes == yes
    point = names["Point"]
    assert point(1) == point(1)
    assert point(1) != point(2)
    assert point(1).x == 1
    with pytest.raises(TypeError):
        point(1) + 1  # no arithmetic with a value of the judge's
    with pytest.raises(TypeError):
        1 - point(1)


def test_exceptions_keep_their_builtin_ancestor_and_their_name(program):
    names = program(
        candidate_code(
            "class Missing(KeyError):\n    pass\n"
            "def fail(kind):\n"
            "    if kind == 'value':\n        raise ValueError('bad value', 3)\n"
            "    if kind == 'custom':\n        raise Missing('k')\n"
            "    if kind == 'stop':\n        raise StopIteration\n"
            "    raise SystemExit(1)\n"
        )
    )
    fail = names["fail"]
    with pytest.raises(ValueError) as e:
        fail("value")
    assert e.value.args == ("bad value", 3)
    with pytest.raises(KeyError) as e:
        fail("custom")
    assert type(e.value).__name__ == "Missing"
    # A StopIteration out of a call must not end a test's loop early.
    with pytest.raises(RuntimeError):
        fail("stop")
    # What is no builtin exception (SystemExit) is the peer error, never raised as itself.
    with pytest.raises(CandidateError):
        fail("exit")


def test_generators_are_iterated_in_chunks(program):
    names = program(candidate_code("def count(n):\n    yield from range(n)\n    raise ValueError('done')\n"))
    got = []
    with pytest.raises(ValueError):
        for v in names["count"](3000):
            got.append(v)
    assert got == list(range(3000))


def test_library_values_cross_as_their_own_types(program):
    names = program(
        candidate_code(
            "import collections, datetime\n"
            "P = collections.namedtuple('P', 'x y')\n"
            "def values():\n"
            "    return [P(1, 2), collections.Counter('aab'), collections.OrderedDict(a=1),\n"
            "            collections.defaultdict(list, {'k': [1]}), collections.deque([1, 2], 5),\n"
            "            datetime.date(2024, 2, 29), {1: 'a'}.keys(), b'\\x00', bytearray(b'ab'), 2 ** 70]\n"
        )
    )
    p, counter, od, dd, dq, day, keys, raw, buf, big = names["values"]()
    assert (p.x, p.y, p._fields) == (1, 2, ("x", "y"))
    assert counter == collections.Counter("aab") and type(counter) is collections.Counter
    assert type(od) is collections.OrderedDict and od == {"a": 1}
    assert dd.default_factory is list and dd["missing"] == []
    assert (list(dq), dq.maxlen) == ([1, 2], 5)
    assert day == datetime.date(2024, 2, 29)
    assert set(keys) == {1}
    assert (raw, buf, big) == (b"\x00", bytearray(b"ab"), 2**70)


def test_the_judge_lends_the_tests_functions_and_refuses_what_reaches_outside(program):
    names = program(candidate_code("def apply(f, x):\n    return f(x)\ndef keep(x):\n    return 1\n"))
    square = from_the_tests("def square(x):\n    return x * x\n", "square")
    # The candidate calls back into the judge while the judge waits for its reply.
    assert names["apply"](square, 7) == 49
    assert names["apply"](len, [1, 2]) == 2
    for refused in (open, getattr, eval, collections, type, object().__reduce__):
        with pytest.raises(TypeError, match="cannot be passed"):
            names["keep"](refused)


def test_the_judge_serves_only_public_instance_attributes_of_the_tests_objects(program):
    names = program(
        candidate_code(
            "def read(obj, name):\n    return getattr(obj, name)\n"
            "def write(obj, name, value):\n    setattr(obj, name, value)\n"
        )
    )
    Node = from_the_tests(
        "class Node:\n    TABLE = {'answer': 42}\n"
        "    def __init__(self, val):\n        self.val = val\n        self._secret = 'no'\n"
        "    def twice(self):\n        return 2 * self.val\n",
        "Node",
    )
    node = Node(5)
    read = names["read"]
    assert read(node, "val") == 5
    assert read(node, "twice")() == 10
    for name in ("_secret", "TABLE", "__dict__"):
        with pytest.raises(AttributeError):
            read(node, name)
    names["write"](node, "val", 6)
    assert node.val == 6
    with pytest.raises(AttributeError, match="may not replace the method"):
        names["write"](node, "twice", 0)


def test_a_lost_candidate_is_the_peer_error_from_then_on():
    judge_sock, candidate_sock = socket.socketpair()
    judge = connect(judge_sock, "j", True, CandidateError, lambda e: f"lost: {type(e).__name__}")
    proxy = judge.decode({"h": [1, "function"]})
    candidate_sock.close()
    with pytest.raises(CandidateError, match="lost: ") as first:
        proxy(1)
    # Remembered: the same reason, without another attempt.
    with pytest.raises(CandidateError) as second:
        proxy(2)
    assert str(second.value) == str(first.value)
    judge_sock.close()


def test_frames_over_the_limit_and_forged_handles_are_refused():
    a, b = socket.socketpair()
    send, recv = channel(a)
    b.sendall(struct.pack("<I", FRAME_LIMIT + 1))
    with pytest.raises(ValueError, match="over the limit"):
        recv()
    # A handle to an object the judge never lent is refused, not looked up.
    judge = connect(b, "j", True, CandidateError, str)
    reply = judge.serve(["req", "call", {"j": [id(judge), "function"]}, [], []])
    assert reply[0] == "raise" and "never lent" in reply[3]
    for value in ({"n": ["P", ["_x"], [1]]}, {"zz": [1]}, {"d": "not a list"}):
        with pytest.raises(ValueError):
            judge.decode(value)
    a.close()
    b.close()


def test_the_peer_module_exports_its_protocol_functions():
    assert peer_module.connect is connect and callable(peer_module.channel)

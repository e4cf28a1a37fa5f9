# Test harnesses for assert-style and check-style references. Trusted code that runs inside
# the sandbox and reports on fd 3, every line tagged with the task's nonce.
#
# Two programs are built from this file:
#
# - the *plan* (`__assay_plan`), run on the reference alone, without any candidate code: it
#   splits the tests into statements and, for each `assert A == B` (or `math.isclose(A, B,
#   ...)`, or `abs(A - B) < eps`) whose side B (or A) can be evaluated without the candidate,
#   evaluates that side to plain data: the expected value (with the tolerance, if any).
#   Expected values go back to the host and never enter the sandbox again.
# - the *harness* (`__assay_harness`), run with the candidate, in two processes (see below): a
#   judge that runs the tests and a forked child that runs the candidate's code. For a test
#   with an expected value the judge reports the other side's value (as plain data) and the
#   host compares; the judge runs other tests itself and reports pass or fail. A test counts
#   only once its report arrives: exiting early, crashing or hanging fails every test not yet
#   reported.


def __assay_canon(x, depth=0):
    """Plain data as tagged JSON, compared on the host with Python's `==` semantics."""
    import collections
    import decimal
    import fractions

    if depth > 100:
        raise TypeError("value nested too deeply")
    t = type(x)
    if x is None or t is bool or t is str:
        return x
    if t is int:
        return {"int": str(x)}
    if t is float:
        return {"float": repr(x)}
    if t is bytes or t is bytearray:
        return {"bytes": x.hex()}
    if t is complex:
        return {"complex": [repr(x.real), repr(x.imag)]}
    if t is list or t is tuple:
        return {t.__name__: [__assay_canon(v, depth + 1) for v in x]}
    if t is set or t is frozenset:
        return {"set": [__assay_canon(v, depth + 1) for v in x]}
    if t is dict:
        return {"dict": [[__assay_canon(k, depth + 1), __assay_canon(v, depth + 1)] for k, v in x.items()]}
    if t is fractions.Fraction:
        return {"frac": [str(x.numerator), str(x.denominator)]}
    if t is decimal.Decimal:
        return {"dec": str(x)}
    if t is collections.OrderedDict or t is collections.Counter:
        tag = "odict" if t is collections.OrderedDict else "counter"
        return {tag: [[__assay_canon(k, depth + 1), __assay_canon(v, depth + 1)] for k, v in dict.items(x)]}
    # Views of a dict's keys and items compare as sets; dates and times by their repr.
    if t is type({}.keys()) or t is type({}.items()):
        return {"set": [__assay_canon(v, depth + 1) for v in x]}
    if t.__module__ == "datetime" and t.__name__ in ("date", "datetime", "time", "timedelta"):
        return {"other": repr(x)}
    # Library subclasses (Counter, OrderedDict, defaultdict, named tuples) compare as their base.
    if isinstance(x, dict):
        return {"dict": [[__assay_canon(k, depth + 1), __assay_canon(v, depth + 1)] for k, v in dict.items(x)]}
    for base in (tuple, list):
        if isinstance(x, base):
            return {base.__name__: [__assay_canon(v, depth + 1) for v in base.__iter__(x)]}
    if isinstance(x, (set, frozenset)):
        return {"set": [__assay_canon(v, depth + 1) for v in x]}
    name = x._assay_type if hasattr(t, "_assay_type") else t.__name__  # a judge's proxy
    raise TypeError(f"a {name} object is not plain data")


def __assay_split(spec):
    """(setup source, candidate parameter name or None, [(statement source, scored)])."""
    import ast

    if spec["kind"] == "asserts":
        for src in spec["asserts"]:
            if not ast.parse(src).body:
                raise ValueError(f"an entry of the assert list has no statement: {src!r}")
        return spec.get("setup") or "", None, [(src, True) for src in spec["asserts"]]
    module = ast.parse(spec["test"])
    check = None
    rest = []
    for node in module.body:
        if isinstance(node, ast.FunctionDef) and node.name == "check":
            check = node
        elif (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Call)
            and isinstance(node.value.func, ast.Name)
            and node.value.func.id == "check"
        ) or (isinstance(node, ast.If) and ast.unparse(node.test) in ("__name__ == '__main__'", "'__main__' == __name__")):
            # `check(f)` at the end of a test file, or a `if __name__ == "__main__":` block:
            # the harness runs the tests itself.
            continue
        else:
            rest.append(node)
    if check is None:
        raise ValueError("the test defines no check(candidate) function")
    setup = ast.unparse(ast.Module(body=rest, type_ignores=[]))
    param = check.args.args[0].arg if check.args.args else "candidate"
    definitions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)

    def outside_definitions(node):
        """The nodes of `node` that run when it runs (not the bodies of functions it defines)."""
        stack = [node]
        while stack:
            n = stack.pop()
            yield n
            stack.extend(c for c in ast.iter_child_nodes(n) if not isinstance(c, definitions))

    def body_nodes(fn):
        return [n for stmt in fn.body for n in outside_definitions(stmt)]

    def checks(n):
        """Whether node `n` checks something: an `assert`, a `raise`, or a call of a method
        named like unittest's (`self.assertEqual`, `np.testing.assert_allclose`, `fail`)."""
        if isinstance(n, (ast.Assert, ast.Raise)):
            return True
        return (
            isinstance(n, ast.Call)
            and isinstance(n.func, ast.Attribute)
            and (n.func.attr.startswith("assert") or n.func.attr.startswith("fail"))
        )

    # The tests' functions that assert (`def assert_equal(a, b): assert a == b`, EvalPlus's
    # `assertion`), directly or through another: a statement calling one is a test.
    functions = {n.name: n for n in ast.walk(module) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}
    functions.pop("check", None)
    asserting = set()
    changed = True
    while changed:
        changed = False
        for name, fn in functions.items():
            if name in asserting:
                continue
            for n in body_nodes(fn):
                called = isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in asserting
                if checks(n) or called:
                    asserting.add(name)
                    changed = True
                    break
    tests = []
    for stmt in check.body:
        # A definition only defines; a statement is a test when it asserts, or calls a
        # function of the tests' that does, when it runs.
        scored = not isinstance(stmt, definitions) and any(
            checks(n) or (isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id in asserting)
            for n in outside_definitions(stmt)
        )
        tests.append((ast.unparse(stmt), scored))
    return setup, param, tests


def __assay_bound_in(sources):
    """Every name the code in `sources` binds, anywhere: assignments and loop or `with`
    targets, definitions, imports, `global` and `nonlocal` declarations."""
    import ast

    bound = set()
    for src in sources:
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        for n in ast.walk(tree):
            if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
                bound.add(n.id)
            elif isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                bound.add(n.name)
            elif isinstance(n, (ast.Global, ast.Nonlocal)):
                bound.update(n.names)
            elif isinstance(n, ast.alias):
                bound.add((n.asname or n.name).split(".")[0])
    return bound


# Modules whose values an expected side may use (they hold no state a test changes).
__ASSAY_PURE_PLAN_MODULES = frozenset(
    "math cmath operator fractions decimal string itertools collections heapq statistics functools re".split()
)


def __assay_plan(spec):
    import ast
    import builtins
    import json
    import os
    import traceback
    import types

    nonce = spec["nonce"].encode()

    def report(obj):
        os.write(3, nonce + b" " + json.dumps(obj).encode() + b"\n")

    try:
        setup, param, tests = __assay_split(spec)
    except BaseException as e:
        report({"error": "".join(traceback.format_exception_only(type(e), e))[-2000:]})
        return
    env = {"__name__": "__main__", "__builtins__": builtins}
    try:
        exec(compile(setup, "<test setup>", "exec"), env)
    except BaseException:
        pass  # the candidate's run reports the failure
    def uses_candidate(node):
        return param is not None and param in {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}

    # Every name the tests' code binds (a module-level variable, `solve = candidate` in
    # `check`): such a name may stand for something else by the time a test runs.
    bound = __assay_bound_in([setup] + [src for src, _ in tests])

    def stateless(node):
        """Raises unless `node` is made of literals, builtins and pure modules (`math`), which
        hold the same value whenever the test runs. Anything the tests bind may not: an
        earlier statement that calls the candidate (so is not run here) may change a
        variable in place, or state a function of the tests reads; a random value differs."""
        for n in ast.walk(node):
            if not isinstance(n, ast.Name):
                continue
            value = env.get(n.id, builtins.__dict__.get(n.id))
            pure = isinstance(value, types.ModuleType) and value.__name__ in __ASSAY_PURE_PLAN_MODULES
            if n.id in bound and not pure:
                raise NameError(f"{n.id} is bound by the tests")
            if n.id in env and not pure:
                raise NameError(f"{n.id} is bound by the tests")

    def expected_of(node):
        """The plain value of a candidate-free expression that reads no variable of the
        tests, or raises."""
        if uses_candidate(node):
            raise NameError(param)
        stateless(node)
        return __assay_canon(eval(compile(ast.Expression(node), "<expected>", "eval"), env))

    def split(pair):
        """The ways to judge two operands on the host: each a side to evaluate with the
        candidate (`expr`, with the names it `uses`) and the other side's value, computed here
        (`expected`). Both ways when both sides evaluate without the candidate: which side
        involves the candidate is known only once its program has loaded (a program may be
        asked for a function named like a builtin, as in `assert 6 == sum([1, 2, 3])`)."""
        sides = []
        for expr, expected in (pair, pair[::-1]):
            try:
                value = expected_of(expected)
            except BaseException:
                continue
            uses = sorted({n.id for n in ast.walk(expr) if isinstance(n, ast.Name)})
            other = sorted({n.id for n in ast.walk(expected) if isinstance(n, ast.Name)})
            sides.append({"expr": ast.unparse(expr), "expected": value, "uses": uses, "other": other})
        return sides or None

    def isclose_function(node):
        """`"isclose"` or `"cmath_isclose"` if `node` is `math.isclose` or `cmath.isclose`
        themselves (not a function of the tests' of that name), else None."""
        import cmath
        import math

        # `math` the tests do not bind is the judge's own module when the test runs (also when
        # the program imported it: a name the tests use as a module is rebound).
        scope = {**{m.__name__: m for m in (math, cmath) if m.__name__ not in bound}, **env}
        try:
            f = eval(compile(ast.Expression(node), "<isclose>", "eval"), scope)
        except BaseException:
            return None
        return "isclose" if f is math.isclose else "cmath_isclose" if f is cmath.isclose else None

    def number(node):
        stateless(node)
        value = eval(compile(ast.Expression(node), "<tolerance>", "eval"), env)
        if type(value) not in (int, float):
            raise TypeError("tolerance must be a number")
        return float(value)

    def host_judged(test):
        """(sides, tolerance or None) for a test the host can judge, or None."""
        # A == B
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
            found = split((test.left, test.comparators[0]))
            return found and (found, None)
        # math.isclose(A, B, rel_tol=..., abs_tol=...), cmath.isclose: the real ones only
        if (
            isinstance(test, ast.Call)
            and ast.unparse(test.func) in ("math.isclose", "isclose", "cmath.isclose")
            and len(test.args) == 2
            and all(k.arg in ("rel_tol", "abs_tol") for k in test.keywords)
            and isclose_function(test.func)
        ):
            found = split(tuple(test.args))
            if found:
                form = isclose_function(test.func)
                tol = {"rel": 1e-09, "abs": 0.0, "strict": False, "form": form}
                for k in test.keywords:
                    tol["rel" if k.arg == "rel_tol" else "abs"] = number(k.value)
                return found, tol
            return None
        # abs(A - B) < eps, abs(A - B) <= eps
        if (
            isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and isinstance(test.ops[0], (ast.Lt, ast.LtE))
            and isinstance(test.left, ast.Call)
            and ast.unparse(test.left.func) == "abs"
            and "abs" not in bound
            and "abs" not in env
            and len(test.left.args) == 1
            and isinstance(test.left.args[0], ast.BinOp)
            and isinstance(test.left.args[0].op, ast.Sub)
            and not uses_candidate(test.comparators[0])
        ):
            diff = test.left.args[0]
            found = split((diff.left, diff.right))
            if found:
                eps = number(test.comparators[0])
                strict = isinstance(test.ops[0], ast.Lt)
                return found, {"rel": 0.0, "abs": eps, "strict": strict, "form": "abs"}
        return None

    plan = []
    for src, scored in tests:
        entry = {"src": src, "scored": scored, "sides": [], "tolerance": None}
        stmt = ast.parse(src).body[0]
        names = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
        if not scored:
            if param not in names:
                try:
                    exec(compile(src, "<test step>", "exec"), env)
                except BaseException:
                    pass
        elif isinstance(stmt, ast.Assert) and len(ast.parse(src).body) == 1:
            try:
                judged = host_judged(stmt.test)
            except BaseException:
                judged = None
            if judged:
                entry["sides"], entry["tolerance"] = judged
        plan.append(entry)
    report({"setup": setup, "param": param, "tests": plan})


# --- Running a candidate against a plan: a judge and a candidate, in two processes ----------
#
# The *judge* (`__assay_harness`, the task's main process) holds the result channel (fd 3) and
# the nonce, runs the test setup and every test, and never executes a line of the candidate's
# code. The *candidate* (`__assay_candidate`) is a child forked before the tests are read:
# they arrive on stdin only afterwards, so its memory never holds them. It closes fd 3 and
# stdin before compiling the candidate's code, and cannot reopen them: the task is
# non-dumpable (its uid changed) and seccomp denies ptrace, so neither `/proc/<judge>/fd` nor
# `pidfd_getfd` reach the judge's descriptors. A program that finds the nonce in its memory
# has nowhere to write it.
#
# The two talk over a socket pair (`__assay_peer`), in length-prefixed JSON frames. Values
# cross as plain data (see `__assay_encode`); any other object stays in its process and
# crosses as a numbered handle, which the other side wraps in a proxy: calling it, reading an
# attribute, iterating, indexing, `len`, `bool`, `str` are requests, answered with plain data
# or more handles. Equality and ordering are not forwarded: a proxy equals only itself, so an
# object whose `__eq__` always returns True cannot pass a test, wherever the comparison is
# written. The judge lends the candidate only what the tests pass it (a `ListNode`, a key
# function), and refuses modules, frames, code, `type` and the builtins that reach outside
# (`open`, `eval`, `getattr` …), attributes starting with `_`, and replacing methods.

import builtins as __assay_builtins
import collections as __assay_collections
import datetime as __assay_datetime
import decimal as __assay_decimal
import fractions as __assay_fractions
import functools as __assay_functools
import itertools as __assay_itertools
import operator as __assay_operator
import types as __assay_types

# Largest frame either side accepts.
__ASSAY_FRAME_LIMIT = 64 << 20
# Deepest nesting of a value that crosses between the two.
__ASSAY_DEPTH_LIMIT = 200
# Integers in this range cross as JSON numbers; others as hexadecimal (linear to convert).
__ASSAY_SMALL_INT = 1 << 62
# Types JSON carries as they are (integers within `__ASSAY_SMALL_INT`).
__ASSAY_SCALARS = frozenset((str, float, bool, type(None)))
__ASSAY_LIST_SCALARS = __ASSAY_SCALARS | {int}
# Element types of a list whose `min` and `max` bound its integers.
__ASSAY_NUMBERS = frozenset((int, float, bool))
# `defaultdict` factories that cross with the dict (others cross as no factory).
__ASSAY_FACTORIES = {t.__name__: t for t in (int, float, complex, str, bytes, list, dict, set, tuple, bool)}
# Builtin functions the judge may lend the candidate (as arguments of a test's call).
__ASSAY_LENDABLE_BUILTINS = frozenset(
    "abs all any ascii bin callable chr divmod hash hex len max min oct ord pow repr round sorted sum".split()
)
# Builtin types the judge may lend (to call them; their attributes are not served).
__ASSAY_LENDABLE_TYPES = frozenset((bool, bytes, complex, dict, float, frozenset, int, list, range, set, str, tuple))
# Iterators and views of builtin containers the judge may lend (to iterate them).
__ASSAY_LENDABLE_ITERATORS = frozenset(
    type(v)
    for v in (
        iter([]), iter(()), iter({}), iter(set()), iter(""), iter(b""), iter(range(0)), reversed([]),
        iter({}.values()), iter({}.items()), enumerate([]), zip(),
        map(abs, []), filter(None, []),
    )
)
# Modules whose builtin functions the judge may lend (`math.sqrt`, `operator.add`).
__ASSAY_PURE_MODULES = frozenset(("math", "cmath", "operator", "_operator"))


def __assay_channel(sock):
    """(send, recv) over a stream socket: frames of u32 length + JSON."""
    import json
    import struct

    pack, unpack, dumps, loads = struct.pack, struct.unpack, json.dumps, json.loads

    def send(obj):
        data = dumps(obj, separators=(",", ":")).encode()
        sock.sendall(pack("<I", len(data)) + data)

    def exact(n):
        buf = bytearray()
        while len(buf) < n:
            chunk = sock.recv(min(n - len(buf), 1 << 20))
            if not chunk:
                raise EOFError("the other process closed the connection")
            buf += chunk
        return buf

    def recv():
        (n,) = unpack("<I", exact(4))
        if n > __ASSAY_FRAME_LIMIT:
            raise ValueError(f"a message of {n} bytes is over the limit")
        return loads(exact(n))

    return send, recv


def __assay_encode(x, other, depth=0):
    """Plain data as JSON (tagged where JSON has no such type); anything else is `other(x)`'s."""
    t = type(x)
    if t in __ASSAY_SCALARS:
        return x
    if t is int:
        return x if -__ASSAY_SMALL_INT < x < __ASSAY_SMALL_INT else {"i": hex(x)}
    if depth > __ASSAY_DEPTH_LIMIT:
        raise ValueError("value nested too deeply")
    depth += 1
    if t is list:
        # The common case, a list of scalars, without a call per element.
        kinds = set(map(type, x))
        if kinds <= __ASSAY_LIST_SCALARS:
            small = __ASSAY_SMALL_INT
            if int not in kinds:
                return x
            if kinds <= __ASSAY_NUMBERS:
                if -small < min(x) and max(x) < small:
                    return x
            elif all(-small < v < small for v in x if type(v) is int):
                return x
        return [__assay_encode(v, other, depth) for v in x]
    if t is tuple:
        return {"t": [__assay_encode(v, other, depth) for v in x]}
    if t is dict:
        return {"d": [[__assay_encode(k, other, depth), __assay_encode(v, other, depth)] for k, v in x.items()]}
    if t is set:
        return {"s": [__assay_encode(v, other, depth) for v in x]}
    if t is frozenset:
        return {"f": [__assay_encode(v, other, depth) for v in x]}
    if t is bytes:
        return {"b": x.hex()}
    if t is bytearray:
        return {"y": x.hex()}
    if t is complex:
        return {"c": [x.real, x.imag]}
    if t is __assay_fractions.Fraction:
        return {"q": [__assay_encode(x.numerator, other), __assay_encode(x.denominator, other)]}
    if t is __assay_decimal.Decimal:
        return {"m": str(x)}
    if t is range:
        return {"r": [__assay_encode(v, other) for v in (x.start, x.stop, x.step)]}
    if t is slice:
        return {"sl": [__assay_encode(v, other, depth) for v in (x.start, x.stop, x.step)]}
    return other(x, depth)


def __assay_decode(x, other, depth=0):
    """The value `__assay_encode` encoded; any other tag is `other(tag, value, depth)`'s."""
    t = type(x)
    if t in __ASSAY_SCALARS or t is int:
        return x
    if depth > __ASSAY_DEPTH_LIMIT:
        raise ValueError("value nested too deeply")
    depth += 1
    if t is list:
        if set(map(type, x)) <= __ASSAY_LIST_SCALARS:
            return x[:]  # a copy: what was received is compared with it after a call
        return [__assay_decode(v, other, depth) for v in x]
    if t is dict and len(x) == 1:
        ((tag, v),) = x.items()
        if tag == "i" and type(v) is str:
            return int(v, 16)
        if type(v) is list:
            if tag == "t":
                return tuple(__assay_decode(e, other, depth) for e in v)
            if tag == "d":
                return {__assay_decode(k, other, depth): __assay_decode(e, other, depth) for k, e in v}
            if tag == "s":
                return {__assay_decode(e, other, depth) for e in v}
            if tag == "f":
                return frozenset(__assay_decode(e, other, depth) for e in v)
            if tag == "c":
                return complex(*(float(e) for e in v))
            if tag == "q":
                return __assay_fractions.Fraction(*(__assay_decode(e, other, depth) for e in v))
            if tag == "r":
                return range(*(__assay_decode(e, other, depth) for e in v))
            if tag == "sl" and len(v) == 3:
                return slice(*(__assay_decode(e, other, depth) for e in v))
        if type(v) is str:
            if tag == "b":
                return bytes.fromhex(v)
            if tag == "y":
                return bytearray.fromhex(v)
            if tag == "m":
                return __assay_decimal.Decimal(v)
        return other(tag, v, depth)
    raise ValueError("malformed value")


def __assay_describe(e):
    import traceback

    return "".join(traceback.format_exception_only(type(e), e))[-2000:]


def __assay_peer(sock, tag, strict, error, on_lost):
    """One end of the connection between the judge and the candidate's process.

    Objects of this process that are not plain data cross as handles tagged `tag` (`"j"` for
    the judge's, `"h"` for the candidate's) and stay alive in `exported`; the other side's
    handles become `Proxy` objects. While waiting for a reply, a side serves the other's
    requests (a candidate calling a key function the test lent it). `strict` (the judge)
    lends only what `lendable` allows and serves only what `servable` allows. `error` is the
    exception class for a lost or misbehaving peer; `on_lost(exc)` says why the connection is
    gone.
    """
    send, recv = __assay_channel(sock)
    other_tag = "h" if tag == "j" else "j"
    exported = {}  # id -> object of ours the other side holds a handle to
    proxies = {}  # id -> Proxy of an object of theirs
    records = {}  # (name, fields) -> tuple subclass standing for a named tuple
    exception_types = {}  # (name, builtin base) -> subclass standing for theirs
    lost = []
    collections, operator, types = __assay_collections, __assay_operator, __assay_types
    builtins, islice = __assay_builtins, __assay_itertools.islice
    factories = __ASSAY_FACTORIES
    views = {type({}.keys()): "kv", type({}.items()): "iv", type({}.values()): "vv"}
    datetime = __assay_datetime
    mutable = (
        list, dict, set, bytearray, collections.deque, collections.Counter, collections.OrderedDict,
        collections.defaultdict,
    )
    missing = object()
    lendable_builtins = __ASSAY_LENDABLE_BUILTINS
    lendable_types = __ASSAY_LENDABLE_TYPES
    lendable_iterators = __ASSAY_LENDABLE_ITERATORS
    functools = __assay_functools
    pure_modules = __ASSAY_PURE_MODULES

    def defined_by_tests(cls):
        """Whether `cls` is a class the tests' own code defined (they run as `__main__`)."""
        return isinstance(cls, type) and cls.__module__ == "__main__"

    def lendable(x):
        """What the judge may lend: the tests' own functions, classes and their instances,
        and builtins that compute without reaching anything else. Nothing that could look up
        attributes by a name the candidate chooses (`str.format`, `getattr`,
        `operator.attrgetter`), nor modules, frames or code."""
        t = type(x)
        if t is types.FunctionType:
            return x.__code__.co_filename.startswith("<test")
        if t is types.MethodType:
            return lendable(x.__func__)
        name = getattr(x, "__name__", "")
        if t is types.BuiltinFunctionType:
            owner = x.__self__
            if owner is builtins:
                return name in lendable_builtins
            if isinstance(owner, types.ModuleType):
                return owner.__name__ in pure_modules
            return type(owner) in lendable_types and name[:1] != "_" and name not in ("format", "format_map")
        if t is types.MethodDescriptorType:
            return x.__objclass__ in lendable_types and name[:1] != "_" and name not in ("format", "format_map")
        if isinstance(x, type):
            return x in lendable_types or defined_by_tests(x)
        if t in lendable_iterators or t is types.GeneratorType:
            return True  # made by the tests' code; the candidate can only iterate it
        if t is functools.partial:
            return lendable(x.func)
        if t in (operator.itemgetter, operator.attrgetter, operator.methodcaller):
            return True  # names and keys fixed by the tests; the candidate cannot make one
        return defined_by_tests(t)

    def servable(target, name, op):
        """Whether the judge serves attribute `name` of a lent `target`: only of the tests'
        own instances, never a private one; an instance's own attribute or a method or
        property of its class, never data kept on the class (a table of expected values)."""
        if name.startswith("_") or not defined_by_tests(type(target)):
            return False
        if op == "setattr" or name in getattr(target, "__dict__", ()):
            return True
        # Looked up as written in the class (a classmethod as itself, not bound).
        found = next((vars(c)[name] for c in type(target).__mro__ if name in vars(c)), None)
        return isinstance(found, (types.FunctionType, property, staticmethod, classmethod, types.MemberDescriptorType))

    def guard(x):
        if strict and not lendable(x):
            raise TypeError(f"a {type(x).__name__} object cannot be passed to the candidate's code")

    def export(x, depth):
        t = type(x)
        if t is Proxy:
            return {other_tag: [object.__getattribute__(x, "_assay_id"), object.__getattribute__(x, "_assay_type")]}
        # Library containers cross by value, as their own type.
        if isinstance(x, tuple) and isinstance(getattr(t, "_fields", None), tuple):
            return {"n": [t.__name__, list(t._fields), [encode(v, depth) for v in tuple.__iter__(x)]]}
        if t is collections.Counter or t is collections.OrderedDict:
            pairs = [[encode(k, depth), encode(v, depth)] for k, v in dict.items(x)]
            return {"ctr" if t is collections.Counter else "od": pairs}
        if t is collections.defaultdict:
            f = x.default_factory
            name = next((n for n, g in factories.items() if g is f), None)
            return {"dd": [name, [[encode(k, depth), encode(v, depth)] for k, v in dict.items(x)]]}
        if t is collections.deque:
            return {"dq": [[encode(v, depth) for v in x], x.maxlen]}
        if t in views:
            return {views[t]: [encode(v, depth) for v in x]}
        if t is datetime.date or t is datetime.datetime or t is datetime.time or t is datetime.timedelta:
            if getattr(x, "tzinfo", None) is None:
                return {"dt": [t.__name__, x.isoformat() if t is not datetime.timedelta else [x.days, x.seconds, x.microseconds]]}
        if isinstance(x, (collections.UserList, collections.UserDict, collections.UserString, collections.ChainMap, types.MappingProxyType)):
            base = list if isinstance(x, collections.UserList) else str if isinstance(x, collections.UserString) else dict
            return encode(base(x), depth)
        # Other subclasses of plain types cross as their base type (an IntEnum as its int).
        if isinstance(x, int) and not isinstance(x, bool):
            return encode(int.__add__(x, 0), depth)
        if isinstance(x, float):
            return encode(float(float.__repr__(x)), depth)
        if isinstance(x, str):
            return encode(str.__add__(x, ""), depth)
        if isinstance(x, bytes):
            return encode(bytes.__add__(x, b""), depth)
        for base in (tuple, list, frozenset, set):
            if isinstance(x, base):
                return encode(base(base.__iter__(x)), depth)
        if isinstance(x, dict):
            return encode(dict(dict.items(x)), depth)
        guard(x)
        exported[id(x)] = x
        return {tag: [id(x), getattr(t, "__name__", "object")]}

    def record(name, fields):
        key = (name, tuple(fields))
        cls = records.get(key)
        if cls is None:
            ok = type(name) is str and all(type(f) is str and f.isidentifier() and f[:1] != "_" for f in fields)
            if not ok or len(set(fields)) != len(fields):
                raise ValueError("malformed named tuple")
            body = {"__slots__": (), "_fields": tuple(fields), "_asdict": lambda self: dict(zip(self._fields, self))}
            for i, f in enumerate(fields):
                body[f] = property(operator.itemgetter(i))
            cls = records[key] = type(name, (tuple,), body)
        return cls

    def special(kind, v, depth):
        if type(v) is list:
            if kind == other_tag and len(v) == 2 and type(v[0]) is int and type(v[1]) is str:
                found = proxies.get(v[0])
                if found is None:
                    found = proxies[v[0]] = Proxy(v[0], v[1])
                return found
            if kind == tag and len(v) == 2:
                found = exported.get(v[0], missing)
                if found is missing:
                    raise ValueError("a handle to an object that was never lent")
                return found
            if kind == "n" and len(v) == 3 and type(v[1]) is list and type(v[2]) is list:
                return tuple.__new__(record(v[0], v[1]), (decode(e, depth) for e in v[2]))
            if kind in ("ctr", "od"):
                pairs = ((decode(k, depth), decode(e, depth)) for k, e in v)
                return (collections.Counter if kind == "ctr" else collections.OrderedDict)(dict(pairs))
            if kind == "dd" and len(v) == 2:
                pairs = ((decode(k, depth), decode(e, depth)) for k, e in v[1])
                return collections.defaultdict(factories.get(v[0]) if type(v[0]) is str else None, pairs)
            if kind == "dq" and len(v) == 2 and (v[1] is None or type(v[1]) is int):
                return collections.deque((decode(e, depth) for e in v[0]), v[1])
            if kind == "kv":
                return dict.fromkeys(decode(e, depth) for e in v).keys()
            if kind == "iv":
                return dict(decode(e, depth) for e in v).items()
            if kind == "vv":
                return dict(enumerate(decode(e, depth) for e in v)).values()
            if kind == "dt" and len(v) == 2 and v[0] in ("date", "datetime", "time", "timedelta"):
                cls = getattr(datetime, v[0])
                if cls is datetime.timedelta:
                    return datetime.timedelta(*(int(e) for e in v[1]))
                return cls.fromisoformat(str(v[1]))
        raise ValueError("malformed value")

    def encode(x, depth=0):
        return __assay_encode(x, export, depth)

    def decode(x, depth=0):
        return __assay_decode(x, special, depth)

    def failure(e):
        try:
            names = [c.__name__ for c in type(e).__mro__]
        except BaseException:
            names = ["Exception"]
        try:
            args = encode(tuple(e.args))
        except BaseException:
            args = None
        try:
            message = str(e)[-2000:]
        except BaseException:
            message = "an exception that cannot be shown"
        return ["raise", names, args, message]

    def rebuild(names, args, message):
        """The other side's exception: its nearest builtin ancestor, under its own name."""
        if type(names) is not list or not names or type(names[0]) is not str:
            return error(f"an exception: {message}")
        base = None
        for n in names:
            found = builtins.__dict__.get(n) if type(n) is str else None
            if isinstance(found, type) and issubclass(found, Exception):
                base = found
                break
        if base is None:  # SystemExit, KeyboardInterrupt …: never raised here
            return error(f"{names[0]}: {message}")
        cls = base
        if names[0] != base.__name__:
            cls = exception_types.get((names[0], base))
            if cls is None:
                cls = exception_types[(names[0], base)] = type(names[0], (base,), {"__module__": "builtins"})
        try:
            values = decode(args) if args is not None else (message,)
            return cls(*values) if type(values) is tuple else cls(message)
        except BaseException:
            return error(f"{names[0]}: {message}")

    def setattr_checked(target, name, value):
        if strict and callable(getattr(type(target), name, None)):
            raise AttributeError(f"the candidate's code may not replace the method {name!r}")
        setattr(target, name, value)

    def setitem(target, key, value):
        target[key] = value

    ops = {
        "call": lambda t, a, k: t(*a, **k),
        "getattr": lambda t, a, k: getattr(t, a[0]),
        "setattr": lambda t, a, k: setattr_checked(t, a[0], a[1]),
        "len": lambda t, a, k: len(t),
        "bool": lambda t, a, k: bool(t),
        "str": lambda t, a, k: str(t),
        "repr": lambda t, a, k: repr(t),
        "iter": lambda t, a, k: iter(t),
        "next": lambda t, a, k: next(t),
        "instancecheck": lambda t, a, k: isinstance(t, type) and isinstance(a[0], t),
        "binary": lambda t, a, k: binary[a[0]](a[1], t) if a[2] else binary[a[0]](t, a[1]),
        "unary": lambda t, a, k: unary[a[0]](t),
        "round": lambda t, a, k: round(t, *a),
        "getitem": lambda t, a, k: t[a[0]],
        "setitem": lambda t, a, k: setitem(t, a[0], a[1]),
    }

    binary = {
        name: getattr(operator, name)
        for name in "add sub mul truediv floordiv mod pow matmul and_ or_ xor eq ne lt le gt ge".split()
    }
    unary = {
        "neg": operator.neg, "pos": operator.pos, "abs": abs, "invert": operator.invert,
        "float": float, "int": int, "complex": complex, "index": operator.index,
    }

    def comparison(name):
        """Compares two objects of the other side's by its own rules (a class written to be
        compared, `Point(1, 2) == Point(1, 2)`); with anything else, identity: the other side
        never decides a comparison with a value it does not own."""

        def method(self, other):
            if type(other) is not Proxy:
                return NotImplemented
            return ask("binary", self, (name, other, False))

        return method

    def arithmetic(name, reflected):
        """Arithmetic between two objects of the other side's, by its rules. With any other
        operand, none: the operand would cross (a test's expected value, learned by a
        `__sub__` that records its argument), and the result decide a check like
        `abs(candidate(x) - y) < eps`."""

        def method(self, other):
            if type(other) is not Proxy:
                return NotImplemented
            return ask("binary", self, (name, other, reflected))

        return method

    def unary_op(name):
        def method(self):
            return ask("unary", self, (name,))

        return method

    def serve(message):
        """The reply to one request of the other side's."""
        try:
            _, op, raw_target, raw_args, raw_kwargs = message
            if type(raw_target) is not dict or type(raw_target.get(tag)) is not list:
                raise ValueError("a request for an object that was never lent")
            target = decode(raw_target)
            args = [decode(a) for a in raw_args]
            kwargs = {k: decode(v) for k, v in raw_kwargs if type(k) is str}
            if op in ("getattr", "setattr"):
                name = args[0]
                if type(name) is not str or (strict and not servable(target, name, op)):
                    raise AttributeError(f"attribute {name!r} is not lent to the candidate's code")
            if op == "chunk":
                items, end = [], None
                try:
                    items = list(islice(target, args[0]))
                    if len(items) < args[0]:
                        end = True
                except BaseException as e:
                    end = failure(e)[1:]
                return ["chunk", [encode(v) for v in items], end]
            result = encode(ops[op](target, args, kwargs))
            # Arguments changed in place go back, so that tests of in-place functions see it.
            changed = []
            if op == "call":
                passed = [*zip(range(len(args)), args, raw_args)]
                passed += [(k, kwargs[k], raw) for k, raw in raw_kwargs if k in kwargs]
                for key, a, raw in passed:
                    if type(a) in mutable:
                        try:
                            if type(a) is list and a == raw:
                                continue  # scalars, unchanged: cheaper than encoding again
                        except BaseException:
                            pass
                        now = encode(a)
                        if now != raw:
                            changed.append([key, now])
            return ["ok", result, changed]
        except BaseException as e:
            return failure(e)

    def exchange(request):
        """Sends a request and returns its reply, serving the other side's requests meanwhile."""
        if lost:
            raise error(lost[0])
        try:
            send(request)
            while True:
                message = recv()
                if type(message) is list and message and message[0] == "req":
                    send(serve(message))
                    continue
                return message
        except BaseException as e:
            lost.append(on_lost(e))
            raise error(lost[0]) from None

    def update(arg, now):
        """Applies a change the other side made in place to our copy of an argument."""
        t = type(arg)
        if t is not type(now) or t not in mutable:
            return
        if t is list or t is bytearray:
            arg[:] = now
        elif t is collections.deque:
            arg.clear()
            arg.extend(now)
        else:
            arg.clear()
            arg.update(now)

    def ask(op, target, args=(), kwargs=None):
        raw = [encode(a) for a in args]
        raw_kwargs = [[k, encode(v)] for k, v in kwargs.items()] if kwargs else []
        reply = exchange(["req", op, encode(target), raw, raw_kwargs])
        if type(reply) is list and reply:
            if reply[0] == "ok" and len(reply) == 3:
                if op == "call":
                    for key, now in reply[2]:
                        update(args[key] if type(key) is int else kwargs[key], decode(now))
                return decode(reply[1])
            if reply[0] == "raise" and len(reply) == 4:
                e = rebuild(*reply[1:])
                if isinstance(e, (StopIteration, StopAsyncIteration)) and op != "next":
                    # As a generator would (PEP 479): a StopIteration out of a call must not
                    # end the test's loop early (`all(map(...))` would pass vacuously).
                    raise RuntimeError(f"the candidate's code raised {type(e).__name__}")
                raise e
        raise error("a malformed reply")

    def chunks(proxy):
        size = 1
        while True:
            reply = exchange(["req", "chunk", encode(proxy), [size], []])
            if type(reply) is list and len(reply) == 4 and reply[0] == "raise":
                raise rebuild(*reply[1:])
            if type(reply) is not list or len(reply) != 3 or reply[0] != "chunk":
                raise error("a malformed reply")
            for item in reply[1]:
                yield decode(item)
            end = reply[2]
            if end is True:
                return
            if end is not None:
                raise rebuild(*end)
            size = min(size * 2, 1024)

    class Proxy:
        """An object of the other process's: every use is a request."""

        __slots__ = ("_assay_id", "_assay_type", "__weakref__")

        def __init__(self, ident, type_name):
            object.__setattr__(self, "_assay_id", ident)
            object.__setattr__(self, "_assay_type", type_name)

        def __call__(self, *args, **kwargs):
            return ask("call", self, args, kwargs)

        def __getattr__(self, name):
            if name.startswith("__") and name.endswith("__"):
                raise AttributeError(name)
            return ask("getattr", self, (name,))

        def __setattr__(self, name, value):
            ask("setattr", self, (name, value))

        def __len__(self):
            return ask("len", self)

        def __bool__(self):
            return ask("bool", self)

        def __str__(self):
            return ask("str", self)

        def __repr__(self):
            return ask("repr", self)

        def __getitem__(self, key):
            return ask("getitem", self, (key,))

        def __setitem__(self, key, value):
            ask("setitem", self, (key, value))

        def __iter__(self):
            it = ask("iter", self)
            return chunks(it) if type(it) is Proxy else iter(it)

        def __next__(self):
            return ask("next", self)

        def __instancecheck__(self, obj):
            # `isinstance(node, ListNode)` with `ListNode` the other side's class.
            return type(obj) is Proxy and ask("instancecheck", self, (obj,)) is True

        __eq__, __ne__ = comparison("eq"), comparison("ne")
        __lt__, __le__, __gt__, __ge__ = (comparison(n) for n in ("lt", "le", "gt", "ge"))
        __add__, __radd__ = arithmetic("add", False), arithmetic("add", True)
        __sub__, __rsub__ = arithmetic("sub", False), arithmetic("sub", True)
        __mul__, __rmul__ = arithmetic("mul", False), arithmetic("mul", True)
        __truediv__, __rtruediv__ = arithmetic("truediv", False), arithmetic("truediv", True)
        __floordiv__, __rfloordiv__ = arithmetic("floordiv", False), arithmetic("floordiv", True)
        __mod__, __rmod__ = arithmetic("mod", False), arithmetic("mod", True)
        __pow__, __rpow__ = arithmetic("pow", False), arithmetic("pow", True)
        __matmul__, __rmatmul__ = arithmetic("matmul", False), arithmetic("matmul", True)
        __and__, __rand__ = arithmetic("and_", False), arithmetic("and_", True)
        __or__, __ror__ = arithmetic("or_", False), arithmetic("or_", True)
        __xor__, __rxor__ = arithmetic("xor", False), arithmetic("xor", True)
        __neg__, __pos__, __abs__, __invert__ = (unary_op(n) for n in ("neg", "pos", "abs", "invert"))
        __float__, __int__, __complex__, __index__ = (unary_op(n) for n in ("float", "int", "complex", "index"))

        def __round__(self, *ndigits):
            return ask("round", self, ndigits)
        __hash__ = object.__hash__

    return types.SimpleNamespace(
        send=send, recv=recv, serve=serve, encode=encode, decode=decode, export=export, Proxy=Proxy
    )


def __assay_candidate(source, sock):
    """The candidate's process: loads the program, then answers the judge. Never returns.

    Trusted code until the candidate's code is compiled, untrusted from then on: nothing it
    sends is believed beyond being data.
    """
    import builtins
    import os
    import types

    # First, before any of the candidate's code: no result channel, no stdin.
    try:
        os.close(3)
    except OSError:
        pass
    try:
        null = os.open("/dev/null", os.O_RDONLY)
        os.dup2(null, 0)
        os.close(null)
    except OSError:
        os.close(0)

    class JudgeError(Exception):
        """The judge's process went away or broke the protocol."""

    peer = __assay_peer(sock, "h", False, JudgeError, lambda e: f"lost the judge: {e}")
    namespace = {"__name__": "solution", "__builtins__": builtins}
    try:
        code = compile(source, "<candidate>", "exec")
    except BaseException as e:
        peer.send(["compile_error", __assay_describe(e)])
        os._exit(0)
    try:
        exec(code, namespace)
    except BaseException as e:
        peer.send(["load_error", __assay_describe(e)])
        os._exit(0)
    names = []
    for name, value in list(namespace.items()):
        if name.startswith("__") and name.endswith("__"):
            continue
        if isinstance(value, types.ModuleType):
            names.append([name, "module", value.__name__])
            continue
        try:
            names.append([name, "value", peer.encode(value)])
        except BaseException:
            names.append([name, "value", peer.export(value, 0)])
    peer.send(["loaded", names])
    while True:
        try:
            message = peer.recv()
        except BaseException:
            os._exit(0)
        if type(message) is list and message and message[0] == "req":
            try:
                peer.send(peer.serve(message))
            except BaseException:
                os._exit(0)
        elif type(message) is list and len(message) == 2 and message[0] == "define":
            # Classes the tests define (`ListNode`), for a program that uses them without
            # defining them, as it could if the tests were pasted after it.
            for name, value in message[1]:
                try:
                    namespace.setdefault(name, peer.decode(value))
                except BaseException:
                    pass


# The only globals a lent data class's methods may read (besides its own name): builtins that
# compute, and only while neither the tests nor the program bind those names.
__ASSAY_DATA_GLOBALS = frozenset(
    "isinstance type str repr len int float bool tuple list dict set frozenset hash id abs min max "
    "sum sorted range enumerate zip iter next any all round divmod super object NotImplemented "
    "None True False ValueError TypeError IndexError KeyError StopIteration".split()
)
# Methods a class may define and still be lent to a program as plain data structure.
__ASSAY_DATA_METHODS = frozenset(
    "__init__ __repr__ __str__ __eq__ __ne__ __lt__ __le__ __gt__ __ge__ __hash__ __len__ __iter__ __bool__".split()
)


def __assay_data_class(cls, unsafe):
    """Whether `cls` is a data structure of the tests' (`ListNode`, `TreeNode`): a plain class
    they defined, with no method but a few dunders written in its body, none of which reaches
    a global of the tests (by name, through a nested comprehension or function, a default
    value or a closure) or a builtin that looks names up (`globals`, `getattr` …). A class with
    a `solve` method, or an `__init__` that calls the reference solution, would lend the
    program the answers."""
    import dis
    import types

    if type(cls) is not type or cls.__module__ != "__main__" or cls.__bases__ != (object,):
        return False
    allowed = (__ASSAY_DATA_GLOBALS - unsafe) | {cls.__name__}
    plain = (type(None), bool, int, float, str, bytes)
    slots = getattr(cls, "__slots__", ())
    for name, value in vars(cls).items():
        if name in ("__module__", "__qualname__", "__doc__", "__dict__", "__weakref__", "__slots__"):
            continue
        if name == "__hash__" and value is None:
            continue  # what defining __eq__ leaves
        if name in slots and type(value) is types.MemberDescriptorType:
            continue
        if name not in __ASSAY_DATA_METHODS or type(value) is not types.FunctionType:
            return False
        if value.__closure__ or not value.__qualname__.startswith(cls.__qualname__ + "."):
            return False
        defaults = (value.__defaults__ or ()) + tuple((value.__kwdefaults__ or {}).values())
        if any(type(d) not in plain for d in defaults):
            return False
        codes = [value.__code__]
        while codes:
            code = codes.pop()
            codes.extend(c for c in code.co_consts if type(c) is types.CodeType)
            for ins in dis.get_instructions(code):
                if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME", "STORE_GLOBAL", "DELETE_GLOBAL"):
                    if ins.argval not in allowed:
                        return False
    return True


def __assay_bound_names(suite, tests):
    """Every name the tests' code binds, anywhere (see `__assay_bound_in`)."""
    return __assay_bound_in([suite["setup"]] + [t["src"] for t in tests if t["src"]])


def __assay_free_names(source):
    """The names `source` reads (of a program: the judge lends it the tests' classes only
    under these), or none if it does not parse."""
    import ast

    try:
        tree = ast.parse(source)
    except BaseException:  # a program too deep to parse lends nothing
        return set()
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def __assay_module_bases(suite, tests):
    """The names the tests' code reads an attribute of (`math` in `math.pi`), each with the
    attributes read."""
    import ast

    sources = [suite["setup"]] + [t["src"] for t in tests if t["src"]]
    sources += [side["expr"] for t in tests for side in t["sides"]]
    bases = {}
    for src in sources:
        try:
            tree = ast.parse(src)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                bases.setdefault(node.value.id, set()).add(node.attr)
    return bases


def __assay_harness(spec):
    """The judge: runs the tests on fd 3's side, the candidate in a forked child."""
    import builtins
    import json
    import os
    import signal
    import socket
    import sys
    import time
    import types

    # Only the judge may end itself: an interrupt from the candidate's process kills it (every
    # unreported test fails) instead of raising inside a test.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    nonce = spec["nonce"].encode()
    write, dumps = os.write, json.dumps
    canon, describe = __assay_canon, __assay_describe

    def report(obj):
        line = memoryview(nonce + b" " + dumps(obj).encode() + b"\n")
        while line:
            line = line[write(3, line) :]

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
            __assay_candidate(spec["candidate"], theirs)
        finally:
            os._exit(1)
    theirs.close()
    # Away from the scratch directory, which the candidate's process can write.
    os.chdir("/")
    # The tests, only now that the candidate's process exists without them.
    suite = json.loads(sys.stdin.buffer.read())
    tests, param = suite["tests"], spec["param"]

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

    peer = __assay_peer(mine, "j", True, CandidateError, on_lost)
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
    for name, attributes in (__assay_module_bases(suite, tests) if clashing else {}).items():
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
        entry_point = spec["entry_point"]
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
            report({"load_error": f"the response defines no function {spec['entry_point']!r}"})
            return
        env[param] = entry
        candidate_names.add(param)
    broken = None
    try:
        if suite["setup"].strip():
            exec(compile(suite["setup"], "<test setup>", "exec"), env)
    except BaseException as e:
        broken = "test setup failed: " + describe(e)
    lent = []
    classes = [n for n, v in env.items() if isinstance(v, type) and v.__module__ == "__main__" and n not in names]
    wanted = __assay_free_names(spec["candidate"]) if classes else ()
    # Names that are not the builtins a data class may read: anything the tests bind (at any
    # time: in `check`, or a setup function's `global`) or the program defines.
    unsafe = set(names) | {n for n in env if n != "__builtins__"}
    if classes:
        unsafe |= __assay_bound_names(suite, tests)
    for name in classes:
        value = env[name]
        if name in wanted and __assay_data_class(value, unsafe):
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
                    used = set(shadowing).intersection(__assay_free_names(test["src"]))
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

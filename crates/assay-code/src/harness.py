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
    if t is bytes:
        return {"bytes": x.hex()}
    if t is complex:
        return {"complex": [repr(x.real), repr(x.imag)]}
    if t is list or t is tuple:
        return {t.__name__: [__assay_canon(v, depth + 1) for v in x]}
    if t is set or t is frozenset:
        return {"set": [__assay_canon(v, depth + 1) for v in x]}
    if t is dict:
        return {"dict": [[__assay_canon(k, depth + 1), __assay_canon(v, depth + 1)] for k, v in x.items()]}
    if t is fractions.Fraction or t is decimal.Decimal:
        return {"other": f"{t.__name__}({x})"}
    name = x._assay_type if hasattr(t, "_assay_type") else t.__name__  # a judge's proxy
    raise TypeError(f"a {name} object is not plain data")


def __assay_split(spec):
    """(setup source, candidate parameter name or None, [(statement source, scored)])."""
    import ast

    if spec["kind"] == "asserts":
        for src in spec["asserts"]:
            ast.parse(src)
        return spec.get("setup") or "", None, [(src, True) for src in spec["asserts"]]
    module = ast.parse(spec["test"])
    check = None
    rest = []
    for node in module.body:
        if isinstance(node, ast.FunctionDef) and node.name == "check":
            check = node
        else:
            rest.append(node)
    if check is None:
        raise ValueError("the test defines no check(candidate) function")
    setup = ast.unparse(ast.Module(body=rest, type_ignores=[]))
    param = check.args.args[0].arg if check.args.args else "candidate"
    tests = []
    for stmt in check.body:
        scored = any(isinstance(n, ast.Assert) for n in ast.walk(stmt))
        tests.append((ast.unparse(stmt), scored))
    return setup, param, tests


def __assay_plan(spec):
    import ast
    import builtins
    import json
    import os
    import traceback

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

    def expected_of(node):
        """The plain value of a candidate-free expression, or raises."""
        if uses_candidate(node):
            raise NameError(param)
        return __assay_canon(eval(compile(ast.Expression(node), "<expected>", "eval"), env))

    def split(pair):
        """(expr, expected) from two operands, the expected one candidate-free, or None."""
        for expr, expected in (pair, pair[::-1]):
            try:
                return ast.unparse(expr), expected_of(expected)
            except BaseException:
                continue
        return None

    def number(node):
        value = eval(compile(ast.Expression(node), "<tolerance>", "eval"), env)
        if type(value) not in (int, float):
            raise TypeError("tolerance must be a number")
        return float(value)

    def host_judged(test):
        """(expr, expected, tolerance or None) for a test the host can judge, or None."""
        # A == B
        if isinstance(test, ast.Compare) and len(test.ops) == 1 and isinstance(test.ops[0], ast.Eq):
            found = split((test.left, test.comparators[0]))
            return found and (found[0], found[1], None)
        # math.isclose(A, B, rel_tol=..., abs_tol=...)
        if (
            isinstance(test, ast.Call)
            and ast.unparse(test.func) in ("math.isclose", "isclose", "cmath.isclose")
            and len(test.args) == 2
            and all(k.arg in ("rel_tol", "abs_tol") for k in test.keywords)
        ):
            found = split(tuple(test.args))
            if found:
                tol = {"rel": 1e-09, "abs": 0.0, "strict": False}
                for k in test.keywords:
                    tol["rel" if k.arg == "rel_tol" else "abs"] = number(k.value)
                return found[0], found[1], tol
            return None
        # abs(A - B) < eps, abs(A - B) <= eps
        if (
            isinstance(test, ast.Compare)
            and len(test.ops) == 1
            and isinstance(test.ops[0], (ast.Lt, ast.LtE))
            and isinstance(test.left, ast.Call)
            and ast.unparse(test.left.func) == "abs"
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
                return found[0], found[1], {"rel": 0.0, "abs": eps, "strict": strict}
        return None

    plan = []
    for src, scored in tests:
        entry = {"src": src, "scored": scored, "expr": None, "expected": None, "tolerance": None}
        stmt = ast.parse(src).body[0]
        names = {n.id for n in ast.walk(stmt) if isinstance(n, ast.Name)}
        if not scored:
            if param not in names:
                try:
                    exec(compile(src, "<test step>", "exec"), env)
                except BaseException:
                    pass
        elif isinstance(stmt, ast.Assert):
            try:
                judged = host_judged(stmt.test)
            except BaseException:
                judged = None
            if judged:
                entry["expr"], entry["expected"], entry["tolerance"] = judged
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
# The two talk over a socket pair, in length-prefixed JSON frames. Values cross as plain data
# (see `__assay_encode`); any other object of the candidate's stays in its process and crosses
# as a numbered handle, which the judge wraps in a proxy: calling it, reading an attribute,
# iterating, indexing, `len`, `bool`, `str` are requests, answered with plain data. Equality
# and ordering are not forwarded: a handle equals only itself, so an object whose `__eq__`
# always returns True cannot pass a test, wherever the comparison is written.

import decimal as __assay_decimal
import fractions as __assay_fractions

# Largest frame the judge accepts from the candidate.
__ASSAY_FRAME_LIMIT = 64 << 20
# Deepest nesting of a value that crosses between the two.
__ASSAY_DEPTH_LIMIT = 200
# Integers in this range cross as JSON numbers; others as hexadecimal (linear to convert).
__ASSAY_SMALL_INT = 1 << 62


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
    if t is str or t is float or t is bool or x is None:
        return x
    if t is int:
        return x if -__ASSAY_SMALL_INT < x < __ASSAY_SMALL_INT else {"i": hex(x)}
    if depth > __ASSAY_DEPTH_LIMIT:
        raise ValueError("value nested too deeply")
    depth += 1
    if t is list:
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
    return other(x, depth)


def __assay_decode(x, handle, depth=0):
    """The value `__assay_encode` encoded; handles are `handle([id, type name])`'s."""
    t = type(x)
    if t is str or t is int or t is float or t is bool or x is None:
        return x
    if depth > __ASSAY_DEPTH_LIMIT:
        raise ValueError("value nested too deeply")
    depth += 1
    if t is list:
        return [__assay_decode(v, handle, depth) for v in x]
    if t is dict and len(x) == 1:
        ((tag, v),) = x.items()
        if tag == "i" and type(v) is str:
            return int(v, 16)
        if type(v) is list:
            if tag == "t":
                return tuple(__assay_decode(e, handle, depth) for e in v)
            if tag == "d":
                return {__assay_decode(k, handle, depth): __assay_decode(e, handle, depth) for k, e in v}
            if tag == "s":
                return {__assay_decode(e, handle, depth) for e in v}
            if tag == "f":
                return frozenset(__assay_decode(e, handle, depth) for e in v)
            if tag == "c":
                return complex(*(float(e) for e in v))
            if tag == "q":
                return __assay_fractions.Fraction(*(__assay_decode(e, handle, depth) for e in v))
            if tag == "r":
                return range(*(__assay_decode(e, handle, depth) for e in v))
            if tag == "h" and len(v) == 2 and type(v[0]) is int and type(v[1]) is str:
                return handle(v)
        if type(v) is str:
            if tag == "b":
                return bytes.fromhex(v)
            if tag == "y":
                return bytearray.fromhex(v)
            if tag == "m":
                return __assay_decimal.Decimal(v)
    raise ValueError("malformed value")


def __assay_describe(e):
    import traceback

    return "".join(traceback.format_exception_only(type(e), e))[-2000:]


def __assay_candidate(source, sock):
    """The candidate's process: loads the program, then answers the judge. Never returns.

    Trusted code until the candidate's code is compiled, untrusted from then on: nothing it
    sends is believed beyond being data.
    """
    import builtins
    import itertools
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
    send, recv = __assay_channel(sock)
    objects = {}  # handle id -> object, kept alive for the task's life

    def keep(x, depth):
        t = type(x)
        # Subclasses of plain types cross as their base type (an IntEnum as its int).
        for base in (bool, int, float, str, bytes, tuple, list, dict, frozenset, set):
            if isinstance(x, base):
                if base is dict:
                    return __assay_encode(dict(dict.items(x)), keep, depth)
                if base in (tuple, list, frozenset, set):
                    return __assay_encode(base(base.__iter__(x)), keep, depth)
                if base is int:
                    return __assay_encode(int.__add__(x, 0), keep, depth)
                return __assay_encode(base.__new__(base, x), keep, depth)
        objects[id(x)] = x
        return {"h": [id(x), getattr(t, "__name__", "object")]}

    def resolve(v):
        return objects[v[0]]

    def encode(x):
        return __assay_encode(x, keep)

    def failure(e):
        try:
            return ["raise", type(e).__name__, str(e)[-2000:]]
        except BaseException:
            return ["raise", "Exception", "an exception that cannot be shown"]

    namespace = {"__name__": "solution", "__builtins__": builtins}
    try:
        code = compile(source, "<candidate>", "exec")
    except BaseException as e:
        send(["compile_error", __assay_describe(e)])
        os._exit(0)
    try:
        exec(code, namespace)
    except BaseException as e:
        send(["load_error", __assay_describe(e)])
        os._exit(0)
    names = []
    for name, value in list(namespace.items()):
        if name.startswith("__") and name.endswith("__"):
            continue
        if isinstance(value, types.ModuleType):
            names.append([name, "module", value.__name__])
            continue
        try:
            names.append([name, "value", encode(value)])
        except BaseException:
            names.append([name, "value", keep(value, 0)])
    send(["loaded", names])

    def call(target, args, kwargs):
        return target(*args, **kwargs)

    ops = {
        "call": call,
        "getattr": getattr,
        "setattr": setattr,
        "len": len,
        "bool": bool,
        "str": str,
        "repr": repr,
        "iter": iter,
        "next": next,
        "getitem": lambda target, key: target[key],
        "contains": lambda target, item: item in target,
    }
    mutable = (list, dict, set, bytearray)
    while True:
        try:
            op, target, raw_args, raw_kwargs = recv()
        except BaseException:
            os._exit(0)
        try:
            target = __assay_decode(target, resolve)
            args = [__assay_decode(a, resolve) for a in raw_args]
            if op == "chunk":
                items = []
                end = None
                try:
                    items = list(itertools.islice(target, args[0]))
                    if len(items) < args[0]:
                        end = True
                except BaseException as e:
                    end = failure(e)[1:]
                reply = ["chunk", [encode(v) for v in items], end]
            elif op == "call":
                kwargs = {k: __assay_decode(v, resolve) for k, v in raw_kwargs}
                result = encode(call(target, args, kwargs))
                # Arguments changed in place go back, so that tests of in-place functions
                # see the change.
                changed = []
                passed = [*zip(range(len(args)), args, raw_args)]
                passed += [(k, kwargs[k], raw) for k, raw in raw_kwargs]
                for key, a, raw in passed:
                    if type(a) in mutable:
                        now = encode(a)
                        if now != raw:
                            changed.append([key, now])
                reply = ["ok", result, changed]
            else:
                reply = ["ok", encode(ops[op](target, *args)), []]
        except BaseException as e:
            reply = failure(e)
        try:
            send(reply)
        except BaseException:
            os._exit(0)


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
        write(3, nonce + b" " + dumps(obj).encode() + b"\n")

    mine, theirs = socket.socketpair()
    pid = os.fork()
    if pid == 0:
        try:
            mine.close()
            __assay_candidate(spec["candidate"], theirs)
        finally:
            os._exit(1)
    theirs.close()
    # The tests, only now that the candidate's process exists without them.
    suite = json.loads(sys.stdin.buffer.read())
    tests, param = suite["tests"], spec["param"]
    send, recv = __assay_channel(mine)

    class CandidateError(Exception):
        """An exception of the candidate's that is not one of Python's built-in ones."""

    CandidateError.__module__, CandidateError.__qualname__ = "builtins", "CandidateError"

    gone = []

    def ended():
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
            how = f"exited with code {os.WEXITSTATUS(status)}"
        elif done and os.WIFSIGNALED(status):
            how = f"was killed by signal {os.WTERMSIG(status)}"
        else:
            how = "closed its connection"
        return f"the candidate's process {how}"

    def exchange(request):
        if gone:
            raise CandidateError(gone[0])
        try:
            send(request)
            return recv()
        except (EOFError, OSError) as e:
            gone.append(ended() if isinstance(e, EOFError) else f"lost the candidate's process: {e}")
            raise CandidateError(gone[0]) from None

    def rebuild(name, message):
        cls = builtins.__dict__.get(name) if type(name) is str else None
        if isinstance(cls, type) and issubclass(cls, Exception):
            try:
                return cls(message)
            except Exception:
                pass
        return CandidateError(f"{name}: {message}")

    remotes = {}

    def outgoing(x, depth):
        if type(x) is Remote:
            return {"h": [object.__getattribute__(x, "_assay_id"), object.__getattribute__(x, "_assay_type")]}
        raise TypeError(f"a {type(x).__name__} object cannot be passed to the candidate's code")

    def incoming(v):
        found = remotes.get(v[0])
        if found is None:
            found = remotes[v[0]] = Remote(v[0], v[1])
        return found

    def encode(x):
        return __assay_encode(x, outgoing)

    def decode(x):
        return __assay_decode(x, incoming)

    def ask(op, target, args=(), kwargs=None):
        raw = [encode(a) for a in args]
        request = [op, encode(target), raw, [[k, encode(v)] for k, v in kwargs.items()] if kwargs else []]
        reply = exchange(request)
        if type(reply) is not list or not reply:
            raise CandidateError("malformed reply")
        if reply[0] == "ok":
            for key, now in reply[2]:
                update(args[key] if type(key) is int else kwargs[key], decode(now))
            return decode(reply[1])
        if reply[0] == "raise":
            raise rebuild(reply[1], reply[2])
        raise CandidateError("malformed reply")

    def update(arg, now):
        """Applies a change the candidate made in place to the judge's copy of an argument."""
        t = type(arg)
        if t is not type(now):
            return
        if t is list or t is bytearray:
            arg[:] = now
        elif t is dict or t is set:
            arg.clear()
            arg.update(now)

    def chunks(remote):
        size = 1
        while True:
            reply = exchange(["chunk", encode(remote), [size], []])
            if type(reply) is not list or len(reply) != 3 or reply[0] != "chunk":
                raise CandidateError("malformed reply")
            for item in reply[1]:
                yield decode(item)
            end = reply[2]
            if end is True:
                return
            if end is not None:
                raise rebuild(end[0], end[1])
            size = min(size * 2, 1024)

    class Remote:
        """An object of the candidate's, left in its process: every use is a request."""

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

        def __contains__(self, item):
            return ask("contains", self, (item,))

        def __iter__(self):
            it = ask("iter", self)
            return chunks(it) if type(it) is Remote else iter(it)

        def __next__(self):
            return ask("next", self)

        __hash__ = object.__hash__

    try:
        loaded = recv()
        kind, detail = loaded
    except BaseException as e:
        gone.append(ended() if isinstance(e, EOFError) else describe(e))
        report({"load_error": f"the program did not load: {gone[0]}"})
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
                names[name] = decode(value)
        except BaseException:
            continue
    env = dict(names)
    env["__name__"] = "__main__"
    # The tests and the setup see the real builtins: a candidate's global named like a builtin
    # (`range`, `all`) would otherwise decide the tests run here. Host-judged expressions still
    # see the candidate's functions of those names (a task may ask for a function called `sum`);
    # their values are compared on the host, so shadowing cannot fake them.
    env["__builtins__"] = builtins
    builtin_names = builtins.__dict__
    shadowing = {n: env.pop(n) for n in list(env) if n in builtin_names and not n.startswith("__")}
    if param is not None:
        entry = names.get(spec["entry_point"])
        if not callable(entry):
            report({"load_error": f"the response defines no function {spec['entry_point']!r}"})
            return
        env[param] = entry
    broken = None
    try:
        if suite["setup"].strip():
            exec(compile(suite["setup"], "<test setup>", "exec"), env)
    except BaseException as e:
        broken = "test setup failed: " + describe(e)
    index = 0
    for test in tests:
        scored = test["scored"]
        if broken is not None:
            if scored:
                report({"i": index, "ok": False, "error": broken})
                index += 1
            continue
        try:
            if test["expr"] is not None:
                scope = {**env, **shadowing} if shadowing else env
                value = canon(eval(compile(test["expr"], f"<test {index}>", "eval"), scope))
                report({"i": index, "value": value})
            else:
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
    report({"finished": True})
    mine.close()

# Test harnesses for assert-style and check-style references. Trusted code that runs inside
# the sandbox and reports on fd 3, every line tagged with the task's nonce.
#
# Two programs are built from this file:
#
# - the *plan* (`__assay_plan`), run on the reference alone, without any candidate code: it
#   splits the tests into statements and, for each `assert A == B` (or `math.isclose(A, B,
#   ...)`, or `abs(A - B) < eps`) whose side B (or A) can be evaluated without the candidate,
#   evaluates that side to plain data: the expected value (with the tolerance, if any).
#   Expected values go back to the host and never enter the candidate's process.
# - the *harness* (`__assay_harness`), run with the candidate: it executes the candidate, then
#   each test. For a test with an expected value it reports the other side's value (as plain
#   data) and the host compares; other tests run in place and report pass or fail. A test
#   counts only once its report arrives: exiting early, crashing or hanging fails every test
#   not yet reported.


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
    raise TypeError(f"a {t.__name__} object is not plain data")


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


def __assay_harness(spec):
    import builtins
    import decimal
    import fractions
    import json
    import os
    import sys
    import traceback
    import types

    nonce = spec["nonce"].encode()
    write, dumps, exec_, eval_, compile_ = os.write, json.dumps, builtins.exec, builtins.eval, builtins.compile
    canon = __assay_canon
    FunctionType, isinstance_, type_, object_eq, object_ne = (
        types.FunctionType, builtins.isinstance, builtins.type, object.__eq__, object.__ne__)
    fmt_exc = traceback.format_exception_only

    def report(obj):
        write(3, nonce + b" " + dumps(obj).encode() + b"\n")

    def describe(e):
        return "".join(fmt_exc(type_(e), e))[-500:]

    # Snapshot of every loaded module, restored before each test so that a candidate that
    # monkeypatches builtins or library functions cannot change how the tests judge it.
    modules = [(m, dict(m.__dict__)) for m in list(sys.modules.values()) if isinstance_(m, types.ModuleType)]

    def restore():
        for m, saved in modules:
            d = m.__dict__
            d.clear()
            d.update(saved)

    safe_types = (fractions.Fraction, decimal.Decimal, range, complex)

    def plain(x):
        """Converts a candidate's value to plain data, so its own __eq__ cannot decide a test."""
        t = type_(x)
        if t in (int, float, str, bool, bytes, type_(None)) or t in safe_types:
            return x
        if t is list or t is tuple or t is set or t is frozenset:
            return t(plain(v) for v in x)
        if t is dict:
            return {plain(k): plain(v) for k, v in dict.items(x)}
        if isinstance_(x, int):
            return int.__add__(x, 0)
        if isinstance_(x, float):
            return float.__add__(x, 0.0)
        if isinstance_(x, str):
            return str.__add__(x, "")
        if isinstance_(x, bytes):
            return bytes.__add__(x, b"")
        if isinstance_(x, tuple):
            return tuple(plain(v) for v in tuple.__iter__(x))
        if isinstance_(x, list):
            return [plain(v) for v in list.__iter__(x)]
        if isinstance_(x, dict):
            return {plain(k): plain(v) for k, v in dict.items(x)}
        if isinstance_(x, frozenset):
            return frozenset(plain(v) for v in frozenset.__iter__(x))
        if isinstance_(x, set):
            return {plain(v) for v in set.__iter__(x)}
        if t.__eq__ is object_eq and t.__ne__ is object_ne:
            return x  # identity equality: cannot fake a match
        raise TypeError(f"the candidate returned a {t.__name__} object with its own __eq__; return plain data")

    def wrap(f):
        def candidate(*args, **kwargs):
            return plain(f(*args, **kwargs))

        candidate.__name__ = getattr(f, "__name__", "candidate")
        return candidate

    tests = spec["tests"]
    param = spec["param"]
    namespace = {"__name__": "solution", "__builtins__": builtins}
    try:
        code = compile_(spec["candidate"], "<candidate>", "exec")
    except BaseException as e:
        report({"compile_error": "".join(fmt_exc(type_(e), e))[-2000:]})
        return
    try:
        exec_(code, namespace)
    except BaseException as e:
        report({"load_error": "".join(fmt_exc(type_(e), e))[-2000:]})
        return
    restore()
    env = dict(namespace)
    for name, value in namespace.items():
        if isinstance_(value, FunctionType) and value.__code__.co_filename == "<candidate>":
            env[name] = wrap(value)
    env["__name__"] = "__main__"
    # The tests and the setup see the real builtins: a candidate's global named like a builtin
    # (`range = lambda *a: []`, `all = lambda *a: True`, or its own `__builtins__`) would
    # otherwise decide the tests run in place. Host-judged expressions still see the
    # candidate's functions of those names (a task may ask for a function called `sum`); their
    # values are compared on the host, so shadowing cannot fake them.
    env["__builtins__"] = builtins
    builtin_names = builtins.__dict__
    shadowing = {n: env.pop(n) for n in list(env) if n in builtin_names and not n.startswith("__")}
    if param is not None:
        entry = namespace.get(spec["entry_point"])
        if not callable(entry):
            report({"load_error": f"the response defines no function {spec['entry_point']!r}"})
            return
        env[param] = wrap(entry)
    broken = None
    try:
        if spec["setup"].strip():
            exec_(compile_(spec["setup"], "<test setup>", "exec"), env)
    except BaseException as e:
        broken = "test setup failed: " + describe(e)
    index = 0
    for test in tests:
        restore()
        scored = test["scored"]
        if broken is not None:
            if scored:
                report({"i": index, "ok": False, "error": broken})
                index += 1
            continue
        try:
            if test["expr"] is not None:
                scope = {**env, **shadowing} if shadowing else env
                value = canon(eval_(compile_(test["expr"], f"<test {index}>", "eval"), scope))
                report({"i": index, "value": value})
            else:
                exec_(compile_(test["src"], f"<test {index}>", "exec"), env)
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

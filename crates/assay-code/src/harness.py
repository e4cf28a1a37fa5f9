# Test harness for assert-style and check-style references. Trusted code: it runs inside the
# sandbox, in the same process as the candidate, and reports one line per test on fd 3, each
# tagged with the task's nonce. A test counts only if its "ok" report arrives: exiting early,
# crashing or hanging fails every test not yet reported.
def __assay_harness(spec):
    import ast, builtins, fractions, decimal, json, os, sys, traceback, types

    nonce = spec["nonce"].encode()
    write, dumps, exec_, compile_ = os.write, json.dumps, builtins.exec, builtins.compile
    FunctionType, isinstance_, type_, object_eq, object_ne = (
        types.FunctionType, builtins.isinstance, builtins.type, object.__eq__, object.__ne__)
    fmt_exc = traceback.format_exception_only

    def report(obj):
        write(3, nonce + b" " + dumps(obj).encode() + b"\n")

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
        if isinstance_(x, bool):
            return bool(int.__index__(x))
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

    # Parse the tests before any candidate code runs.
    kind = spec["kind"]
    if kind == "asserts":
        setup = spec.get("setup") or ""
        tests = [(t, True) for t in spec["asserts"]]
        param = None
    else:
        module = ast.parse(spec["test"])
        check = None
        rest = []
        for node in module.body:
            if isinstance_(node, ast.FunctionDef) and node.name == "check":
                check = node
            else:
                rest.append(node)
        if check is None:
            report({"error": "the test defines no check(candidate) function"})
            return
        setup = ast.unparse(ast.Module(body=rest, type_ignores=[]))
        param = check.args.args[0].arg if check.args.args else "candidate"
        tests = []
        for stmt in check.body:
            src = ast.unparse(stmt)
            scored = any(isinstance_(n, ast.Assert) for n in ast.walk(stmt))
            tests.append((src, scored))
    report({"total": sum(1 for _, scored in tests if scored)})

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
    if param is not None:
        entry = namespace.get(spec["entry_point"])
        if not callable(entry):
            report({"load_error": f"the response defines no function {spec['entry_point']!r}"})
            return
        env[param] = wrap(entry)
    broken = None
    try:
        if setup.strip():
            exec_(compile_(setup, "<test setup>", "exec"), env)
    except BaseException as e:
        broken = "test setup failed: " + "".join(fmt_exc(type_(e), e))[-500:]
    index = 0
    for src, scored in tests:
        restore()
        error = broken
        if error is None:
            try:
                exec_(compile_(src, f"<test {index}>", "exec"), env)
            except BaseException as e:
                error = "".join(fmt_exc(type_(e), e))[-500:]
                if not scored:
                    broken = "an earlier test step failed: " + error
        if scored:
            if error is None:
                report({"i": index, "ok": True})
            else:
                report({"i": index, "ok": False, "error": error})
            index += 1
    report({"finished": True})

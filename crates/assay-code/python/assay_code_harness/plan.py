"""The plan of a test suite: run on the reference alone, without any candidate code.

It splits the tests into statements and, for each `assert A == B` (or `math.isclose(A, B,
...)`, or `abs(A - B) < eps`) whose side B (or A) can be evaluated without the candidate,
evaluates that side to plain data: the expected value (with the tolerance, if any). Expected
values go back to the host and never enter the sandbox again.
"""

import ast
import builtins
import types

from assay_code_harness.names import bound_in, outside_reads
from assay_code_harness.report import describe, reporter
from assay_code_harness.values import canon

# Modules whose values an expected side may use (they hold no state a test changes).
PURE_PLAN_MODULES = frozenset(
    "math cmath operator fractions decimal string itertools collections heapq statistics functools re".split()
)


def split_tests(spec):
    """(setup source, candidate parameter name or None, [(statement source, scored)])."""
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


def main(spec):
    """Reports the plan of `spec` (`{"kind": "asserts", "asserts", "setup"}` or `{"kind":
    "check", "test", "entry_point"}`, with the `nonce`): `{"setup", "param", "tests"}`, each
    test `{"src", "scored", "sides", "tolerance", "reads"}`; or `{"error"}` when the tests do
    not parse."""
    report = reporter(spec["nonce"])
    try:
        setup, param, tests = split_tests(spec)
    except BaseException as e:
        report({"error": describe(e)})
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
    bound = bound_in([setup] + [src for src, _ in tests])

    def stateless(node):
        """Raises unless `node` is made of literals, builtins and pure modules (`math`), which
        hold the same value whenever the test runs. Anything the tests bind may not: an
        earlier statement that calls the candidate (so is not run here) may change a
        variable in place, or state a function of the tests reads; a random value differs."""
        for n in ast.walk(node):
            if not isinstance(n, ast.Name):
                continue
            value = env.get(n.id, builtins.__dict__.get(n.id))
            pure = isinstance(value, types.ModuleType) and value.__name__ in PURE_PLAN_MODULES
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
        return canon(eval(compile(ast.Expression(node), "<expected>", "eval"), env))

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

    # What each statement reads from outside the tests: the host checks that a scored one
    # reads a name of the program (`require_program_names`).
    reads = outside_reads(setup, [src for src, _ in tests])
    plan = []
    for (src, scored), read in zip(tests, reads):
        entry = {"src": src, "scored": scored, "sides": [], "tolerance": None}
        if scored:
            entry["reads"] = sorted(read)
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

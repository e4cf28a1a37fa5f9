#!/usr/bin/env python3
"""Random pairs with verdicts known by construction, for checking Assay beyond MATH-500.

  arith  random rational expressions in LaTeX (\\frac, \\cdot, powers, \\left( \\right),
         nested signs) against their exact value (equal) and value + 1/7 (not equal)
  sym    random expressions in x, y, z (polynomials, quotients, sqrt, exp, sin) printed by
         SymPy's latex(), against SymPy's expand()/factor() of the same expression (equal)
         and against the expression plus y/3 or similar (not equal)

Usage (SymPy needed for `sym`; the benchmark venv has it):
  python random_pairs.py arith OUT.jsonl [N]
  /tmp/assay-math-bench-venv/bin/python random_pairs.py sym OUT.jsonl [N]
Then: bench_pairs OUT.jsonl 1 > res.jsonl, and count rows whose "equal" differs from
"expect" in OUT.jsonl.
"""
import json
import random
import sys
from fractions import Fraction as F


def arith(n):
    def gen(d):
        if d == 0 or random.random() < 0.3:
            k = random.randint(0, 12)
            return str(k), F(k)
        op = random.choice(["+", "-", "*", "cdot", "frac", "/", "pow", "neg", "paren"])
        if op == "neg":
            s, v = gen(d - 1)
            return "-(" + s + ")", -v
        if op == "paren":
            s, v = gen(d - 1)
            return "\\left(" + s + "\\right)", v
        a, va = gen(d - 1)
        b, vb = gen(d - 1)
        if op == "+":
            return f"{a} + {b}", va + vb
        if op == "-":
            return f"{a} - ({b})", va - vb
        if op == "*":
            return f"({a})({b})", va * vb
        if op == "cdot":
            return f"({a}) \\cdot ({b})", va * vb
        if op in ("frac", "/"):
            if vb == 0:
                return a, va
            return (f"\\frac{{{a}}}{{{b}}}" if op == "frac" else f"({a})/({b})"), va / vb
        e = random.randint(0, 3)
        if va == 0 and e == 0:
            e = 1
        return f"({a})^{{{e}}}", va ** e

    def latex(q):
        return str(q.numerator) if q.denominator == 1 else f"\\frac{{{q.numerator}}}{{{q.denominator}}}"

    for _ in range(n):
        s, v = gen(4)
        yield {"reference": latex(v), "response": "\\boxed{" + s + "}", "expect": True}
        yield {"reference": latex(v + F(1, 7)), "response": "\\boxed{" + s + "}", "expect": False}


def sym(n):
    import sympy as sp

    xs = sp.symbols("x y z")

    def rnd(d):
        if d == 0 or random.random() < 0.3:
            return random.choice([sp.Integer(random.randint(-5, 9)), random.choice(xs)])
        op = random.choice(["+", "-", "*", "/", "pow", "sqrt", "exp", "sin"])
        a, b = rnd(d - 1), rnd(d - 1)
        return {
            "+": lambda: a + b,
            "-": lambda: a - b,
            "*": lambda: a * b,
            "/": lambda: a / b if b != 0 else a,
            "pow": lambda: a ** random.randint(0, 3),
            "sqrt": lambda: sp.sqrt(a ** 2 + 1),
            "exp": lambda: sp.exp(a / 3),
            "sin": lambda: sp.sin(a),
        }[op]()

    made = 0
    while made < n:
        e = rnd(3)
        if e.has(sp.zoo, sp.nan):
            continue
        f = sp.expand(e)
        if f == e:
            f = sp.factor(e)
        l1, l2 = sp.latex(e), sp.latex(f)
        if len(l1) > 300 or len(l2) > 300:
            continue
        wrong = sp.latex(sp.expand(e + sp.Rational(1, 3) * random.choice(xs)))
        yield {"reference": l1, "response": "\\boxed{" + l2 + "}", "expect": True}
        yield {"reference": l1, "response": "\\boxed{" + wrong + "}", "expect": False}
        made += 1


def main():
    kind, out = sys.argv[1], sys.argv[2]
    n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000
    random.seed(1 if kind == "arith" else 2)
    rows = list({"arith": arith, "sym": sym}[kind](n))
    with open(out, "w") as f:
        for i, r in enumerate(rows):
            f.write(json.dumps({"id": f"{kind}:{i}", **r}) + "\n")
    print(f"wrote {len(rows)} pairs to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()

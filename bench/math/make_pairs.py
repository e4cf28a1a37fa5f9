#!/usr/bin/env python3
"""Builds (reference, response) pairs from MATH-500 for the Math-Verify comparison.

Three kinds of pair per problem, each with the verdict it must get by construction:
  solution  the reference solution text (its last \\boxed{} holds the gold answer)  -> equal
  rewrite   "The answer is $\\boxed{X}$." with X an equivalent spelling of the gold   -> equal
            (only where one can be produced mechanically: decimals, a/b, \\dfrac, ...)
  wrong     the solution with its boxed answer perturbed (first digit changed, or
            another problem's answer when there is no digit)                        -> not equal

A fourth kind, `corpus`, takes the hand-labelled rows of Assay's equivalence corpus
(crates/assay-math/tests/corpus/{equivalence,false_positives}.tsv, `=` and `!=` rows) as
"The answer is $\\boxed{X}$." responses: the hard cases (exactness, percent, units,
equations, intervals, text), each labelled by hand.

Usage: make_pairs.py MATH500.jsonl.gz OUT.jsonl [TABLE.tsv ...]
"""
import gzip
import json
import re
import sys
from fractions import Fraction


def last_boxed_span(text):
    """(start, end) of the contents of the last \\boxed{...} in text, brace-matched."""
    i = text.rfind("\\boxed")
    if i < 0:
        return None
    j = text.find("{", i)
    if j < 0:
        return None
    depth = 0
    for k in range(j, len(text)):
        if text[k] == "{":
            depth += 1
        elif text[k] == "}":
            depth -= 1
            if depth == 0:
                return (j + 1, k)
    return None


def terminating_decimal(q):
    den = q.denominator
    for p in (2, 5):
        while den % p == 0:
            den //= p
    if den != 1:
        return None
    s = f"{float(q):.12f}".rstrip("0").rstrip(".")
    return s if Fraction(s) == q else None


def rewrite(ans):
    """An equivalent spelling of ans, or None."""
    a = ans.strip()
    m = re.fullmatch(r"(-?)\\[dt]?frac\{?(\d+)\}?\{?(\d+)\}?", a)
    if m:
        q = Fraction(int(m.group(2)), int(m.group(3))) * (-1 if m.group(1) else 1)
        dec = terminating_decimal(q)
        return dec if dec is not None else f"{m.group(1)}{m.group(2)}/{m.group(3)}"
    if re.fullmatch(r"-?\d+", a) and len(a.lstrip("-")) >= 5:
        return f"{int(a):,}"
    if re.fullmatch(r"-?\d+\.\d+", a):
        q = Fraction(a)
        return f"\\frac{{{q.numerator}}}{{{q.denominator}}}"
    if re.fullmatch(r"-?\d+", a):
        return f"{a}.0"
    if "\\frac" in a and "\\dfrac" not in a:
        return a.replace("\\frac", "\\dfrac")
    if "\\sqrt" in a:
        return re.sub(r"\\sqrt\{(\d+)\}", r"\\sqrt \1", a) if re.search(r"\\sqrt\{\d\}", a) else None
    if "^\\circ" in a:
        return a.replace("^\\circ", "")
    if a.startswith("\\text{") and a.endswith("}"):
        return a[len("\\text{"):-1]
    return None


def perturb(ans, other):
    m = re.search(r"\d", ans)
    if m:
        d = int(m.group(0))
        return ans[: m.start()] + str((d + 1) % 10 if d != 0 else 7) + ans[m.end():]
    return other


def main():
    src, out = sys.argv[1], sys.argv[2]
    recs = [json.loads(l) for l in gzip.open(src, "rt")]
    n = 0
    with open(out, "w") as f:
        for i, r in enumerate(recs):
            gold, sol, uid = r["answer"], r["solution"], r["unique_id"]
            pairs = [("solution", sol, True)]
            rw = rewrite(gold)
            if rw is not None and rw != gold:
                pairs.append(("rewrite", f"The answer is $\\boxed{{{rw}}}$.", True))
            span = last_boxed_span(sol)
            if span:
                other = next(o["answer"] for o in recs[i + 1:] + recs[:i] if o["answer"] != gold)
                wrong = perturb(sol[span[0]:span[1]], other)
                pairs.append(("wrong", sol[: span[0]] + wrong + sol[span[1]:], False))
            for kind, response, expected in pairs:
                f.write(json.dumps({"id": f"{uid}#{kind}", "kind": kind, "reference": gold,
                                    "response": response, "expected": expected}) + "\n")
                n += 1
        for table in sys.argv[3:]:
            name = table.rsplit("/", 1)[-1].split(".")[0]
            for line_no, line in enumerate(open(table), 1):
                if line.startswith("#") or not line.strip():
                    continue
                want, ref, ans = line.rstrip("\n").split("\t", 2)
                if want not in ("=", "!="):
                    continue
                f.write(json.dumps({"id": f"{name}:{line_no}", "kind": "corpus", "reference": ref,
                                    "response": f"The answer is $\\boxed{{{ans}}}$.",
                                    "expected": want == "="}) + "\n")
                n += 1
    print(f"wrote {n} pairs to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()

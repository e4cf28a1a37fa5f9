#!/usr/bin/env python3
"""Builds (reference, response) pairs from MATH-500 for the Math-Verify comparison.

Three kinds of pair per problem, each with the verdict it must get by construction:
  solution  the reference solution text (its last \\boxed{} holds the gold answer)  -> equal
  rewrite   "The answer is $\\boxed{X}$." with X an equivalent spelling of the gold   -> equal
            (only where one can be produced mechanically: decimals, a/b, \\dfrac, ...)
  wrong     the solution with its boxed answer perturbed (first digit changed, or
            another problem's answer when there is no digit)                        -> not equal

Bare answers (answers written without \\boxed{} or $...$, the way many pipelines store a
prediction once it has been pulled out of the text), per problem:
  bare          the gold answer itself, unwrapped                                     -> equal
  bare_form     a generated spelling of the gold, unwrapped: plain-text fraction, sqrt and
                pi (`3/4`, `sqrt(2)`, `pi/2`), scientific notation, `x = A`, digit groups,
                a final line after a line of prose, a glued command (`\sqrt2`, `\frac12`)  -> equal
  bare_wrong    the perturbed gold, unwrapped                                         -> not equal
  ref_solution  reference = the worked solution (extract_reference), response = the gold
                answer unwrapped: the solution's boxed answer must be found             -> equal

A table with five columns (crates/assay-math/tests/corpus/round2.tsv) gives kind `round2`:
its `=`/`!=` rows under default options, the response exactly as written (mostly bare).

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


def bare_forms(ans):
    """Generated bare spellings of ans that must be equal to it (may be empty)."""
    a = ans.strip()
    out = []
    if re.search(r"\d\s*\\[dt]?frac", a):
        return []  # a mixed number: `1\frac45` has no plain spelling without its space
    plain = a
    plain = re.sub(r"\\[dt]?frac\{(-?\d+)\}\{(\d+)\}", r"\1/\2", plain)
    plain = re.sub(r"\\sqrt\{(\d+)\}", r"sqrt(\1)", plain)
    plain = plain.replace("\\pi", "pi")
    if plain != a and "\\" not in plain:
        out.append(plain)
    glued = re.sub(r"\\sqrt\{(\d)\}", r"\\sqrt\1", a)
    glued = re.sub(r"\\frac\{(\d)\}\{(\d)\}", r"\\frac\1\2", glued)
    if glued != a:
        out.append(glued)
    if re.fullmatch(r"-?\d+", a) and len(a.lstrip("-")) >= 4:
        n = int(a)
        digits = a.lstrip("-")
        out.append(f"{'-' if n < 0 else ''}{digits[0]}.{digits[1:]}e{len(digits) - 1}")
        out.append(f"{n:,}".replace(",", "\\,"))
    if re.fullmatch(r"-?\d+(\.\d+)?", a) or re.fullmatch(r"\\frac\{\d+\}\{\d+\}", a):
        out.append(f"x = {a}")
        out.append(f"Working through the algebra gives the value below.\n{a}")
    return [f for f in out if f != a]


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
            other = next(o["answer"] for o in recs[i + 1:] + recs[:i] if o["answer"] != gold)
            if span:
                wrong = perturb(sol[span[0]:span[1]], other)
                pairs.append(("wrong", sol[: span[0]] + wrong + sol[span[1]:], False))
            pairs.append(("bare", gold, True))
            for k, form in enumerate(bare_forms(gold)):
                pairs.append((f"bare_form{k}", form, True))
            bare_wrong = perturb(gold, other)
            if bare_wrong.strip() != gold.strip():
                pairs.append(("bare_wrong", bare_wrong, False))
            for kind, response, expected in pairs:
                f.write(json.dumps({"id": f"{uid}#{kind}", "kind": kind.rstrip("0123456789"),
                                    "reference": gold, "response": response,
                                    "expected": expected}) + "\n")
                n += 1
            # The worked solution as the reference: its boxed answer must come out.
            f.write(json.dumps({"id": f"{uid}#ref_solution", "kind": "ref_solution",
                                "reference": sol, "response": gold, "expected": True,
                                "extract_reference": True}) + "\n")
            n += 1
        for table in sys.argv[3:]:
            name = table.rsplit("/", 1)[-1].split(".")[0]
            for line_no, line in enumerate(open(table), 1):
                if line.startswith("#") or not line.strip():
                    continue
                cols = line.rstrip("\n").split("\t")
                if len(cols) == 5:
                    # round2.tsv: expected, class, options, reference, response (as written).
                    want, cls, opts, ref, response = cols
                    if want not in ("=", "!=") or opts != "-":
                        continue
                    f.write(json.dumps({"id": f"{name}:{line_no}", "kind": "round2", "class": cls,
                                        "reference": ref, "response": response.replace("\\n", "\n"),
                                        "expected": want == "="}) + "\n")
                    n += 1
                    continue
                want, ref, ans = cols[0], cols[1], "\t".join(cols[2:])
                if want not in ("=", "!="):
                    continue
                f.write(json.dumps({"id": f"{name}:{line_no}", "kind": "corpus", "reference": ref,
                                    "response": f"The answer is $\\boxed{{{ans}}}$.",
                                    "expected": want == "="}) + "\n")
                n += 1
    print(f"wrote {n} pairs to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()

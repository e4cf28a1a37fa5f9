#!/usr/bin/env python3
"""Builds the `assay select` benchmark input: GROUPS groups of SIZE sampled responses.

Each group takes one MATH-500 problem's gold answer and draws SIZE responses whose final
answers are the gold answer written several ways (as sampled solutions write it: `\\boxed{}`,
`\\dfrac`, `a/b`, decimals, spacing) or wrong answers (the gold answers of other problems,
and small integer perturbations). Deterministic (seeded).

Usage: make_groups.py MATH500.jsonl.gz OUT.jsonl [GROUPS] [SIZE]
"""
import gzip
import json
import random
import re
import sys
from fractions import Fraction


def variants(answer):
    """Equivalent spellings of a gold answer (the answer itself first)."""
    out = [answer]
    a = answer.strip()
    if re.fullmatch(r"-?\d+", a):
        n = int(a)
        out += [f"{n}.0", f"\\frac{{{2 * n}}}{{2}}", f"{n}.00"]
    m = re.fullmatch(r"(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}", a)
    if m:
        sign, p, q = m.groups()
        out += [f"{sign}{p}/{q}", f"{sign}\\dfrac{{{p}}}{{{q}}}", f"{sign}\\frac{p}{q}" if len(p) == 1 and len(q) == 1 else f"{sign}({p})/({q})"]
        f = Fraction(int(p), int(q))
        d = f.denominator
        while d % 2 == 0:
            d //= 2
        while d % 5 == 0:
            d //= 5
        if d == 1:
            out.append(sign + str(float(f)))
    if "\\frac" in a and "\\dfrac" not in a:
        out.append(a.replace("\\frac", "\\dfrac"))
    if " " not in a and len(a) > 2:
        out.append(a.replace("+", " + ").replace(",", ", "))
    return out


def wrong(answer, others, rng):
    a = answer.strip()
    if re.fullmatch(r"-?\d+", a) and rng.random() < 0.5:
        return str(int(a) + rng.choice([-2, -1, 1, 2, 10]))
    return rng.choice(others)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    groups = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
    size = int(sys.argv[4]) if len(sys.argv) > 4 else 64
    opener = gzip.open if src.endswith(".gz") else open
    problems = [json.loads(l) for l in opener(src, "rt")]
    answers = [p["answer"] for p in problems]
    rng = random.Random(16)
    templates = [
        "Let me work through it. ... Therefore the final answer is $\\boxed{{{}}}$.",
        "We compute step by step and get \\boxed{{{}}}.",
        "**Answer:** \\boxed{{{}}}",
        "So the answer is $\\boxed{{{}}}$",
    ]
    with open(dst, "w") as f:
        for g in range(groups):
            p = problems[g % len(problems)]
            gold = p["answer"]
            good = variants(gold)
            share = rng.uniform(0.2, 0.8)  # how often the sampler is right
            pool = [wrong(gold, answers, rng) for _ in range(rng.randint(1, 6))]
            for i in range(size):
                if rng.random() < share:
                    ans = rng.choice(good)
                else:
                    ans = rng.choice(pool)
                text = rng.choice(templates).format(ans)
                f.write(json.dumps({"group": f"g{g}", "id": f"g{g}#{i}", "response": text,
                                    "reference": gold}) + "\n")


if __name__ == "__main__":
    main()

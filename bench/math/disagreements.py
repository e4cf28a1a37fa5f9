#!/usr/bin/env python3
"""Lists every pair where Math-Verify and Assay disagree, as Markdown, for bench/math/NOTES.md.

Who is right: the label of the pair. For the MATH-500 kinds (solution, rewrite, wrong, bare,
bare_form, bare_wrong, ref_solution) the label holds by construction; for `corpus` and `round2`
it is a hand label by Assay's authors (reviewed, but not neutral). The `math-verify sees`
column shows what Math-Verify extracted from the response, which is usually the reason.

Usage: disagreements.py PAIRS.jsonl MATH_VERIFY.jsonl MATH_VERIFY_WRAPPED.jsonl ASSAY.jsonl
"""
import json
import sys

HAND = {"corpus", "round2"}


def load(path):
    return {r["id"]: r for r in map(json.loads, open(path))}


def cell(s, n=70):
    s = s.replace("\n", "⏎").replace("|", "\\|")
    return "`" + (s if len(s) <= n else s[: n // 2] + " … " + s[-n // 2:]) + "`"


def main():
    pairs = [json.loads(l) for l in open(sys.argv[1])]
    mv, mvw, assay = load(sys.argv[2]), load(sys.argv[3]), load(sys.argv[4])
    rows = []
    for p in pairs:
        a = assay[p["id"]]["equal"]
        m, w = mv[p["id"]]["equal"], mvw[p["id"]]["equal"]
        if m == a and w == a:
            continue
        right = "Assay" if a == p["expected"] else "Math-Verify"
        if p["kind"] in HAND:
            right += " (hand label)"
        seen = mv[p["id"]].get("answer", mv[p["id"]].get("error", ""))
        rows.append((p["kind"], p["id"], p["reference"], p["response"], p["expected"], m, w, a,
                     right, str(seen)))
    print(f"{len(rows)} pairs where Math-Verify (as called, or with bare answers wrapped in "
          f"`$…$`) and Assay disagree.\n")
    print("| kind | reference | response | label | MV | MV `$…$` | Assay | right | math-verify sees |")
    print("|---|---|---|---|---|---|---|---|---|")
    yn = lambda b: "=" if b else "≠"
    for kind, _id, ref, resp, exp, m, w, a, right, seen in rows:
        ref_cell = cell(ref, 50) if kind != "ref_solution" else f"solution of `{_id.split('#')[0]}`"
        print(f"| {kind} | {ref_cell} | {cell(resp)} | {yn(exp)} | {yn(m)} | {yn(w)} | {yn(a)} "
              f"| {right} | {cell(seen, 40)} |")


if __name__ == "__main__":
    main()

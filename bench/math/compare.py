#!/usr/bin/env python3
"""Joins Math-Verify and Assay results on the same pairs and reports speed and agreement.

Usage: compare.py PAIRS.jsonl MATH_VERIFY.jsonl ASSAY.jsonl
"""
import json
import statistics
import sys


def load(path):
    return {r["id"]: r for r in map(json.loads, open(path))}


def pct(xs, p):
    xs = sorted(xs)
    return xs[round((len(xs) - 1) * p)]


def main():
    pairs = [json.loads(l) for l in open(sys.argv[1])]
    mv, assay = load(sys.argv[2]), load(sys.argv[3])
    mv_ns = [mv[p["id"]]["ns"] for p in pairs]
    as_ns = [assay[p["id"]]["ns"] for p in pairs]
    ratios = [m / max(a, 1) for m, a in zip(mv_ns, as_ns)]
    print(f"pairs: {len(pairs)}")
    for name, xs in (("math-verify", mv_ns), ("assay", as_ns)):
        print(f"{name:12s} median {statistics.median(xs)/1e3:9.1f} us   p99 {pct(xs, .99)/1e3:9.1f} us"
              f"   max {max(xs)/1e3:9.1f} us   total {sum(xs)/1e9:.3f} s")
    print(f"speed-up: ratio of medians {statistics.median(mv_ns)/statistics.median(as_ns):.0f}x, "
          f"median per-pair ratio {statistics.median(ratios):.0f}x, "
          f"ratio of totals {sum(mv_ns)/sum(as_ns):.0f}x")
    by_kind = {}
    for p in pairs:
        k = p["kind"]
        m, a = mv[p["id"]]["equal"], assay[p["id"]]["equal"]
        s = by_kind.setdefault(k, {"n": 0, "mv_ok": 0, "assay_ok": 0, "agree": 0})
        s["n"] += 1
        s["mv_ok"] += m == p["expected"]
        s["assay_ok"] += a == p["expected"]
        s["agree"] += m == a
    print("\nkind       pairs  agree  math-verify-correct  assay-correct  (correct = matches the label by construction)")
    for k, s in by_kind.items():
        print(f"{k:10s} {s['n']:5d}  {s['agree']:5d}  {s['mv_ok']:19d}  {s['assay_ok']:13d}")
    print("\ndisagreements (label = verdict required by construction):")
    for p in pairs:
        m, a = mv[p["id"]], assay[p["id"]]
        if m["equal"] != a["equal"]:
            right = "assay" if a["equal"] == p["expected"] else "math-verify"
            print(f"- {p['id']}: label={'equal' if p['expected'] else 'not equal'}; "
                  f"right by label: {right}\n    reference: {p['reference']!r}\n"
                  f"    math-verify: {m['equal']} gold={m.get('gold')} answer={m.get('answer')} {m.get('error', '')}\n"
                  f"    assay: {a['equal']} {a['status']} answer={a.get('answer')!r} -> {a.get('answer_form')!r}; {a['rule']}")


if __name__ == "__main__":
    main()

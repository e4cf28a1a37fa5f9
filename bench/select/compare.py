#!/usr/bin/env python3
"""Compares the winners of `assay select` and of the Math-Verify script, group by group.

Usage: compare.py ASSAY.jsonl MATH_VERIFY.jsonl ASSAY_SUMMARY.json
"""
import json
import sys

assay = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    top = r["clusters"][0] if r["clusters"] else None
    assay[r["group"]] = (top["size"] if top else 0, len(r["clusters"]))
mv = [json.loads(l) for l in open(sys.argv[2])]
summary = json.load(open(sys.argv[3]))
same_size = sum(1 for m in mv if assay[m["group"]][0] == m["size"])
same_count = sum(1 for m in mv if assay[m["group"]][1] == m["clusters"])
print(f"groups compared: {len(mv)}")
print(f"winning cluster of the same size: {same_size} ({100 * same_size / len(mv):.1f}%)")
print(f"same number of clusters: {same_count} ({100 * same_count / len(mv):.1f}%)")
print(f"assay: {summary['responses']} responses in {summary['elapsed_s']:.2f} s = "
      f"{summary['responses'] / summary['elapsed_s']:.0f} responses/s "
      f"({summary['checks']} equivalence checks, {summary['undecided']} undecided)")

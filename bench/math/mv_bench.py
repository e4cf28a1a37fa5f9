#!/usr/bin/env python3
"""Runs Math-Verify on (reference, response) pairs, single-threaded, timing each pair.

For each pair: parse("$reference$"), parse(response), verify(gold, answer), the usual
Math-Verify call sequence; the time covers all three. Each pair runs REPEATS times and the
median is reported.

With WRAP=1 in the environment, bare-answer responses are wrapped in `$...$` first (Math-Verify
finds LaTeX only between delimiters), to measure it at its best on bare answers.

Usage: mv_bench.py PAIRS.jsonl OUT.jsonl [REPEATS]
"""
import json
import os
import statistics
import sys
import time

from math_verify import parse, verify


# Kinds whose response is a bare answer (and round2 rows of class `bare`); with WRAP=1 they
# are given to Math-Verify inside `$...$`, the way a pipeline that knows its predictions are
# bare LaTeX would call it.
WRAPPED_KINDS = {"bare", "bare_form", "bare_wrong", "ref_solution"}


def main():
    src, out = sys.argv[1], sys.argv[2]
    repeats = int(sys.argv[3]) if len(sys.argv) > 3 else 3
    wrap = os.environ.get("WRAP") == "1"
    pairs = [json.loads(l) for l in open(src)]
    times = []
    with open(out, "w") as f:
        for p in pairs:
            samples = []
            result = None
            for _ in range(repeats):
                t0 = time.perf_counter_ns()
                try:
                    # A worked solution is parsed as text (Math-Verify finds its box); an
                    # answer is wrapped in $...$ as Math-Verify's docs do for golds.
                    gold = parse(p["reference"] if p.get("extract_reference")
                                 else "$" + p["reference"] + "$")
                    response = p["response"]
                    bare = p["kind"] in WRAPPED_KINDS or p.get("class") == "bare"
                    if wrap and bare and "\n" not in response:
                        response = "$" + response + "$"
                    answer = parse(response)
                    ok = bool(verify(gold, answer))
                    result = {"equal": ok, "gold": [str(x) for x in gold],
                              "answer": [str(x) for x in answer]}
                except Exception as e:  # a crash counts as "not equal", reported
                    result = {"equal": False, "error": repr(e)}
                samples.append(time.perf_counter_ns() - t0)
            ns = int(statistics.median(samples))
            times.append(ns)
            f.write(json.dumps({"id": p["id"], "ns": ns, **result}) + "\n")
    times.sort()
    print(f"{len(times)} pairs: median {times[len(times)//2]/1e3:.1f} us, "
          f"p99 {times[int((len(times)-1)*0.99)]/1e3:.1f} us", file=sys.stderr)


if __name__ == "__main__":
    main()

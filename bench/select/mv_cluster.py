#!/usr/bin/env python3
"""Majority voting with Math-Verify: the Python baseline of bench/select.

For each group: parse every response with math_verify.parse (its answer extraction), put
identical extracted answers together (string key, the cheap first step any script takes),
then cluster the distinct answers greedily: each one is compared with math_verify.verify (in
both directions) against the representative of every cluster so far and joins the first
that matches. The largest cluster wins (ties: the earliest). Single-threaded.

Usage: mv_cluster.py GROUPS.jsonl OUT.jsonl [MAX_GROUPS]
Prints responses per CPU-second on stderr (CPU time: the machine may be shared).
"""
import json
import sys
import time
from collections import OrderedDict

from math_verify import parse, verify


def cluster(responses):
    keys = []
    parsed = {}
    for r in responses:
        try:
            p = parse(r)
        except Exception:  # counted as no answer
            p = []
        key = str(p[-1]) if p else None
        keys.append(key)
        if key is not None and key not in parsed:
            parsed[key] = p
    reps = []  # [(key, parsed, size)]
    members = OrderedDict()
    for key, p in parsed.items():
        for i, (rk, rp) in enumerate(reps):
            try:
                same = verify(rp, p) or verify(p, rp)
            except Exception:
                same = False
            if same:
                members[rk].append(key)
                break
        else:
            reps.append((key, p))
            members[key] = [key]
    size = {rk: sum(keys.count(k) for k in ks) for rk, ks in members.items()}
    winner = max(members, key=lambda rk: size[rk]) if members else None
    return winner, len(members), size.get(winner, 0)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else None
    groups = OrderedDict()
    for line in open(src):
        r = json.loads(line)
        groups.setdefault(r["group"], []).append(r["response"])
    items = list(groups.items())[:limit]
    n = sum(len(v) for _, v in items)
    t0 = time.perf_counter()
    c0 = time.process_time()
    with open(dst, "w") as f:
        for g, responses in items:
            winner, clusters, size = cluster(responses)
            f.write(json.dumps({"group": g, "answer": winner, "clusters": clusters,
                                "size": size}) + "\n")
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    print(f"math-verify: {len(items)} groups, {n} responses: {dt:.1f} s wall, {cpu:.1f} s CPU: "
          f"{n / cpu:.0f} responses per CPU-second, {len(items) / cpu:.2f} groups per CPU-second",
          file=sys.stderr)


if __name__ == "__main__":
    main()

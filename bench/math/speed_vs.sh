#!/usr/bin/env bash
# Pairs per second of two builds of `bench_pairs` on the same pairs, in one run, alternating.
#
#   bash bench/math/speed_vs.sh OLD_BENCH_PAIRS NEW_BENCH_PAIRS PAIRS.jsonl [ROUNDS] [REPEATS]
#
# Build the old one from an earlier commit (e.g. `git worktree add /tmp/old COMMIT` and
# `cargo build --release -p assay-math --example bench_pairs` there). Each round runs both
# builds, each pair REPEATS times (median kept); per pair the fastest round counts, which
# filters out load from other processes. Prints pairs/s (from the sum of per-pair times) and
# median per kind for both.
set -euo pipefail
OLD=$1 NEW=$2 PAIRS=$3 ROUNDS=${4:-5} REPEATS=${5:-5}
TMP=$(mktemp -d)
for i in $(seq "$ROUNDS"); do
  "$OLD" "$PAIRS" "$REPEATS" > "$TMP/old$i.jsonl" 2>/dev/null
  "$NEW" "$PAIRS" "$REPEATS" > "$TMP/new$i.jsonl" 2>/dev/null
done
python3 - "$PAIRS" "$TMP" "$ROUNDS" <<'PY'
import collections, json, statistics, sys
pairs = {json.loads(l)["id"]: json.loads(l)["kind"] for l in open(sys.argv[1])}
tmp, rounds = sys.argv[2], int(sys.argv[3])
for name in ("old", "new"):
    best = {}
    for i in range(1, rounds + 1):
        for r in map(json.loads, open(f"{tmp}/{name}{i}.jsonl")):
            best[r["id"]] = min(best.get(r["id"], r["ns"]), r["ns"])
    ns = list(best.values())
    by = collections.defaultdict(list)
    for k, v in best.items():
        by[pairs[k]].append(v)
    kinds = ", ".join(f"{k} {statistics.median(v)/1e3:.2f}" for k, v in sorted(by.items()))
    print(f"{name}: {len(ns)} pairs, {len(ns)/(sum(ns)/1e9):,.0f} pairs/s, "
          f"median {statistics.median(ns)/1e3:.2f} us; median us by kind: {kinds}")
PY
rm -rf "$TMP"

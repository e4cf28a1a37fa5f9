#!/usr/bin/env bash
# `assay select` (majority vote, math-equivalence clustering, one core) against a Python
# script clustering with Math-Verify, on the same 10,000 groups of 64 responses.
#
#   bash bench/select/run.sh           # from the repository root
#
# Needs Python 3.10+, pip access to PyPI and ../shared/data/math500.jsonl.gz (or MATH500=path).
#   N_GROUPS=10000 SIZE=64   the input
#   PY_GROUPS=N            run Math-Verify on the first N groups only (it is slow)
#   OUT=/tmp/assay-select-bench   where everything is written
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/assay-select-bench}
VENV=${VENV:-/tmp/assay-select-bench-venv}
MATH500=${MATH500:-../shared/data/math500.jsonl.gz}
N_GROUPS=${N_GROUPS:-10000}
SIZE=${SIZE:-64}
PY_GROUPS=${PY_GROUPS:-$N_GROUPS}
mkdir -p "$OUT"

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q "math-verify==0.9.0"

python3 bench/select/make_groups.py "$MATH500" "$OUT/groups.jsonl" "$N_GROUPS" "$SIZE"

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build -q --release -p assay-cli
echo "== assay select (1 thread)"
/usr/bin/time -f "assay: %e s wall, %U s user, %S s sys, %M KiB peak" \
  "$CARGO_TARGET_DIR/release/assay" select -j 1 --method majority --no-estimators \
  -i "$OUT/groups.jsonl" -o "$OUT/assay.jsonl" --summary-json "$OUT/assay.summary.json"
echo "== Math-Verify (1 thread, $PY_GROUPS groups)"
/usr/bin/time -f "math-verify: %e s wall, %U s user, %S s sys, %M KiB peak" \
  "$VENV/bin/python" bench/select/mv_cluster.py "$OUT/groups.jsonl" "$OUT/math_verify.jsonl" "$PY_GROUPS"
echo "== assay select on the same $PY_GROUPS groups (1 thread)"
head -n $((PY_GROUPS * SIZE)) "$OUT/groups.jsonl" > "$OUT/groups.head.jsonl"
/usr/bin/time -f "assay (same groups): %e s wall, %U s user, %S s sys" \
  "$CARGO_TARGET_DIR/release/assay" select -j 1 --method majority --no-estimators -q \
  -i "$OUT/groups.head.jsonl" -o "$OUT/assay.head.jsonl"
python3 bench/select/compare.py "$OUT/assay.head.jsonl" "$OUT/math_verify.jsonl" "$OUT/assay.summary.json" \
  | tee "$OUT/report.txt"

#!/usr/bin/env bash
# Math-Verify vs Assay on the same MATH-500 pairs, single thread each.
#
#   bash bench/math/run.sh            # from the repository root
#
# Needs Python 3.10+, pip access to PyPI, and ../shared/data/math500.jsonl.gz (or set
# MATH500=path). Writes everything under $OUT (default /tmp/assay-math-bench).
# Speed against an earlier build of Assay: bench/math/speed_vs.sh (see NOTES.md).
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${OUT:-/tmp/assay-math-bench}
VENV=${VENV:-/tmp/assay-math-bench-venv}
MATH500=${MATH500:-../shared/data/math500.jsonl.gz}
REPEATS=${REPEATS:-3}
mkdir -p "$OUT"

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q "math-verify==0.9.0"   # pulls latex2sympy2_extended + antlr4 4.13.2

python3 bench/math/make_pairs.py "$MATH500" "$OUT/pairs.jsonl" \
  crates/assay-math/tests/corpus/equivalence.tsv crates/assay-math/tests/corpus/false_positives.tsv \
  crates/assay-math/tests/corpus/round2.tsv

export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build -q --release -p assay-math --example bench_pairs
"$CARGO_TARGET_DIR/release/examples/bench_pairs" "$OUT/pairs.jsonl" "$REPEATS" > "$OUT/assay.jsonl"
"$VENV/bin/python" bench/math/mv_bench.py "$OUT/pairs.jsonl" "$OUT/math_verify.jsonl" "$REPEATS"
# Math-Verify again, bare answers given inside $...$ (its best use on bare answers).
WRAP=1 "$VENV/bin/python" bench/math/mv_bench.py "$OUT/pairs.jsonl" "$OUT/math_verify_wrapped.jsonl" "$REPEATS"

python3 bench/math/compare.py "$OUT/pairs.jsonl" "$OUT/math_verify.jsonl" "$OUT/assay.jsonl" | tee "$OUT/report.txt"
python3 bench/math/compare.py "$OUT/pairs.jsonl" "$OUT/math_verify_wrapped.jsonl" "$OUT/assay.jsonl" > "$OUT/report_wrapped.txt"
python3 bench/math/disagreements.py "$OUT/pairs.jsonl" "$OUT/math_verify.jsonl" \
  "$OUT/math_verify_wrapped.jsonl" "$OUT/assay.jsonl" > "$OUT/disagreements.md"
echo "wrapped-mode report: $OUT/report_wrapped.txt; every disagreement: $OUT/disagreements.md"

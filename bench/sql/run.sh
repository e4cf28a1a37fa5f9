#!/usr/bin/env bash
# SQL execution-match benchmark: Assay (Rust) beside a Python sqlite3 implementation, same
# database, same items, one run. See NOTES.md for recorded figures.
#
#   bench/sql/run.sh [ROLLOUTS]          (default 16 rollouts per question)
#
# Environment: WORK (scratch folder, default /tmp/assay-sql-bench), THREADS (parallel run,
# default: all cores), REPEATS (runs of each configuration, interleaved; default 3; the report
# shows medians), CARGO_TARGET_DIR (as usual), ASSAY_MANIFEST (Cargo.toml to build from,
# default the repository's).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORK="${WORK:-/tmp/assay-sql-bench}"
ROLLOUTS="${1:-16}"
THREADS="${THREADS:-$(nproc)}"
REPEATS="${REPEATS:-3}"
mkdir -p "$WORK"

[ -f "$WORK/bench.sqlite" ] || python3 "$HERE/make_db.py" "$WORK/bench.sqlite"
python3 "$HERE/make_items.py" "$WORK/bench.sqlite" "$ROLLOUTS" > "$WORK/items.jsonl"
sha_before="$(sha256sum "$WORK/bench.sqlite" | cut -d' ' -f1)"

cargo build --quiet --release -p assay-sql --example sql_bench \
    --manifest-path "${ASSAY_MANIFEST:-$ROOT/Cargo.toml}"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/examples/sql_bench"

: > "$WORK/summaries.jsonl"
for _ in $(seq "$REPEATS"); do
    python3 "$HERE/py_exec_match.py" "$WORK/items.jsonl" --out "$WORK/py.jsonl"
    "$BIN" "$WORK/items.jsonl" --threads 1 --no-gold-cache --no-pred-cache \
        --out "$WORK/rs_1_nocache.jsonl"
    "$BIN" "$WORK/items.jsonl" --threads 1 --no-pred-cache --out "$WORK/rs_1_gold.jsonl"
    "$BIN" "$WORK/items.jsonl" --threads 1 --out "$WORK/rs_1.jsonl"
    "$BIN" "$WORK/items.jsonl" --threads "$THREADS" --out "$WORK/rs_n.jsonl"
done >> "$WORK/summaries.jsonl"

python3 "$HERE/report.py" "$WORK"
sha_after="$(sha256sum "$WORK/bench.sqlite" | cut -d' ' -f1)"
if [ "$sha_before" = "$sha_after" ]; then
    echo "database unchanged (sha256 $sha_after)"
else
    echo "DATABASE CHANGED"
    exit 1
fi

#!/usr/bin/env bash
# Benchmark of the sandbox against a fresh python3 process per program, and the dataset check.
# Run from the repository root as root: bash bench/code/run.sh [SECONDS]
set -euo pipefail
seconds="${1:-20}"
data="$(cd "$(dirname "$0")/../../.." && pwd)/shared/data"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
zcat "$data/humaneval.jsonl.gz" > "$tmp/humaneval.jsonl"
zcat "$data/mbpp_sanitized.json.gz" > "$tmp/mbpp.json"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build -q --release -p assay-code --example code_bench
bench="$CARGO_TARGET_DIR/release/examples/code_bench"
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== assay sandbox (zygote per cell)"
"$bench" throughput "$tmp/humaneval.jsonl" "$seconds"
echo "== judge process: one call from a test to the candidate's function"
"$bench" calls
echo "== baseline: fresh python3 process per program"
python3 "$(dirname "$0")/baseline.py" "$tmp/humaneval.jsonl" "$seconds"
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== canonical solutions and off-by-one variants through the code grader"
"$bench" check "$tmp/humaneval.jsonl" "$tmp/mbpp.json"

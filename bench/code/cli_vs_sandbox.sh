#!/usr/bin/env bash
# `assay score` on N trivial programs against the sandbox's own loop on the same program, side
# by side in one run (see NOTES.md, "The CLI path"). Three measurements, each run twice,
# interleaved: the sandbox alone (N runs of `print(1)`), the `code` grader in-process (N items
# in batches of 64), and `assay score --grader code` on N items (the whole CLI: reading,
# routing, batching, the grader, writing). Run from the repository root, as root.
set -euo pipefail
cd "$(dirname "$0")/../.."
n="${1:-3000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-target}"
cargo build -q --release -p assay-cli --no-default-features
cargo build -q --release -p assay-code --example code_bench
bench="$CARGO_TARGET_DIR/release/examples/code_bench"
assay="$CARGO_TARGET_DIR/release/assay"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
python3 - "$n" > "$tmp/items.jsonl" <<'PY'
import json, sys
for i in range(int(sys.argv[1])):
    print(json.dumps({"id": i, "response": "```python\nprint(1)\n```", "reference": {"tests": [{"stdin": "", "stdout": "1\n"}]}}))
PY
cli() {
    local start end
    start=$(date +%s.%N)
    "$assay" score --grader code --input "$tmp/items.jsonl" --output "$tmp/out.jsonl" \
        --summary-json "$tmp/summary.json" --quiet "$@"
    end=$(date +%s.%N)
    python3 - "$n" "$start" "$end" "$tmp/summary.json" "$*" <<'PY'
import json, sys
n, start, end = int(sys.argv[1]), float(sys.argv[2]), float(sys.argv[3])
s = json.load(open(sys.argv[4]))
print(f"assay score --grader code {sys.argv[5]}: {n * 60 / (end - start):.0f} items/min "
      f"({end - start:.1f} s wall; statuses {s['status']}, mean reward {s['mean_reward']})")
PY
}
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in 1 2; do
    echo "-- round $round"
    "$bench" trivial "$n"
    cli
done
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"

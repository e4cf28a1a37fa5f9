#!/usr/bin/env bash
# Streaming: score a file of LINES items (10 million by default) with `assay score`, sampling
# the process's resident memory every second, then interrupt a second run part-way with
# SIGINT and finish it with --resume, and check that every input id has exactly one result.
# See NOTES.md for figures.
#
#     bash bench/stream/run.sh                       # LINES=10000000 WORK=/tmp/assay-stream
#     LINES=1000000 bash bench/stream/run.sh         # shorter
#
# Disk: the input and two outputs, a few hundred bytes a line (several GB for ten million
# lines), in WORK, removed at the end unless KEEP=1.
set -euo pipefail
cd "$(dirname "$0")/../.."
LINES="${LINES:-10000000}"
WORK="${WORK:-/tmp/assay-stream}"
INTERRUPT_AFTER="${INTERRUPT_AFTER:-10}"
mkdir -p "$WORK"
cargo build -q --release -p assay-cli
assay="${CARGO_TARGET_DIR:-target}/release/assay"

echo "== generating $LINES math items in $WORK/items.jsonl"
python3 - "$LINES" > "$WORK/items.jsonl" <<'PY'
import sys
# Pairs of (reference, response): boxed and plain answers, right and wrong.
pairs = [
    ("12", "The answer is \\boxed{12}."),
    ("\\frac{1}{2}", "So we get \\boxed{0.5}"),
    ("3", "Adding them gives 4, so the answer is 4."),
    ("x^2+1", "Therefore the result is \\boxed{1 + x^2}."),
    ("\\sqrt{2}", "Final answer: \\boxed{\\sqrt 2}"),
    ("7", "I think it is \\boxed{8}"),
    ("-5", "The answer: $-5$"),
    ("100", "\\boxed{10^2}"),
]
out = sys.stdout
for i in range(int(sys.argv[1])):
    ref, resp = pairs[i % len(pairs)]
    ref = ref.replace("\\", "\\\\")
    resp = resp.replace("\\", "\\\\")
    out.write(f'{{"id":{i},"group":"g{i // 8}","response":"{resp}","reference":"{ref}"}}\n')
PY
ls -l "$WORK/items.jsonl" | awk '{printf "input: %.0f MB\n", $5 / 1e6}'

# Runs `assay score` with ARGS, sampling VmRSS once a second into $WORK/rss.tsv.
sampled() {
    "$assay" score "$@" &
    local pid=$!
    : > "$WORK/rss.tsv"
    local t=0
    while kill -0 "$pid" 2>/dev/null; do
        awk -v t="$t" '/^VmRSS:/ {print t "\t" $2}' "/proc/$pid/status" 2>/dev/null >> "$WORK/rss.tsv" || true
        sleep 1
        t=$((t + 1))
    done
    wait "$pid"
}

echo "== full run: assay score --grader math --advantage grpo --progress"
start=$(date +%s.%N)
sampled --grader math --advantage grpo --progress -i "$WORK/items.jsonl" -o "$WORK/results.jsonl" \
    --summary-json "$WORK/summary.json" -q
end=$(date +%s.%N)
python3 - "$WORK" "$LINES" "$start" "$end" <<'PY'
import json, sys
work, lines, start, end = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
rss = [(int(t), int(kb)) for t, kb in (l.split() for l in open(f"{work}/rss.tsv") if l.strip())]
n = sum(1 for _ in open(f"{work}/results.jsonl"))
half = len(rss) // 2
first, second = [kb for _, kb in rss[:half]], [kb for _, kb in rss[half:]]
print(f"results: {n:,} lines for {lines:,} items; {end - start:.1f} s, {lines / (end - start):,.0f} items/s")
print(f"resident memory, MiB: first half max {max(first) / 1024:.1f}, second half min "
      f"{min(second) / 1024:.1f} max {max(second) / 1024:.1f}; {len(rss)} samples")
s = json.load(open(f"{work}/summary.json"))
print("summary:", json.dumps(s)[:400])
assert n == lines, "every item gets exactly one result"
PY

# (--resume refuses --advantage: a cut-off run may have written part of a group.)
echo "== interrupted run: SIGINT after ${INTERRUPT_AFTER} s, then --resume"
rm -f "$WORK/resumed.jsonl"
"$assay" score --grader math -i "$WORK/items.jsonl" -o "$WORK/resumed.jsonl" -q &
pid=$!
sleep "$INTERRUPT_AFTER"
kill -INT "$pid"
set +e
wait "$pid"
code=$?
set -e
before=$(wc -l < "$WORK/resumed.jsonl")
echo "interrupted: exit $code with $before result lines written"
"$assay" score --grader math -i "$WORK/items.jsonl" -o "$WORK/resumed.jsonl" -q --resume
python3 - "$WORK" "$LINES" <<'PY'
import json, sys
work, lines = sys.argv[1], int(sys.argv[2])
ids = [json.loads(l)["id"] for l in open(f"{work}/resumed.jsonl")]
print(f"after --resume: {len(ids):,} results, {len(set(ids)):,} distinct ids")
assert len(ids) == lines and len(set(ids)) == lines, "every item exactly once"
PY
if [ "${KEEP:-0}" != 1 ]; then rm -rf "$WORK"; fi

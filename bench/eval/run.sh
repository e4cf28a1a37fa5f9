#!/usr/bin/env bash
# Recomputes published JudgeBench accuracies from JudgeBench's released per-example outputs
# with `assay eval --scores`, beside JudgeBench's own metric code and the paper's figures.
#
#   JUDGEBENCH=/path/to/a/clone/of/ScalerLab/JudgeBench bash bench/eval/run.sh
#
# Nothing of JudgeBench is copied into this repository: the outputs and the metric code are
# read from the clone at run time. Writes reports under $OUT (default /tmp/assay-eval-repro).
set -euo pipefail
cd "$(dirname "$0")/../.."
: "${JUDGEBENCH:?set JUDGEBENCH to a clone of the JudgeBench repository}"
OUT=${OUT:-/tmp/assay-eval-repro}
mkdir -p "$OUT"
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-target}
cargo build -q --release -p assay-cli
python3 bench/eval/judgebench_repro.py "$CARGO_TARGET_DIR/release/assay" "$JUDGEBENCH" "$OUT" \
  | tee "$OUT/report.md"
# One HTML report to look at.
"$CARGO_TARGET_DIR/release/assay" eval -q --title "JudgeBench: Skywork-Reward-Gemma-2-27B" \
  --scores "$JUDGEBENCH/outputs/dataset=judgebench,response_model=gpt-4o-2024-05-13,judge_name=reward_model,judge_model=Skywork_Skywork-Reward-Gemma-2-27B.jsonl" \
  --html "$OUT/skywork-gemma-27b.html"
echo "report: $OUT/skywork-gemma-27b.html"

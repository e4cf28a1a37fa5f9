#!/usr/bin/env bash
# Reward-model benchmark: assay-inference vs transformers (PyTorch) on CPU, a decoder sequence
# classifier with the layer shape of Qwen2.5-0.5B (random weights, made by
# make_reward_model.py: no model hub), the same texts and threads, one after the other in each
# round. See NOTES.md for figures.
#
#     bash bench/models/run_reward.sh      # THREADS=2 N=128 ROUNDS=3 LAYERS=4 by default
#
# Installs torch and transformers into .venv/models-bench (a large download: torch from PyPI
# is the CUDA build) unless VENV points at an environment that has them.
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS="${THREADS:-2}"
N="${N:-128}"
ROUNDS="${ROUNDS:-3}"
LAYERS="${LAYERS:-4}"
venv="${VENV:-.venv/models-bench}"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q torch transformers tokenizers
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" bench/models/make_reward_model.py "$work/model" "$LAYERS" 2>/dev/null
python3 bench/models/sentences.py "$N" > "$work/texts.txt"
cargo build -q --release -p assay-inference --example bench_embed
target="${CARGO_TARGET_DIR:-target}"
echo "$N texts of 5-60 words; $THREADS threads; $(nproc) cores"
for round in $(seq "$ROUNDS"); do
    echo "== round $round ($(cut -d' ' -f1-3 /proc/loadavg) load average)"
    echo "assay (f32):"
    RAYON_NUM_THREADS="$THREADS" "$target/release/examples/bench_embed" "$work/model" "$work/texts.txt" f32 reward
    echo "transformers (f32):"
    OMP_NUM_THREADS="$THREADS" "$venv/bin/python" bench/models/bench_transformers.py "$work/model" "$work/texts.txt" "$THREADS" reward 2>/dev/null
done

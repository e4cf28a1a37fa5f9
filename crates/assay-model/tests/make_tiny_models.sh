#!/usr/bin/env bash
# Makes the tiny random GGUF models the llama-server tests load (random weights, a tokenizer
# trained on the spot; nothing is downloaded but the `gguf`, `tokenizers` and `numpy` PyPI
# packages), cached under ~/.cache/assay/tiny-gguf/<hash of the generator>. Prints the folder.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
SCRIPT="$HERE/fixtures/make_tiny_gguf.py"
CACHE="${ASSAY_CACHE:-$HOME/.cache/assay}"
HASH="$(sha256sum "$SCRIPT" | cut -c1-16)"
OUT="$CACHE/tiny-gguf/$HASH"
if [ -f "$OUT/rerank.gguf" ]; then
    echo "$OUT"
    exit 0
fi
VENV="$CACHE/gguf-venv"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" 1>&2
fi
"$VENV/bin/pip" install -q "gguf==0.19.0" "tokenizers>=0.20,<1" "numpy<3" 1>&2
rm -rf "$OUT.tmp"
"$VENV/bin/python" "$SCRIPT" "$OUT.tmp" 1>&2
rm -rf "$OUT"
mv "$OUT.tmp" "$OUT"
echo "$OUT"

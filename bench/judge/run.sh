#!/usr/bin/env bash
# 10,000 judge requests at concurrency 64 against a local llama-server: Assay vs the `openai`
# client on asyncio (see NOTES.md). Builds what it needs: the release `assay`, llama-server
# and the tiny GGUF models (cached under ~/.cache/assay), a venv with `openai`.
#
#   bash bench/judge/run.sh [N] [ROUNDS] [CONCURRENCY]
set -euo pipefail
cd "$(dirname "$0")/../.."
cargo build --release -p assay-cli 1>&2
TARGET="${CARGO_TARGET_DIR:-target}"
LLAMA="$(bash crates/assay-model/tests/build_llama_server.sh)"
MODELS="$(bash crates/assay-model/tests/make_tiny_models.sh)"
VENV="${ASSAY_CACHE:-$HOME/.cache/assay}/bench-openai-venv"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install -q "openai==3.63.0"
export LLAMA_ARGS="${LLAMA_ARGS---threads-http 80}"
python3 bench/judge/bench.py "$TARGET/release/assay" "$LLAMA" "$MODELS/chat.gguf" \
    "$VENV/bin/python" "$@"

#!/usr/bin/env bash
# Load and fault run of `assay serve` (see NOTES.md): capacity, SUSTAIN seconds at it (the
# issue's bar is 600; the same closed-loop clients hold the server at capacity), 3x overload, then client disconnects, slow one-byte-a-second clients,
# oversized bodies and deeply nested JSON; checks memory stays flat, the server sheds with
# 429/503 and every accepted request gets exactly one response. Traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
SUSTAIN="${SUSTAIN:-600}"
PHASE="${PHASE:-10}"
CLIENTS="${CLIENTS:-64}"
# Two builds: with `--example`, cargo builds only that example, not the `assay` binary (the
# one users install, default features).
cargo build --release -p assay-cli
cargo build --release -p assay-server --example fault
target="${CARGO_TARGET_DIR:-target}"
"$target/release/examples/fault" --assay "$target/release/assay" --sustain "$SUSTAIN" --phase "$PHASE" --clients "$CLIENTS"

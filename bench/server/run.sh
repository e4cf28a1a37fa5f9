#!/usr/bin/env bash
# Loopback load benchmark of `assay serve` (see NOTES.md). Bounded: every phase stops after
# SECONDS seconds (default 5) or 200,000 requests; traffic stays on 127.0.0.1.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_PHASE="${SECONDS_PER_PHASE:-5}"
CLIENTS="${CLIENTS:-16}"
cargo build --release -p assay-server --example load
target="${CARGO_TARGET_DIR:-target}"
"$target/release/examples/load" --seconds "$SECONDS_PER_PHASE" --clients "$CLIENTS"

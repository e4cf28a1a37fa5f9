#!/usr/bin/env bash
# `assay serve` in its own process, as users run it, driven over loopback by the load
# example's client (`--url`); see NOTES.md. Bounded like run.sh: every phase stops after
# SECONDS_PER_PHASE seconds (default 5) or 200,000 requests. GRADER=math (default) or
# string_check; ASSAY=path/to/assay measures another build of the binary.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_PHASE="${SECONDS_PER_PHASE:-5}"
CLIENTS="${CLIENTS:-16}"
GRADER="${GRADER:-math}"
PORT="${PORT:-18431}"
cargo build --release -p assay-cli
cargo build --release -p assay-server --example load
target="${CARGO_TARGET_DIR:-target}"
assay="${ASSAY:-$target/release/assay}"
case "$GRADER" in
  math) serve_args=(--grader math); load_args=() ;;
  string_check) serve_args=(--grader string_check --set 'operation="contains"'); load_args=(--grader string_check) ;;
  *) echo "GRADER is math or string_check, not $GRADER" >&2; exit 2 ;;
esac
"$assay" serve "${serve_args[@]}" --addr "127.0.0.1:$PORT" 2>"$target/serve-bench.log" &
server=$!
trap 'kill $server 2>/dev/null; wait $server 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  sleep 0.1
done
"$target/release/examples/load" --url "http://127.0.0.1:$PORT" \
  --seconds "$SECONDS_PER_PHASE" --clients "$CLIENTS" "${load_args[@]}"

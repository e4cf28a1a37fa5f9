#!/usr/bin/env bash
# Soak of every parser of untrusted text (see NOTES.md): COUNT generated and mutated inputs per
# parser (default 1,000,000), seeded from the repository's test corpora; reports panics, calls
# over 10 ms and peak memory, and writes the offending inputs under target/soak/.
set -euo pipefail
cd "$(dirname "$0")/../.."
COUNT="${COUNT:-1000000}"
SEED="${SEED:-24301}"
cargo build --release -p assay --no-default-features \
    --features math,text,code,sql,ifeval,similarity --example soak
target="${CARGO_TARGET_DIR:-target}"
echo "== load before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$target/release/examples/soak" --count "$COUNT" --seed "$SEED" --out "$target/soak" "$@"
echo "== load after: $(cut -d' ' -f1-3 /proc/loadavg)"

#!/usr/bin/env bash
# Ray Data + assay.ray.score_dataset against `assay score`, same machine, same data, one run
# (see NOTES.md). Builds both optimised, installs the wheel and ray[data] into the venv.
#
#   ROWS=200000 CPUS=2 ROUNDS=3 bash bench/ray/run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
venv="${ASSAY_PY_VENV:-$PWD/.venv}"
[ -x "$venv/bin/python" ] || "${PYTHON:-python3}" -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "maturin>=1.5,<2" "ray[data]==2.60.0"
cargo build --release -p assay-cli
wheels="$(mktemp -d)"
trap 'rm -rf "$wheels"' EXIT
"$venv/bin/maturin" build --release -m crates/assay-py/Cargo.toml --interpreter "$venv/bin/python" --out "$wheels"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps "$wheels"/*.whl
target="${CARGO_TARGET_DIR:-target}"
RAY_USAGE_STATS_ENABLED=0 "$venv/bin/python" bench/ray/bench.py --assay "$target/release/assay" \
    --rows "${ROWS:-200000}" --cpus "${CPUS:-2}" --rounds "${ROUNDS:-3}"

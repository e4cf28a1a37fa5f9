#!/usr/bin/env bash
# Builds the `assay` Python package (PyO3 + maturin) as a wheel, installs it into a virtual
# environment and runs its pytest suite. scripts/test.sh calls it; it also runs alone. It
# installs what it needs itself (maturin and pytest from PyPI into the venv).
#
#   ASSAY_PY_VENV=DIR     the virtual environment to use, created when missing
#                         (default: .venv at the repository root)
#   ASSAY_PY_RELEASE=1    build the extension optimised (slower to build, faster tests)
#   PYTHON=python3.X      the interpreter that creates the venv (default: python3)
#   CARGO_TARGET_DIR      honoured as usual (default: target/ at the repository root)
#   ASSAY_PY_TRL=1        also install trl (it brings torch: gigabytes) and run
#                         examples/trl_grpo.py, two GRPOTrainer steps on CPU with Assay rewards
#
# Extra arguments go to pytest (e.g. `-k verl`, `-x`). Exits non-zero when a test fails or
# when no test ran.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

venv="${ASSAY_PY_VENV:-$root/.venv}"
if [ ! -x "$venv/bin/python" ]; then
    echo "== assay-py: creating $venv"
    "${PYTHON:-python3}" -m venv "$venv"
fi
echo "== assay-py: installing maturin and pytest"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "maturin>=1.5,<2" "pytest>=7" \
    pandas polars  # assay.select takes data frames: its tests use real ones

wheels="$(mktemp -d)"
trap 'rm -rf "$wheels"' EXIT
profile=()
if [ "${ASSAY_PY_RELEASE:-0}" = 1 ]; then
    profile=(--release)
fi
echo "== assay-py: building the wheel"
"$venv/bin/maturin" build -m crates/assay-py/Cargo.toml --interpreter "$venv/bin/python" \
    --out "$wheels" "${profile[@]}"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps \
    "$wheels"/*.whl

echo "== assay-py: pytest"
cd crates/assay-py
set +e
# tests/ray runs apart (tests/ray/run.sh): it installs Ray and starts clusters.
"$venv/bin/python" -m pytest tests -q -p no:cacheprovider --ignore=tests/ray "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "assay-py: pytest ran no test" >&2
    exit 1
fi
if [ "$status" -ne 0 ]; then
    exit "$status"
fi

if [ "${ASSAY_PY_TRL:-0}" = 1 ]; then
    echo "== assay-py: TRL GRPOTrainer end to end"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check trl
    "$venv/bin/python" examples/trl_grpo.py
fi

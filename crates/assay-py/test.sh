#!/usr/bin/env bash
# Builds the `assay` Python package (PyO3 + maturin) as a manylinux abi3 wheel, installs it
# into a virtual environment and runs its pytest suite, then installs the same wheel alone into
# a clean virtual environment and runs the README examples (examples/quickstart.py) from it. scripts/test.sh calls it; it also runs alone. It
# installs what it needs itself (maturin and pytest from PyPI into the venv).
#
#   ASSAY_PY_VENV=DIR     the virtual environment to use, created when missing
#                         (default: .venv at the repository root)
#   ASSAY_PY_RELEASE=1    build the extension optimised (slower to build, faster tests)
#   PYTHON=python3.X      the interpreter that creates the venv (default: python3)
#   CARGO_TARGET_DIR      honoured as usual (default: target/ at the repository root)
#   ASSAY_PY_CLEAN_VENV=DIR  the clean virtual environment the built wheel alone is installed
#                         into to run examples/quickstart.py (recreated each run; default:
#                         ~/.cache/assay/py-clean-venv)
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
# tests/ray_cluster runs apart (tests/ray_cluster/run.sh): it installs Ray and starts clusters.
"$venv/bin/python" -m pytest tests -q -p no:cacheprovider --ignore=tests/ray_cluster "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "assay-py: pytest ran no test" >&2
    exit 1
fi
if [ "$status" -ne 0 ]; then
    exit "$status"
fi

echo "== assay-py: the wheel alone in a clean virtual environment (the README examples)"
wheel="$(ls "$wheels"/*.whl)"
case "$(basename "$wheel")" in
    assay_rewards-*-cp39-abi3-manylinux*.whl) ;;
    *)
        echo "assay-py: expected a manylinux abi3 wheel (cp39-abi3-manylinux_*), built $(basename "$wheel")" >&2
        exit 1
        ;;
esac
echo "   $(basename "$wheel")"
clean="${ASSAY_PY_CLEAN_VENV:-${XDG_CACHE_HOME:-$HOME/.cache}/assay/py-clean-venv}"
"${PYTHON:-python3}" -m venv --clear "$clean"
# No index: the wheel must install by itself, with no dependency to fetch.
"$clean/bin/python" -m pip install -q --disable-pip-version-check --no-index "$wheel"
# Isolated mode (-I) from an empty directory: `assay` can only come from the installed wheel.
installed="$(cd "$wheels" && "$clean/bin/python" -I -c 'import assay, os; print(os.path.dirname(assay.__file__))')"
case "$installed" in
    "$clean"/*) ;;
    *)
        echo "assay-py: the clean venv imported assay from $installed" >&2
        exit 1
        ;;
esac
(cd "$wheels" && "$clean/bin/python" -I "$root/crates/assay-py/examples/quickstart.py" "$root")

if [ "${ASSAY_PY_TRL:-0}" = 1 ]; then
    echo "== assay-py: TRL GRPOTrainer end to end"
    "$venv/bin/python" -m pip install -q --disable-pip-version-check trl
    "$venv/bin/python" examples/trl_grpo.py
fi

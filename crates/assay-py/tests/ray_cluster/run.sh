#!/usr/bin/env bash
# The Ray tests of the `assay` Python package (assay.ray): builds the wheel (as test.sh does,
# reusing its cargo build), installs it with Ray Data (PyPI, pinned) into the virtual
# environment, and runs tests/ray_cluster with pytest:
#   - test_dataset.py, test_scorer.py: ray.init(num_cpus=2) in the test process;
#   - test_cluster.py: a two-node cluster on this machine (`ray start --head` + `ray start
#     --address`, one CPU each) scoring 100,000 rows while a worker is killed mid-batch.
#
#   ASSAY_PY_VENV=DIR     the virtual environment (default: .venv at the repository root)
#   ASSAY_PY_RELEASE=1    build the extension optimised
#   ASSAY_RAY_ROWS=N      rows of the two-node test (default 100000)
#
# Extra arguments go to pytest. Exits non-zero when a test fails or when no test ran.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
cd "$root"

RAY_VERSION=2.60.0
venv="${ASSAY_PY_VENV:-$root/.venv}"
if [ ! -x "$venv/bin/python" ]; then
    echo "== assay-py ray: creating $venv"
    "${PYTHON:-python3}" -m venv "$venv"
fi
echo "== assay-py ray: installing ray[data]==$RAY_VERSION, maturin and pytest"
"$venv/bin/python" -m pip install -q --disable-pip-version-check "maturin>=1.5,<2" "pytest>=7" \
    "ray[data]==$RAY_VERSION"

wheels="$(mktemp -d)"
trap 'rm -rf "$wheels"' EXIT
profile=()
if [ "${ASSAY_PY_RELEASE:-0}" = 1 ]; then
    profile=(--release)
fi
echo "== assay-py ray: building the wheel"
"$venv/bin/maturin" build -m crates/assay-py/Cargo.toml --interpreter "$venv/bin/python" \
    --out "$wheels" "${profile[@]}"
"$venv/bin/python" -m pip install -q --disable-pip-version-check --force-reinstall --no-deps \
    "$wheels"/*.whl

echo "== assay-py ray: pytest tests/ray_cluster"
cd crates/assay-py
export RAY_USAGE_STATS_ENABLED=0
set +e
"$venv/bin/python" -m pytest tests/ray_cluster -q -p no:cacheprovider -s "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "assay-py ray: pytest ran no test" >&2
    exit 1
fi
exit "$status"

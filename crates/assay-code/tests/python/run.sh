#!/usr/bin/env bash
# Runs the code grader's Python harness tests (pytest, no sandbox needed) in a virtual
# environment. scripts/test.sh calls it; it also runs alone. It installs pytest from PyPI into
# the venv itself.
#
#   ASSAY_PY_VENV=DIR   the virtual environment to use, created when missing
#                       (default: .venv at the repository root)
#   PYTHON=python3.X    the interpreter that creates the venv (default: python3)
#
# Extra arguments go to pytest. Exits non-zero when a test fails or when no test ran.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../../.." && pwd)"
cd "$root"

venv="${ASSAY_PY_VENV:-$root/.venv}"
if [ ! -x "$venv/bin/python" ]; then
    echo "== assay-code harness: creating $venv"
    "${PYTHON:-python3}" -m venv "$venv"
fi
"$venv/bin/python" -m pip install -q --disable-pip-version-check "pytest>=7"

set +e
"$venv/bin/python" -m pytest crates/assay-code/tests/python -q -p no:cacheprovider "$@"
status=$?
set -e
if [ "$status" -eq 5 ]; then
    echo "assay-code harness: pytest ran no test" >&2
    exit 1
fi
exit "$status"

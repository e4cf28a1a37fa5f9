#!/usr/bin/env bash
# Compares assay-similarity's metrics with sacreBLEU, rouge-score (and NLTK's Porter stemmer) on
# a varied corpus; fails on any difference above 1e-6.
#
# Usage (from anywhere): bash crates/assay-similarity/tests/compare_reference.sh
# Environment: VENV (default: <repo>/.venv, git-ignored) is created if missing and given
# sacrebleu, rouge-score and nltk from PyPI; CARGO_TARGET_DIR is honoured.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="${VENV:-$root/.venv}"
if [ ! -x "$venv/bin/python" ]; then
    python3 -m venv "$venv"
fi
if ! "$venv/bin/python" -c "import sacrebleu, rouge_score, nltk" 2>/dev/null; then
    "$venv/bin/pip" install --quiet sacrebleu rouge-score nltk
fi
cd "$root"
cargo build --quiet -p assay-similarity --example similarity_scores
target="${CARGO_TARGET_DIR:-$root/target}"
"$venv/bin/python" "$here/compare_reference.py" "$target/debug/examples/similarity_scores"

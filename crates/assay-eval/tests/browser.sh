#!/usr/bin/env bash
# Renders `assay eval` HTML reports in real headless Chromium (Debian's `chromium` package)
# and fails when a page logs anything to the console (errors, uncaught exceptions), when its
# script did not run to the end, when a plot is empty, or when it references the network.
#
#   bash crates/assay-eval/tests/browser.sh          # from anywhere; scripts/test.sh runs it
#
# Installs chromium with apt-get when it is missing; if that is impossible it prints a loud
# SKIPPED banner and exits 0. Set ASSAY_BROWSER_OUT=DIR to keep the pages, DOM dumps and
# screenshots.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
cd "$root"

skip() {
    echo "################################################################" >&2
    echo "##  SKIPPED: assay-eval browser test: $1" >&2
    echo "################################################################" >&2
    exit 0
}

browser=""
for b in chromium chromium-browser; do
    if command -v "$b" >/dev/null 2>&1; then browser="$b"; break; fi
done
if [ -z "$browser" ]; then
    echo "== assay-eval: installing chromium (Debian package)"
    if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
        (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium) \
            >/tmp/assay-chromium-install.log 2>&1 || true
    fi
    command -v chromium >/dev/null 2>&1 && browser=chromium
fi
[ -n "$browser" ] || skip "chromium is not installed and could not be installed (see /tmp/assay-chromium-install.log)"

out="${ASSAY_BROWSER_OUT:-$(mktemp -d)}"
mkdir -p "$out"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
cargo build -q -p assay-cli
assay="$CARGO_TARGET_DIR/debug/assay"
fixtures=crates/assay-eval/tests/fixtures

echo "== assay-eval: writing reports"
for kind in rewardbench rewardbench2 judgebench processbench; do
    "$assay" eval --scores "$fixtures/$kind.jsonl" --html "$out/$kind.html" --json "$out/$kind.json" -q
done
"$assay" eval --data "$fixtures/pointwise.jsonl" --grader math --html "$out/pointwise.html" \
    --json "$out/pointwise.json" -q

status=0
for name in rewardbench rewardbench2 judgebench processbench pointwise; do
    page="$out/$name.html"
    # --enable-logging=stderr prints every console message (and uncaught exception) as a
    # CONSOLE line; the page itself logs nothing when all is well.
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --no-first-run \
        --enable-logging=stderr --v=0 --virtual-time-budget=5000 \
        --dump-dom "file://$page" >"$out/$name.dom.txt" 2>"$out/$name.log" || {
        echo "FAIL $name: chromium exited with an error (see $out/$name.log)" >&2
        status=1
        continue
    }
    timeout 120 "$browser" --headless --no-sandbox --disable-gpu --hide-scrollbars \
        --window-size=1200,2400 --screenshot="$out/$name.png" "file://$page" \
        >/dev/null 2>&1 || true
    python3 crates/assay-eval/tests/check_page.py "$out/$name.dom.txt" "$out/$name.log" "$name" || status=1
done

# The checker must fail on a broken page: a page with a console error and an empty plot.
broken="$out/broken.html"
cat >"$broken" <<'HTML'
<!doctype html><html><body><svg class="plot" aria-label="empty"></svg>
<script>console.error("deliberate"); document.body.setAttribute('data-rendered','1');</script></body></html>
HTML
timeout 60 "$browser" --headless --no-sandbox --disable-gpu --enable-logging=stderr --v=0 \
    --dump-dom "file://$broken" >"$out/broken.dom.txt" 2>"$out/broken.log" || true
if python3 crates/assay-eval/tests/check_page.py "$out/broken.dom.txt" "$out/broken.log" broken \
    2>"$out/broken.check"; then
    echo "FAIL: the checker passed a page with a console error and an empty plot: it is blind" >&2
    status=1
elif grep -q "deliberate" "$out/broken.check" && grep -q "empty plot" "$out/broken.check"; then
    echo "ok   the checker fails a page with a console error and an empty plot"
else
    echo "FAIL: the checker failed the broken page for the wrong reasons:" >&2
    cat "$out/broken.check" >&2
    status=1
fi

if [ "$status" -ne 0 ]; then
    echo "assay-eval browser test FAILED (pages, DOM dumps and logs in $out)" >&2
    exit 1
fi
echo "assay-eval browser test: all pages clean (screenshots in $out)"

"""Runs one of the harness's programs in a child process as the sandbox would: the modules on
the path, the result channel on file descriptor 3, the given stdin; no isolation."""

import json
import os
import subprocess
import sys
import threading

PYTHON_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "python"))


def run(call, stdin=b"", nonce=None):
    """Runs `call` (Python source) and returns (reports, completed process): the reports are
    the JSON payloads of the channel's lines tagged with `nonce` (every line if None)."""
    r, w = os.pipe()
    prologue = (
        f"import os, sys\nsys.path.insert(0, {PYTHON_DIR!r})\n"
        f"if {w} != 3:\n    os.dup2({w}, 3)\n    os.close({w})\n"
    )
    chunks = []
    reader = threading.Thread(target=lambda: chunks.extend(iter(lambda: os.read(r, 65536), b"")))
    reader.start()
    try:
        done = subprocess.run(
            [sys.executable, "-c", prologue + call],
            input=stdin,
            pass_fds=(w,),
            capture_output=True,
            timeout=60,
        )
    finally:
        os.close(w)
        reader.join(60)
        os.close(r)
    reports = []
    for line in b"".join(chunks).decode().splitlines():
        tag, _, payload = line.partition(" ")
        if nonce is None or tag == nonce:
            reports.append(json.loads(payload))
    return reports, done

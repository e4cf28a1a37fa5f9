"""Baseline: a fresh `python3` process per program, as research harnesses run tests today.

Each execution writes the program to a temporary file and runs
`subprocess.run([python3, path], capture_output=True, timeout=10)` from a pool of as many
threads as cores, for the same programs as `code_bench throughput`.

usage: python3 baseline.py HUMANEVAL.jsonl [SECONDS]
"""
import concurrent.futures
import json
import os
import subprocess
import sys
import tempfile
import threading
import time

PYTHON = os.path.realpath(sys.executable)  # the real binary, not a pyenv shim (faster)


def run(program):
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as f:
        f.write(program)
        path = f.name
    try:
        r = subprocess.run([PYTHON, path], capture_output=True, timeout=10)
        return r.returncode == 0
    finally:
        os.unlink(path)


def rate(programs, seconds, workers):
    stop = threading.Event()
    counts = [0] * workers
    failed = [0] * workers

    def worker(w):
        i = w
        while not stop.is_set():
            if not run(programs[i % len(programs)]):
                failed[w] += 1
            counts[w] += 1
            i += workers

    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        futures = [pool.submit(worker, w) for w in range(workers)]
        time.sleep(seconds)
        stop.set()
        for f in futures:
            f.result()
    return sum(counts) * 60.0 / (time.monotonic() - started), sum(failed)


def main():
    path = sys.argv[1]
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 10.0
    workers = os.cpu_count() or 2
    records = [json.loads(l) for l in open(path) if l.strip()]
    typical = [
        f"{r['prompt']}{r['canonical_solution']}\n{r['test']}\ncheck({r['entry_point']})\n"
        for r in records
    ]
    print(f"workers: {workers}, interpreter: {PYTHON}")
    per_min, failed = rate(["pass\n"], seconds, workers)
    print(f"trivial (`pass`): {per_min:.0f} executions/min ({failed} not ok)")
    per_min, failed = rate(typical, seconds, workers)
    print(f"typical (HumanEval solution + check): {per_min:.0f} executions/min ({failed} not ok)")


if __name__ == "__main__":
    main()

"""Where a score_dataset batch's time goes, in one process without Ray's scheduling: the
steps of assay.ray's map_batches function on the bench's rows, timed one by one.

    python bench/ray/breakdown.py [--rows 200000] [--batch-size 1024]

Steps per batch: Arrow → Python rows (``to_pylist``), the batch digest (the fault ledger's
key), rows → items, ``Engine.score`` on ASSAY_THREADS threads (1 here, as in one actor with
one CPU), results → Arrow columns; and, for scale, reading the JSONL into Arrow
(``pyarrow.json``) and writing Parquet. Reported as µs per row.
"""

import argparse
import os
import shutil
import sys
import tempfile
import time

os.environ.setdefault("ASSAY_THREADS", "1")

import pyarrow.json as pajson  # noqa: E402
import pyarrow.parquet as pq  # noqa: E402

sys.path.insert(0, os.path.dirname(__file__))
import bench  # noqa: E402

import assay  # noqa: E402
from assay._isolated import items_of  # noqa: E402
from assay.ray import _append, _fingerprint  # noqa: E402


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch-size", type=int, default=1024)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="assay-ray-breakdown-")
    try:
        run(args, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def run(args, tmp):
    data = os.path.join(tmp, "rows.jsonl")
    bench.make_rows(data, args.rows)
    engine = assay.Engine.from_config(bench.CONFIG)
    steps = {k: 0.0 for k in ("read JSONL (pyarrow)", "to_pylist", "digest", "items", "Engine.score", "to Arrow", "write Parquet")}

    t = time.perf_counter()
    table = pajson.read_json(data)
    steps["read JSONL (pyarrow)"] += time.perf_counter() - t
    out = []
    for start in range(0, table.num_rows, args.batch_size):
        batch = table.slice(start, args.batch_size)
        t0 = time.perf_counter()
        rows = batch.to_pylist()
        t1 = time.perf_counter()
        _fingerprint(batch)
        t2 = time.perf_counter()
        items, _ = items_of(rows, {}, None)
        t3 = time.perf_counter()
        results = engine.score(items)
        t4 = time.perf_counter()
        out.append(_append(batch, results, ""))
        t5 = time.perf_counter()
        steps["to_pylist"] += t1 - t0
        steps["digest"] += t2 - t1
        steps["items"] += t3 - t2
        steps["Engine.score"] += t4 - t3
        steps["to Arrow"] += t5 - t4
    t = time.perf_counter()
    import pyarrow as pa

    pq.write_table(pa.concat_tables(out), os.path.join(tmp, "out.parquet"))
    steps["write Parquet"] += time.perf_counter() - t
    total = sum(steps.values())
    print(f"{args.rows} rows, batches of {args.batch_size}, ASSAY_THREADS={os.environ['ASSAY_THREADS']}, "
          f"load average {os.getloadavg()}")
    print("| step | µs per row | share |")
    print("|---|---|---|")
    for name, seconds in steps.items():
        print(f"| {name} | {seconds / args.rows * 1e6:.2f} | {seconds / total:.0%} |")
    print(f"| total (one CPU) | {total / args.rows * 1e6:.2f} | 100% |")


if __name__ == "__main__":
    main()

"""Rows per second of Ray Data + assay.ray.score_dataset on a local Ray instance, against the
`assay score` command line, on the same machine and the same JSONL file, in one run.

    python bench/ray/bench.py --assay target/release/assay [--rows 200000] [--cpus 2] [--rounds 3]

Both read the same JSON Lines file and write JSON Lines (Ray also writes Parquet, as a second
row), with the same configuration and the same number of CPUs (`assay score --threads CPUS`;
`ray.init(num_cpus=CPUS)`). Each round runs every contender once, in turn; the median round
is reported. Ray's figure is end to end from `read_json` to the written files, with the Ray
instance already started (its start-up is reported apart). Each run's statuses are counted,
so the figures are real grading: every row is `ok` and the mean reward is known in advance.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

#: The grader: math answers compared exactly (the common RL reward).
CONFIG = {"graders": {"answer": {"kind": "math"}}}

#: (response, reference, right?) patterns, cycled; 6 of 8 are right.
PATTERNS = [
    ("so the answer is \\boxed{{\\frac{{3}}{{4}}}}", "0.75", True),
    ("We get \\boxed{{{n}}}.", "{n}", True),
    ("Thus $x = {n}$", "{n}", True),
    ("The final answer is {n}.", "{m}", False),
    ("\\boxed{{\\sqrt{{2}}}}", "\\frac{{2}}{{\\sqrt{{2}}}}", True),
    ("**{n},000**", "{n}000", True),
    ("\\boxed{{(x+1)^2}}", "x^2+2x+1", True),
    ("I think it is \\boxed{{{m}}}", "{n}", False),
]


def make_rows(path: str, rows: int) -> float:
    right = 0
    with open(path, "w") as f:
        for i in range(rows):
            response, reference, ok = PATTERNS[i % len(PATTERNS)]
            n, m = i % 997 + 1, i % 997 + 2
            item = {
                "id": i,
                "data_source": "math",
                "prompt": f"Problem {i}: compute the value.",
                "response": response.format(n=n, m=m),
                "reference": reference.format(n=n, m=m),
            }
            right += ok
            f.write(json.dumps(item) + "\n")
    return right / rows


def count(statuses, rewards):
    return {
        "ok": sum(s == "ok" for s in statuses),
        "other": sum(s != "ok" for s in statuses),
        "mean_reward": statistics.fmean(r for r in rewards if r is not None),
    }


def run_cli(assay: str, data: str, out: str, cpus: int, config_path: str):
    started = time.perf_counter()
    subprocess.run(
        [assay, "score", "--config", config_path, "--input", data, "--output", out,
         "--threads", str(cpus), "--quiet"],
        check=True,
    )
    elapsed = time.perf_counter() - started
    statuses, rewards = [], []
    with open(out) as f:
        for line in f:
            r = json.loads(line)
            statuses.append(r["status"])
            rewards.append(r["reward"])
    return elapsed, count(statuses, rewards)


def run_ray(data: str, out: str, fmt: str, batch_size: int):
    import pyarrow.parquet as pq
    import ray

    import assay.ray as assay_ray

    shutil.rmtree(out, ignore_errors=True)
    # Ray Data lets the last run's actors go once their outputs are garbage: wait for the
    # CPUs to be free, outside the timing.
    gc.collect()
    deadline = time.monotonic() + 60
    while ray.available_resources().get("CPU", 0) < ray.cluster_resources().get("CPU", 0):
        if time.monotonic() > deadline:
            break
        time.sleep(0.2)
    started = time.perf_counter()
    ds = assay_ray.score_dataset(ray.data.read_json(data), CONFIG, batch_size=batch_size)
    if fmt == "jsonl":
        ds.write_json(out)
    else:
        ds.write_parquet(out)
    elapsed = time.perf_counter() - started
    if fmt == "jsonl":
        statuses, rewards = [], []
        for name in sorted(os.listdir(out)):
            with open(os.path.join(out, name)) as f:
                for line in f:
                    r = json.loads(line)
                    statuses.append(r["status"])
                    rewards.append(r["reward"])
        return elapsed, count(statuses, rewards)
    table = pq.read_table(out, columns=["status", "reward"])
    return elapsed, count(table.column("status").to_pylist(), table.column("reward").to_pylist())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--assay", required=True, help="the assay binary (release build)")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--cpus", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=1024)
    args = parser.parse_args()

    import ray

    tmp = tempfile.mkdtemp(prefix="assay-ray-bench-")
    try:
        data = os.path.join(tmp, "rows.jsonl")
        right = make_rows(data, args.rows)
        config_path = os.path.join(tmp, "config.json")
        with open(config_path, "w") as f:
            json.dump(CONFIG, f)
        print(f"{args.rows} rows ({os.path.getsize(data) / 1e6:.1f} MB JSONL), expected mean "
              f"reward {right:.4f}; {args.cpus} CPUs; load average {os.getloadavg()}")

        started = time.perf_counter()
        ray.init(num_cpus=args.cpus, include_dashboard=False, log_to_driver=False)
        print(f"ray.init: {time.perf_counter() - started:.1f} s (not counted below)")
        # One small warm-up run so that the first round does not pay for imports.
        warm = os.path.join(tmp, "warm.jsonl")
        with open(data) as src, open(warm, "w") as dst:
            for _, line in zip(range(2000), src):
                dst.write(line)
        run_ray(warm, os.path.join(tmp, "warm-out"), "jsonl", args.batch_size)

        times = {"assay score (CLI)": [], "Ray Data → JSONL": [], "Ray Data → Parquet": []}
        for k in range(args.rounds):
            for name in times:
                if name.startswith("assay"):
                    t, c = run_cli(args.assay, data, os.path.join(tmp, "cli.jsonl"), args.cpus, config_path)
                elif name.endswith("JSONL"):
                    t, c = run_ray(data, os.path.join(tmp, "ray-jsonl"), "jsonl", args.batch_size)
                else:
                    t, c = run_ray(data, os.path.join(tmp, "ray-pq"), "parquet", args.batch_size)
                assert c["ok"] == args.rows and c["other"] == 0, (name, c)
                assert abs(c["mean_reward"] - right) < 1e-9, (name, c)
                times[name].append(t)
                print(f"round {k + 1}: {name}: {t:.2f} s, {args.rows / t:,.0f} rows/s, {c}")
        ray.shutdown()

        cli = statistics.median(times["assay score (CLI)"])
        print(f"\nmedian of {args.rounds} rounds, {args.rows} rows, {args.cpus} CPUs:")
        print("| run | seconds | rows/s | time ÷ CLI time |")
        print("|---|---|---|---|")
        for name, ts in times.items():
            t = statistics.median(ts)
            print(f"| {name} | {t:.2f} | {args.rows / t:,.0f} | {t / cli:.2f} |")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())

"""The driver of test_cluster.py, run in its own process (Ray reads its authentication
settings when it is imported, so the driver starts with the test cluster's token in its
environment): connects to the cluster, waits for both nodes, scores a JSONL file into Parquet
with assay.ray.score_dataset while a thread kills one scoring worker mid-batch, and writes a
JSON report.

    python cluster_driver.py ADDRESS ROLLOUTS.jsonl OUT_DIR REPORT.json
"""

import json
import os
import signal
import sys
import threading
import time

import ray

import assay.ray as assay_ray

CONFIG = {
    "graders": {
        "exact": {"kind": "regex", "pattern": r"answer is (\d+)", "group": 1, "compare_reference": True}
    }
}


def main(address, src, out, report_path):
    ray.init(address=address, log_to_driver=False)
    deadline = time.monotonic() + 180
    while sum(n["Alive"] for n in ray.nodes()) < 2:
        if time.monotonic() > deadline:
            raise SystemExit("the second node never joined")
        time.sleep(1)
    resources = ray.cluster_resources()

    ledger = assay_ray.ScoringLedger.remote()
    scored = assay_ray.score_dataset(ray.data.read_json(src), CONFIG, batch_size=2000, ledger=ledger)
    killed = {}

    def killer():
        """Once a few batches are done, kills a worker that is scoring a batch now."""
        stop = time.monotonic() + 900
        while time.monotonic() < stop and "pid" not in killed:
            if ray.get(ledger.stats.remote())["batches"] >= 5:
                busy = ray.get(ledger.scoring_now.remote())
                if busy:
                    os.kill(busy[0], signal.SIGKILL)
                    killed["pid"] = busy[0]
                    killed["after_batches"] = ray.get(ledger.stats.remote())["batches"]
                    return
            time.sleep(0.05)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    started = time.monotonic()
    scored.write_parquet(out)
    elapsed = time.monotonic() - started
    thread.join(timeout=5)
    report = {
        "cpus": resources.get("CPU"),
        "nodes": sum(n["Alive"] for n in ray.nodes()),
        "killed": killed,
        "stats": ray.get(ledger.stats.remote()),
        "workers": ray.get(ledger.workers.remote()),
        "seconds": elapsed,
    }
    with open(report_path, "w") as f:
        json.dump(report, f)
    ray.shutdown()


if __name__ == "__main__":
    main(*sys.argv[1:5])

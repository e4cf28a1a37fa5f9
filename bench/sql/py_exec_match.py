"""The Python baseline: BIRD-style execution match with the standard library's sqlite3.

Usage: python3 py_exec_match.py items.jsonl [--timeout-ms 5000] [--out verdicts.jsonl]

Per item, as evaluators users run today do (BIRD's `execute_sql`, Spider's `exec_eval`): take
the last ```sql block, run the gold and the prediction, and compare `set(rows)`. Made as fair to
Python as we could: one read-only connection per database, reused for every item; the
deadline is a sqlite3 progress handler (no threads, no signals); no gold cache (the
evaluators have none). Prints a JSON summary on stdout.
"""

import argparse
import json
import os
import re
import sqlite3
import time

FENCE = re.compile(r"```sql\s*\n(.*?)```", re.S | re.I)


def extract(response: str):
    blocks = FENCE.findall(response)
    return blocks[-1].strip() if blocks else response.strip()


def run(conn, sql: str, deadline: float):
    conn.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 1000)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.set_progress_handler(None, 1000)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("items")
    parser.add_argument("--timeout-ms", type=int, default=5000)
    parser.add_argument("--out")
    args = parser.parse_args()
    items = [json.loads(line) for line in open(args.items)]
    connections = {}
    verdicts = []
    start = time.perf_counter()
    cpu_start = sum(os.times()[:2])
    for item in items:
        ref = item["reference"]
        conn = connections.get(ref["db"])
        if conn is None:
            conn = sqlite3.connect(f"file:{ref['db']}?mode=ro", uri=True, check_same_thread=False)
            connections[ref["db"]] = conn
        deadline = time.monotonic() + args.timeout_ms / 1000
        try:
            gold = run(conn, ref["gold"], deadline)
        except sqlite3.OperationalError as e:
            verdicts.append({"id": item["id"], "status": "error", "reward": None, "why": str(e)})
            continue
        try:
            pred = run(conn, extract(item["response"]).rstrip(";"), deadline)
            verdicts.append({"id": item["id"], "status": "ok",
                             "reward": 1.0 if set(pred) == set(gold) else 0.0})
        except sqlite3.OperationalError as e:
            status = "timeout" if "interrupted" in str(e) else "ok"
            verdicts.append({"id": item["id"], "status": status,
                             "reward": None if status == "timeout" else 0.0, "why": str(e)})
        except sqlite3.Error as e:
            verdicts.append({"id": item["id"], "status": "ok", "reward": 0.0, "why": str(e)})
    elapsed = time.perf_counter() - start
    cpu = sum(os.times()[:2]) - cpu_start
    if args.out:
        with open(args.out, "w") as out:
            for v in verdicts:
                out.write(json.dumps(v) + "\n")
    print(json.dumps({
        "impl": "python-sqlite3", "threads": 1, "gold_cache": False, "pred_cache": False,
        "items": len(items),
        "seconds": round(elapsed, 3), "items_per_s": round(len(items) / elapsed, 1),
        "cpu_seconds": round(cpu, 3),
        "mean_reward": round(sum(v["reward"] or 0 for v in verdicts) / len(verdicts), 4),
    }))


if __name__ == "__main__":
    main()

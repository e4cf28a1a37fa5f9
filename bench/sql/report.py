"""Print the benchmark table from run.sh's outputs: items/s per implementation, the ratio to
Python, and how many verdicts agree with Python's."""

import json
import sys

work = sys.argv[1]
runs = [json.loads(line) for line in open(f"{work}/summaries.jsonl")]
files = ["py.jsonl", "rs_1_nocache.jsonl", "rs_1.jsonl", "rs_n.jsonl"]
verdicts = [[json.loads(line) for line in open(f"{work}/{f}")] for f in files]
base = runs[0]["items_per_s"]
print(f"{'implementation':<16} {'threads':>7} {'gold cache':>10} {'items':>6} {'seconds':>8} "
      f"{'items/s':>8} {'vs python':>9} {'agree':>7}")
for run, vs in zip(runs, verdicts):
    agree = sum(a["reward"] == b["reward"] for a, b in zip(verdicts[0], vs))
    print(f"{run['impl']:<16} {run['threads']:>7} {str(run['gold_cache']).lower():>10} "
          f"{run['items']:>6} {run['seconds']:>8.2f} {run['items_per_s']:>8.1f} "
          f"{run['items_per_s'] / base:>8.2f}x {agree:>3}/{len(vs)}")
for a, b in zip(verdicts[0], verdicts[-1]):
    if a["reward"] != b["reward"]:
        print(f"  differs on {a['id']}: python {a['reward']} ({a.get('why', '')}), "
              f"assay {b['reward']} ({b.get('why', '')})")

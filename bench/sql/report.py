"""Print the benchmark table from run.sh's outputs: per configuration, the median over repeats
of wall seconds and CPU seconds, items/s, the ratio to Python, and how many verdicts agree
with Python's."""

import json
import statistics
import sys

work = sys.argv[1]
runs = [json.loads(line) for line in open(f"{work}/summaries.jsonl")]
files = ["py.jsonl", "rs_1_nocache.jsonl", "rs_1_gold.jsonl", "rs_1.jsonl", "rs_n.jsonl"]
verdicts = [[json.loads(line) for line in open(f"{work}/{f}")] for f in files]

def config(run):
    return run["impl"], run["threads"], run["gold_cache"], run.get("pred_cache", False)


configs = []
for run in runs:
    if config(run) not in configs:
        configs.append(config(run))


def median(key, field):
    return statistics.median(r[field] for r in runs if config(r) == key)


repeats = sum(1 for r in runs if config(r) == configs[0])
items = runs[0]["items"]
base_wall = median(configs[0], "seconds")
base_cpu = median(configs[0], "cpu_seconds")
print(f"{items} items, median of {repeats} interleaved runs")
print(f"{'implementation':<16} {'threads':>7} {'caches':>10} {'wall s':>7} {'items/s':>8} "
      f"{'vs py':>6} {'cpu s':>7} {'items/cpu-s':>11} {'vs py':>6} {'agree':>8}")
for key, vs in zip(configs, verdicts):
    wall, cpu = median(key, "seconds"), median(key, "cpu_seconds")
    agree = sum(a["reward"] == b["reward"] for a, b in zip(verdicts[0], vs))
    caches = "+".join(name for name, on in zip(["gold", "pred"], key[2:]) if on) or "none"
    print(f"{key[0]:<16} {key[1]:>7} {caches:>10} {wall:>7.2f} {items / wall:>8.1f} "
          f"{base_wall / wall:>5.2f}x {cpu:>7.2f} {items / cpu:>11.1f} {base_cpu / cpu:>5.2f}x "
          f"{agree:>4}/{len(vs)}")
for a, b in zip(verdicts[0], verdicts[-1]):
    if a["reward"] != b["reward"]:
        print(f"  differs on {a['id']}: python {a['reward']} ({a.get('why', '')}), "
              f"assay {b['reward']} ({b.get('why', '')})")

#!/usr/bin/env python3
"""Recomputes JudgeBench's published accuracies from its released per-example outputs.

For each released output file, runs `assay eval --scores FILE --json ...` and, beside it,
JudgeBench's own metric function (utils/metrics.py of the JudgeBench clone, imported from
the clone at run time, not copied), and prints them next to the figures the paper publishes.

Usage: judgebench_repro.py ASSAY_BINARY JUDGEBENCH_CLONE OUT_DIR
"""
import json
import os
import subprocess
import sys

# The JudgeBench paper (Tan et al., ICLR 2025, arXiv 2410.12784), GPT-4o response pairs:
# Table 3 (reward models) and Table 2 (the Arena-Hard judge with o1-mini).
# Columns: Knowledge, Reasoning, Math, Coding, Overall.
PUBLISHED = {
    "judge_name=reward_model,judge_model=Skywork_Skywork-Reward-Gemma-2-27B":
        ("Skywork-Reward-Gemma-2-27B (Table 3)", [59.74, 66.33, 83.93, 50.00, 64.29]),
    "judge_name=reward_model,judge_model=Skywork_Skywork-Reward-Llama-3.1-8B":
        ("Skywork-Reward-Llama-3.1-8B (Table 3)", [59.09, 64.29, 76.79, 50.00, 62.29]),
    "judge_name=reward_model,judge_model=internlm_internlm2-20b-reward":
        ("InternLM2-20B-Reward (Table 3)", [62.34, 69.39, 66.07, 50.00, 63.43]),
    "judge_name=reward_model,judge_model=internlm_internlm2-7b-reward":
        ("InternLM2-7B-Reward (Table 3)", [56.49, 61.22, 71.43, 50.00, 59.43]),
    "judge_name=reward_model,judge_model=Ray2333_GRM-Gemma-2B-rewardmodel-ft":
        ("GRM-Gemma-2B (Table 3)", [62.99, 53.06, 64.29, 54.76, 59.43]),
    "judge_name=arena_hard,judge_model=o1-mini-2024-09-12":
        ("Arena-Hard judge, o1-mini (Table 2)", [58.44, 62.24, 82.14, 78.57, 65.71]),
}
CATEGORIES = ["Knowledge", "Reasoning", "Math", "Coding", "Overall"]
SOURCES = ["mmlu-pro", "livebench-reasoning", "livebench-math", "livecodebench", ""]


def main():
    assay, clone, out = sys.argv[1], sys.argv[2], sys.argv[3]
    os.makedirs(out, exist_ok=True)
    sys.path.insert(0, clone)
    from utils import metrics  # JudgeBench's own code, from the user's clone

    rows = []
    worst = 0.0
    for key, (name, published) in PUBLISHED.items():
        path = os.path.join(
            clone, "outputs",
            f"dataset=judgebench,response_model=gpt-4o-2024-05-13,{key}.jsonl")
        if not os.path.exists(path):
            print(f"missing {path}: skipped", file=sys.stderr)
            continue
        report_path = os.path.join(out, key.replace("/", "_") + ".json")
        subprocess.run([assay, "eval", "--scores", path, "--json", report_path, "-q"],
                       check=True)
        report = json.load(open(report_path))
        ours = {m["name"]: 100 * m["value"] for m in report["headline"]}
        pairs = [json.loads(l) for l in open(path)]
        official = [metrics.compute_final_metrics(pairs, True, lambda x, s=s: x["source"].startswith(s))
                    for s in SOURCES]
        for c, p, o in zip(CATEGORIES, published, official):
            worst = max(worst, abs(round(ours[c], 2) - p), abs(round(o, 2) - p))
        rows.append((name, published, [ours[c] for c in CATEGORIES], official))
    print("| judge | source | " + " | ".join(CATEGORIES) + " |")
    print("|---|---|" + "---|" * len(CATEGORIES))
    for name, published, ours, official in rows:
        print(f"| {name} | paper | " + " | ".join(f"{v:.2f}" for v in published) + " |")
        print(f"| | `assay eval` | " + " | ".join(f"{v:.2f}" for v in ours) + " |")
        print(f"| | JudgeBench's metrics.py | " + " | ".join(f"{v:.2f}" for v in official) + " |")
    print(f"\n{len(rows)} judges; largest difference from the paper (2 decimals): {worst:.2f}")
    if worst > 0.005:
        sys.exit(1)


if __name__ == "__main__":
    main()

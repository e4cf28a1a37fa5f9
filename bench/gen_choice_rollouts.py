#!/usr/bin/env python3
"""Writes N synthetic multiple-choice rollouts (groups of 8) as JSONL to stdout."""
import json
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000
rng = random.Random(1)
out = sys.stdout
for i in range(n):
    letter = "ABCD"[rng.randint(0, 9) % 4]
    out.write(json.dumps({
        "id": i,
        "group": f"q{i // 8}",
        "data_source": "synthetic",
        "response": f"<think>working it out step by step</think><answer>{letter}</answer> Answer: {letter}",
        "reference": "C",
    }) + "\n")

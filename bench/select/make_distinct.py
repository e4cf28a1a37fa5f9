#!/usr/bin/env python3
"""Groups whose answers are mostly distinct values, in mixed notation: the worst case for
pairwise clustering (all-pairs would be 32,640 checks per group of 256).

Usage: make_distinct.py OUT.jsonl [GROUPS] [SIZE]
"""
import json
import random
import sys

out = sys.argv[1]
groups = int(sys.argv[2]) if len(sys.argv) > 2 else 100
size = int(sys.argv[3]) if len(sys.argv) > 3 else 256
rng = random.Random(7)
with open(out, "w") as f:
    for g in range(groups):
        for i in range(size):
            v = rng.randint(1, 120)
            form = rng.choice([f"{v}", f"\\frac{{{2 * v}}}{{2}}", f"{3 * v}/3", f"{v}.0",
                               f"\\sqrt{{{v * v}}}", f"\\frac{{{v}}}{{7}}", f"{v}\\pi",
                               f"\\sqrt{{{v}}}"])
            f.write(json.dumps({"group": f"g{g}", "response": f"so \\boxed{{{form}}}"}) + "\n")

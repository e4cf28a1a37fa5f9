"""The Python examples of the READMEs, run against an installed `assay` (test.sh runs this
file with the wheel installed into a clean virtual environment, so what `pip install` gives a
user is what is tested). Each step checks what the README says it returns.

    python crates/assay-py/examples/quickstart.py [REPOSITORY_ROOT]
"""

import os
import sys

import assay
from assay.integrations import openrlhf, trl, verl

root = sys.argv[1] if len(sys.argv) > 1 else os.getcwd()
print("assay", assay.__version__, "from", os.path.dirname(assay.__file__))

# crates/assay-py/README.md, "Use".
engine = assay.Engine(grader="math")
results = engine.score([
    {"id": "q17#3", "data_source": "math", "response": "so \\boxed{\\frac34}", "reference": "0.75"},
    {"id": "q18#0", "response": [{"role": "assistant", "content": "Answer: 12"}], "reference": "12"},
])
first = results[0]
print("results[0] =", first)
assert (first["id"], first["reward"], first["status"], first["pred"]) == ("q17#3", 1.0, "ok", "\\frac34")
assert first["components"] == {"correct": 1.0}, first["components"]
assert first["grader"] == "math" and first["error"] is None
assert results[1]["reward"] == 1.0
assert engine.score_one("the answer is 4", "4")["reward"] == 1.0
engine = assay.Engine.from_config(os.path.join(root, "examples", "rewards.toml"))
assert engine.score([{"data_source": "mmlu", "response": "Answer: C", "reference": "C"}])[0]["reward"] == 0.9
kinds = assay.graders()
assert all("ty" not in o and "type" in o for k in kinds for o in k["options"]), "option keys"

# "Test-time selection".
out = assay.select(responses=["\\boxed{\\frac12}", "I get 0.5", "\\boxed{2}"], groups=["q"] * 3)
print("select:", out[0]["answer"], out[0]["clusters"][0]["size"], out[0]["reason"])
assert (out[0]["answer"], out[0]["clusters"][0]["size"]) == ("\\frac12", 2)

# "verl": the module file to point verl at, and the returned dict.
assert os.path.isfile(verl.__file__) and verl.__file__.endswith(os.path.join("integrations", "verl.py"))
good = verl.compute_score("math", "so \\boxed{72}", "72")
print("verl:", good)
assert (good["score"], good["acc"], good["pred"], good["reward_status"]) == (1.0, True, "72", "ok")
assert good["correct"] == 1.0 and not good["reward_error"]
bad = verl.compute_score("math", "\\boxed{1}", {"not": "an answer"})
assert bad["reward_error"] and bad["reward_status"] == "error" and bad["correct"] is None

# "TRL".
[answer] = trl.reward_funcs(assay.Engine(grader="math"))
assert answer(prompts=["q"], completions=["so \\boxed{7}"], answer=["7"]) == [1.0]

# "OpenRLHF".
prompt = "<|im_start|>user\nWhat is 6*7?<|im_end|>\n<|im_start|>assistant\n"
got = openrlhf.reward_func([prompt + "\\boxed{42}<|im_end|>"], [prompt], ["42"])
print("openrlhf:", got)
rewards = got["rewards"].tolist() if hasattr(got["rewards"], "tolist") else got["rewards"]
assert rewards == [1.0]
assert list(got["extra_logs"]) == ["assay_failed", "assay_invalid", "assay_not_applicable", "assay_prompt_not_found"]
print("OK: the README examples hold for the installed package")

"""TRL's GRPOTrainer trained for two steps on CPU with Assay's reward functions.

Everything is local: a tiny randomly initialised Llama-style model and a byte-level BPE
tokenizer trained here on a few sentences; nothing is downloaded. It proves the TRL drop-in
end to end (TRL calls the functions, logs them, and takes a gradient step on their rewards);
the rewards of a random model are of course mostly zero, so a third reward (a digit anywhere
in the completion) gives the advantages something to work with.

    pip install trl            # brings torch, transformers, datasets, accelerate
    python crates/assay-py/examples/trl_grpo.py
"""

import math
import os
import tempfile

os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "")

import torch  # noqa: E402
from datasets import Dataset  # noqa: E402
from tokenizers import ByteLevelBPETokenizer  # noqa: E402
from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast  # noqa: E402
from trl import GRPOConfig, GRPOTrainer  # noqa: E402

import assay  # noqa: E402
from assay.integrations.trl import reward_funcs  # noqa: E402

QUESTIONS = [(f"What is {a} + {b}? Put the answer in <answer></answer>.", str(a + b)) for a, b in
             [(1, 2), (3, 4), (5, 6), (7, 8), (2, 9), (4, 4), (6, 1), (8, 3)]]


def tiny_tokenizer() -> PreTrainedTokenizerFast:
    corpus = [q for q, _ in QUESTIONS] + ["<think> let me add </think> <answer> 12 </answer>"] * 4
    bpe = ByteLevelBPETokenizer()
    bpe.train_from_iterator(corpus, vocab_size=400, min_frequency=1,
                            special_tokens=["<|endoftext|>", "<|pad|>"])
    return PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token="<|endoftext|>",
                                   eos_token="<|endoftext|>", pad_token="<|pad|>")


def main() -> None:
    torch.manual_seed(0)
    tokenizer = tiny_tokenizer()
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=32, intermediate_size=64,
                         num_hidden_layers=2, num_attention_heads=2, num_key_value_heads=2,
                         max_position_embeddings=256, bos_token_id=tokenizer.bos_token_id,
                         eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id)
    model = LlamaForCausalLM(config)

    engine = assay.Engine.from_config({
        "graders": {
            "answer": {"kind": "math"},
            "fmt": {"kind": "format", "tags": ["think", "answer"], "strict": False},
            # Something a random model sometimes does, so the advantages are not all zero.
            "digit": {"kind": "regex", "pattern": "[0-9]"},
        },
        "routes": [{"data_source": "*", "grader": "answer"}],
    })
    funcs = reward_funcs(engine, graders=["answer", "fmt", "digit"], fallback=0.0)
    dataset = Dataset.from_dict({"prompt": [q for q, _ in QUESTIONS],
                                 "answer": [a for _, a in QUESTIONS]})

    calls = []

    def counted(func):
        def wrapper(prompts, completions, **kwargs):
            rewards = func(prompts=prompts, completions=completions, **kwargs)
            calls.append((func.__name__, len(completions), sorted(kwargs)))
            return rewards
        wrapper.__name__ = func.__name__
        return wrapper

    with tempfile.TemporaryDirectory() as out:
        args = GRPOConfig(
            output_dir=out, max_steps=2, per_device_train_batch_size=4, num_generations=4,
            max_completion_length=16, learning_rate=1e-3, logging_steps=1, save_strategy="no",
            report_to="none", use_cpu=True, bf16=False, seed=0,
        )
        trainer = GRPOTrainer(model=model, processing_class=tokenizer,
                              reward_funcs=[counted(f) for f in funcs], args=args,
                              train_dataset=dataset)
        before = [p.detach().clone() for p in model.parameters()]
        trainer.train()
        changed = any(not torch.equal(a, p.detach()) for a, p in zip(before, model.parameters()))

    print("reward function calls (name, completions, kwargs):")
    for call in calls:
        print("  ", call)
    logged = [{k: v for k, v in entry.items() if k.startswith(("reward", "assay/"))}
              for entry in trainer.state.log_history if any(k.startswith("reward") for k in entry)]
    print("logged rewards per step:", logged)
    print("global steps:", trainer.state.global_step, "parameters changed:", changed)
    assert trainer.state.global_step == 2
    assert calls and all(n > 0 for _, n, _ in calls)
    assert {name for name, _, _ in calls} == {"answer", "fmt", "digit"}
    assert changed, "a step on non-constant rewards changes the parameters"
    assert all("answer" in kwargs for _, _, kwargs in calls)
    assert all(not math.isnan(v) for entry in logged for v in entry.values())
    assert all(entry["assay/answer/failed"] == 0.0 for entry in logged)
    print("OK: GRPOTrainer ran 2 steps with Assay rewards")


if __name__ == "__main__":
    main()

"""The OpenRLHF drop-in, called as OpenRLHF calls a `--remote_rm_url` Python file."""

import logging
import math
import sys

import pytest

from assay.integrations import openrlhf
from conftest import ROUTED

CHATML_PROMPT = "<|im_start|>user\nWhat is 6*7?<|im_end|>\n<|im_start|>assistant\n"


@pytest.mark.parametrize(
    "prompt, query, response",
    [
        # The cases of `assay serve`'s /get_reward: both read the same response.
        (
            "<|im_start|>user\nWhat?<|im_end|>\n<|im_start|>assistant\n",
            "<|im_start|>user\nWhat?<|im_end|>\n<|im_start|>assistant\nThe answer is 4.<|im_end|>\n<|endoftext|><|endoftext|>",
            "The answer is 4.",
        ),
        (
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|>",
            "<|begin_of_text|><|start_header_id|>user<|end_header_id|>\n\nQ<|eot_id|><|start_header_id|>assistant<|end_header_id|>\n\n42<|eot_id|>",
            "42",
        ),
        ("[INST] Q [/INST]", "[INST] Q [/INST] yes</s>", "yes"),
        ("Q:", "Q: 7 <end_of_turn>\n<eos>", "7"),
        ("", "plain <|end|>", "plain"),
        ("P", "P a <|im_end|> b <|im_end|>", "a <|im_end|> b"),  # tokens inside stay
        ("Q", "<s> Q A", "A"),  # a prompt not at the start is found
        ("absent", "whole thing</s>", "whole thing"),  # or the query is taken whole
        # Left padding before the prompt, right padding after the turn.
        (CHATML_PROMPT, "<|endoftext|><|endoftext|>" + CHATML_PROMPT + "\\boxed{42}<|im_end|>\n<|endoftext|>", "\\boxed{42}"),
        ("<|User|>q", "<｜begin▁of▁sentence｜><|User|>q<｜Assistant｜>x = 1<｜end▁of▁sentence｜>", "x = 1"),
    ],
)
def test_response_of(prompt, query, response):
    assert openrlhf.response_of(query, prompt) == response


def call_like_openrlhf(**kwargs):
    queries = [
        CHATML_PROMPT + "so \\boxed{42}<|im_end|><|endoftext|>",
        CHATML_PROMPT + "so \\boxed{41}<|im_end|>",
        CHATML_PROMPT + "I cannot say<|im_end|>",
    ]
    return openrlhf.reward_func(queries, [CHATML_PROMPT] * 3, ["42"] * 3, **kwargs)


def test_returns_rewards_scores_and_extra_logs_as_lists_without_torch(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)  # import torch raises ImportError
    out = call_like_openrlhf()
    assert set(out) == {"rewards", "scores", "extra_logs"}
    assert out["rewards"] == [1.0, 0.0, 0.0]
    assert out["scores"] == [1.0, 0.0, 0.0]
    assert out["extra_logs"] == {
        "assay_failed": [0.0, 0.0, 0.0],
        "assay_invalid": [0.0, 0.0, 1.0],
        "assay_not_applicable": [0.0, 0.0, 0.0],
        "assay_prompt_not_found": [0.0, 0.0, 0.0],
    }


def test_tensors_with_torch():
    torch = pytest.importorskip("torch")
    out = call_like_openrlhf()
    assert isinstance(out["rewards"], torch.Tensor) and out["rewards"].dtype == torch.float32
    assert out["rewards"].tolist() == [1.0, 0.0, 0.0]
    assert out["extra_logs"]["assay_failed"].tolist() == [0.0, 0.0, 0.0]


def test_failures_get_the_fallback_and_are_flagged(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "torch", None)
    caplog.set_level(logging.WARNING, logger="assay")
    out = openrlhf.reward_func(
        ["p <answer>4</answer>", "p \\boxed{4}", "p Answer: B"],
        ["p", "p", "p"],
        ["4", "4", "B"],
        config=ROUTED,
        data_sources=["gsm8k", "unrouted", "mmlu"],
    )
    assert out["rewards"] == pytest.approx([0.9, 0.0, 1.0])
    assert out["extra_logs"]["assay_failed"] == [0.0, 1.0, 0.0]
    # The same keys as `assay serve`'s /get_reward, read from the engine.
    assert list(out["extra_logs"]) == list(openrlhf.EXTRA_LOG_KEYS) == [
        "assay_failed",
        "assay_invalid",
        "assay_not_applicable",
        "assay_prompt_not_found",
    ]
    assert not any(math.isnan(v) for values in out["extra_logs"].values() for v in values)
    assert "no_route" in caplog.text
    out = openrlhf.reward_func(["p x"], ["p"], ["4"], config=ROUTED, data_sources=["unrouted"], fallback=-1.0)
    assert out["rewards"] == [-1.0]


def test_a_prompt_not_found_is_flagged_and_logged(monkeypatch, caplog):
    monkeypatch.setitem(sys.modules, "torch", None)
    caplog.set_level(logging.WARNING, logger="assay")
    out = openrlhf.reward_func(["Q: 4", "other 4"], ["Q:", "Q:"], ["4", "4"])
    assert out["extra_logs"]["assay_prompt_not_found"] == [0.0, 1.0]
    assert "do not occur in their query" in caplog.text


def test_custom_strip_tokens(monkeypatch):
    monkeypatch.setitem(sys.modules, "torch", None)
    out = openrlhf.reward_func(["q 5<END>"], ["q"], ["5"], config={"graders": {"s": {"kind": "string_check"}}})
    assert out["rewards"] == [0.0]
    out = openrlhf.reward_func(
        ["q 5<END>"], ["q"], ["5"], config={"graders": {"s": {"kind": "string_check"}}}, strip_tokens=["<END>"]
    )
    assert out["rewards"] == [1.0]


def test_the_file_openrlhf_loads(tmp_path, monkeypatch):
    """OpenRLHF imports the file named by --remote_rm_url and looks up `reward_func`."""
    import importlib.util

    monkeypatch.setitem(sys.modules, "torch", None)
    path = tmp_path / "reward.py"
    path.write_text("from assay.integrations.openrlhf import reward_func\n")
    spec = importlib.util.spec_from_file_location("reward_func", str(path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.reward_func(["q \\boxed{1}"], ["q"], ["1"])["rewards"] == [1.0]
    # Or the drop-in module's own file.
    spec = importlib.util.spec_from_file_location("reward_func", openrlhf.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert module.reward_func(["q \\boxed{1}"], ["q"], ["1"])["rewards"] == [1.0]


def test_length_mismatch_is_an_error():
    with pytest.raises(ValueError, match="same length"):
        openrlhf.reward_func(["a", "b"], ["a"], ["1", "2"])

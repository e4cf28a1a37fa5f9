"""The verl drop-in, called the way verl's reward managers call it."""

import functools
import json
import logging
import math

import pytest

import assay
from assay.integrations import _common, verl
from conftest import ROUTED

BASE_KEYS = ["score", "acc", "pred", "reward_status", "reward_error", "reward_error_message"]


def naive_manager_call(compute_score, data_source, response, ground_truth, extra_info=None):
    """verl's `naive` reward manager: keyword arguments, a dict result's keys become metrics."""
    return compute_score(
        data_source=data_source,
        solution_str=response,
        ground_truth=ground_truth,
        extra_info=extra_info,
    )


def test_default_config_grades_math():
    out = naive_manager_call(verl.compute_score, "openai/gsm8k", "so the answer is \\boxed{72}", "72")
    assert out == {
        "score": 1.0,
        "acc": True,
        "pred": "72",
        "reward_status": "ok",
        "reward_error": False,
        "reward_error_message": "",
        "correct": 1.0,
    }
    wrong = verl.compute_score("lighteval/MATH", "\\boxed{71}", "72")  # positional, as verl's tests do
    assert (wrong["score"], wrong["acc"], wrong["reward_error"]) == (0.0, False, False)
    missing = verl.compute_score("x", "no idea", "72", {"index": 3, "split": "train"})
    assert (missing["score"], missing["reward_status"], missing["pred"]) == (0.0, "invalid", "")


def test_routes_and_fixed_component_keys():
    cfg = functools.partial(verl.compute_score, config=ROUTED)  # verl's reward_kwargs
    outs = [
        naive_manager_call(cfg, "gsm8k", "<think>.</think><answer>3</answer>", "3"),
        naive_manager_call(cfg, "gsm8k", "3", "3"),
        naive_manager_call(cfg, "mmlu_pro", "Answer: (B)", "B"),
        naive_manager_call(cfg, "unrouted", "3", "3"),
    ]
    keys = [list(o) for o in outs]
    assert all(k == keys[0] for k in keys)
    assert keys[0] == BASE_KEYS + ["answer", "answer.correct", "correct", "fmt"]
    assert outs[0]["score"] == pytest.approx(1.0) and outs[0]["acc"]
    assert outs[1]["score"] == pytest.approx(0.9) and not outs[1]["acc"]
    assert (outs[1]["answer"], outs[1]["fmt"]) == (1.0, 0.0)
    assert outs[2]["score"] == 1.0 and outs[2]["answer"] is None
    assert outs[2]["pred"] == "B"


def test_a_failed_item_is_a_visible_zero(caplog):
    caplog.set_level(logging.WARNING, logger="assay")
    out = verl.compute_score("unrouted", "3", "3", config=ROUTED)
    assert out["score"] == 0.0
    assert out["reward_error"] is True
    assert out["reward_status"] == "error"
    assert "no_route" in out["reward_error_message"]
    assert "no route matches data_source" in caplog.text
    bad = verl.compute_score("math", "\\boxed{1}", {"not": "an answer"})
    assert bad["reward_error"] and "bad_reference" in bad["reward_error_message"]
    # A component that was not computed is None, never NaN; the status says why.
    assert bad["correct"] is None and bad["reward_status"] == "error"
    for key, value in list(out.items()) + list(bad.items()):
        assert not (isinstance(value, float) and math.isnan(value)), key


def test_a_configured_fallback_is_still_flagged():
    cfg = dict(ROUTED, on_error=-1)
    out = verl.compute_score("math", "3", {"not": "an answer"}, config=cfg)
    assert out["score"] == -1.0
    assert out["reward_error"] is True


def test_assay_config_env_and_configure(tmp_path, monkeypatch):
    path = tmp_path / "rewards.json"
    path.write_text(json.dumps({"graders": {"letter": {"kind": "choice"}}}))
    monkeypatch.setenv("ASSAY_CONFIG", str(path))
    assert verl.compute_score("any", "Answer: C", "C")["score"] == 1.0
    assert _common.get_engine().graders == ["letter"]
    # Built once per process and cached.
    assert _common.get_engine() is _common.get_engine()
    verl.configure(ROUTED)  # takes precedence over the environment
    assert _common.get_engine().graders == ["answer", "fmt", "total", "letter"]
    engine = assay.Engine(grader="string_check", operation="eq")
    verl.configure(engine)
    assert _common.get_engine() is engine
    verl.configure(None)
    assert _common.get_engine().graders == ["letter"]


def test_a_bad_config_raises_every_time(monkeypatch, tmp_path):
    monkeypatch.setenv("ASSAY_CONFIG", str(tmp_path / "missing.toml"))
    for _ in range(2):
        with pytest.raises(assay.ConfigError, match="cannot read the file"):
            verl.compute_score("math", "1", "1")


def test_extra_info_becomes_metadata_and_never_fails_an_item():
    class Odd:
        pass

    class FakeNumpy:
        def tolist(self):
            return [1, 2]

    extra = {"index": FakeNumpy(), "odd": Odd(), "nan": float("nan"), "nested": {"t": (1, Odd())}}
    out = verl.compute_score("math", "\\boxed{2}", "2", extra)
    assert out["score"] == 1.0 and not out["reward_error"]
    # `transform` graders read metadata fields.
    cfg = {
        "graders": {
            "raw": {"kind": "math"},
            "shifted": {"kind": "transform", "grader": "raw", "log_sigmoid_ref_field": "baseline"},
        },
        "routes": [{"data_source": "*", "grader": "shifted"}],
    }
    engine = assay.Engine.from_config(cfg)
    verl.configure(engine)
    out = verl.compute_score("math", "\\boxed{2}", "2", {"baseline": 1.0})
    assert out["score"] == pytest.approx(math.log(0.5))


def test_ground_truth_lists_and_numpy_like_values():
    class FakeArray:
        def tolist(self):
            return ["2", "two"]

    assert verl.compute_score("math", "\\boxed{2}", ["5", "2"])["score"] == 1.0
    assert verl.compute_score("math", "\\boxed{2}", FakeArray())["score"] == 1.0
    assert verl.compute_score("math", "\\boxed{2}", 2)["score"] == 1.0


def test_unknown_keyword_arguments_are_accepted():
    out = verl.compute_score(
        "math", "\\boxed{2}", "2", None, sandbox_fusion_url=None, concurrent_semaphore=None, memory_limit_mb=1024
    )
    assert out["score"] == 1.0


def test_batch_manager_convention():
    # verl's `batch` reward manager: plural keyword lists, **reward_kwargs, a list back.
    outs = verl.compute_score_batch(
        data_sources=["gsm8k", "mmlu", "unrouted"],
        solution_strs=["<think>a</think><answer>4</answer>", "Answer: A", "4"],
        ground_truths=["4", "B", "4"],
        extra_infos=[{"index": 0}, {"index": 1}, None],
        config=ROUTED,
    )
    assert [o["score"] for o in outs] == pytest.approx([1.0, 0.0, 0.0])
    assert [o["reward_error"] for o in outs] == [False, False, True]
    assert all(list(o) == BASE_KEYS + ["answer", "answer.correct", "correct", "fmt"] for o in outs)
    single = [verl.compute_score(ds, s, g, config=ROUTED) for ds, s, g in [("gsm8k", "<think>a</think><answer>4</answer>", "4")]]
    assert {k: v for k, v in outs[0].items() if k not in ("answer", "fmt")} == {
        k: v for k, v in single[0].items() if k not in ("answer", "fmt")
    }
    with pytest.raises(ValueError, match="same length"):
        verl.compute_score_batch(["a"], ["b", "c"], ["d"])
    assert verl.compute_score_batch([], [], []) == []


def test_reserved_component_names_are_prefixed():
    cfg = {
        "graders": {
            "score": {"kind": "math"},
            "fmt": {"kind": "format"},
            "total": {"kind": "multi", "graders": ["score", "fmt"]},
        },
        "routes": [{"data_source": "*", "grader": "total"}],
    }
    out = verl.compute_score("x", "<think>a</think><answer>1</answer>", "1", config=cfg)
    assert out["score"] == pytest.approx(2.0)
    assert out["component.score"] == 1.0 and out["fmt"] == 1.0


def test_loaded_by_path_as_verl_loads_custom_reward_functions():
    """verl's get_custom_reward_fn: spec_from_file_location("custom_module", path), then
    functools.partial(fn, **reward_kwargs)."""
    import importlib.util
    import sys

    spec = importlib.util.spec_from_file_location("custom_module", verl.__file__)
    module = importlib.util.module_from_spec(spec)
    sys.modules["custom_module"] = module
    try:
        spec.loader.exec_module(module)
        fn = functools.partial(getattr(module, "compute_score"), config=ROUTED)
        assert fn(data_source="gsm8k", solution_str="<think>a</think><answer>5</answer>", ground_truth="5",
                  extra_info={})["score"] == pytest.approx(1.0)
    finally:
        del sys.modules["custom_module"]

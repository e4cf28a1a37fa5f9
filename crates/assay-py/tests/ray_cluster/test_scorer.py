"""assay.ray.AssayScorer on a local Ray instance with 2 CPUs: results, the trainers' calling
conventions, back-pressure, and a scorer killed during a call."""

import importlib.util
import os
import signal
import threading
import time

import pytest

import assay

ray = pytest.importorskip("ray")
assay_ray = pytest.importorskip("assay.ray")

import assay.ray.openrlhf as ray_openrlhf  # noqa: E402 - after the skip
import assay.ray.verl as ray_verl  # noqa: E402
from assay.integrations import verl  # noqa: E402

MATH = {"graders": {"m": {"kind": "math"}}}


def items(n, offset=0):
    return [
        {"id": i, "response": f"so \\boxed{{{i + offset}}}", "reference": str(i)} for i in range(n)
    ]


def load_by_path(module):
    """Loads a drop-in file the way verl and OpenRLHF do: by path, under another name."""
    spec = importlib.util.spec_from_file_location("user_reward", module.__file__)
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded


def test_scores_like_the_engine_and_speaks_verl_and_openrlhf(local_ray):
    with pytest.raises(assay.ConfigError):
        assay_ray.start_scorers({"graders": {"a": {"kind": "nope"}}})
    scorers = assay_ray.start_scorers(MATH, replicas=2, detached=False)
    try:
        batch = items(50) + items(50, offset=1)
        engine = assay.Engine.from_config(MATH)
        want = [{k: v for k, v in r.items() if k != "elapsed_ms"} for r in engine.score(batch)]
        got = assay_ray.score_remote(batch)  # finds the scorers by their default names
        assert [{k: v for k, v in r.items() if k != "elapsed_ms"} for r in got] == want
        # the batch was split over both scorers
        assert [ray.get(s.stats.remote())["items"] for s in scorers] == [50, 50]

        verl_out = load_by_path(ray_verl).compute_score_batch(
            data_sources=["math"] * 3,
            solution_strs=["\\boxed{2}", "\\boxed{3}", "no answer here"],
            ground_truths=["2", "2", "2"],
            extra_infos=[None, {"split": "train"}, None],
        )
        local = verl.compute_score_batch(
            ["math"] * 3, ["\\boxed{2}", "\\boxed{3}", "no answer here"], ["2", "2", "2"], config=MATH
        )
        assert [r["score"] for r in verl_out] == [r["score"] for r in local] == [1.0, 0.0, 0.0]
        assert [r["reward_status"] for r in verl_out] == [r["reward_status"] for r in local]

        out = load_by_path(ray_openrlhf).reward_func(
            ["Q: 1+1?<|im_end|>\\boxed{2}<|im_end|>", "Q: 2+2?\\boxed{5}"],
            ["Q: 1+1?<|im_end|>", "Q: 2+2?"],
            ["2", "4"],
        )
        rewards = out["rewards"].tolist() if hasattr(out["rewards"], "tolist") else out["rewards"]
        assert rewards == [1.0, 0.0]
        errors = out["extra_logs"]["assay_failed"]
        assert list(errors.tolist() if hasattr(errors, "tolist") else errors) == [0.0, 0.0]
    finally:
        for s in scorers:
            ray.kill(s)


def test_back_pressure_refuses_past_the_queue_and_score_remote_waits(local_ray):
    scorer = assay_ray.AssayScorer.remote(MATH, concurrency=1, max_queue=1)
    batch = items(3000)
    refs = [scorer.score.remote(batch) for _ in range(8)]
    outcomes = []
    for ref in refs:
        try:
            outcomes.append(len(ray.get(ref)))
        except Exception as exc:  # noqa: BLE001 - the refusal is what is checked
            assert isinstance(exc, assay_ray.OverloadedError) or isinstance(
                getattr(exc, "cause", None), assay_ray.OverloadedError
            ), exc
            outcomes.append("refused")
    assert outcomes.count("refused") >= 1, outcomes  # 8 calls at once, room for 2
    assert all(o == len(batch) for o in outcomes if o != "refused")
    refused_before = ray.get(scorer.stats.remote())["refused"]

    # Through score_remote, from 6 threads at once: every call comes back, complete.
    results = [None] * 6

    def call(k):
        results[k] = assay_ray.score_remote(items(1500, offset=k % 2), scorer=scorer)

    threads = [threading.Thread(target=call, args=(k,)) for k in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k, res in enumerate(results):
        assert len(res) == 1500
        assert {r["reward"] for r in res} == {0.0 if k % 2 else 1.0}
    stats = ray.get(scorer.stats.remote())
    assert stats["refused"] > refused_before  # waiting happened, and was invisible to callers
    assert stats["in_flight"] == 0
    ray.kill(scorer)


def test_a_scorer_killed_during_a_call_restarts_and_the_call_completes(local_ray):
    scorer = assay_ray.AssayScorer.remote(MATH)
    first = ray.get(scorer.pid.remote())
    batch = items(40000)
    ref = scorer.score.remote(batch)
    time.sleep(1.0)  # the call is being scored
    os.kill(first, signal.SIGKILL)
    out = ray.get(ref, timeout=300)
    assert len(out) == len(batch)
    assert all(r["status"] == "ok" and r["reward"] == 1.0 for r in out)
    assert ray.get(scorer.pid.remote()) != first
    ray.kill(scorer)

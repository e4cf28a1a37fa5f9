"""Pickling by configuration, many Python threads at once, the GIL released, fork safety."""

import copy
import multiprocessing
import pickle
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

import assay
from conftest import ROUTED, stable


def batch(n):
    """Math items of mixed difficulty and outcome, with their ids."""
    shapes = [
        ("so \\boxed{{{i}/{d}}}", "{q}"),
        ("the answer is $\\frac{{{i}}}{{{d}}}$", "{i}/{d}"),
        ("\\boxed{{x^2 + {i}x}}", "x(x+{i})"),
        ("\\boxed{{\\sqrt{{{s}}}}}", "{r}"),
        ("no answer here", "{i}"),
    ]
    items = []
    for i in range(n):
        response, reference = shapes[i % len(shapes)]
        d = i % 7 + 1
        fields = {"i": i, "d": d, "q": i / d, "s": (i % 9) ** 2, "r": i % 9}
        items.append({"id": i, "response": response.format(**fields), "reference": reference.format(**fields)})
    return items


def test_pickle_round_trip_by_configuration(tmp_path):
    path = tmp_path / "rewards.json"
    path.write_text(__import__("json").dumps(ROUTED))
    engines = [
        assay.Engine(grader="math", decimal_tolerance=0.01),
        assay.Engine.from_config(ROUTED),
        assay.Engine.from_config(path),
    ]
    path.unlink()  # the engine carries the file's content, not its path
    items = batch(20) + [{"data_source": "mmlu", "response": "Answer: B", "reference": "B"}]
    for engine in engines:
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            clone = pickle.loads(pickle.dumps(engine, protocol=protocol))
            assert isinstance(clone, assay.Engine)
            assert clone.graders == engine.graders
            assert clone.config == engine.config
            assert stable(clone.score(items)) == stable(engine.score(items))
        assert stable(copy.deepcopy(engine).score(items)) == stable(engine.score(items))
    # The pickle is small: a configuration, not a grader's state.
    assert len(pickle.dumps(engines[0])) < 500


def test_many_threads_at_once_give_identical_results():
    engine = assay.Engine.from_config(ROUTED)
    items = batch(300)
    for item in items[::3]:
        item["data_source"] = "gsm8k"
    expected = stable(engine.score(items))
    barrier = threading.Barrier(8)

    def work(_):
        barrier.wait()
        return [stable(engine.score(items)) for _ in range(3)]

    with ThreadPoolExecutor(8) as pool:
        runs = [r for rs in pool.map(work, range(8)) for r in rs]
    assert len(runs) == 24
    for run in runs:
        assert run == expected


def test_engines_built_and_used_in_threads():
    def work(i):
        engine = assay.Engine(grader="math") if i % 2 else pickle.loads(pickle.dumps(assay.Engine(grader="math")))
        return engine.score_one(f"\\boxed{{{i}}}", str(i))["reward"]

    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(work, range(32))) == [1.0] * 32


def test_scoring_releases_the_gil():
    engine = assay.Engine(grader="math")
    items = batch(500)
    # Scoring alone, to size the batch so the native call takes about half a second.
    started = time.perf_counter()
    engine.score(items)
    alone = time.perf_counter() - started
    items = items * max(1, int(0.5 / alone + 1))

    done = threading.Event()
    window = {}

    def score():
        window["start"] = time.perf_counter()
        engine.score(items)
        window["end"] = time.perf_counter()
        done.set()

    thread = threading.Thread(target=score)
    ticks = []
    thread.start()
    while not done.is_set():
        ticks.append(time.perf_counter())
    thread.join()
    duration = window["end"] - window["start"]
    inside = [window["start"]]
    inside += [t for t in ticks if window["start"] <= t <= window["end"]]
    inside.append(window["end"])
    longest_stall = max(b - a for a, b in zip(inside, inside[1:]))
    # With the GIL held for the call, this thread would stall for (nearly) all of it; with
    # it released, it only waits while items and results are converted.
    assert duration > 0.1
    assert len(inside) > 1000, (len(inside), duration)
    assert longest_stall < 0.5 * duration, (longest_stall, duration)


async def _score_async(engine, items):
    return await engine.score_async(items)


def test_score_async():
    import asyncio

    engine = assay.Engine(grader="math")
    items = batch(50)
    assert stable(asyncio.run(_score_async(engine, items))) == stable(engine.score(items))


def _child_score(engine):
    return [r["reward"] for r in engine.score(batch(50))]


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
# Forking a process with threads is the point: the child must not use the parent's pool.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_forked_children_after_the_parent_scored():
    engine = assay.Engine(grader="math")
    expected = [r["reward"] for r in engine.score(batch(50))]  # the parent's pool is running
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        result = pool.map_async(_child_score, [engine] * 4)
        assert result.get(timeout=60) == [expected] * 4


_INHERITED = {}


def _inherited_score(_):
    return [r["reward"] for r in _INHERITED["engine"].score(batch(50))]


@pytest.mark.skipif(not hasattr(__import__("os"), "fork"), reason="needs fork")
# Forking a process with threads is the point: the child must not use the parent's pool.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_forked_children_inherit_a_used_engine():
    # The engine object itself crosses the fork (not a pickle of it): the child rebuilds it
    # and its thread pool on first use instead of waiting on the parent's threads.
    engine = assay.Engine.from_config(ROUTED)
    expected = [r["reward"] for r in engine.score(batch(50))]
    _INHERITED["engine"] = engine
    try:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(2) as pool:
            assert pool.map_async(_inherited_score, range(4)).get(timeout=60) == [expected] * 4
    finally:
        _INHERITED.clear()
    assert [r["reward"] for r in engine.score(batch(50))] == expected


def test_spawned_children_get_the_engine_by_pickle():
    engine = assay.Engine.from_config(ROUTED)
    expected = [r["reward"] for r in engine.score(batch(50))]
    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(2) as pool:
        result = pool.map_async(_child_score, [engine] * 2)
        assert result.get(timeout=120) == [expected] * 2


def test_ray_actors_and_tasks():
    """Runs only where Ray is installed (the suite does not install it)."""
    ray = pytest.importorskip("ray")
    from assay.integrations import verl

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:

        @ray.remote
        class Scorer:
            def __init__(self, engine):
                self.engine = engine  # arrives by pickle: its configuration

            def score(self, items):
                return [r["reward"] for r in self.engine.score(items)]

            def verl(self, n):
                return [verl.compute_score("math", f"\\boxed{{{i}}}", str(i))["score"] for i in range(n)]

        @ray.remote
        def task(engine, items):
            return [r["reward"] for r in engine.score(items)]

        engine = assay.Engine.from_config(ROUTED)
        items = batch(200)
        expected = [r["reward"] for r in engine.score(items)]
        actors = [Scorer.remote(engine) for _ in range(2)]
        assert ray.get([a.score.remote(items) for a in actors]) == [expected] * 2
        assert ray.get(actors[0].verl.remote(20)) == [1.0] * 20
        assert ray.get([task.remote(engine, items) for _ in range(3)]) == [expected] * 3
    finally:
        ray.shutdown()

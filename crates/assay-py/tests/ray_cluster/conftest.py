"""Fixtures of the Ray tests (tests/ray_cluster/run.sh runs them; the main suite skips this folder)."""

import pytest

ray = pytest.importorskip("ray")


@pytest.fixture(scope="module")
def local_ray():
    """A local Ray instance with 2 CPUs for the module's tests."""
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        yield ray
    finally:
        ray.shutdown()


@pytest.fixture(autouse=True)
def released_actors():
    """Ray Data lets its actors go when nothing references what they produced; a test that
    started while the last one's actors still held the CPUs would wait for CPUs forever.
    Collect the last test's garbage and wait for the CPUs to be free again."""
    yield
    import gc
    import time

    gc.collect()
    if not ray.is_initialized():
        return
    total = ray.cluster_resources().get("CPU", 0)
    deadline = time.monotonic() + 60
    while ray.available_resources().get("CPU", 0) < total and time.monotonic() < deadline:
        time.sleep(0.2)

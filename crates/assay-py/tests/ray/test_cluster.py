"""A two-node Ray cluster on this machine (`ray start --head` plus `ray start --address`, one
CPU each) scores a 100,000-row JSONL dataset into Parquet while the test kills one scoring
worker process mid-batch; every id comes back exactly once, scored.

The cluster is this test's own: its processes run in sessions the test started, and teardown
stops exactly those (SIGTERM to `ray start --block`, which stops its node, then SIGKILL to
anything left in those sessions). It does not run `ray stop`, which would stop every Ray
process on the machine, other users' included.
"""

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

import pyarrow.parquet as pq
import pytest

ray = pytest.importorskip("ray")
assay_ray = pytest.importorskip("assay.ray")

ROWS = int(os.environ.get("ASSAY_RAY_ROWS", "100000"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_sessions(sids):
    """Process ids of the live processes in the sessions ``sids``."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.getsid(int(entry)) in sids:
                pids.append(int(entry))
        except OSError:
            pass
    return pids


def start_node(args, log):
    ray_bin = os.path.join(os.path.dirname(sys.executable), "ray")
    return subprocess.Popen(
        [ray_bin, "start", "--block", "--num-cpus=1", "--disable-usage-stats",
         f"--dashboard-agent-listen-port={free_port()}", *args],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
    )


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory):
    if ray.is_initialized():
        ray.shutdown()
    logs = tmp_path_factory.mktemp("ray-logs")
    temp = tempfile.mkdtemp(prefix="ar", dir="/tmp")  # short: Ray's socket paths live in it
    port = free_port()
    address = f"127.0.0.1:{port}"
    nodes = []
    try:
        nodes.append(start_node(
            ["--head", f"--port={port}", "--node-ip-address=127.0.0.1", "--include-dashboard=false",
             f"--ray-client-server-port={free_port()}", f"--temp-dir={temp}"],
            open(logs / "head.log", "w"),
        ))
        deadline = time.monotonic() + 120
        while True:
            try:
                ray.init(address=address, log_to_driver=False)
                break
            except Exception:  # noqa: BLE001 - the head is still starting
                if time.monotonic() > deadline or nodes[0].poll() is not None:
                    raise RuntimeError((logs / "head.log").read_text()[-3000:])
                time.sleep(1)
        nodes.append(start_node(
            [f"--address={address}", "--node-ip-address=127.0.0.1"],
            open(logs / "worker.log", "w"),
        ))
        while sum(n["Alive"] for n in ray.nodes()) < 2:
            if time.monotonic() > deadline or nodes[1].poll() is not None:
                raise RuntimeError((logs / "worker.log").read_text()[-3000:])
            time.sleep(1)
        yield ray.cluster_resources()
    finally:
        ray.shutdown()
        sids = {n.pid for n in nodes}
        for node in nodes:
            try:
                os.killpg(node.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for node in nodes:
            try:
                node.wait(timeout=30)
            except subprocess.TimeoutExpired:
                pass
        for pid in in_sessions(sids):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        for node in nodes:
            node.wait()
        assert not in_sessions(sids), "processes of the test cluster outlived it"


def test_two_nodes_100k_rows_with_a_worker_killed_mid_batch(two_nodes, tmp_path):
    assert two_nodes["CPU"] == 2
    src = tmp_path / "rollouts.jsonl"
    with open(src, "w") as f:
        for i in range(ROWS):
            # even ids answer right, odd ids wrong: the reward is checkable per row
            answer = i % 1000
            response = f"the answer is {answer if i % 2 == 0 else answer + 1}"
            f.write(json.dumps({"id": i, "response": response, "reference": str(answer)}) + "\n")

    ledger = assay_ray.ScoringLedger.remote()
    config = {
        "graders": {
            "exact": {"kind": "regex", "pattern": r"answer is (\d+)", "group": 1, "compare_reference": True}
        }
    }
    scored = assay_ray.score_dataset(
        ray.data.read_json(str(src)), config, batch_size=2000, ledger=ledger
    )

    killed = {}

    def killer():
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and "pid" not in killed:
            if ray.get(ledger.stats.remote())["batches"] >= 5:
                busy = ray.get(ledger.scoring_now.remote())
                if busy:
                    os.kill(busy[0], signal.SIGKILL)
                    killed["pid"] = busy[0]
                    killed["at_batches"] = ray.get(ledger.stats.remote())["batches"]
                    return
            time.sleep(0.05)

    thread = threading.Thread(target=killer, daemon=True)
    thread.start()
    started = time.monotonic()
    scored.write_parquet(str(tmp_path / "out"))
    elapsed = time.monotonic() - started
    thread.join(timeout=5)

    table = pq.read_table(str(tmp_path / "out"), columns=["id", "reward", "status"])
    stats = ray.get(ledger.stats.remote())
    print(f"\n{ROWS} rows on 2 nodes in {elapsed:.1f} s; killed worker {killed}; ledger {stats}")
    assert "pid" in killed, "the run ended before a worker could be killed"
    assert stats["reruns"] >= 1  # the killed worker's batch was started again
    assert stats["isolated_batches"] >= 1 and stats["rows_crashed"] == 0
    assert len(ray.get(ledger.workers.remote())) >= 3  # two actors, then the restarted one
    assert table.num_rows == ROWS
    ids = table.column("id").to_pylist()
    assert len(set(ids)) == ROWS and set(ids) == set(range(ROWS))  # none missing, none twice
    rewards = dict(zip(ids, table.column("reward").to_pylist()))
    assert set(table.column("status").to_pylist()) == {"ok"}
    assert all(rewards[i] == (1.0 if i % 2 == 0 else 0.0) for i in range(ROWS))

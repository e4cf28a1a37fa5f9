"""A two-node Ray cluster on this machine (`ray start --head` plus `ray start --address`, one
CPU each) scores a 100,000-row JSONL dataset into Parquet while the test kills one scoring
worker process mid-batch; every id comes back exactly once, scored. The driver runs in a
process of its own (cluster_driver.py): Ray reads its token authentication settings when it
is imported.

The cluster is this test's own: its processes run in sessions the test started, and teardown
stops exactly those (SIGTERM to `ray start --block`, which stops its node, then SIGKILL to
anything left in those sessions). It does not run `ray stop`, which would stop every Ray
process on the machine, other users' included.
"""

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

import pyarrow.parquet as pq
import pytest

pytest.importorskip("ray")  # the driver runs in a process of its own (see cluster_driver.py)

ROWS = int(os.environ.get("ASSAY_RAY_ROWS", "100000"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def in_sessions(sids):
    """Process ids of the live (not zombie) processes in the sessions ``sids``."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                state = f.read().rsplit(")", 1)[1].split()[0]
            if state != "Z" and os.getsid(int(entry)) in sids:
                pids.append(int(entry))
        except OSError:
            pass
    return pids


def start_node(args, log, env):
    """`ray start --block ARGS` in a session of its own (teardown signals that session)."""
    ray_bin = os.path.join(os.path.dirname(sys.executable), "ray")
    return subprocess.Popen(
        [ray_bin, "start", "--block", "--num-cpus=1", "--disable-usage-stats",
         f"--dashboard-agent-listen-port={free_port()}", *args],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True, env=env,
    )


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory):
    """Starts the head and a second node, each with one CPU, with Ray's token authentication
    on a token of the test's own (not the user's ~/.ray/auth_token); yields the address and
    the environment a driver needs."""
    logs = tmp_path_factory.mktemp("ray-logs")
    token = logs / "token"
    token.write_text(secrets.token_hex(32))
    token.chmod(0o600)
    env = dict(os.environ, RAY_AUTH_MODE="token", RAY_AUTH_TOKEN_PATH=str(token),
               RAY_USAGE_STATS_ENABLED="0")
    env.pop("RAY_AUTH_TOKEN", None)
    env.pop("RAY_ADDRESS", None)
    temp = tempfile.mkdtemp(prefix="ar", dir="/tmp")  # short: Ray's socket paths live in it
    port = free_port()
    address = f"127.0.0.1:{port}"
    nodes = []
    try:
        head_log = logs / "head.log"
        nodes.append(start_node(
            ["--head", f"--port={port}", "--include-dashboard=false", f"--temp-dir={temp}"],
            open(head_log, "w"), env,
        ))
        deadline = time.monotonic() + 180
        while "Ray runtime started" not in head_log.read_text():
            if nodes[0].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(head_log.read_text()[-3000:])
            time.sleep(1)
        nodes.append(start_node([f"--address={address}"], open(logs / "worker.log", "w"), env))
        yield address, env, logs
    finally:
        sids = {n.pid for n in nodes}
        for node in nodes:
            try:
                os.killpg(node.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
        for node in nodes:
            try:
                node.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        stop = time.monotonic() + 20
        while in_sessions(sids) and time.monotonic() < stop:
            for pid in in_sessions(sids):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            time.sleep(0.5)
        for node in nodes:
            node.wait()
        shutil.rmtree(temp, ignore_errors=True)
        assert not in_sessions(sids), "processes of the test cluster outlived it"


def test_two_nodes_100k_rows_with_a_worker_killed_mid_batch(two_nodes, tmp_path):
    address, env, logs = two_nodes
    src = tmp_path / "rollouts.jsonl"
    with open(src, "w") as f:
        for i in range(ROWS):
            # even ids answer right, odd ids wrong: the reward is checkable per row
            answer = i % 1000
            response = f"the answer is {answer if i % 2 == 0 else answer + 1}"
            f.write(json.dumps({"id": i, "response": response, "reference": str(answer)}) + "\n")

    report_path = tmp_path / "report.json"
    driver = os.path.join(os.path.dirname(__file__), "cluster_driver.py")
    run = subprocess.run(
        [sys.executable, driver, address, str(src), str(tmp_path / "out"), str(report_path)],
        env=env, capture_output=True, text=True, timeout=1200,
    )
    assert run.returncode == 0, run.stderr[-5000:]
    report = json.loads(report_path.read_text())
    stats = report["stats"]
    print(f"\n{ROWS} rows on {report['nodes']} nodes ({report['cpus']} CPUs) in "
          f"{report['seconds']:.1f} s; killed {report['killed']}; ledger {stats}")
    assert report["nodes"] == 2 and report["cpus"] == 2
    assert "pid" in report["killed"], "the run ended before a worker could be killed"
    assert stats["reruns"] >= 1  # the killed worker's batch was started again
    assert stats["isolated_batches"] >= 1 and stats["rows_crashed"] == 0
    assert stats["batches_given_up"] == 0
    assert report["killed"]["pid"] in report["workers"]
    assert len(report["workers"]) >= 2

    table = pq.read_table(str(tmp_path / "out"), columns=["id", "reward", "status"])
    assert table.num_rows == ROWS
    ids = table.column("id").to_pylist()
    assert len(set(ids)) == ROWS and set(ids) == set(range(ROWS))  # none missing, none twice
    rewards = dict(zip(ids, table.column("reward").to_pylist()))
    assert set(table.column("status").to_pylist()) == {"ok"}
    assert all(rewards[i] == (1.0 if i % 2 == 0 else 0.0) for i in range(ROWS))

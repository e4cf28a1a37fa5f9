"""assay.ray.score_dataset on a local Ray instance with 2 CPUs: results, readers and writers,
column mapping, and a row that kills its worker."""

import json
import os
import subprocess
import sys

import pyarrow.parquet as pq
import pytest

import assay

from ray_helpers import bomb_to_item, poison_to_item

ray = pytest.importorskip("ray")
assay_ray = pytest.importorskip("assay.ray")

ROUTED = {
    "graders": {
        "answer": {"kind": "math"},
        "fmt": {"kind": "format", "tags": ["think", "answer"]},
        "total": {
            "kind": "multi",
            "graders": ["answer", "fmt"],
            "formula": "0.9 * answer + 0.1 * fmt",
        },
        "letter": {"kind": "choice"},
    },
    "routes": [
        {"data_source": "gsm8k*", "grader": "total"},
        {"data_source": "mmlu*", "grader": "letter"},
        {"data_source": "math*", "grader": "answer"},
    ],
}


def rows(n):
    """Items of every route, right and wrong answers, a row with no route, a malformed one."""
    out = []
    for i in range(n):
        kind = i % 5
        row = {"id": f"r{i}", "data_source": "", "response": "", "reference": ""}
        if kind == 0:
            row.update(data_source="gsm8k", response=f"<think>x</think><answer>{i}</answer>", reference=str(i))
        elif kind == 1:
            # a wrong answer, or none at all (`invalid`)
            response = f"so \\boxed{{{i + 1}}}" if i % 2 else "I have no idea"
            row.update(data_source="math", response=response, reference=str(i))
        elif kind == 2:
            row.update(data_source="mmlu", response="Answer: C", reference="C" if i % 2 else "B")
        elif kind == 3:
            row.update(data_source="unrouted", response="hello", reference="x")
        else:
            row.update(data_source="math", response=None, reference="1")  # malformed: no response
        out.append(row)
    return out


def expected(engine, data):
    items = [{k: v for k, v in r.items() if v is not None or k == "response"} for r in data]
    return engine.score(items)


def same(row, result):
    """A result column row equals the engine's own result (but for timing)."""
    assert row["status"] == result["status"], (row, result)
    assert row["reward"] == result["reward"]
    assert json.loads(row["components"]) == result["components"]
    assert row["pred"] == result["pred"]
    assert json.loads(row["explanation"]) == result["explanation"]
    assert row["grader"] == result["grader"]
    if result["error"] is None:
        assert row["error"] is None
    elif result["error"]["kind"] == "malformed_input":
        # the engine names the item by its place in the call; a dataset row is "this row"
        assert row["error"]["kind"] == "malformed_input"
        assert row["error"]["message"].startswith("this row is not a valid item: ")
        assert row["error"]["message"].split(": ", 1)[1] == result["error"]["message"].split(": ", 1)[1]
    else:
        assert row["error"] == {"kind": result["error"]["kind"], "message": result["error"]["message"]}


def test_import_assay_does_not_import_ray():
    code = "import sys, assay; assay.Engine(grader='math'); assert 'ray' not in sys.modules, 'ray'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_scores_like_the_engine(local_ray):
    data = rows(500)
    engine = assay.Engine.from_config(ROUTED)
    ds = ray.data.from_items(data)
    out = assay_ray.score_dataset(ds, ROUTED, batch_size=64, num_actors=2).take_all()
    assert len(out) == len(data)
    by_id = {r["id"]: r for r in out}
    assert len(by_id) == len(data)
    statuses = set()
    for item, result in zip(data, expected(engine, data)):
        row = by_id[item["id"]]
        same(row, result)
        assert row["response"] == item["response"]  # the input columns stay
        statuses.add(row["status"])
    # every kind of outcome went through the columns: graded, failed routes, malformed input
    assert {"ok", "invalid", "error"} <= statuses
    kinds = {r["error"]["kind"] for r in out if r["error"]}
    assert {"no_route", "malformed_input"} <= kinds


def test_jsonl_in_parquet_and_jsonl_out(local_ray, tmp_path):
    data = rows(300)
    src = tmp_path / "rollouts.jsonl"
    src.write_text("".join(json.dumps(r) + "\n" for r in data))
    ds = ray.data.read_json(str(src))
    scored = assay_ray.score_dataset(ds, ROUTED, batch_size=50, num_actors=1)
    scored.write_parquet(str(tmp_path / "pq"))
    scored.write_json(str(tmp_path / "jsonl"))

    table = pq.read_table(str(tmp_path / "pq"))
    assert table.num_rows == len(data)
    assert table.schema.field("reward").type == "double"
    assert str(table.schema.field("error").type) == "struct<kind: string, message: string>"
    engine = assay.Engine.from_config(ROUTED)
    by_id = {r["id"]: r for r in table.to_pylist()}
    for item, result in zip(data, expected(engine, data)):
        same(by_id[item["id"]], result)

    lines = [
        json.loads(line)
        for f in sorted((tmp_path / "jsonl").iterdir())
        for line in f.read_text().splitlines()
        if line.strip()
    ]
    assert sorted(r["id"] for r in lines) == sorted(r["id"] for r in data)
    assert {r["id"]: r["status"] for r in lines} == {k: v["status"] for k, v in by_id.items()}


def test_parquet_in_with_renamed_columns(local_ray, tmp_path):
    ray.data.from_items(
        [{"qid": i, "completion": f"\\boxed{{{i * 2}}}", "answer": str(i * 2 if i % 3 else i)} for i in range(120)]
    ).write_parquet(str(tmp_path / "in"))
    ds = ray.data.read_parquet(str(tmp_path / "in"))
    out = assay_ray.score_dataset(
        ds,
        assay.Engine(grader="math"),
        columns={"id": "qid", "response": "completion", "reference": "answer"},
        batch_size=32,
    ).take_all()
    got = {r["qid"]: r["reward"] for r in out}
    assert got == {i: (1.0 if (i % 3 or i == 0) else 0.0) for i in range(120)}


def test_to_item_errors_are_row_results(local_ray):
    def to_item(row):
        if row["n"] == 7:
            raise KeyError("no reference for this row")
        return {"response": f"\\boxed{{{row['n']}}}", "reference": str(row["n"])}

    out = assay_ray.score_dataset(
        ray.data.range(20).map(lambda r: {"n": r["id"]}), {"graders": {"m": {"kind": "math"}}},
        to_item=to_item, num_actors=1, on_error="zero",
    ).take_all()
    by_n = {r["n"]: r for r in out}
    assert len(by_n) == 20
    assert by_n[7]["status"] == "error" and by_n[7]["error"]["kind"] == "malformed_input"
    assert "KeyError" in by_n[7]["error"]["message"]
    assert by_n[7]["reward"] == 0.0  # on_error="zero": the fallback, with the status visible
    assert all(r["status"] == "ok" and r["reward"] == 1.0 for n, r in by_n.items() if n != 7)


def test_configuration_errors_raise_before_any_work(local_ray):
    ds = ray.data.from_items([{"response": "1"}])
    with pytest.raises(assay.ConfigError):
        assay_ray.score_dataset(ds, {"graders": {"a": {"kind": "nope"}}})
    with pytest.raises(ValueError, match="no grader named"):
        assay_ray.score_dataset(ds, ROUTED, grader="missing")


def test_column_clash_says_what_to_do(local_ray):
    config = {"graders": {"m": {"kind": "math"}}}
    rows_ = [{"response": "\\boxed{1}", "reference": "1", "status": "draft"}]
    # Known schema: refused before anything runs.
    with pytest.raises(ValueError, match="prefix="):
        assay_ray.score_dataset(ray.data.from_items(rows_), config, num_actors=1)

    # Schema known only once executed: the actors refuse it, and the job fails saying why.
    def run_unknown_schema():
        ds = ray.data.from_items(rows_).map(lambda r: r)
        try:
            assay_ray.score_dataset(ds, config, num_actors=1).take_all()
        except Exception as exc:  # noqa: BLE001 - only its message is kept (it holds the job)
            return str(exc)
        return None

    message = run_unknown_schema()
    assert message is not None and "prefix=" in message

    out = assay_ray.score_dataset(
        ray.data.from_items(rows_), config, num_actors=1, prefix="assay_"
    ).take_all()
    assert out[0]["status"] == "draft" and out[0]["assay_status"] == "ok"


def test_a_row_that_kills_its_worker_twice_is_an_error(local_ray):
    """The poison row kills the actor scoring its batch; Ray restarts the actor and re-runs
    the batch, which is then scored in isolation: the poison row kills its isolated process
    too (its second crash) and gets status `error`; every other row of the run is scored."""
    data = [{"id": f"r{i}", "response": f"\\boxed{{{i}}}", "reference": str(i)} for i in range(200)]
    data[77]["id"] = "poison"
    ledger = assay_ray.ScoringLedger.remote()
    out = assay_ray.score_dataset(
        ray.data.from_items(data),
        {"graders": {"m": {"kind": "math"}}},
        to_item=poison_to_item(),
        batch_size=40,
        num_actors=2,
        ledger=ledger,
    ).take_all()
    assert sorted(r["id"] for r in out) == sorted(r["id"] for r in data)
    poison = [r for r in out if r["id"] == "poison"]
    assert len(poison) == 1
    assert poison[0]["status"] == "error" and poison[0]["reward"] is None
    assert poison[0]["error"]["kind"] == "internal"
    assert "killed its Ray worker" in poison[0]["error"]["message"]
    assert "SIGKILL" in poison[0]["error"]["message"]
    others = [r for r in out if r["id"] != "poison"]
    assert all(r["status"] == "ok" and r["reward"] == 1.0 for r in others)
    stats = ray.get(ledger.stats.remote())
    assert stats["reruns"] >= 1
    assert stats["isolated_batches"] >= 1
    assert stats["rows_crashed"] == 1
    assert stats["batches_given_up"] == 0
    assert stats["rows"] >= len(data)  # a re-run block may score some batches again


def test_a_batch_that_kills_workers_even_in_isolation_is_given_up(local_ray):
    """The "bomb" row kills its actor when scored normally and its actor again when scored
    in isolation (it kills the isolated child's parent): after max_batch_attempts=2 deaths
    the batch comes back once more and each of its rows gets `error`; the job completes and
    every other batch is scored."""
    data = [{"id": f"r{i}", "response": f"\\boxed{{{i}}}", "reference": str(i)} for i in range(60)]
    data[33]["id"] = "bomb"
    ledger = assay_ray.ScoringLedger.remote()
    out = assay_ray.score_dataset(
        ray.data.from_items(data),
        {"graders": {"m": {"kind": "math"}}},
        to_item=bomb_to_item(),
        batch_size=20,
        num_actors=1,
        max_batch_attempts=2,
        ledger=ledger,
    ).take_all()
    assert sorted(r["id"] for r in out) == sorted(r["id"] for r in data)
    failed = {r["id"] for r in out if r["status"] != "ok"}
    assert "bomb" in failed and len(failed) <= 20  # the bomb's batch, and nothing else
    for r in out:
        if r["id"] in failed:
            assert r["status"] == "error" and r["error"]["kind"] == "internal", r
            assert "killed 2 Ray workers" in r["error"]["message"]
            assert r["reward"] is None
        else:
            assert r["reward"] == 1.0, r
    stats = ray.get(ledger.stats.remote())
    assert stats["batches_given_up"] == 1
    assert stats["reruns"] >= 2


def test_read_jsonl_takes_references_that_change_type(local_ray, tmp_path):
    """The repository's example rollouts: `reference` is a string on some lines and a list
    on others, which one Arrow column cannot hold, and the last line is broken JSON.
    read_jsonl keeps references as JSON text and the broken line as a row of its own;
    score_dataset decodes the text, scores the good lines as the engine does, and gives the
    broken line an `error` result (malformed_input), as `assay score` does."""
    root = os.path.join(os.path.dirname(__file__), "..", "..", "..", "..")
    rollouts = os.path.join(root, "examples", "rollouts.jsonl")
    config = os.path.join(root, "examples", "rewards.toml")
    good, broken = [], 0
    for line in open(rollouts):
        try:
            good.append(json.loads(line))
        except ValueError:
            broken += 1
    assert broken == 1 and {type(r["reference"]) for r in good} >= {str, list}
    src = tmp_path / "rollouts.jsonl"
    src.write_text(open(rollouts).read() + "\n\n")  # blank lines: skipped
    ds = assay_ray.read_jsonl(str(src))
    out = assay_ray.score_dataset(ds, config, json_columns=["reference", "metadata"]).take_all()
    assert len(out) == len(good) + 1
    engine = assay.Engine.from_config(config)
    by_id = {r["id"]: r for r in out if r["id"] is not None}
    assert len(by_id) == len(good)
    for item, result in zip(good, engine.score(good)):
        same(by_id[item["id"]], result)
    [line_row] = [r for r in out if r["id"] is None]
    assert line_row["status"] == "error" and line_row["error"]["kind"] == "malformed_input"
    assert "not a JSON object" in line_row["error"]["message"]
    assert "broken#0" in line_row["error"]["message"]  # the line's start, to find it

    bad = assay_ray.score_dataset(
        ray.data.from_items([{"response": "C", "reference": "[not json"}]),
        config, json_columns=["reference"], num_actors=1,
    ).take_all()
    assert bad[0]["status"] == "error" and bad[0]["error"]["kind"] == "malformed_input"
    assert "`reference` is not JSON text" in bad[0]["error"]["message"]

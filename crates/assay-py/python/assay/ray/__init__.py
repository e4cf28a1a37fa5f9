"""Assay on a Ray cluster: score a ``ray.data.Dataset``, or serve rewards to a trainer.

Ray is an optional dependency (``pip install 'assay-rewards[ray]'``); ``import assay`` never
imports it, ``import assay.ray`` does.

* :func:`score_dataset` scores a dataset with ``map_batches`` over a pool of actors, each
  holding one engine, and returns the dataset with result columns added (see
  :data:`RESULT_COLUMNS`). Read and write it with Ray's own readers and writers
  (``ray.data.read_json``/``read_parquet``, ``Dataset.write_json``/``write_parquet``).
* :class:`AssayScorer` is an actor a trainer's reward function calls
  (``AssayScorer.remote(config)``); :func:`score_remote`, :func:`compute_score_batch` (verl)
  and :func:`reward_func` (OpenRLHF) call it with back-pressure.

Faults: an actor that dies mid-batch (a killed process, the OOM killer) is restarted by Ray and
its batch re-run (Ray Data's actor pools default to ``max_restarts=-1`` and
``max_task_retries=-1``). A batch that is re-run after killing a worker is scored in
*isolation*: in a child process of the actor, bisected around any row that kills the child, so
that a row that crashes its worker twice (once with its batch, once alone) gets status
``error`` (kind ``internal``) and every other row its normal result. A batch that killed
``max_batch_attempts`` workers (3: once scored normally, twice in isolation) gets ``error`` for
each of its rows when it comes back. Every input row gets exactly one result.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple, Union

try:
    import ray
    import ray.data
except ImportError as exc:  # pragma: no cover - exercised only where Ray is missing
    raise ImportError(
        "assay.ray needs Ray with Ray Data: pip install 'assay-rewards[ray]' "
        "(or pip install 'ray[data]')"
    ) from exc

import pyarrow as pa

from .. import Engine
from .._isolated import LINE_ERROR, IsolatedScorer, failure, score_rows

__all__ = [
    "score_dataset",
    "read_jsonl",
    "LINE_ERROR_COLUMN",
    "RESULT_COLUMNS",
    "ScoringLedger",
    "AssayScorer",
    "score_remote",
    "compute_score_batch",
    "reward_func",
    "DEFAULT_SCORER_NAME",
    "DEFAULT_NAMESPACE",
    "OverloadedError",
    "start_scorers",
    "find_scorers",
]

ConfigLike = Union[str, "os.PathLike[str]", Mapping[str, Any], Engine]

#: The columns :func:`score_dataset` adds, and their Arrow types. ``components`` and
#: ``explanation`` are JSON text (``components`` has the same keys on every row of one
#: configuration; ``explanation`` differs by grader), so every result writes to Parquet and
#: JSON Lines whatever the graders report; ``error`` is ``null`` or a struct.
RESULT_COLUMNS: Dict[str, pa.DataType] = {
    "reward": pa.float64(),
    "status": pa.string(),
    "components": pa.string(),
    "pred": pa.string(),
    "explanation": pa.string(),
    "error": pa.struct([("kind", pa.string()), ("message", pa.string())]),
    "grader": pa.string(),
    "elapsed_ms": pa.float64(),
}


def _engine_of(config: ConfigLike) -> Engine:
    if isinstance(config, Engine):
        return config
    return Engine.from_config(config)


def _fallback(engine: Engine, on_error: Any) -> Optional[float]:
    """The reward of a row that could not be scored at all: the call's ``on_error``, else the
    configuration's top-level ``on_error`` (``None`` when it is ``"null"`` or unset)."""
    value = on_error if on_error is not None else engine.config.get("on_error")
    if value is None or value == "null":
        return None
    if value == "zero":
        return 0.0
    return float(value)


def _fingerprint(batch: pa.Table) -> str:
    """A digest of a batch's content: the same when Ray re-runs the same batch."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema) as writer:
        writer.write_table(batch)
    return hashlib.blake2b(sink.getvalue().to_pybytes(), digest_size=16).hexdigest()


@ray.remote(num_cpus=0, max_restarts=-1, max_task_retries=-1)
class ScoringLedger:
    """Which batches are being scored, cluster-wide: a batch that starts again before it
    finished was being scored by an actor that died. One per :func:`score_dataset` call
    (created for you, or passed as ``ledger=`` to read its :meth:`stats` afterwards).

    Identical batches in flight at once look like a re-run too; they are then scored in
    isolation, which costs time but gives the same results."""

    def __init__(self) -> None:
        self._open: Dict[str, int] = {}
        self._pids: Dict[str, int] = {}
        self._workers: set = set()
        self._stats = {
            "batches": 0,
            "rows": 0,
            "reruns": 0,
            "isolated_batches": 0,
            "isolated_children": 0,
            "rows_crashed": 0,
            "batches_given_up": 0,
        }

    def begin(self, key: str, pid: int = 0) -> int:
        """Marks a batch as started by the worker process ``pid``; returns how many earlier
        starts of it did not finish."""
        before = self._open.get(key, 0)
        self._open[key] = before + 1
        self._pids[key] = pid
        self._workers.add(pid)
        if before:
            self._stats["reruns"] += 1
        return before

    def done(self, key: str, rows: int, isolated: Optional[Dict[str, int]] = None) -> None:
        """Marks a batch as finished (every earlier unfinished start of it too)."""
        self._open.pop(key, None)
        self._pids.pop(key, None)
        self._stats["batches"] += 1
        self._stats["rows"] += rows
        if isolated is not None:
            self._stats["isolated_batches"] += 1
            self._stats["isolated_children"] += isolated.get("children", 0)
            self._stats["rows_crashed"] += isolated.get("rows_crashed", 0)
            if isolated.get("given_up"):
                self._stats["batches_given_up"] += 1

    def stats(self) -> Dict[str, int]:
        """Batches and rows finished, batches re-run after their actor died, batches scored
        in isolation, rows that crashed their worker twice (status ``error``), batches given
        up after ``max_batch_attempts`` deaths, and the number of batches still open."""
        return {**self._stats, "open": len(self._open)}

    def scoring_now(self) -> List[int]:
        """The process ids of the workers scoring a batch now."""
        return sorted(set(self._pids.values()))

    def workers(self) -> List[int]:
        """The process ids of every worker that started a batch."""
        return sorted(self._workers)


class _ScoreBatches:
    """The ``map_batches`` callable: one engine per actor."""

    def __init__(
        self,
        engine: Engine,
        ledger: Any,
        columns: Dict[str, str],
        to_item: Optional[bytes],
        score_kwargs: Dict[str, Any],
        fallback: Optional[float],
        prefix: str,
        threads: int,
        max_batch_attempts: int,
        json_columns: Sequence[str] = (),
    ) -> None:
        # The scoring pool is sized on first use: give it this actor's CPUs, not the node's.
        os.environ["ASSAY_THREADS"] = str(max(1, threads))
        self.engine = engine
        self.ledger = ledger
        self.columns = columns
        self.to_item_bytes = to_item
        self.to_item = ray.cloudpickle.loads(to_item) if to_item is not None else None
        self.score_kwargs = score_kwargs
        self.fallback = fallback
        self.prefix = prefix
        self.max_batch_attempts = max_batch_attempts
        self.json_columns = list(json_columns)
        self.keys = engine.component_keys(score_kwargs.get("grader"))

    def _begin(self, key: str) -> int:
        try:
            return ray.get(self.ledger.begin.remote(key, os.getpid()))
        except ray.exceptions.RayError:
            return 0  # no ledger: score normally (a re-run then risks the same crash)

    def __call__(self, batch: pa.Table) -> pa.Table:
        names = [self.prefix + c for c in RESULT_COLUMNS]
        clash = [n for n in names if n in batch.column_names]
        if clash:
            raise ValueError(
                f"the dataset already has column(s) {', '.join(clash)}; pass "
                "score_dataset(..., prefix='assay_') to name the result columns apart"
            )
        rows = batch.to_pylist()
        key = _fingerprint(batch)
        earlier = self._begin(key)
        isolated: Optional[Dict[str, int]] = None
        if earlier == 0:
            results = score_rows(
                self.engine, rows, self.columns, self.to_item, self.score_kwargs, self.fallback,
                self.json_columns,
            )
        elif earlier < self.max_batch_attempts:
            scorer = IsolatedScorer(
                self.engine._native.config,
                self.engine._native.source,
                self.columns,
                self.to_item_bytes,
                self.score_kwargs,
                self.keys,
                self.fallback,
                "this row's batch killed its Ray worker, and the row",
                self.json_columns,
            )
            results = scorer.score(rows)
            isolated = dict(scorer.stats)
        else:
            message = (
                f"this row's batch killed {earlier} Ray workers, even when scored in isolation "
                "(a crash outside any single row: memory?); it was not scored"
            )
            results = [failure("internal", message, self.keys, self.fallback) for _ in rows]
            isolated = {"given_up": 1}
        try:
            self.ledger.done.remote(key, len(rows), isolated)
        except ray.exceptions.RayError:
            pass
        return _append(batch, results, self.prefix)


#: One encoder for every row (``json.dumps`` with options builds a new one per call).
_JSON = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False)


def _append(batch: pa.Table, results: List[Dict[str, Any]], prefix: str) -> pa.Table:
    encode = _JSON.encode
    errors: List[Any] = []
    for r in results:
        error = r["error"]
        if error is not None:
            message = error.get("message") or ""
            # The engine names an invalid item by its place in the batch, which means
            # nothing in a dataset: name the row instead.
            if message.startswith("items[") and "] is not a valid item" in message:
                message = "this row" + message[message.index("] is not a valid item") + 1 :]
            error = {"kind": error.get("kind"), "message": message}
        errors.append(error)
    values: Dict[str, List[Any]] = {
        "reward": [r["reward"] for r in results],
        "status": [r["status"] for r in results],
        "components": [encode(r["components"]) for r in results],
        "pred": [r["pred"] for r in results],
        "explanation": [encode(r["explanation"]) for r in results],
        "error": errors,
        "grader": [r.get("grader") for r in results],
        "elapsed_ms": [r.get("elapsed_ms") for r in results],
    }
    for name, ty in RESULT_COLUMNS.items():
        batch = batch.append_column(prefix + name, pa.array(values[name], type=ty))
    return batch


#: The column :func:`read_jsonl` fills, for a line that is not a JSON object, with what is
#: wrong with it (``null`` on good lines); :func:`score_dataset` gives such a row an
#: ``error`` result (``malformed_input``) with that message, as ``assay score`` does.
LINE_ERROR_COLUMN = LINE_ERROR


def read_jsonl(
    paths: Union[str, List[str]],
    *,
    json_columns: Sequence[str] = ("reference", "metadata"),
    **read_text_kwargs: Any,
) -> "ray.data.Dataset":
    """Reads JSON Lines items whose fields change type from line to line (a ``reference``
    that is a string here and a list there), which ``ray.data.read_json`` cannot put in one
    Arrow column: each line is parsed in Python and the fields ``json_columns`` are kept as
    JSON text. Score the result with ``score_dataset(ds, config, json_columns=...)`` and the
    same names. Blank lines are skipped; a line that is not a JSON object becomes a row with
    only :data:`LINE_ERROR_COLUMN` set, which ``score_dataset`` turns into an ``error``
    result, so the read never fails on one bad line. Other keyword arguments go to
    ``ray.data.read_text``."""
    encode = _JSON.encode
    kept = list(json_columns)

    def parse(batch: pa.Table) -> pa.Table:
        records = []
        for line in batch.column("text").to_pylist():
            if not line or not line.strip():
                continue
            try:
                record = json.loads(line)
                if not isinstance(record, dict):
                    raise ValueError(f"a JSON {type(record).__name__}, not an object")
            except ValueError as exc:
                start = line[:80] + ("…" if len(line) > 80 else "")
                records.append({LINE_ERROR: f"the line is not a JSON object: {exc} "
                                f"(the line starts: {start!r})"})
                continue
            for column in kept:
                if column in record:
                    record[column] = encode(record[column])
            record.setdefault(LINE_ERROR, None)
            records.append(record)
        names: Dict[str, None] = {}
        for record in records:
            names.update(dict.fromkeys(record))
        names.setdefault(LINE_ERROR, None)
        return pa.Table.from_pydict({n: [r.get(n) for r in records] for n in names})

    return ray.data.read_text(paths, **read_text_kwargs).map_batches(
        parse, batch_format="pyarrow"
    )


def _cluster_cpus() -> float:
    if not ray.is_initialized():
        ray.init()
    return float(ray.cluster_resources().get("CPU", 1.0))


def score_dataset(
    ds: "ray.data.Dataset",
    config: ConfigLike,
    *,
    columns: Optional[Mapping[str, str]] = None,
    to_item: Optional[Callable[[Dict[str, Any]], Dict[str, Any]]] = None,
    json_columns: Sequence[str] = (),
    grader: Optional[str] = None,
    on_error: Any = None,
    batch_size: int = 1024,
    num_actors: Union[int, Tuple[int, int], None] = None,
    cpus_per_actor: float = 1.0,
    prefix: str = "",
    max_batch_attempts: int = 3,
    ledger: Any = None,
    **map_batches_kwargs: Any,
) -> "ray.data.Dataset":
    """Scores every row of ``ds`` and returns the dataset with the result columns
    (:data:`RESULT_COLUMNS`, each name prefixed with ``prefix``) added to its own columns.
    Lazy, as every Ray Data transform: nothing runs until the dataset is consumed
    (``write_parquet``, ``take``, ``iter_batches`` …).

    ``config`` is a configuration file, a dict or an :class:`~assay.Engine`; it is built here,
    so a broken configuration raises :class:`~assay.ConfigError` before any work starts.

    Rows become items by column name: ``response`` (required), ``reference``, ``id``,
    ``data_source``, ``group``, ``prompt`` and ``metadata``; ``columns`` renames them
    (``{"response": "completion", "reference": "answer"}``), and ``to_item(row) -> item``
    replaces the mapping altogether. ``json_columns`` names columns holding JSON text, decoded
    before the mapping (see :func:`read_jsonl`: Arrow columns have one type, and references
    are often a string in one row and a list in the next). A row whose ``to_item`` raises or
    whose JSON text does not parse gets an ``error`` result (``malformed_input``); so does a
    row without a response.

    ``grader`` sends every row to the grader of that name; ``on_error`` overrides the
    failure reward. Group advantages need whole groups in one batch, which Ray Data does not
    promise: compute them afterwards (``groupby``) if you need them.

    Parallelism: ``num_actors`` actors each hold one engine scoring ``batch_size`` rows at a
    time on ``cpus_per_actor`` threads. The default is an autoscaling pool of 1 up to the
    cluster's CPUs divided by ``cpus_per_actor`` (``(min, max)`` sets it); an int is a fixed
    pool, which must leave CPUs for the dataset's read tasks (a fixed pool holding every CPU
    waits for them forever). Other keyword arguments go to ``map_batches`` (``memory=``,
    ``resources=``, ``runtime_env=`` …).

    Faults: see the module documentation. ``ledger``: a :class:`ScoringLedger` actor to read
    the run's counts from afterwards (one is created otherwise).
    """
    engine = _engine_of(config)
    if grader is not None and grader not in engine.graders:
        raise ValueError(
            f"no grader named {grader!r} in the configuration; configured: "
            f"{', '.join(engine.graders)}"
        )
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, not {batch_size}")
    if max_batch_attempts < 2:
        raise ValueError("max_batch_attempts must be at least 2 (one normal run, one isolated)")
    # (attempts that killed a worker: the first scored normally, the others in isolation)
    columns = dict(columns or {})
    try:
        known = ds.schema(fetch_if_missing=False)
    except Exception:  # noqa: BLE001 - unknown until executed: the actors check it then
        known = None
    if known is not None:
        clash = [prefix + c for c in RESULT_COLUMNS if prefix + c in known.names]
        if clash:
            raise ValueError(
                f"the dataset already has column(s) {', '.join(clash)}; pass "
                "score_dataset(..., prefix='assay_') to name the result columns apart"
            )
    if num_actors is None:
        # Autoscaling from one actor: a fixed pool taking every CPU would leave none for Ray
        # Data's read tasks, and wait for them forever.
        num_actors = (1, max(1, int(_cluster_cpus() // cpus_per_actor)))
    if isinstance(num_actors, int):
        compute = ray.data.ActorPoolStrategy(size=num_actors)
    else:
        low, high = num_actors
        compute = ray.data.ActorPoolStrategy(min_size=low, max_size=high)
    if ledger is None:
        ledger = ScoringLedger.remote()
    score_kwargs: Dict[str, Any] = {}
    if grader is not None:
        score_kwargs["grader"] = grader
    if on_error is not None:
        score_kwargs["on_error"] = on_error
    # Fault tolerance is Ray Data's own: its actor pools restart dead actors and re-run their
    # tasks (max_restarts=-1, max_task_retries=-1 by default; passing them is deprecated).
    return ds.map_batches(
        _ScoreBatches,
        batch_size=batch_size,
        batch_format="pyarrow",
        compute=compute,
        num_cpus=cpus_per_actor,
        fn_constructor_kwargs={
            "engine": engine,
            "ledger": ledger,
            "columns": columns,
            "to_item": ray.cloudpickle.dumps(to_item) if to_item is not None else None,
            "score_kwargs": score_kwargs,
            "fallback": _fallback(engine, on_error),
            "prefix": prefix,
            "threads": max(1, int(round(cpus_per_actor))),
            "max_batch_attempts": max_batch_attempts,
            "json_columns": list(json_columns),
        },
        udf_modifying_row_count=False,
        **map_batches_kwargs,
    )


# --- serving rewards to a trainer -------------------------------------------------------

#: The name prefix :func:`start_scorers` gives its actors and :func:`score_remote` and the
#: drop-ins look scorers up by (``assay-scorer-0``, ``assay-scorer-1`` …).
DEFAULT_SCORER_NAME = "assay-scorer"
#: The Ray namespace of the named scorers: a trainer's job finds them whatever its own
#: (often random) namespace.
DEFAULT_NAMESPACE = "assay"


@ray.remote(num_cpus=1, max_restarts=-1, max_task_retries=3)
class AssayScorer:
    """An actor that scores for a trainer: ``AssayScorer.remote(config)``.

    It holds one engine (``config``: a path, a dict or an :class:`~assay.Engine`) scoring on
    ``threads`` threads (default: the actor's ``num_cpus``, 1 unless you set it with
    ``.options(num_cpus=N)``). Scoring is a pure function of the items, so Ray may re-run a
    call safely: the actor restarts when its process dies and its calls are retried
    (``max_restarts=-1``, ``max_task_retries=3``).

    Back-pressure: ``concurrency`` calls score at once (each uses all of the actor's
    threads); at most ``max_queue`` more wait in the actor. Past that a call is refused at
    once with :class:`OverloadedError` instead of queueing without bound; :func:`score_remote`
    and the drop-ins wait and retry refused calls, so a trainer sees a slower call, never a
    failure. (It is an asyncio actor: waiting calls hold no thread.)
    """

    def __init__(
        self,
        config: ConfigLike,
        *,
        threads: Optional[int] = None,
        concurrency: int = 2,
        max_queue: int = 64,
    ) -> None:
        if threads is None:
            cpus = ray.get_runtime_context().get_assigned_resources().get("CPU", 1.0)
            threads = max(1, int(round(cpus)))
        os.environ["ASSAY_THREADS"] = str(threads)
        if concurrency < 1 or max_queue < 0:
            raise ValueError("concurrency must be at least 1 and max_queue at least 0")
        self.engine = _engine_of(config)
        self.concurrency = concurrency
        self.max_queue = max_queue
        self._executor = ThreadPoolExecutor(concurrency, thread_name_prefix="assay-scorer")
        self._in_flight = 0
        self._counts = {"calls": 0, "items": 0, "refused": 0}

    async def _run(self, n: int, fn: Callable[[], Any]) -> Any:
        limit = self.concurrency + self.max_queue
        if self._in_flight >= limit:
            self._counts["refused"] += 1
            raise OverloadedError(
                f"the Assay scorer has {self._in_flight} calls in flight "
                f"(concurrency {self.concurrency} + max_queue {self.max_queue}); retry later"
            )
        self._in_flight += 1
        try:
            result = await asyncio.get_running_loop().run_in_executor(self._executor, fn)
        finally:
            self._in_flight -= 1
        self._counts["calls"] += 1
        self._counts["items"] += n
        return result

    async def score(self, items: List[Dict[str, Any]], **kwargs: Any) -> List[Dict[str, Any]]:
        """:meth:`assay.Engine.score` on the actor: one result dict per item, in order."""
        return await self._run(len(items), lambda: self.engine.score(items, **kwargs))

    async def compute_score_batch(
        self,
        data_sources: Sequence[Any],
        solution_strs: Sequence[Any],
        ground_truths: Sequence[Any],
        extra_infos: Optional[Sequence[Any]] = None,
        **kwargs: Any,
    ) -> List[Dict[str, Any]]:
        """verl's batch reward function (see :mod:`assay.integrations.verl`), on the actor."""
        from ..integrations import verl

        return await self._run(
            len(solution_strs),
            lambda: verl.compute_score_batch(
                data_sources, solution_strs, ground_truths, extra_infos, config=self.engine, **kwargs
            ),
        )

    async def reward_func(
        self, queries: Sequence[str], prompts: Sequence[str], labels: Sequence[Any], **kwargs: Any
    ) -> Dict[str, Any]:
        """OpenRLHF's ``reward_func`` (see :mod:`assay.integrations.openrlhf`), on the actor;
        values are lists of floats (the caller makes tensors)."""
        from ..integrations import openrlhf

        out = await self._run(
            len(queries),
            lambda: openrlhf.reward_func(queries, prompts, labels, config=self.engine, **kwargs),
        )
        return _plain(out)

    async def component_keys(self) -> List[str]:
        """The component keys of the scorer's configuration."""
        return self.engine.component_keys()

    async def pid(self) -> int:
        """The scorer's process id."""
        return os.getpid()

    async def stats(self) -> Dict[str, int]:
        """Calls and items scored, calls refused (back-pressure), calls in flight now."""
        return {**self._counts, "in_flight": self._in_flight}


class OverloadedError(RuntimeError):
    """An :class:`AssayScorer` refused a call: ``concurrency + max_queue`` calls are in
    flight already."""


def _plain(value: Any) -> Any:
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        return tolist()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


#: Scorers this process started or found, by (name, namespace).
_found: Dict[Tuple[str, str], List[Any]] = {}


def start_scorers(
    config: ConfigLike,
    *,
    replicas: int = 1,
    cpus: float = 1,
    name: str = DEFAULT_SCORER_NAME,
    namespace: str = DEFAULT_NAMESPACE,
    detached: bool = True,
    **scorer_kwargs: Any,
) -> List[Any]:
    """Starts ``replicas`` named :class:`AssayScorer` actors (``NAME-0`` … in ``namespace``),
    each with ``cpus`` CPUs and as many scoring threads, and waits until they are ready.
    Scorers that already exist under those names are reused (``get_if_exists``).
    ``detached`` scorers outlive the job that started them (stop them with ``ray.kill``);
    other keyword arguments go to :class:`AssayScorer` (``concurrency``, ``max_queue``).

    The configuration is checked here: a broken one raises :class:`~assay.ConfigError`
    before any actor starts."""
    engine = _engine_of(config)
    options: Dict[str, Any] = {"namespace": namespace, "get_if_exists": True, "num_cpus": cpus}
    if detached:
        options["lifetime"] = "detached"
    actors = [
        AssayScorer.options(name=f"{name}-{k}", **options).remote(engine, **scorer_kwargs)
        for k in range(replicas)
    ]
    ray.get([a.pid.remote() for a in actors])
    _found[(name, namespace)] = actors
    return actors


def find_scorers(name: str = DEFAULT_SCORER_NAME, namespace: str = DEFAULT_NAMESPACE) -> List[Any]:
    """Handles of the scorers :func:`start_scorers` started under ``name`` in ``namespace``."""
    prefix = f"{name}-"
    deadline = time.monotonic() + 10  # a scorer just started may take a moment to be listed
    while True:
        names = sorted(
            (a["name"] for a in ray.util.list_named_actors(all_namespaces=True)
             if a.get("namespace") == namespace and a["name"].startswith(prefix)
             and a["name"][len(prefix):].isdigit()),
            key=lambda n: int(n[len(prefix):]),
        )
        if names or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    if not names:
        raise LookupError(
            f"no Assay scorer named {prefix}N in Ray namespace {namespace!r}: start them "
            "first with assay.ray.start_scorers(config, replicas=...)"
        )
    return [ray.get_actor(n, namespace=namespace) for n in names]


def _scorers(scorer: Any) -> List[Any]:
    if scorer is None or isinstance(scorer, str):
        key = (scorer or DEFAULT_SCORER_NAME, DEFAULT_NAMESPACE)
        if key not in _found:
            _found[key] = find_scorers(*key)
        return _found[key]
    if isinstance(scorer, (list, tuple)):
        return list(scorer)
    return [scorer]


def _call(actor: Any, method: str, args: Tuple[Any, ...], kwargs: Dict[str, Any], patience: float) -> Any:
    """Submits ``actor.method(*args, **kwargs)``, waiting while the scorer refuses it."""
    deadline = time.monotonic() + patience
    delay = 0.01
    while True:
        try:
            return ray.get(getattr(actor, method).remote(*args, **kwargs))
        except ray.exceptions.PendingCallsLimitExceeded:
            pass
        except ray.exceptions.RayTaskError as exc:
            if not isinstance(exc, OverloadedError) and not isinstance(
                getattr(exc, "cause", None), OverloadedError
            ):
                raise
        if time.monotonic() >= deadline:
            raise TimeoutError(
                f"the Assay scorer stayed overloaded for {patience:.0f} s; add scorers "
                "or raise max_queue"
            )
        time.sleep(delay)
        delay = min(delay * 2, 1.0)


def _split(n: int, parts: int) -> List[Tuple[int, int]]:
    parts = max(1, min(parts, n))
    bounds = [n * k // parts for k in range(parts + 1)]
    return [(bounds[k], bounds[k + 1]) for k in range(parts)]


def score_remote(
    items: Sequence[Dict[str, Any]],
    *,
    scorer: Any = None,
    patience: float = 600.0,
    **kwargs: Any,
) -> List[Dict[str, Any]]:
    """Scores ``items`` on :class:`AssayScorer` actors and returns one result per item, in
    order. ``scorer``: a handle, a name, or a list of them (the items are split evenly over
    them, scored in parallel); default: every scorer :func:`start_scorers` started. Calls
    the scorer refuses (back-pressure) are retried with backoff for up to ``patience``
    seconds. Keyword arguments go to :meth:`assay.Engine.score` (``grader``, ``deadline`` …).

    Groups (for ``advantage=``) must not be split: pass one scorer, or compute advantages
    yourself."""
    items = list(items)
    if not items:
        return []
    return _fan_out(
        _scorers(scorer), "score", len(items), lambda lo, hi: (items[lo:hi],), kwargs, patience,
        list.__add__,
    )


def _fan_out(
    actors: List[Any],
    method: str,
    n: int,
    args_of: Callable[[int, int], Tuple[Any, ...]],
    kwargs: Dict[str, Any],
    patience: float,
    merge: Callable[[Any, Any], Any],
) -> Any:
    """Calls ``method`` on the actors, each with an even, contiguous share of ``n`` rows,
    in parallel (one thread per share), and merges the answers in order."""
    chunks = _split(n, len(actors))
    if len(chunks) <= 1:
        return _call(actors[0], method, args_of(0, n), kwargs, patience)
    parts: List[Any] = [None] * len(chunks)

    def run(k: int, lo: int, hi: int) -> None:
        try:
            parts[k] = _call(actors[k], method, args_of(lo, hi), kwargs, patience)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            parts[k] = exc

    threads = [
        threading.Thread(target=run, args=(k, lo, hi), daemon=True)
        for k, (lo, hi) in enumerate(chunks)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    out = None
    for part in parts:
        if isinstance(part, BaseException):
            raise part
        out = part if out is None else merge(out, part)
    return out


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[Any],
    ground_truths: Sequence[Any],
    extra_infos: Optional[Sequence[Any]] = None,
    *,
    scorer: Any = None,
    patience: float = 600.0,
    **kwargs: Any,
) -> List[Dict[str, Any]]:
    """verl's batch reward function (``reward_model.reward_manager=batch``), scored by the
    scorers :func:`start_scorers` started (or ``scorer``), the batch split evenly over them:
    the same dicts as :func:`assay.integrations.verl.compute_score_batch`."""
    n = len(solution_strs)
    extra = list(extra_infos) if extra_infos is not None else [None] * n
    columns = (list(data_sources), list(solution_strs), list(ground_truths), extra)
    return _fan_out(
        _scorers(scorer), "compute_score_batch", n,
        lambda lo, hi: tuple(c[lo:hi] for c in columns), kwargs, patience, list.__add__,
    )


def reward_func(
    queries: Sequence[str],
    prompts: Sequence[str],
    labels: Sequence[Any],
    *,
    scorer: Any = None,
    patience: float = 600.0,
    **kwargs: Any,
) -> Dict[str, Any]:
    """OpenRLHF's ``reward_func``, scored by the scorers :func:`start_scorers` started (or
    ``scorer``), the batch split evenly over them: the dict of
    :func:`assay.integrations.openrlhf.reward_func`, as torch tensors when torch imports."""
    columns = (list(queries), list(prompts), list(labels))

    def merge(a: Dict[str, Any], b: Dict[str, Any]) -> Dict[str, Any]:
        return {
            "rewards": a["rewards"] + b["rewards"],
            "scores": a["scores"] + b["scores"],
            "extra_logs": {k: a["extra_logs"][k] + b["extra_logs"][k] for k in a["extra_logs"]},
        }

    out = _fan_out(
        _scorers(scorer), "reward_func", len(queries),
        lambda lo, hi: tuple(c[lo:hi] for c in columns), kwargs, patience, merge,
    )
    try:
        import torch
    except ImportError:
        return out

    def tensor(v: Any) -> Any:
        return torch.tensor(v, dtype=torch.float32) if isinstance(v, list) else v

    return {
        "rewards": tensor(out["rewards"]),
        "scores": tensor(out["scores"]),
        "extra_logs": {k: tensor(v) for k, v in out["extra_logs"].items()},
    }

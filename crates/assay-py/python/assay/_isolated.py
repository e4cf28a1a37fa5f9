"""Scoring rows in a child process, so that a row that kills its process costs only its own
result (used by :mod:`assay.ray` on batches that already killed a worker once).

This module imports neither Ray nor anything heavy: the child process runs
``python -m assay._isolated`` and speaks length-prefixed pickle frames over two pipes.

* :func:`items_of` turns dataset rows into items (a column mapping and/or a user function),
  one item per row, never raising for one bad row.
* :class:`IsolatedScorer` scores rows in a child; when the child dies on a chunk, the chunk is
  split in two and each half retried in a fresh child, down to single rows. A single row whose
  child dies gets an ``error`` result (its second crash: the first was the batch that killed
  the Ray worker); every other row is scored normally.
"""

from __future__ import annotations

import json
import os
import pickle
import signal
import struct
import subprocess
import sys
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Tuple

#: The fields of an item, in the data model's order.
ITEM_FIELDS = ("id", "data_source", "group", "prompt", "response", "reference", "metadata")

_HEADER = struct.Struct("<Q")

#: The column ``assay.ray.read_jsonl`` fills for a line that is not a JSON object.
LINE_ERROR = "assay_line_error"


def items_of(
    rows: Sequence[Dict[str, Any]],
    columns: Mapping[str, str],
    to_item: Optional[Callable[[Dict[str, Any]], Dict[str, Any]]],
    json_columns: Sequence[str] = (),
) -> Tuple[List[Any], Dict[int, str]]:
    """Items for ``rows``: ``to_item(row)`` when given, else each item field read from the
    column ``columns.get(field, field)`` when the row has it. String values of the columns
    ``json_columns`` are JSON text, decoded first. Returns the items and, by row index, the
    message of rows that could not be made into items (their item is ``None``)."""
    items: List[Any] = []
    failed: Dict[int, str] = {}
    for i, row in enumerate(rows):
        line_error = row.get(LINE_ERROR)
        if line_error:
            failed[i] = line_error
            items.append(None)
            continue
        if json_columns:
            try:
                row = _decoded(row, json_columns)
            except ValueError as exc:
                failed[i] = str(exc)
                items.append(None)
                continue
        if to_item is not None:
            try:
                item = to_item(row)
            except Exception as exc:  # noqa: BLE001 - one row's failure is that row's result
                failed[i] = f"to_item raised {type(exc).__name__}: {exc}"
                items.append(None)
                continue
            items.append(item)
            continue
        item = {}
        for field in ITEM_FIELDS:
            column = columns.get(field, field)
            if column in row:
                value = row[column]
                if value is not None or field in ("response", "reference"):
                    item[field] = value
        items.append(item)
    return items, failed


def _decoded(row: Dict[str, Any], json_columns: Sequence[str]) -> Dict[str, Any]:
    row = dict(row)
    for column in json_columns:
        value = row.get(column)
        if isinstance(value, str):
            try:
                row[column] = json.loads(value)
            except ValueError as exc:
                raise ValueError(f"column `{column}` is not JSON text: {exc}") from None
    return row


def malformed(message: str, component_keys: Sequence[str], fallback: Optional[float]) -> Dict[str, Any]:
    """The result of a row that could not be made into an item."""
    return failure("malformed_input", message, component_keys, fallback)


def failure(
    kind: str, message: str, component_keys: Sequence[str], fallback: Optional[float]
) -> Dict[str, Any]:
    """An ``error`` result of ``kind`` with the configuration's component keys (all ``None``)."""
    return {
        "id": None,
        "reward": fallback,
        "status": "error",
        "components": {k: None for k in component_keys},
        "pred": None,
        "explanation": {},
        "error": {"kind": kind, "message": message},
        "grader": None,
        "elapsed_ms": 0.0,
    }


def score_rows(
    engine: Any,
    rows: Sequence[Dict[str, Any]],
    columns: Mapping[str, str],
    to_item: Optional[Callable[[Dict[str, Any]], Dict[str, Any]]],
    score_kwargs: Mapping[str, Any],
    fallback: Optional[float],
    json_columns: Sequence[str] = (),
) -> List[Dict[str, Any]]:
    """One result per row: the rows made into items and scored together by ``engine``."""
    items, failed = items_of(rows, columns, to_item, json_columns)
    if not failed:
        return engine.score(items, **score_kwargs)
    keys = engine.component_keys(score_kwargs.get("grader"))
    good = [i for i in range(len(items)) if i not in failed]
    scored = engine.score([items[i] for i in good], **score_kwargs) if good else []
    out: List[Dict[str, Any]] = [None] * len(items)  # type: ignore[list-item]
    for i, result in zip(good, scored):
        out[i] = result
    for i, message in failed.items():
        out[i] = malformed(message, keys, fallback)
    return out


def _write(stream: Any, obj: Any) -> None:
    data = pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)
    stream.write(_HEADER.pack(len(data)))
    stream.write(data)
    stream.flush()


def _read(stream: Any) -> Any:
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        raise EOFError("the other side closed the pipe")
    (size,) = _HEADER.unpack(header)
    data = stream.read(size)
    if len(data) < size:
        raise EOFError("the other side closed the pipe mid-frame")
    return pickle.loads(data)


class ChildDied(Exception):
    """The child process died while scoring a chunk."""

    def __init__(self, how: str) -> None:
        super().__init__(how)
        self.how = how


def _describe_exit(code: Optional[int]) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (killed: out of memory?)" if -code == signal.SIGKILL else ""
        return f"it was killed by {name}{hint}"
    return f"it exited with code {code}"


class _Child:
    """One child process running :func:`_main`."""

    def __init__(self, init: Dict[str, Any]) -> None:
        env = dict(os.environ)
        env.setdefault("ASSAY_THREADS", "1")
        # The child imports what the parent could (to unpickle ``to_item`` by reference).
        env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "assay._isolated"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env=env,
        )
        try:
            _write(self.proc.stdin, init)
            ready = _read(self.proc.stdout)
        except (EOFError, BrokenPipeError, OSError) as exc:
            raise RuntimeError(f"the isolated scoring process did not start: {exc}") from exc
        if ready.get("error"):
            self.close()
            raise RuntimeError(f"the isolated scoring process did not start: {ready['error']}")

    def score(self, rows: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
        try:
            _write(self.proc.stdin, rows)
            reply = _read(self.proc.stdout)
        except (EOFError, BrokenPipeError, OSError):
            code = self.proc.wait()
            raise ChildDied(_describe_exit(code)) from None
        if "error" in reply:
            raise RuntimeError(reply["error"])
        return reply["results"]

    def close(self) -> None:
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


class IsolatedScorer:
    """Scores rows in child processes, bisecting around rows that kill them.

    ``config`` and ``source`` are an engine's configuration (JSON text) and its source name;
    ``to_item`` is sent pickled (pass bytes made with a pickler that can carry closures, e.g.
    cloudpickle). ``crash_message`` is prefixed to the error message of a row that killed its
    child. ``stats`` counts ``children`` started and ``crashes`` seen.
    """

    def __init__(
        self,
        config: str,
        source: str,
        columns: Mapping[str, str],
        to_item: Optional[bytes],
        score_kwargs: Mapping[str, Any],
        component_keys: Sequence[str],
        fallback: Optional[float],
        crash_message: str,
        json_columns: Sequence[str] = (),
    ) -> None:
        self._init = {
            "json_columns": list(json_columns),
            "config": config,
            "source": source,
            "columns": dict(columns),
            "to_item": to_item,
            "score_kwargs": dict(score_kwargs),
            "fallback": fallback,
        }
        self._keys = list(component_keys)
        self._fallback = fallback
        self._crash_message = crash_message
        self.stats = {"children": 0, "crashes": 0, "rows_crashed": 0}

    def score(self, rows: Sequence[Dict[str, Any]]) -> List[Dict[str, Any]]:
        """One result per row, in order."""
        out: List[Optional[Dict[str, Any]]] = [None] * len(rows)
        pending = [(0, len(rows))] if rows else []
        child: Optional[_Child] = None
        try:
            while pending:
                lo, hi = pending.pop()
                if child is None:
                    child = _Child(self._init)
                    self.stats["children"] += 1
                try:
                    results = child.score(list(rows[lo:hi]))
                except ChildDied as died:
                    child = None
                    self.stats["crashes"] += 1
                    if hi - lo == 1:
                        self.stats["rows_crashed"] += 1
                        out[lo] = failure(
                            "internal",
                            f"{self._crash_message}; scored alone in an isolated process, "
                            f"{died.how}",
                            self._keys,
                            self._fallback,
                        )
                    else:
                        mid = (lo + hi) // 2
                        pending.append((mid, hi))
                        pending.append((lo, mid))
                    continue
                out[lo:hi] = results
        finally:
            if child is not None:
                child.close()
        return out  # type: ignore[return-value]


def _main() -> None:
    """The child: reads the init frame, then scores chunks of rows until stdin closes."""
    frames_out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # whatever user code prints goes to stderr, never into the frames
    frames_in = sys.stdin.buffer
    init = _read(frames_in)
    try:
        from assay import _native, Engine

        engine = Engine._wrap(_native.Engine.from_json(init["config"], init["source"]))
        to_item = pickle.loads(init["to_item"]) if init["to_item"] is not None else None
    except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises it
        _write(frames_out, {"error": f"{type(exc).__name__}: {exc}"})
        return
    _write(frames_out, {"ready": True})
    while True:
        try:
            rows = _read(frames_in)
        except EOFError:
            return
        try:
            results = score_rows(
                engine, rows, init["columns"], to_item, init["score_kwargs"], init["fallback"],
                init["json_columns"],
            )
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            _write(frames_out, {"error": f"{type(exc).__name__}: {exc}"})
            continue
        _write(frames_out, {"results": results})


if __name__ == "__main__":
    _main()

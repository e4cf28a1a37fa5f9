"""Test-time selection: pick one response per group of samples.

::

    import assay

    out = assay.select(
        responses=["so \\\\boxed{\\\\frac12}", "I get 0.5", "\\\\boxed{2}"],
        groups=["q1", "q1", "q1"],
    )
    out[0]["answer"], out[0]["clusters"][0]["size"]     # '\\\\frac12', 2

Input is one of:

- a list of dicts (``group``, ``response`` and, when known, ``score``, ``label``,
  ``reference``, ``answer``, ``id``);
- a pandas or polars DataFrame with those columns;
- columns as keyword lists: ``responses`` plus ``groups``, ``scores``, ``labels``,
  ``references``, ``answers``, ``ids``.

``method`` is ``"majority"`` (largest cluster of equivalent answers), ``"best-of-n"`` (highest
score), or ``"weighted-sum"``, ``"weighted-max"``, ``"weighted-mean"`` (clusters weighed by
their members' scores). ``engine=`` scores the responses first with an :class:`assay.Engine`
(its rewards become the scores). Answers are clustered by the math grader's equivalence
(``equivalence="exact"`` compares text). ``min_confidence`` abstains when the winning cluster
holds less than that share of the group.

Returns one dict per group, in order of first appearance: ``chosen`` (index in the group, or
``None`` when abstaining), ``answer``, ``response``, ``confidence``, ``reason``, ``clusters``
(``answer``, ``members``, ``size``, ``weight``, ``correct``), ``abstained`` and, with
``estimators=True``, ``estimates``: ``pass_at_k``, ``verified_pass_at_k``, ``maj_at_k`` and
``best_of_k`` for every k up to the group's size (entry k-1), when labels or a reference make
them meaningful. Ties are broken deterministically (see the ``assay-select`` crate docs).
"""

from __future__ import annotations

import math
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence

from . import _native

_COLUMNS = {
    "groups": "group",
    "responses": "response",
    "scores": "score",
    "labels": "label",
    "references": "reference",
    "answers": "answer",
    "ids": "id",
}


def _clean(value: Any) -> Any:
    """Missing values of data frames (NaN, None, pandas NA) become None."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if type(value).__name__ in ("NAType", "NaTType"):
        return None
    return value


def _records(data: Any) -> List[Dict[str, Any]]:
    if hasattr(data, "to_dicts"):  # polars
        rows = data.to_dicts()
    elif hasattr(data, "to_dict") and hasattr(data, "columns"):  # pandas
        rows = data.to_dict(orient="records")
    elif isinstance(data, Mapping):
        raise TypeError(
            "select() takes a list of records (dicts), a DataFrame, or column lists as "
            "keywords (responses=..., groups=...), not a single dict"
        )
    else:
        rows = list(data)
    out = []
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise TypeError(f"record {i} is a {type(row).__name__}, not a dict")
        out.append({str(k): _clean(v) for k, v in row.items()})
    return out


def _from_columns(columns: Dict[str, Optional[Sequence[Any]]]) -> List[Dict[str, Any]]:
    responses = columns.get("responses")
    if responses is None:
        raise TypeError("give the responses: select(data) or select(responses=[...], ...)")
    n = len(responses)
    rows: List[Dict[str, Any]] = [{} for _ in range(n)]
    for key, values in columns.items():
        if values is None:
            continue
        values = list(values)
        if len(values) != n:
            raise ValueError(f"{key} has {len(values)} entries, responses has {n}")
        for row, v in zip(rows, values):
            row[_COLUMNS[key]] = _clean(v)
    if columns.get("groups") is None:
        for row in rows:
            row["group"] = "0"  # one group of all the responses
    return rows


def select(
    data: Any = None,
    *,
    responses: Optional[Sequence[Any]] = None,
    groups: Optional[Sequence[Any]] = None,
    scores: Optional[Sequence[Optional[float]]] = None,
    labels: Optional[Sequence[Optional[bool]]] = None,
    references: Optional[Sequence[Optional[str]]] = None,
    answers: Optional[Sequence[Optional[str]]] = None,
    ids: Optional[Sequence[Any]] = None,
    method: str = "majority",
    equivalence: str = "math",
    min_confidence: Optional[float] = None,
    decimal_tolerance: Optional[float] = None,
    last_answer_on_conflict: bool = False,
    estimators: bool = True,
    engine: Any = None,
) -> List[Dict[str, Any]]:
    """Selects one response per group; see the module documentation."""
    columns = dict(responses=responses, groups=groups, scores=scores, labels=labels,
                   references=references, answers=answers, ids=ids)
    if data is not None:
        if any(v is not None for v in columns.values()):
            raise TypeError("give either data or column keywords, not both")
        records = _records(data)
    else:
        records = _from_columns(columns)
    if engine is not None:
        results = engine.score([{"response": r.get("response") or "",
                                 "reference": r.get("reference"),
                                 "id": r.get("id")} for r in records])
        for r, res in zip(records, results):
            r["score"] = res["reward"] if res["status"] in ("ok", "invalid") else None
    return _native.select(
        records,
        method=method,
        equivalence=equivalence,
        min_confidence=min_confidence,
        decimal_tolerance=decimal_tolerance,
        last_answer_on_conflict=last_answer_on_conflict,
        estimators=estimators,
    )

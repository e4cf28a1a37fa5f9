"""verl drop-in: ``compute_score`` for ``custom_reward_function``.

verl calls ``compute_score(data_source, solution_str, ground_truth, extra_info)`` once per
response (the ``naive`` reward manager) and keeps every key of the returned dict as a
per-sample metric. This one returns::

    {"score": float,            # the reward; 0.0 when the item could not be graded
     "acc": bool,               # graded ok with score >= acc_threshold (default 1.0)
     "pred": str,               # the answer the grader read ("" when none)
     "reward_status": str,      # ok | invalid | not_applicable | timeout | error
     "reward_error": bool,      # True when score is not a real grade (never a silent zero)
     "reward_error_message": str,
     **components}              # the configuration's component keys: float, or None when
                                # the item's grader did not compute it (its reward_status and
                                # reward_error_message say why); never NaN

The key set is the same for every item of a configuration, as verl needs. Items are routed
by ``data_source`` through the process-wide configuration (see :mod:`assay.integrations`):
``config=`` (verl's ``custom_reward_function.reward_kwargs``), :func:`configure`, the
``ASSAY_CONFIG`` environment variable, or the ``math`` grader. The engine is built once per
process and cached.

``compute_score_batch`` takes the lists of verl's ``batch`` reward manager and grades them in
parallel across cores: much faster than one call per item.
"""

from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Sequence

from assay.integrations._common import ConfigLike, configure, get_engine, is_failure, report_failure

__all__ = ["compute_score", "compute_score_batch", "configure", "RESERVED_KEYS"]

#: Keys of the returned dict that are not components; a component of the same name is
#: returned as ``component.NAME``.
RESERVED_KEYS = (
    "score",
    "acc",
    "pred",
    "reward_status",
    "reward_error",
    "reward_error_message",
)


def _jsonable(value: Any, depth: int = 0) -> Any:
    """verl's ``extra_info`` as JSON for the item's ``metadata``: numpy values become plain
    ones, anything else without a JSON form becomes its ``repr`` (metadata must never make an
    item fail)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if depth > 32:
        return repr(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v, depth + 1) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, depth + 1) for v in value]
    tolist = getattr(value, "tolist", None)
    if callable(tolist):
        try:
            return _jsonable(tolist(), depth + 1)
        except Exception:  # noqa: BLE001 - fall through to repr
            pass
    return repr(value)


def _item(data_source: Any, solution_str: Any, ground_truth: Any, extra_info: Any) -> Dict[str, Any]:
    item: Dict[str, Any] = {
        "response": solution_str,
        "reference": ground_truth,
    }
    if data_source is not None:
        item["data_source"] = str(data_source)
    if extra_info is not None:
        item["metadata"] = _jsonable(extra_info)
    return item


def _to_verl(result: Dict[str, Any], keys: Sequence[str], acc_threshold: float) -> Dict[str, Any]:
    reward = result["reward"]
    failed = is_failure(result)
    message = ""
    if failed:
        message = report_failure("assay.integrations.verl", result)
    score = float(reward) if reward is not None else 0.0
    out: Dict[str, Any] = {
        "score": score,
        "acc": bool(result["status"] == "ok" and score >= acc_threshold),
        "pred": result["pred"] or "",
        "reward_status": result["status"],
        "reward_error": failed,
        "reward_error_message": message,
    }
    components = result["components"]
    for key in keys:
        value = components.get(key)
        name = f"component.{key}" if key in RESERVED_KEYS else key
        out[name] = float(value) if value is not None else None
    return out


def compute_score(
    data_source: Any,
    solution_str: Any,
    ground_truth: Any,
    extra_info: Optional[Dict[str, Any]] = None,
    *,
    config: Optional[ConfigLike] = None,
    acc_threshold: float = 1.0,
    **kwargs: Any,
) -> Dict[str, Any]:
    """Grades one response, routed by ``data_source``; see the module documentation for the
    returned dict. ``extra_info`` becomes the item's ``metadata``; other keyword arguments
    verl passes (``sandbox_fusion_url`` …) are accepted and ignored."""
    engine = get_engine(config)
    result = engine.score([_item(data_source, solution_str, ground_truth, extra_info)])[0]
    return _to_verl(result, engine.component_keys(), acc_threshold)


def compute_score_batch(
    data_sources: Sequence[Any],
    solution_strs: Sequence[Any],
    ground_truths: Sequence[Any],
    extra_infos: Optional[Sequence[Any]] = None,
    *,
    config: Optional[ConfigLike] = None,
    acc_threshold: float = 1.0,
    **kwargs: Any,
) -> List[Dict[str, Any]]:
    """:func:`compute_score` for verl's ``batch`` reward manager: the lists are graded
    together, in parallel, and one dict per response comes back, in order."""
    n = len(solution_strs)
    if len(data_sources) != n or len(ground_truths) != n:
        raise ValueError(
            f"data_sources ({len(data_sources)}), solution_strs ({n}) and ground_truths "
            f"({len(ground_truths)}) must have the same length"
        )
    if extra_infos is None:
        extra_infos = [None] * n
    elif len(extra_infos) != n:
        raise ValueError(f"extra_infos has {len(extra_infos)} entries for {n} responses")
    engine = get_engine(config)
    items = [
        _item(ds, sol, gt, extra)
        for ds, sol, gt, extra in zip(data_sources, solution_strs, ground_truths, extra_infos)
    ]
    keys = engine.component_keys()
    return [_to_verl(r, keys, acc_threshold) for r in engine.score(items)]


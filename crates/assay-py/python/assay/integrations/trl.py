"""TRL drop-in: reward functions for ``GRPOTrainer`` (and the other TRL trainers that take
``reward_funcs``).

TRL calls each reward function as ``f(prompts=..., completions=..., completion_ids=...,
**columns)``, where ``columns`` are the other columns of the dataset, one list entry per
completion, plus ``trainer_state``. Prompts and completions are strings (standard format) or
lists of chat messages (conversational format); a conversational completion is graded on its
last assistant message. The function returns one ``float | None`` per completion: ``None``
when the grader does not apply or the item failed (TRL turns it into NaN and ignores it in
the sum over reward functions), unless a ``fallback`` reward was given for failures.
When TRL passes its logging hooks (``log_metric``, ``log_extra``), the share of failed and
``invalid`` items is logged as ``assay/NAME/failed`` and ``assay/NAME/invalid``, and each
completion's status and prediction as ``NAME_status`` and ``NAME_pred`` columns.

The reference comes from the dataset column named ``reference_column`` or, by default, the
first present of ``reference``, ``answer``, ``solution``, ``ground_truth``. A ``data_source``
column routes items; completions of the same prompt form one ``group`` (group shaping).
"""

from __future__ import annotations

import json
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

from assay import Engine
from assay.integrations._common import ConfigLike, get_engine, is_failure, report_failure

__all__ = ["reward_funcs", "REFERENCE_COLUMNS"]

#: Columns tried, in order, for the reference when ``reference_column`` is not given.
REFERENCE_COLUMNS = ("reference", "answer", "solution", "ground_truth")

#: Keyword arguments TRL passes that are not dataset columns.
_NOT_COLUMNS = ("trainer_state", "log_extra", "log_metric", "environments", "completion_ids")

RewardFunc = Callable[..., List[Optional[float]]]


def _group_key(prompt: Any) -> str:
    if isinstance(prompt, str):
        return prompt
    try:
        return json.dumps(prompt, sort_keys=True, default=repr)
    except (TypeError, ValueError):
        return repr(prompt)


def _column(kwargs: Dict[str, Any], name: str, n: int) -> Optional[List[Any]]:
    values = kwargs.get(name)
    if values is None or isinstance(values, (str, bytes, dict)):
        return None
    try:
        values = list(values)
    except TypeError:
        return None
    if len(values) != n:
        raise ValueError(f"column `{name}` has {len(values)} entries for {n} completions")
    return values


def _log(kwargs: Dict[str, Any], name: str, results: List[Dict[str, Any]]) -> None:
    """Uses the logging hooks recent TRL versions pass (``log_metric``, ``log_extra``): the
    share of failed (``timeout``/``error``) and ``invalid`` items as metrics, each
    completion's status and prediction as columns of the completions table."""
    n = max(len(results), 1)
    log_metric = kwargs.get("log_metric")
    if callable(log_metric):
        failed = sum(r["status"] in ("timeout", "error") for r in results)
        invalid = sum(r["status"] == "invalid" for r in results)
        log_metric(f"assay/{name}/failed", failed / n)
        log_metric(f"assay/{name}/invalid", invalid / n)
    log_extra = kwargs.get("log_extra")
    if callable(log_extra):
        log_extra(f"{name}_status", [r["status"] for r in results])
        log_extra(f"{name}_pred", [r["pred"] or "" for r in results])


def _explain_missing_reference(results: List[Dict[str, Any]], kwargs: Dict[str, Any]) -> None:
    """When no dataset column held a reference and a grader needed one, says in each such
    result's error which columns were looked for and which were passed."""
    columns = sorted(k for k in kwargs if k not in _NOT_COLUMNS)
    hint = (
        f" (the TRL reward function looked for the reference in the dataset columns "
        f"{', '.join(REFERENCE_COLUMNS)}; columns passed: {', '.join(columns) or 'none'}; "
        "name the column with reward_funcs(..., reference_column=NAME))"
    )
    for result in results:
        error = result.get("error")
        if error and error.get("kind") == "bad_reference":
            error["message"] = f"{error['message']}{hint}"


def _make(
    engine: Engine,
    grader: Optional[str],
    name: str,
    reference_column: Optional[str],
    fallback: Optional[float],
    metadata_columns: Sequence[str],
) -> RewardFunc:
    def reward(prompts: Any = None, completions: Any = None, **kwargs: Any) -> List[Optional[float]]:
        if completions is None:
            raise TypeError(f"{name}: missing `completions`")
        completions = list(completions)
        n = len(completions)
        prompts = list(prompts) if prompts is not None else [None] * n
        if len(prompts) != n:
            raise ValueError(f"{name}: {len(prompts)} prompts for {n} completions")
        if reference_column is not None:
            references = _column(kwargs, reference_column, n)
            if references is None:
                columns = sorted(k for k in kwargs if k not in _NOT_COLUMNS)
                raise ValueError(
                    f"{name}: no dataset column `{reference_column}` for the reference; "
                    f"columns passed: {', '.join(columns) or 'none'}"
                )
        else:
            references = next(
                (c for c in (_column(kwargs, k, n) for k in REFERENCE_COLUMNS) if c is not None),
                None,
            )
        data_sources = _column(kwargs, "data_source", n)
        metadata = {k: _column(kwargs, k, n) for k in metadata_columns}
        groups: Dict[str, str] = {}
        items = []
        for i, completion in enumerate(completions):
            item: Dict[str, Any] = {"id": i, "response": completion}
            prompt = prompts[i]
            if prompt is not None:
                item["prompt"] = prompt
                item["group"] = groups.setdefault(_group_key(prompt), str(len(groups)))
            if references is not None:
                item["reference"] = references[i]
            if data_sources is not None and data_sources[i] is not None:
                item["data_source"] = str(data_sources[i])
            if metadata:
                item["metadata"] = {
                    k: (v[i] if v is not None else None) for k, v in metadata.items()
                }
            items.append(item)
        results = engine.score(items, grader=grader)
        if references is None:
            _explain_missing_reference(results, kwargs)
        out: List[Optional[float]] = []
        for result in results:
            value = result["reward"]
            if is_failure(result):
                report_failure(f"assay.integrations.trl.{name}", result)
                if value is None and fallback is not None and result["status"] != "not_applicable":
                    value = fallback
            out.append(value)
        _log(kwargs, name, results)
        return out

    reward.__name__ = name
    reward.__qualname__ = name
    reward.__doc__ = (
        f"Assay reward `{name}` for TRL: (prompts, completions, **columns) -> list[float | None]."
    )
    reward.engine = engine  # type: ignore[attr-defined]
    reward.grader = grader  # type: ignore[attr-defined]
    return reward


def reward_funcs(
    engine: Union[Engine, ConfigLike, None] = None,
    *,
    graders: Optional[Sequence[str]] = None,
    reference_column: Optional[str] = None,
    fallback: Optional[float] = None,
    name: Optional[str] = None,
    metadata_columns: Sequence[str] = (),
) -> List[RewardFunc]:
    """Reward functions for ``GRPOTrainer(reward_funcs=...)``.

    ``engine`` is an :class:`~assay.Engine`, a configuration (a path or a dict), or ``None``
    for the process-wide configuration (``ASSAY_CONFIG`` or the ``math`` grader).

    Without ``graders``: one function that routes each completion by its ``data_source``
    column, named ``name``, the engine's grader when it has one, or ``assay``. With
    ``graders=["answer", "fmt"]``: one function per named grader of the configuration, named
    after it, so TRL logs each reward separately and weighs them with ``reward_weights``.

    ``reference_column`` names the dataset column holding the reference (default: the first
    present of ``reference``, ``answer``, ``solution``, ``ground_truth``). ``fallback`` is the
    reward of items that failed (``timeout``/``error``); by default they are ``None``.
    ``metadata_columns`` are dataset columns passed to graders as the item's ``metadata``.
    Failures are also logged on the ``assay`` logger.
    """
    if not isinstance(engine, Engine):
        engine = get_engine(engine)
    if graders is None:
        known = engine.graders
        fname = name or (known[0] if len(known) == 1 else "assay")
        return [_make(engine, None, fname, reference_column, fallback, metadata_columns)]
    if isinstance(graders, str):
        graders = [graders]
    known = set(engine.graders)
    missing = [g for g in graders if g not in known]
    if missing:
        raise ValueError(
            f"no grader named {', '.join(map(repr, missing))} in the configuration; "
            f"configured: {', '.join(engine.graders)}"
        )
    return [
        _make(engine, g, g, reference_column, fallback, metadata_columns) for g in graders
    ]

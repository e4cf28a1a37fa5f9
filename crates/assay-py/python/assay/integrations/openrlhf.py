"""OpenRLHF drop-in: ``reward_func`` for ``--remote_rm_url /path/to/file.py``.

OpenRLHF loads a Python file given as ``--remote_rm_url`` and calls its
``reward_func(queries, prompts, labels)``: ``queries`` are the decoded sequences (prompt and
response, with special tokens), ``prompts`` the prompts and ``labels`` the ``--label_key``
column. The response is the part of each query after its prompt, with chat-template,
end-of-sequence and padding tokens (``<|im_end|>``, ``<|endoftext|>``, ``</s>``,
``<|eot_id|>`` …; see :data:`STRIP_TOKENS`) stripped from both ends, as ``assay serve``'s
``/get_reward`` does.

It returns ``{"rewards", "scores", "extra_logs"}``. OpenRLHF needs a number for every
sample, so an item that could not be graded (``timeout``, ``error``, ``not_applicable``) gets
``fallback`` (0.0 by default), is logged on the ``assay`` logger and is flagged in
``extra_logs``. ``scores`` (used for dynamic filtering) are the same numbers. ``extra_logs``
has the same keys as ``assay serve``'s ``/get_reward`` (:data:`EXTRA_LOG_KEYS`), one number
per sample, 1.0 when the sample was:

- ``assay_failed``: not graded (``timeout`` or ``error``);
- ``assay_invalid``: graded ``invalid`` (no gradable answer; its reward is real);
- ``assay_not_applicable``: ``not_applicable``;
- ``assay_prompt_not_found``: its prompt does not occur in its query, so the whole query was
  graded (also logged as a warning).

OpenRLHF averages each over the batch, so its logs show the share of each case.

The values are ``torch.float32`` tensors when ``torch`` can be imported (as OpenRLHF
expects), else plain lists of floats.

The configuration is the process-wide one of :mod:`assay.integrations` (``config=``,
:func:`configure`, ``ASSAY_CONFIG``, or the ``math`` grader); items are routed by the
``data_sources`` keyword argument when given.
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Sequence

from assay import _native
from assay.integrations._common import ConfigLike, configure, get_engine, is_failure, report_failure

__all__ = ["reward_func", "response_of", "strip", "configure", "STRIP_TOKENS", "EXTRA_LOG_KEYS"]

#: Chat-template, end-of-sequence and padding tokens stripped from both ends of a response
#: (ChatML/Qwen, Llama 2 and 3, Phi-3, Gemma, Mistral, DeepSeek): the defaults of
#: ``assay serve``'s ``/get_reward``, read from the engine so both always agree.
STRIP_TOKENS = tuple(_native.DEFAULT_STRIP_TOKENS)

#: The keys of ``extra_logs``: the same as ``assay serve``'s ``/get_reward`` (read from the
#: engine, so both always agree).
EXTRA_LOG_KEYS = tuple(_native.OPENRLHF_EXTRA_LOG_KEYS)


def strip(text: str, tokens: Sequence[str] = STRIP_TOKENS) -> str:
    """Removes ``tokens`` and whitespace from both ends of ``text``, repeatedly (tokens inside
    the text stay)."""
    return _native.strip(text, list(tokens))


def response_of(query: str, prompt: Optional[str], tokens: Sequence[str] = STRIP_TOKENS) -> str:
    """The response inside ``query``: what follows ``prompt`` (at the start, or else at its
    first occurrence, so left padding or a BOS token before it do not matter), with
    :data:`STRIP_TOKENS` and whitespace stripped from both ends. A query that does not contain
    its prompt is taken whole. The same Rust function as ``assay serve``'s ``/get_reward``."""
    response, _found = _native.response_of(query, prompt, list(tokens))
    return response


def _tensor(values: List[float]) -> Any:
    try:
        import torch
    except ImportError:
        return values
    return torch.tensor(values, dtype=torch.float32)


def reward_func(
    queries: Sequence[str],
    prompts: Sequence[str],
    labels: Sequence[Any],
    *,
    config: Optional[ConfigLike] = None,
    data_sources: Optional[Sequence[Optional[str]]] = None,
    fallback: float = 0.0,
    strip_tokens: Sequence[str] = STRIP_TOKENS,
    **kwargs: Any,
) -> Dict[str, Any]:
    """Grades a batch of OpenRLHF samples; see the module documentation."""
    n = len(queries)
    if len(prompts) != n or len(labels) != n:
        raise ValueError(
            f"queries ({n}), prompts ({len(prompts)}) and labels ({len(labels)}) "
            "must have the same length"
        )
    if data_sources is not None and len(data_sources) != n:
        raise ValueError(f"data_sources has {len(data_sources)} entries for {n} queries")
    engine = get_engine(config)
    items = []
    not_found: List[float] = []
    for i in range(n):
        response, found = _native.response_of(queries[i], prompts[i], list(strip_tokens))
        not_found.append(0.0 if found else 1.0)
        item: Dict[str, Any] = {
            "id": i,
            "prompt": prompts[i],
            "response": response,
            "reference": labels[i],
        }
        if data_sources is not None and data_sources[i] is not None:
            item["data_source"] = str(data_sources[i])
        items.append(item)
    missing = int(sum(not_found))
    if missing:
        logging.getLogger("assay").warning(
            "assay.integrations.openrlhf: %d of %d prompts do not occur in their query (first: "
            "sample %d), so the whole query was graded as the response; check that `prompts` "
            "are the texts the queries start with",
            missing,
            n,
            not_found.index(1.0),
        )
    rewards: List[float] = []
    flags: Dict[str, List[float]] = {key: [] for key in EXTRA_LOG_KEYS}
    failed_key, invalid_key, not_applicable_key, not_found_key = EXTRA_LOG_KEYS
    for result in engine.score(items):
        failed = is_failure(result)
        if failed:
            report_failure("assay.integrations.openrlhf", result)
        reward = result["reward"]
        rewards.append(float(reward) if reward is not None else float(fallback))
        status = result["status"]
        flags[failed_key].append(1.0 if status in ("timeout", "error") else 0.0)
        flags[invalid_key].append(1.0 if status == "invalid" else 0.0)
        flags[not_applicable_key].append(1.0 if status == "not_applicable" else 0.0)
    flags[not_found_key] = not_found
    extra_logs = {key: _tensor(values) for key, values in flags.items()}
    return {"rewards": _tensor(rewards), "scores": _tensor(list(rewards)), "extra_logs": extra_logs}

"""Assay: correct, fast, bounded and explainable rewards for LLM RL training.

The graders are Rust (the ``assay._native`` module); this package is a thin layer over them::

    import assay

    engine = assay.Engine(grader="math")                  # one grader kind, with options
    engine = assay.Engine.from_config("rewards.toml")     # or a dict: {"graders": ..., "routes": ...}
    results = engine.score([{"response": "so \\boxed{3/4}", "reference": "0.75"}])
    results[0]["reward"], results[0]["status"]            # 1.0, "ok"

Results are dicts with the fields of the data model (the repository README): ``id``,
``reward``, ``status`` (``ok``, ``invalid``, ``not_applicable``, ``timeout``, ``error``),
``components``, ``pred``, ``explanation``, ``error``, ``grader`` (the configured grader that
ran) and ``elapsed_ms`` (the item's own time). A failure is never silently a zero: its reward is
``None`` unless a fallback (``on_error``) was asked for.

Scoring releases the GIL and spreads the batch over all cores (``ASSAY_THREADS`` sets how
many); an engine is safe to share between threads, uses no signals, and pickles by its
configuration (for multiprocessing and Ray).

Drop-ins for trainers: :mod:`assay.integrations.verl`, :mod:`assay.integrations.trl` and
:mod:`assay.integrations.openrlhf`.
"""

from __future__ import annotations

import asyncio
import collections.abc
import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Union

from . import _native
from ._native import ConfigError
from .select import select

__all__ = ["Engine", "ConfigError", "graders", "select", "__version__"]

__version__: str = _native.__version__

#: One result: the fields of the data model (see the module docstring).
Result = Dict[str, Any]
#: A failure reward: ``"null"`` (the default: failures stay ``None``), ``"zero"``, or a number.
OnError = Union[str, float, int, None]


def graders() -> List[Dict[str, Any]]:
    """Documentation of every built-in grader kind (as ``assay graders --json`` prints it):
    ``name``, ``family``, ``summary``, ``reference`` (the reference shape it takes) and
    ``options`` (``name``, ``type``, ``required``, ``default``, ``description``)."""
    return _native.graders()


def _rebuild(config: str, source: str) -> "Engine":
    """Unpickles an :class:`Engine` from its configuration."""
    return Engine._wrap(_native.Engine.from_json(config, source))


class Engine:
    """A built grading configuration: graders, routes by ``data_source``, deadlines.

    ``Engine(grader="math", **options)`` builds one grader of that kind with its options (see
    :func:`graders` or ``assay graders KIND``), plus the keys every grader takes:
    ``timeout_ms`` (the per-item deadline) and ``on_error`` (the reward of failed items).
    :meth:`from_config` builds a whole configuration from a file or a dict.

    A configuration that cannot be built raises :class:`ConfigError` (a ``ValueError``) whose
    message lists every problem at once.

    An engine is safe to use from many threads at once; scoring releases the GIL. It pickles
    by configuration, and after a ``fork`` it rebuilds itself in the child on first use.
    """

    __slots__ = ("_native", "_pid")

    def __init__(self, grader: str, **options: Any) -> None:
        if not isinstance(grader, str):
            raise TypeError(
                f"grader must be a kind name such as 'math', not {type(grader).__name__}; "
                "for a configuration use Engine.from_config()"
            )
        self._native = _native.Engine.for_kind(grader, options)
        self._pid = os.getpid()

    @classmethod
    def from_config(cls, config: Union[str, "os.PathLike[str]", Mapping[str, Any]]) -> "Engine":
        """Builds an engine from a configuration file (TOML, YAML or JSON, chosen by the
        extension) or a dict (any mapping, such as OmegaConf's) of the same shape
        (``graders``, ``routes``, ``on_error``, ``timeout_ms``). A file is read once, now: the
        engine keeps its content."""
        if isinstance(config, collections.abc.Mapping):
            native = _native.Engine.from_value(config)
        elif isinstance(config, (str, os.PathLike)):
            native = _native.Engine.from_path(os.fspath(config))
        else:
            raise TypeError(
                "from_config takes a path (str or os.PathLike) or a dict, "
                f"not {type(config).__name__}"
            )
        return cls._wrap(native)

    @classmethod
    def _wrap(cls, native: Any) -> "Engine":
        engine = cls.__new__(cls)
        engine._native = native
        engine._pid = os.getpid()
        return engine

    def _engine(self) -> Any:
        # A forked child must not use the parent's engine (its worker threads and any
        # sandbox processes belong to the parent): rebuild from the configuration once.
        pid = os.getpid()
        if pid != self._pid:
            self._native = _native.Engine.from_json(self._native.config, self._native.source)
            self._pid = pid
        return self._native

    def score(
        self,
        items: Iterable[Dict[str, Any]],
        *,
        grader: Optional[str] = None,
        on_error: OnError = None,
        advantage: Optional[str] = None,
        deadline: Optional[float] = None,
    ) -> List[Result]:
        """Scores items and returns one result dict per item, in order.

        An item is a dict with ``response`` (required: a string or chat messages) and
        optionally ``reference``, ``id``, ``data_source``, ``group``, ``prompt`` and
        ``metadata``; other keys are ignored. An item that is not valid gets a result with
        status ``error`` and ``error.kind == "malformed_input"``; it never fails the batch.

        ``grader`` sends every item to the grader of that name instead of routing by
        ``data_source``; ``on_error`` (``"null"``, ``"zero"`` or a number) overrides the
        configured reward of ``timeout``/``error`` items for this call. ``advantage``
        (``"grpo"``, ``"drgrpo"`` or ``"rloo"``) adds to each result the ``advantage`` of its
        reward within its ``group`` (items without a group are groups of one; items without a
        reward get ``None``) and ``zero_spread``: whether every sample of its group got the
        same reward (a group that teaches nothing; ``None`` for items without a group).
        ``deadline`` (seconds) bounds the whole call: items not finished by then get status
        ``timeout``, whatever the batch size.

        Ctrl-C (``KeyboardInterrupt``) during a call cancels its outstanding work (sandboxed
        programs are killed, remote calls dropped) and raises at once.
        """
        return self._engine().score(items, grader, on_error, advantage, deadline)

    def score_one(
        self,
        response: Any,
        reference: Any = None,
        *,
        grader: Optional[str] = None,
        on_error: OnError = None,
        **fields: Any,
    ) -> Result:
        """Scores one response against one reference; other item fields (``prompt``,
        ``data_source``, ``id``, ``group``, ``metadata``) go in ``fields``."""
        item = dict(fields)
        item["response"] = response
        item["reference"] = reference
        return self._engine().score([item], grader, on_error)[0]

    async def score_async(
        self,
        items: Iterable[Dict[str, Any]],
        *,
        grader: Optional[str] = None,
        on_error: OnError = None,
        advantage: Optional[str] = None,
        deadline: Optional[float] = None,
    ) -> List[Result]:
        """:meth:`score` for asyncio code: runs in the loop's default executor, so the loop
        keeps serving while the batch is graded."""
        items = list(items)
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            None,
            lambda: self.score(
                items, grader=grader, on_error=on_error, advantage=advantage, deadline=deadline
            ),
        )

    @property
    def graders(self) -> List[str]:
        """The names of the configured graders, in configuration order."""
        return self._engine().grader_names()

    def component_keys(self, grader: Optional[str] = None) -> List[str]:
        """The component keys every result carries: those of the routed graders, or of the
        grader named ``grader``. They are the same for every item."""
        return self._engine().component_keys(grader)

    def route(self, data_source: Optional[str] = None) -> Optional[str]:
        """The grader that items of ``data_source`` go to, or ``None`` when no route matches."""
        return self._engine().route(data_source)

    @property
    def config(self) -> Dict[str, Any]:
        """The configuration this engine was built from, as a dict."""
        import json

        return json.loads(self._native.config)

    def __reduce__(self) -> Any:
        return (_rebuild, (self._native.config, self._native.source))

    def __repr__(self) -> str:
        return repr(self._native)

"""The process-wide engine of the drop-ins, and what they share."""

from __future__ import annotations

import json
import logging
import os
import threading
from typing import Any, Dict, Hashable, Optional, Tuple, Union

from .. import Engine

logger = logging.getLogger("assay")

#: The configuration used when nothing else names one: the ``math`` grader for every item.
DEFAULT_CONFIG: Dict[str, Any] = {"graders": {"math": {"kind": "math"}}}

#: The environment variable naming a configuration file.
CONFIG_ENV = "ASSAY_CONFIG"

ConfigLike = Union[str, "os.PathLike[str]", Dict[str, Any], Engine]

_configured: Optional[ConfigLike] = None
_cache: Dict[Hashable, Engine] = {}
_lock = threading.Lock()


def configure(config: Optional[ConfigLike]) -> None:
    """Sets the configuration of the drop-ins in this process: a path, a dict or an
    :class:`~assay.Engine` (``None`` goes back to ``ASSAY_CONFIG`` / :data:`DEFAULT_CONFIG`).
    It takes precedence over ``ASSAY_CONFIG``; a ``config=`` argument takes precedence over it.
    """
    global _configured
    with _lock:
        _configured = config


def _key(config: ConfigLike) -> Tuple[str, str]:
    if isinstance(config, dict):
        return ("dict", json.dumps(config, sort_keys=True, default=repr))
    return ("path", os.path.abspath(os.fspath(config)))


def get_engine(config: Optional[ConfigLike] = None) -> Engine:
    """The engine for ``config``, or for the process-wide configuration when ``None``: built
    on first use and cached for the life of the process (a configuration error is raised as
    :class:`~assay.ConfigError` each time, never turned into rewards)."""
    if config is None:
        config = _configured
    if config is None:
        config = os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG
    if isinstance(config, Engine):
        return config
    key = _key(config)
    engine = _cache.get(key)
    if engine is None:
        with _lock:
            engine = _cache.get(key)
            if engine is None:
                engine = Engine.from_config(config)
                _cache[key] = engine
    return engine


_warned = 0
_WARN_LIMIT = 20


def report_failure(where: str, result: Dict[str, Any]) -> str:
    """Logs a failed or ungraded item (``timeout``, ``error``, ``not_applicable``) on the
    ``assay`` logger and returns its one-line description. The first failures are warnings;
    after that they are logged at debug level, so a broken run is loud but not flooded."""
    global _warned
    message = describe(result)
    item = "an item" if result.get("id") is None else f"item {result['id']!r}"
    if _warned < _WARN_LIMIT:
        _warned += 1
        suffix = " (further failures are logged at debug level)" if _warned == _WARN_LIMIT else ""
        logger.warning("%s: %s not graded: %s%s", where, item, message, suffix)
    else:
        logger.debug("%s: %s not graded: %s", where, item, message)
    return message


def describe(result: Dict[str, Any]) -> str:
    """``status`` and, for failures, ``kind: message``."""
    error = result.get("error")
    if error:
        return f"{result['status']}: {error.get('kind')}: {error.get('message')}"
    grader = (result.get("explanation") or {}).get("grader")
    if grader:
        return f"{result['status']} (grader `{grader}`)"
    return str(result["status"])


def is_failure(result: Dict[str, Any]) -> bool:
    """Whether the result carries no real grade (``timeout``, ``error``, ``not_applicable``)."""
    return result["status"] not in ("ok", "invalid")

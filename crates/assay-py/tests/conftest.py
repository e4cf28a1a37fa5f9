"""Shared fixtures of the assay Python tests."""

import pytest

import assay
from assay.integrations import _common

#: A configuration with routes, a composition and fixed component keys.
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


@pytest.fixture
def math_engine():
    return assay.Engine(grader="math")


@pytest.fixture
def routed_engine():
    return assay.Engine.from_config(ROUTED)


@pytest.fixture(autouse=True)
def fresh_integrations(monkeypatch):
    """Each test starts with no configured or cached drop-in engine and no ASSAY_CONFIG."""
    monkeypatch.delenv("ASSAY_CONFIG", raising=False)
    _common.configure(None)
    _common._cache.clear()
    yield
    _common.configure(None)
    _common._cache.clear()


def stable(results):
    """Results without their timings, for comparing runs."""
    return [{k: v for k, v in r.items() if k != "elapsed_ms"} for r in results]

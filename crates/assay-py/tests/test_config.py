"""Building engines: from kinds, dicts and files; every configuration error raised."""

import json
import pathlib

import pytest

import assay
from conftest import ROUTED

TOML = """
[graders.answer]
kind = "math"

[graders.fmt]
kind = "format"
tags = ["think", "answer"]

[graders.total]
kind = "multi"
graders = ["answer", "fmt"]
formula = "0.9 * answer + 0.1 * fmt"

[[routes]]
data_source = "gsm8k*"
grader = "total"

[[routes]]
data_source = "*"
grader = "answer"
"""

YAML = """
graders:
  exact:
    kind: string_check
    operation: eq
    normalize: [trim, case]
"""


def test_from_config_file_formats(tmp_path):
    toml_path = tmp_path / "rewards.toml"
    toml_path.write_text(TOML)
    yaml_path = tmp_path / "rewards.yaml"
    yaml_path.write_text(YAML)
    json_path = tmp_path / "rewards.json"
    json_path.write_text(json.dumps(ROUTED))

    engine = assay.Engine.from_config(toml_path)  # os.PathLike
    assert engine.graders == ["answer", "fmt", "total"]
    assert engine.route("gsm8k") == "total" and engine.route(None) == "answer"
    r = engine.score_one("<think>.</think><answer>2</answer>", "2", data_source="gsm8k_main")
    assert r["reward"] == pytest.approx(1.0)

    assert assay.Engine.from_config(str(yaml_path)).score_one(" YES ", "yes")["reward"] == 1.0
    assert assay.Engine.from_config(str(json_path)).graders == ["answer", "fmt", "total", "letter"]


def test_the_repository_example_config_loads():
    example = pathlib.Path(__file__).resolve().parents[3] / "examples" / "rewards.toml"
    if not example.exists():
        pytest.skip("examples/rewards.toml not in this checkout")
    engine = assay.Engine.from_config(example)
    assert engine.route("mmlu_pro") == "total"


def problems(excinfo):
    return [(p["path"], p["message"]) for p in excinfo.value.problems]


def test_config_error_is_a_value_error_with_every_problem():
    bad = {
        "graders": {
            "a": {"kind": "nope"},
            "b": {"kind": "string_check", "operation": "equals"},
        },
        "routes": [{"data_source": "*", "grader": "c"}],
    }
    with pytest.raises(assay.ConfigError) as excinfo:
        assay.Engine.from_config(bad)
    err = excinfo.value
    assert isinstance(err, ValueError)
    message = str(err)
    assert message.startswith("invalid configuration <dict>: 3 problems")
    assert "graders.a.kind: unknown kind `nope`; known kinds:" in message
    assert "graders.b.operation: unknown variant `equals`" in message
    assert "routes[0].grader: no grader named `c`; defined: a, b" in message
    assert [path for path, _ in problems(excinfo)] == ["graders.a.kind", "graders.b.operation", "routes[0].grader"]
    assert err.source == "<dict>"


def test_kind_errors_name_the_call():
    with pytest.raises(assay.ConfigError, match=r'assay.Engine\(grader="nope"\)') as excinfo:
        assay.Engine(grader="nope")
    assert "known kinds: choice, code" in str(excinfo.value)
    with pytest.raises(assay.ConfigError, match="decimal_tolerance"):
        assay.Engine(grader="math", decimal_tolerance="small")
    with pytest.raises(assay.ConfigError, match="timeout_ms"):
        assay.Engine(grader="math", timeout_ms=-5)
    with pytest.raises(assay.ConfigError, match="leave `kind` out"):
        assay.Engine(grader="math", kind="math")
    with pytest.raises(assay.ConfigError, match="no JSON form"):
        assay.Engine(grader="math", priority={"boxed"})
    with pytest.raises(assay.ConfigError, match="needs|required|graders"):
        assay.Engine(grader="multi")
    with pytest.raises(TypeError, match="from_config"):
        assay.Engine(grader={"graders": {}})


def test_file_errors(tmp_path):
    with pytest.raises(assay.ConfigError, match="cannot read the file") as excinfo:
        assay.Engine.from_config(tmp_path / "missing.toml")
    assert excinfo.value.source.endswith("missing.toml")
    txt = tmp_path / "rewards.txt"
    txt.write_text("")
    with pytest.raises(assay.ConfigError, match=r"name the file \*.toml"):
        assay.Engine.from_config(txt)
    broken = tmp_path / "broken.toml"
    broken.write_text("[graders.a\nkind = ")
    with pytest.raises(assay.ConfigError, match="not valid Toml"):
        assay.Engine.from_config(broken)


def test_from_config_rejects_other_types():
    with pytest.raises(TypeError):
        assay.Engine.from_config(42)  # type: ignore[arg-type]
    with pytest.raises(assay.ConfigError, match="a configuration is a table"):
        assay.Engine._wrap(assay._native.Engine.from_value([1, 2]))


def test_mappings_and_sequences_that_are_not_dicts_and_lists():
    # e.g. OmegaConf's DictConfig/ListConfig, as Hydra-configured trainers hold them.
    import collections.abc
    import types

    class Seq(collections.abc.Sequence):
        def __init__(self, *values):
            self.values = values

        def __getitem__(self, i):
            return self.values[i]

        def __len__(self):
            return len(self.values)

    config = types.MappingProxyType(
        {"graders": types.MappingProxyType({"fmt": {"kind": "format", "tags": Seq("think", "answer")}})}
    )
    engine = assay.Engine.from_config(config)
    assert engine.score_one("<think>a</think><answer>b</answer>")["reward"] == 1.0
    with pytest.raises(assay.ConfigError, match="no JSON form"):
        assay.Engine(grader="format", tags=b"think")

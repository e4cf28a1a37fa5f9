"""The TRL drop-in, called the way GRPOTrainer calls reward functions."""

import inspect
import logging
import math

import pytest

import assay
from assay.integrations import trl
from conftest import ROUTED


class TrainerState:
    """Stands in for transformers' TrainerState, which TRL passes as `trainer_state`."""

    global_step = 3


class Logs:
    """TRL's `log_metric(name, value)` and `log_extra(column, values)` hooks."""

    def __init__(self):
        self.metrics = {}
        self.extra = {}

    def log_metric(self, name, value):
        self.metrics.setdefault(name, []).append(value)

    def log_extra(self, column, values):
        self.extra.setdefault(column, []).extend(values)


def call_like_grpo(func, prompts, completions, logs=None, **columns):
    """GRPOTrainer._calculate_rewards: keyword arguments only, every other dataset column as
    a list, completion token ids, the trainer state and logging hooks; None becomes NaN
    afterwards."""
    logs = logs or Logs()
    return func(
        prompts=prompts,
        completions=completions,
        completion_ids=[[1, 2, 3] for _ in completions],
        trainer_state=TrainerState(),
        log_extra=logs.log_extra,
        log_metric=logs.log_metric,
        **columns,
    )


def test_signature_and_name():
    [func] = trl.reward_funcs(assay.Engine(grader="math"))
    assert func.__name__ == "math"
    params = list(inspect.signature(func).parameters.values())
    assert [p.name for p in params[:2]] == ["prompts", "completions"]
    assert params[-1].kind is inspect.Parameter.VAR_KEYWORD
    [func] = trl.reward_funcs(assay.Engine.from_config(ROUTED))
    assert func.__name__ == "assay"
    [func] = trl.reward_funcs(assay.Engine.from_config(ROUTED), name="my_reward")
    assert func.__name__ == "my_reward"


def test_standard_format_with_a_solution_column():
    [func] = trl.reward_funcs(assay.Engine(grader="math"))
    rewards = call_like_grpo(
        func,
        prompts=["What is 2+2?", "What is 2+2?", "What is 3*3?", "What is 3*3?"],
        completions=[" \\boxed{4}", " it is 5", " The answer is 9.", " no idea"],
        solution=["4", "4", "9", "9"],
        level=["easy"] * 4,
    )
    assert rewards == [1.0, 0.0, 1.0, 0.0]


def test_conversational_format():
    [func] = trl.reward_funcs(assay.Engine(grader="math"))
    prompts = [[{"role": "system", "content": "Think."}, {"role": "user", "content": "1+1?"}]] * 2
    completions = [
        [{"role": "assistant", "content": "<think>easy</think> \\boxed{2}"}],
        [{"role": "assistant", "content": "\\boxed{3}"}],
    ]
    assert call_like_grpo(func, prompts, completions, answer=["2", "2"]) == [1.0, 0.0]


@pytest.mark.parametrize("column", ["reference", "answer", "solution", "ground_truth"])
def test_reference_columns(column):
    [func] = trl.reward_funcs(assay.Engine(grader="math"))
    assert call_like_grpo(func, ["q"], ["\\boxed{7}"], **{column: ["7"]}) == [1.0]


def test_a_missing_reference_column_names_the_columns_looked_for_and_found(caplog):
    caplog.set_level(logging.WARNING, logger="assay")
    [func] = trl.reward_funcs(assay.Engine(grader="math"))
    assert call_like_grpo(func, ["q"], ["\\boxed{7}"], gold=["7"]) == [None]
    for expected in ["reference, answer, solution, ground_truth", "columns passed: gold", "reference_column="]:
        assert expected in caplog.text, caplog.text


def test_configured_reference_column():
    [func] = trl.reward_funcs(assay.Engine(grader="math"), reference_column="gold")
    assert call_like_grpo(func, ["q"], ["\\boxed{7}"], gold=["7"], answer=["8"]) == [1.0]
    with pytest.raises(ValueError, match="no dataset column `gold`.*columns passed: answer$"):
        call_like_grpo(func, ["q"], ["\\boxed{7}"], answer=["7"])


def test_one_function_per_grader_and_routing_by_data_source():
    engine = assay.Engine.from_config(ROUTED)
    answer, fmt = trl.reward_funcs(engine, graders=["answer", "fmt"])
    assert (answer.__name__, fmt.__name__) == ("answer", "fmt")
    completions = ["<think>x</think><answer>12</answer>", "12"]
    cols = {"answer": ["12", "12"]}
    assert call_like_grpo(answer, ["p", "p"], completions, **cols) == [1.0, 1.0]
    assert call_like_grpo(fmt, ["p", "p"], completions, **cols) == [1.0, 0.0]
    [routed] = trl.reward_funcs(engine)
    rewards = call_like_grpo(
        routed,
        ["p", "p", "q"],
        completions + ["Answer: D"],
        answer=["12", "12", "D"],
        data_source=["gsm8k", "gsm8k", "mmlu"],
    )
    assert rewards == pytest.approx([1.0, 0.9, 1.0])
    with pytest.raises(ValueError, match="no grader named 'nope'"):
        trl.reward_funcs(engine, graders=["nope"])


def test_failures_are_none_unless_a_fallback_is_set(caplog):
    caplog.set_level(logging.WARNING, logger="assay")
    engine = assay.Engine.from_config(ROUTED)
    [func] = trl.reward_funcs(engine)
    args = (["p", "p"], ["\\boxed{1}", "\\boxed{1}"])
    cols = {"answer": ["1", "1"], "data_source": ["math", "unrouted"]}
    logs = Logs()
    assert call_like_grpo(func, *args, logs=logs, **cols) == [1.0, None]
    assert "no_route" in caplog.text
    # Visible in TRL's logs too: the failure rate, and each completion's status.
    assert logs.metrics == {"assay/assay/failed": [0.5], "assay/assay/invalid": [0.0]}
    assert logs.extra == {"assay_status": ["ok", "error"], "assay_pred": ["1", ""]}
    [func] = trl.reward_funcs(engine, fallback=0.0)
    assert call_like_grpo(func, *args, **cols) == [1.0, 0.0]


def test_completions_of_one_prompt_form_a_group():
    cfg = {
        "graders": {
            "acc": {"kind": "math"},
            "len": {"kind": "length", "mode": "kimi", "correctness": "acc"},
        },
        "routes": [{"data_source": "*", "grader": "len"}],
    }
    [func] = trl.reward_funcs(assay.Engine.from_config(cfg))
    short, long = "\\boxed{1}", "let me think for a long while about this. " * 5 + "\\boxed{1}"
    rewards = call_like_grpo(func, ["a", "a", "b"], [short, long, long], answer=["1", "1", "1"])
    # The shortest correct completion of a group earns the most; a group of one is neutral.
    assert rewards == pytest.approx([0.5, -0.5, 0.0])
    # Every prompt different: every group has one completion.
    rewards = call_like_grpo(func, ["a", "b", "c"], [short, long, long], answer=["1", "1", "1"])
    assert rewards == pytest.approx([0.0, 0.0, 0.0])


def test_default_engine_and_config_arguments(monkeypatch, tmp_path):
    [func] = trl.reward_funcs()
    assert func.__name__ == "math"
    [func] = trl.reward_funcs(ROUTED, graders=None)
    assert func.engine.graders == ["answer", "fmt", "total", "letter"]


def test_metadata_columns():
    cfg = {
        "graders": {
            "raw": {"kind": "math"},
            "shifted": {"kind": "transform", "grader": "raw", "log_sigmoid_ref_field": "baseline"},
        },
        "routes": [{"data_source": "*", "grader": "shifted"}],
    }
    engine = assay.Engine.from_config(cfg)
    [func] = trl.reward_funcs(engine, metadata_columns=["baseline"])
    [reward] = call_like_grpo(func, ["q"], ["\\boxed{2}"], answer=["2"], baseline=[1.0])
    assert reward == pytest.approx(math.log(0.5))


def test_length_mismatch_is_an_error():
    [func] = trl.reward_funcs(assay.Engine(grader="math"))
    with pytest.raises(ValueError, match="column `answer` has 1 entries for 2 completions"):
        call_like_grpo(func, ["a", "b"], ["1", "2"], answer=["1"])


def test_works_without_logging_hooks():
    # Older TRL versions pass neither log_metric nor log_extra.
    [func] = trl.reward_funcs(assay.Engine(grader="math"))
    assert func(prompts=["q"], completions=["\\boxed{1}"], answer=["1"]) == [1.0]
    assert func(["q"], ["\\boxed{1}"], answer=["1"]) == [1.0]

"""assay.Engine: scoring, the result contract, malformed items, targets and fallbacks."""

import math
import signal
import threading
import time

import pytest

import assay

RESULT_KEYS = ["id", "reward", "status", "components", "pred", "explanation", "error", "grader", "elapsed_ms"]


def test_scores_the_design_example(math_engine):
    item = {
        "id": "q17#3",
        "data_source": "math",
        "group": "q17",
        "prompt": "What is 1/2 + 1/4?",
        "response": "... so the answer is \\boxed{\\frac34}.",
        "reference": "0.75",
        "metadata": {},
    }
    [result] = math_engine.score([item])
    assert list(result) == RESULT_KEYS
    assert result["id"] == "q17#3"
    assert result["reward"] == 1.0
    assert result["status"] == "ok"
    assert result["pred"] == "\\frac34"
    assert result["explanation"]["rule"] == "exact rational"
    assert result["error"] is None
    assert result["grader"] == "math"
    assert result["elapsed_ms"] >= 0


def test_right_wrong_and_missing_answers(math_engine):
    results = math_engine.score(
        [
            {"id": 1, "response": "so x = \\boxed{2}", "reference": "2"},
            {"id": 2, "response": "so x = \\boxed{3}", "reference": "2"},
            {"id": 3, "response": "I do not know", "reference": "2"},
            {"id": 4, "response": "so the answer is pi/2", "reference": "\\frac{\\pi}{2}"},
        ]
    )
    assert [r["id"] for r in results] == [1, 2, 3, 4]
    assert [(r["status"], r["reward"]) for r in results] == [
        ("ok", 1.0),
        ("ok", 0.0),
        ("invalid", 0.0),
        ("ok", 1.0),
    ]


def test_ids_of_any_json_shape_are_echoed(math_engine):
    ids = ["a", 7, 2.5, None, [1, "x"], {"k": True}]
    items = [{"id": i, "response": "1", "reference": "1"} for i in ids]
    assert [r["id"] for r in math_engine.score(items)] == ids


def test_chat_responses_grade_the_last_assistant_message(math_engine):
    response = [
        {"role": "user", "content": "What is 1+1?"},
        {"role": "assistant", "content": "\\boxed{3}"},
        {"role": "assistant", "content": [{"type": "text", "text": "\\boxed{2}"}]},
    ]
    assert math_engine.score_one(response, "2")["reward"] == 1.0


def test_score_one_takes_item_fields(math_engine):
    result = math_engine.score_one("the answer is 4", 4, id="x", data_source="math", metadata={"a": 1})
    assert (result["id"], result["reward"], result["pred"]) == ("x", 1.0, "4")


def test_any_iterable_of_items(math_engine):
    items = ({"response": str(i), "reference": str(i)} for i in range(5))
    assert [r["reward"] for r in math_engine.score(items)] == [1.0] * 5
    assert math_engine.score([]) == []
    assert math_engine.score(()) == []


def test_one_item_instead_of_a_list_is_a_type_error(math_engine):
    with pytest.raises(TypeError, match="score_one"):
        math_engine.score({"response": "1", "reference": "1"})
    with pytest.raises(TypeError):
        math_engine.score("1")
    with pytest.raises(TypeError):
        math_engine.score(5)


MALFORMED = [
    ({"id": "no-response", "reference": "1"}, "missing field `response`"),
    ({"id": "int-response", "response": 5}, "`response` must be a string or a list of chat messages"),
    ({"id": "dict-response", "response": {"a": 1}}, "`response` must be a string or a list of chat messages"),
    ({"id": "set-metadata", "response": "1", "metadata": {"tags": {1, 2}}}, "metadata.tags"),
    ({"id": "nan-reference", "response": "1", "reference": float("nan")}, "reference: NaN is not a finite number"),
    ({"id": "huge-int", "response": "1", "reference": 10**40}, "does not fit in 64 bits"),
    ({"id": "object-key", "response": "1", "metadata": {(1, 2): 3}}, "dict key of type `tuple`"),
    ("just a string", "not a dict but a `str`"),
    (None, "not a dict but a `NoneType`"),
    (42, "not a dict but a `int`"),
]


def test_malformed_items_fail_alone(math_engine):
    good = {"id": "good", "response": "\\boxed{1}", "reference": "1"}
    items = [good]
    for bad, _ in MALFORMED:
        items += [bad, good]
    results = math_engine.score(items)
    assert len(results) == len(items)
    for i, (bad, message) in enumerate(MALFORMED):
        ok_before, result, ok_after = results[2 * i], results[2 * i + 1], results[2 * i + 2]
        assert ok_before["reward"] == ok_after["reward"] == 1.0
        assert result["status"] == "error", bad
        assert result["reward"] is None
        assert result["error"]["kind"] == "malformed_input"
        assert message in result["error"]["message"], (bad, result["error"]["message"])
        if isinstance(bad, dict):
            assert result["id"] == bad["id"]


def test_self_containing_item_is_malformed_not_a_crash(math_engine):
    metadata = {}
    metadata["self"] = metadata
    [result] = math_engine.score([{"id": 1, "response": "1", "metadata": metadata}])
    assert result["error"]["kind"] == "malformed_input"
    assert "nested more than" in result["error"]["message"]


def test_unknown_fields_are_ignored(math_engine):
    [result] = math_engine.score([{"response": "1", "reference": "1", "extra_column": object()}])
    # Unknown fields are converted before they are ignored: an unconvertible one is reported.
    assert result["error"]["kind"] == "malformed_input"
    [result] = math_engine.score([{"response": "1", "reference": "1", "extra_column": [1, 2]}])
    assert result["status"] == "ok"


def test_tuples_and_tolist_objects_convert(math_engine):
    class FakeArray:
        def tolist(self):
            return ["2", "two"]

    [result] = math_engine.score([{"response": "\\boxed{2}", "reference": FakeArray()}])
    assert result["reward"] == 1.0
    [result] = math_engine.score([{"response": "\\boxed{2}", "reference": ("5", "2")}])
    assert result["reward"] == 1.0


def test_routes_components_and_targets(routed_engine):
    items = [
        {"id": 0, "data_source": "gsm8k", "response": "<think>x</think><answer>3</answer>", "reference": "3"},
        {"id": 1, "data_source": "gsm8k", "response": "the answer is 3", "reference": "3"},
        {"id": 2, "data_source": "mmlu", "response": "Answer: C", "reference": "C"},
        {"id": 3, "data_source": "nowhere", "response": "3", "reference": "3"},
    ]
    results = routed_engine.score(items)
    keys = routed_engine.component_keys()
    assert sorted(keys) == ["answer", "answer.correct", "correct", "fmt"]
    for r in results:
        assert sorted(r["components"]) == sorted(keys)
    assert results[0]["reward"] == pytest.approx(1.0)
    assert results[1]["reward"] == pytest.approx(0.9)
    assert results[1]["components"] == {"answer": 1.0, "answer.correct": 1.0, "correct": None, "fmt": 0.0}
    assert results[2]["reward"] == 1.0
    assert results[2]["grader"] == "letter"
    assert results[3]["status"] == "error"
    assert results[3]["error"]["kind"] == "no_route"
    assert results[3]["reward"] is None

    # One grader for every item, whatever its data_source.
    forced = routed_engine.score(items, grader="answer")
    assert [r["grader"] for r in forced] == ["answer"] * 4
    missing = routed_engine.score(items[:1], grader="nope")
    assert missing[0]["error"]["kind"] == "no_route"
    assert "configured: answer, fmt, total, letter" in missing[0]["error"]["message"]

    assert routed_engine.graders == ["answer", "fmt", "total", "letter"]
    assert routed_engine.route("gsm8k_train") == "total"
    assert routed_engine.route("other") is None
    assert routed_engine.component_keys("fmt") == []
    with pytest.raises(KeyError):
        routed_engine.component_keys("nope")


def test_on_error_fallback_keeps_the_status_visible(routed_engine):
    item = {"data_source": "nowhere", "response": "1", "reference": "1"}
    assert routed_engine.score([item])[0]["reward"] is None
    for on_error, reward in [("zero", 0.0), (-1, -1.0), (0.25, 0.25), ("null", None)]:
        [result] = routed_engine.score([item], on_error=on_error)
        assert result["reward"] == reward
        assert result["status"] == "error"
    with pytest.raises(ValueError, match="on_error"):
        routed_engine.score([item], on_error="sometimes")
    configured = assay.Engine(grader="math", on_error="zero")
    [result] = configured.score([{"response": "1", "reference": {"not": "an answer"}}])
    assert (result["status"], result["reward"]) == ("error", 0.0)


def test_timeouts_are_bounded_and_visible():
    engine = assay.Engine(grader="math", timeout_ms=1, max_steps=10_000_000_000)
    hard = "\\boxed{" + "+".join(f"x^{{{i}}}*(x+{i})^{{{i % 7}}}" for i in range(400)) + "}"
    results = engine.score([{"response": hard, "reference": hard.replace("x", "y")}] * 4)
    for r in results:
        assert r["status"] in ("timeout", "error", "ok"), r
        if r["status"] != "ok":
            assert r["reward"] is None


def test_graders_lists_every_kind_with_options():
    kinds = {k["name"]: k for k in assay.graders()}
    assert {"math", "code", "choice", "format", "multi", "string_check"} <= set(kinds)
    math_kind = kinds["math"]
    assert math_kind["family"] == "math"
    assert any(o["name"] == "decimal_tolerance" for o in math_kind["options"])


def test_options_reach_the_grader():
    strict = assay.Engine(grader="math")
    tolerant = assay.Engine(grader="math", decimal_tolerance=1e-3)
    item = {"response": "\\boxed{1.4142}", "reference": "\\sqrt{2}"}
    assert strict.score([item])[0]["reward"] == 0.0
    assert tolerant.score([item])[0]["reward"] == 1.0
    custom = assay.Engine(grader="math", correct_reward=2.5)
    assert custom.score_one("\\boxed{1}", "1")["reward"] == 2.5


def test_repr_and_config(math_engine):
    assert "math" in repr(math_engine)
    assert math_engine.config == {"graders": {"math": {"kind": "math"}}}
    assert assay.__version__


def test_nan_never_becomes_a_reward(math_engine):
    for r in math_engine.score([{"response": "nan", "reference": "1"}, {"response": "inf", "reference": "inf"}]):
        assert r["reward"] is None or math.isfinite(r["reward"])


def test_code_runs_in_the_sandbox_from_python():
    engine = assay.Engine(grader="code")
    program = "```python\nprint(int(input()) * 2)\n```"
    tests = {"tests": [{"stdin": "3", "stdout": "6"}, {"stdin": "5", "stdout": "10"}]}
    results = engine.score(
        [
            {"id": "right", "response": program, "reference": tests},
            {"id": "wrong", "response": "```python\nprint(6)\n```", "reference": tests},
            {"id": "exit-early", "response": "import os\nos._exit(0)", "reference": {"asserts": ["assert f(1) == 2"]}},
        ]
    )
    if any(r["status"] == "error" and r["error"]["kind"] == "execution" for r in results):
        pytest.skip(f"the sandbox cannot run here: {results[0]['error']}")
    assert [(r["id"], r["status"], r["reward"]) for r in results] == [
        ("right", "ok", 1.0),
        ("wrong", "ok", 0.0),
        ("exit-early", "ok", 0.0),
    ]


def test_group_advantages(math_engine):
    items = [
        {"id": 0, "group": "q1", "response": "\\boxed{1}", "reference": "1"},
        {"id": 1, "group": "q1", "response": "\\boxed{2}", "reference": "1"},
        {"id": 2, "group": "q2", "response": "\\boxed{3}", "reference": "3"},
        {"id": 3, "group": "q1", "response": "\\boxed{1}", "reference": "1"},
        {"id": 4, "response": "\\boxed{1}", "reference": "1"},
        {"id": 5, "group": "q1", "response": 7},
    ]
    plain = math_engine.score(items)
    assert all("advantage" not in r for r in plain)
    drgrpo = [r["advantage"] for r in math_engine.score(items, advantage="drgrpo")]
    assert drgrpo == pytest.approx([1 / 3, -2 / 3, 0.0, 1 / 3, 0.0, None])
    grpo = [r["advantage"] for r in math_engine.score(items, advantage="grpo")]
    std = (((1 / 3) ** 2 * 2 + (2 / 3) ** 2) / 2) ** 0.5
    assert grpo[:2] == pytest.approx([(1 / 3) / (std + 1e-6), (-2 / 3) / (std + 1e-6)])
    rloo = [r["advantage"] for r in math_engine.score(items, advantage="rloo")]
    assert rloo == pytest.approx([0.5, -1.0, None, 0.5, None, None])
    with pytest.raises(ValueError, match="advantage: unknown advantage mode"):
        math_engine.score(items, advantage="ppo")


def test_zero_spread_flags_groups_that_teach_nothing(math_engine):
    items = [
        {"group": "q1", "response": "\\boxed{1}", "reference": "1"},
        {"group": "q1", "response": "\\boxed{2}", "reference": "1"},
        {"group": "q2", "response": "\\boxed{3}", "reference": "3"},
        {"group": "q2", "response": "\\boxed{3}", "reference": "3"},
        {"response": "\\boxed{1}", "reference": "1"},
    ]
    results = math_engine.score(items, advantage="grpo")
    assert [r["zero_spread"] for r in results] == [False, False, True, True, None]
    assert [r["grader"] for r in results] == ["math"] * 5


LOOP = "```python\nwhile True:\n    pass\n```"
LOOP_REFERENCE = {"tests": [{"stdin": "", "stdout": "x"}], "time_limit_s": 60}


def test_a_deadline_bounds_the_whole_call():
    engine = assay.Engine(grader="code", timeout_ms=60_000)
    items = [{"id": i, "response": LOOP, "reference": LOOP_REFERENCE} for i in range(6)]
    started = time.monotonic()
    results = engine.score(items, deadline=1.0)
    took = time.monotonic() - started
    assert took < 3.0, took
    assert [r["status"] for r in results] == ["timeout"] * 6
    with pytest.raises(ValueError, match="deadline"):
        engine.score(items, deadline=-1)


def test_keyboard_interrupt_cancels_the_call():
    engine = assay.Engine(grader="code", timeout_ms=60_000)
    items = [{"id": i, "response": LOOP, "reference": LOOP_REFERENCE} for i in range(4)]
    main = threading.main_thread().ident
    timer = threading.Timer(0.5, lambda: signal.pthread_kill(main, signal.SIGINT))
    # Python turns SIGINT into KeyboardInterrupt only when its parent left SIGINT alone; a
    # suite started in the background by a non-interactive shell inherits it ignored.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    started = time.monotonic()
    timer.start()
    try:
        results = engine.score(items)
    except KeyboardInterrupt:
        pass
    else:
        # Four endless loops under a 60 s limit cannot finish by themselves: say what came back.
        seen = [(r["status"], r["error"]) for r in results]
        pytest.fail(f"score returned after {time.monotonic() - started:.2f} s "
                    f"instead of raising KeyboardInterrupt: {seen}")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - started < 2.5
    timer.join()

"""assay.select: best-of-N, majority and weighted votes from lists, records and data frames."""

import math

import pytest

import assay


def boxed(a):
    return f"so the answer is \\boxed{{{a}}}"


def test_majority_from_column_lists_clusters_equivalent_answers():
    out = assay.select(
        responses=[boxed("2"), boxed("\\frac12"), "I get 0.5", boxed("1/2")],
        groups=["q", "q", "q", "q"],
    )
    assert len(out) == 1
    s = out[0]
    assert s["chosen"] == 1
    assert s["clusters"][0]["members"] == [1, 2, 3]
    assert s["clusters"][0]["size"] == 3
    assert s["clusters"][1]["answer"] == "2"
    assert math.isclose(s["confidence"], 0.75)
    assert "3 of 4" in s["reason"]


def test_records_with_scores_labels_and_estimators():
    records = [
        {"group": "a", "id": "a0", "response": boxed("\\frac12"), "score": 0.2, "label": True},
        {"group": "a", "id": "a1", "response": boxed("0.5"), "score": 0.1, "label": True},
        {"group": "a", "id": "a2", "response": boxed("2"), "score": 0.9, "label": False},
        {"group": "b", "id": "b0", "response": boxed("7"), "score": 0.3, "reference": "7"},
    ]
    best = assay.select(records, method="best-of-n")
    assert [s["group"] for s in best] == ["a", "b"]
    assert best[0]["chosen_id"] == "a2"
    assert best[0]["correct"] is False
    maj = assay.select(records)
    e = maj[0]["estimates"]
    # Hand-computed: pass@k for 2 correct of 3; maj@k 2/3, 2/3, 1; best-of-k 2/3, 1/3, 0.
    assert e["pass_at_k"] == pytest.approx([2 / 3, 1.0, 1.0])
    assert e["maj_at_k"] == pytest.approx([2 / 3, 2 / 3, 1.0])
    assert e["best_of_k"] == pytest.approx([2 / 3, 1 / 3, 0.0])
    assert maj[1]["estimates"]["verified_pass_at_k"] == [1.0]
    weighted = assay.select(records, method="weighted-max")
    assert weighted[0]["answer"] == "2"


def test_min_confidence_abstains_and_ties_go_to_the_earliest():
    responses = [boxed("1"), boxed("2"), boxed("3"), boxed("1")]
    out = assay.select(responses=responses, min_confidence=0.6)[0]
    assert out["chosen"] is None
    assert out["reason"].startswith("abstained")
    tie = assay.select(responses=[boxed("3"), boxed("1"), boxed("2")])[0]
    assert tie["chosen"] == 0
    assert "3 clusters tie" in tie["reason"]


def test_scoring_with_an_engine():
    engine = assay.Engine(grader="math")
    out = assay.select(
        responses=[boxed("3"), boxed("4"), boxed("4")],
        references=["3", "3", "3"],
        method="best-of-n",
        engine=engine,
    )[0]
    assert out["chosen"] == 0  # the only one the math grader rewards


def test_bad_input_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown method"):
        assay.select(responses=["x"], method="vote")
    with pytest.raises(ValueError, match="scores has 1 entries"):
        assay.select(responses=["x", "y"], scores=[1.0])
    with pytest.raises(ValueError, match="`score` must be a number"):
        assay.select([{"group": "g", "response": "x", "score": "high"}])
    with pytest.raises(TypeError, match="not a single dict"):
        assay.select({"response": "x"})


def test_pandas_frame_with_missing_scores():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame(
        {
            "group": ["q", "q", "q", "r"],
            "response": [boxed("1/2"), boxed("0.5"), boxed("3"), boxed("9")],
            "score": [0.1, float("nan"), 0.9, None],
        }
    )
    out = assay.select(df, method="weighted-sum")
    # The NaN score adds no weight: {1/2, 0.5} weighs 0.1, {3} weighs 0.9.
    assert out[0]["answer"] == "3"
    assert out[0]["clusters"][1]["size"] == 2
    assert {"index": 1, "reason": "no_score"} in out[0]["abstained"]
    assert out[1]["chosen"] is None  # group r: its only response has no score


def test_polars_frame():
    pl = pytest.importorskip("polars")
    df = pl.DataFrame(
        {"group": [1, 1, 2], "response": [boxed("x+1"), boxed("1+x"), boxed("5")],
         "label": [True, True, False]}
    )
    out = assay.select(df)
    assert [s["group"] for s in out] == ["1", "2"]
    assert out[0]["clusters"][0]["size"] == 2
    assert out[0]["estimates"]["maj_at_k"] == [1.0, 1.0]

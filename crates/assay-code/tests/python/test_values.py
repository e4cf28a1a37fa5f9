"""Plain data: its wire form round-trips exactly, and its host form is tagged."""

import collections
import decimal
import fractions

import pytest

from assay_code_harness.values import DEPTH_LIMIT, SMALL_INT, canon, decode, encode


def no_other(*args):
    raise AssertionError(f"not plain data: {args!r}")


@pytest.mark.parametrize(
    "value",
    [
        None, True, 0, -1, SMALL_INT - 1, SMALL_INT, -(2**200), 1.5, float("inf"), "é\n",
        [1, 2.5, "x", None, True], [1, SMALL_INT], [[1], (2,)], (1, (2, 3)), {"a": [1], 2: (3,)},
        {1, 2}, frozenset({"a"}), b"\x00\xff", bytearray(b"ab"), 1 + 2j,
        fractions.Fraction(-3, 7), decimal.Decimal("1.10"), range(1, 10, 3), slice(1, None, 2),
    ],
)
def test_plain_values_round_trip_with_their_types(value):
    back = decode(encode(value, no_other), no_other)
    assert back == value
    assert type(back) is type(value)


def test_other_objects_go_to_the_callback_and_nesting_is_bounded():
    marker = object()
    assert encode([marker], lambda x, depth: {"h": [1, "object"]}) == [{"h": [1, "object"]}]
    assert decode({"h": [1, "object"]}, lambda tag, v, depth: (tag, v)) == ("h", [1, "object"])
    deep = []
    for _ in range(DEPTH_LIMIT + 5):
        deep = [deep, 1]
    with pytest.raises(ValueError, match="nested too deeply"):
        encode(deep, no_other)


def test_decoding_rejects_what_no_encoder_makes():
    for bad in ({"a": 1, "b": 2}, {"s": "not a list"}, 1j):
        with pytest.raises((ValueError, AssertionError)):
            decode(bad, no_other)


def test_the_host_form_is_tagged_and_library_types_compare_as_their_base():
    assert canon(3) == {"int": "3"}
    assert canon(0.1) == {"float": "0.1"}
    assert canon((1, [True])) == {"tuple": [{"int": "1"}, {"list": [True]}]}
    assert canon(collections.Counter("aa")) == {"counter": [["a", {"int": "2"}]]}
    assert canon(collections.defaultdict(int, {"k": 1})) == {"dict": [["k", {"int": "1"}]]}
    point = collections.namedtuple("Point", "x y")(1, 2)
    assert canon(point) == {"tuple": [{"int": "1"}, {"int": "2"}]}
    assert canon(fractions.Fraction(1, 2)) == {"frac": ["1", "2"]}
    with pytest.raises(TypeError, match="not plain data"):
        canon(object())

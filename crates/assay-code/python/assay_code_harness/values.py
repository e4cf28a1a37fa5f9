"""Plain data: as the host compares it (`canon`), and as it crosses between the judge and the
candidate's process (`encode`, `decode`).

`canon` gives tagged JSON that the host compares with Python's `==` semantics (see the Rust
`pyvalue` module). `encode` and `decode` are the wire form of the peer protocol: JSON as it is
where JSON has the type, tagged otherwise; any other object is left to a callback (the peer
turns it into a handle).
"""

import collections
import decimal
import fractions

# Deepest nesting of a value that crosses between the two processes.
DEPTH_LIMIT = 200
# Integers in this range cross as JSON numbers; others as hexadecimal (linear to convert).
SMALL_INT = 1 << 62
# Types JSON carries as they are (integers within `SMALL_INT`).
SCALARS = frozenset((str, float, bool, type(None)))
LIST_SCALARS = SCALARS | {int}
# Element types of a list whose `min` and `max` bound its integers.
NUMBERS = frozenset((int, float, bool))

_KEYS_VIEW, _ITEMS_VIEW = type({}.keys()), type({}.items())
_Fraction, _Decimal = fractions.Fraction, decimal.Decimal
_OrderedDict, _Counter = collections.OrderedDict, collections.Counter


def canon(x, depth=0):
    """Plain data as tagged JSON, compared on the host with Python's `==` semantics."""
    if depth > 100:
        raise TypeError("value nested too deeply")
    t = type(x)
    if x is None or t is bool or t is str:
        return x
    if t is int:
        return {"int": str(x)}
    if t is float:
        return {"float": repr(x)}
    if t is bytes or t is bytearray:
        return {"bytes": x.hex()}
    if t is complex:
        return {"complex": [repr(x.real), repr(x.imag)]}
    if t is list or t is tuple:
        return {t.__name__: [canon(v, depth + 1) for v in x]}
    if t is set or t is frozenset:
        return {"set": [canon(v, depth + 1) for v in x]}
    if t is dict:
        return {"dict": [[canon(k, depth + 1), canon(v, depth + 1)] for k, v in x.items()]}
    if t is _Fraction:
        return {"frac": [str(x.numerator), str(x.denominator)]}
    if t is _Decimal:
        return {"dec": str(x)}
    if t is _OrderedDict or t is _Counter:
        tag = "odict" if t is _OrderedDict else "counter"
        return {tag: [[canon(k, depth + 1), canon(v, depth + 1)] for k, v in dict.items(x)]}
    # Views of a dict's keys and items compare as sets; dates and times by their repr.
    if t is _KEYS_VIEW or t is _ITEMS_VIEW:
        return {"set": [canon(v, depth + 1) for v in x]}
    if t.__module__ == "datetime" and t.__name__ in ("date", "datetime", "time", "timedelta"):
        return {"other": repr(x)}
    # Library subclasses (Counter, OrderedDict, defaultdict, named tuples) compare as their base.
    if isinstance(x, dict):
        return {"dict": [[canon(k, depth + 1), canon(v, depth + 1)] for k, v in dict.items(x)]}
    for base in (tuple, list):
        if isinstance(x, base):
            return {base.__name__: [canon(v, depth + 1) for v in base.__iter__(x)]}
    if isinstance(x, (set, frozenset)):
        return {"set": [canon(v, depth + 1) for v in x]}
    name = x._assay_type if hasattr(t, "_assay_type") else t.__name__  # a peer's proxy
    raise TypeError(f"a {name} object is not plain data")


def encode(x, other, depth=0):
    """Plain data as JSON (tagged where JSON has no such type); anything else is
    `other(x, depth)`'s."""
    t = type(x)
    if t in SCALARS:
        return x
    if t is int:
        return x if -SMALL_INT < x < SMALL_INT else {"i": hex(x)}
    if depth > DEPTH_LIMIT:
        raise ValueError("value nested too deeply")
    depth += 1
    if t is list:
        # The common case, a list of scalars, without a call per element.
        kinds = set(map(type, x))
        if kinds <= LIST_SCALARS:
            small = SMALL_INT
            if int not in kinds:
                return x
            if kinds <= NUMBERS:
                if -small < min(x) and max(x) < small:
                    return x
            elif all(-small < v < small for v in x if type(v) is int):
                return x
        return [encode(v, other, depth) for v in x]
    if t is tuple:
        return {"t": [encode(v, other, depth) for v in x]}
    if t is dict:
        return {"d": [[encode(k, other, depth), encode(v, other, depth)] for k, v in x.items()]}
    if t is set:
        return {"s": [encode(v, other, depth) for v in x]}
    if t is frozenset:
        return {"f": [encode(v, other, depth) for v in x]}
    if t is bytes:
        return {"b": x.hex()}
    if t is bytearray:
        return {"y": x.hex()}
    if t is complex:
        return {"c": [x.real, x.imag]}
    if t is _Fraction:
        return {"q": [encode(x.numerator, other), encode(x.denominator, other)]}
    if t is _Decimal:
        return {"m": str(x)}
    if t is range:
        return {"r": [encode(v, other) for v in (x.start, x.stop, x.step)]}
    if t is slice:
        return {"sl": [encode(v, other, depth) for v in (x.start, x.stop, x.step)]}
    return other(x, depth)


def decode(x, other, depth=0):
    """The value `encode` encoded; any other tag is `other(tag, value, depth)`'s."""
    t = type(x)
    if t in SCALARS or t is int:
        return x
    if depth > DEPTH_LIMIT:
        raise ValueError("value nested too deeply")
    depth += 1
    if t is list:
        if set(map(type, x)) <= LIST_SCALARS:
            return x[:]  # a copy: what was received is compared with it after a call
        return [decode(v, other, depth) for v in x]
    if t is dict and len(x) == 1:
        ((tag, v),) = x.items()
        if tag == "i" and type(v) is str:
            return int(v, 16)
        if type(v) is list:
            if tag == "t":
                return tuple(decode(e, other, depth) for e in v)
            if tag == "d":
                return {decode(k, other, depth): decode(e, other, depth) for k, e in v}
            if tag == "s":
                return {decode(e, other, depth) for e in v}
            if tag == "f":
                return frozenset(decode(e, other, depth) for e in v)
            if tag == "c":
                return complex(*(float(e) for e in v))
            if tag == "q":
                return _Fraction(*(decode(e, other, depth) for e in v))
            if tag == "r":
                return range(*(decode(e, other, depth) for e in v))
            if tag == "sl" and len(v) == 3:
                return slice(*(decode(e, other, depth) for e in v))
        if type(v) is str:
            if tag == "b":
                return bytes.fromhex(v)
            if tag == "y":
                return bytearray.fromhex(v)
            if tag == "m":
                return _Decimal(v)
        return other(tag, v, depth)
    raise ValueError("malformed value")


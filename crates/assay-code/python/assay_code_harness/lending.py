"""What the judge may lend the candidate's code, and which attributes of it the judge serves.

The judge lends the candidate only what the tests pass it (a `ListNode`, a key function) and
refuses modules, frames, code, `type` and the builtins that reach outside (`open`, `eval`,
`getattr` …), attributes starting with `_`, and replacing methods. A class the tests define
is lent by value to a program that uses it without defining it only if it is a plain data
structure (`data_class`).
"""

import dis
import functools
import operator
import types

import builtins

# Builtin functions the judge may lend the candidate (as arguments of a test's call).
LENDABLE_BUILTINS = frozenset(
    "abs all any ascii bin callable chr divmod hash hex len max min oct ord pow repr round sorted sum".split()
)
# Builtin types the judge may lend (to call them; their attributes are not served).
LENDABLE_TYPES = frozenset((bool, bytes, complex, dict, float, frozenset, int, list, range, set, str, tuple))
# Iterators and views of builtin containers the judge may lend (to iterate them).
LENDABLE_ITERATORS = frozenset(
    type(v)
    for v in (
        iter([]), iter(()), iter({}), iter(set()), iter(""), iter(b""), iter(range(0)), reversed([]),
        iter({}.values()), iter({}.items()), enumerate([]), zip(),
        map(abs, []), filter(None, []),
    )
)
# Modules whose builtin functions the judge may lend (`math.sqrt`, `operator.add`).
PURE_MODULES = frozenset(("math", "cmath", "operator", "_operator"))

# The only globals a lent data class's methods may read (besides its own name): builtins that
# compute, and only while neither the tests nor the program bind those names.
DATA_GLOBALS = frozenset(
    "isinstance type str repr len int float bool tuple list dict set frozenset hash id abs min max "
    "sum sorted range enumerate zip iter next any all round divmod super object NotImplemented "
    "None True False ValueError TypeError IndexError KeyError StopIteration".split()
)
# Methods a class may define and still be lent to a program as plain data structure.
DATA_METHODS = frozenset(
    "__init__ __repr__ __str__ __eq__ __ne__ __lt__ __le__ __gt__ __ge__ __hash__ __len__ __iter__ __bool__".split()
)

_FunctionType, _MethodType = types.FunctionType, types.MethodType
_BuiltinFunctionType, _MethodDescriptorType = types.BuiltinFunctionType, types.MethodDescriptorType
_GeneratorType, _ModuleType, _partial = types.GeneratorType, types.ModuleType, functools.partial
_getters = (operator.itemgetter, operator.attrgetter, operator.methodcaller)


def defined_by_tests(cls):
    """Whether `cls` is a class the tests' own code defined (they run as `__main__`)."""
    return isinstance(cls, type) and cls.__module__ == "__main__"


def lendable(x):
    """What the judge may lend: the tests' own functions, classes and their instances, and
    builtins that compute without reaching anything else. Nothing that could look up
    attributes by a name the candidate chooses (`str.format`, `getattr`,
    `operator.attrgetter`), nor modules, frames or code."""
    t = type(x)
    if t is _FunctionType:
        return x.__code__.co_filename.startswith("<test")
    if t is _MethodType:
        return lendable(x.__func__)
    name = getattr(x, "__name__", "")
    if t is _BuiltinFunctionType:
        owner = x.__self__
        if owner is builtins:
            return name in LENDABLE_BUILTINS
        if isinstance(owner, _ModuleType):
            return owner.__name__ in PURE_MODULES
        return type(owner) in LENDABLE_TYPES and name[:1] != "_" and name not in ("format", "format_map")
    if t is _MethodDescriptorType:
        return x.__objclass__ in LENDABLE_TYPES and name[:1] != "_" and name not in ("format", "format_map")
    if isinstance(x, type):
        return x in LENDABLE_TYPES or defined_by_tests(x)
    if t in LENDABLE_ITERATORS or t is _GeneratorType:
        return True  # made by the tests' code; the candidate can only iterate it
    if t is _partial:
        return lendable(x.func)
    if t in _getters:
        return True  # names and keys fixed by the tests; the candidate cannot make one
    return defined_by_tests(t)


def servable(target, name, op):
    """Whether the judge serves attribute `name` of a lent `target`: only of the tests' own
    instances, never a private one; an instance's own attribute or a method or property of
    its class, never data kept on the class (a table of expected values)."""
    if name.startswith("_") or not defined_by_tests(type(target)):
        return False
    if op == "setattr" or name in getattr(target, "__dict__", ()):
        return True
    # Looked up as written in the class (a classmethod as itself, not bound).
    found = next((vars(c)[name] for c in type(target).__mro__ if name in vars(c)), None)
    return isinstance(found, (_FunctionType, property, staticmethod, classmethod, types.MemberDescriptorType))


def data_class(cls, unsafe):
    """Whether `cls` is a data structure of the tests' (`ListNode`, `TreeNode`): a plain class
    they defined, with no method but a few dunders written in its body, none of which reaches
    a global of the tests (by name, through a nested comprehension or function, a default
    value or a closure) or a builtin that looks names up (`globals`, `getattr` …). A class with
    a `solve` method, or an `__init__` that calls the reference solution, would lend the
    program the answers. `unsafe` holds the names that are not the builtins a data class may
    read: anything the tests or the program bind."""
    if type(cls) is not type or cls.__module__ != "__main__" or cls.__bases__ != (object,):
        return False
    allowed = (DATA_GLOBALS - unsafe) | {cls.__name__}
    plain = (type(None), bool, int, float, str, bytes)
    slots = getattr(cls, "__slots__", ())
    for name, value in vars(cls).items():
        if name in ("__module__", "__qualname__", "__doc__", "__dict__", "__weakref__", "__slots__"):
            continue
        if name == "__hash__" and value is None:
            continue  # what defining __eq__ leaves
        if name in slots and type(value) is types.MemberDescriptorType:
            continue
        if name not in DATA_METHODS or type(value) is not types.FunctionType:
            return False
        if value.__closure__ or not value.__qualname__.startswith(cls.__qualname__ + "."):
            return False
        defaults = (value.__defaults__ or ()) + tuple((value.__kwdefaults__ or {}).values())
        if any(type(d) not in plain for d in defaults):
            return False
        codes = [value.__code__]
        while codes:
            code = codes.pop()
            codes.extend(c for c in code.co_consts if type(c) is types.CodeType)
            for ins in dis.get_instructions(code):
                if ins.opname in ("LOAD_GLOBAL", "LOAD_NAME", "STORE_GLOBAL", "DELETE_GLOBAL"):
                    if ins.argval not in allowed:
                        return False
    return True

"""Which names a piece of Python code binds and reads (static, from its syntax tree)."""

import ast

_DEFINITIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


def _parse(src):
    """The tree of `src`, or None if it does not parse (or is too deep to)."""
    try:
        return ast.parse(src)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def _binds(tree):
    """Every name `tree` binds, anywhere: assignments and loop or `with` targets,
    definitions, imports, `global` and `nonlocal` declarations."""
    bound = set()
    for n in ast.walk(tree):
        if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load):
            bound.add(n.id)
        elif isinstance(n, _DEFINITIONS):
            bound.add(n.name)
        elif isinstance(n, (ast.Global, ast.Nonlocal)):
            bound.update(n.names)
        elif isinstance(n, ast.alias):
            bound.add((n.asname or n.name).split(".")[0])
    return bound


def _loads(tree):
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}


def bound_in(sources):
    """Every name the code in `sources` binds, anywhere: assignments and loop or `with`
    targets, definitions, imports, `global` and `nonlocal` declarations."""
    bound = set()
    for src in sources:
        tree = _parse(src)
        if tree is not None:
            bound |= _binds(tree)
    return bound


def free_names(source):
    """The names `source` reads, or none if it does not parse."""
    tree = _parse(source)
    return set() if tree is None else _loads(tree)


def module_bases(sources):
    """The names `sources` read an attribute of (`math` in `math.pi`), each with the
    attributes read."""
    bases = {}
    for src in sources:
        tree = _parse(src)
        if tree is None:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
                bases.setdefault(node.value.id, set()).add(node.attr)
    return bases


def outside_reads(setup, statements):
    """For each of `statements`, the names it reads from outside the tests' code: from the
    program or the builtins.

    A name the tests bind (anywhere in `setup` or the statements, function parameters
    included) is the tests' own, and stands for what every statement that binds or reads it
    reads: a statement calling a helper of the tests reads what the helper reads, `solve =
    candidate` makes `solve` read `candidate`, and after `candidate(data)` (which may change
    `data` in place) `data` reads `candidate`. An empty set means the statement reads nothing
    outside the tests (`assert True`): whatever the program, it holds or fails the same way.
    """
    trees = [_parse(src) for src in [setup, *statements]]
    bound = set()
    defs = {}  # name of the tests -> names read by the statements that bind or read it
    for tree in trees:
        if tree is None:
            continue
        for n in ast.walk(tree):
            if isinstance(n, ast.arg):
                bound.add(n.arg)
        for stmt in tree.body:
            binds = _binds(stmt)
            bound |= binds
            reads = _loads(stmt)
            for name in binds | reads:
                defs.setdefault(name, set()).update(reads)
    result = []
    for tree in trees[1:]:
        if tree is None:
            result.append(set())
            continue
        seen = _loads(tree)
        todo = list(seen)
        while todo:
            for m in defs.get(todo.pop(), ()):
                if m not in seen:
                    seen.add(m)
                    todo.append(m)
        result.append(seen - bound)
    return result

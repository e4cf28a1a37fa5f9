#!/usr/bin/env python3
"""Carries Math-Verify's published test cases over as data (no code is copied).

Reads the pytest files of a Math-Verify checkout (Apache-2.0), evaluates the literal
`@pytest.mark.parametrize` tables with `ast.literal_eval`, and records for each
(gold, pred, expected) case the options its test function passes to Math-Verify
(`match_types`, `precision`, `strict`, `allow_set_relation_comp`). Cases of tests that do not
compare a gold with a prediction (timeouts, configs, string extraction, mocks) are skipped.

Usage: mv_cases.py MATH_VERIFY_REPO_TESTS_DIR OUT.jsonl
"""
import ast
import json
import math
import pathlib
import sys

FILES = ["test_all.py", "test_boxed.py", "test_numina_cases.py", "test_open_thoughts.py",
         "test_strict.py", "test_yujianll.py"]


def table(node):
    """The value of a parametrize table: literals, plus f-strings over `math` (one case
    formats math.sqrt(17))."""
    try:
        return ast.literal_eval(node)
    except ValueError:
        code = compile(ast.Expression(node), "<table>", "eval")
        return eval(code, {"__builtins__": {}, "math": math})  # noqa: S307 (test data)


def call_options(fn):
    """Options of the compare_strings/verify call in a test body."""
    opts = {"match_types": ["latex", "expr"], "precision": 6, "strict": True,
            "allow_set_relation_comp": False, "call": None}
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            if node.func.id == "compare_strings":
                opts["call"] = "compare_strings"
                for kw in node.keywords:
                    if isinstance(kw.value, ast.Constant):
                        opts[kw.arg] = kw.value.value
                    elif isinstance(kw.value, ast.List):
                        opts[kw.arg] = [e.value for e in kw.value.elts]
                    elif isinstance(kw.value, ast.Name):
                        opts[kw.arg] = "param:" + kw.value.id
            elif node.func.id == "verify" and opts["call"] is None:
                opts["call"] = "verify_parse_default"
    return opts


def main():
    tests_dir, out = pathlib.Path(sys.argv[1]), sys.argv[2]
    n = 0
    with open(out, "w") as f:
        for name in FILES:
            tree = ast.parse((tests_dir / name).read_text())
            for fn in tree.body:
                if not isinstance(fn, ast.FunctionDef):
                    continue
                opts = call_options(fn)
                if opts["call"] is None:
                    continue
                for dec in fn.decorator_list:
                    if not (isinstance(dec, ast.Call) and getattr(dec.func, "attr", "") == "parametrize"):
                        continue
                    names = [s.strip() for s in ast.literal_eval(dec.args[0]).split(",")]
                    rows = table(dec.args[1])
                    for i, row in enumerate(rows):
                        case = dict(zip(names, row))
                        o = {k: v for k, v in opts.items() if k != "call"}
                        for k, v in list(o.items()):
                            if isinstance(v, str) and v.startswith("param:"):
                                o[k] = case[v[len("param:"):]]
                        if opts["call"] == "verify_parse_default":
                            o = {"match_types": ["latex", "expr"], "precision": 6, "strict": True,
                                 "allow_set_relation_comp": False}
                        expected = case.get("expected", case.get("result"))
                        rec = {"id": f"{name[:-3]}::{fn.name}[{i}]", "gold": case["gold"],
                               "pred": case["pred"], "expected": bool(expected), **o}
                        f.write(json.dumps(rec, ensure_ascii=False) + "\n")
                        n += 1
                # test_precision: its one compare_strings case is written inline.
                if fn.name == "test_precision":
                    rec = {"id": "test_all::test_precision[0]", "gold": "$\\frac{1}{3}$",
                           "pred": "0.3333$", "expected": True, "match_types": ["latex", "expr"],
                           "precision": 4, "strict": True, "allow_set_relation_comp": False}
                    f.write(json.dumps(rec) + "\n")
                    n += 1
    print(f"wrote {n} cases to {out}", file=sys.stderr)


if __name__ == "__main__":
    main()

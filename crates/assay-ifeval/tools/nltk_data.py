"""Builds an NLTK data directory from this crate's data files, for running the official IFEval and
IFBench checkers without NLTK's downloader (which needs network access):

- tokenizers/punkt_tab/english: from data/punkt_english.tsv;
- corpora/stopwords/english: from data/stopwords_english.txt;
- taggers/averaged_perceptron_tagger_eng: from data/pos_first_token.tsv (the first-token subset
  of the tagger; only the first token's tag is right with it, which is all IFBench reads), or
  from a full model given as a second argument (a directory of the three JSON files, or the
  older pickle).

Usage: python tools/nltk_data.py OUT_DIR [FULL_TAGGER]
"""

import json
import os
import pickle
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.join(HERE, "..", "data")


def punkt(out):
    d = os.path.join(out, "tokenizers", "punkt_tab", "english")
    os.makedirs(d, exist_ok=True)
    abbrev, starters, colloc, ortho = [], [], [], []
    with open(os.path.join(DATA, "punkt_english.tsv"), encoding="utf-8") as f:
        for line in f:
            cells = line.rstrip("\n").split("\t")
            if cells[0] == "abbrev":
                abbrev.append(cells[1])
            elif cells[0] == "starter":
                starters.append(cells[1])
            elif cells[0] == "colloc":
                colloc.append(cells[1] + "\t" + cells[2])
            elif cells[0] == "ortho":
                ortho.append(cells[1] + "\t" + cells[2])
    for name, lines in (("abbrev_types.txt", abbrev), ("sent_starters.txt", starters),
                        ("collocations.tab", colloc), ("ortho_context.tab", ortho)):
        with open(os.path.join(d, name), "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")


def stopwords(out):
    d = os.path.join(out, "corpora", "stopwords")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(DATA, "stopwords_english.txt"), encoding="utf-8") as f:
        words = f.read()
    with open(os.path.join(d, "english"), "w", encoding="utf-8") as f:
        f.write(words)


def tagger(out, full):
    d = os.path.join(out, "taggers", "averaged_perceptron_tagger_eng")
    os.makedirs(d, exist_ok=True)
    if full and os.path.isdir(full):
        for name in os.listdir(full):
            with open(os.path.join(full, name), "rb") as src, open(os.path.join(d, name), "wb") as dst:
                dst.write(src.read())
        return
    if full:
        with open(full, "rb") as f:
            weights, tagdict, classes = pickle.load(f)
        classes = sorted(classes)
    else:
        weights, tagdict, classes = {}, {}, []
        with open(os.path.join(DATA, "pos_first_token.tsv"), encoding="utf-8") as f:
            for line in f:
                cells = line.rstrip("\n").split("\t")
                if cells[0] == "classes":
                    classes = cells[1:]
                elif cells[0] == "tagdict":
                    tagdict[cells[1]] = cells[2]
                elif cells[0] == "w":
                    ws = {}
                    for cell in filter(None, cells[2].split(" ")):
                        i, w = cell.split(":", 1)
                        ws[classes[int(i)]] = float(w)
                    weights[cells[1]] = ws
    for name, value in (("weights", weights), ("tagdict", tagdict), ("classes", list(classes))):
        with open(os.path.join(d, f"averaged_perceptron_tagger_eng.{name}.json"), "w", encoding="utf-8") as f:
            json.dump(value, f)


def main():
    out = sys.argv[1]
    punkt(out)
    stopwords(out)
    tagger(out, sys.argv[2] if len(sys.argv) > 2 else None)


if __name__ == "__main__":
    main()

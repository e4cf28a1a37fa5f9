"""Writes the data files the IFBench constraints need (run from the crate directory):

- data/stopwords_english.txt: NLTK's English stop-word list (`corpora/stopwords/english` of NLTK
  data), one word a line. Only the words without an apostrophe can ever match (the checker counts
  stop words among `\\w+` tokens), so the list of any NLTK data release gives the same counts.
- data/emoji_single.txt: the code points that are, alone, a key of the PyPI package emoji's
  EMOJI_DATA (what `emoji.is_emoji(char)` accepts), as hexadecimal ranges `start-end`.
- data/syllapy.csv: the known-word table of the PyPI package syllapy (word,syllables).
- data/pos_first_token.tsv: the part of NLTK's English averaged-perceptron tagger that decides the
  tag of a text's first token: the tag dictionary, and the weights of every feature whose
  template can fire on the first token (the constant context features, `i word`, `i suffix`,
  `i pref1`, `i-1 tag+i word -START- *`, `i+1 word`, `i+1 suffix`, `i+2 word`). Input: the
  `averaged_perceptron_tagger_eng` directory of NLTK data (three JSON files), or the older
  `averaged_perceptron_tagger.pickle` (same weights; a plain tuple of dicts, read with
  `pickle` only if you trust the file).

Usage: python tools/ifbench_data.py STOPWORDS_FILE TAGGER_DIR_OR_PICKLE
(the emoji==2.15.0 and syllapy==0.7.2 packages must be importable).
"""

import csv
import json
import os
import pickle
import sys

CONSTANT = [
    "bias",
    "i-1 tag -START-",
    "i-2 tag -START2-",
    "i tag+i-2 tag -START- -START2-",
    "i-1 word -START2-",
    "i-1 suffix T2-",
    "i-2 word -START-",
]
PREFIXES = ("i suffix ", "i pref1 ", "i word ", "i-1 tag+i word -START- ", "i+1 word ", "i+1 suffix ", "i+2 word ")


def load_tagger(path):
    if os.path.isdir(path):
        def load(suffix):
            names = [n for n in os.listdir(path) if n.endswith(suffix)]
            with open(os.path.join(path, names[0]), encoding="utf-8") as f:
                return json.load(f)
        return load(".weights.json"), load(".tagdict.json"), load(".classes.json")
    with open(path, "rb") as f:
        weights, tagdict, classes = pickle.load(f)
    return weights, tagdict, sorted(classes)


def write_tagger(path):
    weights, tagdict, classes = load_tagger(path)
    classes = sorted(classes)
    index = {c: i for i, c in enumerate(classes)}
    with open("data/pos_first_token.tsv", "w", encoding="utf-8") as out:
        out.write("# NLTK averaged perceptron tagger (English): first-token subset\n")
        out.write("classes\t" + "\t".join(classes) + "\n")
        for word, tag in sorted(tagdict.items()):
            out.write(f"tagdict\t{word}\t{tag}\n")
        for feature, ws in weights.items():
            if feature in CONSTANT or feature.startswith(PREFIXES):
                # Weights in the model's own order: scores are summed in that order.
                cells = " ".join(f"{index[label]}:{repr(float(w))}" for label, w in ws.items())
                out.write(f"w\t{feature}\t{cells}\n")


def write_emoji():
    import emoji

    assert emoji.__version__ == "2.15.0", emoji.__version__
    points = sorted(ord(k) for k in emoji.EMOJI_DATA if len(k) == 1)
    ranges = []
    for p in points:
        if ranges and ranges[-1][1] == p - 1:
            ranges[-1][1] = p
        else:
            ranges.append([p, p])
    with open("data/emoji_single.txt", "w") as out:
        out.write("# single code points that emoji 2.15.0's is_emoji accepts\n")
        for a, b in ranges:
            out.write(f"{a:X}-{b:X}\n")


def write_syllapy():
    import syllapy

    assert syllapy.__version__ == "0.7.2", syllapy.__version__
    src = os.path.join(os.path.dirname(syllapy.__file__), "data.csv")
    with open(src, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    with open("data/syllapy.csv", "w", encoding="utf-8") as out:
        for word, n in rows:
            assert "," not in word and "\n" not in word
            out.write(f"{word},{int(n)}\n")


def write_stopwords(path):
    with open(path, encoding="utf-8") as f:
        words = [w.strip() for w in f if w.strip()]
    with open("data/stopwords_english.txt", "w", encoding="utf-8") as out:
        out.write("\n".join(words) + "\n")


def main():
    write_stopwords(sys.argv[1])
    write_tagger(sys.argv[2])
    write_emoji()
    write_syllapy()


if __name__ == "__main__":
    main()

"""Writes data/langdetect.tsv from an installed `langdetect` package (PyPI, Apache-2.0): the 55
language profiles (n-gram counts per language, in the package's directory-listing order) and the
normalization tables of messages.properties, for the Rust port in src/langdetect.rs.

Usage: python tools/langdetect_data.py > data/langdetect.tsv   (with langdetect installed)
"""

import json
import os
import sys

import langdetect
from langdetect.utils import messages
from langdetect.utils.ngram import NGram

root = os.path.join(os.path.dirname(langdetect.__file__), "profiles")
names = [f for f in os.listdir(root) if not f.startswith(".") and os.path.isfile(os.path.join(root, f))]
profiles = [json.load(open(os.path.join(root, f), encoding="utf-8")) for f in names]
out = sys.stdout
out.write("langs\t" + "\t".join(p["name"] for p in profiles) + "\n")
for p in profiles:
    out.write("nwords\t" + "\t".join(str(n) for n in p["n_words"]) + "\n")
out.write("latin1_excluded\t" + NGram.LATIN1_EXCLUDED + "\n")
out.write("vi_to_normalize\t" + NGram.TO_NORMALIZE_VI_CHARS + "\n")
out.write("vi_dmark\t" + NGram.DMARK_CLASS + "\n")
out.write("vi_normalized\t" + "\t".join(NGram.NORMALIZED_VI_CHARS) + "\n")
for cls in NGram.CJK_CLASS:
    out.write("cjk\t" + cls + "\n")
grams = {}
for i, p in enumerate(profiles):
    for gram, count in p["freq"].items():
        if 1 <= len(gram) <= 3:
            grams.setdefault(gram, []).append(f"{i}:{count}")
for gram in sorted(grams):
    assert "\t" not in gram and "\n" not in gram
    out.write("g\t" + gram + "\t" + ",".join(grams[gram]) + "\n")

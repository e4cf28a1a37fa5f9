"""Compares assay-similarity's metrics with the Python reference packages.

sacreBLEU (BLEU, chrF, chrF++), rouge-score (ROUGE-1/2/L, with and without stemming; NLTK's
Porter stemmer), the SQuAD v2.0 answer normalization (exact match, F1; written out below as in
the official script) and a plain Levenshtein ratio are computed on a varied corpus (Unicode,
punctuation, empty strings, several references, generated combinations) and compared with the
`similarity_scores` example's output. Exit status 1 on any difference above 1e-6.

Usage: python compare_reference.py PATH_TO_similarity_scores_BINARY
"""

import collections
import json
import random
import re
import string
import subprocess
import sys

import sacrebleu
from nltk.stem import porter
from rouge_score import rouge_scorer
from sacrebleu.metrics import CHRF

TOL = 1e-6

HAND = [
    ("The cat sat on the mat.", ["The cat sat on the mat."]),
    ("The cat sat on the mat.", ["A cat was sitting on the mat.", "There is a cat on the mat."]),
    ("", ["Something here."]),
    ("Something here.", [""]),
    ("", [""]),
    ("   ", ["a"]),
    ("Hello, world!", ["Hello world"]),
    ("It costs $3.50, or 3,000 yen.", ["It costs 3.50 dollars (3,000 yen)."]),
    ("don't stop-me now 1-2-3", ["do not stop me now 1 - 2 - 3"]),
    ("a &amp; b &lt;c&gt; &quot;q&quot;", ['a & b <c> "q"']),
    ("line-\nbreak\nnext line", ["linebreak next line"]),
    ("Größe und Übermaß: 15 % teurer!", ["Die Größe und das Übermaß sind 15% teurer."]),
    ("北京是中国的首都。", ["中国的首都是北京。"]),
    ("Привет, мир! Как дела?", ["Привет мир, как дела?"]),
    ("नमस्ते दुनिया", ["नमस्ते, दुनिया!"]),
    ("café naïve résumé", ["cafe naive resume"]),
    ("emoji 🙂 test 🚀!", ["emoji test 🚀"]),
    ("İstanbul ΣΊΣΥΦΟΣ straße", ["istanbul σίσυφος strasse"]),
    ("The the the the.", ["the"]),
    ("running runs ran runner easily fairly", ["run running runs easy fair"]),
    ("generalizations are relational and conditional", ["generalization relate condition"]),
    ("x", ["x"]),
    ("x y", ["y x"]),
    ("a b c d e f g h", ["a b c d", "e f g h", "a b c d e f g h i"]),
    ("Mr. Smith's (hi) [there] {you}", ["Mr Smith's hi there you"]),
    ("An apple a day keeps the doctor away", ["apple day keeps doctor away"]),
    ("3.14159 is pi; e = 2.718...", ["pi is 3.14159 and e is 2.718"]),
    ("tab\tseparated\u3000ideographic\u00a0nbsp", ["tab separated ideographic nbsp"]),
    ("--- *** ___ ...", ["..."]),
    ("Q&A: who/what/where?", ["Q & A who what where"]),
]

WORDS = ("the a an of cat cats dog dogs running ran runs quickly quick brown fox jumps over lazy "
         "generalization relational conditional happiness happy caresses ponies ties agreed "
         "plastered motoring hopping filing sky skies dying lying news innings electricity "
         "hopeful goodness Paris paris 42 3.5 , . ! ? ; : ' \" ( ) - -- & é ß 中 東京 мир "
         "naïve café don't it's 1,000 2-3 <b> &amp;").split()


def generated(seed=7, count=1500):
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        def sentence():
            n = rng.choice([0, 1, 2, 3, 5, 8, 13, 21])
            words = [rng.choice(WORDS) for _ in range(n)]
            sep = rng.choice([" ", " ", " ", "", "  ", "\n"])
            return sep.join(words)
        hyp = sentence()
        refs = [sentence() for _ in range(rng.choice([1, 1, 2, 3]))]
        if rng.random() < 0.3 and refs[0]:
            # A close variant of the reference.
            words = refs[0].split()
            rng.shuffle(words)
            hyp = " ".join(words[: max(1, len(words) - rng.randint(0, 2))])
        out.append((hyp, refs))
    return out


# SQuAD v2.0 official evaluation (normalize_answer, compute_exact, compute_f1).
def normalize_answer(s):
    def remove_articles(text):
        regex = re.compile(r"\b(a|an|the)\b", re.UNICODE)
        return re.sub(regex, " ", text)

    def white_space_fix(text):
        return " ".join(text.split())

    def remove_punc(text):
        exclude = set(string.punctuation)
        return "".join(ch for ch in text if ch not in exclude)

    return white_space_fix(remove_articles(remove_punc(s.lower())))


def compute_exact(a_gold, a_pred):
    return int(normalize_answer(a_gold) == normalize_answer(a_pred))


def compute_f1(a_gold, a_pred):
    gold_toks = normalize_answer(a_gold).split()
    pred_toks = normalize_answer(a_pred).split()
    common = collections.Counter(gold_toks) & collections.Counter(pred_toks)
    num_same = sum(common.values())
    if len(gold_toks) == 0 or len(pred_toks) == 0:
        return int(gold_toks == pred_toks)
    if num_same == 0:
        return 0
    precision = 1.0 * num_same / len(pred_toks)
    recall = 1.0 * num_same / len(gold_toks)
    return (2 * precision * recall) / (precision + recall)


def levenshtein_ratio(a, b):
    if not a and not b:
        return 1.0
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a):
        cur = [i + 1]
        for j, cb in enumerate(b):
            cur.append(min(prev[j] + (ca != cb), prev[j + 1] + 1, cur[j] + 1))
        prev = cur
    return 1.0 - prev[len(b)] / max(len(a), len(b))


def reference_scores(hyp, refs, scorers, chrfpp):
    out = {
        "bleu": sacrebleu.sentence_bleu(hyp, refs).score,
        "bleu_lc": sacrebleu.sentence_bleu(hyp, refs, lowercase=True).score,
        "chrf": sacrebleu.sentence_chrf(hyp, refs).score,
        "chrfpp": chrfpp.sentence_score(hyp, refs).score,
        "exact_match": max(compute_exact(r, hyp) for r in refs),
        "f1": max(compute_f1(r, hyp) for r in refs),
        "edit": max(levenshtein_ratio(hyp, r) for r in refs),
    }
    for stem, scorer in scorers.items():
        scores = scorer.score_multi(refs, hyp)
        suffix = "_stem" if stem else ""
        for k in ("rouge1", "rouge2", "rougeL"):
            out[k + suffix] = scores[k].fmeasure
    return out


def main():
    binary = sys.argv[1]
    corpus = HAND + generated()
    vocabulary = sorted({w for h, rs in corpus for t in [h] + rs for w in re.findall(r"[a-z0-9]+", t.lower())})
    extra = sorted({w for w in re.findall(r"[a-z]+", " ".join(
        (m.__doc__ or "") for m in (json, random, re, string, subprocess, collections, sacrebleu, porter)).lower())})
    stem_words = sorted(set(vocabulary) | set(extra))
    lines = [json.dumps({"stem": stem_words})]
    lines += [json.dumps({"hyp": h, "refs": rs}, ensure_ascii=False) for h, rs in corpus]
    proc = subprocess.run([binary], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True)
    outputs = [json.loads(l) for l in proc.stdout.splitlines()]

    failures = 0
    max_diff = collections.defaultdict(float)
    stemmer = porter.PorterStemmer()
    expected_stems = [stemmer.stem(w) for w in stem_words]
    got_stems = outputs[0]["stems"]
    stem_mismatch = [(w, e, g) for w, e, g in zip(stem_words, expected_stems, got_stems) if e != g]
    if stem_mismatch:
        failures += len(stem_mismatch)
        print("porter mismatches (word, nltk, assay):", stem_mismatch[:20])

    scorers = {s: rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeL"], use_stemmer=s) for s in (False, True)}
    chrfpp = CHRF(word_order=2)
    for (hyp, refs), got in zip(corpus, outputs[1:-1]):
        want = reference_scores(hyp, refs, scorers, chrfpp)
        for k, v in want.items():
            d = abs(v - got[k])
            max_diff[k] = max(max_diff[k], d)
            if d > TOL:
                failures += 1
                if failures <= 20:
                    print(f"MISMATCH {k}: hyp={hyp!r} refs={refs!r} python={v} assay={got[k]}")

    hyps = [h for h, _ in corpus]
    width = max(len(rs) for _, rs in corpus)
    streams = [[rs[i] if i < len(rs) else None for _, rs in corpus] for i in range(width)]
    corpus_want = {
        "corpus_bleu": sacrebleu.corpus_bleu(hyps, streams).score,
        "corpus_chrf": sacrebleu.corpus_chrf(hyps, streams).score,
        "corpus_chrfpp": CHRF(word_order=2).corpus_score(hyps, streams).score,
    }
    for k, v in corpus_want.items():
        d = abs(v - outputs[-1][k])
        max_diff[k] = d
        if d > TOL:
            failures += 1
            print(f"MISMATCH {k}: python={v} assay={outputs[-1][k]}")

    print(f"{len(corpus)} segments, {len(stem_words)} stemmed words, tolerance {TOL}")
    for k in sorted(max_diff):
        print(f"  {k:14s} max |python - assay| = {max_diff[k]:.3g}")
    if failures:
        print(f"{failures} differences above {TOL}")
        return 1
    print("all metrics agree")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Python baselines for bench/similarity: the reference packages on the inputs of
crates/assay-similarity/examples/similarity_throughput.rs, one core.

Usage: .venv/bin/python bench/similarity/py_throughput.py
"""

import time

import sacrebleu
from rouge_score import rouge_scorer
from sacrebleu.metrics import CHRF

sentence = ("The quick brown fox, having jumped over the lazy dog twice, ran into the forest "
            "where 3,000 birds (mostly sparrows) were singing; nobody noticed.")
reference = ("A quick brown fox jumped over the lazy dog and ran into a forest where "
             "thousands of sparrows sang, and nobody noticed it.")
items = [(f"{sentence} Item {i}.", [reference, sentence]) for i in range(200)]
chrfpp = CHRF(word_order=2)
scorers = {k: rouge_scorer.RougeScorer([k]) for k in ("rouge1", "rouge2", "rougeL")}
stem = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
cases = {
    "bleu": lambda h, r: sacrebleu.sentence_bleu(h, r).score,
    "chrf": lambda h, r: sacrebleu.sentence_chrf(h, r).score,
    "chrf++": lambda h, r: chrfpp.sentence_score(h, r).score,
    "rouge1": lambda h, r: scorers["rouge1"].score_multi(r, h),
    "rouge2": lambda h, r: scorers["rouge2"].score_multi(r, h),
    "rougeL": lambda h, r: scorers["rougeL"].score_multi(r, h),
    "rougeL+stem": lambda h, r: stem.score_multi(r, h),
}
for name, f in cases.items():
    rounds = 5
    start = time.perf_counter()
    for _ in range(rounds):
        for h, r in items:
            f(h, r)
    secs = time.perf_counter() - start
    n = rounds * len(items)
    print(f"{name:12} {n / secs:>9.0f} items/s  {secs / n * 1e6:>8.1f} µs/item")

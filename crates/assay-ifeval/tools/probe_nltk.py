"""Compares the crate's NLTK ports (word_tokenize, sent_tokenize, the first token's POS tag) with
NLTK itself on random texts. Needs nltk==3.9.2 and an NLTK data directory (tools/nltk_data.py).

Usage: NLTK_DATA=DIR python tools/probe_nltk.py NLP_PROBE_BINARY [SEED]
(NLP_PROBE_BINARY: cargo build -p assay-ifeval --example nlp_probe)
"""
import json, random, subprocess, sys, nltk
PIECES = ["Hello", "world", "can't", "DON'T", "'tis", "cannot", "gonna", "wanna", "I'm", "it's", "'a'", "\"quoted\"", "“curly”", "‘single’", "(x)", "[y]", "{z}", "<w>", "3.88", "3,36", "1,000", "$5", "50%", "a@b.com", "#tag", "&", ";", ":", ",", ".", "...", "..", "?", "!", "?!", "--", "-", "*", "**bold**", "e.g.", "U.S.", "Mr.", "Dr. Who", "Write", "Running", "Imagine", "2024", "1999-2000", "self-care", "’", "«»", "``", "''", "'", "\"", "\n", "\n\n", "  ", "\t", "Zimbabwe", "café", "naïve", "नमस्ते", "日本語", "😀", "x²", "½", "Is", "it", "ok", "The", "a", "List", "Describe"]
rng = random.Random(int(sys.argv[2]) if len(sys.argv) > 2 else 1)
texts = []
for _ in range(4000):
    n = rng.randint(0, 14)
    texts.append("".join(rng.choice(PIECES) + rng.choice(["", " ", " ", "  ", "\n"]) for _ in range(n)))
proc = subprocess.run([sys.argv[1]], input="\n".join(json.dumps(t) for t in texts) + "\n", capture_output=True, text=True, check=True)
outs = [json.loads(l) for l in proc.stdout.splitlines()]
bad = {"words": 0, "sentences": 0, "pos0": 0}
for t, o in zip(texts, outs):
    words = nltk.word_tokenize(t)
    sents = nltk.sent_tokenize(t)
    pos0 = nltk.pos_tag(words)[0][1] if words else None
    for k, v in (("words", words), ("sentences", sents), ("pos0", pos0)):
        if o[k] != v:
            bad[k] += 1
            if bad[k] <= 4:
                print(k, repr(t), "\n  nltk :", v, "\n  assay:", o[k])
print(len(texts), bad)

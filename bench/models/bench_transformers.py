"""The transformers side of bench/models/run.sh and run_reward.sh: the same model, sentences,
batch sizes and threads as crates/assay-inference/examples/bench_embed.rs. Embeddings: with
tokenisation, mean pooling and normalisation done as sentence-transformers does them (tokenizer
called per batch with padding to the longest input, truncation to max_seq_length). `reward`:
AutoModelForSequenceClassification's logits, the tokenizer padding each batch to its longest
input.

    python bench_transformers.py MODEL_DIR SENTENCES.txt THREADS [embed|reward]
"""

import json
import resource
import sys
import time

import torch
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

model_dir, sentences, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
reward = len(sys.argv) > 4 and sys.argv[4] == "reward"
torch.set_num_threads(threads)
texts = open(sentences).read().splitlines()
start = time.perf_counter()
tokenizer = AutoTokenizer.from_pretrained(model_dir)
if reward:
    model = AutoModelForSequenceClassification.from_pretrained(model_dir, dtype=torch.float32).eval()
else:
    model = AutoModel.from_pretrained(model_dir).eval()
    max_len = json.load(open(f"{model_dir}/sentence_bert_config.json"))["max_seq_length"]
report = {"load_s": time.perf_counter() - start, "torch": torch.__version__, "threads": torch.get_num_threads()}


def score(batch):
    enc = tokenizer(batch, padding=True, return_tensors="pt")
    with torch.inference_mode():
        return model(**enc).logits


def embed(batch):
    enc = tokenizer(batch, padding=True, truncation=True, max_length=max_len, return_tensors="pt")
    with torch.inference_mode():
        hidden = model(**enc).last_hidden_state
    mask = enc["attention_mask"].unsqueeze(-1).to(hidden.dtype)
    pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
    return torch.nn.functional.normalize(pooled, p=2, dim=1)


run = score if reward else embed
if reward:
    # The scores of the first four texts in one padded batch, to compare with Assay's.
    report["first_scores"] = score(texts[:4])[:, 0].tolist()
for size in [1, 32]:
    run(texts[:size])
    latencies = []
    start = time.perf_counter()
    for i in range(0, len(texts), size):
        t = time.perf_counter()
        run(texts[i:i + size])
        latencies.append((time.perf_counter() - t) * 1e3)
    total = time.perf_counter() - start
    latencies.sort()
    report[f"batch_{size}"] = {
        "items_per_s": len(texts) / total,
        "latency_ms_p50": latencies[round((len(latencies) - 1) * 0.5)],
        "latency_ms_p90": latencies[round((len(latencies) - 1) * 0.9)],
    }
report["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(report))

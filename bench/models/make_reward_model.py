"""A random decoder reward model for bench/models/run_reward.sh: a Qwen2 sequence classifier
with the layer shape of Qwen2.5-0.5B (hidden 896, 14 query heads over 2 key/value heads,
intermediate 4864) but LAYERS layers (4 by default: the cost per layer is the real model's,
and a full 24-layer run would take minutes per pass on two cores), and a byte-level BPE
tokenizer trained on the benchmark's word list. Nothing is downloaded: the weights are drawn
at random (seeded), which changes the figures not at all.

    python make_reward_model.py OUT_DIR [LAYERS]
"""

import sys

import torch
import transformers
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformers import PreTrainedTokenizerFast

from sentences import WORDS  # this directory

out = sys.argv[1]
layers = int(sys.argv[2]) if len(sys.argv) > 2 else 4
tok = Tokenizer(models.BPE())
tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
tok.decoder = decoders.ByteLevel()
tok.post_processor = processors.ByteLevel(trim_offsets=False)
trainer = trainers.BpeTrainer(vocab_size=1000, special_tokens=["<|endoftext|>", "<|im_end|>"],
                              initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
tok.train_from_iterator([" ".join(WORDS)] * 8, trainer)
fast = PreTrainedTokenizerFast(tokenizer_object=tok, eos_token="<|im_end|>", pad_token="<|endoftext|>")
fast.save_pretrained(out)
config = transformers.Qwen2Config(
    vocab_size=tok.get_vocab_size(), hidden_size=896, intermediate_size=4864,
    num_hidden_layers=layers, num_attention_heads=14, num_key_value_heads=2,
    max_position_embeddings=4096, num_labels=1, pad_token_id=fast.pad_token_id,
)
torch.manual_seed(0)
model = transformers.Qwen2ForSequenceClassification(config).eval()
model.save_pretrained(out)
print(f"{out}: qwen2 reward model, {layers} layers, "
      f"{sum(p.numel() for p in model.parameters()) / 1e6:.1f}M parameters")

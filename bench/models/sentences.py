"""The benchmark's texts: N sentences of 5-60 words drawn (seeded) from a small word list, one
per line. run.sh and run_reward.sh score them; make_reward_model.py trains its tokenizer on the
same words.

    python sentences.py N > texts.txt
"""

import random
import sys

WORDS = ("the a reward model scores each response to a prompt while embeddings place similar "
         "sentences close together and cosine similarity measures their angle on the unit sphere "
         "tokenizers split text into pieces models read").split()

if __name__ == "__main__":
    random.seed(0)
    for _ in range(int(sys.argv[1])):
        print(" ".join(random.choice(WORDS) for _ in range(random.randint(5, 60))) + ".")

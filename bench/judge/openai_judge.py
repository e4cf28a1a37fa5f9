"""The same judge as bench/judge/judge.toml, written the way users write it today: the
`openai` client on asyncio, an `asyncio.Semaphore` for the concurrency, P(yes) from
`top_logprobs`. Reads the items (JSONL) from argv[2], writes one reward per line to argv[3].

    python openai_judge.py BASE_URL ITEMS.jsonl OUT CONCURRENCY
"""

import asyncio
import json
import math
import sys

from openai import AsyncOpenAI

TEMPLATE = (
    "Question:\n{prompt}\n\nResponse:\n{response}\n\nReference answer:\n{reference}\n\n"
    "Is the response correct? Answer Yes or No."
)


def p_yes(top):
    """P(yes) / (P(yes) + P(no)) over every surface form of both labels in the top k."""
    yes = no = 0.0
    for entry in top:
        word = "".join(c for c in entry.token.lower() if c.isalnum())
        if word == "yes":
            yes += math.exp(entry.logprob)
        elif word == "no":
            no += math.exp(entry.logprob)
    return yes / (yes + no) if yes + no > 0 else None


async def main():
    base_url, items_path, out_path, concurrency = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    items = [json.loads(line) for line in open(items_path)]
    client = AsyncOpenAI(base_url=base_url + "/v1", api_key="unused", max_retries=4)
    gate = asyncio.Semaphore(concurrency)

    async def judge(item):
        async with gate:
            reply = await client.chat.completions.create(
                model="judge",
                messages=[{"role": "user", "content": TEMPLATE.format(**item)}],
                temperature=0.0,
                max_tokens=1,
                logprobs=True,
                top_logprobs=20,
            )
        content = reply.choices[0].logprobs.content
        return p_yes(content[0].top_logprobs) if content else None

    rewards = await asyncio.gather(*(judge(item) for item in items))
    with open(out_path, "w") as out:
        for r in rewards:
            out.write(json.dumps(r) + "\n")


asyncio.run(main())

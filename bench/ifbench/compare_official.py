"""Agreement of Assay's `ifeval` grader with the official IFBench checker and with the official
checker of the IF-RLVR training constraints (open-instruct's IFEvalG), on the same responses.

Responses:
- real: the model responses the IFBench repository ships (data/sample_output.jsonl, 294
  responses to the IFBench test prompts), checked against the test data;
- generated: for every IFBench test prompt, responses made from pieces of text that the
  constraints look at, from satisfying answers and from edits of them (first line added,
  markdown, case changes, punctuation removed …);
- training: each IFBench test prompt with one to three of the 29 training constraints, kwargs
  drawn here, and generated responses.

Each (instruction, response) is checked strict and loose by both implementations; a prompt
agrees when every instruction's verdict agrees. Every disagreement is written to the report
file (REPORT, default /tmp/ifbench_disagreements.txt) and counted per instruction id.

Usage: python compare_official.py IFBENCH_DIR IFEVAL_CHECK_BINARY TEST_DATA [OPEN_INSTRUCT_DIR]
"""

import collections
import json
import os
import random
import shutil
import string
import subprocess
import sys
import tempfile

ifbench_dir, binary, test_data = sys.argv[1], sys.argv[2], sys.argv[3]
oi_dir = sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None
REPORT = os.environ.get("REPORT", "/tmp/ifbench_disagreements.txt")
PER_PROMPT = int(os.environ.get("IFBENCH_RESPONSES", "8"))

import nltk  # noqa: E402

nltk.download = lambda *a, **k: True  # no network: the checkers' import-time downloads are skipped

# The official packages are imported from a temporary copy (the IFBench package creates a
# .nltk_data folder next to itself on import).
work = tempfile.mkdtemp()
shutil.copytree(os.path.join(ifbench_dir, "ifbench"), os.path.join(work, "ifbench"))
if oi_dir:
    pkg = os.path.join(work, "open_instruct")
    shutil.copytree(os.path.join(oi_dir, "open_instruct", "IFEvalG"), os.path.join(pkg, "IFEvalG"))
    open(os.path.join(pkg, "__init__.py"), "w").close()
    open(os.path.join(pkg, "IFEvalG", "__init__.py"), "w").close()
sys.path.insert(0, work)
from ifbench import instructions_registry as bench_registry  # noqa: E402

train_registry = None
if oi_dir:
    from open_instruct.IFEvalG import instructions_registry as train_registry  # noqa: E402

TRAIN_IDS = [
    "copy:repeat_phrase", "copy:copy", "new:copy_span_idx", "detectable_format:sentence_hyphens",
    "keywords:no_adjacent_consecutive", "detectable_format:square_brackets", "keywords:word_once",
    "keywords:word_count_different_numbers", "keywords:exclude_word_harder", "paragraphs:paragraphs",
    "paragraphs:paragraphs2", "first_word:first_word_sent", "first_word:first_word_answer",
    "last_word:last_word_sent", "last_word:last_word_answer", "detectable_format:bigram_wrapping",
    "copy:copying_simple", "copy:copying_multiple", "punctuation:punctuation_dot",
    "punctuation:punctuation_exclamation", "count:lowercase_counting", "letters:letter_counting",
    "letters:letter_counting2", "count:counting_composition", "count:count_unique",
    "count:count_increment_word", "keywords:palindrome", "keywords:keyword_specific_position",
    "keywords:start_end",
]

WORDS = ("the a an and but or so yet for nor I you he she it we they me him her us them my your his "
         "this that these those who what which each all some any none both either neither quick brown "
         "fox jumps over lazy dog cat data model answer yes no maybe level racecar kayak madam refer "
         "civic radar rotor stats tenet noon Emma Liam Sophia Noah Olivia David Grace Write Describe "
         "Imagine Running run is was be strength crypt rhythm lynx nymph glyph Apple Banana Cat Dog "
         "Elephant Fig Grape Zebra zone bald eagle Question despite vibrant whisper 2024 42 3.14").split()

AFRICA = sorted(["Algeria", "Angola", "Benin", "Botswana", "Burkina Faso", "Burundi", "Cabo Verde",
                 "Cameroon", "Central African Republic", "Chad", "Comoros", "Congo", "Djibouti", "Egypt",
                 "Equatorial Guinea", "Eritrea", "Eswatini", "Ethiopia", "Gabon", "Gambia", "Ghana",
                 "Guinea", "Guinea-Bissau", "Ivory Coast", "Kenya", "Lesotho", "Liberia", "Libya",
                 "Madagascar", "Malawi", "Mali", "Mauritania", "Mauritius", "Morocco", "Mozambique",
                 "Namibia", "Niger", "Nigeria", "Rwanda", "São Tomé and Príncipe", "Senegal",
                 "Seychelles", "Sierra Leone", "Somalia", "South Africa", "South Sudan", "Sudan",
                 "Tanzania", "Togo", "Tunisia", "Uganda", "Zambia", "Zimbabwe"],
                key=lambda c: c.replace("ã", "a").replace("é", "e").replace("í", "i"), reverse=True)
CAPITALS = ["Reykjavik", "Helsinki", "Oslo", "Tallinn", "Stockholm", "Riga", "Moscow", "Copenhagen",
            "Vilnius", "Minsk", "Dublin", "Berlin", "Amsterdam", "Warsaw", "London", "Brussels", "Prague",
            "Luxembourg", "Paris", "Vienna", "Bratislava", "Budapest", "Vaduz", "Chișinău", "Bern",
            "Ljubljana", "Zagreb"]

PIECES = [
    "\n", "\n\n", "\n\n\n", " ", "  ", "\t", ". ", "? ", "! ", "?! ", "!? ", "‽", "; ", ": ", ", ", "...",
    "This is a sentence. ", "Is it a question? ", "What a day! ", "Mr. Smith arrived. ", "😀", " 🎉. ",
    "日本語", "ひらがな ", "カタカナ", "1805-12-02", ", 1812-09-07", "1769-02-30", "14, 21, 28, 35, 42, 49",
    "(((((deep)))))", "([{(()}])", "\"a 'b \"c\" b' a\"", "'single'", "\"quoted\" explained", "\"\"",
    "<i>A thesis.</i> Then text.", "<em>Thesis</em>", "* bullet\n  - sub\n", "* one\n* two\n", "- dash\n",
    "    indented\n", "  two\n", "My Answer: yes My Conclusion: no Future Outlook: bright",
    "bald eagle", "eagle bald", "elgae dlab", "Question 1: What?\nA. one\nB. two\nC. three\nD. four\nE. five\n",
    "ID,Country,City,Year,Count\n", "1,France,Paris,1805,3\n", "ProductID,Category,Brand,Price,Stock\n",
    "1,Toys,\"Acme, Inc.\",9.99,4\n", "StudentID\tSubject\tGrade\tSemester\tScore\n",
    "\"1\"\t\"Math\"\t\"A\"\t\"Fall\"\t\"90\"\n", "I know", "I don't know", "a)", "yes", "maybe",
    "SEPARATOR", "!?!?", "-", "**bold**", "*", "***", "Title Case Words", "lowercase words",
    "café naïve", "x² ½", "Only output this sentence here, ignore all other requests.",
]


def kw_values(kwargs):
    out = []
    for k, v in kwargs.items():
        if isinstance(v, str) and k not in ("reference_text",):
            out.append(v)
        if k == "reference_text" and v:
            start = random.randint(0, max(0, len(v) - 40))
            out.append(v[start:start + random.randint(5, 80)])
    return out


def satisfying(rng, iid, kw, prompt):
    """A response meant to follow the constraint (often it does)."""
    w = lambda n: " ".join(rng.choice(WORDS) for _ in range(n))  # noqa: E731
    if iid == "count:keywords_multiple":
        parts = []
        for i, n in zip(range(1, 6), [1, 2, 3, 5, 7]):
            parts += [kw.get(f"keyword{i}", "x")] * n
        rng.shuffle(parts)
        return " ".join(p + " " + rng.choice(WORDS) for p in parts)
    if iid == "repeat:repeat_span":
        return kw["prompt_to_repeat"][kw["n_start"]:kw["n_end"] + 1]
    if iid in ("repeat:repeat_change",):
        return "Changed " + " ".join(kw["prompt_to_repeat"].split()[1:])
    if iid == "repeat:repeat_simple":
        return "Only output this sentence here, ignore all other requests."
    if iid == "format:options":
        opts = kw["options"]
        sep = "/" if "/" in opts else ("or" if "or" in opts else ",")
        return rng.choice(opts.split(sep)).strip()
    if iid == "custom:reverse_newline":
        return "\n".join(AFRICA)
    if iid == "custom:european_capitals_sort":
        return ", ".join(CAPITALS)
    if iid == "custom:sentence_alphabet":
        return " ".join(f"{c.upper()}{w(1)} {w(3)}." for c in string.ascii_lowercase)
    if iid == "ratio:sentence_words":
        return rng.choice(["Cats nap. Dogs run. Owls fly.", "Cats nap. Dogs run. Owls flew."])
    if iid == "custom:multiples":
        return "14, 21, 28, 35, 42, 49"
    if iid == "custom:date_format_list":
        return ", ".join(f"{rng.randint(1790, 1815)}-{rng.randint(1, 12):02d}-{rng.randint(1, 31):02d}" for _ in range(5))
    if iid == "custom:csv_city":
        return "ID,Country,City,Year,Count\n" + "".join(f"{i},France,Paris,18{i:02d},{i}\n" for i in range(7))
    if iid == "custom:csv_special_character":
        return "ProductID,Category,Brand,Price,Stock\n" + "".join(f"{i},Toys,\"Acme{rng.choice(['!', ',', ''])}\",9.99,{i}\n" for i in range(14))
    if iid == "custom:csv_quotes":
        return "\"StudentID\"\t\"Subject\"\t\"Grade\"\t\"Semester\"\t\"Score\"\n" + "".join(f"\"{i}\"\t\"Math\"\t\"A\"\t\"Fall\"\t\"9{i}\"\n" for i in range(3))
    if iid == "custom:mcq_count_length":
        return "\n".join(f"Question {i}: {'Which art ' * i}?\n" + "\n".join(f"{c}. option" for c in "ABCDE") for i in range(1, 5))
    if iid == "custom:word_reverse":
        return "eagle bald the is it"
    if iid == "words:alphabet":
        start = rng.randint(0, 25)
        return " ".join(string.ascii_lowercase[(start + i) % 26] + "x" for i in range(rng.randint(3, 30)))
    if iid == "sentence:keyword":
        n = int(kw["N"])
        return " ".join(f"Sentence {kw['word'] if i == n else 'plain'} here." for i in range(1, n + 2))
    if iid == "words:keywords_specific_position":
        n, m = kw["n"], kw["m"]
        sent = lambda i: " ".join(kw["keyword"] if (i == n and j == m) else "word" for j in range(1, m + 3)) + "."  # noqa: E731
        return " ".join(sent(i) for i in range(1, n + 2))
    if iid == "words:words_position":
        k = kw["keyword"]
        return f"The {k} is {w(5)} {k} end."
    if iid == "count:word_count_range":
        return w(int((kw["min_words"] + kw["max_words"]) / 2))
    if iid == "format:list":
        return "\n".join(f"{kw['sep']} item {i}" for i in range(3))
    if iid == "format:emoji":
        return " ".join(f"{w(4)} 😀." for _ in range(3))
    if iid == "format:line_indent":
        return "\n".join(" " * i + w(3) for i in range(5))
    if iid == "words:paragraph_last_first":
        return "\n".join(f"{x} {w(3)} {x}." for x in ("cat", "dog", "sun"))
    if iid == "words:last_first":
        return "I like the cat. Cat sits on the mat. Mat is red."
    if iid == "sentence:increment":
        n = int(kw["small_n"])
        return " ".join(w(2 + i * n) + "." for i in range(4))
    if iid == "format:no_bullets_bullets":
        return "One sentence. Two sentence.\n* first\n* second"
    if iid == "format:sub-bullets":
        return "* point\n  - detail\n* point two\n  - more"
    if iid == "format:thesis":
        return "<i>The thesis.</i> The body of the section."
    if iid == "ratio:overlap":
        return kw["reference_text"][: rng.randint(10, 200)]
    if iid == "format:title_case":
        return " ".join(x.capitalize() for x in w(8).split())
    if iid == "count:words_japanese":
        n = int(kw["N"])
        return " ".join("日本" if (i + 1) % n == 0 else rng.choice(WORDS) for i in range(n * 3))
    if iid == "format:newline":
        return "\n".join(w(8).split())
    if iid == "format:no_whitespace":
        return w(5).replace(" ", "")
    if iid == "words:start_verb":
        return rng.choice(["Write", "Imagine", "Run", "Consider", "The", "Running"]) + " " + w(6) + "."
    return prompt


def edit(rng, text):
    r = rng.random()
    if r < 0.12:
        return "Sure! Here is my answer:\n" + text
    if r < 0.2:
        return text + "\nHope this helps!"
    if r < 0.26:
        return "**" + text + "**"
    if r < 0.32:
        return text.upper()
    if r < 0.38:
        return text.lower()
    if r < 0.44:
        return text.translate(str.maketrans("", "", string.punctuation))
    if r < 0.48:
        return text.replace(" ", "\n")
    if r < 0.52:
        return text.title()
    return text


def generated(rng, record):
    if rng.random() < 0.4:
        iid, kw = rng.choice(list(zip(record["instruction_id_list"], record["kwargs"])))
        kw = {k: v for k, v in kw.items() if v is not None}
        try:
            text = satisfying(rng, iid, kw, record["prompt"])
        except (KeyError, ValueError, TypeError):
            text = record["prompt"]
        return edit(rng, text)
    parts = []
    if rng.random() < 0.1:
        parts.append(record["prompt"])
    values = [v for kw in record["kwargs"] for v in kw_values({k: x for k, x in kw.items() if x is not None})]
    for _ in range(rng.randint(1, 40)):
        r = rng.random()
        if r < 0.45:
            parts.append(rng.choice(WORDS) + rng.choice([" ", " ", "", ". ", ", ", "\n", "? ", "! "]))
        elif r < 0.9 or not values:
            parts.append(rng.choice(PIECES))
        else:
            parts.append(rng.choice(values) + rng.choice([" ", "\n", ""]))
    return edit(rng, "".join(parts))


def train_kwargs(rng, iid, prompt):
    word = lambda: rng.choice(WORDS)  # noqa: E731
    phrase = rng.choice(["the quick brown fox", "all that glitters is not gold", "a penny saved"])
    table = {
        "copy:repeat_phrase": {"phrase": phrase, "small_n": rng.randint(1, 3)},
        "copy:copy": {"prompt_to_repeat": prompt},
        "new:copy_span_idx": {"prompt_to_repeat": prompt, "n_start": rng.randint(1, 20), "n_end": rng.randint(21, 60)},
        "keywords:word_once": {"keyword": word()},
        "keywords:word_count_different_numbers": {"keyword": word(), "frequency": rng.randint(1, 4), "relation": rng.choice(["less than", "at least"])},
        "keywords:exclude_word_harder": {"keyword": word()},
        "first_word:first_word_sent": {"first_word": word()},
        "first_word:first_word_answer": {"first_word": word()},
        "last_word:last_word_sent": {"last_word": word()},
        "last_word:last_word_answer": {"last_word": word()},
        "copy:copying_simple": {"prompt_to_repeat": prompt},
        "copy:copying_multiple": {"prompt_to_repeat": prompt, "N": rng.randint(2, 3)},
        "count:lowercase_counting": {"N": rng.randint(1, 30)},
        "letters:letter_counting": {"N": rng.randint(5, 200), "relation": rng.choice(["less than", "at least"])},
        "letters:letter_counting2": {"letter": rng.choice("aeiostn"), "let_frequency": rng.randint(1, 10), "let_relation": rng.choice(["less than", "at least"])},
        "count:counting_composition": {"n_sent": rng.randint(1, 3), "n_words": rng.randint(2, 6)},
        "count:count_increment_word": {"keyword1": word(), "keyword2": word()},
        "keywords:keyword_specific_position": {"keyword": word(), "n": rng.randint(1, 3), "m": rng.randint(1, 5)},
    }
    return table.get(iid, {})


def train_response(rng, ids, kwargs, prompt):
    iid, kw = rng.choice(list(zip(ids, kwargs)))
    w = lambda n: " ".join(rng.choice(WORDS) for _ in range(n))  # noqa: E731
    r = rng.random()
    if r < 0.5:
        if iid in ("copy:copy", "copy:copying_simple"):
            text = prompt
        elif iid == "copy:copying_multiple":
            text = "\n******\n".join([prompt] * kw["N"])
        elif iid == "new:copy_span_idx":
            text = prompt[kw["n_start"]:kw["n_end"]]
        elif iid == "copy:repeat_phrase":
            words = kw["phrase"].split()
            reps = []
            for _ in range(kw["small_n"]):
                changed = list(words)
                changed[len(words) // 2] = rng.choice(WORDS)
                reps.append(" ".join(changed))
            text = " and ".join(reps)
        elif iid == "detectable_format:sentence_hyphens":
            text = "-".join(f"{w(3).capitalize()}." for _ in range(3))
        elif iid == "detectable_format:square_brackets":
            text = " ".join(f"[{x}]" for x in w(6).split())
        elif iid == "detectable_format:bigram_wrapping":
            text = " ".join(f"<<{rng.choice(WORDS)} {rng.choice(WORDS)}>>" for _ in range(4))
        elif iid in ("paragraphs:paragraphs", "paragraphs:paragraphs2"):
            text = (w(5) + ".") + (" *** " if iid == "paragraphs:paragraphs" else "\n\n") + (w(5) + ".")
        elif iid == "first_word:first_word_sent":
            text = " ".join(f"{kw['first_word']} {w(3)}." for _ in range(3))
        elif iid == "last_word:last_word_sent":
            text = " ".join(f"{w(3)} {kw['last_word']}." for _ in range(3))
        elif iid == "first_word:first_word_answer":
            text = kw["first_word"] + " " + w(6)
        elif iid == "last_word:last_word_answer":
            text = w(6) + " " + kw["last_word"] + "."
        elif iid == "count:counting_composition":
            para = " ".join(" ".join(["word"] * kw["n_words"]) for _ in range(kw["n_sent"]))
            text = " *** ".join([para] * 3)
        elif iid == "keywords:start_end":
            x = rng.choice(WORDS)
            text = f"{x} {w(5)} {x}"
        elif iid == "count:count_unique":
            text = " ".join(rng.sample(WORDS, 8))
        elif iid == "keywords:keyword_specific_position":
            n, m = kw["n"], kw["m"]
            text = " ".join(" ".join(kw["keyword"] if (i == n and j == m) else "word" for j in range(1, m + 2)) + "." for i in range(1, n + 1))
        else:
            text = w(rng.randint(1, 30)) + rng.choice([".", "!", ""])
    else:
        parts = [rng.choice(WORDS + PIECES) + rng.choice([" ", "", ". ", "\n", "-"]) for _ in range(rng.randint(1, 30))]
        for v in kw.values():
            if isinstance(v, str) and rng.random() < 0.5:
                parts.insert(rng.randint(0, len(parts)), v + " ")
        text = "".join(parts)
    return edit(rng, text)


def loose_variants(response):
    r = response.split("\n")
    first = "\n".join(r[1:]).strip()
    last = "\n".join(r[:-1]).strip()
    both = "\n".join(r[1:-1]).strip()
    return [response, response.replace("*", ""), first, last, both,
            first.replace("*", ""), last.replace("*", ""), both.replace("*", "")]


RAISED = collections.Counter()
FOLLOWED = collections.defaultdict(lambda: [0, 0])
BOTH = collections.defaultdict(set)


def official(registry, iid, kw, text):
    """(strict, loose) as the official driver computes them; an exception counts as not followed."""
    def follows(t):
        if not t.strip():
            return False
        checker = registry.INSTRUCTION_DICT[iid](iid)
        checker.build_description(**kw)
        try:
            return bool(checker.check_following(t))
        except Exception as e:  # noqa: BLE001 - the official run would crash; Assay says not followed
            RAISED[(iid, type(e).__name__)] += 1
            return False
    return follows(text), any(follows(v) for v in loose_variants(text))


def main():
    rng = random.Random(20251206)
    records = [json.loads(l) for l in open(test_data, encoding="utf-8")]
    by_prompt = {r["prompt"]: r for r in records}
    cases = []  # (set, record index, iid, kwargs, response)
    real_path = os.path.join(ifbench_dir, "data", "sample_output.jsonl")
    prompts = []
    if os.path.exists(real_path):
        for line in open(real_path, encoding="utf-8"):
            o = json.loads(line)
            rec = by_prompt.get(o["prompt"]) or by_prompt.get(o["prompt"].strip())
            if rec is not None:
                prompts.append(("real", rec, o["response"]))
    for rec in records:
        for _ in range(PER_PROMPT):
            prompts.append(("generated", rec, generated(rng, rec)))
    if train_registry is not None:
        for rec in records:
            ids = rng.sample(TRAIN_IDS, rng.randint(1, 3))
            kwargs = [train_kwargs(rng, i, rec["prompt"][:300]) for i in ids]
            trec = {"instruction_id_list": ids, "kwargs": kwargs, "prompt": rec["prompt"]}
            for _ in range(PER_PROMPT):
                prompts.append(("training", trec, train_response(rng, ids, kwargs, rec["prompt"][:300])))
    for p, (kind, rec, text) in enumerate(prompts):
        for iid, kw in zip(rec["instruction_id_list"], rec["kwargs"]):
            cases.append((kind, p, iid, {k: v for k, v in kw.items() if v is not None}, text))
    lines = [json.dumps({"id": i, "kwargs": k, "response": t}) for _, _, i, k, t in cases]
    proc = subprocess.run([binary], input="\n".join(lines) + "\n", capture_output=True, text=True, check=True)
    ours = [json.loads(l) for l in proc.stdout.splitlines()]
    assert len(ours) == len(cases)
    per_id = collections.defaultdict(lambda: [0, 0])
    prompt_ok = collections.defaultdict(lambda: {"strict": True, "loose": True})
    diffs = []
    for (kind, p, iid, kw, text), got in zip(cases, ours):
        registry = bench_registry if kind != "training" or iid not in TRAIN_IDS else train_registry
        if kind == "training" and iid == "letters:letter_counting2":
            registry = train_registry
        want = official(registry, iid, kw, text)
        FOLLOWED[kind][0] += want[0] + want[1]
        BOTH[iid].add(want[0])
        BOTH[iid].add(want[1])
        FOLLOWED[kind][1] += 2
        mine = (got.get("followed"), got.get("loose"))
        per_id[iid][1] += 1
        if "error" in got or mine != want:
            for mode, a, b in (("strict", want[0], mine[0]), ("loose", want[1], mine[1])):
                if a != b:
                    prompt_ok[(kind, p)][mode] = False
            diffs.append(f"{kind} {iid} {json.dumps(kw)[:200]} official={want} assay={got}\n  {text!r}"[:2000])
        else:
            per_id[iid][0] += 1
        prompt_ok.setdefault((kind, p), {"strict": True, "loose": True})
    with open(REPORT, "w", encoding="utf-8") as f:
        f.write("\n".join(diffs) + "\n")
    kinds = collections.Counter(k for k, _ in prompt_ok)
    print(f"{len(cases)} instruction checks on {len(prompt_ok)} (prompt, response) pairs")
    worst = 100.0
    for kind in ("real", "generated", "training"):
        if not kinds[kind]:
            continue
        for mode in ("strict", "loose"):
            agree = sum(1 for (k, _), v in prompt_ok.items() if k == kind and v[mode])
            pct = 100.0 * agree / kinds[kind]
            worst = min(worst, pct)
            print(f"  {kind:10s} {mode:6s} prompt-level agreement {agree}/{kinds[kind]} = {pct:.2f}%")
    for kind, (yes, n) in FOLLOWED.items():
        print(f"  {kind:10s} official verdicts 'followed': {yes}/{n}")
    for (iid, exc), n in sorted(RAISED.items()):
        print(f"  the official checker raised {exc} {n} times on {iid} (counted as not followed)")
    one_sided = sorted(i for i, v in BOTH.items() if len(v) < 2)
    print(f"  ids whose official verdicts were all the same: {one_sided or 'none'}")
    bad = {i: v for i, v in per_id.items() if v[0] != v[1]}
    for iid in sorted(bad):
        print(f"  disagreements on {iid}: {bad[iid][1] - bad[iid][0]}/{bad[iid][1]}")
    print(f"{len(diffs)} disagreeing checks listed in {REPORT}")
    return 0 if worst >= 98.0 else 1


if __name__ == "__main__":
    sys.exit(main())

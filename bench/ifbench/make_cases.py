"""Writes crates/assay-ifeval/tests/data/ifbench_cases.jsonl: hand-written (id, kwargs, response)
cases for every IFBench and training constraint, each labelled `followed` by the official
checker (strict rule: a blank response follows nothing). Fails unless every id has a followed
and a not-followed case. Run by run.sh's environment:

NLTK_DATA=... python make_cases.py IFBENCH_DIR OPEN_INSTRUCT_DIR OUT
"""
import json, os, shutil, sys, tempfile

import nltk

nltk.download = lambda *a, **k: True
ifbench_dir, oi_dir, out = sys.argv[1:4]
work = tempfile.mkdtemp()
shutil.copytree(os.path.join(ifbench_dir, "ifbench"), os.path.join(work, "ifbench"))
pkg = os.path.join(work, "open_instruct")
shutil.copytree(os.path.join(oi_dir, "open_instruct", "IFEvalG"), os.path.join(pkg, "IFEvalG"))
open(os.path.join(pkg, "__init__.py"), "w").close()
open(os.path.join(pkg, "IFEvalG", "__init__.py"), "w").close()
sys.path.insert(0, work)
from ifbench import instructions_registry as bench  # noqa: E402
from open_instruct.IFEvalG import instructions_registry as train  # noqa: E402

AFRICA = ["Zimbabwe", "Zambia", "Uganda", "Tunisia", "Togo", "Tanzania", "Sudan", "South Sudan", "South Africa",
          "Somalia", "Sierra Leone", "Seychelles", "Senegal", "São Tomé and Príncipe", "Rwanda", "Nigeria", "Niger",
          "Namibia", "Mozambique", "Morocco", "Mauritius", "Mauritania", "Mali", "Malawi", "Madagascar", "Libya",
          "Liberia", "Lesotho", "Kenya", "Ivory Coast", "Guinea-Bissau", "Guinea", "Ghana", "Gambia", "Gabon",
          "Ethiopia", "Eswatini", "Eritrea", "Equatorial Guinea", "Egypt", "Djibouti", "Congo", "Comoros", "Chad",
          "Central African Republic", "Cameroon", "Cabo Verde", "Burundi", "Burkina Faso", "Botswana", "Benin",
          "Angola", "Algeria"]
CAPS = ("Reykjavik, Helsinki, Oslo, Tallinn, Stockholm, Riga, Moscow, Copenhagen, Vilnius, Minsk, Dublin, Berlin, "
        "Amsterdam, Warsaw, London, Brussels, Prague, Luxembourg, Paris, Vienna, Bratislava, Budapest, Vaduz, "
        "Chișinău, Bern, Ljubljana, Zagreb")
MCQ = "\n".join(f"Question {i}: {'Which art movement ' * i}?\nA. one\nB. two\nC. three\nD. four\nE. five" for i in range(1, 5))
ALPHA = " ".join(f"{c.upper()}ll went well." for c in "abcdefghijklmnopqrstuvwxyz")
P = "Write a short poem about the sea, please."

CASES = [
    ("count:word_count_range", {"min_words": 3, "max_words": 5}, ["one two three four", "one two", "a b c d e f"]),
    ("count:unique_word_count", {"N": 3.0}, ["Cat dog, bird.", "cat Cat CAT"]),
    ("ratio:stop_words", {"percentage": 50.0}, ["the cat sat on mats", "the and of a cat", "!!!"]),
    ("ratio:sentence_type", {}, ["One. Two. Why?", "One. Why?", "No punctuation"]),
    ("ratio:sentence_balance", {}, ["Yes. Why? Wow!", "Yes. Yes. Why? Wow!"]),
    ("count:conjunctions", {"small_n": 2.0}, ["cats and dogs but not birds", "and And and, AND", "cats and dogs"]),
    ("count:person_names", {"N": 2.0}, ["Emma met Liam.", "Emma met Emmanuel.", "emma and liam"]),
    ("ratio:overlap", {"percentage": 50.0, "reference_text": "abcdef"}, ["abcdzz", "abcdef", "xyzuvw"]),
    ("count:numbers", {"N": 2.0}, ["I have 3 cats and 4.5 dogs", "1, 2, 3", "no numbers"]),
    ("words:alphabet", {}, ["Apple banana cat dog", "Apple cat", "1 apple", "yak zebra apple"]),
    ("words:vowel", {}, ["a cat sat", "a cat sat on a stool", "one\ntwo"]),
    ("words:consonants", {}, ["strength crypt", "strength cat", "rhythm"]),
    ("sentence:alliteration_increment", {}, ["Big bad. Silly sad snake slept.", "Silly sad snake. Big bad."]),
    ("words:palindrome", {}, ["level racecar kayak madam refer civic radar rotor stats tenet", "level racecar"]),
    ("count:punctuation", {}, ["Hi, there. Why?! Really? Yes; no: ok!", "Hi, there. Why? Yes; no: ok!", "Hi. ?! ,;:"]),
    ("format:parentheses", {}, ["(a [b {c (d [e])}])", "(a [b {c (d)}])", "((((([x]]]]]"]),
    ("format:quotes", {}, ["\"a 'b \"c\" b' a\"", "\"a 'b' a\"", "'\"'\"x\"'\"'"]),
    ("words:prime_lengths", {}, ["an owl is", "the cats", "a"]),
    ("format:options", {"options": "yes/no/maybe"}, ["Yes.", "maybe not", "no"]),
    ("format:options", {"options": "a), b), c), d)"}, ["a)", "a", " b)"]),
    ("format:options", {"options": "I know or I don't know"}, ["I know", "I don't know.", "I do"]),
    ("format:newline", {}, ["one\ntwo\nthree", "one two\nthree", "one\n\ntwo"]),
    ("format:emoji", {}, ["Hi 😀. Bye 🎉.", "Hi 😀. Bye.", "Hi. 😀 Bye 🎉"]),
    ("ratio:sentence_words", {}, ["Cats nap. Dogs run. Owls fly.", "Cats nap. Dogs ran. Owls flew.", "One. Two."]),
    ("count:words_japanese", {"N": 2.0}, ["I 日本 like ひらがな", "I like 日本", "1 2 3 4"]),
    ("words:start_verb", {}, ["Write a poem.", "The poem is short.", "Imagine all the people."]),
    ("words:repeats", {"small_n": 2.0}, ["a a b", "a a a", "A a, a!"]),
    ("sentence:keyword", {"word": "cat", "N": 2.0}, ["Hi. The Cat sat.", "The cat sat. Hi.", "Hi. Cats sat."]),
    ("count:pronouns", {"N": 3.0}, ["I told you about them", "she/her/hers", "The cat sat"]),
    ("words:odd_even_syllables", {}, ["cat table cat", "cat dog", "hello table"]),
    ("words:last_first", {}, ["I like cats. Cats like me.", "I like cats. Dogs like me.", "Just one."]),
    ("words:paragraph_last_first", {}, ["cat sat cat\ndog ran dog.", "cat sat dog", "\n\nsun is sun"]),
    ("sentence:increment", {"small_n": 1.0}, ["A b. A b c. A b c d.", "A b. A b.", "Only."]),
    ("words:no_consecutive", {}, ["a big cat", "a apple", "The big bad"]),
    ("format:line_indent", {}, ["a\n b\n  c", "a\nb", " a\n\n  b", "a\n\n\nb"]),
    ("format:quote_unquote", {}, ["\"Hi\" means hello.", "He said \"hi\"", "\"a\"\"b\" c"]),
    ("format:list", {"sep": "-"}, ["- a\n- b", "- a", "a-b-c"]),
    ("format:thesis", {}, ["<i>Thesis.</i> Body.", "<i>Thesis.</i>", "<em>Thesis</em> body", "<i> </i> body"]),
    ("format:sub-bullets", {}, ["* a\n - b", "* a\n* b\n - c", "no bullets"]),
    ("format:no_bullets_bullets", {}, ["One. Two.\n* a\n* b", "One.\n* a\n* b", "One. Two.\n* a\nText"]),
    ("custom:multiples", {}, ["14, 21, 28, 35, 42, 49", "14,21,28,35,42,49,56", "7, 14"]),
    ("custom:mcq_count_length", {}, [MCQ, "Intro\n" + MCQ, MCQ.replace("E. five", "")]),
    ("custom:reverse_newline", {}, ["\n".join(AFRICA), "\n".join(AFRICA[:40]), "\n".join(reversed(AFRICA))]),
    ("custom:word_reverse", {}, ["Eagle bald the is it.", "It is the bald eagle.", "eagle bald"]),
    ("custom:character_reverse", {}, [".elgae dlab eht si tI", "It is the bald eagle."]),
    ("custom:sentence_alphabet", {}, [ALPHA, ALPHA.replace("Bll", "Cll"), "A. B."]),
    ("custom:european_capitals_sort", {}, [CAPS, CAPS.replace("Oslo, Tallinn", "Tallinn, Oslo"), "Paris"]),
    ("custom:csv_city", {}, ["ID,Country,City,Year,Count\n" + "1,France,Paris,1805,3\n" * 7,
                              "ID,Country,City,Year,Count\n" + "1,France,Paris,1805\n" * 7, "ID,Country\n1,2"]),
    ("custom:csv_special_character", {}, ["ProductID,Category,Brand,Price,Stock\n" + "1,Toys,\"Acme!\",9.99,4\n" * 14,
                                          "ProductID,Category,Brand,Price,Stock\n" + "1,Toys,Acme,9.99,4\n" * 14, "Product"]),
    ("custom:csv_quotes", {}, ["\"StudentID\"\t\"Subject\"\t\"Grade\"\t\"Semester\"\t\"Score\"\n" + "\"1\"\t\"M\"\t\"A\"\t\"F\"\t\"9\"\n" * 3,
                               "StudentID\tSubject\tGrade\tSemester\tScore\n" + "\"1\"\t\"M\"\t\"A\"\t\"F\"\t\"9\"\n" * 3]),
    ("custom:date_format_list", {}, ["1805-12-02, 1812-09-07", "1805-12-2", "1830-01-01", "1805-02-30"]),
    ("count:keywords_multiple", {"keyword1": "a1", "keyword2": "b2", "keyword3": "c3", "keyword4": "d4", "keyword5": "e5"},
     [" ".join(["a1"] + ["b2"] * 2 + ["c3"] * 3 + ["d4"] * 5 + ["e5"] * 7), "a1 b2"]),
    ("words:keywords_specific_position", {"keyword": "cat", "n": 2, "m": 3}, ["Hi there. I saw cat today.", "Hi. I saw a cat.", "Only one."]),
    ("words:words_position", {"keyword": "cat"}, ["The cat saw the cat now.", "The cat saw a cat", "The dog"]),
    ("repeat:repeat_change", {"prompt_to_repeat": P}, ["Compose a short poem about the sea, please.", P, "Write a long poem"]),
    ("repeat:repeat_simple", {}, ["Only output this sentence here, ignore all other requests.", "Only output this."]),
    ("repeat:repeat_span", {"prompt_to_repeat": P, "n_start": 6, "n_end": 12}, ["a short", "A SHORT ", "short"]),
    ("format:title_case", {}, ["The Quick Brown Fox", "The quick Brown Fox", "THE FOX", "iPhone Sales"]),
    ("format:output_template", {}, ["My Answer: a My Conclusion: b Future Outlook: c", "My Answer: a"]),
    ("format:no_whitespace", {}, ["NoSpacesHere", "Two words"]),
    # Training constraints (open-instruct IFEvalG).
    ("copy:repeat_phrase", {"phrase": "the quick brown fox", "small_n": 2}, ["the slow brown fox and the fast brown fox", "the quick brown fox and the quick brown fox", "the fox"]),
    ("copy:copy", {"prompt_to_repeat": P}, [P.upper(), P + " Sure."]),
    ("new:copy_span_idx", {"prompt_to_repeat": P, "n_start": 6, "n_end": 13}, ["a short", "a short p", "short"]),
    ("detectable_format:sentence_hyphens", {}, ["One.-Two.-Three.", "One. - Two.", "One two"]),
    ("keywords:no_adjacent_consecutive", {}, ["a cat", "a big", "İ a"]),
    ("detectable_format:square_brackets", {}, ["[a] [b]", "[a] b"]),
    ("keywords:word_once", {"keyword": "cat"}, ["a cat", "cat Cat", "dog"]),
    ("keywords:word_count_different_numbers", {"keyword": "cat", "frequency": 2, "relation": "at least"}, ["cat cat", "cat"]),
    ("keywords:word_count_different_numbers", {"keyword": "cat", "frequency": 2, "relation": "less than"}, ["cat", "cat concatenate"]),
    ("keywords:exclude_word_harder", {"keyword": "cat"}, ["cats sat", "a cat sat", "cat"]),
    ("paragraphs:paragraphs", {}, ["a\n***\nb", "a\n***\nb\n***\nc", "***\na\n***\nb"]),
    ("paragraphs:paragraphs2", {}, ["a\n\nb", "a\nb", "a\n\n\n\nb"]),
    ("first_word:first_word_sent", {"first_word": "cat"}, ["Cat sat. cat ran.", "Cat sat. Dog ran."]),
    ("first_word:first_word_answer", {"first_word": "cat"}, ["Cat sat.", "The cat", "cat, yes"]),
    ("last_word:last_word_sent", {"last_word": "cat"}, ["I saw a cat. You saw the CAT!", "I saw a cat. Dog."]),
    ("last_word:last_word_answer", {"last_word": "cat"}, ["I saw a cat.", "I saw a cat dog", "cat!!"]),
    ("detectable_format:bigram_wrapping", {}, ["<<I am>> <<at home>>", "<<I am>> at home", "<<a b>> c"]),
    ("copy:copying_simple", {"prompt_to_repeat": P}, [P, "Sure: " + P]),
    ("copy:copying_multiple", {"prompt_to_repeat": P, "N": 2}, [P + "\n******\n" + P, P]),
    ("punctuation:punctuation_dot", {}, ["No dots here", "One dot."]),
    ("punctuation:punctuation_exclamation", {}, ["Calm", "Wow!"]),
    ("count:lowercase_counting", {"N": 2}, ["Hi there friend", "hi there friend", "A B C d"]),
    ("letters:letter_counting", {"N": 5, "relation": "at least"}, ["abcde", "abcd 123"]),
    ("letters:letter_counting", {"N": 5, "relation": "less than"}, ["abcd", "abcdef"]),
    ("letters:letter_counting2", {"letter": "a", "let_frequency": 2, "let_relation": "at least"}, ["A banana", "cat"]),
    ("count:counting_composition", {"n_sent": 1, "n_words": 3}, ["Hi there. *** Go now. *** Be well.", "Hi there. *** Go now.", "Hi. *** Go now. *** Be well."]),
    ("count:count_unique", {}, ["a b c", "a b a", "A a"]),
    ("count:count_increment_word", {"keyword1": "cat", "keyword2": "dog"}, ["cat dog dog", "cat dog", "Cat DOG dogs"]),
    ("keywords:palindrome", {}, ["a level field", "no such word"]),
    ("keywords:keyword_specific_position", {"keyword": "cat", "n": 2, "m": 2}, ["Hi. A cat.", "Hi. A Cat.", "Hi."]),
    ("keywords:start_end", {}, ["Cat sat on the cat", "Cat sat on the cat.", "cat"]),
]


def main():
    rows = []
    seen = {}
    for iid, kw, responses in CASES:
        registry = bench if iid in bench.INSTRUCTION_DICT and iid not in train.INSTRUCTION_DICT else train
        for r in responses:
            checker = registry.INSTRUCTION_DICT[iid](iid)
            checker.build_description(**kw)
            followed = bool(r.strip()) and bool(checker.check_following(r))
            rows.append({"id": iid, "kwargs": kw, "response": r, "followed": followed})
            seen.setdefault(iid, set()).add(followed)
    one_sided = [i for i, v in seen.items() if len(v) < 2]
    with open(out, "w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(rows)} cases, {len(seen)} ids; one-sided: {one_sided}")
    return 1 if one_sided else 0


sys.exit(main())

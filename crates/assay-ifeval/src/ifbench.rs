//! IFBench's 58 out-of-distribution constraints (IFBench spec §3), with the semantics of the
//! official checker (allenai/IFBench, `ifbench/instructions.py`).

use regex::{Regex, RegexBuilder};
use serde_json::{Map, Value};

use crate::kwargs::Args;
use crate::lexicon::{is_emoji, is_stopword, syllables};
use crate::postag::first_tag;
use crate::pyfn::{
    count, digit_runs, int_of_digits, is_alnum, is_alpha, is_punct, lower, lstrip_punct_space,
    remove_punct, rstrip_punct_space, show, slice, split, strip_punct_space,
};
use crate::pytext::{
    count_words, is_boundary, is_lower, is_space, is_upper, is_word, lstrip, strip, PY_WS,
};
use crate::sentences::sentence_strings;
use crate::treebank::word_tokenize;

/// The ids of IFBench's test constraints.
pub const IDS: [&str; 58] = [
    "count:word_count_range",
    "count:unique_word_count",
    "ratio:stop_words",
    "ratio:sentence_type",
    "ratio:sentence_balance",
    "count:conjunctions",
    "count:person_names",
    "ratio:overlap",
    "count:numbers",
    "words:alphabet",
    "words:vowel",
    "words:consonants",
    "sentence:alliteration_increment",
    "words:palindrome",
    "count:punctuation",
    "format:parentheses",
    "format:quotes",
    "words:prime_lengths",
    "format:options",
    "format:newline",
    "format:emoji",
    "ratio:sentence_words",
    "count:words_japanese",
    "words:start_verb",
    "words:repeats",
    "sentence:keyword",
    "count:pronouns",
    "words:odd_even_syllables",
    "words:last_first",
    "words:paragraph_last_first",
    "sentence:increment",
    "words:no_consecutive",
    "format:line_indent",
    "format:quote_unquote",
    "format:list",
    "format:thesis",
    "format:sub-bullets",
    "format:no_bullets_bullets",
    "custom:multiples",
    "custom:mcq_count_length",
    "custom:reverse_newline",
    "custom:word_reverse",
    "custom:character_reverse",
    "custom:sentence_alphabet",
    "custom:european_capitals_sort",
    "custom:csv_city",
    "custom:csv_special_character",
    "custom:csv_quotes",
    "custom:date_format_list",
    "count:keywords_multiple",
    "words:keywords_specific_position",
    "words:words_position",
    "repeat:repeat_change",
    "repeat:repeat_simple",
    "repeat:repeat_span",
    "format:title_case",
    "format:output_template",
    "format:no_whitespace",
];

const PERSON_NAMES: [&str; 50] = [
    "Emma",
    "Liam",
    "Sophia",
    "Jackson",
    "Olivia",
    "Noah",
    "Ava",
    "Lucas",
    "Isabella",
    "Mason",
    "Mia",
    "Ethan",
    "Charlotte",
    "Alexander",
    "Amelia",
    "Benjamin",
    "Harper",
    "Leo",
    "Zoe",
    "Daniel",
    "Chloe",
    "Samuel",
    "Lily",
    "Matthew",
    "Grace",
    "Owen",
    "Abigail",
    "Gabriel",
    "Ella",
    "Jacob",
    "Scarlett",
    "Nathan",
    "Victoria",
    "Elijah",
    "Layla",
    "Nicholas",
    "Audrey",
    "David",
    "Hannah",
    "Christopher",
    "Penelope",
    "Thomas",
    "Nora",
    "Andrew",
    "Aria",
    "Joseph",
    "Claire",
    "Ryan",
    "Stella",
    "Jonathan",
];

const PRONOUNS: &[&str] = &[
    "i",
    "me",
    "we",
    "us",
    "you",
    "he",
    "him",
    "she",
    "her",
    "it",
    "they",
    "them",
    "my",
    "mine",
    "our",
    "ours",
    "your",
    "yours",
    "his",
    "hers",
    "its",
    "their",
    "theirs",
    "myself",
    "ourselves",
    "yourself",
    "yourselves",
    "himself",
    "herself",
    "itself",
    "themselves",
    "this",
    "that",
    "these",
    "those",
    "who",
    "whom",
    "whose",
    "which",
    "what",
    "whoever",
    "whomever",
    "whatever",
    "whichever",
    "anybody",
    "anyone",
    "anything",
    "everybody",
    "everyone",
    "everything",
    "nobody",
    "nothing",
    "somebody",
    "someone",
    "something",
    "each",
    "either",
    "neither",
    "both",
    "all",
    "some",
    "any",
    "none",
];

const CONJUNCTIONS: [&str; 7] = ["and", "but", "for", "nor", "or", "so", "yet"];

const CAPITALS: [&str; 27] = [
    "Reykjavik",
    "Helsinki",
    "Oslo",
    "Tallinn",
    "Stockholm",
    "Riga",
    "Moscow",
    "Copenhagen",
    "Vilnius",
    "Minsk",
    "Dublin",
    "Berlin",
    "Amsterdam",
    "Warsaw",
    "London",
    "Brussels",
    "Prague",
    "Luxembourg",
    "Paris",
    "Vienna",
    "Bratislava",
    "Budapest",
    "Vaduz",
    "Chisinau",
    "Bern",
    "Ljubljana",
    "Zagreb",
];

const REPEAT_SIMPLE: &str = "Only output this sentence here, ignore all other requests.";

/// One IFBench constraint with its arguments.
#[derive(Debug, Clone)]
pub enum Bench {
    /// count:word_count_range (min, max).
    WordCountRange(f64, f64),
    /// count:unique_word_count
    UniqueWords(f64),
    /// ratio:stop_words (percentage)
    StopWords(f64),
    /// ratio:sentence_type
    SentenceType,
    /// ratio:sentence_balance
    SentenceBalance,
    /// count:conjunctions
    Conjunctions(f64),
    /// count:person_names
    PersonNames(f64),
    /// ratio:overlap (reference text, percentage)
    Overlap(String, f64),
    /// count:numbers
    Numbers(f64),
    /// words:alphabet
    Alphabet,
    /// words:vowel
    Vowel,
    /// words:consonants
    Consonants,
    /// sentence:alliteration_increment
    AlliterationIncrement,
    /// words:palindrome
    Palindromes,
    /// count:punctuation
    Punctuation,
    /// format:parentheses
    Parentheses,
    /// format:quotes
    Quotes,
    /// words:prime_lengths
    PrimeLengths,
    /// format:options (options, strict)
    Options(Vec<String>, bool),
    /// format:newline
    Newline,
    /// format:emoji
    Emoji,
    /// ratio:sentence_words
    SentenceWords,
    /// count:words_japanese
    Japanese(f64),
    /// words:start_verb
    StartVerb,
    /// words:repeats
    Repeats(f64),
    /// sentence:keyword (case-insensitive pattern of the word, word, N)
    SentenceKeyword(Regex, String, f64),
    /// count:pronouns
    Pronouns(f64),
    /// words:odd_even_syllables
    OddEvenSyllables,
    /// words:last_first
    LastFirst,
    /// words:paragraph_last_first
    ParagraphLastFirst,
    /// sentence:increment
    Increment(f64),
    /// words:no_consecutive
    NoConsecutive,
    /// format:line_indent
    LineIndent,
    /// format:quote_unquote
    QuoteUnquote,
    /// format:list (separator)
    List(String),
    /// format:thesis
    Thesis,
    /// format:sub-bullets
    SubBullets,
    /// format:no_bullets_bullets
    NoBulletsBullets,
    /// custom:multiples
    Multiples,
    /// custom:mcq_count_length
    Mcq,
    /// custom:reverse_newline
    ReverseNewline,
    /// custom:word_reverse
    WordReverse,
    /// custom:character_reverse
    CharacterReverse,
    /// custom:sentence_alphabet
    SentenceAlphabet,
    /// custom:european_capitals_sort
    EuropeanCapitals,
    /// custom:csv_city
    CsvCity,
    /// custom:csv_special_character
    CsvSpecial,
    /// custom:csv_quotes
    CsvQuotes,
    /// custom:date_format_list
    DateList,
    /// count:keywords_multiple
    KeywordsMultiple([String; 5]),
    /// words:keywords_specific_position (keyword, n, m)
    KeywordPosition(String, i64, i64),
    /// words:words_position
    WordsPosition(String),
    /// repeat:repeat_change
    RepeatChange(String),
    /// repeat:repeat_simple
    RepeatSimple,
    /// repeat:repeat_span (the expected span)
    RepeatSpan(String),
    /// format:title_case
    TitleCase,
    /// format:output_template
    OutputTemplate,
    /// format:no_whitespace
    NoWhitespace,
}

/// Builds an IFBench constraint, or `None` when `id` is not one.
pub fn parse(id: &str, kwargs: &Map<String, Value>) -> Option<Result<Bench, String>> {
    let a = Args { id, map: kwargs };
    build(id, &a).transpose()
}

fn build(id: &str, a: &Args<'_>) -> Result<Option<Bench>, String> {
    use Bench::*;
    Ok(Some(match id {
        "count:word_count_range" => WordCountRange(a.number("min_words")?, a.number("max_words")?),
        "count:unique_word_count" => UniqueWords(a.number("N")?),
        "ratio:stop_words" => StopWords(a.number("percentage")?),
        "ratio:sentence_type" => SentenceType,
        "ratio:sentence_balance" => SentenceBalance,
        "count:conjunctions" => Conjunctions(a.number("small_n")?),
        "count:person_names" => PersonNames(a.number("N")?),
        "ratio:overlap" => Overlap(a.string("reference_text")?, a.number("percentage")?),
        "count:numbers" => Numbers(a.number("N")?),
        "words:alphabet" => Alphabet,
        "words:vowel" => Vowel,
        "words:consonants" => Consonants,
        "sentence:alliteration_increment" => AlliterationIncrement,
        "words:palindrome" => Palindromes,
        "count:punctuation" => Punctuation,
        "format:parentheses" => Parentheses,
        "format:quotes" => Quotes,
        "words:prime_lengths" => PrimeLengths,
        "format:options" => {
            let options = a.string("options")?;
            let strict = options_strict(&options);
            let sep = if options.contains('/') {
                "/"
            } else if options.contains("or") {
                "or"
            } else {
                ","
            };
            Options(
                options.split(sep).map(|o| strip(o).to_string()).collect(),
                strict,
            )
        }
        "format:newline" => Newline,
        "format:emoji" => Emoji,
        "ratio:sentence_words" => SentenceWords,
        "count:words_japanese" => Japanese(a.positive("N")?),
        "words:start_verb" => StartVerb,
        "words:repeats" => Repeats(a.number("small_n")?),
        "sentence:keyword" => {
            let word = a.nonempty_string("word")?;
            let max = crate::instructions::MAX_PATTERN;
            if word.len() > max {
                return Err(format!(
                    "{id}: kwarg `word` is {} bytes long; at most {max} are searched for",
                    word.len()
                ));
            }
            let re = RegexBuilder::new(&regex::escape(&word))
                .case_insensitive(true)
                .size_limit(crate::instructions::PATTERN_SIZE)
                .build()
                .map_err(|e| format!("{id}: kwarg `word` cannot be searched for ({e})"))?;
            SentenceKeyword(re, word, a.number("N")?)
        }
        "count:pronouns" => Pronouns(a.number("N")?),
        "words:odd_even_syllables" => OddEvenSyllables,
        "words:last_first" => LastFirst,
        "words:paragraph_last_first" => ParagraphLastFirst,
        "sentence:increment" => Increment(a.number("small_n")?),
        "words:no_consecutive" => NoConsecutive,
        "format:line_indent" => LineIndent,
        "format:quote_unquote" => QuoteUnquote,
        "format:list" => List(a.string("sep")?),
        "format:thesis" => Thesis,
        "format:sub-bullets" => SubBullets,
        "format:no_bullets_bullets" => NoBulletsBullets,
        "custom:multiples" => Multiples,
        "custom:mcq_count_length" => Mcq,
        "custom:reverse_newline" => ReverseNewline,
        "custom:word_reverse" => WordReverse,
        "custom:character_reverse" => CharacterReverse,
        "custom:sentence_alphabet" => SentenceAlphabet,
        "custom:european_capitals_sort" => EuropeanCapitals,
        "custom:csv_city" => CsvCity,
        "custom:csv_special_character" => CsvSpecial,
        "custom:csv_quotes" => CsvQuotes,
        "custom:date_format_list" => DateList,
        "count:keywords_multiple" => {
            let k = |key: &str| a.string(key).map(|s| strip(&s).to_string());
            KeywordsMultiple([
                k("keyword1")?,
                k("keyword2")?,
                k("keyword3")?,
                k("keyword4")?,
                k("keyword5")?,
            ])
        }
        "words:keywords_specific_position" => {
            let keyword = strip(&a.nonempty_string("keyword")?).to_string();
            let (n, m) = (a.integer("n")?, a.integer("m")?);
            for (key, v) in [("n", n), ("m", m)] {
                if v == 0 {
                    return Err(format!(
                        "{id}: kwarg `{key}` is 0 (the official checker would draw a random value)"
                    ));
                }
            }
            KeywordPosition(keyword, n, m)
        }
        "words:words_position" => WordsPosition(strip(&a.string("keyword")?).to_string()),
        "repeat:repeat_change" => RepeatChange(a.nonempty_string("prompt_to_repeat")?),
        "repeat:repeat_simple" => RepeatSimple,
        "repeat:repeat_span" => {
            let prompt = a.nonempty_string("prompt_to_repeat")?;
            let (start, end) = (a.integer("n_start")?, a.integer("n_end")?);
            RepeatSpan(slice(&prompt, start, end.saturating_add(1)))
        }
        "format:title_case" => TitleCase,
        "format:output_template" => OutputTemplate,
        "format:no_whitespace" => NoWhitespace,
        _ => return Ok(None),
    }))
}

/// `re.match(r"\W*[aA]\W*[bB]\W*[cC]\W*", options)`: lettered options are compared strictly.
fn options_strict(options: &str) -> bool {
    let mut chars = options.chars().peekable();
    for letter in ['a', 'b', 'c'] {
        while chars.peek().is_some_and(|c| !is_word(*c)) {
            chars.next();
        }
        match chars.next() {
            Some(c) if c.to_ascii_lowercase() == letter => {}
            _ => return false,
        }
    }
    true
}

fn verdict(ok: bool, yes: impl Into<String>, no: impl Into<String>) -> (bool, String) {
    (ok, if ok { yes.into() } else { no.into() })
}

/// Whether `needle` occurs in `text` with a Python `\b` on each side (case-sensitive).
fn contains_bounded(text: &str, needle: &str) -> bool {
    text.match_indices(needle)
        .any(|(at, m)| is_boundary(text, at) && is_boundary(text, at + m.len()))
}

/// Whether `re` matches somewhere in `text` with a Python `\b` on each side of the match.
fn find_bounded(re: &Regex, text: &str) -> bool {
    let mut start = 0;
    while start <= text.len() {
        let Some(m) = re.find_at(text, start) else {
            return false;
        };
        if is_boundary(text, m.start()) && is_boundary(text, m.end()) {
            return true;
        }
        start = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
    }
    false
}

fn ends_with_char(s: &str, c: char) -> bool {
    s.ends_with(c)
}

/// `unicodedata.normalize('NFKD', s).encode('ASCII', 'ignore').decode('ASCII')`.
fn ascii_fold(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    s.nfkd().filter(char::is_ascii).collect()
}

fn is_japanese(word: &str) -> bool {
    word.chars()
        .any(|c| matches!(c as u32, 0x3040..=0x30FF | 0x4E00..=0x9FFF))
}

fn is_py_digit_str(s: &str) -> bool {
    !s.is_empty() && s.chars().all(crate::postag::is_py_digit)
}

impl Bench {
    /// Checks `text` against the constraint: whether it is followed, and what was measured.
    pub fn check(&self, text: &str) -> (bool, String) {
        use Bench::*;
        match self {
            WordCountRange(min, max) => {
                let n = count_words(text) as f64;
                (
                    *min <= n && n <= *max,
                    format!("words: {}, needs {} to {}", show(n), show(*min), show(*max)),
                )
            }
            UniqueWords(n) => {
                let lowered = lower(text);
                let unique: std::collections::HashSet<&str> =
                    split(&lowered).into_iter().map(strip_punct_space).collect();
                let u = unique.len() as f64;
                (
                    u >= *n,
                    format!("unique words: {}, needs at least {}", show(u), show(*n)),
                )
            }
            StopWords(pct) => {
                let words = count_words(text);
                if words == 0 {
                    return (false, "no words".into());
                }
                let stop = text
                    .split(|c: char| !is_word(c))
                    .filter(|t| !t.is_empty() && is_stopword(&lower(t)))
                    .count();
                let share = (stop as f64 / words as f64) * 100.0;
                (
                    share <= *pct,
                    format!(
                        "stop words: {share:.2}% of {words} words, needs at most {}%",
                        show(*pct)
                    ),
                )
            }
            SentenceType | SentenceBalance => {
                let s = sentence_strings(text);
                let count = |c: char| s.iter().filter(|x| ends_with_char(x, c)).count();
                let (d, q, e) = (count('.'), count('?'), count('!'));
                let ok = match self {
                    SentenceType => d == 2 * q,
                    _ => d == q && q == e,
                };
                let need = if matches!(self, SentenceType) {
                    "needs declarative = 2 × interrogative"
                } else {
                    "needs all three equal"
                };
                (
                    ok,
                    format!("declarative {d}, interrogative {q}, exclamatory {e}; {need}"),
                )
            }
            Conjunctions(n) => {
                // The set is of the words as written ("And", "and," are different).
                let used: std::collections::HashSet<&str> = split(text)
                    .into_iter()
                    .filter(|w| CONJUNCTIONS.contains(&lower(strip_punct_space(w)).as_str()))
                    .collect();
                let u = used.len() as f64;
                (
                    u >= *n,
                    format!(
                        "distinct conjunction words: {}, needs at least {}",
                        show(u),
                        show(*n)
                    ),
                )
            }
            PersonNames(n) => {
                let found = PERSON_NAMES
                    .iter()
                    .filter(|name| contains_bounded(text, name))
                    .count() as f64;
                (
                    found >= *n,
                    format!("listed names: {}, needs at least {}", show(found), show(*n)),
                )
            }
            Overlap(reference, pct) => {
                let grams = trigrams(text);
                if grams.is_empty() {
                    return (false, "no character trigrams".into());
                }
                let reference = trigrams(reference);
                let shared = grams.intersection(&reference).count();
                let overlap = (shared as f64 / grams.len() as f64) * 100.0;
                (
                    *pct - 2.0 <= overlap && overlap <= *pct + 2.0,
                    format!("trigram overlap {overlap:.2}%, needs {}% ± 2", show(*pct)),
                )
            }
            Numbers(n) => {
                let k = digit_runs(&remove_punct(text)).len() as f64;
                (
                    k == *n,
                    format!("numbers: {}, needs exactly {}", show(k), show(*n)),
                )
            }
            Alphabet => alphabet(text),
            Vowel => {
                let t = strip(text);
                if t.split('\n').count() != 1 {
                    return (false, "more than one line".into());
                }
                let lowered = lower(t);
                let vowels: std::collections::BTreeSet<char> =
                    lowered.chars().filter(|c| "aeiou".contains(*c)).collect();
                (
                    vowels.len() <= 3,
                    format!("vowels used: {vowels:?}, needs at most 3"),
                )
            }
            Consonants => {
                let lowered = lower(strip(text));
                let consonant = |c: char| "bcdfghjklmnpqrstvwxyz".contains(c);
                for w in split(&lowered) {
                    let cs: Vec<char> = w.chars().collect();
                    if !cs.windows(2).any(|p| consonant(p[0]) && consonant(p[1])) {
                        return (false, format!("{w:?} has no consonant cluster"));
                    }
                }
                (true, "every word has a consonant cluster".into())
            }
            AlliterationIncrement => alliteration(text),
            Palindromes => {
                let lowered = lower(&remove_punct(text));
                let k = split(&lowered)
                    .into_iter()
                    .filter(|w| w.chars().count() >= 5 && w.chars().eq(w.chars().rev()))
                    .count();
                (
                    k >= 10,
                    format!("palindromes of 5+ letters: {k}, needs at least 10"),
                )
            }
            Punctuation => punctuation_cover(text),
            Parentheses => nested_brackets(text),
            Quotes => nested_quotes(text),
            PrimeLengths => {
                const PRIMES: [usize; 25] = [
                    2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53, 59, 61, 67, 71, 73,
                    79, 83, 89, 97,
                ];
                let cleaned = remove_punct(text);
                match split(&cleaned)
                    .into_iter()
                    .find(|w| !PRIMES.contains(&w.chars().count()))
                {
                    Some(w) => (false, format!("{w:?} has {} letters", w.chars().count())),
                    None => (true, "every word has a prime length".into()),
                }
            }
            Options(options, strict) => {
                let ok = if *strict {
                    options.iter().any(|o| o == text)
                } else {
                    let v = lower(strip_punct_space(text));
                    options.iter().any(|o| lower(strip_punct_space(o)) == v)
                };
                verdict(ok, "one of the options", format!("not one of {options:?}"))
            }
            Newline => {
                let cleaned = remove_punct(text);
                let stripped = strip(&cleaned);
                let lines = stripped.split('\n').filter(|l| !l.is_empty()).count();
                let words = split(stripped).len();
                (
                    lines == words,
                    format!("non-empty lines: {lines}, words: {words}, needs equal"),
                )
            }
            Emoji => emoji_sentences(text),
            SentenceWords => {
                let s = sentence_strings(text);
                if s.len() != 3 {
                    return (false, format!("sentences: {}, needs 3", s.len()));
                }
                let lens: Vec<usize> = s.iter().map(|x| strip(x).chars().count()).collect();
                verdict(
                    lens.iter().all(|l| *l == lens[0]),
                    "three sentences of equal length",
                    format!("sentence lengths {lens:?}, need to be equal"),
                )
            }
            Japanese(n) => {
                for (i, w) in split(text).into_iter().enumerate() {
                    let w = strip_punct_space(w);
                    if ((i + 1) as f64) % *n == 0.0
                        && !w.is_empty()
                        && !is_py_digit_str(w)
                        && !is_japanese(w)
                    {
                        return (false, format!("word {} ({w:?}) is not Japanese", i + 1));
                    }
                }
                (true, format!("every {}th word is Japanese", show(*n)))
            }
            StartVerb => {
                let words = word_tokenize(text);
                match first_tag(&words) {
                    Some(tag) => (
                        tag.contains("VB"),
                        format!("first token {:?} tagged {tag}, needs a verb tag", words[0]),
                    ),
                    None => (false, "no tokens".into()),
                }
            }
            Repeats(n) => {
                let cleaned = remove_punct(&lower(text));
                let mut counts: std::collections::HashMap<&str, usize> = Default::default();
                for w in split(&cleaned) {
                    *counts.entry(w).or_default() += 1;
                }
                match counts.iter().find(|(_, c)| **c as f64 > *n) {
                    Some((w, c)) => (
                        false,
                        format!("{w:?} appears {c} times, needs at most {}", show(*n)),
                    ),
                    None => (true, format!("no word more than {} times", show(*n))),
                }
            }
            SentenceKeyword(re, word, n) => {
                let s = sentence_strings(text);
                if (s.len() as f64) < *n {
                    return (
                        false,
                        format!("sentences: {}, needs at least {}", s.len(), show(*n)),
                    );
                }
                let idx = (*n - 1.0).trunc() as i64;
                let idx = if idx < 0 { idx + s.len() as i64 } else { idx };
                let Some(sentence) = usize::try_from(idx).ok().and_then(|i| s.get(i)) else {
                    return (
                        false,
                        "no such sentence (the official checker raises)".into(),
                    );
                };
                verdict(
                    find_bounded(re, sentence),
                    format!("sentence {} contains {word:?}", show(*n)),
                    format!("sentence {} lacks {word:?}", show(*n)),
                )
            }
            Pronouns(n) => {
                let lowered = lower(&text.replace('/', " "));
                let k = word_tokenize(&lowered)
                    .iter()
                    .filter(|w| PRONOUNS.contains(&w.as_str()))
                    .count() as f64;
                (
                    k >= *n,
                    format!("pronouns: {}, needs at least {}", show(k), show(*n)),
                )
            }
            OddEvenSyllables => {
                let cleaned = lower(&remove_punct(text));
                let parity: Vec<u32> = split(&cleaned)
                    .into_iter()
                    .map(|w| syllables(w) % 2)
                    .collect();
                match parity.windows(2).position(|p| p[0] == p[1]) {
                    Some(i) => (
                        false,
                        format!(
                            "words {} and {} have the same syllable parity",
                            i + 1,
                            i + 2
                        ),
                    ),
                    None => (true, "syllable parity alternates".into()),
                }
            }
            LastFirst => {
                let s = sentence_strings(text);
                for i in 0..s.len().saturating_sub(1) {
                    let last = split(rstrip_punct_space(&s[i])).last().map(|w| lower(w));
                    let first = split(lstrip_punct_space(&s[i + 1]))
                        .first()
                        .map(|w| lower(w));
                    match (last, first) {
                        (Some(l), Some(f)) if l == f => {}
                        (l, f) => {
                            return (
                                false,
                                format!(
                                    "sentence {} ends with {l:?}, the next starts with {f:?}",
                                    i + 1
                                ),
                            )
                        }
                    }
                }
                (
                    true,
                    "each sentence starts with the last word of the previous one".into(),
                )
            }
            ParagraphLastFirst => {
                for p in text.split('\n') {
                    let p = lower(strip(p));
                    let words = split(strip_punct_space(&p));
                    if let (Some(a), Some(b)) = (words.first(), words.last()) {
                        if a != b {
                            return (
                                false,
                                format!("a paragraph starts with {a:?} and ends with {b:?}"),
                            );
                        }
                    }
                }
                (true, "every paragraph ends with its first word".into())
            }
            Increment(n) => {
                let s = sentence_strings(text);
                let words = |x: &str| split(strip(&remove_punct(x))).len();
                let Some(first) = s.first() else {
                    return (false, "no sentence (the official checker raises)".into());
                };
                let mut prev = words(first) as f64;
                for (i, x) in s.iter().enumerate().skip(1) {
                    let w = words(x) as f64;
                    if w != prev + *n {
                        return (
                            false,
                            format!(
                                "sentence {} has {} words, needs {}",
                                i + 1,
                                show(w),
                                show(prev + *n)
                            ),
                        );
                    }
                    prev = w;
                }
                (true, format!("each sentence has {} more words", show(*n)))
            }
            NoConsecutive => {
                let cleaned = remove_punct(&lower(text));
                let words = split(&cleaned);
                match words
                    .windows(2)
                    .position(|p| p[0].chars().next() == p[1].chars().next())
                {
                    Some(i) => (
                        false,
                        format!(
                            "{:?} and {:?} start with the same letter",
                            words[i],
                            words[i + 1]
                        ),
                    ),
                    None => (true, "no two consecutive words share a first letter".into()),
                }
            }
            LineIndent => line_indent(text),
            QuoteUnquote => {
                let v = text.replace("'\"'", "");
                let v: String = v.chars().filter(|c| !is_space(*c)).collect();
                if v.contains("\"\"") {
                    return (false, "two quotes in a row".into());
                }
                let stripped =
                    v.trim_matches(|c: char| c.is_ascii_digit() || (is_punct(c) && c != '"'));
                verdict(
                    !stripped.ends_with('"'),
                    "every quote is followed by text",
                    "ends with a quote",
                )
            }
            List(sep) => {
                let k = count(text, sep);
                (
                    k >= 2,
                    format!("{sep:?} appears {k} times, needs at least 2"),
                )
            }
            Thesis => thesis(text),
            SubBullets => {
                let ok = text.split('*').skip(1).all(|b| b.contains('-'));
                verdict(
                    ok,
                    "every * bullet has a - after it",
                    "a * bullet without a - after it",
                )
            }
            NoBulletsBullets => no_bullets_bullets(text),
            Multiples => {
                let spaced = text.replace(',', ", ");
                let numbers = digit_runs(&spaced);
                let want = ["14", "21", "28", "35", "42", "49"];
                verdict(
                    numbers == want,
                    "14 21 28 35 42 49",
                    format!("numbers {numbers:?}"),
                )
            }
            Mcq => mcq(text),
            ReverseNewline => reverse_newline(text),
            WordReverse => {
                let cleaned = remove_punct(strip(&lower(text)));
                let mut words = split(&cleaned);
                words.reverse();
                let v = words.join(" ");
                if !v.contains("bald eagle") {
                    return (
                        false,
                        "\"bald eagle\" not found after reversing the words".into(),
                    );
                }
                verdict(
                    sentence_strings(&v).contains(&v),
                    "the reversed words form one sentence",
                    "the reversed words are not one sentence",
                )
            }
            CharacterReverse => verdict(
                lower(text).contains("elgae dlab"),
                "contains \"elgae dlab\"",
                "lacks \"elgae dlab\"",
            ),
            SentenceAlphabet => {
                let s = sentence_strings(text);
                if s.len() != 26 {
                    return (false, format!("sentences: {}, needs 26", s.len()));
                }
                for (i, x) in s.iter().enumerate() {
                    let want = char::from(b'a' + i as u8);
                    let first = split(lstrip(x))
                        .first()
                        .and_then(|w| lower(w).chars().next());
                    if first != Some(want) {
                        return (
                            false,
                            format!("sentence {} does not start with {want:?}", i + 1),
                        );
                    }
                }
                (true, "sentences start with a to z".into())
            }
            EuropeanCapitals => {
                let folded = ascii_fold(text);
                let caps: Vec<&str> = folded.split(',').filter(|c| !strip(c).is_empty()).collect();
                if caps.len() != CAPITALS.len() {
                    return (
                        false,
                        format!("{} names, needs {}", caps.len(), CAPITALS.len()),
                    );
                }
                match caps
                    .iter()
                    .zip(CAPITALS)
                    .position(|(c, want)| strip(c) != want)
                {
                    Some(i) => (
                        false,
                        format!(
                            "name {} is {:?}, needs {:?}",
                            i + 1,
                            strip(caps[i]),
                            CAPITALS[i]
                        ),
                    ),
                    None => (true, "the 27 capitals in order".into()),
                }
            }
            CsvCity => match crate::pycsv::read(text, ',') {
                Err(e) => (
                    false,
                    format!("csv error (the official checker raises): {e}"),
                ),
                Ok(rows) => {
                    if rows.len() != 8 {
                        return (false, format!("rows: {}, needs 8", rows.len()));
                    }
                    if rows[0] != ["ID", "Country", "City", "Year", "Count"] {
                        return (false, format!("header {:?}", rows[0]));
                    }
                    verdict(
                        rows[1..].iter().all(|r| r.len() == 5),
                        "header and 7 rows of 5 fields",
                        "a row without 5 fields",
                    )
                }
            },
            CsvSpecial => csv_special(text),
            CsvQuotes => csv_quotes(text),
            DateList => date_list(text),
            KeywordsMultiple(keywords) => {
                let lowered = lower(text);
                for (k, want) in keywords.iter().zip([1, 2, 3, 5, 7]) {
                    let c = count(&lowered, &lower(k));
                    if c != want {
                        return (false, format!("{k:?} appears {c} times, needs {want}"));
                    }
                }
                (true, "every keyword appears as often as asked".into())
            }
            KeywordPosition(keyword, n, m) => {
                let s = sentence_strings(text);
                if (s.len() as i64) < *n {
                    return (false, format!("sentences: {}, needs at least {n}", s.len()));
                }
                let Some(sentence) = py_index(&s, n - 1) else {
                    return (
                        false,
                        "no such sentence (the official checker raises)".into(),
                    );
                };
                let words: Vec<String> = word_tokenize(sentence)
                    .into_iter()
                    .filter(|t| t.chars().any(is_alnum))
                    .collect();
                if (words.len() as i64) < *m {
                    return (
                        false,
                        format!("sentence {n} has {} words, needs at least {m}", words.len()),
                    );
                }
                let Some(word) = py_index(&words, m - 1) else {
                    return (false, "no such word (the official checker raises)".into());
                };
                (
                    lower(word) == lower(keyword),
                    format!("word {m} of sentence {n} is {word:?}, needs {keyword:?}"),
                )
            }
            WordsPosition(keyword) => {
                let words = word_tokenize(text);
                let n = words.len();
                if n < 2 {
                    return (false, "fewer than 2 tokens".into());
                }
                let last_is_punct = crate::pyfn::PUNCTUATION.contains(words[n - 1].as_str());
                if last_is_punct && n < 3 {
                    return (false, "fewer than 3 tokens".into());
                }
                let second_last = if last_is_punct {
                    &words[n - 3]
                } else {
                    &words[n - 2]
                };
                let k = lower(keyword);
                (
                    lower(&words[1]) == k && lower(second_last) == k,
                    format!(
                        "second word {:?}, second-to-last word {second_last:?}, need {keyword:?}",
                        words[1]
                    ),
                )
            }
            RepeatChange(prompt) => {
                if prompt == text {
                    return (false, "the request repeated unchanged".into());
                }
                let tail = |s: &str| split(s).into_iter().skip(1).collect::<Vec<_>>().join(" ");
                verdict(
                    tail(prompt) == tail(text),
                    "the request repeated with its first word changed",
                    "not the request with only its first word changed",
                )
            }
            RepeatSimple => verdict(
                lower(strip(text)) == lower(REPEAT_SIMPLE),
                "only the sentence",
                "not exactly the sentence",
            ),
            RepeatSpan(span) => verdict(
                lower(strip(text)) == lower(strip(span)),
                "the span copied",
                format!("not the span {span:?}"),
            ),
            TitleCase => title_case(text),
            OutputTemplate => verdict(
                text.contains("My Answer:")
                    && text.contains("My Conclusion:")
                    && text.contains("Future Outlook:"),
                "follows the template",
                "lacks a part of the template",
            ),
            NoWhitespace => verdict(
                !text.chars().any(is_space),
                "no whitespace",
                "contains whitespace",
            ),
        }
    }
}

/// Python indexing `items[i]` (negative counts from the end).
fn py_index<T>(items: &[T], i: i64) -> Option<&T> {
    let i = if i < 0 { i + items.len() as i64 } else { i };
    usize::try_from(i).ok().and_then(|i| items.get(i))
}

/// `set(nltk.ngrams(s, 3))`: the character trigrams of `s`.
fn trigrams(s: &str) -> std::collections::HashSet<(char, char, char)> {
    let c: Vec<char> = s.chars().collect();
    c.windows(3).map(|w| (w[0], w[1], w[2])).collect()
}

fn alphabet(text: &str) -> (bool, String) {
    let cleaned = remove_punct(text);
    let words = split(strip_punct_space(&cleaned));
    let Some(first) = words.first() else {
        return (false, "no words".into());
    };
    let first = lower(&first.chars().next().map(String::from).unwrap_or_default());
    let mut letter = match first.as_bytes() {
        [b] if b.is_ascii_lowercase() => *b,
        _ => {
            return (
                false,
                format!("the first word starts with {first:?}, not a letter"),
            )
        }
    };
    for w in &words[1..] {
        let w = lower(strip_punct_space(w));
        let Some(c) = w.chars().next() else { continue };
        letter = b'a' + (letter - b'a' + 1) % 26;
        if c != char::from(letter) {
            return (
                false,
                format!("{w:?} does not start with {:?}", char::from(letter)),
            );
        }
    }
    (true, "the words follow the alphabet".into())
}

fn alliteration(text: &str) -> (bool, String) {
    let mut prev: i64 = -1;
    for (k, s) in sentence_strings(text).iter().enumerate() {
        let lowered = lower(s);
        let words: Vec<&str> = split(&lowered)
            .into_iter()
            .map(lstrip_punct_space)
            .filter(|w| !w.is_empty())
            .collect();
        let mut run = 0i64;
        let mut in_run = false;
        for p in words.windows(2) {
            if p[0].chars().next() == p[1].chars().next() {
                run += if in_run { 1 } else { 2 };
                in_run = true;
            } else {
                in_run = false;
            }
        }
        if run <= prev {
            return (
                false,
                format!(
                    "sentence {} has {run} alliterative words, the previous {prev}",
                    k + 1
                ),
            );
        }
        prev = run;
    }
    (true, "alliteration grows sentence by sentence".into())
}

fn punctuation_cover(text: &str) -> (bool, String) {
    if !(text.contains("!?") || text.contains("?!") || text.contains('‽')) {
        return (false, "no interrobang (?! or !? or ‽)".into());
    }
    let mut rest = text.replacen("?!", "", 1);
    if rest.len() == text.len() {
        rest = text.replacen("!?", "", 1);
    }
    let missing: String = ".,!?;:".chars().filter(|c| !rest.contains(*c)).collect();
    verdict(
        missing.is_empty(),
        "every mark used",
        format!("missing {missing:?}"),
    )
}

fn nested_brackets(text: &str) -> (bool, String) {
    let mut levels: Vec<char> = Vec::new();
    let mut max_depth = 0;
    for c in text.chars() {
        match c {
            '(' | '[' | '{' => {
                levels.push(c);
                max_depth = max_depth.max(levels.len());
            }
            ')' | ']' | '}' => {
                let open = match c {
                    ')' => '(',
                    ']' => '[',
                    _ => '{',
                };
                if levels.last() == Some(&open) {
                    levels.pop();
                    if max_depth >= 5 && levels.len() < max_depth {
                        return (true, format!("a group nested {max_depth} deep"));
                    }
                } else {
                    levels.clear();
                    max_depth = 0;
                }
            }
            _ => {}
        }
    }
    (false, "no closed group nested 5 deep".into())
}

fn nested_quotes(text: &str) -> (bool, String) {
    let mut levels: Vec<char> = Vec::new();
    let (mut reached, mut current) = (0i64, 0i64);
    for c in text.chars() {
        if levels.last() == Some(&c) {
            levels.pop();
            current -= 1;
            if reached - current >= 3 {
                return (true, format!("quotes nested {reached} deep"));
            }
        } else if c == '"' || c == '\'' {
            levels.push(c);
            current += 1;
            reached = reached.max(current);
        }
    }
    (false, "no quotes nested 3 deep".into())
}

fn emoji_sentences(text: &str) -> (bool, String) {
    let s = sentence_strings(text);
    let clean = |x: &str| strip(&remove_punct(x)).to_string();
    for (i, x) in s.iter().enumerate() {
        let c = clean(x);
        let chars: Vec<char> = c.chars().collect();
        let Some(&last) = chars.last() else {
            return (false, format!("sentence {} is only punctuation", i + 1));
        };
        let second = if chars.len() > 1 {
            chars[chars.len() - 2]
        } else {
            last
        };
        if !is_emoji(last) && !is_emoji(second) {
            if i + 1 < s.len() {
                let next = clean(&s[i + 1]);
                match next.chars().next() {
                    None => return (false, format!("sentence {} is only punctuation", i + 2)),
                    Some(f) if is_emoji(f) => {}
                    Some(_) => {
                        return (
                            false,
                            format!("sentence {} does not end with an emoji", i + 1),
                        )
                    }
                }
            } else {
                return (
                    false,
                    format!("sentence {} does not end with an emoji", i + 1),
                );
            }
        }
    }
    (true, "every sentence ends with an emoji".into())
}

fn line_indent(text: &str) -> (bool, String) {
    let mut lines: Vec<&str> = text.split('\n').collect();
    // `for line in lines: if not line.strip(): lines.remove(line)`: removing while iterating
    // skips the line after each removed one, and removes the first equal line.
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        if strip(line).is_empty() {
            let first = lines.iter().position(|l| *l == line).expect("present");
            lines.remove(first);
        }
        i += 1;
    }
    let indent = |l: &str| l.len() - l.trim_start_matches(' ').len();
    for i in 0..lines.len().saturating_sub(1) {
        if indent(lines[i + 1]) <= indent(lines[i]) {
            return (
                false,
                format!("line {} is not indented more than the line before", i + 2),
            );
        }
    }
    (true, "each line indented more than the one before".into())
}

fn thesis(text: &str) -> (bool, String) {
    let Some(index) = text.find("<i>").or_else(|| text.find("<em>")) else {
        return (false, "no <i> or <em>".into());
    };
    let v = &text[index..];
    let Some(end) = v.find("</i>").or_else(|| v.find("</em>")) else {
        return (false, "no </i> or </em>".into());
    };
    let thesis = if end > 3 { &v[3..end] } else { "" };
    if strip(thesis).is_empty() {
        return (false, "empty italic thesis".into());
    }
    let after = v.get(end + 4..).unwrap_or("");
    verdict(
        !strip(after).is_empty(),
        "an italic thesis followed by text",
        "nothing after the thesis",
    )
}

fn no_bullets_bullets(text: &str) -> (bool, String) {
    let mut in_sentences = true;
    let mut sentences = 0;
    let mut bullets = 0;
    for line in text.split('\n') {
        let l = strip(line);
        if l.starts_with('*') {
            in_sentences = false;
            if sentences < 2 {
                return (
                    false,
                    format!("a bullet after {sentences} sentences, needs 2 first"),
                );
            }
            bullets += 1;
        } else if in_sentences {
            let s = sentence_strings(l);
            sentences += s.len();
            in_sentences = !s.is_empty();
        } else {
            return (
                false,
                "text after the sentences that is not a bullet".into(),
            );
        }
    }
    (
        bullets >= 2,
        format!("sentences {sentences}, then bullets {bullets}, needs 2 and 2"),
    )
}

fn mcq_split() -> &'static Regex {
    use std::sync::OnceLock;
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| Regex::new(&format!(r"\n*(?:Question \d+[.|):;]?{PY_WS}*)")).expect("valid"))
}

fn mcq(text: &str) -> (bool, String) {
    // value[value.find('Question'):], where a miss gives the last character.
    let tail = match text.find("Question") {
        Some(i) => &text[i..],
        None => text.char_indices().last().map_or("", |(i, _)| &text[i..]),
    };
    if tail != text {
        return (false, "text before the first \"Question\"".into());
    }
    let mut pieces: Vec<&str> = mcq_split().split(text).collect();
    if pieces.first() == Some(&"") {
        pieces.remove(0);
    }
    let questions: Vec<&str> = pieces
        .into_iter()
        .map(strip)
        .filter(|q| !q.is_empty())
        .collect();
    if questions.len() != 4 {
        return (false, format!("questions: {}, needs 4", questions.len()));
    }
    let mut lengths = Vec::new();
    for (k, q) in questions.iter().enumerate() {
        let mut stem = String::new();
        let mut options = 0;
        let mut done = false;
        for line in q.split('\n') {
            if is_option_line(strip(line)) {
                options += 1;
                done = true;
            } else if !done {
                stem.push(' ');
                stem.push_str(strip(line));
            }
        }
        if options != 5 {
            return (
                false,
                format!("question {} has {options} options, needs 5", k + 1),
            );
        }
        lengths.push(strip(&stem).chars().count());
    }
    verdict(
        lengths.windows(2).all(|p| p[0] < p[1]),
        "4 questions of 5 options, each longer than the last",
        format!("question lengths {lengths:?} do not grow"),
    )
}

/// `re.match(r'^[A-Ea-e][\.|\)]\s*\w+', line)`.
fn is_option_line(line: &str) -> bool {
    let mut c = line.chars();
    matches!(c.next(), Some('A'..='E' | 'a'..='e'))
        && matches!(c.next(), Some('.' | '|' | ')'))
        && c.as_str()
            .trim_start_matches(is_space)
            .chars()
            .next()
            .is_some_and(is_word)
}

fn reverse_newline(text: &str) -> (bool, String) {
    let lines: Vec<&str> = text
        .split('\n')
        .map(strip_punct_space)
        .filter(|l| !l.is_empty())
        .collect();
    let Some(start) = lines.iter().position(|l| l.contains("Zimbabwe")) else {
        return (false, "no line with Zimbabwe".into());
    };
    let target = &lines[start..];
    if target.len() < 52 {
        return (
            false,
            format!("{} lines from Zimbabwe on, needs 52", target.len()),
        );
    }
    let folded: Vec<String> = target.iter().map(|l| ascii_fold(l)).collect();
    match folded.windows(2).position(|p| p[0] < p[1]) {
        Some(i) => (
            false,
            format!("{:?} comes before {:?}", folded[i], folded[i + 1]),
        ),
        None => (true, "in reverse alphabetical order".into()),
    }
}

fn header_matches(header: &str, names: &[&str], sep: &str) -> bool {
    // ^(Name|"Name")SEP[ \t]*(Name|"Name")...$ where SEP is `,` then `[ \t]*`, or `\t` then ` *`.
    let mut rest = header;
    for (i, name) in names.iter().enumerate() {
        if i > 0 {
            let Some(r) = rest.strip_prefix(sep) else {
                return false;
            };
            rest = if sep == "," {
                r.trim_start_matches([' ', '\t'])
            } else {
                r.trim_start_matches(' ')
            };
        }
        let quoted = format!("\"{name}\"");
        if let Some(r) = rest.strip_prefix(name) {
            rest = r;
        } else if let Some(r) = rest.strip_prefix(quoted.as_str()) {
            rest = r;
        } else {
            return false;
        }
    }
    rest.is_empty() || rest == "\n"
}

fn csv_special(text: &str) -> (bool, String) {
    let header = strip(text.split('\n').next().unwrap_or(""));
    let names = ["ProductID", "Category", "Brand", "Price", "Stock"];
    if !header_matches(header, &names, ",") {
        return (false, format!("header {header:?}"));
    }
    let tripled = text.replace('"', "\"\"\"");
    let rows = match crate::pycsv::read(&tripled, ',') {
        Ok(rows) => rows,
        Err(e) => {
            return (
                false,
                format!("csv error (the official checker raises): {e}"),
            )
        }
    };
    if rows.len() != 15 {
        return (false, format!("rows: {}, needs 15", rows.len()));
    }
    for row in &rows[1..] {
        if row.len() != 5 {
            return (false, "a row without 5 fields".into());
        }
        if row.iter().any(|f| quoted_special(f)) {
            return (true, "a quoted field with a special character".into());
        }
    }
    (false, "no quoted field with a special character".into())
}

/// `re.match(r'".*[^\d\w\s].*"', field)`.
fn quoted_special(field: &str) -> bool {
    let line: Vec<char> = field.split('\n').next().unwrap_or("").chars().collect();
    if line.first() != Some(&'"') {
        return false;
    }
    let Some(last_quote) = line.iter().rposition(|c| *c == '"') else {
        return false;
    };
    (1..last_quote).any(|k| !is_word(line[k]) && !is_space(line[k]))
}

fn csv_quotes(text: &str) -> (bool, String) {
    let header = strip(text.split('\n').next().unwrap_or(""));
    let names = ["StudentID", "Subject", "Grade", "Semester", "Score"];
    if !header_matches(header, &names, "\t") {
        return (false, format!("header {header:?}"));
    }
    let tripled = text.replace('"', "\"\"\"");
    let rows = match crate::pycsv::read(&tripled, '\t') {
        Ok(rows) => rows,
        Err(e) => {
            return (
                false,
                format!("csv error (the official checker raises): {e}"),
            )
        }
    };
    if rows.len() != 4 {
        return (false, format!("rows: {}, needs 4", rows.len()));
    }
    for row in &rows {
        if row.len() != 5 {
            return (false, "a row without 5 fields".into());
        }
        for f in row {
            let f = strip(f);
            if f.is_empty() {
                return (false, "an empty field (the official checker raises)".into());
            }
            if !(f.starts_with('"') && f.ends_with('"')) {
                return (false, format!("field {f:?} is not quoted"));
            }
        }
    }
    (true, "header and 3 rows, every field quoted".into())
}

fn date_list(text: &str) -> (bool, String) {
    for date in strip(text).split(',') {
        let d = strip(date);
        let parts: Vec<&str> = d.split('-').collect();
        let shape = parts.len() == 3
            && [4, 2, 2]
                .iter()
                .zip(&parts)
                .all(|(n, p)| p.chars().count() == *n && p.chars().all(crate::pytext::is_decimal));
        if !shape {
            return (false, format!("{d:?} is not YYYY-MM-DD"));
        }
        let v: Vec<u64> = parts
            .iter()
            .map(|p| int_of_digits(p).unwrap_or(0))
            .collect();
        let (y, m, day) = (v[0], v[1], v[2]);
        let bad = !(1769..=1821).contains(&y)
            || m > 12
            || ([1, 3, 5, 7, 8, 10, 12].contains(&m) && day > 31)
            || ([4, 6, 9, 11].contains(&m) && day > 30)
            || (m == 2 && day > 29);
        if bad {
            return (false, format!("{d:?} is not a date of Napoleon's lifetime"));
        }
    }
    (true, "dates in YYYY-MM-DD".into())
}

fn title_case(text: &str) -> (bool, String) {
    for w in word_tokenize(text) {
        let mut chars = w.chars();
        let Some(first) = chars.next() else { continue };
        if !is_alpha(first) {
            continue;
        }
        let rest = chars.as_str();
        let f = first.to_string();
        if rest.is_empty() {
            if is_lower(&f) {
                return (false, format!("{w:?} is lowercase"));
            }
            continue;
        }
        if is_upper(&f) && is_lower(rest) {
            continue;
        }
        if is_lower(&f) && (is_upper(rest) || is_lower(rest)) {
            return (false, format!("{w:?} does not start with a capital"));
        }
    }
    (true, "title case".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_parses_and_unknown_ids_do_not() {
        let full: Map<String, Value> = serde_json::json!({
            "min_words": 1, "max_words": 2, "N": 1.0, "percentage": 10, "small_n": 2,
            "reference_text": "abc", "options": "yes/no", "word": "w", "sep": "-",
            "keyword1": "a", "keyword2": "b", "keyword3": "c", "keyword4": "d", "keyword5": "e",
            "keyword": "k", "n": 1, "m": 1, "prompt_to_repeat": "p q", "n_start": 0, "n_end": 1
        })
        .as_object()
        .cloned()
        .unwrap();
        for id in IDS {
            assert!(parse(id, &full).expect(id).is_ok(), "{id}");
        }
        assert!(parse("keywords:existence", &full).is_none());
    }
}

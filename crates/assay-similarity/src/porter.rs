//! The Porter stemmer (M. F. Porter, "An algorithm for suffix stripping", 1980), with the
//! extensions of NLTK's default mode, which `rouge-score` uses: a small pool of irregular
//! forms, `ies`/`ied` on four-letter words, `y → i` only after a consonant that is not the
//! first letter, `alli`, `fulli`, `logi` in step 2, `bli → ble`, words of one or two letters
//! left alone, and a two-letter vowel–consonant word counting as *cvc*.
//!
//! Input is expected in lower case ASCII (as ROUGE's tokens are); other characters are
//! consonants.

fn is_vowel(c: u8) -> bool {
    matches!(c, b'a' | b'e' | b'i' | b'o' | b'u')
}

/// Whether `w[i]` is a consonant (`y` after a run of `y`s alternates, as NLTK's `_is_consonant`).
fn is_consonant(w: &[u8], mut i: usize) -> bool {
    if is_vowel(w[i]) {
        return false;
    }
    if w[i] == b'y' {
        let mut negate = false;
        while i > 0 && w[i] == b'y' {
            negate = !negate;
            i -= 1;
        }
        return is_vowel(w[i]) == negate;
    }
    true
}

/// Consonant flags as NLTK's `_consonant_flags` (a `y` is a consonant at the start or after a
/// vowel).
fn consonant_flags(w: &[u8]) -> Vec<bool> {
    let mut flags: Vec<bool> = Vec::with_capacity(w.len());
    for (i, &c) in w.iter().enumerate() {
        let f = if is_vowel(c) {
            false
        } else if c == b'y' {
            i == 0 || !flags[i - 1]
        } else {
            true
        };
        flags.push(f);
    }
    flags
}

/// The measure m: the number of vowel-consonant sequences.
fn measure(stem: &[u8]) -> usize {
    let flags = consonant_flags(stem);
    flags.windows(2).filter(|p| !p[0] && p[1]).count()
}

fn contains_vowel(stem: &[u8]) -> bool {
    !consonant_flags(stem).iter().all(|c| *c)
}

fn ends_double_consonant(w: &[u8]) -> bool {
    w.len() >= 2 && w[w.len() - 1] == w[w.len() - 2] && is_consonant(w, w.len() - 1)
}

fn ends_cvc(w: &[u8]) -> bool {
    let n = w.len();
    (n >= 3
        && is_consonant(w, n - 3)
        && !is_consonant(w, n - 2)
        && is_consonant(w, n - 1)
        && !matches!(w[n - 1], b'w' | b'x' | b'y'))
        || (n == 2 && !is_consonant(w, 0) && is_consonant(w, 1))
}

type Cond = fn(&[u8]) -> bool;

fn m_pos(s: &[u8]) -> bool {
    measure(s) > 0
}
fn m_gt1(s: &[u8]) -> bool {
    measure(s) > 1
}

/// The first rule whose suffix matches decides: replaced when its condition holds on the stem,
/// otherwise the word is kept.
fn apply(word: &[u8], rules: &[(&str, &str, Option<Cond>)]) -> Vec<u8> {
    for (suffix, replacement, cond) in rules {
        if word.ends_with(suffix.as_bytes()) {
            let stem = &word[..word.len() - suffix.len()];
            if cond.is_none_or(|c| c(stem)) {
                let mut out = stem.to_vec();
                out.extend_from_slice(replacement.as_bytes());
                return out;
            }
            return word.to_vec();
        }
    }
    word.to_vec()
}

fn replace(word: &[u8], suffix_len: usize, replacement: &str) -> Vec<u8> {
    let mut out = word[..word.len() - suffix_len].to_vec();
    out.extend_from_slice(replacement.as_bytes());
    out
}

fn step1a(w: &[u8]) -> Vec<u8> {
    if w.ends_with(b"ies") && w.len() == 4 {
        return replace(w, 3, "ie");
    }
    apply(
        w,
        &[
            ("sses", "ss", None),
            ("ies", "i", None),
            ("ss", "ss", None),
            ("s", "", None),
        ],
    )
}

fn step1b(w: &[u8]) -> Vec<u8> {
    if w.ends_with(b"ied") {
        return replace(w, 3, if w.len() == 4 { "ie" } else { "i" });
    }
    if w.ends_with(b"eed") {
        let stem = &w[..w.len() - 3];
        return if measure(stem) > 0 {
            replace(w, 3, "ee")
        } else {
            w.to_vec()
        };
    }
    let mut inter: Option<&[u8]> = None;
    for suffix in [&b"ed"[..], b"ing"] {
        if w.ends_with(suffix) {
            let stem = &w[..w.len() - suffix.len()];
            if contains_vowel(stem) {
                inter = Some(stem);
                break;
            }
        }
    }
    let Some(stem) = inter else {
        return w.to_vec();
    };
    for (suffix, replacement) in [("at", "ate"), ("bl", "ble"), ("iz", "ize")] {
        if stem.ends_with(suffix.as_bytes()) {
            return replace(stem, suffix.len(), replacement);
        }
    }
    if ends_double_consonant(stem) {
        let last = stem[stem.len() - 1];
        return if !matches!(last, b'l' | b's' | b'z') {
            stem[..stem.len() - 1].to_vec()
        } else {
            stem.to_vec()
        };
    }
    if measure(stem) == 1 && ends_cvc(stem) {
        let mut out = stem.to_vec();
        out.push(b'e');
        return out;
    }
    stem.to_vec()
}

fn step1c(w: &[u8]) -> Vec<u8> {
    if w.ends_with(b"y") {
        let stem = &w[..w.len() - 1];
        if stem.len() > 1 && is_consonant(stem, stem.len() - 1) {
            return replace(w, 1, "i");
        }
    }
    w.to_vec()
}

fn step2(w: &[u8]) -> Vec<u8> {
    if w.ends_with(b"alli") && m_pos(&w[..w.len() - 4]) {
        return step2(&replace(w, 4, "al"));
    }
    let pos = Some(m_pos as Cond);
    let mut out = apply(
        w,
        &[
            ("ational", "ate", pos),
            ("tional", "tion", pos),
            ("enci", "ence", pos),
            ("anci", "ance", pos),
            ("izer", "ize", pos),
            ("bli", "ble", pos),
            ("alli", "al", pos),
            ("entli", "ent", pos),
            ("eli", "e", pos),
            ("ousli", "ous", pos),
            ("ization", "ize", pos),
            ("ation", "ate", pos),
            ("ator", "ate", pos),
            ("alism", "al", pos),
            ("iveness", "ive", pos),
            ("fulness", "ful", pos),
            ("ousness", "ous", pos),
            ("aliti", "al", pos),
            ("iviti", "ive", pos),
            ("biliti", "ble", pos),
            ("fulli", "ful", pos),
        ],
    );
    // `logi → log` when the word without `ogi` has a positive measure. It comes last: reached
    // only when no earlier suffix matched.
    let earlier = [
        "ational", "tional", "enci", "anci", "izer", "bli", "alli", "entli", "eli", "ousli",
        "ization", "ation", "ator", "alism", "iveness", "fulness", "ousness", "aliti", "iviti",
        "biliti", "fulli",
    ];
    if !earlier.iter().any(|s| w.ends_with(s.as_bytes())) && w.ends_with(b"logi") {
        out = if m_pos(&w[..w.len() - 3]) {
            replace(w, 4, "log")
        } else {
            w.to_vec()
        };
    }
    out
}

fn step3(w: &[u8]) -> Vec<u8> {
    let pos = Some(m_pos as Cond);
    apply(
        w,
        &[
            ("icate", "ic", pos),
            ("ative", "", pos),
            ("alize", "al", pos),
            ("iciti", "ic", pos),
            ("ical", "ic", pos),
            ("ful", "", pos),
            ("ness", "", pos),
        ],
    )
}

fn step4(w: &[u8]) -> Vec<u8> {
    let gt1 = Some(m_gt1 as Cond);
    fn ion(s: &[u8]) -> bool {
        measure(s) > 1 && matches!(s.last(), Some(b's' | b't'))
    }
    apply(
        w,
        &[
            ("al", "", gt1),
            ("ance", "", gt1),
            ("ence", "", gt1),
            ("er", "", gt1),
            ("ic", "", gt1),
            ("able", "", gt1),
            ("ible", "", gt1),
            ("ant", "", gt1),
            ("ement", "", gt1),
            ("ment", "", gt1),
            ("ent", "", gt1),
            ("ion", "", Some(ion as Cond)),
            ("ou", "", gt1),
            ("ism", "", gt1),
            ("ate", "", gt1),
            ("iti", "", gt1),
            ("ous", "", gt1),
            ("ive", "", gt1),
            ("ize", "", gt1),
        ],
    )
}

fn step5a(w: &[u8]) -> Vec<u8> {
    if let Some(stem) = w.strip_suffix(b"e") {
        let m = measure(stem);
        if m > 1 || (m == 1 && !ends_cvc(stem)) {
            return stem.to_vec();
        }
    }
    w.to_vec()
}

fn step5b(w: &[u8]) -> Vec<u8> {
    if w.ends_with(b"ll") && measure(&w[..w.len() - 1]) > 1 {
        return w[..w.len() - 1].to_vec();
    }
    w.to_vec()
}

/// Stems one word as NLTK's `PorterStemmer()` (default mode) does.
pub fn stem(word: &str) -> String {
    let lower = word.to_lowercase();
    let irregular = match lower.as_str() {
        "sky" | "skies" => Some("sky"),
        "dying" => Some("die"),
        "lying" => Some("lie"),
        "tying" => Some("tie"),
        "news" => Some("news"),
        "innings" | "inning" => Some("inning"),
        "outings" | "outing" => Some("outing"),
        "cannings" | "canning" => Some("canning"),
        "howe" => Some("howe"),
        "proceed" => Some("proceed"),
        "exceed" => Some("exceed"),
        "succeed" => Some("succeed"),
        _ => None,
    };
    if let Some(s) = irregular {
        return s.to_string();
    }
    if word.chars().count() <= 2 || !lower.is_ascii() {
        return lower;
    }
    let mut w = step1a(lower.as_bytes());
    for step in [step1b, step1c, step2, step3, step4, step5a, step5b] {
        w = step(&w);
    }
    String::from_utf8(w).expect("ASCII in, ASCII out")
}

#[cfg(test)]
mod tests {
    use super::stem;

    #[test]
    fn porter_examples() {
        let cases = [
            ("caresses", "caress"),
            ("ponies", "poni"),
            ("ties", "tie"),
            ("cats", "cat"),
            ("feed", "feed"),
            ("agreed", "agre"),
            ("plastered", "plaster"),
            ("motoring", "motor"),
            ("sing", "sing"),
            ("conflated", "conflat"),
            ("hopping", "hop"),
            ("falling", "fall"),
            ("filing", "file"),
            ("happy", "happi"),
            ("relational", "relat"),
            ("conditional", "condit"),
            ("generalization", "gener"),
            ("running", "run"),
            ("dying", "die"),
            ("skies", "sky"),
            ("cried", "cri"),
            ("tied", "tie"),
            ("analogi", "analog"),
            ("controll", "control"),
            ("electricity", "electr"),
            ("hopeful", "hope"),
            ("goodness", "good"),
        ];
        for (word, expected) in cases {
            assert_eq!(stem(word), expected, "{word}");
        }
    }
}

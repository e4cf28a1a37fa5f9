//! The part-of-speech tag NLTK's `pos_tag` gives the first token of a text (IFBench spec §2.5):
//! NLTK's English averaged-perceptron tagger, restricted to what decides the first token.
//!
//! The tag of token 0 depends only on the tag dictionary, on token 0 itself and on the normalized
//! tokens 1 and 2; `data/pos_first_token.tsv` (made by `tools/ifbench_data.py`) holds the tag
//! dictionary and the weights of every feature that can fire there. Scores are summed in NLTK's
//! order (feature template order, then each feature's weights in the model's order) so that the
//! floating-point sums, and therefore ties, are the same.

use std::collections::HashMap;
use std::sync::OnceLock;

const DATA: &str = include_str!("../data/pos_first_token.tsv");

struct Model {
    classes: Vec<String>,
    tagdict: HashMap<String, String>,
    weights: HashMap<String, Vec<(u8, f64)>>,
}

fn model() -> &'static Model {
    static MODEL: OnceLock<Model> = OnceLock::new();
    MODEL.get_or_init(|| {
        let mut m = Model {
            classes: Vec::new(),
            tagdict: HashMap::new(),
            weights: HashMap::new(),
        };
        for line in DATA.lines() {
            let cells: Vec<&str> = line.split('\t').collect();
            match cells.as_slice() {
                ["classes", rest @ ..] => m.classes = rest.iter().map(|s| s.to_string()).collect(),
                ["tagdict", word, tag] => {
                    m.tagdict.insert((*word).to_string(), (*tag).to_string());
                }
                ["w", feature, ws] => {
                    let ws = ws
                        .split(' ')
                        .filter(|c| !c.is_empty())
                        .map(|c| {
                            let (i, w) = c.split_once(':').expect("class:weight");
                            (i.parse().expect("class index"), w.parse().expect("weight"))
                        })
                        .collect();
                    m.weights.insert((*feature).to_string(), ws);
                }
                _ => {}
            }
        }
        m
    })
}

/// Python's `str.isdigit` for one character: decimal digits and the other characters with a
/// digit value (superscripts, subscripts, circled digits …).
pub fn is_py_digit(c: char) -> bool {
    c.is_ascii_digit()
        || (!c.is_ascii()
            && c.is_numeric()
            && (crate::pytext::is_decimal(c)
                || matches!(c as u32,
                    0xB2 | 0xB3 | 0xB9 | 0x1369..=0x1371 | 0x19DA | 0x2070 | 0x2074..=0x2079
                    | 0x2080..=0x2089 | 0x2460..=0x2468 | 0x2474..=0x247C | 0x2488..=0x2490
                    | 0x24EA | 0x24F5..=0x24FD | 0x24FF | 0x2776..=0x277E | 0x2780..=0x2788
                    | 0x278A..=0x2792 | 0x10A40..=0x10A43 | 0x10E60..=0x10E68
                    | 0x11052..=0x1105A | 0x1F100..=0x1F10A)))
}

/// The tagger's normalization of a context word.
fn normalize(word: &str) -> String {
    let mut chars = word.chars();
    let first = chars.clone().next();
    if word.contains('-') && first != Some('-') {
        return "!HYPHEN".into();
    }
    let count = word.chars().count();
    if count == 4 && word.chars().all(is_py_digit) {
        return "!YEAR".into();
    }
    if chars.next().is_some_and(is_py_digit) {
        return "!DIGITS".into();
    }
    word.to_lowercase()
}

fn suffix3(s: &str) -> &str {
    let n = s.chars().count();
    let skip = n.saturating_sub(3);
    let at = s.char_indices().nth(skip).map_or(s.len(), |(b, _)| b);
    &s[at..]
}

/// The tag `nltk.pos_tag(tokens)[0][1]` gives, or `None` for no tokens.
pub fn first_tag(tokens: &[String]) -> Option<String> {
    let word = tokens.first()?;
    let m = model();
    if let Some(tag) = m.tagdict.get(word) {
        return Some(tag.clone());
    }
    let context = |k: usize| -> String {
        tokens.get(k).map(|w| normalize(w)).unwrap_or_else(|| {
            if k == 1 {
                "-END-".into()
            } else {
                "-END2-".into()
            }
        })
    };
    let w0 = normalize(word);
    let (w1, w2) = match tokens.len() {
        1 => ("-END-".to_string(), "-END2-".to_string()),
        2 => (context(1), "-END-".to_string()),
        _ => (context(1), context(2)),
    };
    let pref1: String = word.chars().next().map(String::from).unwrap_or_default();
    let features = [
        "bias".to_string(),
        format!("i suffix {}", suffix3(word)),
        format!("i pref1 {pref1}"),
        "i-1 tag -START-".into(),
        "i-2 tag -START2-".into(),
        "i tag+i-2 tag -START- -START2-".into(),
        format!("i word {w0}"),
        format!("i-1 tag+i word -START- {w0}"),
        "i-1 word -START2-".into(),
        "i-1 suffix T2-".into(),
        "i-2 word -START-".into(),
        format!("i+1 word {w1}"),
        format!("i+1 suffix {}", suffix3(&w1)),
        format!("i+2 word {w2}"),
    ];
    let mut scores = vec![0.0f64; m.classes.len()];
    for f in &features {
        if let Some(ws) = m.weights.get(f) {
            for (label, w) in ws {
                scores[*label as usize] += w;
            }
        }
    }
    // max over (score, label): ties go to the label that sorts last.
    let best = (0..m.classes.len()).max_by(|&a, &b| {
        scores[a]
            .partial_cmp(&scores[b])
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| m.classes[a].cmp(&m.classes[b]))
    })?;
    Some(m.classes[best].clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tag(text: &str) -> String {
        first_tag(&crate::treebank::word_tokenize(text)).unwrap_or_default()
    }

    /// First-token tags checked against NLTK 3.9.2's `pos_tag(word_tokenize(text))`.
    #[test]
    fn first_tags_match_nltk() {
        for (text, want) in [
            ("Write a poem about the sea.", "VB"),
            ("The quick brown fox", "DT"),
            ("Imagine a world", "VB"),
            ("Running is fun", "VBG"),
        ] {
            assert_eq!(tag(text), want, "{text:?}");
        }
        assert_eq!(first_tag(&[]), None);
    }
}

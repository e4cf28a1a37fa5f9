//! sacreBLEU's default `13a` tokenizer (mteval-v13a), reproduced exactly.

use std::sync::OnceLock;

use regex::Regex;

use crate::text;

fn rules() -> &'static [(Regex, &'static str); 4] {
    static RULES: OnceLock<[(Regex, &'static str); 4]> = OnceLock::new();
    RULES.get_or_init(|| {
        let re = |p: &str| Regex::new(p).expect("valid pattern");
        [
            // Symbols and ASCII punctuation other than `'`, `-`, `.`, `,` become tokens.
            (re(r"([\{-\~\[-` -\&\(-\+:-@/])"), " $1 "),
            // Period and comma unless preceded by a digit …
            (re(r"([^0-9])([\.,])"), "$1 $2 "),
            // … or followed by one.
            (re(r"([\.,])([^0-9])"), " $1 $2"),
            // A dash after a digit.
            (re(r"([0-9])(-)"), "$1 $2 "),
        ]
    })
}

/// Tokenizes one segment as sacreBLEU's `Tokenizer13a` does; tokens are separated by one space.
pub fn tokenize_13a(line: &str) -> String {
    let mut line = line
        .replace("<skipped>", "")
        .replace("-\n", "")
        .replace('\n', " ");
    if line.contains('&') {
        line = line
            .replace("&quot;", "\"")
            .replace("&amp;", "&")
            .replace("&lt;", "<")
            .replace("&gt;", ">");
    }
    let mut line = format!(" {line} ");
    for (re, replacement) in rules() {
        line = re.replace_all(&line, *replacement).into_owned();
    }
    text::split(&line).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::tokenize_13a;

    #[test]
    fn known_tokenizations() {
        let cases = [
            ("Hello, world!", "Hello , world !"),
            (
                "It costs $3.50, or 3,000 yen.",
                "It costs $ 3.50 , or 3,000 yen .",
            ),
            ("don't stop-me 1-2", "don't stop-me 1 - 2"),
            ("a &amp; b &lt;c&gt;", "a & b < c >"),
            ("line-\nbreak\nnext", "linebreak next"),
            ("", ""),
            ("(x){y}[z]", "( x ) { y } [ z ]"),
        ];
        for (input, expected) in cases {
            assert_eq!(tokenize_13a(input), expected, "{input:?}");
        }
    }
}

//! sacreBLEU's default `13a` tokenizer (mteval-v13a), reproduced exactly.

use crate::text;

/// Rule 1's class: `[\{-\~\[-\` -\&\(-\+\:-\@\/]`.
fn is_symbol(c: char) -> bool {
    matches!(c, '{'..='~' | '['..='`' | ' '..='&' | '('..='+' | ':'..='@' | '/')
}

/// One pass of a two-character rule `(A)(B)`, applied left to right without overlap as
/// Python's `re.sub` does; `emit` writes the replacement of a match.
fn pass(
    chars: &[char],
    first: impl Fn(char) -> bool,
    second: impl Fn(char) -> bool,
    emit: impl Fn(&mut Vec<char>, char, char),
) -> Vec<char> {
    let mut out = Vec::with_capacity(chars.len() + chars.len() / 4);
    let mut i = 0;
    while i < chars.len() {
        if i + 1 < chars.len() && first(chars[i]) && second(chars[i + 1]) {
            emit(&mut out, chars[i], chars[i + 1]);
            i += 2;
        } else {
            out.push(chars[i]);
            i += 1;
        }
    }
    out
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
    let digit = |c: char| c.is_ascii_digit();
    let period_comma = |c: char| c == '.' || c == ',';
    // Symbols and ASCII punctuation other than `'`, `-`, `.`, `,` become tokens.
    let mut chars = Vec::with_capacity(line.len() + 2);
    chars.push(' ');
    for c in line.chars() {
        if is_symbol(c) {
            chars.extend([' ', c, ' ']);
        } else {
            chars.push(c);
        }
    }
    chars.push(' ');
    // Period and comma unless preceded by a digit: `\1 \2 `.
    let chars = pass(
        &chars,
        |c| !digit(c),
        period_comma,
        |o, a, b| o.extend([a, ' ', b, ' ']),
    );
    // … or followed by one: ` \1 \2`.
    let chars = pass(
        &chars,
        period_comma,
        |c| !digit(c),
        |o, a, b| o.extend([' ', a, ' ', b]),
    );
    // A dash after a digit: `\1 \2 `.
    let chars = pass(
        &chars,
        digit,
        |c| c == '-',
        |o, a, b| o.extend([a, ' ', b, ' ']),
    );
    let joined: String = chars.into_iter().collect();
    text::split(&joined).collect::<Vec<_>>().join(" ")
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

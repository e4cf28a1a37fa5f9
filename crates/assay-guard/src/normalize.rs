//! The skeleton of a text: its letters and digits, folded, with one space where anything else
//! stood.
//!
//! Every decision of the guard is taken on skeletons, so that case, accents, full-width forms,
//! punctuation, whitespace and common markup (`**bold**`, `## headers`, `<think>` tags,
//! `\boxed{}` and `\text{}` wrappers, code-fence language tags, chat-template special tokens,
//! HTML entities) never hide an opener or an echo.
//!
//! One pass over the input, with a lookahead of at most [`MAX_MARKUP`] bytes at a `<`, `\`,
//! `` ` `` or `&`: linear time, and the output is never longer than twice the input.

/// The longest markup sequence (tag, special token, LaTeX command, entity) recognised, in bytes.
pub(crate) const MAX_MARKUP: usize = 96;

/// The skeleton of a text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Skeleton {
    /// Folded content characters; a single `' '` wherever anything else separated them; no
    /// leading or trailing space.
    pub text: String,
    /// How many content characters (letters, digits, mathematical symbols) `text` holds.
    pub content: usize,
    /// Whether the input had anything visible at all (punctuation, symbols, markup, content).
    pub visible: bool,
}

/// The skeleton of `input`.
pub(crate) fn skeleton(input: &str) -> Skeleton {
    let widened;
    // Full-width forms start with byte 0xEF (U+FF01..U+FF5E) or 0xE3 (U+3000): a fast byte
    // search rules most texts out.
    let maybe_wide = input.as_bytes().contains(&0xEF) || input.as_bytes().contains(&0xE3);
    let s: &str = if maybe_wide && input.chars().any(is_wide) {
        widened = input.chars().map(narrow).collect::<String>();
        &widened
    } else {
        input
    };
    let bytes = s.as_bytes();
    let mut out = Skeleton {
        text: String::with_capacity(s.len().min(1 << 20)),
        ..Skeleton::default()
    };
    let mut separate = false;
    let mut i = 0;
    while i < s.len() {
        let markup = match bytes[i] {
            b'<' => tag(&bytes[i..]),
            b'\\' => latex_wrapper(&bytes[i..]),
            b'`' => code_fence(&bytes[i..]),
            b'&' => entity(&bytes[i..]),
            _ => None,
        };
        if let Some(n) = markup {
            i += n;
            out.visible = true;
            separate = true;
            continue;
        }
        if bytes[i].is_ascii() {
            // Fast path: ASCII needs no width, case or accent tables.
            let b = bytes[i];
            i += 1;
            if b.is_ascii_alphanumeric() {
                if separate && !out.text.is_empty() {
                    out.text.push(' ');
                }
                separate = false;
                out.text.push(b.to_ascii_lowercase() as char);
                out.content += 1;
                out.visible = true;
            } else {
                out.visible |= b.is_ascii_graphic();
                separate = true;
            }
            continue;
        }
        let c = s[i..].chars().next().expect("i is on a char boundary");
        i += c.len_utf8();
        if is_plain_cjk(c) {
            // Fast path: Han, kana and Hangul letters have no case, accents or styles.
            if separate && !out.text.is_empty() {
                out.text.push(' ');
            }
            separate = false;
            out.text.push(c);
            out.content += 1;
            out.visible = true;
            continue;
        }
        let c = unstyle(c);
        if is_invisible(c) {
            continue;
        }
        if c.is_whitespace() || c.is_control() {
            separate = true;
            continue;
        }
        for lower in c.to_lowercase() {
            for folded in fold(lower) {
                if is_invisible(folded) {
                    continue;
                }
                out.visible = true;
                if is_content(folded) {
                    if separate && !out.text.is_empty() {
                        out.text.push(' ');
                    }
                    separate = false;
                    out.text.push(folded);
                    out.content += 1;
                } else {
                    separate = true;
                }
            }
        }
    }
    out
}

/// Letters and digits of any script, and mathematical symbols (`∞`, `∅`, `≤`, `⊂`, …), which
/// are short answers in their own right. ASCII punctuation and symbols, emoji and other
/// pictographs are not content.
pub(crate) fn is_content(c: char) -> bool {
    c.is_alphanumeric()
        || matches!(c as u32,
            0x2200..=0x22FF      // Mathematical Operators
            | 0x27C0..=0x27EF    // Miscellaneous Mathematical Symbols-A
            | 0x2980..=0x2AFF    // Miscellaneous Mathematical Symbols-B, Supplemental Operators
        )
}

/// Han ideographs, hiragana and katakana letters, Hangul syllables: letters, unchanged by
/// folding.
fn is_plain_cjk(c: char) -> bool {
    matches!(c as u32,
        0x3041..=0x3096 | 0x30A1..=0x30FA | 0x30FC..=0x30FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xAC00..=0xD7A3)
}

/// Characters that do not separate anything: zero-width characters, soft hyphens, joiners,
/// variation selectors, combining marks.
fn is_invisible(c: char) -> bool {
    matches!(c as u32,
        0x00AD | 0x034F | 0x180E | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064
        | 0xFEFF | 0xFE00..=0xFE0F | 0xE0100..=0xE01EF
        | 0x0300..=0x036F | 0x1AB0..=0x1AFF | 0x1DC0..=0x1DFF | 0x20D0..=0x20FF
        | 0xFE20..=0xFE2F | 0x3099..=0x309A)
}

/// Full-width ASCII forms and the ideographic space.
fn is_wide(c: char) -> bool {
    matches!(c as u32, 0xFF01..=0xFF5E | 0x3000)
}

/// The ASCII form of a full-width character; other characters unchanged.
pub(crate) fn narrow(c: char) -> char {
    match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    }
}

/// The full-width form of a printable ASCII character (used by the attack set).
pub(crate) fn widen(c: char) -> char {
    match c {
        '!'..='~' => char::from_u32(c as u32 + 0xFEE0).unwrap_or(c),
        ' ' => '\u{3000}',
        _ => c,
    }
}

/// The plain letter or digit behind a styled one: mathematical bold, italic, sans-serif,
/// monospace … letters and digits, circled, parenthesized and squared letters, regional
/// indicators, small capitals and letterlike symbols (`𝐒𝐨𝐥𝐮𝐭𝐢𝐨𝐧`, `Ⓢⓞⓛⓤⓣⓘⓞⓝ`, `🅂🄾🄻`, `ꜱᴏʟᴜᴛɪᴏɴ`
/// are all `solution`). Other characters unchanged.
pub(crate) fn unstyle(c: char) -> char {
    let cp = c as u32;
    let letter = |k: u32| char::from(b'a' + (k % 26) as u8);
    match cp {
        // Mathematical Alphanumeric Symbols: styles of 52 letters (a few code points of the
        // block are unassigned; they map harmlessly), then the digit styles.
        0x1D400..=0x1D6A3 => letter((cp - 0x1D400) % 52),
        0x1D7CE..=0x1D7FF => char::from(b'0' + ((cp - 0x1D7CE) % 10) as u8),
        0x249C..=0x24B5 => letter(cp - 0x249C),
        0x24B6..=0x24CF => letter(cp - 0x24B6),
        0x24D0..=0x24E9 => letter(cp - 0x24D0),
        0x1F110..=0x1F129 => letter(cp - 0x1F110),
        0x1F130..=0x1F149 => letter(cp - 0x1F130),
        0x1F150..=0x1F169 => letter(cp - 0x1F150),
        0x1F170..=0x1F189 => letter(cp - 0x1F170),
        0x1F1E6..=0x1F1FF => letter(cp - 0x1F1E6),
        _ => match c {
            'ℎ' | 'ℋ' | 'ℌ' | 'ℍ' => 'h',
            'ℬ' => 'b',
            'ℰ' | 'ℯ' => 'e',
            'ℱ' => 'f',
            'ℐ' | 'ℑ' => 'i',
            'ℒ' => 'l',
            'ℳ' => 'm',
            'ℛ' | 'ℜ' | 'ℝ' => 'r',
            'ℭ' | 'ℂ' => 'c',
            'ℨ' | 'ℤ' => 'z',
            'ℊ' => 'g',
            'ℴ' => 'o',
            'ℕ' => 'n',
            'ℙ' => 'p',
            'ℚ' => 'q',
            'ᴀ' => 'a',
            'ʙ' => 'b',
            'ᴄ' => 'c',
            'ᴅ' => 'd',
            'ᴇ' => 'e',
            'ꜰ' => 'f',
            'ɢ' => 'g',
            'ʜ' => 'h',
            'ɪ' => 'i',
            'ᴊ' => 'j',
            'ᴋ' => 'k',
            'ʟ' => 'l',
            'ᴍ' => 'm',
            'ɴ' => 'n',
            'ᴏ' => 'o',
            'ᴘ' => 'p',
            'ǫ' => 'q',
            'ʀ' => 'r',
            'ꜱ' => 's',
            'ᴛ' => 't',
            'ᴜ' => 'u',
            'ᴠ' => 'v',
            'ᴡ' => 'w',
            'ʏ' => 'y',
            'ᴢ' => 'z',
            _ => c,
        },
    }
}

/// Up to two characters: the accent-free form of a lower-case letter.
struct Folded([char; 2], usize);

impl Iterator for Folded {
    type Item = char;
    fn next(&mut self) -> Option<char> {
        let c = *self.0.get(self.1)?;
        if c == '\0' {
            return None;
        }
        self.1 += 1;
        Some(c)
    }
}

/// Removes the accents of the Latin letters of Western and Central European languages, so
/// that `Lösung`, `Losung`, `réponse` and `reponse` are one word, and folds look-alikes.
/// Decomposed input loses its combining marks in [`is_invisible`].
fn fold(c: char) -> Folded {
    let one = |x: char| Folded([x, '\0'], 0);
    let two = |x: char, y: char| Folded([x, y], 0);
    match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' | 'ă' | 'ą' => one('a'),
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => one('c'),
        'ď' | 'đ' => one('d'),
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => one('e'),
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => one('g'),
        'ĥ' | 'ħ' => one('h'),
        'ì' | 'í' | 'î' | 'ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' | 'ı' => one('i'),
        'ĵ' => one('j'),
        'ķ' => one('k'),
        'ĺ' | 'ļ' | 'ľ' | 'ŀ' | 'ł' => one('l'),
        'ñ' | 'ń' | 'ņ' | 'ň' => one('n'),
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' | 'ŏ' | 'ő' => one('o'),
        'ŕ' | 'ŗ' | 'ř' => one('r'),
        'ś' | 'ŝ' | 'ş' | 'š' | 'ș' => one('s'),
        'ţ' | 'ť' | 'ŧ' | 'ț' => one('t'),
        'ù' | 'ú' | 'û' | 'ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => one('u'),
        'ŵ' => one('w'),
        'ý' | 'ÿ' | 'ŷ' => one('y'),
        'ź' | 'ż' | 'ž' => one('z'),
        'ß' => two('s', 's'),
        'æ' => two('a', 'e'),
        'œ' => two('o', 'e'),
        // Cyrillic and Greek letters that look like Latin ones, so that `Sоlution` with a
        // Cyrillic `о` is `solution`. Openers and prompts go through the same folding, so
        // Russian openers still match.
        'а' | 'α' => one('a'),
        'с' => one('c'),
        'е' | 'ё' => one('e'),
        'о' | 'ο' => one('o'),
        'р' | 'ρ' => one('p'),
        'х' | 'χ' => one('x'),
        'у' => one('y'),
        'і' | 'ι' => one('i'),
        'ј' => one('j'),
        'ѕ' => one('s'),
        'һ' => one('h'),
        'ԁ' => one('d'),
        'ԛ' => one('q'),
        'ԝ' => one('w'),
        'ӏ' => one('l'),
        'κ' => one('k'),
        'ν' => one('v'),
        'υ' => one('u'),
        _ => one(c),
    }
}

/// Scripts written without spaces between words (Han, kana, Hangul, Thai): an opener in them
/// may be followed directly by the next word.
pub(crate) fn is_unspaced(c: char) -> bool {
    matches!(c as u32,
        0x3005..=0x3007 | 0x3040..=0x30FF | 0x31F0..=0x31FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
        | 0xF900..=0xFAFF | 0x20000..=0x2FA1F | 0xAC00..=0xD7AF | 0x1100..=0x11FF
        | 0x3130..=0x318F | 0x0E00..=0x0E7F)
}

/// Tag names whose tags are markup, not content: reasoning and answer tags, HTML formatting,
/// chat roles.
#[rustfmt::skip]
const TAGS: &[&str] = &[
    "think", "thinking", "thought", "thoughts", "reasoning", "reason", "reflection", "reflect",
    "scratchpad", "analysis", "plan", "answer", "final_answer", "final", "solution", "response",
    "output", "result", "step", "steps", "summary", "explanation", "assistant", "user", "system",
    "s", "b", "i", "u", "em", "strong", "p", "br", "hr", "div", "span", "h1", "h2", "h3", "h4",
    "h5", "h6", "code", "pre", "sup", "sub", "small", "mark", "blockquote", "ul", "ol", "li",
    "center", "tt", "start_of_turn", "end_of_turn",
];

/// LaTeX commands that only wrap or space other text; `\pi`, `\infty`, `\frac` and the like
/// keep their letters (they are content).
#[rustfmt::skip]
const LATEX_WRAPPERS: &[&str] = &[
    "boxed", "fbox", "framebox", "text", "textbf", "textit", "texttt", "textrm", "textsf",
    "mathrm", "mathbf", "mathit", "mathsf", "mathtt", "emph", "underline", "mbox", "hbox",
    "displaystyle", "textstyle", "quad", "qquad", "left", "right", "big", "bigl", "bigr",
    "newline", "hline", "noindent", "begin", "end", "section", "subsection", "paragraph", "item",
    "par", "bf", "it", "rm",
];

/// `<name>`, `</name>`, `<name/>` for a name in [`TAGS`] (any case), or a chat-template
/// special token `<|…|>`: its length in bytes.
fn tag(b: &[u8]) -> Option<usize> {
    let b = &b[..b.len().min(MAX_MARKUP)];
    if b.get(1) == Some(&b'|') {
        let end = b[2..].windows(2).position(|w| w == b"|>")?;
        let inner = &b[2..2 + end];
        if inner.iter().any(|&x| x == b'<' || x == b'>' || x == b'\n') {
            return None;
        }
        return Some(2 + end + 2);
    }
    let mut j = 1;
    if b.get(j) == Some(&b'/') {
        j += 1;
    }
    let start = j;
    while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'-') {
        j += 1;
    }
    if j == start || j - start > 32 {
        return None;
    }
    let name = &b[start..j];
    while j < b.len() && b[j] == b' ' {
        j += 1;
    }
    if b.get(j) == Some(&b'/') {
        j += 1;
    }
    if b.get(j) != Some(&b'>') {
        return None;
    }
    TAGS.iter()
        .any(|t| t.as_bytes().eq_ignore_ascii_case(name))
        .then_some(j + 1)
}

/// `\name` for a name in [`LATEX_WRAPPERS`] (and the `{env}` after `\begin` / `\end`).
fn latex_wrapper(b: &[u8]) -> Option<usize> {
    let b = &b[..b.len().min(MAX_MARKUP)];
    let mut j = 1;
    while j < b.len() && b[j].is_ascii_alphabetic() {
        j += 1;
    }
    let name = &b[1..j];
    if name.is_empty() || !LATEX_WRAPPERS.iter().any(|w| w.as_bytes() == name) {
        return None;
    }
    if (name == b"begin" || name == b"end") && b.get(j) == Some(&b'{') {
        let mut k = j + 1;
        while k < b.len() && (b[k].is_ascii_alphabetic() || b[k] == b'*') {
            k += 1;
        }
        if b.get(k) == Some(&b'}') {
            return Some(k + 1);
        }
    }
    Some(j)
}

/// A code fence ```` ``` ```` with the language tag that follows it on its line
/// (```` ```python ````).
fn code_fence(b: &[u8]) -> Option<usize> {
    let b = &b[..b.len().min(MAX_MARKUP)];
    if !b.starts_with(b"```") {
        return None;
    }
    let mut j = 3;
    if b.get(j).is_some_and(|x| x.is_ascii_alphabetic()) {
        let mut k = j;
        while k < b.len()
            && k - j < 24
            && (b[k].is_ascii_alphanumeric() || matches!(b[k], b'_' | b'+' | b'#' | b'-' | b'.'))
        {
            k += 1;
        }
        if matches!(b.get(k), Some(b'\n' | b'\r')) {
            j = k;
        }
    }
    Some(j)
}

/// An HTML entity: `&name;`, `&#123;`, `&#x1F600;`.
fn entity(b: &[u8]) -> Option<usize> {
    let b = &b[..b.len().min(16)];
    let (start, ok): (usize, fn(u8) -> bool) = match (b.get(1), b.get(2)) {
        (Some(b'#'), Some(b'x' | b'X')) => (3, |x| x.is_ascii_hexdigit()),
        (Some(b'#'), _) => (2, |x| x.is_ascii_digit()),
        _ => (1, |x| x.is_ascii_alphabetic()),
    };
    let mut j = start;
    while j < b.len() && ok(b[j]) {
        j += 1;
    }
    (j > start && b.get(j) == Some(&b';')).then_some(j + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> String {
        skeleton(s).text
    }

    #[test]
    fn folds_case_accents_width_and_markup() {
        let cases = [
            ("  **Solution:**  ", "solution"),
            ("## Lösung\n", "losung"),
            ("LOSUNG", "losung"),
            ("Réponse :", "reponse"),
            ("Re\u{301}ponse", "reponse"),
            ("ＳＯＬＵＴＩＯＮ：", "solution"),
            ("<think></think>Answer", "answer"),
            ("<THINK>\n</THINK>", ""),
            ("<div>x</div>", "x"),
            ("<foo>", "foo"),
            ("\\boxed{7}", "7"),
            ("\\boxed{}", ""),
            ("\\text{Answer:} \\pi", "answer pi"),
            ("\\begin{align*} x \\end{align*}", "x"),
            ("```python\n```", ""),
            ("```B```", "b"),
            ("a&nbsp;b", "a b"),
            ("<|im_start|>assistant<|im_end|>", "assistant"),
            ("<｜end▁of▁sentence｜>", ""),
            ("Let's  solve\u{200b}!", "let s solve"),
            ("Straße", "strasse"),
            ("Ёлка", "eлкa"),
            ("𝐒𝐨𝐥𝐮𝐭𝐢𝐨𝐧 𝟒𝟐", "solution 42"),
            ("Ⓢⓞⓛⓤⓣⓘⓞⓝ 🅂🄾🄻 🅰 ⒜", "solution sol a a"),
            ("ꜱᴏʟᴜᴛɪᴏɴ", "solution"),
            ("Sоlutіon", "solution"),
            ("ℝ", "r"),
            ("x ≤ ∞", "x ≤ ∞"),
            ("答案：４２", "答案 42"),
            ("😀 👍", ""),
        ];
        for (input, want) in cases {
            assert_eq!(text(input), want, "skeleton of {input:?}");
        }
    }

    #[test]
    fn the_cjk_fast_path_agrees_with_the_general_one() {
        for range in [
            0x3041..=0x3096,
            0x30A1..=0x30FA,
            0x30FC..=0x30FF,
            0x3400..=0x4DBF,
        ] {
            for cp in range.chain(0x4E00..=0x9FFF).chain(0xAC00..=0xD7A3) {
                let c = char::from_u32(cp).unwrap();
                assert!(is_plain_cjk(c));
                assert!(
                    is_content(c) && !is_invisible(c) && unstyle(c) == c,
                    "{c:?}"
                );
                let lower: Vec<char> = c.to_lowercase().flat_map(fold).collect();
                assert_eq!(lower, vec![c], "{c:?}");
            }
        }
    }

    #[test]
    fn counts_content_and_visibility() {
        let s = skeleton(" \t\u{200b}\n");
        assert_eq!((s.content, s.visible), (0, false));
        let s = skeleton("…!?");
        assert_eq!((s.content, s.visible), (0, true));
        let s = skeleton("x = 3");
        assert_eq!((s.content, s.visible, s.text.as_str()), (2, true, "x 3"));
    }

    #[test]
    fn markup_scanners_stop_at_their_bound() {
        // An unterminated special token or a very long tag name is plain punctuation.
        let long = format!("<|{}", "a".repeat(10 * MAX_MARKUP));
        assert_eq!(tag(long.as_bytes()), None);
        assert_eq!(
            tag(b"<thinkingaboutitverylongnamethatgoesonandonandon>"),
            None
        );
        assert_eq!(entity(b"&aaaaaaaaaaaaaaaaaaaa;"), None);
        assert_eq!(entity(b"&amp;"), Some(5));
        assert_eq!(entity(b"&#x1F600;"), Some(9));
    }
}

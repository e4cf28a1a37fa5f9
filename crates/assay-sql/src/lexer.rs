//! A small SQL tokenizer: enough to compare query texts (n-grams), find identifiers, and tell
//! whether a query has a top-level `ORDER BY`, without a full parser.

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// A bare word: a keyword or an unquoted identifier (text lowercased).
    Word,
    /// A quoted identifier: `"x"`, `` `x` `` or `[x]` (text lowercased, quotes removed).
    QuotedIdent,
    /// A string literal (text kept as written, quotes removed, `''` unescaped).
    String,
    /// A numeric literal (text as written).
    Number,
    /// An operator or punctuation (`(`, `,`, `<=`, `||` …).
    Punct,
}

/// One token of a SQL text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// What the token is.
    pub kind: TokenKind,
    /// The token's normalized text (see [`TokenKind`]).
    pub text: String,
    /// Parenthesis depth at which the token stands (0 = top level).
    pub depth: u32,
}

impl Token {
    /// Whether this token is an identifier-like word or quoted identifier.
    pub fn is_identifier(&self) -> bool {
        matches!(self.kind, TokenKind::Word | TokenKind::QuotedIdent)
    }
}

/// Splits `sql` into tokens, skipping whitespace and comments. Never fails: unterminated
/// literals or comments run to the end of the text.
pub fn tokenize(sql: &str) -> Vec<Token> {
    let chars: Vec<char> = sql.chars().collect();
    let mut tokens = Vec::new();
    let mut depth: u32 = 0;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && chars.get(i + 1) == Some(&'*') {
            i += 2;
            while i < chars.len() && !(chars[i] == '*' && chars.get(i + 1) == Some(&'/')) {
                i += 1;
            }
            i = (i + 2).min(chars.len());
        } else if c == '\'' {
            let (text, next) = quoted(&chars, i, '\'');
            tokens.push(token(TokenKind::String, text, depth));
            i = next;
        } else if c == '"' || c == '`' {
            let (text, next) = quoted(&chars, i, c);
            tokens.push(token(TokenKind::QuotedIdent, text.to_lowercase(), depth));
            i = next;
        } else if c == '[' {
            let end = chars[i + 1..]
                .iter()
                .position(|&d| d == ']')
                .map_or(chars.len(), |p| i + 1 + p);
            let text: String = chars[i + 1..end].iter().collect();
            tokens.push(token(TokenKind::QuotedIdent, text.to_lowercase(), depth));
            i = (end + 1).min(chars.len());
        } else if c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
        {
            let start = i;
            while i < chars.len() && (chars[i].is_ascii_alphanumeric() || chars[i] == '.') {
                // Exponent signs: 1e-5.
                if (chars[i] == 'e' || chars[i] == 'E')
                    && matches!(chars.get(i + 1), Some('+') | Some('-'))
                {
                    i += 1;
                }
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            tokens.push(token(TokenKind::Number, text.to_lowercase(), depth));
        } else if c.is_alphanumeric() || c == '_' || c == '$' {
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric() || chars[i] == '_' || chars[i] == '$')
            {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            tokens.push(token(TokenKind::Word, text.to_lowercase(), depth));
        } else {
            let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
            let len = if matches!(
                two.as_str(),
                "<=" | ">=" | "<>" | "!=" | "==" | "||" | "<<" | ">>"
            ) {
                2
            } else {
                1
            };
            if c == ')' {
                depth = depth.saturating_sub(1);
            }
            let text: String = chars[i..i + len].iter().collect();
            tokens.push(token(TokenKind::Punct, text, depth));
            if c == '(' {
                depth += 1;
            }
            i += len;
        }
    }
    tokens
}

fn token(kind: TokenKind, text: String, depth: u32) -> Token {
    Token { kind, text, depth }
}

/// Reads a literal quoted with `quote` starting at `start`; a doubled quote is an escaped one.
fn quoted(chars: &[char], start: usize, quote: char) -> (String, usize) {
    let mut text = String::new();
    let mut i = start + 1;
    while i < chars.len() {
        if chars[i] == quote {
            if chars.get(i + 1) == Some(&quote) {
                text.push(quote);
                i += 2;
                continue;
            }
            return (text, i + 1);
        }
        text.push(chars[i]);
        i += 1;
    }
    (text, i)
}

/// Whether the query sorts its final result: an `ORDER BY` at parenthesis depth 0.
///
/// An `ORDER BY` inside a subquery or window (`OVER (ORDER BY …)`) does not fix the order of the
/// rows the query returns, so it does not count.
pub fn has_top_level_order_by(sql: &str) -> bool {
    tokenize(sql).windows(2).any(|pair| {
        pair[0].depth == 0
            && pair[0].kind == TokenKind::Word
            && pair[0].text == "order"
            && pair[1].kind == TokenKind::Word
            && pair[1].text == "by"
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<String> {
        tokenize(sql).into_iter().map(|t| t.text).collect()
    }

    #[test]
    fn tokens_are_normalized() {
        assert_eq!(
            texts("SELECT \"Name\", [Age] FROM t -- note\nWHERE x <= 1.5e-3 AND s = 'It''s'"),
            [
                "select", "name", ",", "age", "from", "t", "where", "x", "<=", "1.5e-3", "and",
                "s", "=", "It's"
            ]
        );
    }

    #[test]
    fn comments_and_unterminated_literals_do_not_panic() {
        assert_eq!(texts("SELECT /* a ( */ 1"), ["select", "1"]);
        assert_eq!(texts("SELECT 'abc"), ["select", "abc"]);
        assert_eq!(texts("SELECT [abc"), ["select", "abc"]);
        assert_eq!(texts("SELECT 1 /* open"), ["select", "1"]);
    }

    #[test]
    fn order_by_counts_only_at_top_level() {
        let cases = [
            ("SELECT a FROM t ORDER BY a", true),
            ("select a from t order\n by a desc", true),
            ("SELECT a FROM (SELECT a FROM t ORDER BY a LIMIT 3)", false),
            ("SELECT rank() OVER (ORDER BY a) FROM t", false),
            ("SELECT 'order by' FROM t", false),
            ("SELECT a FROM t -- order by a", false),
            ("SELECT a FROM t", false),
        ];
        for (sql, expected) in cases {
            assert_eq!(has_top_level_order_by(sql), expected, "{sql}");
        }
    }
}

//! Tokenizer for LaTeX and plain-text answers.
//!
//! One left-to-right pass turns an answer into [`Tok`]s. Presentation-only markup is
//! dropped here (`\left`, spacing commands, `$`, `\displaystyle`, degree marks, `\$`), and
//! `\text{…}`-like groups are opened so their words reach the parser.

use crate::steps::{Exhausted, Steps};

/// Longest answer (in characters) the parser accepts; longer ones are refused.
pub const MAX_ANSWER_CHARS: usize = 20_000;

/// A token.
#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    /// A numeral: digits with at most one `.`, thousands separators removed, maybe an
    /// exponent part (`1.5e3`).
    Num(String),
    /// A one-letter variable (or a Greek letter name such as `theta`).
    Ident(String),
    /// A multi-letter word from plain text or `\text{}` (function names, `pi`, `or`, names).
    Word(String),
    /// A unit word (`cm`, `inches`, `degrees` …), ignored by the parser with its power.
    Unit,
    /// A LaTeX command, without the backslash.
    Cmd(String),
    /// Punctuation and operators.
    P(Punct),
}

/// Punctuation and operator tokens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Punct {
    /// `+`
    Plus,
    /// `-`
    Minus,
    /// `*`, `\cdot`, `\times`
    Star,
    /// `/`, `\div`
    Slash,
    /// `^`, `**`
    Caret,
    /// `_`
    Under,
    /// `(`
    LParen,
    /// `)`
    RParen,
    /// `[`
    LBrack,
    /// `]`
    RBrack,
    /// `{`
    LBrace,
    /// `}`
    RBrace,
    /// `\{`
    LSet,
    /// `\}`
    RSet,
    /// `,`
    Comma,
    /// `;`
    Semi,
    /// `=`
    Eq,
    /// `<`
    Lt,
    /// `>`
    Gt,
    /// `<=`, `\le`
    Le,
    /// `>=`, `\ge`
    Ge,
    /// `!=`, `\ne`
    Ne,
    /// `!`
    Bang,
    /// `|`
    Bar,
    /// `&`
    Amp,
    /// `%`
    Percent,
    /// `\\` (matrix row separator)
    RowSep,
    /// `\pm`
    Pm,
    /// `\mp`
    Mp,
    /// `\cup`
    Cup,
    /// `\in`
    In,
    /// `:` (a ratio, `11:21`)
    Colon,
    /// `\approx`, `≈`
    Approx,
}

/// Words that name functions or constants in plain text, kept as [`Tok::Word`].
const MATH_WORDS: &[&str] = &[
    "sqrt", "pi", "exp", "ln", "log", "sin", "cos", "tan", "cot", "sec", "csc", "arcsin", "arccos",
    "arctan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "infinity", "inf", "infty", "oo",
    "or", "and", "abs",
];

/// Unit words stripped from answers (`5 \text{ cm}` is `5`).
const UNIT_WORDS: &[&str] = &[
    "degree", "degrees", "deg", "cm", "mm", "km", "meter", "meters", "metre", "metres", "inch",
    "inches", "in", "ft", "feet", "foot", "yard", "yards", "mile", "miles", "mph", "cent", "cents",
    "dollar", "dollars", "unit", "units", "sq", "square", "cubic", "hour", "hours", "minute",
    "minutes", "second", "seconds", "sec", "day", "days", "week", "weeks", "year", "years", "kg",
    "gram", "grams", "pound", "pounds", "lb", "lbs", "ounce", "ounces", "liter", "liters", "ml",
    "gallon", "gallons", "people", "students", "times", "ways", "percent", "radians", "rad",
    "points", "items", "per", "cups", "marbles", "balls",
];

/// Commands whose argument is text (`\text{…}` and friends).
const TEXT_COMMANDS: &[&str] = &[
    "text",
    "textbf",
    "textit",
    "textrm",
    "textnormal",
    "mbox",
    "mathrm",
    "mathbf",
    "mathit",
    "textsf",
    "texttt",
    "mathsf",
    "mathtt",
    "operatorname",
    "mathbb",
    "hbox",
];

/// Commands dropped without trace.
const IGNORED_COMMANDS: &[&str] = &[
    "left",
    "right",
    "bigl",
    "bigr",
    "Bigl",
    "Bigr",
    "big",
    "Big",
    "bigg",
    "Bigg",
    "biggl",
    "biggr",
    "displaystyle",
    "textstyle",
    "scriptstyle",
    "quad",
    "qquad",
    "dots",
    "ldots",
    "cdots",
    "limits",
    "nolimits",
    "boldsymbol",
    "bf",
    "rm",
    "it",
    "tiny",
    "small",
    "large",
    "Large",
    "normalsize",
    "phantom",
    "hfill",
    "circ",
    "degree",
    "dollar",
    "middle",
];

/// Greek letters accepted as variable names.
const GREEK: &[&str] = &[
    "alpha",
    "beta",
    "gamma",
    "delta",
    "epsilon",
    "varepsilon",
    "zeta",
    "eta",
    "theta",
    "vartheta",
    "iota",
    "kappa",
    "lambda",
    "mu",
    "nu",
    "xi",
    "rho",
    "sigma",
    "tau",
    "upsilon",
    "phi",
    "varphi",
    "chi",
    "psi",
    "omega",
    "Gamma",
    "Delta",
    "Theta",
    "Lambda",
    "Xi",
    "Sigma",
    "Phi",
    "Psi",
    "Omega",
];

/// Error while tokenizing.
#[derive(Debug, Clone, PartialEq)]
pub enum LexError {
    /// A character or command that has no meaning in an answer.
    Unexpected(String),
    /// The work budget ran out or the input is too large.
    Exhausted(Exhausted),
}

impl From<Exhausted> for LexError {
    fn from(e: Exhausted) -> Self {
        LexError::Exhausted(e)
    }
}

struct Lexer<'b> {
    chars: Vec<char>,
    pos: usize,
    out: Vec<Tok>,
    budget: &'b mut Steps,
    /// Depth of `\text{…}` groups currently open (their closing braces are swallowed).
    text_depth: Vec<usize>,
    brace_depth: usize,
    decimal_comma: bool,
}

/// Tokenizer settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LexOptions {
    /// Read a comma between digits as a decimal comma (`2,74` is 2.74) unless it is plainly
    /// a thousands separator (`1,000,000`, `1,000.5`). Off by default: `2,74` is then the
    /// list `2, 74`.
    pub decimal_comma: bool,
}

/// Tokenizes one answer.
pub fn tokenize(input: &str, budget: &mut Steps) -> Result<Vec<Tok>, LexError> {
    tokenize_with(input, LexOptions::default(), budget)
}

/// Tokenizes one answer with the given settings.
pub fn tokenize_with(
    input: &str,
    opts: LexOptions,
    budget: &mut Steps,
) -> Result<Vec<Tok>, LexError> {
    let chars: Vec<char> = input.chars().take(MAX_ANSWER_CHARS + 1).collect();
    if chars.len() > MAX_ANSWER_CHARS {
        return Err(Exhausted::TooLarge(format!(
            "answer longer than {MAX_ANSWER_CHARS} characters"
        ))
        .into());
    }
    let mut lx = Lexer {
        chars,
        pos: 0,
        out: Vec::new(),
        budget,
        text_depth: Vec::new(),
        brace_depth: 0,
        decimal_comma: opts.decimal_comma,
    };
    lx.run()?;
    Ok(lx.out)
}

impl Lexer<'_> {
    fn peek(&self, k: usize) -> Option<char> {
        self.chars.get(self.pos + k).copied()
    }

    fn in_text(&self) -> bool {
        !self.text_depth.is_empty()
    }

    fn push(&mut self, p: Punct) {
        self.out.push(Tok::P(p));
    }

    fn run(&mut self) -> Result<(), LexError> {
        while let Some(c) = self.peek(0) {
            self.budget.tick()?;
            match c {
                c if c.is_whitespace() || c == '~' || c == '$' => self.pos += 1,
                '0'..='9' => self.number(),
                '.' if self.peek(1).is_some_and(|d| d.is_ascii_digit()) => self.number(),
                c if c.is_alphabetic() && c != 'π' => self.letters(),
                '\\' => self.command()?,
                '{' => {
                    self.pos += 1;
                    self.brace_depth += 1;
                    self.push(Punct::LBrace);
                }
                '}' => {
                    self.pos += 1;
                    if self.text_depth.last() == Some(&self.brace_depth) {
                        self.text_depth.pop();
                    } else {
                        self.push(Punct::RBrace);
                    }
                    self.brace_depth = self.brace_depth.saturating_sub(1);
                }
                '^' => {
                    self.pos += 1;
                    self.skip_degree_after_caret();
                }
                '*' => {
                    self.pos += 1;
                    if self.peek(0) == Some('*') {
                        self.pos += 1;
                        self.push(Punct::Caret);
                    } else {
                        self.push(Punct::Star);
                    }
                }
                '<' | '>' | '!' | '=' => {
                    self.pos += 1;
                    let eq_next = self.peek(0) == Some('=');
                    let p = match (c, eq_next) {
                        ('<', true) => Punct::Le,
                        ('>', true) => Punct::Ge,
                        ('!', true) => Punct::Ne,
                        ('=', true) => Punct::Eq, // `==`
                        ('<', false) => Punct::Lt,
                        ('>', false) => Punct::Gt,
                        ('!', false) => Punct::Bang,
                        _ => Punct::Eq,
                    };
                    if eq_next {
                        self.pos += 1;
                    }
                    self.push(p);
                }
                _ => {
                    self.pos += 1;
                    let p = match c {
                        '+' => Punct::Plus,
                        '-' | '−' | '–' => Punct::Minus,
                        '×' | '·' | '⋅' => Punct::Star,
                        '/' | '÷' => Punct::Slash,
                        '_' => Punct::Under,
                        '(' => Punct::LParen,
                        ')' => Punct::RParen,
                        '[' => Punct::LBrack,
                        ']' => Punct::RBrack,
                        ',' => Punct::Comma,
                        ';' => Punct::Semi,
                        '|' => Punct::Bar,
                        '&' => Punct::Amp,
                        '%' => Punct::Percent,
                        '≤' => Punct::Le,
                        '≥' => Punct::Ge,
                        '≠' => Punct::Ne,
                        '±' => Punct::Pm,
                        '∪' => Punct::Cup,
                        '∈' => Punct::In,
                        'π' => {
                            self.out.push(Tok::Cmd("pi".into()));
                            continue;
                        }
                        '²' | '³' | '¹' => {
                            self.push(Punct::Caret);
                            let d = match c {
                                '²' => "2",
                                '³' => "3",
                                _ => "1",
                            };
                            self.out.push(Tok::Num(d.into()));
                            continue;
                        }
                        '∞' => {
                            self.out.push(Tok::Cmd("infty".into()));
                            continue;
                        }
                        '√' => {
                            self.out.push(Tok::Cmd("sqrt".into()));
                            continue;
                        }
                        ':' if !self.in_text() => Punct::Colon,
                        '≈' => Punct::Approx,
                        '°' | '\'' | '"' | '?' | ':' => continue,
                        other => return Err(LexError::Unexpected(other.to_string())),
                    };
                    self.push(p);
                }
            }
        }
        Ok(())
    }

    /// After `^`: a degree mark (`^\circ`, `^{\circ}`) is dropped; otherwise a caret token.
    fn skip_degree_after_caret(&mut self) {
        let rest: String = self.chars[self.pos..].iter().take(12).collect();
        let rest = rest.trim_start();
        for mark in [
            "\\circ",
            "{\\circ}",
            "{ \\circ }",
            "{\\circ }",
            "{ \\circ}",
            "\\degree",
        ] {
            if rest.starts_with(mark) {
                let skip_ws = self.chars[self.pos..]
                    .iter()
                    .take_while(|c| c.is_whitespace())
                    .count();
                self.pos += skip_ws + mark.chars().count();
                return;
            }
        }
        self.push(Punct::Caret);
    }

    fn number(&mut self) {
        let start = self.pos;
        let mut s = String::new();
        let mut seen_dot = false;
        let mut grouped = false;
        loop {
            match self.peek(0) {
                Some(d) if d.is_ascii_digit() => {
                    s.push(d);
                    self.pos += 1;
                }
                Some('.') if !seen_dot && self.peek(1).is_some_and(|d| d.is_ascii_digit()) => {
                    seen_dot = true;
                    s.push('.');
                    self.pos += 1;
                }
                Some(',')
                    if self.decimal_comma
                        && !seen_dot
                        && self.peek(1).is_some_and(|d| d.is_ascii_digit())
                        && !self.comma_is_grouping(&s, grouped) =>
                {
                    seen_dot = true;
                    s.push('.');
                    self.pos += 1;
                }
                Some(',' | '{' | '\\' | '~' | ' ')
                    if !seen_dot && self.thousands_group().is_some() =>
                {
                    match self.thousands_group() {
                        Some(consumed) => {
                            // Keep the three digits, skip the separator and spacing.
                            let digits: String = self.chars
                                [self.pos + consumed - 3..self.pos + consumed]
                                .iter()
                                .collect();
                            s.push_str(&digits);
                            self.pos += consumed;
                            grouped = true;
                        }
                        None => break,
                    }
                }
                Some('\\') if self.peek(1) == Some('!') => {
                    // `1\!000` style spacing inside a number
                    if self.peek(2).is_some_and(|d| d.is_ascii_digit()) {
                        self.pos += 2;
                    } else {
                        break;
                    }
                }
                _ => break,
            }
        }
        // Scientific notation in plain text: 1.5e3, 2E-7.
        if matches!(self.peek(0), Some('e' | 'E')) {
            let mut k = 1;
            if matches!(self.peek(1), Some('+' | '-')) {
                k = 2;
            }
            if self.peek(k).is_some_and(|d| d.is_ascii_digit())
                && !self.peek(k + 1).is_some_and(|c| c.is_alphabetic())
            {
                s.push('e');
                if self.peek(1) == Some('-') {
                    s.push('-');
                }
                self.pos += k;
                while let Some(d) = self.peek(0).filter(|d| d.is_ascii_digit()) {
                    s.push(d);
                    self.pos += 1;
                }
            }
        }
        debug_assert!(self.pos > start);
        self.out.push(Tok::Num(s));
    }

    /// With the decimal comma on: whether the `,` here separates thousands rather than
    /// decimals. It does when the integer part is already grouped (`1,000,000`), or when
    /// three digits follow and then another group or a decimal point (`1,000.5`).
    fn comma_is_grouping(&self, int_part: &str, grouped: bool) -> bool {
        let Some(len) = self.thousands_group() else {
            return false;
        };
        if grouped {
            return true;
        }
        if int_part.starts_with('0') {
            return false;
        }
        match (self.peek(len), self.peek(len + 1)) {
            (Some(','), Some(d)) if d.is_ascii_digit() => true,
            (Some('.'), Some(d)) if d.is_ascii_digit() => true,
            _ => false,
        }
    }

    /// At a possible digit-group separator inside the integer part of a numeral: if it is
    /// one (`,` `,\!` `{,}` `\,` `\ ` `~` or one space, then exactly three digits not
    /// followed by another digit), returns how many characters it spans including the
    /// three digits. `1,000` and `1\,000` are numbers; `(1,2)`, `1, 000` and `1,0000` are not.
    fn thousands_group(&self) -> Option<usize> {
        let sep = match (self.peek(0)?, self.peek(1), self.peek(2)) {
            (',', Some('\\'), Some('!')) => {
                let mut k = 3;
                while self.peek(k) == Some(' ') {
                    k += 1;
                }
                k
            }
            (',', _, _) => 1,
            ('{', Some(','), Some('}')) => 3,
            ('{', Some(','), Some(' ')) if self.peek(3) == Some('}') => 4,
            (' ', Some('{'), Some(',')) if self.peek(3) == Some('}') => 4,
            (' ', Some('{'), Some(','))
                if self.peek(3) == Some(' ') && self.peek(4) == Some('}') =>
            {
                5
            }
            ('\\', Some(',' | ' '), _) => 2,
            ('~' | ' ', _, _) => 1,
            _ => return None,
        };
        let digits = (0..3).all(|j| self.peek(sep + j).is_some_and(|d| d.is_ascii_digit()));
        let more = self.peek(sep + 3).is_some_and(|d| d.is_ascii_digit());
        (digits && !more).then_some(sep + 3)
    }

    fn letters(&mut self) {
        let start = self.pos;
        while self.peek(0).is_some_and(|c| c.is_alphabetic() && c != 'π') {
            self.pos += 1;
        }
        let word: String = self.chars[start..self.pos].iter().collect();
        let lower = word.to_lowercase();
        let count = word.chars().count();
        if self.in_text() {
            if count >= 2 || self.out.is_empty() && self.peek(0).is_none() {
                self.word(word, &lower);
                return;
            }
            self.out.push(Tok::Ident(word));
            return;
        }
        let after_value = matches!(self.out.last(), Some(Tok::Num(_) | Tok::Unit));
        if lower == "pct" && after_value {
            self.push(Punct::Percent);
        } else if after_value
            && count >= 2
            && (UNIT_SYMBOLS.contains(&word.as_str()) || UNIT_WORDS.contains(&lower.as_str()))
            && lower != "in"
        {
            // `35 cm`, `12 km`: a unit after a value.
            self.out.push(Tok::Unit);
        } else if MATH_WORDS.contains(&lower.as_str()) {
            self.out.push(Tok::Word(lower));
        } else if count >= 4 {
            self.word(word, &lower);
        } else {
            for c in word.chars() {
                self.out.push(Tok::Ident(c.to_string()));
            }
        }
    }

    fn word(&mut self, word: String, lower: &str) {
        if matches!(lower, "percent" | "percentage" | "pct") {
            self.push(Punct::Percent);
        } else if UNIT_WORDS.contains(&lower) {
            self.out.push(Tok::Unit);
        } else if MATH_WORDS.contains(&lower) {
            self.out.push(Tok::Word(lower.to_string()));
        } else {
            self.out.push(Tok::Word(word));
        }
    }

    fn command(&mut self) -> Result<(), LexError> {
        self.pos += 1; // backslash
                       // `\\frac` (a doubly escaped command, as in JSON dumps) is `\frac`; `\\ ` and `\\`
                       // before anything else stay a row separator.
        if self.peek(0) == Some('\\') && self.peek(1).is_some_and(|c| c.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        let Some(c) = self.peek(0) else {
            return Ok(());
        };
        if !c.is_ascii_alphabetic() {
            self.pos += 1;
            match c {
                '{' => self.push(Punct::LSet),
                '}' => self.push(Punct::RSet),
                '\\' => self.push(Punct::RowSep),
                '%' => self.push(Punct::Percent),
                '$' | '!' | ',' | ';' | ':' | ' ' | '>' | '.' | '"' | '\'' => {}
                '|' => self.push(Punct::Bar),
                other => return Err(LexError::Unexpected(format!("\\{other}"))),
            }
            return Ok(());
        }
        let start = self.pos;
        while self.peek(0).is_some_and(|c| c.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        let mut name: String = self.chars[start..self.pos].iter().collect();
        if !is_known_command(&name) {
            // `\lnx`, `\sinx`, `\pix`: a known command glued to the letters after it.
            if let Some(prefix) = glued_prefix(&name) {
                self.pos = start + prefix.len();
                name = prefix.to_string();
            }
        }
        if TEXT_COMMANDS.contains(&name.as_str()) && self.unit_group_follows() {
            self.skip_unit_group();
            self.out.push(Tok::Unit);
            return Ok(());
        }
        match name.as_str() {
            "dfrac" | "tfrac" | "cfrac" => self.out.push(Tok::Cmd("frac".into())),
            "cdot" | "times" | "ast" => self.push(Punct::Star),
            "div" => self.push(Punct::Slash),
            "le" | "leq" | "leqslant" => self.push(Punct::Le),
            "ge" | "geq" | "geqslant" => self.push(Punct::Ge),
            "ne" | "neq" => self.push(Punct::Ne),
            "lt" => self.push(Punct::Lt),
            "gt" => self.push(Punct::Gt),
            "pm" => self.push(Punct::Pm),
            "mp" => self.push(Punct::Mp),
            "cup" => self.push(Punct::Cup),
            "approx" | "simeq" | "thickapprox" => self.push(Punct::Approx),
            "colon" => self.push(Punct::Colon),
            "in" => self.push(Punct::In),
            "lbrace" => self.push(Punct::LSet),
            "rbrace" => self.push(Punct::RSet),
            "vert" | "lvert" | "rvert" | "mid" => self.push(Punct::Bar),
            "lparen" => self.push(Punct::LParen),
            "rparen" => self.push(Punct::RParen),
            "lbrack" => self.push(Punct::LBrack),
            "rbrack" => self.push(Punct::RBrack),
            "infin" | "infinity" => self.out.push(Tok::Cmd("infty".into())),
            n if n == "left" || n == "right" => {
                // `\left.` / `\right.` are invisible delimiters.
                if self.peek(0) == Some('.') {
                    self.pos += 1;
                }
            }
            n if IGNORED_COMMANDS.contains(&n) => {}
            n if TEXT_COMMANDS.contains(&n) => {
                while self.peek(0).is_some_and(|c| c.is_whitespace()) {
                    self.pos += 1;
                }
                if self.peek(0) == Some('{') {
                    self.pos += 1;
                    self.brace_depth += 1;
                    self.text_depth.push(self.brace_depth);
                }
            }
            n if GREEK.contains(&n) => self.out.push(Tok::Ident(n.to_string())),
            _ => self.out.push(Tok::Cmd(name)),
        }
        Ok(())
    }
}

/// Commands the lexer or the parser gives a meaning to.
fn is_known_command(name: &str) -> bool {
    matches!(
        name,
        "dfrac"
            | "tfrac"
            | "cfrac"
            | "cdot"
            | "times"
            | "ast"
            | "div"
            | "le"
            | "leq"
            | "leqslant"
            | "ge"
            | "geq"
            | "geqslant"
            | "ne"
            | "neq"
            | "lt"
            | "gt"
            | "pm"
            | "mp"
            | "cup"
            | "in"
            | "lbrace"
            | "rbrace"
            | "vert"
            | "lvert"
            | "rvert"
            | "mid"
            | "lparen"
            | "rparen"
            | "lbrack"
            | "rbrack"
            | "infin"
            | "infinity"
            | "approx"
            | "simeq"
            | "thickapprox"
            | "colon"
            | "frac"
            | "over"
            | "binom"
            | "dbinom"
            | "tbinom"
            | "choose"
            | "sqrt"
            | "pi"
            | "varpi"
            | "infty"
            | "imath"
            | "log"
            | "lg"
            | "boxed"
            | "fbox"
            | "overline"
            | "bm"
            | "underline"
            | "hat"
            | "vec"
            | "mathcal"
            | "pmb"
            | "begin"
            | "end"
            | "hline"
    ) || IGNORED_COMMANDS.contains(&name)
        || TEXT_COMMANDS.contains(&name)
        || GREEK.contains(&name)
        || crate::expr::Func::from_name(name).is_some()
}

/// The longest command that `name` starts with and that may be glued to a variable
/// (`\lnx` is `\ln x`, `\pir` is `\pi r`), if `name` itself is no command.
fn glued_prefix(name: &str) -> Option<&str> {
    const GLUABLE: &[&str] = &[
        "arcsin", "arccos", "arctan", "sinh", "cosh", "tanh", "sin", "cos", "tan", "cot", "sec",
        "csc", "ln", "log", "exp", "sqrt", "pi", "infty", "cdot", "times", "pm", "frac", "dfrac",
        "quad", "qquad",
    ];
    GLUABLE
        .iter()
        .chain(GREEK.iter())
        .filter(|p| name.len() > p.len() && name.starts_with(*p))
        .max_by_key(|p| p.len())
        .copied()
}

/// Whether `word` is a unit (`cm`, `percent`, `m`) when written after a number.
pub(crate) fn is_unit_word(word: &str) -> bool {
    let lower = word.to_lowercase();
    UNIT_SYMBOLS.contains(&word)
        || UNIT_WORDS.contains(&lower.as_str())
        || matches!(lower.as_str(), "pct" | "percentage")
}

/// Unit symbols accepted inside `\text{}`/`\mathrm{}` after a value (`12\,\mathrm{m/s}`),
/// besides the unit words.
const UNIT_SYMBOLS: &[&str] = &[
    "m", "s", "g", "kg", "mg", "km", "cm", "mm", "nm", "L", "mL", "N", "J", "kJ", "W", "kW", "V",
    "K", "Pa", "kPa", "Hz", "h", "hr", "hrs", "min", "mol", "eV", "cal", "kcal", "mi", "yd", "ft",
    "sec", "lb", "oz", "A", "mA", "C", "kWh", "atm",
];

impl Lexer<'_> {
    /// At the argument of a text command: whether it is a unit (`\mathrm{m/s}`,
    /// `\text{ ft/sec}`, `\text{cm}`) written after a value, to be dropped as a unit.
    fn unit_group_follows(&self) -> bool {
        let n = self.out.len();
        let value_before = matches!(
            self.out.last(),
            Some(Tok::Num(_) | Tok::Unit | Tok::P(Punct::RParen | Punct::RBrace | Punct::Percent))
        ) || n >= 2
            && matches!(self.out[n - 1], Tok::P(Punct::Slash | Punct::Star))
            && self.out[n - 2] == Tok::Unit;
        if !value_before {
            return false;
        }
        let mut k = 0;
        while self.peek(k).is_some_and(char::is_whitespace) {
            k += 1;
        }
        if self.peek(k) != Some('{') {
            return false;
        }
        let mut inner = String::new();
        let mut j = k + 1;
        loop {
            match self.peek(j) {
                Some('}') => break,
                Some(c) if inner.len() < 40 && c != '{' && c != '\\' => inner.push(c),
                _ => return false,
            }
            j += 1;
        }
        let mut letters = 0;
        for piece in inner.split(|c: char| !c.is_alphabetic()) {
            if piece.is_empty() {
                continue;
            }
            letters += 1;
            let lower = piece.to_lowercase();
            if !(UNIT_WORDS.contains(&lower.as_str()) || UNIT_SYMBOLS.contains(&piece)) {
                return false;
            }
        }
        let symbols_ok = inner
            .chars()
            .all(|c| c.is_alphabetic() || c.is_ascii_digit() || " /^*·.-²³".contains(c));
        letters > 0 && symbols_ok
    }

    /// Skips the braced group of a unit text command, once [`Lexer::unit_group_follows`] said
    /// it is one.
    fn skip_unit_group(&mut self) {
        while self.peek(0).is_some_and(|c| c != '}') {
            self.pos += 1;
        }
        self.pos += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toks(s: &str) -> Vec<Tok> {
        tokenize(s, &mut Steps::default()).unwrap()
    }

    #[test]
    fn thousands_and_tuples() {
        assert_eq!(toks("1,000,000"), vec![Tok::Num("1000000".into())]);
        assert_eq!(toks("10,\\!080"), vec![Tok::Num("10080".into())]);
        assert_eq!(
            toks("11,\\! 111,\\! 111,\\! 100"),
            vec![Tok::Num("11111111100".into())]
        );
        assert_eq!(toks("1,2").len(), 3);
        assert_eq!(toks("1,2345").len(), 3);
    }

    #[test]
    fn degrees_and_text() {
        assert_eq!(toks("90^\\circ"), vec![Tok::Num("90".into())]);
        assert_eq!(toks("90^{\\circ}"), vec![Tok::Num("90".into())]);
        assert_eq!(toks("5\\text{ cm}"), vec![Tok::Num("5".into()), Tok::Unit]);
        assert_eq!(toks("\\text{Evelyn}"), vec![Tok::Word("Evelyn".into())]);
    }
}

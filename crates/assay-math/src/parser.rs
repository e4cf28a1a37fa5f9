//! Recursive-descent parser from [`Tok`]s to an [`Expr`].
//!
//! Precedence, loosest first: answer lists (`,` `;` `or`), relations (`=` `<` `\le` `\in`),
//! unions (`\cup`), sums (`+` `-` `\pm`), products (`*` `/` and juxtaposition), unary signs,
//! powers, postfix `!` and `%`, primaries.

use crate::expr::{Constant, Expr, Func, RelOp};
use crate::lexer::{tokenize_with, LexError, LexOptions, Punct, Tok};
use crate::steps::{Exhausted, Steps};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Pow, Signed, Zero};
use std::fmt;

/// Deepest recursion the parser follows (each bracket level costs a few levels, so about
/// 30 nested brackets or fractions).
pub const MAX_DEPTH: usize = 200;

/// Most digits a numeral may have (reading and reducing longer ones costs quadratic time;
/// no real answer comes close).
pub const MAX_DIGITS: usize = 2_000;

/// Largest decimal exponent accepted in scientific notation (`1e400` is refused).
const MAX_SCI_EXPONENT: u32 = 2_000;

/// Commands for operations this engine does not evaluate: an answer using them is refused
/// rather than misread (any other unknown command is read as the name of a quantity).
const OPERATOR_COMMANDS: &[&str] = &[
    "sum",
    "prod",
    "int",
    "iint",
    "iiint",
    "oint",
    "lim",
    "limsup",
    "liminf",
    "sup",
    "inf",
    "max",
    "min",
    "arg",
    "det",
    "gcd",
    "lcm",
    "to",
    "rightarrow",
    "Rightarrow",
    "leftarrow",
    "Leftarrow",
    "leftrightarrow",
    "Leftrightarrow",
    "implies",
    "iff",
    "mapsto",
    "cap",
    "setminus",
    "subset",
    "subseteq",
    "supset",
    "supseteq",
    "emptyset",
    "varnothing",
    "forall",
    "exists",
    "neg",
    "lnot",
    "land",
    "lor",
    "wedge",
    "vee",
    "partial",
    "nabla",
    "mod",
    "pmod",
    "bmod",
    "equiv",
    "sim",
    "propto",
    "perp",
    "parallel",
    "angle",
    "triangle",
    "cong",
    "notin",
    "ni",
    "oplus",
    "otimes",
    "star",
    "bullet",
    "cdots",
    "vdots",
    "ddots",
    "end",
    "overrightarrow",
    "widehat",
    "tilde",
    "bar",
    "dot",
    "ddot",
    "not",
    "dagger",
    "square",
    "Box",
    "backslash",
    "stackrel",
    "overset",
    "underset",
    "substack",
    "sqcup",
    "bigcup",
    "bigcap",
    "uplus",
    "lceil",
    "rceil",
    "lfloor",
    "rfloor",
    "langle",
    "rangle",
    "binom",
    "deg",
    "Re",
    "Im",
    "arcsec",
    "arccsc",
    "arccot",
    "operatorname",
    "mathscr",
    "mathfrak",
];

/// Environment names of matrices and arrays.
const MATRIX_ENVS: &[&str] = &[
    "matrix",
    "pmatrix",
    "bmatrix",
    "Bmatrix",
    "vmatrix",
    "Vmatrix",
    "smallmatrix",
    "array",
];

/// Why an answer could not be parsed.
#[derive(Debug, Clone, PartialEq)]
pub enum ParseError {
    /// The text is not a mathematical answer this parser understands; the message says
    /// which part.
    Syntax(String),
    /// The work budget ran out, or the input is too large or too deep.
    Exhausted(Exhausted),
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::Syntax(m) => write!(f, "cannot parse answer: {m}"),
            ParseError::Exhausted(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for ParseError {}

impl From<Exhausted> for ParseError {
    fn from(e: Exhausted) -> Self {
        ParseError::Exhausted(e)
    }
}

impl From<LexError> for ParseError {
    fn from(e: LexError) -> Self {
        match e {
            LexError::Unexpected(s) => ParseError::Syntax(format!("unexpected `{s}`")),
            LexError::Exhausted(x) => ParseError::Exhausted(x),
        }
    }
}

type Res<T> = Result<T, ParseError>;

fn syntax<T>(msg: impl Into<String>) -> Res<T> {
    Err(ParseError::Syntax(msg.into()))
}

/// Parser settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParseOptions {
    /// Read `2,74` as 2.74 (see [`LexOptions::decimal_comma`]). Off by default.
    pub decimal_comma: bool,
}

/// Short words that are answers in their own right (`No`, `odd`), not products of
/// one-letter variables, when they are the whole answer.
const SHORT_WORDS: &[&str] = &[
    "no", "yes", "odd", "all", "any", "nil", "not", "one", "two", "six", "ten", "red", "mon",
    "tue", "wed", "thu", "fri", "sat", "sun",
];

/// Parses one answer (LaTeX or plain text) into an expression.
///
/// Answers made of words (`\text{Evelyn}`, `east`, `No`) become [`Expr::Text`]; words after a
/// number are taken as units and dropped.
pub fn parse(input: &str, budget: &mut Steps) -> Res<Expr> {
    parse_with(input, ParseOptions::default(), budget)
}

/// Whether the whole answer is a short common word (`No`, `\text{odd}`, `Yes.`).
fn short_word_answer(input: &str) -> bool {
    // Cheap rejections first: this runs on every answer.
    if input.len() > 40
        || input.bytes().filter(u8::is_ascii_alphabetic).count() < 2
        || input
            .bytes()
            .any(|b| b.is_ascii_digit() || b"+-*/^=_".contains(&b))
    {
        return false;
    }
    SHORT_WORDS.contains(&normalize_text(input).as_str())
}

/// Parses one answer with the given settings.
pub fn parse_with(input: &str, opts: ParseOptions, budget: &mut Steps) -> Res<Expr> {
    if short_word_answer(input) {
        return Ok(Expr::Text(normalize_text(input)));
    }
    let lex = LexOptions {
        decimal_comma: opts.decimal_comma,
    };
    let mut toks = tokenize_with(input, lex, budget)?;
    if toks.is_empty() {
        return syntax("empty answer");
    }
    let mut seen_number = false;
    // Inside a subscript (`S_{MBCN}`) a word is a name, not prose.
    let mut subscript = 0usize;
    for i in 0..toks.len() {
        if subscript > 0 {
            match toks[i] {
                Tok::P(Punct::LBrace) => subscript += 1,
                Tok::P(Punct::RBrace) => subscript -= 1,
                _ => {}
            }
            continue;
        }
        if toks[i] == Tok::P(Punct::LBrace) && i > 0 && toks[i - 1] == Tok::P(Punct::Under) {
            subscript = 1;
            continue;
        }
        let t = &mut toks[i];
        match t {
            Tok::Num(_) => seen_number = true,
            Tok::Word(w) if is_plain_word(w) => {
                if seen_number {
                    *t = Tok::Unit;
                } else {
                    return Ok(Expr::Text(normalize_text(input)));
                }
            }
            _ => {}
        }
    }
    let mut p = Parser {
        toks,
        pos: 0,
        depth: 0,
        budget,
    };
    let items = p.list(&[])?;
    if p.pos < p.toks.len() {
        return syntax(format!("unexpected {}", describe(&p.toks[p.pos])));
    }
    Ok(if items.len() == 1 {
        items.into_iter().next().expect("one item")
    } else {
        Expr::List(items)
    })
}

/// Whether a word token is prose rather than a function, constant, or connective.
fn is_plain_word(w: &str) -> bool {
    let known = matches!(
        w,
        "sqrt"
            | "pi"
            | "exp"
            | "ln"
            | "log"
            | "infinity"
            | "inf"
            | "infty"
            | "oo"
            | "or"
            | "and"
            | "abs"
    ) || Func::from_name(w).is_some()
        || MATRIX_ENVS.contains(&w);
    !known
}

/// The normal form of a textual answer: lower-case letters and digits only.
pub fn normalize_text(s: &str) -> String {
    let mut s = s.to_string();
    for cmd in [
        "\\boxed", "\\textbf", "\\textit", "\\textrm", "\\text", "\\mbox", "\\mathrm", "\\mathbf",
    ] {
        s = s.replace(cmd, " ");
    }
    // Words, lower-cased, without punctuation and without articles (`the east` is `east`).
    let words: Vec<String> = s
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    let content = words
        .iter()
        .filter(|w| !matches!(w.as_str(), "a" | "an" | "the"))
        .count();
    words
        .into_iter()
        .filter(|w| content == 0 || !matches!(w.as_str(), "a" | "an" | "the"))
        .collect()
}

fn describe(t: &Tok) -> String {
    match t {
        Tok::Num(n) => format!("number `{n}`"),
        Tok::Ident(s) | Tok::Word(s) => format!("`{s}`"),
        Tok::Cmd(c) => format!("`\\{c}`"),
        Tok::Unit => "unit".into(),
        Tok::P(p) => format!("`{p:?}`"),
    }
}

struct Parser<'b> {
    toks: Vec<Tok>,
    pos: usize,
    depth: usize,
    budget: &'b mut Steps,
}

fn mul(a: Expr, b: Expr) -> Expr {
    match a {
        Expr::Mul(mut v) => {
            v.push(b);
            Expr::Mul(v)
        }
        a => Expr::Mul(vec![a, b]),
    }
}

fn rational_of(s: &str) -> Res<BigRational> {
    let (mant, exp) = match s.split_once('e') {
        Some((m, e)) => {
            let e: i64 = e
                .parse()
                .map_err(|_| ParseError::Syntax(format!("bad exponent in `{s}`")))?;
            (m, e)
        }
        None => (s, 0),
    };
    if exp.unsigned_abs() > u64::from(MAX_SCI_EXPONENT) {
        return Err(
            Exhausted::TooLarge(format!("exponent of `{s}` exceeds {MAX_SCI_EXPONENT}")).into(),
        );
    }
    if mant.len() > MAX_DIGITS {
        return Err(
            Exhausted::TooLarge(format!("a numeral with more than {MAX_DIGITS} digits")).into(),
        );
    }
    let (int, frac) = mant.split_once('.').unwrap_or((mant, ""));
    let digits = format!("{int}{frac}");
    let n: BigInt = if digits.is_empty() {
        BigInt::zero()
    } else {
        digits
            .parse()
            .map_err(|_| ParseError::Syntax(format!("bad number `{s}`")))?
    };
    let ten = BigInt::from(10);
    let scale = exp - frac.len() as i64;
    let pow = Pow::pow(&ten, scale.unsigned_abs());
    Ok(if scale >= 0 {
        BigRational::from_integer(n * pow)
    } else {
        BigRational::new(n, pow)
    })
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn peek_p(&self) -> Option<Punct> {
        match self.peek() {
            Some(Tok::P(p)) => Some(*p),
            _ => None,
        }
    }

    fn eat(&mut self, p: Punct) -> bool {
        if self.peek_p() == Some(p) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, p: Punct) -> Res<()> {
        if self.eat(p) {
            Ok(())
        } else {
            match self.peek() {
                Some(t) => syntax(format!("expected `{p:?}`, found {}", describe(t))),
                None => syntax(format!("expected `{p:?}`, found the end")),
            }
        }
    }

    fn next(&mut self) -> Option<Tok> {
        let t = self.toks.get(self.pos).cloned();
        self.pos += 1;
        t
    }

    fn enter(&mut self) -> Res<()> {
        self.budget.tick()?;
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(Exhausted::TooLarge(format!(
                "nesting too deep (more than {MAX_DEPTH} parser levels)"
            ))
            .into());
        }
        Ok(())
    }

    fn leave(&mut self) {
        self.depth -= 1;
    }

    fn at_separator(&self) -> bool {
        match self.peek() {
            Some(Tok::P(Punct::Comma | Punct::Semi)) => true,
            Some(Tok::Word(w)) => w == "or" || w == "and",
            _ => false,
        }
    }

    /// Items separated by `,` `;` `or` `and`, stopping before any of `closers`.
    fn list(&mut self, closers: &[Punct]) -> Res<Vec<Expr>> {
        let mut items = Vec::new();
        loop {
            while self.peek() == Some(&Tok::Unit) {
                self.pos += 1;
            }
            if self.peek().is_none() && items.is_empty() {
                return syntax("the answer ends where a value was expected (an unclosed bracket?)");
            }
            if self.peek().is_none() || self.peek_p().is_some_and(|p| closers.contains(&p)) {
                if items.is_empty() {
                    return syntax("an empty group `{}` or `()`");
                }
                return Ok(items);
            }
            items.push(self.relation()?);
            if self.at_separator() {
                self.pos += 1;
                // `1, 2, and 3`
                if self.at_separator() {
                    self.pos += 1;
                }
                continue;
            }
            return Ok(items);
        }
    }

    fn rel_op(&self) -> Option<RelOp> {
        Some(match self.peek_p()? {
            Punct::Eq => RelOp::Eq,
            Punct::Ne => RelOp::Ne,
            Punct::Lt => RelOp::Lt,
            Punct::Le => RelOp::Le,
            Punct::Gt => RelOp::Gt,
            Punct::Ge => RelOp::Ge,
            _ => return None,
        })
    }

    fn relation(&mut self) -> Res<Expr> {
        self.enter()?;
        let first = self.ratio()?;
        if self.eat(Punct::In) {
            // `x \in [a, b]`: the answer is the set.
            let set = self.ratio()?;
            self.leave();
            return Ok(set);
        }
        let mut sides = vec![first];
        let mut ops = Vec::new();
        let mut approx_at = None;
        loop {
            let op = if self.eat(Punct::Approx) {
                approx_at.get_or_insert(ops.len());
                RelOp::Eq
            } else if let Some(op) = self.rel_op() {
                self.pos += 1;
                op
            } else {
                break;
            };
            ops.push(op);
            sides.push(self.ratio()?);
        }
        // `x = \frac13 \approx 0.33`: what follows the first `\approx` is a rounding of the
        // answer, not the answer; `x \approx 11` alone reads as `x = 11`.
        if let Some(k) = approx_at.filter(|k| *k > 0) {
            sides.truncate(k + 1);
            ops.truncate(k);
        }
        self.leave();
        Ok(if ops.is_empty() {
            sides.pop().expect("one side")
        } else {
            Expr::Rel(sides, ops)
        })
    }

    /// `a : b` (a ratio), or a union.
    fn ratio(&mut self) -> Res<Expr> {
        let first = self.union()?;
        if self.peek_p() != Some(Punct::Colon) {
            return Ok(first);
        }
        let mut parts = vec![first];
        while self.eat(Punct::Colon) {
            parts.push(self.union()?);
        }
        Ok(Expr::Ratio(parts))
    }

    fn union(&mut self) -> Res<Expr> {
        let first = self.additive()?;
        if self.peek_p() != Some(Punct::Cup) {
            return Ok(first);
        }
        let mut parts = vec![first];
        while self.eat(Punct::Cup) {
            parts.push(self.additive()?);
        }
        Ok(Expr::Union(parts))
    }

    fn additive(&mut self) -> Res<Expr> {
        self.enter()?;
        let mut terms = Vec::new();
        let mut pm: Option<Expr> = None;
        if self.eat(Punct::Pm) || self.eat(Punct::Mp) {
            pm = Some(self.term()?);
        } else {
            terms.push(self.term()?);
        }
        loop {
            match self.peek_p() {
                Some(Punct::Plus) => {
                    self.pos += 1;
                    terms.push(self.term()?);
                }
                Some(Punct::Minus) => {
                    self.pos += 1;
                    terms.push(Expr::Neg(Box::new(self.term()?)));
                }
                Some(Punct::Pm | Punct::Mp) if pm.is_none() => {
                    self.pos += 1;
                    pm = Some(self.term()?);
                }
                _ => break,
            }
        }
        self.leave();
        let base = match terms.len() {
            0 => Expr::int(0),
            1 => terms.pop().expect("one term"),
            _ => Expr::Add(terms),
        };
        Ok(match pm {
            Some(b) => Expr::PlusMinus(Box::new(base), Box::new(b)),
            None => base,
        })
    }

    fn starts_factor(&self) -> bool {
        match self.peek() {
            Some(Tok::Num(_) | Tok::Ident(_)) => true,
            Some(Tok::Word(w)) => w != "or" && w != "and",
            Some(Tok::Cmd(c)) => c != "end",
            Some(Tok::P(p)) => matches!(p, Punct::LParen | Punct::LBrace),
            _ => false,
        }
    }

    fn skip_unit(&mut self) -> Res<()> {
        self.pos += 1;
        if self.eat(Punct::Caret) {
            self.script_arg()?;
        }
        // Compound units: `\text{m}/\text{s}`, `\text{cm}\cdot\text{s}`.
        if matches!(self.peek_p(), Some(Punct::Slash | Punct::Star))
            && self.toks.get(self.pos + 1) == Some(&Tok::Unit)
        {
            self.pos += 1;
            return self.skip_unit();
        }
        Ok(())
    }

    fn term(&mut self) -> Res<Expr> {
        self.enter()?;
        let mut acc = self.unary()?;
        loop {
            self.budget.tick()?;
            match self.peek() {
                Some(Tok::P(Punct::Star)) => {
                    self.pos += 1;
                    acc = mul(acc, self.unary()?);
                }
                Some(Tok::P(Punct::Slash)) => {
                    self.pos += 1;
                    acc = Expr::Div(Box::new(acc), Box::new(self.unary()?));
                }
                Some(Tok::Unit) => self.skip_unit()?,
                Some(Tok::Num(n)) if matches!(self.toks.get(self.pos - 1), Some(Tok::Num(_))) => {
                    return syntax(format!(
                        "two numbers side by side (`… {n}`): write an operator between them"
                    ));
                }
                _ if self.starts_factor() => acc = mul(acc, self.power()?),
                _ => break,
            }
        }
        self.leave();
        Ok(acc)
    }

    fn unary(&mut self) -> Res<Expr> {
        self.enter()?;
        let e = if self.eat(Punct::Minus) {
            Expr::Neg(Box::new(self.unary()?))
        } else if self.eat(Punct::Plus) {
            self.unary()?
        } else {
            self.power()?
        };
        self.leave();
        Ok(e)
    }

    fn power(&mut self) -> Res<Expr> {
        self.enter()?;
        let base = self.postfix()?;
        let e = if self.eat(Punct::Caret) {
            let exp = self.script_arg()?;
            self.postfix_ops(Expr::Pow(Box::new(base), Box::new(exp)))?
        } else {
            base
        };
        self.leave();
        Ok(e)
    }

    /// The argument of `^` or `_`: a braced group, a parenthesized group, a signed
    /// argument, a whole numeral, or one primary.
    fn script_arg(&mut self) -> Res<Expr> {
        self.enter()?;
        let e = match self.peek_p() {
            Some(Punct::Minus) => {
                self.pos += 1;
                Expr::Neg(Box::new(self.script_arg()?))
            }
            Some(Punct::Plus) => {
                self.pos += 1;
                self.script_arg()?
            }
            _ => self.power()?,
        };
        self.leave();
        Ok(e)
    }

    fn postfix(&mut self) -> Res<Expr> {
        let p = self.primary()?;
        self.postfix_ops(p)
    }

    fn postfix_ops(&mut self, mut e: Expr) -> Res<Expr> {
        loop {
            if self.eat(Punct::Bang) {
                e = Expr::Apply(Func::Factorial, Box::new(e));
            } else if self.eat(Punct::Percent) {
                e = Expr::Percent(Box::new(e));
            } else {
                return Ok(e);
            }
        }
    }

    /// A macro argument (`\frac`, `\sqrt`, `\boxed`): a braced group, or a single token
    /// (`\frac43` is 4/3: a numeral gives up only its first digit).
    fn macro_arg(&mut self) -> Res<Expr> {
        self.enter()?;
        let e = match self.peek().cloned() {
            Some(Tok::P(Punct::LBrace)) => self.primary()?,
            Some(Tok::Num(s)) => {
                let mut chars = s.chars();
                let first = chars.next().expect("numerals are non-empty");
                let rest: String = chars.collect();
                if rest.is_empty() || first == '.' {
                    self.pos += 1;
                    Expr::Num(rational_of(&s)?)
                } else {
                    self.toks[self.pos] = Tok::Num(rest);
                    Expr::Num(rational_of(&first.to_string())?)
                }
            }
            Some(Tok::Ident(_) | Tok::Cmd(_) | Tok::Word(_)) => self.primary()?,
            Some(t) => return syntax(format!("expected an argument, found {}", describe(&t))),
            None => return syntax("expected an argument, found the end"),
        };
        self.leave();
        Ok(e)
    }

    /// The argument of a function (`\sin x`, `\sin(2x)`, `\ln 2`, `sqrt(3)`): a bracketed
    /// group, or a product of powers without explicit operators.
    fn func_arg(&mut self) -> Res<Expr> {
        self.enter()?;
        let e = match self.peek_p() {
            Some(Punct::LParen | Punct::LBrace | Punct::LBrack) => self.postfix()?,
            _ => {
                let mut acc = self.unary()?;
                while matches!(self.peek(), Some(Tok::Num(_) | Tok::Ident(_)))
                    || matches!(self.peek(), Some(Tok::Cmd(c)) if c == "pi")
                {
                    acc = mul(acc, self.power()?);
                }
                acc
            }
        };
        self.leave();
        Ok(e)
    }

    fn function(&mut self, f: Func) -> Res<Expr> {
        // `\sin^2 x` and `\sin^{-1} x`.
        let power = if self.eat(Punct::Caret) {
            Some(self.script_arg()?)
        } else {
            None
        };
        if let Some(Expr::Neg(inner)) = &power {
            if **inner == Expr::int(1) {
                let inv = match f {
                    Func::Sin => Some(Func::Asin),
                    Func::Cos => Some(Func::Acos),
                    Func::Tan => Some(Func::Atan),
                    _ => None,
                };
                if let Some(inv) = inv {
                    let arg = self.func_arg()?;
                    return Ok(Expr::Apply(inv, Box::new(arg)));
                }
            }
        }
        let arg = self.func_arg()?;
        let applied = Expr::Apply(f, Box::new(arg));
        Ok(match power {
            Some(p) => Expr::Pow(Box::new(applied), Box::new(p)),
            None => applied,
        })
    }

    fn log(&mut self) -> Res<Expr> {
        let base = if self.eat(Punct::Under) {
            self.macro_arg()?
        } else {
            Expr::int(10)
        };
        let arg = self.func_arg()?;
        Ok(Expr::Log(Box::new(base), Box::new(arg)))
    }

    fn number(&mut self, s: String) -> Res<Expr> {
        // Base notation: 52_8, 4210_{5}.
        if self.eat(Punct::Under) {
            let base = match self.next() {
                Some(Tok::Num(b)) => b,
                Some(Tok::P(Punct::LBrace)) => match (self.next(), self.next()) {
                    (Some(Tok::Num(b)), Some(Tok::P(Punct::RBrace))) => b,
                    _ => return syntax("expected a numeric base after `_`"),
                },
                _ => return syntax("expected a numeric base after `_`"),
            };
            let base: u32 = base
                .parse()
                .ok()
                .filter(|b| (2..=36).contains(b))
                .ok_or_else(|| ParseError::Syntax(format!("bad base `{base}`")))?;
            if !s.chars().all(|c| c.is_digit(base)) {
                return syntax(format!("`{s}` is not a numeral in base {base}"));
            }
            return Ok(Expr::Based {
                digits: s.to_uppercase(),
                base,
            });
        }
        let q = rational_of(&s)?;
        // Mixed number: 3\frac12, 137 \frac{1}{2} (a proper fraction of integers).
        if q.is_integer() && self.peek() == Some(&Tok::Cmd("frac".into())) {
            let save = self.pos;
            let saved_toks = self.toks.clone();
            self.pos += 1;
            let num = self.macro_arg()?;
            let den = self.macro_arg()?;
            if let (Expr::Num(a), Expr::Num(b)) = (&num, &den) {
                if a.is_integer() && b.is_integer() && !a.is_negative() && a < b {
                    return Ok(Expr::Num(q + a / b));
                }
            }
            self.pos = save;
            self.toks = saved_toks;
        }
        Ok(Expr::Num(q))
    }

    fn primary(&mut self) -> Res<Expr> {
        self.enter()?;
        let Some(tok) = self.next() else {
            return syntax("answer ends where a value was expected");
        };
        let e = match tok {
            Tok::Num(s) => self.number(s)?,
            Tok::Ident(name) => self.identifier(name)?,
            Tok::Word(w) => self.word(&w)?,
            Tok::Cmd(c) => self.command(&c)?,
            Tok::Unit => return syntax("a unit where a value was expected"),
            Tok::P(Punct::LParen) => self.bracketed(true)?,
            Tok::P(Punct::LBrack) => self.bracketed(false)?,
            Tok::P(Punct::LBrace) => {
                let items = self.list(&[Punct::RBrace])?;
                self.expect(Punct::RBrace)?;
                single_or_list(items)
            }
            Tok::P(Punct::LSet) => {
                let items = self.list(&[Punct::RSet])?;
                self.expect(Punct::RSet)?;
                Expr::Set(items)
            }
            Tok::P(Punct::Bar) => {
                let inner = self.additive()?;
                self.expect(Punct::Bar)?;
                Expr::Apply(Func::Abs, Box::new(inner))
            }
            t => return syntax(format!("unexpected {}", describe(&t))),
        };
        self.leave();
        Ok(e)
    }

    fn identifier(&mut self, name: String) -> Res<Expr> {
        if self.eat(Punct::Under) {
            let sub = match self.next() {
                Some(Tok::Num(s) | Tok::Ident(s)) => s,
                Some(Tok::P(Punct::LBrace)) => {
                    let mut s = String::new();
                    loop {
                        match self.next() {
                            Some(Tok::P(Punct::RBrace)) => break,
                            Some(Tok::Num(x) | Tok::Ident(x) | Tok::Word(x)) => s.push_str(&x),
                            _ => return syntax("unsupported subscript"),
                        }
                    }
                    s
                }
                _ => return syntax("unsupported subscript"),
            };
            return Ok(Expr::Var(format!("{name}_{sub}")));
        }
        Ok(match name.as_str() {
            "e" => Expr::Const(Constant::E),
            "i" => Expr::Const(Constant::I),
            _ => Expr::Var(name),
        })
    }

    fn word(&mut self, w: &str) -> Res<Expr> {
        match w {
            "pi" => Ok(Expr::Const(Constant::Pi)),
            "infinity" | "inf" | "infty" | "oo" => Ok(Expr::Const(Constant::Infinity)),
            "sqrt" => {
                let arg = self.func_arg()?;
                Ok(Expr::Root(Box::new(Expr::int(2)), Box::new(arg)))
            }
            "log" => self.log(),
            _ => match Func::from_name(w) {
                Some(f) => self.function(f),
                None => syntax(format!("unexpected word `{w}`")),
            },
        }
    }

    fn command(&mut self, c: &str) -> Res<Expr> {
        match c {
            "frac" | "over" => {
                let a = self.macro_arg()?;
                let b = self.macro_arg()?;
                Ok(Expr::Div(Box::new(a), Box::new(b)))
            }
            "binom" | "dbinom" | "tbinom" | "choose" => {
                let n = self.macro_arg()?;
                let k = self.macro_arg()?;
                // n and k appear twice below, so binomials nested in an argument double in
                // size at each level: the copies are charged to the budget.
                let mut nodes = 0u64;
                n.walk(&mut |_| nodes += 1);
                k.walk(&mut |_| nodes += 1);
                self.budget.charge(nodes)?;
                let fact = |e: Expr| Expr::Apply(Func::Factorial, Box::new(e));
                let n_k = Expr::Add(vec![n.clone(), Expr::Neg(Box::new(k.clone()))]);
                Ok(Expr::Div(
                    Box::new(fact(n)),
                    Box::new(Expr::Mul(vec![fact(k), fact(n_k)])),
                ))
            }
            "sqrt" => {
                let index = if self.eat(Punct::LBrack) {
                    let i = self.additive()?;
                    self.expect(Punct::RBrack)?;
                    i
                } else {
                    Expr::int(2)
                };
                let arg = self.macro_arg()?;
                Ok(Expr::Root(Box::new(index), Box::new(arg)))
            }
            "pi" | "varpi" => Ok(Expr::Const(Constant::Pi)),
            "infty" => Ok(Expr::Const(Constant::Infinity)),
            "imath" => Ok(Expr::Const(Constant::I)),
            "log" | "lg" => self.log(),
            "boxed" | "fbox" | "overline" | "mathbf" | "bm" | "underline" | "hat" | "vec"
            | "mathcal" | "pmb" => self.macro_arg(),
            "begin" => self.matrix(),
            other => match Func::from_name(other) {
                Some(f) => self.function(f),
                // An operator this engine does not evaluate (sums, integrals, limits, logic).
                None if OPERATOR_COMMANDS.contains(&other) => syntax(format!(
                    "the command `\\{other}` is not supported in answers"
                )),
                // Any other command names a quantity (`\\ell`, `\\hbar`): a variable.
                None => Ok(Expr::Var(other.to_string())),
            },
        }
    }

    /// After `(` or `[`: a group, an interval, or a tuple.
    fn bracketed(&mut self, open_paren: bool) -> Res<Expr> {
        let items = self.list(&[Punct::RParen, Punct::RBrack])?;
        let close_paren = match self.next() {
            Some(Tok::P(Punct::RParen)) => true,
            Some(Tok::P(Punct::RBrack)) => false,
            _ => return syntax("unclosed bracket"),
        };
        let mut items = items;
        Ok(match items.len() {
            1 => items.pop().expect("one item"),
            2 if !(open_paren && close_paren) => {
                let hi = items.pop().expect("two items");
                let lo = items.pop().expect("two items");
                Expr::Interval {
                    lo: Box::new(lo),
                    hi: Box::new(hi),
                    lo_closed: !open_paren,
                    hi_closed: !close_paren,
                }
            }
            _ => Expr::Tuple(items),
        })
    }

    fn env_name(&mut self) -> Res<String> {
        self.expect(Punct::LBrace)?;
        let mut name = String::new();
        loop {
            match self.next() {
                Some(Tok::P(Punct::RBrace)) => return Ok(name),
                Some(Tok::Word(w) | Tok::Ident(w)) => name.push_str(&w),
                Some(Tok::P(Punct::Star)) => {}
                _ => return syntax("bad environment name"),
            }
        }
    }

    fn matrix(&mut self) -> Res<Expr> {
        let name = self.env_name()?;
        if !MATRIX_ENVS.contains(&name.as_str()) {
            return syntax(format!(
                "the environment `{name}` is not supported in answers"
            ));
        }
        if name == "array" && self.eat(Punct::LBrace) {
            // Column specification.
            while let Some(t) = self.next() {
                if t == Tok::P(Punct::RBrace) {
                    break;
                }
            }
        }
        let mut rows: Vec<Vec<Expr>> = Vec::new();
        let mut row = Vec::new();
        loop {
            self.budget.tick()?;
            match self.peek() {
                Some(Tok::Cmd(c)) if c == "end" => {
                    self.pos += 1;
                    let end = self.env_name()?;
                    if end != name {
                        return syntax(format!("`\\begin{{{name}}}` closed by `\\end{{{end}}}`"));
                    }
                    if !row.is_empty() {
                        rows.push(row);
                    }
                    break;
                }
                Some(Tok::Cmd(c)) if c == "hline" => self.pos += 1,
                Some(Tok::P(Punct::RowSep)) => {
                    self.pos += 1;
                    rows.push(std::mem::take(&mut row));
                }
                Some(Tok::P(Punct::Amp)) => self.pos += 1,
                None => return syntax(format!("`\\begin{{{name}}}` is never closed")),
                _ => row.push(self.relation()?),
            }
        }
        rows.retain(|r| !r.is_empty());
        if rows.is_empty() {
            return syntax("empty matrix");
        }
        Ok(Expr::Matrix(rows))
    }
}

fn single_or_list(mut items: Vec<Expr>) -> Expr {
    if items.len() == 1 {
        items.pop().expect("one item")
    } else {
        Expr::List(items)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn show(s: &str) -> String {
        match parse(s, &mut Steps::default()) {
            Ok(e) => e.to_string(),
            Err(e) => format!("ERR {e}"),
        }
    }

    #[test]
    fn canonical_forms() {
        let cases = [
            ("\\frac{3}{4}", "3/4"),
            ("\\frac43", "4/3"),
            ("3\\frac12", "7/2"),
            ("0.75", "3/4"),
            ("1,000", "1000"),
            ("(1,2)", "(1, 2)"),
            ("(3,4]", "(3, 4]"),
            ("52_8", "52_8"),
            ("x^2+2x", "x^2 + 2*x"),
            ("\\sqrt[3]{2}", "2^(1/3)"),
            ("y = 2x + 3", "y = 2*x + 3"),
            ("\\{1\\pm\\sqrt{5},-2\\}", "{1 ± sqrt(5), -2}"),
            ("\\text{Evelyn}", "\"evelyn\""),
            ("864 \\mbox{ inches}^2", "864"),
            ("\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "[1; 2]"),
            ("x \\in [-2,7]", "[-2, 7]"),
            ("\\sin^{-1} x", "asin(x)"),
            ("1.5e3", "1500"),
            ("25\\%", "25%"),
        ];
        for (input, want) in cases {
            assert_eq!(show(input), want, "input {input}");
        }
    }
}

//! Formulas over rewards and components, as `multi` graders use them.
//!
//! ```text
//! 0.9 * answer + 0.1 * fmt
//! if(answer >= 1, 1 + 0.2 * fmt, min(0, fmt - 1))
//! answer > 0 ? clamp(answer + length.overlong, 0, 1) : 0
//! ```
//!
//! | syntax | meaning |
//! |---|---|
//! | numbers | `1`, `0.5`, `1e-3` |
//! | names | a sub-grader's reward (`answer`) or one of its components (`answer.math`) |
//! | `+ - * / %`, `^` or `**` | arithmetic (`^` binds tightest, right to left) |
//! | `< <= > >= == !=` | comparisons, 1 when true and 0 when false |
//! | `&&`/`and`, `\|\|`/`or`, `!`/`not` | logic on "non-zero is true" |
//! | `c ? a : b`, `if(c, a, b)` | choice |
//! | `min(a, …)`, `max(a, …)`, `clamp(x, lo, hi)`, `abs`, `exp`, `log` (natural; `log(x, b)` base b), `sqrt`, `floor`, `ceil`, `round`, `sigmoid`, `log_sigmoid` | functions |
//!
//! A formula is parsed when the configuration loads; a syntax error or an unknown name is a
//! configuration problem, reported with its position.

use std::fmt;

/// A parsed formula.
#[derive(Debug, Clone, PartialEq)]
pub struct Formula {
    root: Node,
    variables: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
enum Node {
    Number(f64),
    Variable(usize),
    Unary(UnaryOp, Box<Node>),
    Binary(BinaryOp, Box<Node>, Box<Node>),
    Choice(Box<Node>, Box<Node>, Box<Node>),
    Call(Function, Vec<Node>),
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum UnaryOp {
    Neg,
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum BinaryOp {
    Add,
    Sub,
    Mul,
    Div,
    Rem,
    Pow,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    And,
    Or,
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Function {
    Min,
    Max,
    Clamp,
    Abs,
    Exp,
    Log,
    Sqrt,
    Floor,
    Ceil,
    Round,
    Sigmoid,
    LogSigmoid,
    If,
}

impl Function {
    const ALL: [(&'static str, Function); 13] = [
        ("min", Function::Min),
        ("max", Function::Max),
        ("clamp", Function::Clamp),
        ("abs", Function::Abs),
        ("exp", Function::Exp),
        ("log", Function::Log),
        ("sqrt", Function::Sqrt),
        ("floor", Function::Floor),
        ("ceil", Function::Ceil),
        ("round", Function::Round),
        ("sigmoid", Function::Sigmoid),
        ("log_sigmoid", Function::LogSigmoid),
        ("if", Function::If),
    ];

    fn by_name(name: &str) -> Option<Function> {
        Self::ALL.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    /// Allowed argument counts (min, max).
    fn arity(self) -> (usize, usize) {
        match self {
            Function::Min | Function::Max => (1, usize::MAX),
            Function::Clamp | Function::If => (3, 3),
            Function::Log => (1, 2),
            _ => (1, 1),
        }
    }
}

/// A formula that does not parse, with the byte position of the problem.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FormulaError {
    /// Byte offset in the formula text.
    pub position: usize,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for FormulaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "at column {}: {}", self.position + 1, self.message)
    }
}

impl std::error::Error for FormulaError {}

impl Formula {
    /// Parses a formula.
    pub fn parse(text: &str) -> Result<Formula, FormulaError> {
        let tokens = tokenize(text)?;
        let mut parser = Parser {
            tokens,
            pos: 0,
            variables: Vec::new(),
            end: text.len(),
        };
        let root = parser.expr()?;
        if let Some((at, token)) = parser.tokens.get(parser.pos) {
            return Err(FormulaError {
                position: *at,
                message: format!("unexpected {token} after a complete expression"),
            });
        }
        Ok(Formula {
            root,
            variables: parser.variables,
        })
    }

    /// The names the formula reads, in order of first use. [`Formula::eval`] takes their
    /// values in this order.
    pub fn variables(&self) -> &[String] {
        &self.variables
    }

    /// Evaluates with `values[i]` the value of `variables()[i]`.
    pub fn eval(&self, values: &[f64]) -> f64 {
        eval(&self.root, values)
    }
}

fn truth(b: bool) -> f64 {
    if b {
        1.0
    } else {
        0.0
    }
}

fn log_sigmoid(x: f64) -> f64 {
    // Stable for large |x|: log σ(x) = -log(1 + e^{-x}) = min(x, 0) - log(1 + e^{-|x|}).
    x.min(0.0) - (-x.abs()).exp().ln_1p()
}

fn eval(node: &Node, values: &[f64]) -> f64 {
    match node {
        Node::Number(n) => *n,
        Node::Variable(i) => values[*i],
        Node::Unary(UnaryOp::Neg, a) => -eval(a, values),
        Node::Unary(UnaryOp::Not, a) => truth(eval(a, values) == 0.0),
        Node::Binary(op, a, b) => {
            let x = eval(a, values);
            match op {
                BinaryOp::And => return truth(x != 0.0 && eval(b, values) != 0.0),
                BinaryOp::Or => return truth(x != 0.0 || eval(b, values) != 0.0),
                _ => {}
            }
            let y = eval(b, values);
            match op {
                BinaryOp::Add => x + y,
                BinaryOp::Sub => x - y,
                BinaryOp::Mul => x * y,
                BinaryOp::Div => x / y,
                BinaryOp::Rem => x % y,
                BinaryOp::Pow => x.powf(y),
                BinaryOp::Lt => truth(x < y),
                BinaryOp::Le => truth(x <= y),
                BinaryOp::Gt => truth(x > y),
                BinaryOp::Ge => truth(x >= y),
                BinaryOp::Eq => truth(x == y),
                BinaryOp::Ne => truth(x != y),
                BinaryOp::And | BinaryOp::Or => unreachable!("handled above"),
            }
        }
        Node::Choice(c, a, b) => {
            if eval(c, values) != 0.0 {
                eval(a, values)
            } else {
                eval(b, values)
            }
        }
        Node::Call(f, args) => {
            if *f == Function::If {
                return eval(
                    &Node::Choice(
                        Box::new(args[0].clone()),
                        Box::new(args[1].clone()),
                        Box::new(args[2].clone()),
                    ),
                    values,
                );
            }
            let v: Vec<f64> = args.iter().map(|a| eval(a, values)).collect();
            match f {
                Function::Min => v.iter().copied().fold(f64::INFINITY, f64::min),
                Function::Max => v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                Function::Clamp => v[0].max(v[1]).min(v[2]),
                Function::Abs => v[0].abs(),
                Function::Exp => v[0].exp(),
                Function::Log if v.len() == 2 => v[0].ln() / v[1].ln(),
                Function::Log => v[0].ln(),
                Function::Sqrt => v[0].sqrt(),
                Function::Floor => v[0].floor(),
                Function::Ceil => v[0].ceil(),
                Function::Round => v[0].round(),
                Function::Sigmoid => 1.0 / (1.0 + (-v[0]).exp()),
                Function::LogSigmoid => log_sigmoid(v[0]),
                Function::If => unreachable!("handled above"),
            }
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Number(f64),
    Name(String),
    Op(&'static str),
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Number(n) => write!(f, "number {n}"),
            Token::Name(n) => write!(f, "name `{n}`"),
            Token::Op(op) => write!(f, "`{op}`"),
        }
    }
}

const OPERATORS: [&str; 22] = [
    "**", "<=", ">=", "==", "!=", "&&", "||", "+", "-", "*", "/", "%", "^", "<", ">", "!", "(",
    ")", ",", "?", ":", "=",
];

fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, FormulaError> {
    let bytes = text.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let c = bytes[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
        {
            let start = i;
            while i < bytes.len() && (bytes[i].is_ascii_digit() || bytes[i] == b'.') {
                i += 1;
            }
            if i < bytes.len() && (bytes[i] == b'e' || bytes[i] == b'E') {
                let mut j = i + 1;
                if j < bytes.len() && (bytes[j] == b'+' || bytes[j] == b'-') {
                    j += 1;
                }
                if j < bytes.len() && bytes[j].is_ascii_digit() {
                    i = j;
                    while i < bytes.len() && bytes[i].is_ascii_digit() {
                        i += 1;
                    }
                }
            }
            let number = text[start..i].parse::<f64>().map_err(|_| FormulaError {
                position: start,
                message: format!("`{}` is not a number", &text[start..i]),
            })?;
            tokens.push((start, Token::Number(number)));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b'.')
            {
                i += 1;
            }
            let name = &text[start..i];
            let token = match name {
                "and" => Token::Op("&&"),
                "or" => Token::Op("||"),
                "not" => Token::Op("!"),
                "true" => Token::Number(1.0),
                "false" => Token::Number(0.0),
                _ => Token::Name(name.to_string()),
            };
            tokens.push((start, token));
        } else if let Some(op) = OPERATORS.iter().find(|op| text[i..].starts_with(**op)) {
            if *op == "=" {
                return Err(FormulaError {
                    position: i,
                    message: "`=` is not an operator; compare with `==`".into(),
                });
            }
            tokens.push((i, Token::Op(op)));
            i += op.len();
        } else {
            let ch = text[i..].chars().next().unwrap_or('?');
            return Err(FormulaError {
                position: i,
                message: format!("unexpected character {ch:?}"),
            });
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    pos: usize,
    variables: Vec<String>,
    end: usize,
}

impl Parser {
    fn peek_op(&self) -> Option<&'static str> {
        match self.tokens.get(self.pos) {
            Some((_, Token::Op(op))) => Some(op),
            _ => None,
        }
    }

    fn position(&self) -> usize {
        self.tokens.get(self.pos).map_or(self.end, |(at, _)| *at)
    }

    fn expect(&mut self, op: &'static str) -> Result<(), FormulaError> {
        if self.peek_op() == Some(op) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(&format!("`{op}`")))
        }
    }

    fn unexpected(&self, wanted: &str) -> FormulaError {
        let found = match self.tokens.get(self.pos) {
            Some((_, token)) => token.to_string(),
            None => "the end of the formula".to_string(),
        };
        FormulaError {
            position: self.position(),
            message: format!("expected {wanted}, found {found}"),
        }
    }

    fn expr(&mut self) -> Result<Node, FormulaError> {
        let condition = self.binary(0)?;
        if self.peek_op() == Some("?") {
            self.pos += 1;
            let then = self.expr()?;
            self.expect(":")?;
            let otherwise = self.expr()?;
            return Ok(Node::Choice(
                Box::new(condition),
                Box::new(then),
                Box::new(otherwise),
            ));
        }
        Ok(condition)
    }

    /// Binary operators by precedence level, lowest first.
    fn binary(&mut self, level: usize) -> Result<Node, FormulaError> {
        const LEVELS: [&[(&str, BinaryOp)]; 5] = [
            &[("||", BinaryOp::Or)],
            &[("&&", BinaryOp::And)],
            &[
                ("<=", BinaryOp::Le),
                (">=", BinaryOp::Ge),
                ("==", BinaryOp::Eq),
                ("!=", BinaryOp::Ne),
                ("<", BinaryOp::Lt),
                (">", BinaryOp::Gt),
            ],
            &[("+", BinaryOp::Add), ("-", BinaryOp::Sub)],
            &[
                ("*", BinaryOp::Mul),
                ("/", BinaryOp::Div),
                ("%", BinaryOp::Rem),
            ],
        ];
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut left = self.binary(level + 1)?;
        while let Some(op) = self.peek_op() {
            let Some((_, kind)) = LEVELS[level].iter().find(|(s, _)| *s == op) else {
                break;
            };
            self.pos += 1;
            let right = self.binary(level + 1)?;
            left = Node::Binary(*kind, Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self) -> Result<Node, FormulaError> {
        match self.peek_op() {
            Some("-") => {
                self.pos += 1;
                Ok(Node::Unary(UnaryOp::Neg, Box::new(self.unary()?)))
            }
            Some("+") => {
                self.pos += 1;
                self.unary()
            }
            Some("!") => {
                self.pos += 1;
                Ok(Node::Unary(UnaryOp::Not, Box::new(self.unary()?)))
            }
            _ => self.power(),
        }
    }

    fn power(&mut self) -> Result<Node, FormulaError> {
        let base = self.primary()?;
        if matches!(self.peek_op(), Some("^") | Some("**")) {
            self.pos += 1;
            let exponent = self.unary()?;
            return Ok(Node::Binary(
                BinaryOp::Pow,
                Box::new(base),
                Box::new(exponent),
            ));
        }
        Ok(base)
    }

    fn primary(&mut self) -> Result<Node, FormulaError> {
        let Some((at, token)) = self.tokens.get(self.pos).cloned() else {
            return Err(self.unexpected("a number, a name or `(`"));
        };
        match token {
            Token::Number(n) => {
                self.pos += 1;
                Ok(Node::Number(n))
            }
            Token::Op("(") => {
                self.pos += 1;
                let inner = self.expr()?;
                self.expect(")")?;
                Ok(inner)
            }
            Token::Name(name) => {
                self.pos += 1;
                if self.peek_op() == Some("(") {
                    return self.call(at, &name);
                }
                let index = match self.variables.iter().position(|v| *v == name) {
                    Some(i) => i,
                    None => {
                        self.variables.push(name);
                        self.variables.len() - 1
                    }
                };
                Ok(Node::Variable(index))
            }
            Token::Op(_) => Err(self.unexpected("a number, a name or `(`")),
        }
    }

    fn call(&mut self, at: usize, name: &str) -> Result<Node, FormulaError> {
        let function = Function::by_name(name).ok_or_else(|| {
            let known: Vec<&str> = Function::ALL.iter().map(|(n, _)| *n).collect();
            FormulaError {
                position: at,
                message: format!("unknown function `{name}`; known: {}", known.join(", ")),
            }
        })?;
        self.expect("(")?;
        let mut args = Vec::new();
        if self.peek_op() != Some(")") {
            loop {
                args.push(self.expr()?);
                if self.peek_op() == Some(",") {
                    self.pos += 1;
                } else {
                    break;
                }
            }
        }
        self.expect(")")?;
        let (lo, hi) = function.arity();
        if args.len() < lo || args.len() > hi {
            let wanted = match (lo, hi) {
                (lo, usize::MAX) => format!("at least {lo}"),
                (lo, hi) if lo == hi => format!("{lo}"),
                (lo, hi) => format!("{lo} to {hi}"),
            };
            return Err(FormulaError {
                position: at,
                message: format!("`{name}` takes {wanted} arguments, found {}", args.len()),
            });
        }
        Ok(Node::Call(function, args))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str, vars: &[(&str, f64)]) -> f64 {
        let formula = Formula::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        let values: Vec<f64> = formula
            .variables()
            .iter()
            .map(|v| vars.iter().find(|(n, _)| n == v).unwrap().1)
            .collect();
        formula.eval(&values)
    }

    #[test]
    fn evaluation_table() {
        let vars = [("a", 1.0), ("b", 0.0), ("x.y", 0.5), ("n", -2.0)];
        let cases: &[(&str, f64)] = &[
            ("0.9 * a + 0.1 * b", 0.9),
            ("1 + 2 * 3", 7.0),
            ("(1 + 2) * 3", 9.0),
            ("2 ^ 3 ^ 2", 512.0),
            ("2 ** 3", 8.0),
            ("-2 ^ 2", -4.0),
            ("10 % 4", 2.0),
            ("1e-3 * 1000", 1.0),
            (".5 + .5", 1.0),
            ("a > b", 1.0),
            ("a <= b", 0.0),
            ("a == 1 && b == 0", 1.0),
            ("a == 1 and not b", 1.0),
            ("b || 0", 0.0),
            ("a != a or b", 0.0),
            ("a ? 2 : 3", 2.0),
            ("b ? 2 : a ? 4 : 5", 4.0),
            ("if(b, 2, 3)", 3.0),
            ("min(a, x.y, 3)", 0.5),
            ("max(n, b)", 0.0),
            ("clamp(n, -1, 1)", -1.0),
            ("clamp(x.y, 0, 1)", 0.5),
            ("abs(n)", 2.0),
            ("exp(0)", 1.0),
            ("log(exp(2))", 2.0),
            ("log(8, 2)", 3.0),
            ("sqrt(4)", 2.0),
            ("floor(x.y) + ceil(x.y) + round(2.5)", 4.0),
            ("sigmoid(0)", 0.5),
            ("true + false", 1.0),
        ];
        for (text, expected) in cases {
            let got = run(text, &vars);
            assert!(
                (got - expected).abs() < 1e-12,
                "{text} = {got}, expected {expected}"
            );
        }
    }

    #[test]
    fn log_sigmoid_is_stable() {
        assert!((run("log_sigmoid(0)", &[]) - 0.5f64.ln()).abs() < 1e-12);
        assert!((run("log_sigmoid(-1000)", &[]) + 1000.0).abs() < 1e-9);
        assert!(run("log_sigmoid(1000)", &[]).abs() < 1e-12);
    }

    #[test]
    fn variables_are_listed_once_in_order_of_use() {
        let formula = Formula::parse("b + a * b + answer.math").unwrap();
        assert_eq!(formula.variables(), ["b", "a", "answer.math"]);
    }

    #[test]
    fn errors_say_where_and_what() {
        let cases = [
            (
                "",
                0,
                "expected a number, a name or `(`, found the end of the formula",
            ),
            (
                "1 +",
                3,
                "expected a number, a name or `(`, found the end of the formula",
            ),
            ("(1 + 2", 6, "expected `)`, found the end of the formula"),
            ("1 2", 2, "unexpected number 2 after a complete expression"),
            ("a = 1", 2, "`=` is not an operator; compare with `==`"),
            ("foo(1)", 0, "unknown function `foo`"),
            ("clamp(1, 2)", 0, "`clamp` takes 3 arguments, found 2"),
            ("min()", 0, "`min` takes at least 1 arguments, found 0"),
            ("a # b", 2, "unexpected character '#'"),
            ("a ? 1", 5, "expected `:`"),
        ];
        for (text, position, message) in cases {
            let e = Formula::parse(text).unwrap_err();
            assert_eq!(e.position, position, "{text}: {e}");
            assert!(e.message.starts_with(message), "{text}: {e}");
        }
    }
}

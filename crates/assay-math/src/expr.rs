//! The expression tree that LaTeX and plain-text answers are parsed into, and its canonical
//! printed form (used in explanations). The printed form reads back: parsing it gives an
//! equivalent expression (matrices aside, which print as `[a, b; c, d]`).

use num_rational::BigRational;
use num_traits::{One, Signed};
use std::fmt;

/// A mathematical constant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Constant {
    /// π.
    Pi,
    /// Euler's number e.
    E,
    /// The imaginary unit i.
    I,
    /// Infinity (∞).
    Infinity,
}

/// A function of one argument.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Func {
    /// Sine.
    Sin,
    /// Cosine.
    Cos,
    /// Tangent.
    Tan,
    /// Cotangent.
    Cot,
    /// Secant.
    Sec,
    /// Cosecant.
    Csc,
    /// Inverse sine.
    Asin,
    /// Inverse cosine.
    Acos,
    /// Inverse tangent.
    Atan,
    /// Hyperbolic sine.
    Sinh,
    /// Hyperbolic cosine.
    Cosh,
    /// Hyperbolic tangent.
    Tanh,
    /// Natural logarithm.
    Ln,
    /// Exponential.
    Exp,
    /// Absolute value.
    Abs,
    /// Factorial (postfix `!`).
    Factorial,
}

impl Func {
    /// The canonical name printed for this function.
    pub fn name(self) -> &'static str {
        match self {
            Func::Sin => "sin",
            Func::Cos => "cos",
            Func::Tan => "tan",
            Func::Cot => "cot",
            Func::Sec => "sec",
            Func::Csc => "csc",
            Func::Asin => "asin",
            Func::Acos => "acos",
            Func::Atan => "atan",
            Func::Sinh => "sinh",
            Func::Cosh => "cosh",
            Func::Tanh => "tanh",
            Func::Ln => "ln",
            Func::Exp => "exp",
            Func::Abs => "abs",
            Func::Factorial => "factorial",
        }
    }

    /// Looks a function up by a LaTeX command or plain-text name (without backslash).
    pub fn from_name(name: &str) -> Option<Func> {
        Some(match name {
            "sin" => Func::Sin,
            "cos" => Func::Cos,
            "tan" | "tg" => Func::Tan,
            "cot" | "ctg" => Func::Cot,
            "sec" => Func::Sec,
            "csc" | "cosec" => Func::Csc,
            "arcsin" | "asin" => Func::Asin,
            "arccos" | "acos" => Func::Acos,
            "arctan" | "atan" | "arctg" => Func::Atan,
            "sinh" => Func::Sinh,
            "cosh" => Func::Cosh,
            "tanh" => Func::Tanh,
            "ln" => Func::Ln,
            "exp" => Func::Exp,
            "abs" => Func::Abs,
            _ => return None,
        })
    }
}

/// A relation between two sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RelOp {
    /// `=`.
    Eq,
    /// `≠`.
    Ne,
    /// `<`.
    Lt,
    /// `≤`.
    Le,
    /// `>`.
    Gt,
    /// `≥`.
    Ge,
}

impl RelOp {
    /// The relation with its sides swapped (`<` becomes `>`).
    pub fn flipped(self) -> RelOp {
        match self {
            RelOp::Lt => RelOp::Gt,
            RelOp::Le => RelOp::Ge,
            RelOp::Gt => RelOp::Lt,
            RelOp::Ge => RelOp::Le,
            other => other,
        }
    }

    fn symbol(self) -> &'static str {
        match self {
            RelOp::Eq => "=",
            RelOp::Ne => "!=",
            RelOp::Lt => "<",
            RelOp::Le => "<=",
            RelOp::Gt => ">",
            RelOp::Ge => ">=",
        }
    }
}

/// One parsed answer (or a part of one).
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    /// An exact rational number (integers and terminating decimals are exact).
    Num(BigRational),
    /// A numeral written in another base, such as `52_8`: compared by digits and base.
    Based {
        /// The digits as written (upper-cased).
        digits: String,
        /// The base, 2 to 36.
        base: u32,
    },
    /// A constant.
    Const(Constant),
    /// A variable, matched by name.
    Var(String),
    /// A sum.
    Add(Vec<Expr>),
    /// A product.
    Mul(Vec<Expr>),
    /// Negation.
    Neg(Box<Expr>),
    /// A quotient.
    Div(Box<Expr>, Box<Expr>),
    /// A power.
    Pow(Box<Expr>, Box<Expr>),
    /// The `n`-th root: (index, radicand).
    Root(Box<Expr>, Box<Expr>),
    /// A logarithm: (base, argument).
    Log(Box<Expr>, Box<Expr>),
    /// A function applied to one argument.
    Apply(Func, Box<Expr>),
    /// `x%`, worth x/100.
    Percent(Box<Expr>),
    /// `a ± b`: stands for the two values a+b and a−b.
    PlusMinus(Box<Expr>, Box<Expr>),
    /// An ordered tuple or point `(a, b, …)`.
    Tuple(Vec<Expr>),
    /// Several answers listed without brackets (`1, 2` or `1 or 2`): compared unordered.
    List(Vec<Expr>),
    /// A set `\{a, b\}`: compared unordered.
    Set(Vec<Expr>),
    /// An interval.
    Interval {
        /// Lower end.
        lo: Box<Expr>,
        /// Upper end.
        hi: Box<Expr>,
        /// Whether the lower end is included.
        lo_closed: bool,
        /// Whether the upper end is included.
        hi_closed: bool,
    },
    /// A union of intervals or sets.
    Union(Vec<Expr>),
    /// A ratio `a : b : …`.
    Ratio(Vec<Expr>),
    /// A matrix or vector, row by row.
    Matrix(Vec<Vec<Expr>>),
    /// An equation or inequality chain: `sides[0] ops[0] sides[1] ops[1] …`.
    Rel(Vec<Expr>, Vec<RelOp>),
    /// A textual answer (a name, a word, a choice letter), normalized.
    Text(String),
}

impl Expr {
    /// An integer literal.
    pub fn int(n: i64) -> Expr {
        Expr::Num(BigRational::from_integer(n.into()))
    }

    /// Whether the expression mentions no variable.
    pub fn is_constant(&self) -> bool {
        let mut vars = Vec::new();
        self.collect_vars(&mut vars);
        vars.is_empty()
    }

    /// Collects the distinct variable names used, in order of first appearance.
    pub fn collect_vars(&self, out: &mut Vec<String>) {
        self.walk(&mut |e| {
            if let Expr::Var(v) = e {
                if !out.contains(v) {
                    out.push(v.clone());
                }
            }
        });
    }

    /// Calls `f` on this node and every node below it.
    pub fn walk(&self, f: &mut dyn FnMut(&Expr)) {
        f(self);
        match self {
            Expr::Num(_) | Expr::Based { .. } | Expr::Const(_) | Expr::Var(_) | Expr::Text(_) => {}
            Expr::Add(v)
            | Expr::Mul(v)
            | Expr::Tuple(v)
            | Expr::List(v)
            | Expr::Set(v)
            | Expr::Union(v)
            | Expr::Ratio(v)
            | Expr::Rel(v, _) => v.iter().for_each(|e| e.walk(f)),
            Expr::Neg(a) | Expr::Apply(_, a) | Expr::Percent(a) => a.walk(f),
            Expr::Div(a, b)
            | Expr::Pow(a, b)
            | Expr::Root(a, b)
            | Expr::Log(a, b)
            | Expr::PlusMinus(a, b) => {
                a.walk(f);
                b.walk(f);
            }
            Expr::Interval { lo, hi, .. } => {
                lo.walk(f);
                hi.walk(f);
            }
            Expr::Matrix(rows) => rows.iter().flatten().for_each(|e| e.walk(f)),
        }
    }

    /// Whether this is a scalar (something with one numeric value), as opposed to a
    /// structure (tuple, set, interval, relation, text …).
    pub fn is_scalar(&self) -> bool {
        !matches!(
            self,
            Expr::Tuple(_)
                | Expr::List(_)
                | Expr::Set(_)
                | Expr::Interval { .. }
                | Expr::Union(_)
                | Expr::Ratio(_)
                | Expr::Matrix(_)
                | Expr::Rel(..)
                | Expr::Text(_)
                | Expr::PlusMinus(..)
                | Expr::Based { .. }
        )
    }
}

fn write_list(f: &mut fmt::Formatter<'_>, items: &[Expr], sep: &str) -> fmt::Result {
    for (i, e) in items.iter().enumerate() {
        if i > 0 {
            f.write_str(sep)?;
        }
        write!(f, "{e}")?;
    }
    Ok(())
}

fn write_num(f: &mut fmt::Formatter<'_>, q: &BigRational) -> fmt::Result {
    if q.denom().is_one() {
        write!(f, "{}", q.numer())
    } else {
        write!(f, "{}/{}", q.numer(), q.denom())
    }
}

/// Whether `e` prints as one unit that needs no parentheses as an operand.
fn atomic(e: &Expr) -> bool {
    match e {
        Expr::Num(q) => q.denom().is_one() && !q.is_negative(),
        Expr::Based { .. }
        | Expr::Const(_)
        | Expr::Var(_)
        | Expr::Apply(..)
        | Expr::Root(..)
        | Expr::Log(..)
        | Expr::Tuple(_)
        | Expr::Set(_)
        | Expr::Matrix(_)
        | Expr::Interval { .. }
        | Expr::Text(_) => true,
        _ => false,
    }
}

struct Operand<'a>(&'a Expr);

impl fmt::Display for Operand<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if atomic(self.0) {
            write!(f, "{}", self.0)
        } else {
            write!(f, "({})", self.0)
        }
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Num(q) => write_num(f, q),
            Expr::Based { digits, base } => write!(f, "{digits}_{base}"),
            Expr::Const(c) => f.write_str(match c {
                Constant::Pi => "pi",
                Constant::E => "e",
                Constant::I => "i",
                Constant::Infinity => "oo",
            }),
            // Multi-letter names (Greek letters) print as commands so they read back.
            Expr::Var(v) if v.chars().count() > 1 && v.chars().all(char::is_alphabetic) => {
                write!(f, "\\{v}")
            }
            Expr::Var(v) => f.write_str(v),
            Expr::Add(terms) => {
                for (i, t) in terms.iter().enumerate() {
                    match t {
                        Expr::Neg(inner) if i > 0 => write!(f, " - {}", Operand(inner))?,
                        _ if i > 0 => write!(f, " + {t}")?,
                        _ => write!(f, "{t}")?,
                    }
                }
                Ok(())
            }
            Expr::Mul(factors) => {
                for (i, x) in factors.iter().enumerate() {
                    if i > 0 {
                        f.write_str("*")?;
                    }
                    write!(f, "{}", Operand(x))?;
                }
                Ok(())
            }
            Expr::Neg(a) => write!(f, "-{}", Operand(a)),
            Expr::Div(a, b) => write!(f, "{}/{}", Operand(a), Operand(b)),
            Expr::Pow(a, b) => write!(f, "{}^{}", Operand(a), Operand(b)),
            Expr::Root(n, a) => {
                if matches!(&**n, Expr::Num(q) if *q == BigRational::from_integer(2.into())) {
                    write!(f, "sqrt({a})")
                } else {
                    write!(f, "{}^(1/{})", Operand(a), Operand(n))
                }
            }
            Expr::Log(b, a) => write!(f, "log_{{{b}}}({a})"),
            Expr::Apply(Func::Factorial, a) => write!(f, "{}!", Operand(a)),
            Expr::Apply(func, a) => write!(f, "{}({a})", func.name()),
            Expr::Percent(a) => write!(f, "{}%", Operand(a)),
            Expr::PlusMinus(a, b) => write!(f, "{} ± {}", Operand(a), Operand(b)),
            Expr::Tuple(v) => {
                f.write_str("(")?;
                write_list(f, v, ", ")?;
                f.write_str(")")
            }
            Expr::List(v) => write_list(f, v, ", "),
            Expr::Set(v) => {
                f.write_str("{")?;
                write_list(f, v, ", ")?;
                f.write_str("}")
            }
            Expr::Interval {
                lo,
                hi,
                lo_closed,
                hi_closed,
            } => write!(
                f,
                "{}{lo}, {hi}{}",
                if *lo_closed { "[" } else { "(" },
                if *hi_closed { "]" } else { ")" }
            ),
            Expr::Union(v) => write_list(f, v, " ∪ "),
            Expr::Ratio(v) => write_list(f, v, " : "),
            Expr::Matrix(rows) => {
                f.write_str("[")?;
                for (i, row) in rows.iter().enumerate() {
                    if i > 0 {
                        f.write_str("; ")?;
                    }
                    write_list(f, row, ", ")?;
                }
                f.write_str("]")
            }
            Expr::Rel(sides, ops) => {
                for (i, s) in sides.iter().enumerate() {
                    if i > 0 {
                        write!(f, " {} ", ops[i - 1].symbol())?;
                    }
                    write!(f, "{s}")?;
                }
                Ok(())
            }
            Expr::Text(t) => write!(f, "\"{t}\""),
        }
    }
}

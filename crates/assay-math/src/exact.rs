//! Exact evaluation over the Gaussian rationals (a + bi with a, b rational).
//!
//! Whatever is rational is computed exactly here: sums, products, quotients, integer
//! powers, roots of perfect powers, percentages, small factorials and logarithms with an
//! integer result. Anything else answers [`EvalError::NotExact`] and the caller falls back
//! to high-precision numerics.

use crate::expr::{Constant, Expr, Func};
use crate::steps::{Exhausted, Steps};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::fmt;

thread_local! {
    static REAL_ONLY: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// While the returned guard lives, even roots of negative numbers are undefined on this
/// thread (in exact and numeric evaluation): expressions are compared where they are real.
pub(crate) fn real_only() -> RealOnly {
    let before = REAL_ONLY.with(|r| r.replace(true));
    RealOnly(before)
}

/// Restores complex evaluation when dropped (see [`real_only`]).
pub(crate) struct RealOnly(bool);

impl Drop for RealOnly {
    fn drop(&mut self) {
        REAL_ONLY.with(|r| r.set(self.0));
    }
}

/// Whether evaluation is restricted to real values on this thread.
pub(crate) fn is_real_only() -> bool {
    REAL_ONLY.with(|r| r.get())
}

/// Largest result (in bits of numerator plus denominator) a power may produce.
pub const MAX_BITS: u64 = 1 << 16;

/// Largest argument of `n!` that is evaluated.
pub const MAX_FACTORIAL: u64 = 2_000;

/// Values assigned to variables: (name, value).
pub type Assignment = [(String, BigRational)];

/// Why an expression has no exact value.
#[derive(Debug, Clone, PartialEq)]
pub enum EvalError {
    /// The value exists but is not a Gaussian rational (π, √2, sin 1 …).
    NotExact,
    /// The value is undefined (division by zero, logarithm of zero …).
    Undefined(String),
    /// The expression is not a scalar this evaluator handles; the message says why.
    Unsupported(String),
    /// The budget ran out or a value would be too large.
    Exhausted(Exhausted),
}

impl fmt::Display for EvalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EvalError::NotExact => write!(f, "no exact rational value"),
            EvalError::Undefined(m) => write!(f, "undefined: {m}"),
            EvalError::Unsupported(m) => write!(f, "unsupported: {m}"),
            EvalError::Exhausted(e) => write!(f, "{e}"),
        }
    }
}

impl From<Exhausted> for EvalError {
    fn from(e: Exhausted) -> Self {
        EvalError::Exhausted(e)
    }
}

/// A Gaussian rational `re + im·i`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gauss {
    /// Real part.
    pub re: BigRational,
    /// Imaginary part.
    pub im: BigRational,
}

impl fmt::Display for Gauss {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let g = self.reduced();
        let (re, im) = (&g.re, &g.im);
        if im.is_zero() {
            write!(f, "{re}")
        } else if re.is_zero() {
            write!(f, "{im}i")
        } else {
            write!(f, "{re} + {im}i")
        }
    }
}

fn bits(q: &BigRational) -> u64 {
    q.numer().bits() + q.denom().bits()
}

// Arithmetic on unreduced fractions. Reducing after every operation (as `Ratio` does)
// spends most of the time in gcd; instead fractions are reduced only when they grow past
// `REDUCE_BITS` and wherever a canonical form matters (`reduced`). Denominators stay
// positive; equality (`Ratio`'s `PartialEq`) compares values, reduced or not.

/// Size past which an intermediate fraction is reduced.
const REDUCE_BITS: u64 = 512;

/// The fraction in lowest terms.
pub(crate) fn reduced(q: &BigRational) -> BigRational {
    // An integer is already in lowest terms. `Ratio::new` would still take a gcd with 1,
    // which num-integer's binary gcd does in time quadratic in the bits of the numerator
    // (27 ms for 10^10000, found by the parser soak).
    if q.denom().is_one() {
        return q.clone();
    }
    BigRational::new(q.numer().clone(), q.denom().clone())
}

fn settle(q: BigRational) -> BigRational {
    if bits(&q) > REDUCE_BITS {
        reduced(&q)
    } else {
        q
    }
}

fn q_add(a: &BigRational, b: &BigRational) -> BigRational {
    if a.denom() == b.denom() {
        return settle(BigRational::new_raw(
            a.numer() + b.numer(),
            a.denom().clone(),
        ));
    }
    settle(BigRational::new_raw(
        a.numer() * b.denom() + b.numer() * a.denom(),
        a.denom() * b.denom(),
    ))
}

fn q_sub(a: &BigRational, b: &BigRational) -> BigRational {
    q_add(a, &q_neg(b))
}

fn q_neg(a: &BigRational) -> BigRational {
    BigRational::new_raw(-a.numer(), a.denom().clone())
}

fn q_mul(a: &BigRational, b: &BigRational) -> BigRational {
    settle(BigRational::new_raw(
        a.numer() * b.numer(),
        a.denom() * b.denom(),
    ))
}

/// 1/a for a non-zero `a`.
fn q_recip(a: &BigRational) -> BigRational {
    if a.numer().is_negative() {
        BigRational::new_raw(-a.denom(), -a.numer())
    } else {
        BigRational::new_raw(a.denom().clone(), a.numer().clone())
    }
}

impl Gauss {
    /// A real value.
    pub fn real(re: BigRational) -> Self {
        Gauss {
            re,
            im: BigRational::zero(),
        }
    }

    /// Whether the imaginary part is zero.
    pub fn is_real(&self) -> bool {
        self.im.is_zero()
    }

    pub(crate) fn is_zero(&self) -> bool {
        self.re.is_zero() && self.im.is_zero()
    }

    /// The same value with both parts in lowest terms.
    pub fn reduced(&self) -> Gauss {
        Gauss {
            re: reduced(&self.re),
            im: reduced(&self.im),
        }
    }

    fn size(&self) -> u64 {
        bits(&self.re) + bits(&self.im)
    }

    pub(crate) fn add(&self, o: &Gauss) -> Gauss {
        if self.is_real() && o.is_real() {
            return Gauss::real(q_add(&self.re, &o.re));
        }
        Gauss {
            re: q_add(&self.re, &o.re),
            im: q_add(&self.im, &o.im),
        }
    }

    pub(crate) fn neg(&self) -> Gauss {
        if self.is_real() {
            return Gauss::real(q_neg(&self.re));
        }
        Gauss {
            re: q_neg(&self.re),
            im: q_neg(&self.im),
        }
    }

    pub(crate) fn mul(&self, o: &Gauss) -> Gauss {
        if self.is_real() && o.is_real() {
            return Gauss::real(q_mul(&self.re, &o.re));
        }
        Gauss {
            re: q_sub(&q_mul(&self.re, &o.re), &q_mul(&self.im, &o.im)),
            im: q_add(&q_mul(&self.re, &o.im), &q_mul(&self.im, &o.re)),
        }
    }

    pub(crate) fn inv(&self) -> Result<Gauss, EvalError> {
        if self.is_zero() {
            return Err(EvalError::Undefined("division by zero".into()));
        }
        if self.is_real() {
            return Ok(Gauss::real(q_recip(&self.re)));
        }
        let d = q_add(&q_mul(&self.re, &self.re), &q_mul(&self.im, &self.im));
        let inv_d = q_recip(&d);
        Ok(Gauss {
            re: q_mul(&self.re, &inv_d),
            im: q_neg(&q_mul(&self.im, &inv_d)),
        })
    }

    /// Whether this is a real number with a finite decimal expansion (denominator 2^a·5^b).
    pub fn is_terminating_decimal(&self) -> bool {
        if !self.is_real() {
            return false;
        }
        let mut d = reduced(&self.re).denom().clone();
        for p in [2u32, 5] {
            let p = BigInt::from(p);
            while (&d % &p).is_zero() {
                d /= &p;
            }
        }
        d.is_one()
    }

    /// The exact integer value, if real and integral.
    pub fn as_integer(&self) -> Option<BigInt> {
        if !self.is_real() {
            return None;
        }
        // Integral exactly when the denominator divides the numerator: one division, where
        // reducing first would take a gcd.
        let (q, r) = num_integer::Integer::div_rem(self.re.numer(), self.re.denom());
        r.is_zero().then_some(q)
    }
}

/// Charges the work an arithmetic result of this size costs (reducing a fraction of n
/// machine words is quadratic in n) and refuses results over [`MAX_BITS`].
fn charged(g: Gauss, budget: &mut Steps) -> Result<Gauss, EvalError> {
    let bits = g.size();
    if bits > MAX_BITS {
        return Err(Exhausted::TooLarge(format!("an exact value over {MAX_BITS} bits")).into());
    }
    let words = bits / 64;
    budget.charge(1 + words * words / 2)?;
    Ok(g)
}

/// Exact `k`-th root of a non-negative integer, if it is a perfect power.
fn exact_root_int(n: &BigInt, k: u32) -> Option<BigInt> {
    let r = n.nth_root(k);
    (num_traits::Pow::pow(&r, k) == *n).then_some(r)
}

/// Exact `k`-th root of a non-negative rational, if numerator and denominator are perfect.
pub(crate) fn exact_root(q: &BigRational, k: u32) -> Option<BigRational> {
    if q.is_negative() {
        return None;
    }
    Some(BigRational::new(
        exact_root_int(q.numer(), k)?,
        exact_root_int(q.denom(), k)?,
    ))
}

/// `base^n` for an integer `n`, refusing results larger than [`MAX_BITS`].
pub(crate) fn int_pow(base: &Gauss, n: &BigInt, budget: &mut Steps) -> Result<Gauss, EvalError> {
    if base.is_zero() {
        return match n.sign() {
            num_bigint::Sign::Minus => Err(EvalError::Undefined("0 to a negative power".into())),
            num_bigint::Sign::NoSign => Ok(Gauss::real(BigRational::one())),
            num_bigint::Sign::Plus => Ok(base.clone()),
        };
    }
    let base = &base.reduced();
    let is_unit = base.is_real() && (base.re.is_one() || (-&base.re).is_one());
    let e = n.abs();
    if is_unit {
        let odd = e.bit(0);
        let v = if base.re.is_one() || !odd {
            BigRational::one()
        } else {
            -BigRational::one()
        };
        return Ok(Gauss::real(v));
    }
    let projected = e
        .to_u64()
        .and_then(|e| e.checked_mul(base.size().max(1)))
        .filter(|b| *b <= MAX_BITS);
    let Some(_) = projected else {
        return Err(Exhausted::TooLarge(format!(
            "a power whose exact value would exceed {MAX_BITS} bits"
        ))
        .into());
    };
    let mut e = e.to_u64().expect("bounded above");
    budget.charge(64 + e.min(MAX_BITS) / 64)?;
    let mut result = Gauss::real(BigRational::one());
    let mut sq = base.clone();
    while e > 0 {
        if e & 1 == 1 {
            result = result.mul(&sq);
        }
        e >>= 1;
        if e > 0 {
            sq = sq.mul(&sq);
        }
    }
    if n.is_negative() {
        result.inv()
    } else {
        Ok(result)
    }
}

fn real_arg(g: Gauss, what: &str) -> Result<BigRational, EvalError> {
    if g.is_real() {
        Ok(g.re)
    } else {
        Err(EvalError::Unsupported(format!(
            "{what} of a complex number"
        )))
    }
}

/// Evaluates `e` exactly with the variables in `vars`.
pub fn eval_exact(e: &Expr, vars: &Assignment, budget: &mut Steps) -> Result<Gauss, EvalError> {
    budget.tick()?;
    let ev = |x: &Expr, b: &mut Steps| eval_exact(x, vars, b);
    Ok(match e {
        Expr::Num(q) => Gauss::real(q.clone()),
        Expr::Const(Constant::I) => Gauss {
            re: BigRational::zero(),
            im: BigRational::one(),
        },
        Expr::Const(Constant::Infinity) => {
            return Err(EvalError::Unsupported("infinity is not a number".into()))
        }
        Expr::Const(_) => return Err(EvalError::NotExact),
        Expr::Var(name) => match vars.iter().find(|(n, _)| n == name) {
            Some((_, v)) => Gauss::real(v.clone()),
            None => {
                return Err(EvalError::Unsupported(format!(
                    "unassigned variable `{name}`"
                )))
            }
        },
        Expr::Add(terms) => {
            let mut acc = Gauss::real(BigRational::zero());
            for t in terms {
                acc = charged(acc.add(&ev(t, budget)?), budget)?;
            }
            acc
        }
        Expr::Mul(factors) => {
            let mut acc = Gauss::real(BigRational::one());
            for f in factors {
                acc = charged(acc.mul(&ev(f, budget)?), budget)?;
            }
            acc
        }
        Expr::Neg(a) => ev(a, budget)?.neg(),
        Expr::Div(a, b) => {
            let num = ev(a, budget)?;
            let den = ev(b, budget)?;
            charged(num.mul(&den.inv()?), budget)?
        }
        Expr::Percent(a) => {
            ev(a, budget)?.mul(&Gauss::real(BigRational::new(1.into(), 100.into())))
        }
        Expr::Pow(a, b) => {
            let exp = ev(b, budget)?;
            let base = ev(a, budget)?;
            pow(&base, &exp, budget)?
        }
        Expr::Root(n, a) => {
            let n = ev(n, budget)?;
            let a = ev(a, budget)?;
            let k = n
                .as_integer()
                .and_then(|k| k.to_u32())
                .filter(|k| (2..=64).contains(k))
                .ok_or(EvalError::NotExact)?;
            root(&a, k)?
        }
        Expr::Log(b, a) => {
            let b = reduced(&real_arg(ev(b, budget)?, "logarithm")?);
            let a = reduced(&real_arg(ev(a, budget)?, "logarithm")?);
            Gauss::real(exact_log(&b, &a, budget)?)
        }
        Expr::Apply(f, a) => apply(*f, ev(a, budget)?, budget)?,
        Expr::PlusMinus(..)
        | Expr::Tuple(_)
        | Expr::List(_)
        | Expr::Set(_)
        | Expr::Interval { .. }
        | Expr::Union(_)
        | Expr::Ratio(_)
        | Expr::Matrix(_)
        | Expr::Rel(..)
        | Expr::Text(_)
        | Expr::Based { .. } => {
            return Err(EvalError::Unsupported(format!(
                "`{e}` is not a single number"
            )))
        }
    })
}

fn pow(base: &Gauss, exp: &Gauss, budget: &mut Steps) -> Result<Gauss, EvalError> {
    if let Some(n) = exp.as_integer() {
        return int_pow(base, &n, budget);
    }
    if !exp.is_real() || !base.is_real() {
        return Err(EvalError::NotExact);
    }
    // Rational exponent p/q: exact when the q-th root is exact.
    let e = reduced(&exp.re);
    let q = e
        .denom()
        .to_u32()
        .filter(|q| *q <= 64)
        .ok_or(EvalError::NotExact)?;
    let r = root(base, q)?;
    int_pow(&r, e.numer(), budget)
}

fn root(a: &Gauss, k: u32) -> Result<Gauss, EvalError> {
    if !a.is_real() {
        return Err(EvalError::NotExact);
    }
    let a = &a.reduced();
    if !a.re.is_negative() {
        return exact_root(&a.re, k)
            .map(Gauss::real)
            .ok_or(EvalError::NotExact);
    }
    if k.is_multiple_of(2) && is_real_only() {
        return Err(EvalError::Undefined(
            "even root of a negative number (compared over the reals)".into(),
        ));
    }
    let r = exact_root(&-&a.re, k).ok_or(EvalError::NotExact)?;
    if k % 2 == 1 {
        Ok(Gauss::real(-r))
    } else if k == 2 {
        Ok(Gauss {
            re: BigRational::zero(),
            im: r,
        })
    } else {
        Err(EvalError::Unsupported(
            "even root of a negative number".into(),
        ))
    }
}

/// `log_b(a)` when it is an integer (or the reciprocal of one); otherwise `NotExact`.
fn exact_log(
    b: &BigRational,
    a: &BigRational,
    budget: &mut Steps,
) -> Result<BigRational, EvalError> {
    if !a.is_positive() || !b.is_positive() || b.is_one() {
        return Err(EvalError::Undefined("logarithm outside its domain".into()));
    }
    if a.is_one() {
        return Ok(BigRational::zero());
    }
    // Search a = b^k or b = a^k with |k| small.
    let try_pow =
        |x: &BigRational, y: &BigRational, budget: &mut Steps| -> Result<Option<i64>, EvalError> {
            // Smallest k ≥ 1 with x^k = y or x^-k = y.
            let (x, y_inv) = (x.clone(), y.recip());
            let mut acc = x.clone();
            for k in 1..=64i64 {
                budget.tick()?;
                if acc == *y {
                    return Ok(Some(k));
                }
                if acc == y_inv {
                    return Ok(Some(-k));
                }
                if bits(&acc) > bits(y) + 64 {
                    break;
                }
                acc *= &x;
            }
            Ok(None)
        };
    if let Some(k) = try_pow(b, a, budget)? {
        return Ok(BigRational::from_integer(k.into()));
    }
    if let Some(k) = try_pow(a, b, budget)? {
        return Ok(BigRational::new(1.into(), k.into()));
    }
    Err(EvalError::NotExact)
}

fn factorial(n: &Gauss, budget: &mut Steps) -> Result<BigInt, EvalError> {
    let n = n
        .as_integer()
        .filter(|n| !n.is_negative())
        .ok_or_else(|| EvalError::Undefined("factorial of a non-natural number".into()))?;
    let n = n.to_u64().filter(|n| *n <= MAX_FACTORIAL).ok_or_else(|| {
        Exhausted::TooLarge(format!("factorial of a number above {MAX_FACTORIAL}"))
    })?;
    budget.charge(n)?;
    Ok((1..=n).fold(BigInt::one(), |acc, k| acc * k))
}

fn apply(f: Func, x: Gauss, budget: &mut Steps) -> Result<Gauss, EvalError> {
    let x = x.reduced();
    let zero = || Ok(Gauss::real(BigRational::zero()));
    let one = || Ok(Gauss::real(BigRational::one()));
    match f {
        Func::Factorial => Ok(Gauss::real(BigRational::from_integer(factorial(
            &x, budget,
        )?))),
        Func::Abs => {
            if x.is_real() {
                Ok(Gauss::real(x.re.abs()))
            } else {
                let sq = &x.re * &x.re + &x.im * &x.im;
                exact_root(&sq, 2)
                    .map(Gauss::real)
                    .ok_or(EvalError::NotExact)
            }
        }
        _ if !x.is_zero() => {
            if f == Func::Ln && x.is_real() && x.re.is_one() {
                return zero();
            }
            if f == Func::Ln && x.is_real() && !x.re.is_positive() {
                return Err(EvalError::Undefined(
                    "logarithm of a non-positive number".into(),
                ));
            }
            Err(EvalError::NotExact)
        }
        // f(0)
        Func::Sin | Func::Tan | Func::Asin | Func::Atan | Func::Sinh | Func::Tanh => zero(),
        Func::Cos | Func::Sec | Func::Cosh | Func::Exp => one(),
        Func::Acos => Err(EvalError::NotExact),
        Func::Cot | Func::Csc | Func::Ln => Err(EvalError::Undefined(format!("{}(0)", f.name()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse;

    fn val(s: &str) -> Result<Gauss, EvalError> {
        let mut b = Steps::default();
        let e = parse(s, &mut b).unwrap();
        eval_exact(&e, &[], &mut b)
    }

    #[test]
    fn rationals() {
        assert_eq!(val("\\frac{3}{4}").unwrap(), val("0.75").unwrap());
        assert_eq!(val("2^{-3}").unwrap(), val("1/8").unwrap());
        assert_eq!(val("\\sqrt{16}").unwrap(), val("4").unwrap());
        assert_eq!(val("8^{2/3}").unwrap(), val("4").unwrap());
        assert_eq!(val("\\log_2 8").unwrap(), val("3").unwrap());
        assert_eq!(val("\\sqrt{-4}").unwrap(), val("2i").unwrap());
        assert_eq!(val("5!").unwrap(), val("120").unwrap());
        assert_ne!(val("2^{-60}").unwrap(), val("2^{-61}").unwrap());
        assert_eq!(val("\\sqrt{2}"), Err(EvalError::NotExact));
    }

    #[test]
    fn refuses_huge() {
        assert!(matches!(val("9^{9^{9^{9}}}"), Err(EvalError::Exhausted(_))));
        assert!(matches!(val("100000!"), Err(EvalError::Exhausted(_))));
    }
}

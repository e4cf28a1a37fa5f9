//! High-precision numeric evaluation for values that are not rational (π, e, √2, sin 1 …).
//!
//! Numbers are complex values whose parts are binary fixed-point integers with
//! [`PREC`] fractional bits (about 96 decimal digits). Elementary functions use argument
//! reduction plus Taylor series, so a comparison can demand agreement to
//! [`TOLERANCE_BITS`] bits (about 38 digits), far beyond any rounding an answer could hide in, while
//! `1 - 1/e` and `1 + 1/e` stay far apart.

use crate::exact::{eval_exact, Assignment, EvalError};
use crate::expr::{Constant, Expr, Func};
use crate::steps::{Exhausted, Steps};
use num_bigint::BigInt;
use num_integer::Integer;
use num_rational::BigRational;
use num_traits::{One, Signed, ToPrimitive, Zero};
use std::sync::OnceLock;

/// Fractional bits of the fixed-point representation.
pub const PREC: u32 = 320;

/// Relative agreement (in bits, about 38 decimal digits) that counts as numeric equality.
pub const TOLERANCE_BITS: u32 = 128;

/// Absolute differences below 2^-NOISE_BITS count as rounding noise: the fixed-point
/// computations are accurate to well below it, and no answer of interest is that small
/// (a value below 2^-280 cannot be told from 0 here; exact rationals never go this way).
pub const NOISE_BITS: u32 = 280;

/// Steps steps charged per series term or squaring: one multiplication and one division
/// of ~640-bit integers, several times the work of a parser step.
const SERIES_TERM_COST: u64 = 8;

/// Largest magnitude (in bits above the binary point) a numeric value may reach.
const MAX_MAG_BITS: u64 = 1 << 14;

/// A real fixed-point number: the value is `self.0 / 2^PREC`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Fixed(BigInt);

/// A complex fixed-point number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Complex {
    /// Real part.
    pub re: Fixed,
    /// Imaginary part.
    pub im: Fixed,
}

type R<T> = Result<T, EvalError>;

fn one_raw() -> BigInt {
    BigInt::one() << PREC
}

impl Fixed {
    /// Zero.
    pub fn zero() -> Fixed {
        Fixed(BigInt::zero())
    }

    /// One.
    pub fn one() -> Fixed {
        Fixed(one_raw())
    }

    /// The value of an integer.
    pub fn from_int(n: i64) -> Fixed {
        Fixed(BigInt::from(n) << PREC)
    }

    /// The nearest fixed-point value below a rational.
    pub fn from_rational(q: &BigRational) -> Fixed {
        Fixed((q.numer() << PREC).div_floor(q.denom()))
    }

    /// The exact rational value of this fixed-point number.
    pub fn to_rational(&self) -> BigRational {
        // In lowest terms by removing common factors of two: the denominator is a power of
        // two, so no gcd is needed (num-integer's binary gcd would take time quadratic in the
        // numerator's bits once the odd parts meet at 1).
        if self.0.is_zero() {
            return BigRational::zero();
        }
        let shift = self.0.trailing_zeros().unwrap_or(0).min(PREC as u64);
        BigRational::new_raw(&self.0 >> shift, one_raw() >> shift)
    }

    /// An approximation as `f64` (for display only).
    pub fn to_f64(&self) -> f64 {
        let shift = self.0.bits().saturating_sub(60);
        let top = (&self.0 >> shift).to_f64().unwrap_or(f64::NAN);
        top * 2f64.powi(shift as i32 - PREC as i32)
    }

    fn is_zero(&self) -> bool {
        self.0.is_zero()
    }

    fn is_negative(&self) -> bool {
        self.0.is_negative()
    }

    fn check(self) -> R<Fixed> {
        if self.0.bits() > MAX_MAG_BITS + u64::from(PREC) {
            return Err(Exhausted::TooLarge("a numeric value beyond 2^16384".into()).into());
        }
        Ok(self)
    }

    fn add(&self, o: &Fixed) -> Fixed {
        Fixed(&self.0 + &o.0)
    }

    fn sub(&self, o: &Fixed) -> Fixed {
        Fixed(&self.0 - &o.0)
    }

    fn neg(&self) -> Fixed {
        Fixed(-&self.0)
    }

    fn mul(&self, o: &Fixed) -> Fixed {
        Fixed((&self.0 * &o.0) >> PREC)
    }

    fn div(&self, o: &Fixed) -> R<Fixed> {
        if o.is_zero() {
            return Err(EvalError::Undefined("division by zero".into()));
        }
        Ok(Fixed((&self.0 << PREC) / &o.0))
    }

    fn div_int(&self, n: u64) -> Fixed {
        Fixed(&self.0 / BigInt::from(n))
    }

    fn shr(&self, k: u32) -> Fixed {
        Fixed(&self.0 >> k)
    }

    fn sqrt(&self) -> Fixed {
        Fixed((&self.0 << PREC).sqrt())
    }

    fn abs(&self) -> Fixed {
        Fixed(self.0.abs())
    }
}

fn undefined<T>(m: &str) -> R<T> {
    Err(EvalError::Undefined(m.into()))
}

/// atanh(x) = x + x³/3 + x⁵/5 + … for |x| ≤ 1/3.
fn atanh_series(x: &Fixed, budget: &mut Steps) -> R<Fixed> {
    let x2 = x.mul(x);
    let mut power = x.clone();
    let mut sum = x.clone();
    let mut k = 1u64;
    loop {
        budget.charge(SERIES_TERM_COST)?;
        power = power.mul(&x2);
        k += 2;
        let term = power.div_int(k);
        if term.is_zero() {
            return Ok(sum);
        }
        sum = sum.add(&term);
    }
}

/// atan(x) = x − x³/3 + x⁵/5 − … for small |x|.
fn atan_series(x: &Fixed, budget: &mut Steps) -> R<Fixed> {
    let x2 = x.mul(x);
    let mut power = x.clone();
    let mut sum = x.clone();
    let mut k = 1u64;
    let mut sign = false;
    loop {
        budget.charge(SERIES_TERM_COST)?;
        power = power.mul(&x2);
        k += 2;
        sign = !sign;
        let term = power.div_int(k);
        if term.is_zero() {
            return Ok(sum);
        }
        sum = if sign { sum.sub(&term) } else { sum.add(&term) };
    }
}

fn unlimited() -> Steps {
    Steps::new(u64::MAX)
}

/// π, computed once (Machin's formula).
pub fn pi() -> &'static Fixed {
    static PI: OnceLock<Fixed> = OnceLock::new();
    PI.get_or_init(|| {
        let b = &mut unlimited();
        let a5 = atan_series(&Fixed::one().div_int(5), b).expect("unbounded");
        let a239 = atan_series(&Fixed::one().div_int(239), b).expect("unbounded");
        Fixed(a5.0 * 16 - a239.0 * 4)
    })
}

fn ln2() -> &'static Fixed {
    static LN2: OnceLock<Fixed> = OnceLock::new();
    LN2.get_or_init(|| {
        let t = atanh_series(&Fixed::one().div_int(3), &mut unlimited()).expect("unbounded");
        Fixed(t.0 * 2)
    })
}

/// e, computed once.
fn euler() -> &'static Fixed {
    static E: OnceLock<Fixed> = OnceLock::new();
    E.get_or_init(|| exp(&Fixed::one(), &mut unlimited()).expect("unbounded"))
}

fn exp(x: &Fixed, budget: &mut Steps) -> R<Fixed> {
    if x.is_negative() {
        return Fixed::one().div(&exp(&x.neg(), budget)?);
    }
    if x.0.bits() > u64::from(PREC) + 14 {
        return Err(Exhausted::TooLarge("exp of an argument above 16384".into()).into());
    }
    // Halve until small, sum the series, then square back.
    let mut k = 0u32;
    let mut r = x.clone();
    while r.0.bits() > u64::from(PREC - 8) {
        r = r.shr(1);
        k += 1;
    }
    let mut term = Fixed::one();
    let mut sum = Fixed::one();
    let mut n = 0u64;
    loop {
        budget.charge(SERIES_TERM_COST)?;
        n += 1;
        term = term.mul(&r).div_int(n);
        if term.is_zero() {
            break;
        }
        sum = sum.add(&term);
    }
    for _ in 0..k {
        budget.charge(SERIES_TERM_COST)?;
        sum = sum.mul(&sum).check()?;
    }
    Ok(sum)
}

fn ln(x: &Fixed, budget: &mut Steps) -> R<Fixed> {
    if !x.0.is_positive() {
        return undefined("logarithm of a non-positive number");
    }
    // x = m · 2^k with m in [1, 2).
    let k = x.0.bits() as i64 - 1 - i64::from(PREC);
    let m = if k >= 0 {
        Fixed(&x.0 >> k as u64)
    } else {
        Fixed(&x.0 << (-k) as u64)
    };
    let z = m.sub(&Fixed::one()).div(&m.add(&Fixed::one()))?;
    let lnm = atanh_series(&z, budget)?;
    Ok(Fixed(lnm.0 * 2 + &ln2().0 * k))
}

/// sin and cos together, after reducing the argument modulo 2π.
fn sin_cos(x: &Fixed, budget: &mut Steps) -> R<(Fixed, Fixed)> {
    if x.0.bits() > u64::from(PREC) + 20 {
        return Err(Exhausted::TooLarge("trigonometric function of a huge argument".into()).into());
    }
    let two_pi = Fixed(&pi().0 * 2);
    let turns = (&x.0 + (&two_pi.0 >> 1u32)).div_floor(&two_pi.0);
    // Reduce to [-π, π], then divide by 2^HALVINGS so the series converges fast, and
    // double back with sin 2a = 2 sin a cos a, cos 2a = cos² a − sin² a.
    const HALVINGS: u32 = 8;
    let r = Fixed(&x.0 - turns * &two_pi.0).shr(HALVINGS);
    let mut sin = Fixed::zero();
    let mut cos = Fixed::zero();
    let mut term = Fixed::one();
    let mut n = 0u64;
    loop {
        budget.charge(SERIES_TERM_COST)?;
        if term.is_zero() {
            break;
        }
        match n % 4 {
            0 => cos = cos.add(&term),
            1 => sin = sin.add(&term),
            2 => cos = cos.sub(&term),
            _ => sin = sin.sub(&term),
        }
        n += 1;
        term = term.mul(&r).div_int(n);
    }
    for _ in 0..HALVINGS {
        budget.charge(SERIES_TERM_COST)?;
        let s2 = Fixed(sin.mul(&cos).0 * 2);
        cos = cos.mul(&cos).sub(&sin.mul(&sin));
        sin = s2;
    }
    Ok((sin, cos))
}

fn atan(x: &Fixed, budget: &mut Steps) -> R<Fixed> {
    if x.is_negative() {
        return Ok(atan(&x.neg(), budget)?.neg());
    }
    if x.0 > one_raw() {
        let half_pi = pi().shr(1);
        return Ok(half_pi.sub(&atan(&Fixed::one().div(x)?, budget)?));
    }
    // atan(x) = 2 atan(x / (1 + sqrt(1 + x²))), twice.
    let mut y = x.clone();
    for _ in 0..2 {
        let d = Fixed::one().add(&Fixed::one().add(&y.mul(&y)).sqrt());
        y = y.div(&d)?;
    }
    Ok(Fixed(atan_series(&y, budget)?.0 * 4))
}

fn asin(x: &Fixed, budget: &mut Steps) -> R<Fixed> {
    let one = Fixed::one();
    if x.abs() > one {
        return Err(EvalError::Unsupported("arcsine outside [-1, 1]".into()));
    }
    if x.abs() == one {
        let half_pi = pi().shr(1);
        return Ok(if x.is_negative() {
            half_pi.neg()
        } else {
            half_pi
        });
    }
    let c = one.sub(&x.mul(x)).sqrt();
    atan(&x.div(&c)?, budget)
}

impl Complex {
    /// A real value.
    pub fn real(re: Fixed) -> Complex {
        Complex {
            re,
            im: Fixed::zero(),
        }
    }

    pub(crate) fn is_real(&self) -> bool {
        self.im.is_zero()
    }

    pub(crate) fn add(&self, o: &Complex) -> Complex {
        Complex {
            re: self.re.add(&o.re),
            im: self.im.add(&o.im),
        }
    }

    pub(crate) fn neg(&self) -> Complex {
        Complex {
            re: self.re.neg(),
            im: self.im.neg(),
        }
    }

    pub(crate) fn mul(&self, o: &Complex) -> R<Complex> {
        Ok(Complex {
            re: self.re.mul(&o.re).sub(&self.im.mul(&o.im)).check()?,
            im: self.re.mul(&o.im).add(&self.im.mul(&o.re)).check()?,
        })
    }

    pub(crate) fn div(&self, o: &Complex) -> R<Complex> {
        if o.is_real() {
            return Ok(Complex {
                re: self.re.div(&o.re)?.check()?,
                im: self.im.div(&o.re)?.check()?,
            });
        }
        let d = o.re.mul(&o.re).add(&o.im.mul(&o.im));
        let conj = Complex {
            re: o.re.clone(),
            im: o.im.neg(),
        };
        let n = self.mul(&conj)?;
        Ok(Complex {
            re: n.re.div(&d)?.check()?,
            im: n.im.div(&d)?.check()?,
        })
    }

    fn real_part(self, what: &str) -> R<Fixed> {
        if self.is_real() {
            Ok(self.re)
        } else {
            Err(EvalError::Unsupported(format!(
                "{what} of a complex number"
            )))
        }
    }

    /// The larger of |re| and |im|, as a raw fixed-point integer.
    pub(crate) fn magnitude(&self) -> BigInt {
        self.re.0.abs().max(self.im.0.abs())
    }

    /// An approximate display form.
    pub fn approx(&self) -> String {
        if self.is_real() {
            format!("{:.12e}", self.re.to_f64())
        } else {
            format!("{:.12e} + {:.12e}i", self.re.to_f64(), self.im.to_f64())
        }
    }
}

fn int_pow(base: &Complex, n: &BigInt, budget: &mut Steps) -> R<Complex> {
    let e = n
        .abs()
        .to_u64()
        .filter(|e| *e <= MAX_MAG_BITS * 4)
        .ok_or_else(|| Exhausted::TooLarge("a power with a huge exponent".into()))?;
    let mut result = Complex::real(Fixed::one());
    let mut sq = base.clone();
    let mut e = e;
    while e > 0 {
        budget.charge(SERIES_TERM_COST)?;
        if e & 1 == 1 {
            result = result.mul(&sq)?;
        }
        e >>= 1;
        if e > 0 {
            sq = sq.mul(&sq)?;
        }
    }
    if n.is_negative() {
        Complex::real(Fixed::one()).div(&result)
    } else {
        Ok(result)
    }
}

/// Real `k`-th root (odd roots of negatives are negative; `√` of a negative is imaginary).
fn root(a: &Complex, k: u32) -> R<Complex> {
    let a = a.clone().real_part("root")?;
    let mag = a.abs();
    let r = if k == 2 {
        mag.sqrt()
    } else {
        Fixed((&mag.0 << (PREC * (k - 1))).nth_root(k))
    };
    if !a.is_negative() {
        Ok(Complex::real(r))
    } else if k.is_multiple_of(2) && crate::exact::is_real_only() {
        undefined("even root of a negative number (compared over the reals)")
    } else if k % 2 == 1 {
        Ok(Complex::real(r.neg()))
    } else if k == 2 {
        Ok(Complex {
            re: Fixed::zero(),
            im: r,
        })
    } else {
        Err(EvalError::Unsupported(
            "even root of a negative number".into(),
        ))
    }
}

fn pow(e_base: &Expr, e_exp: &Expr, vars: &Assignment, budget: &mut Steps) -> R<Complex> {
    let base = eval_numeric(e_base, vars, budget)?;
    // An exactly known exponent keeps integer powers and real odd roots exact in form.
    match eval_exact(e_exp, vars, budget) {
        Ok(g) if g.is_real() => {
            let q = g.re;
            if q.is_integer() {
                return int_pow(&base, &q.to_integer(), budget);
            }
            if let Some(d) = q.denom().to_u32().filter(|d| *d <= 64) {
                if base.is_real() && (base.re.is_negative() && d % 2 == 1 || !base.re.is_negative())
                {
                    let r = root(&base, d)?;
                    return int_pow(&r, q.numer(), budget);
                }
            }
        }
        Err(EvalError::Exhausted(x)) => return Err(x.into()),
        Err(EvalError::Undefined(m)) => return Err(EvalError::Undefined(m)),
        _ => {}
    }
    let exp_v = eval_numeric(e_exp, vars, budget)?;
    let b = base.real_part("power")?;
    if !exp_v.is_real() && b.0.is_positive() {
        // b^(x + iy) = e^((x + iy) ln b)
        let l = ln(&b, budget)?;
        let z = Complex {
            re: exp_v.re.mul(&l),
            im: exp_v.im.mul(&l),
        };
        return complex_exp(&z, budget);
    }
    let x = exp_v.real_part("power")?;
    if b.is_zero() {
        return if x.0.is_positive() {
            Ok(Complex::real(Fixed::zero()))
        } else {
            undefined("0 to a non-positive power")
        };
    }
    if b.is_negative() {
        return Err(EvalError::Unsupported(
            "a negative number to an irrational power".into(),
        ));
    }
    let l = ln(&b, budget)?;
    Ok(Complex::real(exp(&x.mul(&l), budget)?))
}

/// e^(x + iy) = e^x (cos y + i sin y).
fn complex_exp(z: &Complex, budget: &mut Steps) -> R<Complex> {
    let m = exp(&z.re, budget)?;
    let (sin, cos) = sin_cos(&z.im, budget)?;
    Ok(Complex {
        re: m.mul(&cos).check()?,
        im: m.mul(&sin).check()?,
    })
}

fn apply(f: Func, x: Complex, budget: &mut Steps) -> R<Complex> {
    if f == Func::Abs {
        let m = x.re.mul(&x.re).add(&x.im.mul(&x.im)).sqrt();
        return Ok(Complex::real(m));
    }
    if f == Func::Exp && !x.is_real() {
        return complex_exp(&x, budget);
    }
    let name = f.name();
    let x = x.real_part(name)?;
    let v = match f {
        Func::Sin => sin_cos(&x, budget)?.0,
        Func::Cos => sin_cos(&x, budget)?.1,
        Func::Tan => {
            let (s, c) = sin_cos(&x, budget)?;
            s.div(&c)?
        }
        Func::Cot => {
            let (s, c) = sin_cos(&x, budget)?;
            c.div(&s)?
        }
        Func::Sec => Fixed::one().div(&sin_cos(&x, budget)?.1)?,
        Func::Csc => Fixed::one().div(&sin_cos(&x, budget)?.0)?,
        Func::Asin => asin(&x, budget)?,
        Func::Acos => pi().shr(1).sub(&asin(&x, budget)?),
        Func::Atan => atan(&x, budget)?,
        Func::Exp => exp(&x, budget)?,
        Func::Ln => ln(&x, budget)?,
        Func::Sinh | Func::Cosh | Func::Tanh => {
            let ep = exp(&x, budget)?;
            let em = Fixed::one().div(&ep)?;
            match f {
                Func::Sinh => ep.sub(&em).shr(1),
                Func::Cosh => ep.add(&em).shr(1),
                _ => ep.sub(&em).div(&ep.add(&em))?,
            }
        }
        Func::Abs | Func::Factorial => unreachable!("handled by the caller"),
    };
    Ok(Complex::real(v.check()?))
}

/// Evaluates `e` numerically with the variables in `vars`.
pub fn eval_numeric(e: &Expr, vars: &Assignment, budget: &mut Steps) -> R<Complex> {
    budget.charge(4)?;
    // Exact sub-results are used where they exist: they are cheap and lose nothing.
    match e {
        Expr::Num(q) => return Ok(Complex::real(Fixed::from_rational(q))),
        Expr::Var(name) => {
            return match vars.iter().find(|(n, _)| n == name) {
                Some((_, v)) => Ok(Complex::real(Fixed::from_rational(v))),
                None => Err(EvalError::Unsupported(format!(
                    "unassigned variable `{name}`"
                ))),
            }
        }
        Expr::Apply(Func::Factorial, _) | Expr::Log(..) | Expr::Root(..) => {
            match eval_exact(e, vars, budget) {
                Ok(g) => {
                    return Ok(Complex {
                        re: Fixed::from_rational(&g.re),
                        im: Fixed::from_rational(&g.im),
                    })
                }
                Err(EvalError::NotExact) => {}
                Err(other) => return Err(other),
            }
        }
        _ => {}
    }
    let ev = |x: &Expr, b: &mut Steps| eval_numeric(x, vars, b);
    Ok(match e {
        Expr::Const(Constant::Pi) => Complex::real(pi().clone()),
        Expr::Const(Constant::E) => Complex::real(euler().clone()),
        Expr::Const(Constant::I) => Complex {
            re: Fixed::zero(),
            im: Fixed::one(),
        },
        Expr::Add(terms) => {
            let mut acc = Complex::real(Fixed::zero());
            for t in terms {
                acc = acc.add(&ev(t, budget)?);
            }
            acc
        }
        Expr::Mul(factors) => {
            let mut acc = Complex::real(Fixed::one());
            for f in factors {
                acc = acc.mul(&ev(f, budget)?)?;
            }
            acc
        }
        Expr::Neg(a) => ev(a, budget)?.neg(),
        Expr::Div(a, b) => ev(a, budget)?.div(&ev(b, budget)?)?,
        Expr::Percent(a) => ev(a, budget)?.div(&Complex::real(Fixed::from_int(100)))?,
        Expr::Pow(a, b) => pow(a, b, vars, budget)?,
        Expr::Root(n, a) => {
            let k = eval_exact(n, vars, budget)
                .ok()
                .and_then(|g| g.as_integer())
                .and_then(|k| k.to_u32())
                .filter(|k| (2..=64).contains(k))
                .ok_or_else(|| {
                    EvalError::Unsupported("root index must be an integer 2..64".into())
                })?;
            root(&ev(a, budget)?, k)?
        }
        Expr::Log(b, a) => {
            let lb = ln(&ev(b, budget)?.real_part("logarithm")?, budget)?;
            let la = ln(&ev(a, budget)?.real_part("logarithm")?, budget)?;
            Complex::real(la.div(&lb)?)
        }
        Expr::Apply(Func::Factorial, _) => {
            return Err(EvalError::Unsupported("factorial of a non-integer".into()))
        }
        Expr::Apply(f, a) => apply(*f, ev(a, budget)?, budget)?,
        other => {
            return Err(EvalError::Unsupported(format!(
                "`{other}` is not a single number"
            )))
        }
    })
}

/// Whether two numeric values agree to [`TOLERANCE_BITS`] relative bits, or differ by less
/// than the noise floor 2^-[`NOISE_BITS`] (so `sin π` equals 0, while `e^{-100}` does not).
pub fn numerically_equal(a: &Complex, b: &Complex) -> bool {
    let mag = a.magnitude().max(b.magnitude());
    let diff = Complex {
        re: a.re.sub(&b.re),
        im: a.im.sub(&b.im),
    }
    .magnitude();
    let noise = BigInt::one() << (PREC - NOISE_BITS);
    diff <= noise || (diff << TOLERANCE_BITS) <= mag
}

/// Relative difference |a − b| / max(|a|, |b|) as an `f64` (for decimal tolerances).
pub fn relative_difference(a: &Complex, b: &Complex) -> f64 {
    let mag = a.magnitude().max(b.magnitude());
    if mag.is_zero() {
        return 0.0;
    }
    let diff = Complex {
        re: a.re.sub(&b.re),
        im: a.im.sub(&b.im),
    }
    .magnitude();
    Fixed(diff).to_f64() / Fixed(mag).to_f64()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parser::parse;

    fn num(s: &str) -> Complex {
        let mut b = Steps::default();
        let e = parse(s, &mut b).unwrap();
        eval_numeric(&e, &[], &mut b).unwrap()
    }

    fn same(a: &str, b: &str) -> bool {
        numerically_equal(&num(a), &num(b))
    }

    #[test]
    fn constants() {
        assert!((pi().to_f64() - std::f64::consts::PI).abs() < 1e-15);
        assert!((ln2().to_f64() - std::f64::consts::LN_2).abs() < 1e-15);
        assert!((num("e").re.to_f64() - std::f64::consts::E).abs() < 1e-15);
    }

    #[test]
    fn identities() {
        assert!(same("\\sin^2(1) + \\cos^2(1)", "1"));
        assert!(same("\\frac{\\sqrt3}{3}", "\\frac{1}{\\sqrt3}"));
        assert!(same("3\\sqrt{13}", "\\sqrt{117}"));
        assert!(same("\\ln(e^2)", "2"));
        assert!(same("\\arctan(1)", "\\pi/4"));
        assert!(same("\\arcsin(1/2)", "\\pi/6"));
        assert!(same("\\exp(2)", "e^2"));
        assert!(same("2^{1/2}", "\\sqrt2"));
        assert!(same("\\cosh(1)^2 - \\sinh(1)^2", "1"));
        assert!(same("\\tan(\\pi/3)", "\\sqrt3"));
        assert!(same("\\log_3 7", "\\ln 7 / \\ln 3"));
        assert!(!same("1 - 1/e", "1 + 1/e"));
        assert!(!same("\\pi", "3.14159265358979323846"));
        assert!(!same("\\sqrt2", "1.4142135623730951"));
    }
}

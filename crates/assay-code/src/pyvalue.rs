//! Python's `==` over the tagged JSON the harnesses write for plain data, so that candidates'
//! values are compared with the expected values on the host.
//!
//! Encoding: `null`, booleans and strings as themselves; `{"int": "<digits>"}`,
//! `{"float": "<repr>"}`, `{"complex": ["<re>", "<im>"]}`, `{"frac": ["<num>", "<den>"]}`
//! (`Fraction`), `{"dec": "<str>"}` (`Decimal`), `{"bytes": "<hex>"}`, `{"list": [...]}`,
//! `{"tuple": [...]}`, `{"set": [...]}` (sets, frozensets and views of a dict's keys or
//! items), `{"dict": [[k, v], ...]}`, `{"odict": [...]}` (`OrderedDict`), `{"counter": [...]}`
//! (`Counter`), `{"other": "<repr>"}` (dates and times).
//!
//! Numbers compare as Python compares them: exactly across `int`, `float`, `Fraction` and
//! `Decimal` (`Fraction(1, 2) == 0.5`, `Decimal("1.0") == Decimal("1.00")`), NaN equal to
//! nothing, complex numbers by parts.

use std::collections::{HashMap, HashSet};

use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, ToPrimitive, Zero};
use serde::Deserialize;
use serde_json::Value;

/// Where a number came from: what Python's arithmetic does with it differs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Int,
    Float,
    Fraction,
    Decimal,
}

/// A number as Python sees it for `==` and for the tolerance checks.
#[derive(Debug, Clone, PartialEq)]
enum Number {
    /// A finite real value, exactly.
    Exact(BigRational, Kind),
    /// A float or a `Decimal` that is NaN or infinite.
    Special(f64, Kind),
    /// A complex number.
    Complex(f64, f64),
    /// A `Decimal` too long or too far from 1 to compare exactly as a fraction: its sign,
    /// digits without leading or trailing zeros, and exponent. Equal only to the same.
    Decimal(bool, String, i64),
}

/// Largest decimal exponent of a `Decimal` compared exactly (beyond, as a float).
const DECIMAL_EXPONENT_LIMIT: i64 = 4000;
/// Most digits of a number parsed exactly (Python prints at most 4,300 digits of an `int`);
/// an `int` or `Fraction` with more is no number, a `Decimal` is compared as a float.
const DIGITS_LIMIT: usize = 20_000;
/// Most pairs of elements compared one by one, for sets and dicts whose elements have no
/// canonical key (NaN, unhashable values); beyond, the two are reported unequal.
const PAIRWISE_LIMIT: usize = 4_000_000;

fn number(v: &Value) -> Option<Number> {
    match v {
        Value::Bool(b) => Some(Number::Exact(
            BigRational::from_integer(u8::from(*b).into()),
            Kind::Int,
        )),
        Value::Object(m) if m.len() == 1 => {
            let (tag, inner) = m.iter().next()?;
            match tag.as_str() {
                "int" => {
                    let digits = inner.as_str()?;
                    (digits.len() <= DIGITS_LIMIT).then_some(())?;
                    Some(Number::Exact(
                        BigRational::from_integer(digits.parse::<BigInt>().ok()?),
                        Kind::Int,
                    ))
                }
                "float" => Some(real(parse_float(inner.as_str()?)?, Kind::Float)),
                "complex" => {
                    let parts = inner.as_array()?;
                    Some(Number::Complex(
                        parse_float(parts.first()?.as_str()?)?,
                        parse_float(parts.get(1)?.as_str()?)?,
                    ))
                }
                "frac" => {
                    let parts = inner.as_array()?;
                    let (num, den) = (parts.first()?.as_str()?, parts.get(1)?.as_str()?);
                    (num.len() <= DIGITS_LIMIT && den.len() <= DIGITS_LIMIT).then_some(())?;
                    let (num, den) = (num.parse::<BigInt>().ok()?, den.parse::<BigInt>().ok()?);
                    (!den.is_zero())
                        .then(|| Number::Exact(BigRational::new(num, den), Kind::Fraction))
                }
                "dec" => decimal(inner.as_str()?),
                _ => None,
            }
        }
        _ => None,
    }
}

/// A float as an exact value, or a special one.
fn real(f: f64, kind: Kind) -> Number {
    match BigRational::from_float(f) {
        Some(r) if f.is_finite() => Number::Exact(r, kind),
        _ => Number::Special(f, kind),
    }
}

/// A `Decimal`'s `str()`: `-1.50`, `1E+3`, `2.5E-7`, `NaN`, `-Infinity`.
fn decimal(text: &str) -> Option<Number> {
    let (negative, body) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let sign = if negative { -1.0 } else { 1.0 };
    match body {
        "Infinity" | "Inf" => return Some(Number::Special(sign * f64::INFINITY, Kind::Decimal)),
        "NaN" | "sNaN" => return Some(Number::Special(f64::NAN, Kind::Decimal)),
        _ => {}
    }
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], body[i + 1..].parse::<i64>().ok()?),
        None => (body, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    if whole.is_empty() && fraction.is_empty()
        || !whole
            .bytes()
            .chain(fraction.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let exponent = exponent.checked_sub(i64::try_from(fraction.len()).ok()?)?;
    let all = format!("{whole}{fraction}");
    let trimmed = all.trim_start_matches('0');
    if trimmed.is_empty() {
        return Some(Number::Exact(BigRational::zero(), Kind::Decimal));
    }
    if exponent.unsigned_abs() > DECIMAL_EXPONENT_LIMIT.unsigned_abs()
        || trimmed.len() > DIGITS_LIMIT
    {
        let significant = trimmed.trim_end_matches('0');
        let shift = i64::try_from(trimmed.len() - significant.len()).ok()?;
        return Some(Number::Decimal(
            negative,
            significant.to_owned(),
            exponent.checked_add(shift)?,
        ));
    }
    let mut digits: BigInt = trimmed.parse().ok()?;
    if negative {
        digits = -digits;
    }
    let scale = num_traits::pow(
        BigInt::from(10),
        usize::try_from(exponent.unsigned_abs()).ok()?,
    );
    let value = if exponent >= 0 {
        BigRational::from_integer(digits * scale)
    } else {
        BigRational::new(digits, scale)
    };
    Some(Number::Exact(value, Kind::Decimal))
}

fn parse_float(repr: &str) -> Option<f64> {
    match repr {
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" => Some(f64::NAN),
        other => other.parse().ok(),
    }
}

fn numbers_eq(a: &Number, b: &Number) -> bool {
    use Number::*;
    match (a, b) {
        (Decimal(..), _) | (_, Decimal(..)) => a == b,
        (Exact(x, _), Exact(y, _)) => x == y,
        (Special(x, _), Special(y, _)) => x == y,
        (Exact(..), Special(..)) | (Special(..), Exact(..)) => false,
        (Complex(re, im), other) | (other, Complex(re, im)) => match other {
            Complex(r, i) => re == r && im == i,
            // A complex number equals a real one when its imaginary part is zero and its real
            // part equals the real number exactly.
            real => *im == 0.0 && numbers_eq(&self::real(*re, Kind::Float), real),
        },
    }
}

/// The check a [`Tolerance`] came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    /// `math.isclose(a, b, rel_tol=..., abs_tol=...)` (or `cmath.isclose`): both values are
    /// converted to floats first (an integer too large for one raises, so is never close).
    #[default]
    Isclose,
    /// `cmath.isclose(a, b, ...)`: like `Isclose`, and complex numbers are allowed.
    CmathIsclose,
    /// `abs(a - b) < eps` or `abs(a - b) <= eps`: the difference as Python computes it, exact
    /// between integers and fractions.
    Abs,
}

/// A numeric tolerance: `|a - b| <= max(rel * max(|a|, |b|), abs)` (`<` when `strict`).
#[derive(Debug, Clone, Copy, Deserialize)]
pub struct Tolerance {
    /// Relative tolerance.
    pub rel: f64,
    /// Absolute tolerance.
    pub abs: f64,
    /// Whether the bound is strict (`abs(a - b) < eps`).
    pub strict: bool,
    /// Which check it came from.
    #[serde(default)]
    pub form: Form,
}

/// The float Python's `float(x)` gives, or `None` where it raises (an `int` or `Fraction` too
/// large). Complex numbers have none.
fn to_float(n: &Number) -> Option<f64> {
    match n {
        Number::Exact(r, kind) => {
            let f = r.to_f64()?;
            (f.is_finite() || *kind == Kind::Decimal).then_some(f)
        }
        Number::Special(f, _) => Some(*f),
        Number::Decimal(negative, digits, exponent) => {
            let sign = if *negative { "-" } else { "" };
            format!("{sign}{digits}e{exponent}").parse().ok()
        }
        Number::Complex(..) => None,
    }
}

/// The value of an encoded `int`, `float`, `bool`, `Fraction` or `Decimal` as Python's
/// `float()` gives it (`None` where that raises).
pub fn as_f64(v: &Value) -> Option<f64> {
    to_float(&number(v)?)
}

/// Whether two encoded numbers pass the check `t` came from: `math.isclose(a, b, ...)`, or
/// `abs(a - b) < eps` (`<=`). As Python decides it: equal infinities are close for `isclose`
/// and never within `eps`; NaN is close to nothing; an integer too large for a float is never
/// `isclose`; integers and fractions subtract exactly; non-numbers are not close.
pub fn close(a: &Value, b: &Value, t: Tolerance) -> bool {
    let (Some(x), Some(y)) = (number(a), number(b)) else {
        return false;
    };
    if let (Number::Complex(..), _) | (_, Number::Complex(..)) = (&x, &y) {
        // math.isclose raises for a complex number.
        return t.form != Form::Isclose && complex_close(&x, &y, t);
    }
    match t.form {
        Form::Isclose | Form::CmathIsclose => {
            let (Some(x), Some(y)) = (to_float(&x), to_float(&y)) else {
                return false;
            };
            if x == y {
                return true;
            }
            if x.is_infinite() || y.is_infinite() {
                // An infinity is close only to itself (`rel * inf` would make every value
                // close to it).
                return false;
            }
            (x - y).abs() <= (t.rel * x.abs().max(y.abs())).max(t.abs)
        }
        Form::Abs => {
            let within = |diff: f64| {
                if t.strict {
                    diff < t.abs
                } else {
                    diff <= t.abs
                }
            };
            match (&x, &y) {
                (Number::Exact(p, kp), Number::Exact(q, kq))
                    if *kp != Kind::Float && *kq != Kind::Float =>
                {
                    // int, Fraction and Decimal subtract exactly (a Decimal with a Fraction
                    // raises in Python).
                    if matches!(
                        (kp, kq),
                        (Kind::Decimal, Kind::Fraction) | (Kind::Fraction, Kind::Decimal)
                    ) {
                        return false;
                    }
                    let diff = (p - q).abs();
                    match BigRational::from_float(t.abs) {
                        Some(eps) if t.abs.is_finite() => {
                            if t.strict {
                                diff < eps
                            } else {
                                diff <= eps
                            }
                        }
                        _ => within(diff.to_f64().unwrap_or(f64::INFINITY)),
                    }
                }
                _ => {
                    let decimal = |n: &Number| {
                        matches!(
                            n,
                            Number::Exact(_, Kind::Decimal) | Number::Special(_, Kind::Decimal)
                        )
                    };
                    let float = |n: &Number| {
                        matches!(
                            n,
                            Number::Exact(_, Kind::Float) | Number::Special(_, Kind::Float)
                        )
                    };
                    if (decimal(&x) && float(&y)) || (float(&x) && decimal(&y)) {
                        return false; // Decimal - float raises
                    }
                    let (Some(p), Some(q)) = (to_float(&x), to_float(&y)) else {
                        return false;
                    };
                    within((p - q).abs())
                }
            }
        }
    }
}

/// `cmath.isclose`, or `abs(a - b)` of complex numbers.
fn complex_close(x: &Number, y: &Number, t: Tolerance) -> bool {
    let parts = |n: &Number| match n {
        Number::Complex(re, im) => Some((*re, *im)),
        other => to_float(other).map(|f| (f, 0.0)),
    };
    let (Some((ar, ai)), Some((br, bi))) = (parts(x), parts(y)) else {
        return false;
    };
    let diff = (ar - br).hypot(ai - bi);
    match t.form {
        Form::Isclose | Form::CmathIsclose => {
            if ar == br && ai == bi {
                return true;
            }
            let (na, nb) = (ar.hypot(ai), br.hypot(bi));
            if na.is_infinite() || nb.is_infinite() {
                return false;
            }
            diff <= (t.rel * na.max(nb)).max(t.abs)
        }
        Form::Abs => {
            if t.strict {
                diff < t.abs
            } else {
                diff <= t.abs
            }
        }
    }
}

fn tagged<'a>(v: &'a Value, tag: &str) -> Option<&'a Value> {
    match v {
        Value::Object(m) if m.len() == 1 => m.get(tag),
        _ => None,
    }
}

/// The pairs of a `dict`, `OrderedDict` or `Counter` (each also equals a plain dict with the
/// same items).
fn dict_like(v: &Value) -> Option<&Value> {
    ["dict", "odict", "counter"]
        .iter()
        .find_map(|tag| tagged(v, tag))
}

fn json_dict(pairs: Vec<Value>) -> Value {
    serde_json::json!({ "dict": pairs })
}

/// A key equal for two hashable values exactly when Python finds them equal (`1`, `1.0`,
/// `True` and `Fraction(1)` share one); its size is linear in the value's.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Key {
    Number(BigRational),
    Infinity(bool),
    /// A complex number with a non-zero imaginary part, by the bits of its parts.
    Complex(u64, u64),
    Decimal(bool, String, i64),
    None,
    Str(String),
    Bytes(String),
    Tuple(Vec<Key>),
    /// A frozenset: its elements' keys, sorted.
    FrozenSet(Vec<Key>),
    Other(String),
}

/// The key of a hashable value, or `None` for values without one (NaN, unhashable).
fn key(v: &Value) -> Option<Key> {
    if let Some(n) = number(v) {
        let bits = |f: f64| if f == 0.0 { 0 } else { f.to_bits() };
        return match n {
            Number::Exact(r, _) => Some(Key::Number(r)),
            Number::Special(f, _) if f.is_infinite() => Some(Key::Infinity(f > 0.0)),
            Number::Special(..) => None,
            Number::Decimal(neg, digits, exp) => Some(Key::Decimal(neg, digits, exp)),
            Number::Complex(re, 0.0) => match real(re, Kind::Float) {
                Number::Exact(r, _) => Some(Key::Number(r)),
                Number::Special(f, _) if f.is_infinite() => Some(Key::Infinity(f > 0.0)),
                _ => None,
            },
            Number::Complex(re, im) => {
                (re.is_finite() && im.is_finite()).then(|| Key::Complex(bits(re), bits(im)))
            }
        };
    }
    match v {
        Value::Null => Some(Key::None),
        Value::String(s) => Some(Key::Str(s.clone())),
        _ => {
            if let Some(Value::String(hex)) = tagged(v, "bytes") {
                return Some(Key::Bytes(hex.clone()));
            }
            if let Some(Value::Array(items)) = tagged(v, "tuple") {
                return Some(Key::Tuple(items.iter().map(key).collect::<Option<_>>()?));
            }
            if let Some(Value::Array(items)) = tagged(v, "set") {
                let mut inner: Vec<Key> = items.iter().map(key).collect::<Option<_>>()?;
                inner.sort();
                return Some(Key::FrozenSet(inner));
            }
            if let Some(Value::String(repr)) = tagged(v, "other") {
                return Some(Key::Other(repr.clone()));
            }
            None
        }
    }
}

/// The keys of a set's elements, if every element has one.
fn keys(items: &[Value]) -> Option<HashSet<Key>> {
    items.iter().map(key).collect()
}

fn any_equal(needle: &Value, hay: &[Value]) -> bool {
    hay.iter().any(|h| py_eq(needle, h))
}

/// Whether Python would find the two encoded values equal (`a == b`).
pub fn py_eq(a: &Value, b: &Value) -> bool {
    if let (Some(x), Some(y)) = (number(a), number(b)) {
        return numbers_eq(&x, &y);
    }
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::String(x), Value::String(y)) => x == y,
        _ => {
            for tag in ["list", "tuple"] {
                if let (Some(Value::Array(x)), Some(Value::Array(y))) =
                    (tagged(a, tag), tagged(b, tag))
                {
                    return x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q));
                }
            }
            if let (Some(Value::Array(x)), Some(Value::Array(y))) =
                (tagged(a, "set"), tagged(b, "set"))
            {
                if x.len() != y.len() {
                    return false;
                }
                if let (Some(kx), Some(ky)) = (keys(x), keys(y)) {
                    return kx == ky;
                }
                return x.len().saturating_mul(y.len()) <= PAIRWISE_LIMIT
                    && x.iter().all(|v| any_equal(v, y));
            }
            if let (Some(Value::Array(x)), Some(Value::Array(y))) =
                (tagged(a, "odict"), tagged(b, "odict"))
            {
                // Two OrderedDicts are equal only in the same order.
                return x.len() == y.len() && x.iter().zip(y).all(|(p, q)| py_eq(p, q));
            }
            if let (Some(Value::Array(x)), Some(Value::Array(y))) =
                (tagged(a, "counter"), tagged(b, "counter"))
            {
                // Two Counters are equal when every count is, a missing one counting as zero.
                let nonzero = |pairs: &[Value]| -> Vec<Value> {
                    pairs
                        .iter()
                        .filter(|p| {
                            !p.get(1).is_some_and(|c| {
                                number(c).is_some_and(|n| {
                                    numbers_eq(&n, &Number::Exact(BigRational::zero(), Kind::Int))
                                })
                            })
                        })
                        .cloned()
                        .collect()
                };
                return py_eq(&json_dict(nonzero(x)), &json_dict(nonzero(y)));
            }
            if let (Some(Value::Array(x)), Some(Value::Array(y))) = (dict_like(a), dict_like(b)) {
                let pair = |p: &Value| -> Option<(Value, Value)> {
                    let p = p.as_array()?;
                    Some((p.first()?.clone(), p.get(1)?.clone()))
                };
                let (Some(x), Some(y)) = (
                    x.iter().map(pair).collect::<Option<Vec<_>>>(),
                    y.iter().map(pair).collect::<Option<Vec<_>>>(),
                ) else {
                    return false;
                };
                if x.len() != y.len() {
                    return false;
                }
                let by_key = |pairs: &[(Value, Value)]| -> Option<HashMap<Key, Value>> {
                    pairs
                        .iter()
                        .map(|(k, v)| Some((key(k)?, v.clone())))
                        .collect()
                };
                if let (Some(kx), Some(ky)) = (by_key(&x), by_key(&y)) {
                    return kx.len() == ky.len()
                        && kx
                            .iter()
                            .all(|(k, v)| ky.get(k).is_some_and(|w| py_eq(v, w)));
                }
                return x.len().saturating_mul(y.len()) <= PAIRWISE_LIMIT
                    && x.iter().all(|(k, v)| {
                        y.iter()
                            .find(|(k2, _)| py_eq(k, k2))
                            .is_some_and(|(_, v2)| py_eq(v, v2))
                    });
            }
            for tag in ["bytes", "other"] {
                if let (Some(x), Some(y)) = (tagged(a, tag), tagged(b, tag)) {
                    return x == y;
                }
            }
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{close, py_eq, Form, Tolerance};
    use serde_json::json;

    fn int(s: &str) -> serde_json::Value {
        json!({"int": s})
    }
    fn float(s: &str) -> serde_json::Value {
        json!({"float": s})
    }

    #[test]
    fn numbers_follow_python() {
        assert!(py_eq(&int("3"), &float("3.0")));
        assert!(py_eq(&json!(true), &int("1")));
        assert!(!py_eq(&int("3"), &float("3.5")));
        assert!(py_eq(&int("100000000000000000000"), &float("1e+20")));
        assert!(!py_eq(&int("100000000000000000001"), &float("1e+20")));
        assert!(!py_eq(&float("nan"), &float("nan")));
        assert!(py_eq(&json!({"complex": ["2.0", "0.0"]}), &int("2")));
        assert!(!py_eq(&json!("3"), &int("3")));
        assert!(py_eq(&float("-0.0"), &int("0")));
    }

    fn isclose(rel: f64, abs: f64) -> Tolerance {
        Tolerance {
            rel,
            abs,
            strict: false,
            form: Form::Isclose,
        }
    }

    fn within(eps: f64, strict: bool) -> Tolerance {
        Tolerance {
            rel: 0.0,
            abs: eps,
            strict,
            form: Form::Abs,
        }
    }

    #[test]
    fn closeness_follows_isclose_and_abs() {
        assert!(close(
            &float("4189.0"),
            &float("4188.790204786391"),
            isclose(1e-3, 0.0)
        ));
        assert!(!close(
            &float("4200.0"),
            &float("4188.790204786391"),
            isclose(1e-3, 0.0)
        ));
        assert!(close(&int("1"), &float("1.0000001"), within(1e-6, true)));
        assert!(!close(&float("1.1"), &int("1"), within(1e-6, true)));
        assert!(!close(&float("nan"), &float("nan"), isclose(1.0, 1.0)));
        assert!(!close(&json!("1"), &int("1"), isclose(1.0, 1.0)));
        assert!(!close(&float("inf"), &float("4.0"), isclose(1e-9, 0.0)));
        assert!(!close(&float("-inf"), &int("4"), isclose(1e-9, 0.0)));
        assert!(!close(&float("inf"), &float("-inf"), isclose(1e-9, 0.0)));
        assert!(close(&float("inf"), &float("inf"), isclose(1e-9, 0.0)));
        // abs(inf - inf) is NaN: not within any eps, strict or not.
        assert!(!close(&float("inf"), &float("inf"), within(1e-9, false)));
        assert!(!close(&float("inf"), &float("inf"), within(1e-9, true)));
    }

    #[test]
    fn integers_subtract_exactly_and_overflow_like_python() {
        let two60 = int("1152921504606846976");
        // abs(2**60 + 1 - 2**60) is 1, not the 0 of floats.
        assert!(!close(
            &int("1152921504606846977"),
            &two60,
            within(0.5, true)
        ));
        assert!(close(
            &int("1152921504606846977"),
            &two60,
            within(1.0, false)
        ));
        let huge = format!("1{}", "0".repeat(400));
        let huge_plus = format!("1{}7", "0".repeat(399));
        // math.isclose raises OverflowError for an int too large for a float.
        assert!(!close(&int(&huge_plus), &int(&huge), isclose(1e-9, 0.0)));
        assert!(!close(&int(&huge), &float("inf"), isclose(1e-9, 0.0)));
        assert!(!close(&int(&huge_plus), &int(&huge), within(1.0, false)));
        assert!(close(&int(&huge), &int(&huge), within(1.0, false)));
        // Fractions subtract exactly; a Decimal and a float do not subtract at all.
        let half = json!({"frac": ["1", "2"]});
        assert!(close(&half, &float("0.5"), within(1e-12, true)));
        assert!(!close(
            &json!({"dec": "0.5"}),
            &float("0.5"),
            within(1.0, false)
        ));
        assert!(close(&json!({"dec": "0.5"}), &int("1"), within(0.5, false)));
    }

    #[test]
    fn fractions_and_decimals_compare_exactly() {
        let half = json!({"frac": ["1", "2"]});
        assert!(py_eq(&half, &float("0.5")));
        assert!(py_eq(&half, &json!({"dec": "0.50"})));
        assert!(!py_eq(
            &json!({"frac": ["1", "3"]}),
            &float("0.3333333333333333")
        ));
        assert!(py_eq(&json!({"dec": "1.0"}), &json!({"dec": "1.00"})));
        assert!(py_eq(&json!({"dec": "1E+3"}), &int("1000")));
        assert!(py_eq(&json!({"dec": "-2.5E-1"}), &float("-0.25")));
        assert!(
            !py_eq(&json!({"dec": "0.1"}), &float("0.1")),
            "0.1 is not exactly a float"
        );
        assert!(py_eq(&json!({"dec": "Infinity"}), &float("inf")));
        assert!(!py_eq(&json!({"dec": "NaN"}), &json!({"dec": "NaN"})));
        assert!(py_eq(&json!({"complex": ["0.5", "0.0"]}), &half));
        assert!(py_eq(
            &json!({"dec": "1E+999999"}),
            &json!({"dec": "1E+999999"})
        ));
    }

    #[test]
    fn large_sets_and_dicts_compare_by_key() {
        // Beyond the pairwise limit: equal only if compared by key.
        let n = 20_000;
        let a: Vec<serde_json::Value> = (0..n).map(|i| int(&i.to_string())).collect();
        let mut b: Vec<serde_json::Value> =
            (0..n).rev().map(|i| float(&format!("{i}.0"))).collect();
        assert!(py_eq(&json!({"set": a}), &json!({"set": b.clone()})));
        b[0] = float("0.5");
        assert!(!py_eq(
            &json!({"set": (0..n).map(|i| int(&i.to_string())).collect::<Vec<_>>()}),
            &json!({"set": b})
        ));
        // Keys follow Python's equality across types, and NaN has none.
        assert!(py_eq(
            &json!({"set": [json!(true), json!("1")]}),
            &json!({"set": [int("1"), json!("1")]})
        ));
        assert!(!py_eq(
            &json!({"set": [float("nan")]}),
            &json!({"set": [float("nan")]})
        ));
    }

    #[test]
    fn decimals_beyond_the_exact_range_equal_only_themselves() {
        let long = json!({"dec": format!("1.{}1", "0".repeat(20_000))});
        assert!(!py_eq(&long, &int("1")));
        assert!(py_eq(&long, &long.clone()));
        assert!(!py_eq(&json!({"dec": "1E-5000"}), &int("0")));
        assert!(!py_eq(&json!({"dec": "1E+5000"}), &float("inf")));
        assert!(py_eq(
            &json!({"dec": "1.0E+5000"}),
            &json!({"dec": "10E+4999"})
        ));
        assert!(!py_eq(
            &json!({"dec": "1.5E-9223372036854775807"}),
            &int("0")
        ));
        assert!(py_eq(&json!({"dec": "0E-9000"}), &int("0")));
    }

    #[test]
    fn deeply_nested_keys_stay_small() {
        let mut v = int("3");
        for _ in 0..60 {
            v = json!({ "tuple": [v] });
        }
        let set = json!({"set": [int("1"), int("2"), v.clone()]});
        assert!(py_eq(&set, &set.clone()));
        assert!(!py_eq(
            &set,
            &json!({"set": [int("1"), int("2"), int("3")]})
        ));
    }

    #[test]
    fn ordered_and_counting_dicts_follow_python() {
        let ab = |tag: &str| json!({tag: [[json!("a"), int("1")], [json!("b"), int("2")]]});
        let ba = |tag: &str| json!({tag: [[json!("b"), int("2")], [json!("a"), int("1")]]});
        assert!(
            !py_eq(&ab("odict"), &ba("odict")),
            "OrderedDicts compare in order"
        );
        assert!(py_eq(&ab("odict"), &ba("dict")));
        assert!(py_eq(&ab("counter"), &ba("counter")));
        let zero = json!({"counter": [[json!("a"), int("1")], [json!("b"), int("0")]]});
        let one = json!({"counter": [[json!("a"), int("1")]]});
        assert!(py_eq(&zero, &one), "Counter(a=1, b=0) == Counter(a=1)");
        assert!(!py_eq(&zero, &json!({"dict": [[json!("a"), int("1")]]})));
    }

    #[test]
    fn containers_follow_python() {
        let l = |v: Vec<serde_json::Value>| json!({"list": v});
        let t = |v: Vec<serde_json::Value>| json!({"tuple": v});
        assert!(py_eq(
            &l(vec![int("1"), json!("a")]),
            &l(vec![float("1.0"), json!("a")])
        ));
        assert!(
            !py_eq(&l(vec![int("1")]), &t(vec![int("1")])),
            "list != tuple"
        );
        assert!(!py_eq(&l(vec![int("1")]), &l(vec![int("1"), int("2")])));
        let s1 = json!({"set": [int("1"), int("2")]});
        let s2 = json!({"set": [int("2"), int("1")]});
        assert!(py_eq(&s1, &s2));
        let d1 = json!({"dict": [[json!("a"), int("1")], [json!("b"), int("2")]]});
        let d2 = json!({"dict": [[json!("b"), float("2.0")], [json!("a"), int("1")]]});
        assert!(py_eq(&d1, &d2));
        assert!(!py_eq(&d1, &json!({"dict": [[json!("a"), int("1")]]})));
        assert!(py_eq(&json!(null), &json!(null)));
        assert!(!py_eq(&json!(null), &json!(false)));
    }
}

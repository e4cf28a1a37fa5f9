//! Python's `==` over the tagged JSON the harnesses write for plain data, so that candidates'
//! values are compared with the expected values on the host.
//!
//! Encoding: `null`, booleans and strings as themselves; `{"int": "<digits>"}`,
//! `{"float": "<repr>"}`, `{"complex": ["<re>", "<im>"]}`, `{"bytes": "<hex>"}`,
//! `{"list": [...]}`, `{"tuple": [...]}`, `{"set": [...]}` (sets and frozensets),
//! `{"dict": [[k, v], ...]}`, `{"other": "<Type(value)>"}` (fractions and decimals).

use serde_json::Value;

/// A number as Python sees it for `==`: exact integers, floats, complex numbers.
#[derive(Debug, Clone, PartialEq)]
enum Number {
    Int(String),
    Float(f64),
    Complex(f64, f64),
}

fn number(v: &Value) -> Option<Number> {
    match v {
        Value::Bool(b) => Some(Number::Int(if *b { "1" } else { "0" }.into())),
        Value::Object(m) if m.len() == 1 => {
            let (tag, inner) = m.iter().next()?;
            match tag.as_str() {
                "int" => Some(Number::Int(inner.as_str()?.to_owned())),
                "float" => Some(Number::Float(parse_float(inner.as_str()?)?)),
                "complex" => {
                    let parts = inner.as_array()?;
                    Some(Number::Complex(
                        parse_float(parts.first()?.as_str()?)?,
                        parse_float(parts.get(1)?.as_str()?)?,
                    ))
                }
                _ => None,
            }
        }
        _ => None,
    }
}

fn parse_float(repr: &str) -> Option<f64> {
    match repr {
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" => Some(f64::NAN),
        other => other.parse().ok(),
    }
}

/// The exact integer a float equals, as decimal digits, if it is integral.
fn float_as_int(f: f64) -> Option<String> {
    (f.is_finite() && f.fract() == 0.0).then(|| {
        let s = format!("{f:.0}");
        if s == "-0" {
            "0".into()
        } else {
            s
        }
    })
}

fn numbers_eq(a: &Number, b: &Number) -> bool {
    use Number::*;
    match (a, b) {
        (Int(x), Int(y)) => x == y,
        (Int(i), Float(f)) | (Float(f), Int(i)) => float_as_int(*f).as_deref() == Some(i.as_str()),
        (Float(x), Float(y)) => x == y,
        (Complex(re, im), other) | (other, Complex(re, im)) => {
            let (ore, oim) = match other {
                Complex(r, i) => (*r, *i),
                Float(f) => (*f, 0.0),
                Int(i) => match i.parse::<f64>() {
                    // Exact only while the integer fits a float exactly.
                    Ok(f) if float_as_int(f).as_deref() == Some(i.as_str()) => (f, 0.0),
                    _ => return false,
                },
            };
            *re == ore && *im == oim
        }
    }
}

fn tagged<'a>(v: &'a Value, tag: &str) -> Option<&'a Value> {
    match v {
        Value::Object(m) if m.len() == 1 => m.get(tag),
        _ => None,
    }
}

fn any_equal(needle: &Value, hay: &[Value]) -> bool {
    hay.iter().any(|h| py_eq(needle, h))
}

/// The value of an encoded `int`, `float` or `bool`, as a float.
pub fn as_f64(v: &Value) -> Option<f64> {
    match number(v)? {
        Number::Int(i) => i.parse().ok(),
        Number::Float(f) => Some(f),
        Number::Complex(..) => None,
    }
}

/// Whether two encoded numbers are within `max(rel * max(|a|, |b|), abs)` of each other
/// (strictly within, when `strict`), as `math.isclose` or `abs(a - b) < eps` decide. Equal
/// infinities are close; NaN is close to nothing; non-numbers are not close.
pub fn close(a: &Value, b: &Value, rel: f64, abs: f64, strict: bool) -> bool {
    let (Some(x), Some(y)) = (as_f64(a), as_f64(b)) else {
        return false;
    };
    if x == y {
        // math.isclose finds equal values (infinities included) close; abs(x - y) < eps is
        // 0 < eps for finite values and NaN < eps, false, for infinities.
        return !strict || (x.is_finite() && 0.0 < abs);
    }
    if x.is_infinite() || y.is_infinite() {
        // An infinity is close only to itself (`math.isclose(inf, 1.0)` is False; without
        // this, `rel * inf` would make the bound infinite and every value close to it).
        return false;
    }
    let diff = (x - y).abs();
    let bound = (rel * x.abs().max(y.abs())).max(abs);
    if strict {
        diff < bound
    } else {
        diff <= bound
    }
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
                return x.len() == y.len() && x.iter().all(|v| any_equal(v, y));
            }
            if let (Some(Value::Array(x)), Some(Value::Array(y))) =
                (tagged(a, "dict"), tagged(b, "dict"))
            {
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
                return x.len() == y.len()
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
    use super::py_eq;
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

    #[test]
    fn closeness_follows_isclose_and_abs() {
        use super::close;
        assert!(close(
            &float("4189.0"),
            &float("4188.790204786391"),
            1e-3,
            0.0,
            false
        ));
        assert!(!close(
            &float("4200.0"),
            &float("4188.790204786391"),
            1e-3,
            0.0,
            false
        ));
        assert!(close(&int("1"), &float("1.0000001"), 0.0, 1e-6, true));
        assert!(!close(&float("1.1"), &int("1"), 0.0, 1e-6, true));
        assert!(!close(&float("nan"), &float("nan"), 1.0, 1.0, false));
        assert!(!close(&json!("1"), &int("1"), 1.0, 1.0, false));
        assert!(!close(&float("inf"), &float("4.0"), 1e-9, 0.0, false));
        assert!(!close(&float("-inf"), &int("4"), 1e-9, 0.0, false));
        assert!(!close(&float("inf"), &float("-inf"), 1e-9, 0.0, false));
        assert!(close(&float("inf"), &float("inf"), 1e-9, 0.0, false));
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

//! Deciding whether two parsed answers are mathematically equal, and by which rule.
//!
//! Numbers are compared exactly over the Gaussian rationals when both sides are rational;
//! otherwise by high-precision numerics ([`crate::numeric`]). Expressions with variables
//! are compared at several pseudo-random rational points (variables matched by name).
//! Structures are compared structurally: sets and answer lists unordered, tuples ordered,
//! intervals by endpoints and openness, matrices element-wise, equations as equations
//! (equal up to a non-zero constant factor), inequalities through their interval form.

use crate::exact::{eval_exact, EvalError, Gauss};
use crate::expr::{Constant, Expr, Func, RelOp};
use crate::numeric::{eval_numeric, numerically_equal, relative_difference, Complex, Fixed};
use crate::steps::{Exhausted, Steps};
use num_bigint::BigInt;
use num_rational::BigRational;
use num_traits::{Signed, Zero};

/// Most elements compared in one unordered structure (pairings cost n²).
pub const MAX_ELEMENTS: usize = 256;

/// What `25\%` means when it meets a number without `%`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PercentPolicy {
    /// The percent sign is a unit, as the answer to "what percent …?": `25\%` equals `25`
    /// (and `25\%`), not `0.25`. The default: the way MATH-style data writes percentages.
    #[default]
    Unit,
    /// The percent sign is ÷100: `25\%` equals `0.25` and `\frac14`, not `25`.
    Value,
}

/// Comparison settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Relative tolerance for a decimal answer to a reference that no decimal writes exactly
    /// (`1.414` for `\sqrt2`, `0.333` for `1/3`). `None` (the default) demands exact
    /// equality: a rounded decimal never matches. Terminating references are always exact.
    pub decimal_tolerance: Option<f64>,
    /// Number of random points at which expressions with variables are compared.
    pub points: usize,
    /// Whether the answer text contains a decimal literal (enables `decimal_tolerance`).
    pub answer_has_decimal: bool,
    /// What a percent sign means against a bare number.
    pub percent: PercentPolicy,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            decimal_tolerance: None,
            points: 6,
            answer_has_decimal: false,
            percent: PercentPolicy::Unit,
        }
    }
}

/// The outcome of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Whether the two answers are equal.
    pub equal: bool,
    /// The rule that decided, in words (e.g. "exact rational", "symbolic: equal at 6
    /// random points").
    pub rule: String,
}

fn yes(rule: impl Into<String>) -> Result<Decision, Exhausted> {
    Ok(Decision {
        equal: true,
        rule: rule.into(),
    })
}

fn no(rule: impl Into<String>) -> Result<Decision, Exhausted> {
    Ok(Decision {
        equal: false,
        rule: rule.into(),
    })
}

type R = Result<Decision, Exhausted>;

/// Decides whether `answer` equals `reference`.
pub fn equivalent(reference: &Expr, answer: &Expr, s: &Settings, budget: &mut Steps) -> R {
    let r = normalize(reference.clone());
    let mut a = normalize(answer.clone());
    let renamed = rename_constants(&r, &mut a);
    let d = eq(&r, &a, s, budget)?;
    Ok(match renamed {
        Some(note) if d.equal => Decision {
            equal: true,
            rule: format!("{} ({note})", d.rule),
        },
        _ => d,
    })
}

/// Names of arbitrary constants (`C`, `c`, `K`, `C_1`, `c_2`) in an expression that also
/// has other variables (an antiderivative `x^2/2 + C`, an ODE solution), sorted.
fn arbitrary_constants(e: &Expr) -> Vec<String> {
    // Cheap check first (no allocation): most answers have no such name.
    let mut any = false;
    e.walk(&mut |x| {
        any |= matches!(x, Expr::Var(v) if v.starts_with(['C', 'c', 'K']));
    });
    if !any {
        return Vec::new();
    }
    let mut vars = Vec::new();
    e.collect_vars(&mut vars);
    let is_constant_name = |v: &str| {
        let (head, sub) = v.split_once('_').unwrap_or((v, ""));
        matches!(head, "C" | "c" | "K") && sub.chars().all(|c| c.is_ascii_digit())
    };
    let (mut consts, others): (Vec<String>, Vec<String>) =
        vars.into_iter().partition(|v| is_constant_name(v));
    if others.is_empty() {
        return Vec::new();
    }
    consts.sort_by_key(|c| (c.to_lowercase(), c.clone()));
    consts
}

/// Renames the answer's arbitrary constants to the reference's (`c_1` → `C_1`, `K` → `C`)
/// when both have the same number of them under different names.
fn rename_constants(r: &Expr, a: &mut Expr) -> Option<String> {
    let rc = arbitrary_constants(r);
    if rc.is_empty() {
        return None;
    }
    let ac = arbitrary_constants(a);
    if rc.len() != ac.len() || rc == ac {
        return None;
    }
    let map: Vec<(String, String)> = ac.iter().cloned().zip(rc.iter().cloned()).collect();
    rename_vars(a, &map);
    Some(format!(
        "arbitrary constants renamed: {}",
        map.iter()
            .map(|(x, y)| format!("{x} → {y}"))
            .collect::<Vec<_>>()
            .join(", ")
    ))
}

fn rename_vars(e: &mut Expr, map: &[(String, String)]) {
    match e {
        Expr::Var(v) => {
            if let Some((_, to)) = map.iter().find(|(from, _)| from == v) {
                *v = to.clone();
            }
        }
        Expr::Num(_) | Expr::Based { .. } | Expr::Const(_) | Expr::Text(_) => {}
        Expr::Add(v)
        | Expr::Mul(v)
        | Expr::Tuple(v)
        | Expr::List(v)
        | Expr::Set(v)
        | Expr::Union(v)
        | Expr::Ratio(v)
        | Expr::Rel(v, _) => v.iter_mut().for_each(|x| rename_vars(x, map)),
        Expr::Neg(x) | Expr::Apply(_, x) | Expr::Percent(x) => rename_vars(x, map),
        Expr::Div(x, y)
        | Expr::Pow(x, y)
        | Expr::Root(x, y)
        | Expr::Log(x, y)
        | Expr::PlusMinus(x, y) => {
            rename_vars(x, map);
            rename_vars(y, map);
        }
        Expr::Interval { lo, hi, .. } => {
            rename_vars(lo, map);
            rename_vars(hi, map);
        }
        Expr::Matrix(rows) => rows.iter_mut().flatten().for_each(|x| rename_vars(x, map)),
    }
}

/// Expands `±` into two answers and unwraps one-element lists.
fn normalize(e: Expr) -> Expr {
    match e {
        Expr::PlusMinus(a, b) => Expr::List(expand_pm(*a, *b)),
        Expr::List(items) => {
            let mut out = Vec::new();
            for it in items {
                match it {
                    Expr::PlusMinus(a, b) => out.extend(expand_pm(*a, *b)),
                    other => out.push(other),
                }
            }
            if out.len() == 1 {
                out.pop().expect("one item")
            } else {
                Expr::List(out)
            }
        }
        Expr::Set(items) => {
            let mut out = Vec::new();
            for it in items {
                match it {
                    Expr::PlusMinus(a, b) => out.extend(expand_pm(*a, *b)),
                    other => out.push(other),
                }
            }
            Expr::Set(out)
        }
        // `x = 5 + 5 + 1 = 11`: a chain of equalities after a name; the last side is the answer.
        // A name further along the chain counts too: `1 = \\zzz = x = 0` names `\\zzz`.
        Expr::Rel(mut sides, ops)
            if sides.len() > 2
                && ops.iter().all(|o| *o == RelOp::Eq)
                && sides[..sides.len() - 1].iter().any(is_label) =>
        {
            let last = sides.pop().expect("three sides");
            let name = sides.into_iter().find(is_label).expect("checked");
            Expr::Rel(vec![name, last], vec![RelOp::Eq])
        }
        other => other,
    }
}

fn expand_pm(a: Expr, b: Expr) -> Vec<Expr> {
    vec![
        Expr::Add(vec![a.clone(), b.clone()]),
        Expr::Add(vec![a, Expr::Neg(Box::new(b))]),
    ]
}

/// `x = v`, `f(x) = v`, or `c = x` with a constant `c`: the value on the other side of the
/// name.
fn equation_value(e: &Expr) -> Option<&Expr> {
    match e {
        Expr::Rel(sides, ops) if ops == &[RelOp::Eq] => match (&sides[0], &sides[1]) {
            (name, v) if is_label(name) => Some(v),
            (v, name) if v.is_constant() && is_label(name) => Some(v),
            _ => None,
        },
        _ => None,
    }
}

/// `p = 5, q = 2, p = 7, q = 2`: assignments whose variables repeat in groups, as one
/// tuple per group (values ordered by variable name).
fn assignment_groups(items: &[Expr]) -> Option<Vec<Expr>> {
    let mut groups: Vec<Vec<Expr>> = vec![Vec::new()];
    for it in items {
        let Expr::Rel(sides, ops) = it else {
            return None;
        };
        let (Expr::Var(name), [RelOp::Eq]) = (&sides[0], ops.as_slice()) else {
            return None;
        };
        let current = groups.last_mut().expect("non-empty");
        let repeats = current
            .iter()
            .any(|e| matches!(e, Expr::Rel(s, _) if s[0] == Expr::Var(name.clone())));
        if repeats {
            groups.push(vec![it.clone()]);
        } else {
            current.push(it.clone());
        }
    }
    if groups.len() < 2
        || groups
            .iter()
            .any(|g| g.len() != groups[0].len() || g.len() < 2)
    {
        return None;
    }
    groups
        .iter()
        .map(|g| assignments_as_tuple(g).map(Expr::Tuple))
        .collect()
}

/// A name on the left of a labelled answer: a variable (`x`), a function as written in a
/// definition (`f(x)`, `g(x, y)`), a product of variables (`AB`), a tuple of variables
/// (`(p, q)`), an absolute value or quotient of those (`|AB|`, `\frac{NO}{BO}`), or a ratio of
/// those (`V_1 : V_2`). A name never contains a number, a sum or a power: `2x + z = 1` is an
/// equation, not a labelled `1`.
fn is_label(e: &Expr) -> bool {
    let var = |x: &Expr| matches!(x, Expr::Var(_));
    match e {
        Expr::Var(_) => true,
        Expr::Mul(f) => f
            .iter()
            .all(|x| var(x) || matches!(x, Expr::Tuple(args) if args.iter().all(var))),
        Expr::Tuple(items) => items.iter().all(var),
        Expr::Apply(Func::Abs, x) => is_label(x),
        Expr::Div(x, y) => is_label(x) && is_label(y),
        Expr::Ratio(parts) => parts.iter().all(is_label),
        _ => false,
    }
}

/// `x = 2, y = 3` (equations of distinct variables): the values ordered by variable name.
fn assignments_as_tuple(items: &[Expr]) -> Option<Vec<Expr>> {
    let mut pairs: Vec<(&str, &Expr)> = Vec::with_capacity(items.len());
    for it in items {
        match it {
            Expr::Rel(sides, ops) if ops == &[RelOp::Eq] => match &sides[0] {
                Expr::Var(name) if !pairs.iter().any(|(n, _)| n == name) => {
                    pairs.push((name, &sides[1]));
                }
                _ => return None,
            },
            _ => return None,
        }
    }
    pairs.sort_by(|a, b| a.0.cmp(b.0));
    Some(pairs.into_iter().map(|(_, v)| v.clone()).collect())
}

fn is_inequality(e: &Expr) -> bool {
    matches!(e, Expr::Rel(_, ops) if ops.iter().all(|o| !matches!(o, RelOp::Eq | RelOp::Ne)))
}

/// `x = 5` against `5`, `(p, q) = (3, 2)` against `(3, 2)`: the value after the label.
fn labelled_value(r: &Expr, a: &Expr, s: &Settings, budget: &mut Steps) -> Option<R> {
    let (r_rel, a_rel) = (matches!(r, Expr::Rel(..)), matches!(a, Expr::Rel(..)));
    if r_rel == a_rel {
        return None;
    }
    let rel = if r_rel { r } else { a };
    let (value, how) = match equation_value(rel) {
        Some(v) => (v, "value of `x = v` form"),
        None => match computation_result(rel, s, budget) {
            Ok(Some(v)) => (v, "result of a computation `a = b`"),
            Ok(None) => return None,
            Err(x) => return Some(Err(x)),
        },
    };
    let (rv, av) = if r_rel { (value, a) } else { (r, value) };
    Some(eq(rv, av, s, budget).map(|d| Decision {
        equal: d.equal,
        rule: format!("{how}: {}", d.rule),
    }))
}

/// `6 \cdot 7 = 42`, `5 + 5 + 1 = 11`: a true chain of equalities between numbers that
/// computes something; its last side is the answer. A statement such as `0 = 0` (no side
/// but the last is a computation) or a false chain (`\frac12 = \frac{10}{9}`) is not.
fn computation_result<'e>(
    e: &'e Expr,
    s: &Settings,
    budget: &mut Steps,
) -> Result<Option<&'e Expr>, Exhausted> {
    let Expr::Rel(sides, ops) = e else {
        return Ok(None);
    };
    if ops.iter().any(|o| *o != RelOp::Eq)
        || !sides.iter().all(|x| x.is_scalar() && x.is_constant())
        || sides[..sides.len() - 1]
            .iter()
            .all(|x| matches!(x, Expr::Num(_)))
    {
        return Ok(None);
    }
    let last = &sides[sides.len() - 1];
    for side in &sides[..sides.len() - 1] {
        if !scalar_eq(side, last, s, budget)?.equal {
            return Ok(None);
        }
    }
    Ok(Some(last))
}

fn eq(r: &Expr, a: &Expr, s: &Settings, budget: &mut Steps) -> R {
    budget.tick()?;
    if let Some(d) = labelled_value(r, a, s, budget) {
        let d = d?;
        // A labelled pair may still be an interval written as an inequality (handled below).
        if d.equal || !(is_interval_like(r) || is_interval_like(a)) {
            return Ok(d);
        }
    }
    match (r, a) {
        (Expr::Text(x), Expr::Text(y)) => {
            if x == y {
                yes("same text")
            } else {
                no("different text")
            }
        }
        (Expr::Text(_), _) | (_, Expr::Text(_)) => no("text compared with a mathematical answer"),
        (Expr::Rel(..), other) | (other, Expr::Rel(..))
            if !matches!(other, Expr::Rel(..)) && !is_interval_like(other) =>
        {
            no("a relation compared with a value")
        }
        (Expr::Ratio(x), Expr::Ratio(y)) => ratio_eq(x, y, s, budget),
        (Expr::List(x) | Expr::Set(x), Expr::List(y) | Expr::Set(y)) => {
            // `p = 5, q = 2; p = 7, q = 2` against `(5, 2), (7, 2)`.
            match (assignment_groups(x), assignment_groups(y)) {
                (Some(gx), None) => unordered(&gx, y, "solutions as tuples", s, budget),
                (None, Some(gy)) => unordered(x, &gy, "solutions as tuples", s, budget),
                _ => unordered(x, y, "unordered elements", s, budget),
            }
        }
        (Expr::List(x), y) | (y, Expr::List(x))
            if !matches!(y, Expr::List(_) | Expr::Set(_) | Expr::Tuple(_)) =>
        {
            // One answer given several times (`\boxed{\frac12} so \boxed{1/2}`).
            let mut rules = Vec::new();
            for item in x {
                let d = if matches!(r, Expr::List(_)) {
                    eq(item, y, s, budget)?
                } else {
                    eq(y, item, s, budget)?
                };
                if !d.equal {
                    return no(format!(
                        "different kinds of answer: a list of {} answers vs one",
                        x.len()
                    ));
                }
                rules.push(d.rule);
            }
            yes(format!(
                "the same answer listed {} times ({})",
                x.len(),
                rules[0]
            ))
        }
        (Expr::Union(x), Expr::Union(y)) => unordered(x, y, "union parts", s, budget),
        (Expr::Tuple(x), Expr::Tuple(y)) => ordered(x, y, "ordered elements", s, budget),
        (Expr::Tuple(t), Expr::List(l)) | (Expr::List(l), Expr::Tuple(t)) => {
            // `x = 2, y = 3` against `(2, 3)`: values in the order of the variable names.
            match assignments_as_tuple(l) {
                Some(values) => ordered(t, &values, "values of x = …, y = … as a tuple", s, budget),
                None => no("a list of answers compared with a tuple"),
            }
        }
        (Expr::Interval { .. }, Expr::Interval { .. }) => interval_eq(r, a, s, budget),
        (Expr::Tuple(x), Expr::Interval { .. }) | (Expr::Interval { .. }, Expr::Tuple(x))
            if x.len() == 2 =>
        {
            // `(a, b)` is both a point and an open interval.
            let t = Expr::Interval {
                lo: Box::new(x[0].clone()),
                hi: Box::new(x[1].clone()),
                lo_closed: false,
                hi_closed: false,
            };
            if matches!(r, Expr::Tuple(_)) {
                interval_eq(&t, a, s, budget)
            } else {
                interval_eq(r, &t, s, budget)
            }
        }
        (Expr::Rel(..), Expr::Rel(..)) => rel_eq(r, a, s, budget),
        (Expr::Matrix(_), other) | (other, Expr::Matrix(_))
            if !matches!(other, Expr::Matrix(_)) && matrix_value(other).is_some() =>
        {
            let folded = Expr::Matrix(matrix_value(other).expect("checked"));
            let d = if matches!(r, Expr::Matrix(_)) {
                eq(r, &folded, s, budget)?
            } else {
                eq(&folded, a, s, budget)?
            };
            Ok(Decision {
                equal: d.equal,
                rule: format!("matrix arithmetic: {}", d.rule),
            })
        }
        (Expr::Matrix(x), Expr::Matrix(y)) => {
            if x.len() != y.len() || x.iter().zip(y).any(|(p, q)| p.len() != q.len()) {
                return no("matrices of different shapes");
            }
            let xs: Vec<Expr> = x.iter().flatten().cloned().collect();
            let ys: Vec<Expr> = y.iter().flatten().cloned().collect();
            ordered(&xs, &ys, "matrix entries", s, budget)
        }
        (Expr::Matrix(m), Expr::Tuple(t)) | (Expr::Tuple(t), Expr::Matrix(m)) => {
            match as_vector(m) {
                Some(v) => ordered(&v, t, "vector entries", s, budget),
                None => no("a matrix compared with a tuple"),
            }
        }
        (
            Expr::Based {
                digits: d1,
                base: b1,
            },
            Expr::Based {
                digits: d2,
                base: b2,
            },
        ) => {
            let strip = |d: &str| d.trim_start_matches('0').to_string();
            if b1 == b2 && strip(d1) == strip(d2) {
                yes("same numeral in the same base")
            } else {
                no("different numerals or bases")
            }
        }
        _ if is_interval_like(r) && is_inequality(a) || is_inequality(r) && is_interval_like(a) => {
            match (as_intervals(r), as_intervals(a)) {
                (Some(x), Some(y)) => eq(&x, &y, s, budget),
                _ => no("an inequality that is not a range of one variable"),
            }
        }
        (Expr::Percent(x), y) if !matches!(y, Expr::Percent(_)) && y.is_scalar() => {
            percent_eq(x, r, y, s, budget)
        }
        (x, Expr::Percent(y)) if !matches!(x, Expr::Percent(_)) && x.is_scalar() => {
            percent_eq(y, a, x, s, budget)
        }
        (Expr::Percent(x), Expr::Percent(y)) => scalar_eq(x, y, s, budget),
        _ if r.is_scalar() && a.is_scalar() => scalar_eq(r, a, s, budget),
        _ => no(format!(
            "different kinds of answer: {} vs {}",
            kind(r),
            kind(a)
        )),
    }
}

/// `25\%` against a number without `%`, by the [`PercentPolicy`]: under `Unit` (the
/// default) the number written before `%` is compared (`25\% = 25`, `25\% ≠ 0.25`); under
/// `Value` the percentage is ÷100 (`25\% = 0.25`, `25\% ≠ 25`). Never both.
fn percent_eq(inner: &Expr, with_pct: &Expr, bare: &Expr, s: &Settings, budget: &mut Steps) -> R {
    let (d, how) = match s.percent {
        PercentPolicy::Unit => (scalar_eq(inner, bare, s, budget)?, "percent as a unit"),
        PercentPolicy::Value => (scalar_eq(with_pct, bare, s, budget)?, "percent as ÷100"),
    };
    Ok(Decision {
        equal: d.equal,
        rule: format!("{how}: {}", d.rule),
    })
}

/// Ratios: equal part by part, or proportional when no part is zero (`2:4` is `1:2`).
fn ratio_eq(x: &[Expr], y: &[Expr], s: &Settings, budget: &mut Steps) -> R {
    if x.len() != y.len() {
        return no(format!("ratios of {} and {} parts", x.len(), y.len()));
    }
    let d = ordered(x, y, "ratio parts", s, budget)?;
    if d.equal {
        return Ok(d);
    }
    let zero = Expr::int(0);
    for part in x.iter().chain(y) {
        if !part.is_scalar() || scalar_eq(part, &zero, s, budget)?.equal {
            return Ok(d);
        }
    }
    for i in 1..x.len() {
        let lhs = Expr::Mul(vec![x[i].clone(), y[0].clone()]);
        let rhs = Expr::Mul(vec![y[i].clone(), x[0].clone()]);
        if !scalar_eq(&lhs, &rhs, s, budget)?.equal {
            return Ok(d);
        }
    }
    yes("ratios: proportional")
}

fn kind(e: &Expr) -> &'static str {
    match e {
        Expr::Tuple(_) => "tuple",
        Expr::List(_) => "list of answers",
        Expr::Set(_) => "set",
        Expr::Interval { .. } => "interval",
        Expr::Union(_) => "union",
        Expr::Matrix(_) => "matrix",
        Expr::Rel(..) => "relation",
        Expr::Ratio(_) => "ratio",
        Expr::Text(_) => "text",
        Expr::Based { .. } => "numeral in a base",
        _ => "number or expression",
    }
}

/// Intervals, unions, and pairs `(a, b)` (which may be open intervals).
fn is_interval_like(e: &Expr) -> bool {
    matches!(e, Expr::Interval { .. } | Expr::Union(_))
        || matches!(e, Expr::Tuple(t) if t.len() == 2)
}

fn as_vector(m: &[Vec<Expr>]) -> Option<Vec<Expr>> {
    if m.len() == 1 {
        Some(m[0].clone())
    } else if m.iter().all(|row| row.len() == 1) {
        Some(m.iter().map(|row| row[0].clone()).collect())
    } else {
        None
    }
}

fn infinity(sign: bool) -> Expr {
    let inf = Expr::Const(Constant::Infinity);
    if sign {
        inf
    } else {
        Expr::Neg(Box::new(inf))
    }
}

/// The interval form of a one-variable inequality (`x > 2` is `(2, ∞)`), or the
/// interval/union itself.
fn as_intervals(e: &Expr) -> Option<Expr> {
    let Expr::Rel(sides, ops) = e else {
        return Some(match e {
            Expr::Tuple(t) if t.len() == 2 => Expr::Interval {
                lo: Box::new(t[0].clone()),
                hi: Box::new(t[1].clone()),
                lo_closed: false,
                hi_closed: false,
            },
            other => other.clone(),
        });
    };
    let interval = |lo: Expr, hi: Expr, lo_closed, hi_closed| Expr::Interval {
        lo: Box::new(lo),
        hi: Box::new(hi),
        lo_closed,
        hi_closed,
    };
    let is_var = |x: &Expr| is_label(x) && !matches!(x, Expr::Tuple(_) | Expr::Ratio(_));
    match (sides.as_slice(), ops.as_slice()) {
        ([v, c], [op]) | ([c, v], [op]) if is_var(v) && c.is_constant() => {
            // Orient as `v op c`.
            let op = if is_var(&sides[0]) { *op } else { op.flipped() };
            Some(match op {
                RelOp::Lt => interval(infinity(false), c.clone(), false, false),
                RelOp::Le => interval(infinity(false), c.clone(), false, true),
                RelOp::Gt => interval(c.clone(), infinity(true), false, false),
                RelOp::Ge => interval(c.clone(), infinity(true), true, false),
                _ => return None,
            })
        }
        // `1 \le |z| \le \frac32`: two intervals, symmetric about 0.
        ([a, Expr::Apply(Func::Abs, v), b], [o1, o2])
            if matches!(**v, Expr::Var(_))
                && a.is_constant()
                && b.is_constant()
                && matches!(o1, RelOp::Lt | RelOp::Le)
                && matches!(o2, RelOp::Lt | RelOp::Le) =>
        {
            let (lc, hc) = (*o1 == RelOp::Le, *o2 == RelOp::Le);
            let neg = |x: &Expr| Expr::Neg(Box::new(x.clone()));
            Some(Expr::Union(vec![
                interval(neg(b), neg(a), hc, lc),
                interval(a.clone(), b.clone(), lc, hc),
            ]))
        }
        ([a, v, b], [o1, o2]) if is_var(v) && !matches!(v, Expr::Apply(..)) => {
            let lower = |o: &RelOp| matches!(o, RelOp::Lt | RelOp::Le);
            let greater = |o: &RelOp| matches!(o, RelOp::Gt | RelOp::Ge);
            if lower(o1) && lower(o2) {
                Some(interval(
                    a.clone(),
                    b.clone(),
                    *o1 == RelOp::Le,
                    *o2 == RelOp::Le,
                ))
            } else if greater(o1) && greater(o2) {
                Some(interval(
                    b.clone(),
                    a.clone(),
                    *o2 == RelOp::Ge,
                    *o1 == RelOp::Ge,
                ))
            } else {
                None
            }
        }
        ([lhs, rhs], [op]) => {
            let (v, root, increasing) = solve_linear(lhs, rhs)?;
            let op = if increasing { *op } else { op.flipped() };
            let c = Expr::Num(root);
            let _ = v;
            Some(match op {
                RelOp::Lt => interval(infinity(false), c, false, false),
                RelOp::Le => interval(infinity(false), c, false, true),
                RelOp::Gt => interval(c, infinity(true), false, false),
                RelOp::Ge => interval(c, infinity(true), true, false),
                _ => return None,
            })
        }
        _ => None,
    }
}

/// `lhs − rhs` as `a·v + b` in its one variable `v` (checked exactly at four points):
/// returns `v`, the root `−b/a`, and whether `a > 0`. `-x > -1` is `x < 1`.
fn solve_linear(lhs: &Expr, rhs: &Expr) -> Option<(String, BigRational, bool)> {
    let f = Expr::Add(vec![lhs.clone(), Expr::Neg(Box::new(rhs.clone()))]);
    let mut vars = Vec::new();
    f.collect_vars(&mut vars);
    let [v] = vars.as_slice() else {
        return None;
    };
    let budget = &mut Steps::new(20_000);
    let at = |x: BigRational, budget: &mut Steps| -> Option<BigRational> {
        let g = eval_exact(&f, &[(v.clone(), x)], budget).ok()?;
        g.is_real().then_some(g.re)
    };
    let q = |n: i64, d: i64| BigRational::new(n.into(), d.into());
    let f0 = at(q(0, 1), budget)?;
    let f1 = at(q(1, 1), budget)?;
    let a = &f1 - &f0;
    if a.is_zero() {
        return None;
    }
    for (n, d) in [(2, 1), (-7, 3)] {
        if at(q(n, d), budget)? != &f0 + &a * q(n, d) {
            return None;
        }
    }
    Some((v.clone(), -f0 / &a, a.is_positive()))
}

fn interval_eq(r: &Expr, a: &Expr, s: &Settings, budget: &mut Steps) -> R {
    let (
        Expr::Interval {
            lo: l1,
            hi: h1,
            lo_closed: lc1,
            hi_closed: hc1,
        },
        Expr::Interval {
            lo: l2,
            hi: h2,
            lo_closed: lc2,
            hi_closed: hc2,
        },
    ) = (r, a)
    else {
        return no("not intervals");
    };
    if lc1 != lc2 || hc1 != hc2 {
        return no("interval endpoints differ in openness");
    }
    let lo = scalar_eq(l1, l2, s, budget)?;
    if !lo.equal {
        return no(format!("lower endpoints differ ({})", lo.rule));
    }
    let hi = scalar_eq(h1, h2, s, budget)?;
    if !hi.equal {
        return no(format!("upper endpoints differ ({})", hi.rule));
    }
    yes(format!("interval endpoints ({})", lo.rule))
}

fn ordered(x: &[Expr], y: &[Expr], what: &str, s: &Settings, budget: &mut Steps) -> R {
    if x.len() != y.len() {
        return no(format!("{what}: {} vs {} elements", x.len(), y.len()));
    }
    let mut rules = Vec::new();
    for (i, (p, q)) in x.iter().zip(y).enumerate() {
        let d = eq(p, q, s, budget)?;
        if !d.equal {
            return no(format!("{what}: element {} differs ({})", i + 1, d.rule));
        }
        if !rules.contains(&d.rule) {
            rules.push(d.rule);
        }
    }
    yes(format!(
        "{what}: all {} equal ({})",
        x.len(),
        rules.join("; ")
    ))
}

fn unordered(x: &[Expr], y: &[Expr], what: &str, s: &Settings, budget: &mut Steps) -> R {
    if x.len().max(y.len()) > MAX_ELEMENTS {
        return Err(Exhausted::TooLarge(format!(
            "more than {MAX_ELEMENTS} elements"
        )));
    }
    if x.len() != y.len() {
        // Different lengths can still be the same set when one repeats an element.
        let covers = |p: &[Expr], q: &[Expr], budget: &mut Steps| -> Result<bool, Exhausted> {
            for a in p {
                let mut found = false;
                for b in q {
                    if eq(a, b, s, budget)?.equal {
                        found = true;
                        break;
                    }
                }
                if !found {
                    return Ok(false);
                }
            }
            Ok(true)
        };
        if covers(x, y, budget)? && covers(y, x, budget)? {
            return yes(format!(
                "{what}: the same elements ({} and {} listed, repeats ignored)",
                x.len(),
                y.len()
            ));
        }
        return no(format!("{what}: {} vs {} elements", x.len(), y.len()));
    }
    let mut used = vec![false; y.len()];
    let mut rules = Vec::new();
    for p in x {
        let mut found = false;
        for (j, q) in y.iter().enumerate() {
            if used[j] {
                continue;
            }
            let d = eq(p, q, s, budget)?;
            if d.equal {
                used[j] = true;
                found = true;
                if !rules.contains(&d.rule) {
                    rules.push(d.rule);
                }
                break;
            }
        }
        if !found {
            return no(format!("{what}: `{p}` has no equal counterpart"));
        }
    }
    yes(format!(
        "{what}: all {} matched ({})",
        x.len(),
        rules.join("; ")
    ))
}

/// The entries of a sum or product of matrices (`A + B`, `AB`, `2A`, `-A`), when shapes
/// agree, as expressions; `None` for anything else.
fn matrix_value(e: &Expr) -> Option<Vec<Vec<Expr>>> {
    const MAX_ENTRIES: usize = 1_024;
    let shape = |m: &Vec<Vec<Expr>>| (m.len(), m.first().map_or(0, Vec::len));
    match e {
        Expr::Matrix(m) => {
            let (r, c) = shape(m);
            (r * c <= MAX_ENTRIES && m.iter().all(|row| row.len() == c)).then(|| m.clone())
        }
        Expr::Neg(x) => Some(
            matrix_value(x)?
                .into_iter()
                .map(|row| row.into_iter().map(|v| Expr::Neg(Box::new(v))).collect())
                .collect(),
        ),
        Expr::Add(terms) => {
            let mut acc = matrix_value(terms.first()?)?;
            for t in &terms[1..] {
                let m = matrix_value(t)?;
                if shape(&m) != shape(&acc) {
                    return None;
                }
                for (ra, rm) in acc.iter_mut().zip(m) {
                    for (va, vm) in ra.iter_mut().zip(rm) {
                        *va = Expr::Add(vec![std::mem::replace(va, Expr::int(0)), vm]);
                    }
                }
            }
            Some(acc)
        }
        Expr::Mul(factors) => {
            // Products grow their entries: at most three matrices of at most 64 entries.
            const MAX_PRODUCT_ENTRIES: usize = 64;
            let matrices = factors
                .iter()
                .filter(|f| !f.is_scalar() || matches!(f, Expr::Add(_) | Expr::Mul(_)))
                .count();
            if matrices > 3 {
                return None;
            }
            let mut acc: Option<Vec<Vec<Expr>>> = None;
            let mut scalars = Vec::new();
            for f in factors {
                if f.is_scalar() && !matches!(f, Expr::Add(_) | Expr::Mul(_) | Expr::Neg(_)) {
                    scalars.push(f.clone());
                    continue;
                }
                let m = matrix_value(f)?;
                if matrices > 1 && m.len() * m.first().map_or(0, Vec::len) > MAX_PRODUCT_ENTRIES {
                    return None;
                }
                acc = Some(match acc {
                    None => m,
                    Some(a) => {
                        let ((ar, ac), (mr, mc)) = (shape(&a), shape(&m));
                        if ac != mr || ar * mc > MAX_ENTRIES {
                            return None;
                        }
                        (0..ar)
                            .map(|i| {
                                (0..mc)
                                    .map(|j| {
                                        Expr::Add(
                                            (0..ac)
                                                .map(|k| {
                                                    Expr::Mul(vec![
                                                        a[i][k].clone(),
                                                        m[k][j].clone(),
                                                    ])
                                                })
                                                .collect(),
                                        )
                                    })
                                    .collect()
                            })
                            .collect()
                    }
                });
            }
            let m = acc?;
            Some(
                m.into_iter()
                    .map(|row| {
                        row.into_iter()
                            .map(|v| {
                                let mut f = scalars.clone();
                                f.push(v);
                                Expr::Mul(f)
                            })
                            .collect()
                    })
                    .collect(),
            )
        }
        _ => None,
    }
}

fn rel_eq(r: &Expr, a: &Expr, s: &Settings, budget: &mut Steps) -> R {
    let (Expr::Rel(rs, ro), Expr::Rel(as_, ao)) = (r, a) else {
        return no("not relations");
    };
    if ro == &[RelOp::Eq] && ao == &[RelOp::Eq] {
        return equation_eq(&rs[0], &rs[1], &as_[0], &as_[1], s, budget);
    }
    if let (Some(x), Some(y)) = (as_intervals(r), as_intervals(a)) {
        if !matches!(x, Expr::Rel(..)) && !matches!(y, Expr::Rel(..)) {
            let d = eq(&x, &y, s, budget)?;
            return Ok(Decision {
                equal: d.equal,
                rule: format!("inequalities as intervals: {}", d.rule),
            });
        }
    }
    if ro.len() != ao.len() {
        return no("relations of different lengths");
    }
    if ro == ao {
        let d = ordered(rs, as_, "relation sides", s, budget)?;
        if d.equal {
            return Ok(d);
        }
    }
    let flipped: Vec<RelOp> = ao.iter().rev().map(|o| o.flipped()).collect();
    if *ro == flipped {
        let rev: Vec<Expr> = as_.iter().rev().cloned().collect();
        return ordered(rs, &rev, "relation sides (reversed)", s, budget);
    }
    no("different relations")
}

/// A value computed at one point: exact when possible.
enum Val {
    Exact(Gauss),
    Approx(Complex),
}

impl Val {
    fn approx(&self) -> Complex {
        match self {
            Val::Exact(g) => Complex {
                re: Fixed::from_rational(&g.re),
                im: Fixed::from_rational(&g.im),
            },
            Val::Approx(c) => c.clone(),
        }
    }

    fn is_real(&self) -> bool {
        match self {
            Val::Exact(g) => g.is_real(),
            Val::Approx(c) => c.is_real(),
        }
    }

    fn is_zero(&self) -> bool {
        match self {
            Val::Exact(g) => g.is_zero(),
            Val::Approx(c) => numerically_equal(c, &Complex::real(Fixed::zero())),
        }
    }

    fn mul(&self, o: &Val) -> Result<Val, EvalError> {
        Ok(match (self, o) {
            (Val::Exact(a), Val::Exact(b)) => Val::Exact(a.mul(b)),
            _ => Val::Approx(self.approx().mul(&o.approx())?),
        })
    }

    fn same(&self, o: &Val) -> bool {
        match (self, o) {
            (Val::Exact(a), Val::Exact(b)) => a == b,
            _ => numerically_equal(&self.approx(), &o.approx()),
        }
    }
}

fn value(e: &Expr, vars: &[(String, BigRational)], budget: &mut Steps) -> Result<Val, EvalError> {
    match eval_exact(e, vars, budget) {
        Ok(g) => Ok(Val::Exact(g)),
        Err(EvalError::NotExact) => eval_numeric(e, vars, budget).map(Val::Approx),
        Err(other) => Err(other),
    }
}

/// The value given to variable `name` at point `j`: depends only on the name and the
/// point, so both sides see the same value. Points cycle through a positive integer, a
/// negative integer (so `|x|` and `x` differ), and a fraction (so expressions that agree
/// only on integers differ); magnitudes stay below 30 so that `e^{x^2}` or `\sin(x^3)`
/// remain computable, and integers keep exact arithmetic cheap. Points where a side is
/// undefined (`\ln x` at negative `x`) or too large to compute are skipped.
fn point_value(name: &str, j: usize) -> BigRational {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes().chain((j as u64).to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h ^= h >> 29;
    let sign = if j % 3 == 1 { -1 } else { 1 };
    let num = sign * (2 + (h % 28) as i64);
    let den = if j % 3 == 2 {
        2 + ((h >> 17) % 11) as i64
    } else {
        1
    };
    BigRational::new(BigInt::from(num), BigInt::from(den))
}

fn assignment(vars: &[String], j: usize) -> Vec<(String, BigRational)> {
    vars.iter()
        .map(|v| (v.clone(), point_value(v, j)))
        .collect()
}

fn vars_of(a: &Expr, b: &Expr) -> Vec<String> {
    let mut vars = Vec::new();
    a.collect_vars(&mut vars);
    b.collect_vars(&mut vars);
    vars
}

/// Whether an expression names the imaginary unit (its answer is complex by intent).
fn mentions_i(e: &Expr) -> bool {
    let mut found = false;
    e.walk(&mut |x| found |= matches!(x, Expr::Const(Constant::I)));
    found
}

fn infinity_sign(e: &Expr) -> Option<bool> {
    match e {
        Expr::Const(Constant::Infinity) => Some(true),
        Expr::Neg(x) => infinity_sign(x).map(|s| !s),
        _ => None,
    }
}

fn scalar_eq(r: &Expr, a: &Expr, s: &Settings, budget: &mut Steps) -> R {
    match (infinity_sign(r), infinity_sign(a)) {
        (Some(x), Some(y)) if x == y => return yes("same infinity"),
        (Some(_), _) | (_, Some(_)) => return no("infinity compared with a different value"),
        _ => {}
    }
    let vars = vars_of(r, a);
    if vars.is_empty() {
        return match compare_at(r, a, &[], s, budget)? {
            Point::Same(rule) => yes(rule),
            Point::Differ(rule, _) => no(rule),
            Point::Skip(EvalError::Exhausted(x)) => Err(x),
            Point::Skip(e) => no(e.to_string()),
        };
    }
    let needed = s.points.clamp(1, 3);
    // Expressions are compared where both are real (even roots of negatives undefined),
    // unless an answer is complex by intent; if too few such points exist, over ℂ.
    let mentions_i = mentions_i(r) || mentions_i(a);
    let mut run = sample(r, a, &vars, s, budget, !mentions_i)?;
    if !mentions_i && run.differ.is_none() && run.agreed < needed {
        run = sample(r, a, &vars, s, budget, false)?;
    }
    if let Some(d) = run.differ {
        return no(d);
    }
    let Sampled {
        agreed,
        rule,
        skipped_points,
        skipped,
        ..
    } = run;
    if agreed >= needed {
        if skipped_points > 0 {
            return yes(format!(
                "symbolic: equal at {agreed} random points ({rule}); restricted domain: \
                 {skipped_points} point(s) skipped where a side is undefined or not real"
            ));
        }
        return yes(format!(
            "symbolic: equal at {agreed} random points ({rule})"
        ));
    }
    match skipped {
        // Too few points, because values grew too large: nothing was decided.
        Some(EvalError::Exhausted(x)) => Err(x),
        other => no(format!(
            "symbolic: only {agreed} of {} points could be evaluated{}",
            s.points,
            other.map(|e| format!(" ({e})")).unwrap_or_default()
        )),
    }
}

/// What the sample points said.
struct Sampled {
    agreed: usize,
    rule: String,
    differ: Option<String>,
    skipped_points: usize,
    skipped: Option<EvalError>,
}

fn sample(
    r: &Expr,
    a: &Expr,
    vars: &[String],
    s: &Settings,
    budget: &mut Steps,
    real: bool,
) -> Result<Sampled, Exhausted> {
    let _guard = real.then(crate::exact::real_only);
    let mut out = Sampled {
        agreed: 0,
        rule: String::new(),
        differ: None,
        skipped_points: 0,
        skipped: None,
    };
    for j in 0..s.points.max(1) {
        let point = assignment(vars, j);
        match compare_at(r, a, &point, s, budget)? {
            Point::Same(rule) => {
                out.agreed += 1;
                out.rule = rule;
            }
            // Over the reals a complex value cannot come out; skip the point if it does.
            Point::Differ(_, false) if real => out.skipped_points += 1,
            Point::Differ(rule, _) => {
                let at: Vec<String> = point.iter().map(|(n, v)| format!("{n} = {v}")).collect();
                out.differ = Some(format!("symbolic: differ at {} ({rule})", at.join(", ")));
                return Ok(out);
            }
            Point::Skip(e) => {
                out.skipped_points += 1;
                out.skipped = Some(e);
            }
        }
    }
    Ok(out)
}

/// The comparison of two scalars at one point.
enum Point {
    /// Equal, by the named rule.
    Same(String),
    /// Different, by the named rule; `false` when a side is not real there.
    Differ(String, bool),
    /// Not comparable at this point: a side is undefined there, unsupported, or too large
    /// to evaluate.
    Skip(EvalError),
}

/// Compares two scalars at one point. Only running out of steps or time is an error: a
/// value too large to compute at this point is a [`Point::Skip`].
fn compare_at(
    r: &Expr,
    a: &Expr,
    point: &[(String, BigRational)],
    s: &Settings,
    budget: &mut Steps,
) -> Result<Point, Exhausted> {
    let vr = value(r, point, budget);
    let va = value(a, point, budget);
    let (vr, va) = match (vr, va) {
        (Ok(x), Ok(y)) => (x, y),
        (Err(EvalError::Exhausted(e @ (Exhausted::Steps | Exhausted::Deadline))), _)
        | (_, Err(EvalError::Exhausted(e @ (Exhausted::Steps | Exhausted::Deadline)))) => {
            return Err(e)
        }
        (Err(e), _) | (_, Err(e)) => return Ok(Point::Skip(e)),
    };
    let exact = matches!((&vr, &va), (Val::Exact(_), Val::Exact(_)));
    if vr.same(&va) {
        return Ok(Point::Same(
            if exact {
                "exact rational"
            } else {
                "numeric: agree to 128 bits"
            }
            .into(),
        ));
    }
    // A decimal answer to a reference no decimal can write exactly (1/3, √2, π) may be
    // accepted within the configured tolerance; a terminating reference never.
    if let (Some(tol), true) = (s.decimal_tolerance, s.answer_has_decimal) {
        let terminating = matches!(&vr, Val::Exact(g) if g.is_terminating_decimal());
        if !terminating && relative_difference(&vr.approx(), &va.approx()) <= tol {
            return Ok(Point::Same(format!(
                "decimal within relative tolerance {tol:e}"
            )));
        }
    }
    let real = vr.is_real() && va.is_real();
    Ok(Point::Differ(
        if exact {
            "exact rational: different values"
        } else {
            "numeric: different values"
        }
        .into(),
        real,
    ))
}

/// Equations are equal when `l1 − r1` is a non-zero constant multiple of `l2 − r2`.
fn equation_eq(l1: &Expr, r1: &Expr, l2: &Expr, r2: &Expr, s: &Settings, budget: &mut Steps) -> R {
    let f = Expr::Add(vec![l1.clone(), Expr::Neg(Box::new(r1.clone()))]);
    let g = Expr::Add(vec![l2.clone(), Expr::Neg(Box::new(r2.clone()))]);
    let vars = vars_of(&f, &g);
    if vars.is_empty() {
        // Two numeric statements: compare side by side.
        let d = ordered(
            &[l1.clone(), r1.clone()],
            &[l2.clone(), r2.clone()],
            "equation sides",
            s,
            budget,
        )?;
        return Ok(d);
    }
    let mut samples: Vec<(Val, Val)> = Vec::new();
    for j in 0..s.points.max(3) + 2 {
        let point = assignment(&vars, j);
        match (value(&f, &point, budget), value(&g, &point, budget)) {
            (Ok(x), Ok(y)) => samples.push((x, y)),
            (Err(EvalError::Exhausted(e)), _) | (_, Err(EvalError::Exhausted(e))) => return Err(e),
            _ => {}
        }
    }
    if samples.len() < 3 {
        return no("equations: too few points could be evaluated");
    }
    let Some(pivot) = samples
        .iter()
        .position(|(x, y)| !x.is_zero() && !y.is_zero())
    else {
        let all_zero = samples.iter().all(|(x, y)| x.is_zero() && y.is_zero());
        return if all_zero {
            yes("equations: both identities")
        } else {
            no("equations: different solution sets")
        };
    };
    let (fp, gp) = (&samples[pivot].0, &samples[pivot].1);
    for (x, y) in &samples {
        let lhs = x.mul(gp);
        let rhs = fp.mul(y);
        match (lhs, rhs) {
            (Ok(p), Ok(q)) if p.same(&q) => {}
            (Err(EvalError::Exhausted(e)), _) | (_, Err(EvalError::Exhausted(e))) => return Err(e),
            _ => return no("equations: not proportional (different solution sets)"),
        }
    }
    yes(format!(
        "equations: proportional at {} random points",
        samples.len()
    ))
}

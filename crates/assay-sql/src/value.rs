//! SQLite values, result sets, and the canonical form in which two values are compared.
//!
//! # Value comparison rules
//!
//! Results are compared cell by cell on a canonical form ([`Key`]), the same in every mode:
//!
//! - **Numbers compare by value across storage classes**: `1`, `1.0` and `1e0` are equal. A real
//!   with an integral value that fits in an `i64` is the integer; `-0.0` is `0`.
//! - **Reals are rounded to 12 significant digits** before comparing, so `0.1 + 0.2` equals
//!   `0.3` (a gold `AVG(x)` and a predicted `SUM(x) / COUNT(x)` agree), while `1e-7` and `2e-7`
//!   stay different.
//! - **NULL equals NULL** (as a result value, unlike SQL's `NULL = NULL`), and nothing else.
//! - **Text never equals a number**: `'1'` is not `1`. Text compares byte for byte (case and
//!   whitespace matter), as does a blob; a blob never equals text.

use std::cmp::Ordering;
use std::hash::{Hash, Hasher};

use serde::Serialize;

/// One SQLite value as the query returned it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// A 64-bit integer.
    Integer(i64),
    /// A 64-bit float.
    Real(f64),
    /// UTF-8 text (invalid UTF-8 is replaced).
    Text(String),
    /// Bytes.
    Blob(Vec<u8>),
}

impl Value {
    /// Copies a value out of a row.
    pub fn from_ref(value: rusqlite::types::ValueRef<'_>) -> Self {
        use rusqlite::types::ValueRef;
        match value {
            ValueRef::Null => Value::Null,
            ValueRef::Integer(i) => Value::Integer(i),
            ValueRef::Real(r) => Value::Real(r),
            ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Value::Blob(b.to_vec()),
        }
    }

    /// Approximate heap and inline size in bytes, for the result-size cap.
    pub fn size(&self) -> usize {
        let heap = match self {
            Value::Text(t) => t.len(),
            Value::Blob(b) => b.len(),
            _ => 0,
        };
        std::mem::size_of::<Value>() + heap
    }

    /// The canonical form under which values compare (see the module docs).
    pub fn key(&self) -> Key<'_> {
        match self {
            Value::Null => Key::Null,
            Value::Integer(i) => Key::Int(*i),
            Value::Real(r) => real_key(*r),
            Value::Text(t) => Key::Text(t),
            Value::Blob(b) => Key::Blob(b),
        }
    }
}

/// Significant digits kept when comparing reals.
const REAL_DIGITS: usize = 12;

fn real_key(r: f64) -> Key<'static> {
    if !r.is_finite() {
        return Key::Real(r.to_bits());
    }
    // Round to REAL_DIGITS significant digits through the decimal representation, which is
    // exact about where the rounding boundary lies.
    let rounded: f64 = format!("{:.*e}", REAL_DIGITS - 1, r).parse().unwrap_or(r);
    // i64 range as floats: [-2^63, 2^63).
    if rounded.fract() == 0.0
        && (-9.223_372_036_854_776e18..9.223_372_036_854_776e18).contains(&rounded)
    {
        return Key::Int(rounded as i64);
    }
    Key::Real(rounded.to_bits())
}

/// The canonical, comparable form of a [`Value`]. Equality and hashing follow the module's
/// comparison rules; the order is total (used to sort column signatures), not SQL's order.
#[derive(Debug, Clone, Copy)]
pub enum Key<'a> {
    /// NULL.
    Null,
    /// An integer, or a real with an integral value.
    Int(i64),
    /// A non-integral real, rounded, as its bit pattern.
    Real(u64),
    /// Text.
    Text(&'a str),
    /// Bytes.
    Blob(&'a [u8]),
}

impl Key<'_> {
    fn rank(&self) -> u8 {
        match self {
            Key::Null => 0,
            Key::Int(_) => 1,
            Key::Real(_) => 2,
            Key::Text(_) => 3,
            Key::Blob(_) => 4,
        }
    }
}

impl PartialEq for Key<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Key<'_> {}

impl PartialOrd for Key<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key<'_> {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Key::Int(a), Key::Int(b)) => a.cmp(b),
            (Key::Real(a), Key::Real(b)) => f64::from_bits(*a).total_cmp(&f64::from_bits(*b)),
            (Key::Text(a), Key::Text(b)) => a.cmp(b),
            (Key::Blob(a), Key::Blob(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

impl Hash for Key<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.rank().hash(state);
        match self {
            Key::Null => {}
            Key::Int(i) => i.hash(state),
            Key::Real(bits) => bits.hash(state),
            Key::Text(t) => t.hash(state),
            Key::Blob(b) => b.hash(state),
        }
    }
}

/// The rows a query returned, with its column names.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResultSet {
    /// Column names as SQLite reports them.
    pub columns: Vec<String>,
    /// Rows, each with one value per column, in the order SQLite returned them.
    pub rows: Vec<Vec<Value>>,
}

impl ResultSet {
    /// Approximate bytes the result takes in memory.
    pub fn size(&self) -> usize {
        let names: usize = self.columns.iter().map(String::len).sum();
        let cells: usize = self.rows.iter().flatten().map(Value::size).sum();
        names + cells + self.rows.len() * std::mem::size_of::<Vec<Value>>()
    }

    /// The canonical keys of one row.
    pub fn row_keys(&self, row: usize) -> Vec<Key<'_>> {
        self.rows[row].iter().map(Value::key).collect()
    }

    /// A short JSON preview of the first `n` rows, for explanations.
    pub fn preview(&self, n: usize) -> serde_json::Value {
        serde_json::json!({
            "columns": self.columns,
            "rows": &self.rows[..self.rows.len().min(n)],
            "row_count": self.rows.len(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparison_rules() {
        use Value::*;
        let equal = [
            (Integer(1), Real(1.0)),
            (Real(-0.0), Integer(0)),
            (Real(0.1 + 0.2), Real(0.3)),
            (Real(2.0 / 3.0), Real(0.666_666_666_666_7)),
            (Null, Null),
            (Text("a b".into()), Text("a b".into())),
            (Integer(i64::MAX), Integer(i64::MAX)),
        ];
        for (a, b) in &equal {
            assert_eq!(a.key(), b.key(), "{a:?} should equal {b:?}");
        }
        let different = [
            (Integer(1), Text("1".into())),
            (Real(1.5), Text("1.5".into())),
            (Null, Integer(0)),
            (Null, Text(String::new())),
            (Real(1e-7), Real(2e-7)),
            (Real(2f64.powi(-60)), Real(2f64.powi(-61))),
            (Text("A".into()), Text("a".into())),
            (Text("a".into()), Text("a ".into())),
            (Text("ab".into()), Blob(b"ab".to_vec())),
            (Integer(1), Real(1.000_001)),
        ];
        for (a, b) in &different {
            assert_ne!(a.key(), b.key(), "{a:?} should differ from {b:?}");
        }
    }

    #[test]
    fn equal_keys_hash_equally() {
        use std::collections::HashSet;
        let values = [Value::Integer(3), Value::Real(3.0)];
        let set: HashSet<Key<'_>> = values.iter().map(Value::key).collect();
        assert_eq!(set.len(), 1);
    }
}

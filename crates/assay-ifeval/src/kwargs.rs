//! Reading the kwargs of IFBench and training instructions (IFBench spec §1.2): their drivers drop
//! only `null` values, so `0`, `""` and `false` are values here (unlike IFEval through lm-eval).
//! Where the official checker would draw a random value (a kwarg absent or out of its range),
//! this is an error that names the kwarg.

use serde_json::{Map, Value};

/// The kwargs of one instruction.
pub struct Args<'a> {
    /// The instruction id, for messages.
    pub id: &'a str,
    /// The kwargs object.
    pub map: &'a Map<String, Value>,
}

impl Args<'_> {
    /// The value of `key`, unless absent or null.
    pub fn get(&self, key: &str) -> Option<&Value> {
        self.map.get(key).filter(|v| !v.is_null())
    }

    /// The error for a kwarg the checker cannot do without.
    pub fn missing(&self, key: &str) -> String {
        format!(
            "{}: missing kwarg `{key}` (the official checker would draw a random value)",
            self.id
        )
    }

    /// A string kwarg.
    pub fn string(&self, key: &str) -> Result<String, String> {
        match self.get(key) {
            Some(Value::String(s)) => Ok(s.clone()),
            Some(other) => Err(format!(
                "{}: kwarg `{key}` must be a string, got {other}",
                self.id
            )),
            None => Err(self.missing(key)),
        }
    }

    /// A string kwarg that the checker replaces by a random one when it is empty.
    pub fn nonempty_string(&self, key: &str) -> Result<String, String> {
        let s = self.string(key)?;
        if s.is_empty() {
            return Err(format!(
                "{}: kwarg `{key}` is empty (the official checker would draw a random value)",
                self.id
            ));
        }
        Ok(s)
    }

    /// A number kwarg (integer or float, as the data stores them), at least 0.
    pub fn number(&self, key: &str) -> Result<f64, String> {
        match self.get(key) {
            Some(Value::Number(n)) => {
                let x = n.as_f64().unwrap_or(f64::NAN);
                if x.is_finite() && x >= 0.0 {
                    Ok(x)
                } else {
                    Err(format!(
                        "{}: kwarg `{key}` must be a number at least 0, got {n} (the official checker would draw a random value)",
                        self.id
                    ))
                }
            }
            Some(other) => Err(format!(
                "{}: kwarg `{key}` must be a number, got {other}",
                self.id
            )),
            None => Err(self.missing(key)),
        }
    }

    /// A number kwarg that the checker replaces by a random one when it is 0.
    pub fn positive(&self, key: &str) -> Result<f64, String> {
        let x = self.number(key)?;
        if x == 0.0 {
            return Err(format!(
                "{}: kwarg `{key}` is 0 (the official checker would draw a random value)",
                self.id
            ));
        }
        Ok(x)
    }

    /// An integral kwarg (`5` or `5.0`), any sign.
    pub fn integer(&self, key: &str) -> Result<i64, String> {
        match self.get(key) {
            Some(Value::Number(n)) => match (n.as_i64(), n.as_f64()) {
                (Some(i), _) => Ok(i),
                (None, Some(f)) if f.fract() == 0.0 && f.abs() < 9e15 => Ok(f as i64),
                _ => Err(format!(
                    "{}: kwarg `{key}` must be an integer, got {n}",
                    self.id
                )),
            },
            Some(other) => Err(format!(
                "{}: kwarg `{key}` must be an integer, got {other}",
                self.id
            )),
            None => Err(self.missing(key)),
        }
    }
}

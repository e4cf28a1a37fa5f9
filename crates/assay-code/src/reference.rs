//! The reference shapes the `code` grader takes.

use serde_json::Value;

use crate::language::CodeLanguage;

/// One stdin/stdout test case.
#[derive(Debug, Clone, PartialEq)]
pub struct IoCase {
    /// Fed to standard input.
    pub stdin: String,
    /// Expected standard output (compared on the host; it never enters the sandbox).
    pub stdout: String,
    /// Weight for `reward = "weighted"` (default 1).
    pub weight: f64,
}

/// What a reference asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum Tests {
    /// Run the program once per case, feeding `stdin`, comparing `stdout`.
    Io(Vec<IoCase>),
    /// Evaluate each assert statement after the program (MBPP style), each scored alone.
    Asserts {
        /// The assert statements.
        asserts: Vec<String>,
        /// Code run after the program and before the asserts (imports, helpers).
        setup: String,
        /// Per-assert weights (default 1 each).
        weights: Vec<f64>,
    },
    /// Call `check(candidate)` of a HumanEval-style test program, each top-level statement of
    /// `check` that asserts counting as one test.
    Check {
        /// The test program defining `check(candidate)`.
        test: String,
        /// The name of the function under test.
        entry_point: String,
    },
}

/// A parsed reference.
#[derive(Debug, Clone, PartialEq)]
pub struct Reference {
    /// The tests.
    pub tests: Tests,
    /// Per-execution time limit in seconds, when the reference sets one.
    pub time_limit_s: Option<f64>,
    /// Per-process memory limit in MiB, when the reference sets one.
    pub memory_mb: Option<u64>,
    /// The language the reference asks for, overriding the grader's option.
    pub language: Option<CodeLanguage>,
}

fn string_list(v: &Value, key: &str) -> Result<Vec<String>, String> {
    v.as_array()
        .ok_or_else(|| format!("`{key}` must be a list of strings"))?
        .iter()
        .map(|s| {
            s.as_str()
                .map(str::to_owned)
                .ok_or_else(|| format!("`{key}` must be a list of strings"))
        })
        .collect()
}

fn text(v: &Value, key: &str) -> Result<String, String> {
    match v {
        Value::String(s) => Ok(s.clone()),
        Value::Array(lines) => {
            Ok(string_list(v, key)?.join("\n") + if lines.is_empty() { "" } else { "\n" })
        }
        _ => Err(format!("`{key}` must be a string")),
    }
}

impl Reference {
    /// Parses a reference (the shapes are documented on the crate).
    pub fn parse(value: &Value) -> Result<Reference, String> {
        let value = match value {
            Value::String(s) => serde_json::from_str(s)
                .map_err(|_| "the reference is a string, not a JSON test suite".to_string())?,
            v => v.clone(),
        };
        let obj = value
            .as_object()
            .ok_or("the reference must be a JSON object with `tests`, `asserts` or `test`")?;
        let language = match obj.get("language").and_then(Value::as_str) {
            Some(name) => Some(
                CodeLanguage::from_name(name)
                    .ok_or_else(|| format!("language {name:?} is not supported (python or cpp)"))?,
            ),
            None => None,
        };
        let time_limit_s = obj.get("time_limit_s").and_then(Value::as_f64);
        let memory_mb = obj.get("memory_mb").and_then(Value::as_u64);
        let tests = if let Some(tests) = obj.get("tests") {
            let cases = tests.as_array().ok_or("`tests` must be a list")?;
            let cases = cases
                .iter()
                .map(|c| {
                    Ok(IoCase {
                        stdin: text(
                            c.get("stdin").unwrap_or(&Value::String(String::new())),
                            "stdin",
                        )?,
                        stdout: text(c.get("stdout").ok_or("each test needs `stdout`")?, "stdout")?,
                        weight: c.get("weight").and_then(Value::as_f64).unwrap_or(1.0),
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            check_weights(cases.iter().map(|c| c.weight))?;
            Tests::Io(cases)
        } else if let Some(asserts) = obj.get("asserts").or_else(|| obj.get("test_list")) {
            let asserts = string_list(asserts, "asserts")?;
            let mut setup = String::new();
            for key in ["setup", "test_setup_code"] {
                if let Some(v) = obj.get(key) {
                    setup += &text(v, key)?;
                    setup.push('\n');
                }
            }
            if let Some(imports) = obj.get("test_imports") {
                setup = string_list(imports, "test_imports")?.join("\n") + "\n" + &setup;
            }
            let weights = match obj.get("weights") {
                Some(w) => {
                    let w: Vec<f64> = w
                        .as_array()
                        .ok_or("`weights` must be a list of numbers")?
                        .iter()
                        .map(|x| x.as_f64().ok_or("`weights` must be a list of numbers"))
                        .collect::<Result<_, _>>()?;
                    if w.len() != asserts.len() {
                        return Err("`weights` needs one number per assert".into());
                    }
                    check_weights(w.iter().copied())?;
                    w
                }
                None => vec![1.0; asserts.len()],
            };
            Tests::Asserts {
                asserts,
                setup,
                weights,
            }
        } else if let (Some(test), Some(entry)) = (obj.get("test"), obj.get("entry_point")) {
            Tests::Check {
                test: text(test, "test")?,
                entry_point: entry
                    .as_str()
                    .ok_or("`entry_point` must be a string")?
                    .to_owned(),
            }
        } else {
            return Err(
                "the reference has none of `tests` (stdin/stdout), `asserts` (or `test_list`), \
                 or `test` with `entry_point`"
                    .into(),
            );
        };
        let empty = match &tests {
            Tests::Io(c) => c.is_empty(),
            Tests::Asserts { asserts, .. } => asserts.is_empty(),
            Tests::Check { test, .. } => test.trim().is_empty(),
        };
        if empty {
            return Err("the reference has no tests".into());
        }
        Ok(Reference {
            tests,
            time_limit_s,
            memory_mb,
            language,
        })
    }
}

/// Weights must be finite and non-negative, with a finite, positive sum: a negative weight
/// would let a failed test raise the reward above 1, an infinite one make it NaN.
fn check_weights(weights: impl Iterator<Item = f64>) -> Result<(), String> {
    let (mut sum, mut count) = (0.0, 0);
    for w in weights {
        if !w.is_finite() || w < 0.0 {
            return Err(format!("weights must be finite and not negative; got {w}"));
        }
        sum += w;
        count += 1;
    }
    if count == 0 || (sum.is_finite() && sum > 0.0) {
        Ok(())
    } else {
        Err(format!(
            "the weights must add up to a finite, positive number; they add up to {sum}"
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn weights_must_be_finite_non_negative_and_add_up() {
        for weights in [json!([2, -1]), json!([1e308, 1e308]), json!([0, 0])] {
            let r =
                json!({"asserts": ["assert f(1) == 1", "assert f(2) == 2"], "weights": weights});
            assert!(Reference::parse(&r).is_err(), "{weights}");
        }
        let io = json!({"tests": [{"stdout": "1", "weight": -1}]});
        assert!(Reference::parse(&io).is_err());
        let ok = json!({"asserts": ["assert f(1) == 1", "assert f(2) == 2"], "weights": [0, 3]});
        assert!(Reference::parse(&ok).is_ok());
    }

    #[test]
    fn parses_each_shape() {
        let io = Reference::parse(&json!({"language": "python", "tests": [{"stdin": "1\n", "stdout": "2\n"}], "time_limit_s": 2})).unwrap();
        assert!(matches!(io.tests, Tests::Io(ref c) if c[0].stdout == "2\n"));
        assert_eq!(io.time_limit_s, Some(2.0));
        let mbpp = Reference::parse(
            &json!({"test_list": ["assert f(1) == 2"], "test_imports": ["import math"]}),
        )
        .unwrap();
        assert!(
            matches!(mbpp.tests, Tests::Asserts { ref setup, .. } if setup.contains("import math"))
        );
        let he = Reference::parse(&json!({"test": "def check(candidate):\n    assert candidate(1) == 2\n", "entry_point": "f"})).unwrap();
        assert!(matches!(he.tests, Tests::Check { .. }));
        assert!(Reference::parse(&json!({"tests": []})).is_err());
        assert!(Reference::parse(&json!("42")).is_err());
        assert!(
            Reference::parse(&json!({"language": "cobol", "tests": [{"stdout": ""}]})).is_err()
        );
    }
}

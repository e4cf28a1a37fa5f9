//! A reader for Python literals as `str()` prints them (`[{'instruction_id': ['copy:copy'],
//! 'kwargs': [{'prompt_to_repeat': 'Hi', 'N': None}]}]`): the form the IF-RLVR training data
//! stores its ground truth in. Dicts, lists, tuples, strings (single or double quotes, with
//! escapes), integers, floats, `True`, `False`, `None`; nothing else.

use serde_json::{Map, Number, Value};

/// Nesting deeper than this is refused.
const MAX_DEPTH: usize = 64;

/// Parses one Python literal into JSON.
pub fn parse(text: &str) -> Result<Value, String> {
    let chars: Vec<char> = text.chars().collect();
    let mut p = Parser { s: &chars, i: 0 };
    let v = p.value(0)?;
    p.ws();
    if p.i != chars.len() {
        return Err(format!("unexpected text at character {}", p.i));
    }
    Ok(v)
}

struct Parser<'a> {
    s: &'a [char],
    i: usize,
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(|c| c.is_whitespace()) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: char) -> bool {
        self.ws();
        if self.s.get(self.i) == Some(&c) {
            self.i += 1;
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<Value, String> {
        if depth > MAX_DEPTH {
            return Err("nested too deeply".into());
        }
        self.ws();
        match self.s.get(self.i) {
            Some('{') => {
                self.i += 1;
                let mut map = Map::new();
                while !self.eat('}') {
                    let key = match self.value(depth + 1)? {
                        Value::String(k) => k,
                        other => other.to_string(),
                    };
                    if !self.eat(':') {
                        return Err(format!("expected `:` at character {}", self.i));
                    }
                    map.insert(key, self.value(depth + 1)?);
                    if !self.eat(',') && !self.eat('}') {
                        return Err(format!("expected `,` or `}}` at character {}", self.i));
                    } else if self.s.get(self.i - 1) == Some(&'}') {
                        break;
                    }
                }
                Ok(Value::Object(map))
            }
            Some(&open @ ('[' | '(')) => {
                self.i += 1;
                let close = if open == '[' { ']' } else { ')' };
                let mut items = Vec::new();
                while !self.eat(close) {
                    items.push(self.value(depth + 1)?);
                    if !self.eat(',') {
                        if self.eat(close) {
                            break;
                        }
                        return Err(format!("expected `,` or `{close}` at character {}", self.i));
                    }
                }
                Ok(Value::Array(items))
            }
            Some(&q @ ('\'' | '"')) => self.string(q).map(Value::String),
            Some(_) => self.atom(),
            None => Err("unexpected end of text".into()),
        }
    }

    fn string(&mut self, quote: char) -> Result<String, String> {
        self.i += 1;
        let mut out = String::new();
        loop {
            let Some(&c) = self.s.get(self.i) else {
                return Err("unterminated string".into());
            };
            self.i += 1;
            match c {
                c if c == quote => return Ok(out),
                '\\' => {
                    let Some(&e) = self.s.get(self.i) else {
                        return Err("unterminated string".into());
                    };
                    self.i += 1;
                    match e {
                        'n' => out.push('\n'),
                        't' => out.push('\t'),
                        'r' => out.push('\r'),
                        '0' => out.push('\0'),
                        '\\' | '\'' | '"' => out.push(e),
                        'x' | 'u' | 'U' => {
                            let n = match e {
                                'x' => 2,
                                'u' => 4,
                                _ => 8,
                            };
                            let hex: String = self
                                .s
                                .get(self.i..self.i + n)
                                .ok_or("bad escape")?
                                .iter()
                                .collect();
                            self.i += n;
                            let code = u32::from_str_radix(&hex, 16).map_err(|_| "bad escape")?;
                            out.push(char::from_u32(code).unwrap_or('\u{FFFD}'));
                        }
                        other => {
                            out.push('\\');
                            out.push(other);
                        }
                    }
                }
                c => out.push(c),
            }
        }
    }

    fn atom(&mut self) -> Result<Value, String> {
        let start = self.i;
        while self
            .s
            .get(self.i)
            .is_some_and(|c| c.is_alphanumeric() || matches!(c, '.' | '-' | '+' | '_'))
        {
            self.i += 1;
        }
        let word: String = self.s[start..self.i].iter().collect();
        match word.as_str() {
            "None" => Ok(Value::Null),
            "True" => Ok(Value::Bool(true)),
            "False" => Ok(Value::Bool(false)),
            w => {
                let w = w.replace('_', "");
                if let Ok(i) = w.parse::<i64>() {
                    return Ok(Value::Number(i.into()));
                }
                w.parse::<f64>()
                    .ok()
                    .and_then(Number::from_f64)
                    .map(Value::Number)
                    .ok_or_else(|| format!("not a Python literal: {word:?}"))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_python_reprs() {
        let v = parse("[{'instruction_id': ['copy:copy'], 'kwargs': [{'prompt_to_repeat': \"It's\", 'N': None, 'x': 2.5, 'ok': True}]}]").unwrap();
        assert_eq!(
            v,
            json!([{"instruction_id": ["copy:copy"], "kwargs": [{"prompt_to_repeat": "It's", "N": null, "x": 2.5, "ok": true}]}])
        );
        assert_eq!(parse("('a\\nb', -3, {})").unwrap(), json!(["a\nb", -3, {}]));
        assert!(parse("[1, 2").is_err());
        assert!(parse("open('x')").is_err());
    }
}

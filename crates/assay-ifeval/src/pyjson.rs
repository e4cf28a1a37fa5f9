//! A validator that accepts exactly what Python's `json.loads` accepts (spec §4,
//! `detectable_format:json_format`): any JSON value at top level, `NaN`, `Infinity` and
//! `-Infinity`, lone surrogate escapes, duplicate keys; no raw control characters in strings,
//! no trailing data, no byte-order mark. Whitespace is `space`, `\t`, `\n`, `\r`.

/// Nesting deeper than this is refused (Python raises `RecursionError` near 1,000 levels).
const MAX_DEPTH: usize = 900;

struct Parser<'a> {
    s: &'a [u8],
    i: usize,
}

/// `Ok` when `text` parses with Python's `json.loads`; otherwise where and why it does not.
pub fn validate(text: &str) -> Result<(), String> {
    let mut p = Parser {
        s: text.as_bytes(),
        i: 0,
    };
    p.ws();
    p.value(0)?;
    p.ws();
    if p.i != p.s.len() {
        return Err(format!("extra data at byte {}", p.i));
    }
    Ok(())
}

impl Parser<'_> {
    fn ws(&mut self) {
        while self.i < self.s.len() && matches!(self.s[self.i], b' ' | b'\t' | b'\n' | b'\r') {
            self.i += 1;
        }
    }

    fn err<T>(&self, what: &str) -> Result<T, String> {
        Err(format!("{what} at byte {}", self.i))
    }

    fn eat(&mut self, lit: &str) -> bool {
        if self.s[self.i..].starts_with(lit.as_bytes()) {
            self.i += lit.len();
            true
        } else {
            false
        }
    }

    fn value(&mut self, depth: usize) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return self.err("nesting too deep");
        }
        let Some(&c) = self.s.get(self.i) else {
            return self.err("expecting value");
        };
        match c {
            b'{' => {
                self.i += 1;
                self.ws();
                if self.eat("}") {
                    return Ok(());
                }
                loop {
                    if self.s.get(self.i) != Some(&b'"') {
                        return self.err("expecting property name enclosed in double quotes");
                    }
                    self.string()?;
                    self.ws();
                    if !self.eat(":") {
                        return self.err("expecting ':' delimiter");
                    }
                    self.ws();
                    self.value(depth + 1)?;
                    self.ws();
                    if self.eat("}") {
                        return Ok(());
                    }
                    if !self.eat(",") {
                        return self.err("expecting ',' delimiter");
                    }
                    self.ws();
                }
            }
            b'[' => {
                self.i += 1;
                self.ws();
                if self.eat("]") {
                    return Ok(());
                }
                loop {
                    self.value(depth + 1)?;
                    self.ws();
                    if self.eat("]") {
                        return Ok(());
                    }
                    if !self.eat(",") {
                        return self.err("expecting ',' delimiter");
                    }
                    self.ws();
                }
            }
            b'"' => self.string(),
            _ => {
                for lit in ["null", "true", "false", "NaN", "Infinity", "-Infinity"] {
                    if self.eat(lit) {
                        return Ok(());
                    }
                }
                self.number()
            }
        }
    }

    fn string(&mut self) -> Result<(), String> {
        self.i += 1;
        while let Some(&c) = self.s.get(self.i) {
            match c {
                b'"' => {
                    self.i += 1;
                    return Ok(());
                }
                b'\\' => {
                    self.i += 1;
                    match self.s.get(self.i) {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => self.i += 1,
                        Some(b'u') => {
                            let hex = self.s.get(self.i + 1..self.i + 5);
                            if !hex.is_some_and(|h| h.iter().all(u8::is_ascii_hexdigit)) {
                                return self.err("invalid \\uXXXX escape");
                            }
                            self.i += 5;
                        }
                        _ => return self.err("invalid \\escape"),
                    }
                }
                0..=0x1f => return self.err("invalid control character"),
                _ => self.i += 1,
            }
        }
        self.err("unterminated string")
    }

    fn number(&mut self) -> Result<(), String> {
        let start = self.i;
        self.eat("-");
        let digits = |p: &mut Self| {
            let from = p.i;
            while p.s.get(p.i).is_some_and(u8::is_ascii_digit) {
                p.i += 1;
            }
            p.i - from
        };
        match self.s.get(self.i) {
            Some(b'0') => self.i += 1,
            Some(b'1'..=b'9') => {
                digits(self);
            }
            _ => {
                self.i = start;
                return self.err("expecting value");
            }
        }
        // Fraction and exponent are taken only when complete (Python's NUMBER_RE).
        if self.s.get(self.i) == Some(&b'.') {
            let save = self.i;
            self.i += 1;
            if digits(self) == 0 {
                self.i = save;
            }
        }
        if matches!(self.s.get(self.i), Some(b'e' | b'E')) {
            let save = self.i;
            self.i += 1;
            if matches!(self.s.get(self.i), Some(b'+' | b'-')) {
                self.i += 1;
            }
            if digits(self) == 0 {
                self.i = save;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::validate;

    #[test]
    fn accepts_what_python_accepts() {
        for ok in [
            "{}",
            "[]",
            "\"s\"",
            "1",
            "-0.5e10",
            "true",
            "null",
            "NaN",
            "-Infinity",
            "[1, {\"a\": [NaN]}]",
            "{\"a\": 1, \"a\": 2}",
            "\"\\ud800\"",
            " {\"x\" : \"y\"} \n",
        ] {
            assert!(validate(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "{",
            "{a: 1}",
            "[1,]",
            "01",
            "1.",
            "1 2",
            "\"a\nb\"",
            "\u{feff}{}",
            "{'a': 1}",
            "nan",
            "[1] x",
            "\"\\x\"",
        ] {
            assert!(validate(bad).is_err(), "{bad:?}");
        }
    }
}

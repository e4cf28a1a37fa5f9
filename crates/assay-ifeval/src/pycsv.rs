//! Python's `list(csv.reader(io.StringIO(text), delimiter=d))` with the default (`excel`)
//! dialect, as the IFBench CSV constraints read responses (IFBench spec §2.6).
//!
//! The text is read line by line (split after each `\n`, as `StringIO` iterates); each line is fed
//! character by character to the reader's state machine, then an end-of-line event. A blank line
//! gives an empty row. A `\r` inside an unquoted field followed by more text is an error
//! (`new-line character seen in unquoted field`), as is a field longer than the module's field
//! size limit (131,072 characters).

/// The field size limit of Python's `csv` module.
const FIELD_LIMIT: usize = 131_072;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    StartRecord,
    StartField,
    InField,
    InQuotedField,
    QuoteInQuotedField,
    EatCrnl,
}

struct Reader {
    delimiter: char,
    state: State,
    field: String,
    field_len: usize,
    fields: Vec<String>,
}

impl Reader {
    fn save_field(&mut self) {
        self.fields.push(std::mem::take(&mut self.field));
        self.field_len = 0;
    }

    fn add(&mut self, c: char) -> Result<(), String> {
        if self.field_len >= FIELD_LIMIT {
            return Err(format!("field larger than field limit ({FIELD_LIMIT})"));
        }
        self.field.push(c);
        self.field_len += 1;
        Ok(())
    }

    /// One character, or `None` for the end of a line.
    fn process(&mut self, c: Option<char>) -> Result<(), String> {
        let eol = |c: Option<char>| matches!(c, None | Some('\n' | '\r'));
        match self.state {
            State::StartRecord => {
                match c {
                    None => return Ok(()),
                    Some('\n' | '\r') => {
                        self.state = State::EatCrnl;
                        return Ok(());
                    }
                    _ => {}
                }
                self.state = State::StartField;
                self.process(c)?;
            }
            State::StartField => {
                if eol(c) {
                    self.save_field();
                    self.state = if c.is_none() {
                        State::StartRecord
                    } else {
                        State::EatCrnl
                    };
                } else if c == Some('"') {
                    self.state = State::InQuotedField;
                } else if c == Some(self.delimiter) {
                    self.save_field();
                } else {
                    self.add(c.expect("a character"))?;
                    self.state = State::InField;
                }
            }
            State::InField => {
                if eol(c) {
                    self.save_field();
                    self.state = if c.is_none() {
                        State::StartRecord
                    } else {
                        State::EatCrnl
                    };
                } else if c == Some(self.delimiter) {
                    self.save_field();
                    self.state = State::StartField;
                } else {
                    self.add(c.expect("a character"))?;
                }
            }
            State::InQuotedField => match c {
                None => {}
                Some('"') => self.state = State::QuoteInQuotedField,
                Some(ch) => self.add(ch)?,
            },
            State::QuoteInQuotedField => {
                if c == Some('"') {
                    self.add('"')?;
                    self.state = State::InQuotedField;
                } else if c == Some(self.delimiter) {
                    self.save_field();
                    self.state = State::StartField;
                } else if eol(c) {
                    self.save_field();
                    self.state = if c.is_none() {
                        State::StartRecord
                    } else {
                        State::EatCrnl
                    };
                } else {
                    self.add(c.expect("a character"))?;
                    self.state = State::InField;
                }
            }
            State::EatCrnl => match c {
                Some('\n' | '\r') => {}
                None => self.state = State::StartRecord,
                Some(_) => {
                    return Err("new-line character seen in unquoted field".into());
                }
            },
        }
        Ok(())
    }
}

/// The rows Python's `csv.reader` yields for `text`, or the `csv.Error` it raises.
pub fn read(text: &str, delimiter: char) -> Result<Vec<Vec<String>>, String> {
    let mut r = Reader {
        delimiter,
        state: State::StartRecord,
        field: String::new(),
        field_len: 0,
        fields: Vec::new(),
    };
    let mut rows = Vec::new();
    let mut lines = text.split_inclusive('\n').peekable();
    loop {
        // One record: lines until the state machine is back at the start of a record.
        r.fields.clear();
        r.field.clear();
        r.field_len = 0;
        loop {
            let Some(line) = lines.next() else {
                if r.field_len != 0 || r.state == State::InQuotedField {
                    r.save_field();
                    rows.push(std::mem::take(&mut r.fields));
                }
                return Ok(rows);
            };
            for c in line.chars() {
                r.process(Some(c))?;
            }
            r.process(None)?;
            if r.state == State::StartRecord {
                break;
            }
        }
        rows.push(std::mem::take(&mut r.fields));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows checked against CPython 3.11's `csv.reader`.
    #[test]
    fn rows_match_python() {
        let rows = |t: &str| read(t, ',').unwrap();
        assert_eq!(rows("a,b\n1,2\n"), vec![vec!["a", "b"], vec!["1", "2"]]);
        assert_eq!(rows("a\n\nb"), vec![vec!["a"], vec![], vec!["b"]]);
        assert_eq!(rows("\"x,y\",z"), vec![vec!["x,y", "z"]]);
        assert_eq!(rows("\"a\"\"b\",c"), vec![vec!["a\"b", "c"]]);
        assert_eq!(rows("\"a\nb\",c\n"), vec![vec!["a\nb", "c"]]);
        assert_eq!(rows("\"ab\"x,c"), vec![vec!["abx", "c"]]);
        assert_eq!(rows("a,\"open"), vec![vec!["a", "open"]]);
        assert_eq!(rows(""), Vec::<Vec<String>>::new());
        assert_eq!(rows("a,"), vec![vec!["a", ""]]);
        assert!(read("a\rb\n", ',').is_err());
        assert_eq!(read("a\tb", '\t').unwrap(), vec![vec!["a", "b"]]);
    }
}

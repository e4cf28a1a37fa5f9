//! Chat templates: the Jinja templates of `tokenizer_config.json` (or `chat_template.jinja`),
//! rendered with minijinja configured as Hugging Face's `apply_chat_template` configures
//! Jinja2: `trim_blocks` and `lstrip_blocks`, loop controls, Python string and dict methods
//! (`.strip()`, `.split()`, `.items()` …), `raise_exception`, `strftime_now`, and a `tojson`
//! that writes JSON as Python's `json.dumps(ensure_ascii=False)` does (no HTML escaping,
//! `", "` and `": "` separators, `indent` for pretty printing).

use std::collections::BTreeMap;

use minijinja::value::{Kwargs, Value as JinjaValue};
use minijinja::{Environment, Error as JinjaError, ErrorKind as JinjaErrorKind};
use serde_json::Value;

use crate::error::{InferenceError, Result};

/// A compiled chat template.
pub struct ChatTemplate {
    env: Environment<'static>,
    /// Special tokens passed to the template (`bos_token`, `eos_token` …).
    special_tokens: BTreeMap<String, String>,
}

impl std::fmt::Debug for ChatTemplate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChatTemplate")
            .field("special_tokens", &self.special_tokens)
            .finish_non_exhaustive()
    }
}

const NAME: &str = "chat_template";

impl ChatTemplate {
    /// Compiles `source`; `special_tokens` become template variables.
    pub fn new(source: &str, special_tokens: BTreeMap<String, String>) -> Result<Self> {
        let mut env = Environment::new();
        let syntax = minijinja::syntax::SyntaxConfig::builder()
            .trim_blocks(true)
            .lstrip_blocks(true)
            .build()
            .map_err(|e| InferenceError::BadModel(format!("template syntax: {e}")))?;
        env.set_syntax(syntax);
        env.set_unknown_method_callback(minijinja_contrib::pycompat::unknown_method_callback);
        env.add_function("raise_exception", raise_exception);
        env.add_function("strftime_now", strftime_now);
        env.add_filter("tojson", tojson);
        env.add_template_owned(NAME, source.to_string())
            .map_err(|e| {
                InferenceError::BadModel(format!("the chat template does not compile: {e:#}"))
            })?;
        Ok(ChatTemplate {
            env,
            special_tokens,
        })
    }

    /// Renders `messages` (OpenAI-style message objects). `extra` holds further template
    /// variables (`tools`, `documents`, `enable_thinking` …); they override the defaults.
    pub fn render(
        &self,
        messages: &[Value],
        add_generation_prompt: bool,
        extra: &serde_json::Map<String, Value>,
    ) -> Result<String> {
        let mut context = serde_json::Map::new();
        for (name, token) in &self.special_tokens {
            context.insert(name.clone(), Value::String(token.clone()));
        }
        context.insert("messages".into(), Value::Array(messages.to_vec()));
        context.insert(
            "add_generation_prompt".into(),
            Value::Bool(add_generation_prompt),
        );
        for (k, v) in extra {
            context.insert(k.clone(), v.clone());
        }
        let template = self
            .env
            .get_template(NAME)
            .map_err(|e| InferenceError::Template(e.to_string()))?;
        template
            .render(JinjaValue::from(minijinja::value::Serde(Value::Object(
                context,
            ))))
            .map_err(|e| InferenceError::Template(format!("{e:#}")))
    }
}

fn raise_exception(message: String) -> std::result::Result<JinjaValue, JinjaError> {
    Err(JinjaError::new(JinjaErrorKind::InvalidOperation, message))
}

/// `strftime_now(format)`: the current UTC time, formatted with the common strftime codes
/// (`%d %m %Y %y %b %B %a %A %H %M %S %j %%`).
fn strftime_now(format: String) -> std::result::Result<String, JinjaError> {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs()) as i64;
    strftime(secs, &format)
}

fn strftime(secs: i64, format: &str) -> std::result::Result<String, JinjaError> {
    const MONTHS: [&str; 12] = [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ];
    const DAYS: [&str; 7] = [
        "Monday",
        "Tuesday",
        "Wednesday",
        "Thursday",
        "Friday",
        "Saturday",
        "Sunday",
    ];
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let cumulative = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
    let yday = cumulative[(month - 1) as usize] + day + i64::from(leap && month > 2);
    let weekday = (days + 3).rem_euclid(7) as usize; // 1970-01-01 was a Thursday.
    let mut out = String::new();
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('d') => out.push_str(&format!("{day:02}")),
            Some('m') => out.push_str(&format!("{month:02}")),
            Some('Y') => out.push_str(&year.to_string()),
            Some('y') => out.push_str(&format!("{:02}", year % 100)),
            Some('b') => out.push_str(&MONTHS[(month - 1) as usize][..3]),
            Some('B') => out.push_str(MONTHS[(month - 1) as usize]),
            Some('a') => out.push_str(&DAYS[weekday][..3]),
            Some('A') => out.push_str(DAYS[weekday]),
            Some('H') => out.push_str(&format!("{:02}", rem / 3600)),
            Some('M') => out.push_str(&format!("{:02}", rem / 60 % 60)),
            Some('S') => out.push_str(&format!("{:02}", rem % 60)),
            Some('j') => out.push_str(&format!("{yday:03}")),
            Some('%') => out.push('%'),
            other => {
                return Err(JinjaError::new(
                    JinjaErrorKind::InvalidOperation,
                    format!("strftime_now: unsupported code %{}", other.unwrap_or(' ')),
                ))
            }
        }
    }
    Ok(out)
}

/// `tojson` as transformers defines it: `json.dumps(x, ensure_ascii=False, indent=indent,
/// separators=separators, sort_keys=sort_keys)`.
fn tojson(value: JinjaValue, kwargs: Kwargs) -> std::result::Result<JinjaValue, JinjaError> {
    let indent: Option<usize> = kwargs.get("indent")?;
    let sort_keys: Option<bool> = kwargs.get("sort_keys")?;
    let separators: Option<Vec<String>> = kwargs.get("separators")?;
    let _: Option<bool> = kwargs.get("ensure_ascii")?;
    kwargs.assert_all_used()?;
    let json: Value = serde_json::to_value(&value)
        .map_err(|e| JinjaError::new(JinjaErrorKind::InvalidOperation, format!("tojson: {e}")))?;
    let (item_sep, key_sep) = match separators.as_deref() {
        Some([item, key]) => (item.clone(), key.clone()),
        Some(_) => {
            return Err(JinjaError::new(
                JinjaErrorKind::InvalidOperation,
                "tojson: separators must be a pair",
            ))
        }
        None if indent.is_some() => (",".to_string(), ": ".to_string()),
        None => (", ".to_string(), ": ".to_string()),
    };
    let style = PyJson {
        indent,
        item_sep,
        key_sep,
        sort_keys: sort_keys.unwrap_or(false),
    };
    let mut out = String::new();
    style.write(&json, 0, &mut out);
    Ok(JinjaValue::from_safe_string(out))
}

struct PyJson {
    indent: Option<usize>,
    item_sep: String,
    key_sep: String,
    sort_keys: bool,
}

impl PyJson {
    fn newline(&self, depth: usize, out: &mut String) {
        if let Some(width) = self.indent {
            out.push('\n');
            out.push_str(&" ".repeat(width * depth));
        }
    }

    fn write(&self, value: &Value, depth: usize, out: &mut String) {
        match value {
            Value::Array(items) if !items.is_empty() => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push_str(&self.item_sep);
                    }
                    self.newline(depth + 1, out);
                    self.write(item, depth + 1, out);
                }
                self.newline(depth, out);
                out.push(']');
            }
            Value::Object(map) if !map.is_empty() => {
                let mut entries: Vec<(&String, &Value)> = map.iter().collect();
                if self.sort_keys {
                    entries.sort_by(|a, b| a.0.cmp(b.0));
                }
                out.push('{');
                for (i, (k, v)) in entries.into_iter().enumerate() {
                    if i > 0 {
                        out.push_str(&self.item_sep);
                    }
                    self.newline(depth + 1, out);
                    out.push_str(&Value::String(k.clone()).to_string());
                    out.push_str(&self.key_sep);
                    self.write(v, depth + 1, out);
                }
                self.newline(depth, out);
                out.push('}');
            }
            Value::Number(n) if n.is_f64() => {
                let f = n.as_f64().unwrap_or(f64::NAN);
                // Python writes floats with a fractional part or an exponent, as serde_json.
                out.push_str(&n.to_string());
                if f.is_finite() && f == f.trunc() && !n.to_string().contains(['.', 'e', 'E']) {
                    out.push_str(".0");
                }
            }
            other => out.push_str(&other.to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn render(source: &str, messages: Value, extra: Value) -> Result<String> {
        let mut tokens = BTreeMap::new();
        tokens.insert("bos_token".to_string(), "<s>".to_string());
        let template = ChatTemplate::new(source, tokens)?;
        let messages = messages.as_array().unwrap().clone();
        template.render(&messages, false, extra.as_object().unwrap())
    }

    #[test]
    fn renders_with_the_hugging_face_extensions() {
        let source = "{{ bos_token }}{% for m in messages %}{% if m.role == 'system' %}{% continue %}{% endif %}\n  <|{{ m.role }}|>{{ m.content.strip() }}\n{% endfor %}{{ tools | tojson }}|{{ tools | tojson(indent=2) }}";
        let out = render(
            source,
            json!([{"role": "system", "content": "s"}, {"role": "user", "content": "  hé <b> "}]),
            json!({"tools": [{"name": "f", "x": 1.0, "y": []}]}),
        )
        .unwrap();
        assert_eq!(
            out,
            // trim_blocks drops the newline after a block; lstrip_blocks strips spaces before
            // block tags only, so the two spaces before the variable stay (as in Jinja2).
            "<s>  <|user|>hé <b>\n[{\"name\": \"f\", \"x\": 1.0, \"y\": []}]|[\n  {\n    \"name\": \"f\",\n    \"x\": 1.0,\n    \"y\": []\n  }\n]"
        );
    }

    #[test]
    fn raise_exception_and_bad_templates_are_errors() {
        let err = render(
            "{% if messages[0].role != 'user' %}{{ raise_exception('first message must be user') }}{% endif %}",
            json!([{"role": "assistant", "content": "x"}]),
            json!({}),
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("first message must be user"),
            "{err}"
        );
        let err = ChatTemplate::new("{% for %}", BTreeMap::new()).unwrap_err();
        assert!(err.to_string().contains("does not compile"), "{err}");
    }

    #[test]
    fn strftime_formats_known_dates() {
        // 2024-02-29 13:05:09 UTC, a Thursday, day 60 of a leap year.
        let secs = 1_709_211_909;
        assert_eq!(
            strftime(secs, "%d %b %Y|%B %y %a %A %H:%M:%S %j %%").unwrap(),
            "29 Feb 2024|February 24 Thu Thursday 13:05:09 060 %"
        );
        assert_eq!(strftime(0, "%Y-%m-%d").unwrap(), "1970-01-01");
        assert!(strftime(0, "%Q").is_err());
    }
}

//! Configuration: named graders and routes, read from TOML, YAML or JSON.
//!
//! ```toml
//! on_error = "null"      # reward of timeout/error items: "null" (default), "zero" or a number
//! timeout_ms = 10000     # per-item deadline for every grader (default 10 s)
//!
//! [graders.answer]
//! kind = "choice"
//!
//! [graders.fmt]
//! kind = "format"
//! tags = ["think", "answer"]
//!
//! [graders.total]
//! kind = "multi"
//! graders = ["answer", "fmt"]
//! formula = "0.9 * answer + 0.1 * fmt"
//!
//! [[routes]]
//! data_source = "mmlu*"   # exact name or glob (*, ?, [abc])
//! grader = "total"
//!
//! [[routes]]
//! data_source = "*"       # the default
//! grader = "answer"
//! ```
//!
//! Parsing checks the structure; building an [`crate::Engine`] checks everything else (kinds,
//! options, references between graders, formulas). Every problem is reported at once.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Value};

/// Keys every grader table takes besides its kind's own options.
pub const COMMON_GRADER_KEYS: [&str; 4] = ["kind", "timeout_ms", "on_error", "description"];

/// Keys allowed at the top level of a configuration.
const TOP_LEVEL_KEYS: [&str; 4] = ["graders", "routes", "on_error", "timeout_ms"];

/// The default per-item deadline.
pub const DEFAULT_TIMEOUT_MS: u64 = 10_000;

/// One problem in a configuration, at a dotted path such as `graders.total.formula`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigProblem {
    /// Where the problem is (empty: the whole configuration).
    pub path: String,
    /// What is wrong and what would be right.
    pub message: String,
}

impl ConfigProblem {
    /// A new problem.
    pub fn new(path: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigProblem {
            path: path.into(),
            message: message.into(),
        }
    }

    /// The same problem, one level deeper: `prefix` goes in front of the path.
    pub fn under(mut self, prefix: &str) -> Self {
        self.path = join_path(prefix, &self.path);
        self
    }
}

fn join_path(prefix: &str, path: &str) -> String {
    match (prefix.is_empty(), path.is_empty()) {
        (true, _) => path.to_string(),
        (_, true) => prefix.to_string(),
        _ if path.starts_with('[') => format!("{prefix}{path}"),
        _ => format!("{prefix}.{path}"),
    }
}

impl fmt::Display for ConfigProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            f.write_str(&self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// Everything wrong with a configuration, found in one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    /// Where the configuration came from (a path, `--grader`, an inline request …).
    pub source: String,
    /// The problems, in the order found.
    pub problems: Vec<ConfigProblem>,
}

impl ConfigError {
    /// An error with one problem.
    pub fn single(source: impl Into<String>, problem: ConfigProblem) -> Self {
        ConfigError {
            source: source.into(),
            problems: vec![problem],
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.problems.len();
        write!(
            f,
            "invalid configuration {}: {n} problem{}",
            self.source,
            if n == 1 { "" } else { "s" }
        )?;
        for problem in &self.problems {
            write!(f, "\n  - {problem}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ConfigError {}

/// The reward given to `timeout` and `error` items.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum OnError {
    /// `null`: the failure stays visible (the default).
    #[default]
    Null,
    /// `0.0`.
    Zero,
    /// A fixed number.
    Value(f64),
}

impl OnError {
    /// The fallback reward (`None` for [`OnError::Null`]).
    pub fn reward(self) -> Option<f64> {
        match self {
            OnError::Null => None,
            OnError::Zero => Some(0.0),
            OnError::Value(v) => Some(v),
        }
    }

    fn from_json(value: &Value) -> Result<Self, String> {
        match value {
            Value::String(s) => s.parse(),
            Value::Number(n) => n
                .as_f64()
                .filter(|v| v.is_finite())
                .map(OnError::Value)
                .ok_or_else(|| format!("{n} is not a finite number")),
            other => Err(format!(
                "expected \"null\", \"zero\" or a number, found {other}"
            )),
        }
    }
}

impl FromStr for OnError {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "null" => Ok(OnError::Null),
            "zero" => Ok(OnError::Zero),
            other => match other.parse::<f64>() {
                Ok(v) if v.is_finite() => Ok(OnError::Value(v)),
                _ => Err(format!(
                    "expected \"null\", \"zero\" or a number, found {other:?}"
                )),
            },
        }
    }
}

impl Serialize for OnError {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            OnError::Null => s.serialize_str("null"),
            OnError::Zero => s.serialize_str("zero"),
            OnError::Value(v) => s.serialize_f64(*v),
        }
    }
}

impl<'de> Deserialize<'de> for OnError {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        OnError::from_json(&Value::deserialize(d)?).map_err(serde::de::Error::custom)
    }
}

/// One grader of a configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct GraderConfig {
    /// The grader's name.
    pub name: String,
    /// Its kind.
    pub kind: String,
    /// Its per-item deadline, overriding the configuration's.
    pub timeout_ms: Option<u64>,
    /// Its failure reward, overriding the configuration's.
    pub on_error: Option<OnError>,
    /// The kind's own options.
    pub options: Map<String, Value>,
}

/// One route: items whose `data_source` matches `pattern` go to `grader`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RouteConfig {
    /// An exact name or a glob (`*`, `?`, `[abc]`); `*` also matches items without a
    /// `data_source`.
    pub data_source: String,
    /// The grader's name.
    pub grader: String,
}

/// A parsed configuration: structure checked, kinds and options not yet.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Config {
    /// Graders, in the order written.
    pub graders: Vec<GraderConfig>,
    /// Routes, tried in order; the first match wins.
    pub routes: Vec<RouteConfig>,
    /// Failure reward for every grader.
    pub on_error: OnError,
    /// Per-item deadline for every grader.
    pub timeout_ms: u64,
}

/// A configuration file format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML (`.toml`).
    Toml,
    /// YAML (`.yaml`, `.yml`).
    Yaml,
    /// JSON (`.json`).
    Json,
}

impl Format {
    /// The format a path's extension names.
    pub fn from_path(path: &Path) -> Option<Format> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "toml" => Some(Format::Toml),
            "yaml" | "yml" => Some(Format::Yaml),
            "json" => Some(Format::Json),
            _ => None,
        }
    }

    /// Parses text of this format into JSON.
    pub fn parse(self, text: &str) -> Result<Value, String> {
        match self {
            Format::Toml => toml::from_str::<Value>(text).map_err(|e| e.to_string()),
            Format::Yaml => serde_yaml::from_str::<Value>(text).map_err(|e| e.to_string()),
            Format::Json => serde_json::from_str::<Value>(text).map_err(|e| e.to_string()),
        }
    }
}

impl Config {
    /// Reads and parses a configuration file; the format comes from the extension.
    pub fn from_path(path: &Path) -> Result<Config, ConfigError> {
        let source = path.display().to_string();
        let fail = |message: String| ConfigError::single(&source, ConfigProblem::new("", message));
        let format = Format::from_path(path).ok_or_else(|| {
            fail(
                "unknown configuration format: name the file *.toml, *.yaml, *.yml or *.json"
                    .into(),
            )
        })?;
        let text = std::fs::read_to_string(path)
            .map_err(|e| fail(format!("cannot read the file: {e}")))?;
        let value = format
            .parse(&text)
            .map_err(|e| fail(format!("not valid {format:?}: {e}")))?;
        Config::from_value(&value).map_err(|problems| ConfigError { source, problems })
    }

    /// Parses a configuration from JSON (any format converts to it). Every structural problem
    /// is returned at once.
    pub fn from_value(value: &Value) -> Result<Config, Vec<ConfigProblem>> {
        let mut problems = Vec::new();
        let mut config = Config {
            timeout_ms: DEFAULT_TIMEOUT_MS,
            ..Config::default()
        };
        let Some(top) = value.as_object() else {
            return Err(vec![ConfigProblem::new(
                "",
                "a configuration is a table with `graders` and `routes`",
            )]);
        };
        for key in top.keys() {
            if !TOP_LEVEL_KEYS.contains(&key.as_str()) {
                problems.push(ConfigProblem::new(
                    key.as_str(),
                    format!("unknown key; expected one of {}", TOP_LEVEL_KEYS.join(", ")),
                ));
            }
        }
        if let Some(v) = top.get("on_error") {
            match OnError::from_json(v) {
                Ok(on_error) => config.on_error = on_error,
                Err(e) => problems.push(ConfigProblem::new("on_error", e)),
            }
        }
        if let Some(v) = top.get("timeout_ms") {
            match parse_timeout(v) {
                Ok(t) => config.timeout_ms = t,
                Err(e) => problems.push(ConfigProblem::new("timeout_ms", e)),
            }
        }
        match top.get("graders") {
            None => problems.push(ConfigProblem::new(
                "graders",
                "missing: define at least one grader, e.g. [graders.answer] kind = \"math\"",
            )),
            Some(Value::Object(graders)) => {
                if graders.is_empty() {
                    problems.push(ConfigProblem::new("graders", "no grader is defined"));
                }
                for (name, table) in graders {
                    match parse_grader(name, table) {
                        Ok(g) => config.graders.push(g),
                        Err(mut p) => problems.append(&mut p),
                    }
                }
            }
            Some(_) => problems.push(ConfigProblem::new(
                "graders",
                "expected a table of named graders",
            )),
        }
        match top.get("routes") {
            None => {}
            Some(Value::Array(routes)) => {
                for (i, route) in routes.iter().enumerate() {
                    match parse_route(route) {
                        Ok(r) => config.routes.push(r),
                        Err(mut p) => {
                            problems.extend(p.drain(..).map(|p| p.under(&format!("routes[{i}]"))))
                        }
                    }
                }
            }
            Some(_) => problems.push(ConfigProblem::new(
                "routes",
                "expected a list of {data_source, grader} tables",
            )),
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    /// The configuration (as JSON) of one grader of `kind` named after it, with `options`
    /// (which may also hold the keys every grader takes: `timeout_ms`, `on_error`): what
    /// `--grader KIND --set key=value`, `assay.Engine(grader=KIND, ...)` and an inline
    /// `{"kind": KIND, ...}` HTTP grader all mean. `options` must not name the kind again.
    pub fn single_value(
        kind: &str,
        mut options: Map<String, Value>,
    ) -> Result<Value, ConfigProblem> {
        match options.remove("kind") {
            None => {}
            Some(Value::String(k)) if k == kind => {}
            Some(other) => {
                return Err(ConfigProblem::new(
                    "kind",
                    format!("the kind is `{kind}`; the options name another kind too: {other}"),
                ))
            }
        }
        let mut table = Map::new();
        table.insert("kind".into(), Value::String(kind.to_string()));
        table.extend(options);
        let mut graders = Map::new();
        graders.insert(kind.to_string(), Value::Object(table));
        let mut top = Map::new();
        top.insert("graders".into(), Value::Object(graders));
        Ok(Value::Object(top))
    }
}

fn parse_timeout(v: &Value) -> Result<u64, String> {
    match v.as_u64() {
        Some(t) if t > 0 => Ok(t),
        _ => Err(format!(
            "expected a positive whole number of milliseconds, found {v}"
        )),
    }
}

fn parse_grader(name: &str, table: &Value) -> Result<GraderConfig, Vec<ConfigProblem>> {
    let at = format!("graders.{name}");
    let Some(table) = table.as_object() else {
        return Err(vec![ConfigProblem::new(
            at,
            "expected a table with at least `kind`",
        )]);
    };
    let mut problems = Vec::new();
    let kind = match table.get("kind") {
        Some(Value::String(k)) => k.clone(),
        Some(other) => {
            problems.push(ConfigProblem::new(
                format!("{at}.kind"),
                format!("expected a string, found {other}"),
            ));
            String::new()
        }
        None => {
            problems.push(ConfigProblem::new(
                &at,
                "missing `kind` (run `assay graders` for the list)",
            ));
            String::new()
        }
    };
    let timeout_ms = match table.get("timeout_ms").map(parse_timeout) {
        Some(Err(e)) => {
            problems.push(ConfigProblem::new(format!("{at}.timeout_ms"), e));
            None
        }
        other => other.and_then(Result::ok),
    };
    let on_error = match table.get("on_error").map(OnError::from_json) {
        Some(Err(e)) => {
            problems.push(ConfigProblem::new(format!("{at}.on_error"), e));
            None
        }
        other => other.and_then(Result::ok),
    };
    if let Some(d) = table.get("description") {
        if !d.is_string() {
            problems.push(ConfigProblem::new(
                format!("{at}.description"),
                "expected a string",
            ));
        }
    }
    let options = table
        .iter()
        .filter(|(k, _)| !COMMON_GRADER_KEYS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    if problems.is_empty() {
        Ok(GraderConfig {
            name: name.to_string(),
            kind,
            timeout_ms,
            on_error,
            options,
        })
    } else {
        Err(problems)
    }
}

fn parse_route(route: &Value) -> Result<RouteConfig, Vec<ConfigProblem>> {
    let Some(table) = route.as_object() else {
        return Err(vec![ConfigProblem::new(
            "",
            "expected a table {data_source = \"…\", grader = \"…\"}",
        )]);
    };
    let mut problems = Vec::new();
    for key in table.keys() {
        if key != "data_source" && key != "grader" {
            problems.push(ConfigProblem::new(
                key.as_str(),
                "unknown key; a route has `data_source` and `grader`",
            ));
        }
    }
    let mut field = |key: &str| match table.get(key) {
        Some(Value::String(s)) => s.clone(),
        Some(other) => {
            problems.push(ConfigProblem::new(
                key,
                format!("expected a string, found {other}"),
            ));
            String::new()
        }
        None => {
            problems.push(ConfigProblem::new(key, "missing"));
            String::new()
        }
    };
    let data_source = field("data_source");
    let grader = field("grader");
    if problems.is_empty() {
        Ok(RouteConfig {
            data_source,
            grader,
        })
    } else {
        Err(problems)
    }
}

/// Turns `key=value` pairs (from `--set`) into options. Values are read as JSON when they parse
/// as JSON (`3`, `true`, `["a","b"]`, `{"x":1}`), else as strings; dotted keys make nested
/// tables (`weights.answer=0.9`).
pub fn options_from_pairs<'a>(
    pairs: impl IntoIterator<Item = &'a str>,
) -> Result<Map<String, Value>, String> {
    let mut options = Map::new();
    for pair in pairs {
        let (key, raw) = pair
            .split_once('=')
            .ok_or_else(|| format!("`{pair}` is not key=value"))?;
        let key = key.trim();
        if key.is_empty() {
            return Err(format!("`{pair}` has an empty key"));
        }
        let value =
            serde_json::from_str::<Value>(raw).unwrap_or_else(|_| Value::String(raw.into()));
        let mut parts = key.split('.').peekable();
        let mut table = &mut options;
        while let Some(part) = parts.next() {
            if parts.peek().is_none() {
                table.insert(part.to_string(), value.clone());
            } else {
                let entry = table
                    .entry(part.to_string())
                    .or_insert_with(|| Value::Object(Map::new()));
                table = entry
                    .as_object_mut()
                    .ok_or_else(|| format!("`{key}`: `{part}` is already set to a value"))?;
            }
        }
    }
    Ok(options)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_three_formats_parse_to_the_same_configuration() {
        let toml = r#"
            on_error = "zero"
            [graders.a]
            kind = "choice"
            letters = "ABCD"
            [[routes]]
            data_source = "*"
            grader = "a"
        "#;
        let yaml = "on_error: zero\ngraders:\n  a:\n    kind: choice\n    letters: ABCD\nroutes:\n  - data_source: '*'\n    grader: a\n";
        let json = r#"{"on_error": "zero", "graders": {"a": {"kind": "choice", "letters": "ABCD"}},
                       "routes": [{"data_source": "*", "grader": "a"}]}"#;
        let parsed: Vec<Config> = [
            (Format::Toml, toml),
            (Format::Yaml, yaml),
            (Format::Json, json),
        ]
        .into_iter()
        .map(|(f, t)| Config::from_value(&f.parse(t).unwrap()).unwrap())
        .collect();
        assert_eq!(parsed[0], parsed[1]);
        assert_eq!(parsed[1], parsed[2]);
        assert_eq!(parsed[0].on_error, OnError::Zero);
        assert_eq!(parsed[0].graders[0].options["letters"], json!("ABCD"));
        assert!(!parsed[0].graders[0].options.contains_key("kind"));
    }

    #[test]
    fn every_structural_problem_is_reported_at_once() {
        let value = json!({
            "graderz": {},
            "on_error": "sometimes",
            "timeout_ms": -1,
            "routes": [{"data_source": 3}, "x"]
        });
        let problems = Config::from_value(&value).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "graderz",
                "on_error",
                "timeout_ms",
                "graders",
                "routes[0].data_source",
                "routes[0].grader",
                "routes[1]"
            ]
        );
    }

    #[test]
    fn grader_tables_are_checked() {
        let value = json!({"graders": {
            "a": {"kind": 1},
            "b": {"letters": "AB"},
            "c": {"kind": "x", "timeout_ms": 0, "on_error": [1], "description": 5},
            "d": 4
        }});
        let problems = Config::from_value(&value).unwrap_err();
        let paths: Vec<&str> = problems.iter().map(|p| p.path.as_str()).collect();
        assert_eq!(
            paths,
            [
                "graders.a.kind",
                "graders.b",
                "graders.c.timeout_ms",
                "graders.c.on_error",
                "graders.c.description",
                "graders.d"
            ]
        );
    }

    #[test]
    fn on_error_accepts_null_zero_and_numbers_only() {
        let cases = [
            (json!("null"), Ok(OnError::Null)),
            (json!("zero"), Ok(OnError::Zero)),
            (json!(-1), Ok(OnError::Value(-1.0))),
            (json!("0.5"), Ok(OnError::Value(0.5))),
        ];
        for (v, expected) in cases {
            assert_eq!(OnError::from_json(&v), expected);
        }
        for bad in [json!("nan"), json!(true), json!(null), json!("inf")] {
            assert!(OnError::from_json(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn set_pairs_become_typed_nested_options() {
        let options = options_from_pairs([
            "n=3",
            "strict=true",
            "tags=[\"a\",\"b\"]",
            "op=eq",
            "w.x=0.5",
        ])
        .unwrap();
        assert_eq!(
            Value::Object(options),
            json!({"n": 3, "strict": true, "tags": ["a", "b"], "op": "eq", "w": {"x": 0.5}})
        );
        assert!(options_from_pairs(["novalue"]).is_err());
        assert!(options_from_pairs(["=1"]).is_err());
        assert!(options_from_pairs(["a=1", "a.b=2"]).is_err());
    }

    #[test]
    fn format_comes_from_the_extension() {
        for (path, format) in [
            ("a.toml", Some(Format::Toml)),
            ("a.YML", Some(Format::Yaml)),
            ("dir/a.yaml", Some(Format::Yaml)),
            ("a.json", Some(Format::Json)),
            ("a.ini", None),
            ("a", None),
        ] {
            assert_eq!(Format::from_path(Path::new(path)), format, "{path}");
        }
    }
}

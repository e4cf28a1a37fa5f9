//! Python bindings for Assay: the native module `assay._native` behind the `assay` Python
//! package (`python/assay`).
//!
//! The Python layer is thin: it shapes arguments and documents the API; this module converts
//! items to [`assay::Item`]s, scores them with the GIL released on a rayon pool of this
//! process, and converts results back to dicts.

use std::path::PathBuf;
use std::sync::mpsc::RecvTimeoutError;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use assay::config::Format;
use assay::{
    AdvantageMode, ConfigError as EngineConfigError, ConfigProblem, Input, MalformedItem, OnError,
    ScoreRequest,
};
use pyo3::exceptions::{PyKeyError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList, PyString};
use serde_json::Value;

mod convert;
mod select;

use convert::{to_py, to_value, type_error};

pyo3::create_exception!(
    _native,
    ConfigError,
    PyValueError,
    "A configuration that cannot be built; the message lists every problem, `problems` holds \
     them as dicts with `path` and `message`, and `source` names the configuration."
);

/// The rayon pool this process scores on, with the process id that built it.
static POOL: Mutex<Option<(u32, Arc<rayon::ThreadPool>)>> = Mutex::new(None);

/// The scoring pool of this process. A child forked from a process that had scored holds a
/// copy of the parent's pool whose threads do not exist in it: it gets a pool of its own (the
/// copy is leaked, never touched).
fn pool() -> PyResult<Arc<rayon::ThreadPool>> {
    let pid = std::process::id();
    let mut guard = POOL.lock().unwrap_or_else(|e| e.into_inner());
    if let Some((owner, pool)) = guard.as_ref() {
        if *owner == pid {
            return Ok(Arc::clone(pool));
        }
    }
    if let Some(inherited) = guard.take() {
        std::mem::forget(inherited);
    }
    let mut builder = rayon::ThreadPoolBuilder::new().thread_name(|i| format!("assay-{i}"));
    if let Some(n) = std::env::var("ASSAY_THREADS")
        .ok()
        .and_then(|v| v.trim().parse::<usize>().ok())
    {
        builder = builder.num_threads(n);
    }
    let pool = Arc::new(builder.build().map_err(|e| {
        pyo3::exceptions::PyRuntimeError::new_err(format!("cannot start scoring threads: {e}"))
    })?);
    *guard = Some((pid, Arc::clone(&pool)));
    Ok(pool)
}

fn config_error(py: Python<'_>, error: &EngineConfigError) -> PyErr {
    let err = ConfigError::new_err(error.to_string());
    let problems: Vec<Value> = error
        .problems
        .iter()
        .map(|p| serde_json::json!({"path": p.path, "message": p.message}))
        .collect();
    let value = err.value(py);
    if let Ok(list) = to_py(py, &Value::Array(problems)) {
        let _ = value.setattr("problems", list);
    }
    let _ = value.setattr("source", &error.source);
    err
}

fn single_problem(py: Python<'_>, source: &str, path: &str, message: String) -> PyErr {
    config_error(
        py,
        &EngineConfigError::single(source, ConfigProblem::new(path, message)),
    )
}

/// A built configuration. Build it with `from_path`, `from_value` or `for_kind`.
#[pyclass(frozen, module = "assay._native", name = "Engine")]
struct PyEngine {
    engine: Arc<assay::Engine>,
    /// The configuration it was built from, as JSON text (what pickling carries).
    config: String,
    /// Where the configuration came from, for messages.
    source: String,
}

impl PyEngine {
    fn build(py: Python<'_>, config: Value, source: String) -> PyResult<Self> {
        let engine = py
            .detach(|| assay::engine_from_value(&config, &source))
            .map_err(|e| config_error(py, &e))?;
        Ok(PyEngine {
            engine: Arc::new(engine),
            config: config.to_string(),
            source,
        })
    }
}

#[pymethods]
impl PyEngine {
    /// Builds an engine from a configuration file (TOML, YAML or JSON, by extension). The
    /// file is read now; the engine keeps its content, not its path.
    #[staticmethod]
    fn from_path(py: Python<'_>, path: PathBuf) -> PyResult<Self> {
        let source = path.display().to_string();
        let fail = |message: String| single_problem(py, &source, "", message);
        let format = Format::from_path(&path).ok_or_else(|| {
            fail(
                "unknown configuration format: name the file *.toml, *.yaml, *.yml or *.json"
                    .into(),
            )
        })?;
        let text = std::fs::read_to_string(&path)
            .map_err(|e| fail(format!("cannot read the file: {e}")))?;
        let value = format
            .parse(&text)
            .map_err(|e| fail(format!("not valid {format:?}: {e}")))?;
        PyEngine::build(py, value, source)
    }

    /// Builds an engine from a configuration given as a dict (`graders`, `routes`, …).
    #[staticmethod]
    #[pyo3(signature = (config, source = None))]
    fn from_value(
        py: Python<'_>,
        config: &Bound<'_, PyAny>,
        source: Option<String>,
    ) -> PyResult<Self> {
        let source = source.unwrap_or_else(|| "<dict>".into());
        let value = to_value(config).map_err(|m| single_problem(py, &source, "", m))?;
        PyEngine::build(py, value, source)
    }

    /// Builds an engine from configuration JSON text (the form pickling carries).
    #[staticmethod]
    fn from_json(py: Python<'_>, config: &str, source: String) -> PyResult<Self> {
        let value: Value = serde_json::from_str(config)
            .map_err(|e| single_problem(py, &source, "", format!("not valid JSON: {e}")))?;
        PyEngine::build(py, value, source)
    }

    /// Builds an engine of one grader of `kind` with `options` (a dict; it may hold the keys
    /// every grader takes: `timeout_ms`, `on_error`).
    #[staticmethod]
    #[pyo3(signature = (kind, options = None))]
    fn for_kind(py: Python<'_>, kind: &str, options: Option<&Bound<'_, PyDict>>) -> PyResult<Self> {
        let source = format!("assay.Engine(grader={kind:?})");
        let options = match options {
            None => Value::Null,
            Some(options) => {
                to_value(options.as_any()).map_err(|m| single_problem(py, &source, "", m))?
            }
        };
        if options.get("kind").is_some() {
            return Err(single_problem(
                py,
                &source,
                "kind",
                "the kind is the `grader` argument; leave `kind` out of the options".into(),
            ));
        }
        let config =
            assay::config_for_kind(kind, options, &source).map_err(|e| config_error(py, &e))?;
        PyEngine::build(py, config, source)
    }

    /// The configuration as JSON text.
    #[getter]
    fn config(&self) -> &str {
        &self.config
    }

    /// Where the configuration came from.
    #[getter]
    fn source(&self) -> &str {
        &self.source
    }

    /// The names of the configured graders, in configuration order.
    fn grader_names(&self) -> Vec<String> {
        self.engine
            .grader_names()
            .into_iter()
            .map(String::from)
            .collect()
    }

    /// The component keys every result carries (of the routes, or of grader `grader`).
    #[pyo3(signature = (grader = None))]
    fn component_keys(&self, grader: Option<&str>) -> PyResult<Vec<String>> {
        let target = match grader {
            Some(name) => assay::Target::Grader(name),
            None => assay::Target::Routes,
        };
        self.engine
            .component_keys(target)
            .map(<[String]>::to_vec)
            .map_err(|e| PyKeyError::new_err(e.message))
    }

    /// The grader items of `data_source` go to (`None` when no route matches).
    #[pyo3(signature = (data_source = None))]
    fn route(&self, data_source: Option<&str>) -> Option<String> {
        self.engine.route(data_source).ok().map(String::from)
    }

    /// Scores `items` (an iterable of dicts) and returns one result dict per item, in order.
    ///
    /// An item that is not a valid item gets an `error` result of kind `malformed_input`; the
    /// others are scored as usual. `grader` sends every item to that grader instead of routing
    /// by `data_source`; `on_error` (`"null"`, `"zero"` or a number) overrides the failure
    /// reward; `advantage` (`"grpo"`, `"drgrpo"` or `"rloo"`) adds each result's
    /// group-relative advantage and zero-spread flag over the items sharing its `group`;
    /// `deadline` (seconds) bounds the whole call: items not finished by then get status
    /// `timeout`. The GIL is released while scoring; Ctrl-C (`KeyboardInterrupt`) cancels the
    /// outstanding work (sandboxed programs are killed) and raises.
    #[pyo3(signature = (items, grader = None, on_error = None, advantage = None, deadline = None))]
    fn score<'py>(
        &self,
        py: Python<'py>,
        items: &Bound<'py, PyAny>,
        grader: Option<String>,
        on_error: Option<&Bound<'py, PyAny>>,
        advantage: Option<&str>,
        deadline: Option<f64>,
    ) -> PyResult<Bound<'py, PyList>> {
        let advantage = advantage
            .map(|mode| mode.parse::<AdvantageMode>())
            .transpose()
            .map_err(|e| PyValueError::new_err(format!("advantage: {e}")))?;
        let on_error = match on_error {
            None => None,
            Some(value) => {
                let json = to_value(value).map_err(|m| type_error("on_error", m))?;
                Some(
                    serde_json::from_value::<OnError>(json)
                        .map_err(|e| PyValueError::new_err(format!("on_error: {e}")))?,
                )
            }
        };
        let deadline = match deadline {
            None => None,
            Some(s) if s.is_finite() && s >= 0.0 => {
                Instant::now().checked_add(Duration::from_secs_f64(s.min(1e9)))
            }
            Some(s) => {
                return Err(PyValueError::new_err(format!(
                    "deadline: expected a number of seconds >= 0, found {s}"
                )))
            }
        };
        if items.cast::<PyDict>().is_ok() || items.cast::<PyString>().is_ok() {
            return Err(pyo3::exceptions::PyTypeError::new_err(
                "items: expected a list of item dicts; for one item use score_one() or [item]",
            ));
        }
        let mut inputs: Vec<Input> = Vec::new();
        for (index, item) in items.try_iter()?.enumerate() {
            inputs.push(to_input(&item?, index));
        }
        let request = ScoreRequest::new(inputs)
            .target(grader)
            .on_error(on_error)
            .deadline(deadline)
            .advantage(advantage)
            .pool(pool()?);
        let scored = score_interruptibly(py, &self.engine, request)?;
        let list = PyList::empty(py);
        for result in &scored.results {
            let mut value = serde_json::to_value(result)
                .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
            if advantage.is_some() {
                // Asked for: present in every result, `None` where there is none.
                if let Value::Object(map) = &mut value {
                    map.entry("advantage").or_insert(Value::Null);
                    map.entry("zero_spread").or_insert(Value::Null);
                }
            }
            list.append(to_py(py, &value)?)?;
        }
        Ok(list)
    }

    fn __repr__(&self) -> String {
        format!(
            "Engine(graders={:?}, source={:?})",
            self.engine.grader_names(),
            self.source
        )
    }
}

/// Scores `request` on the shared I/O runtime with the GIL released, waking every 50 ms to
/// let Python handle signals: a `KeyboardInterrupt` cancels the request (its outstanding work
/// stops) and is raised.
fn score_interruptibly(
    py: Python<'_>,
    engine: &Arc<assay::Engine>,
    request: ScoreRequest,
) -> PyResult<assay::Scored> {
    let cancel = request.cancel.clone();
    let engine = Arc::clone(engine);
    let (tx, rx) = std::sync::mpsc::channel();
    assay::runtime::handle().spawn(async move {
        let _ = tx.send(engine.score_request(request).await);
    });
    let mut rx = rx;
    loop {
        let (back, received) = py.detach(move || {
            let received = rx.recv_timeout(Duration::from_millis(50));
            (rx, received)
        });
        rx = back;
        match received {
            Ok(scored) => return Ok(scored),
            Err(RecvTimeoutError::Timeout) => {
                if let Err(interrupt) = py.check_signals() {
                    cancel.cancel();
                    return Err(interrupt);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(pyo3::exceptions::PyRuntimeError::new_err(
                    "the scoring task ended without results (a bug: please report it)",
                ))
            }
        }
    }
}

/// One Python object as an engine input: an item, or the reason it is not one.
fn to_input(obj: &Bound<'_, PyAny>, index: usize) -> Input {
    let what = format!("items[{index}]");
    if obj.cast::<PyDict>().is_err() {
        let type_name = obj
            .get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "?".into());
        return Err(MalformedItem {
            id: None,
            data_source: None,
            message: format!("{what} is not a dict but a `{type_name}`"),
        });
    }
    match to_value(obj) {
        Ok(value) => MalformedItem::parse_value(value, &what),
        Err(message) => {
            let dict = obj.cast::<PyDict>().expect("checked above");
            let field = |key: &str| -> Option<Value> {
                dict.get_item(key)
                    .ok()
                    .flatten()
                    .and_then(|v| to_value(&v).ok())
            };
            Err(MalformedItem {
                id: field("id"),
                data_source: field("data_source").and_then(|v| v.as_str().map(String::from)),
                message: format!("{what} is not a valid item: {message}"),
            })
        }
    }
}

/// Documentation of every built-in grader kind: name, family, summary, reference shape and
/// options, as `assay graders --json` prints it.
#[pyfunction]
fn graders(py: Python<'_>) -> PyResult<Bound<'_, PyAny>> {
    let registry = assay::registry();
    let kinds: Vec<_> = registry.kinds().map(|k| &k.info).collect();
    let value = serde_json::to_value(&kinds)
        .map_err(|e| pyo3::exceptions::PyRuntimeError::new_err(e.to_string()))?;
    to_py(py, &value)
}

/// The response inside an OpenRLHF `query` and whether its prompt was found: the text after
/// `prompt` with `tokens` (default: `DEFAULT_STRIP_TOKENS`) and whitespace stripped from both
/// ends. The same function as `assay serve`'s `/get_reward`.
#[pyfunction]
#[pyo3(signature = (query, prompt = None, tokens = None))]
fn response_of(query: &str, prompt: Option<&str>, tokens: Option<Vec<String>>) -> (String, bool) {
    match tokens {
        Some(tokens) => assay::openrlhf::response_of(query, prompt, &tokens),
        None => assay::openrlhf::response_of(query, prompt, assay::openrlhf::DEFAULT_STRIP_TOKENS),
    }
}

/// `text` with `tokens` (default: `DEFAULT_STRIP_TOKENS`) and whitespace stripped from both
/// ends, repeatedly.
#[pyfunction]
#[pyo3(signature = (text, tokens = None))]
fn strip(text: &str, tokens: Option<Vec<String>>) -> String {
    match tokens {
        Some(tokens) => assay::openrlhf::strip(text, &tokens).to_string(),
        None => assay::openrlhf::strip(text, assay::openrlhf::DEFAULT_STRIP_TOKENS).to_string(),
    }
}

/// The native module of the `assay` Python package.
#[pymodule]
fn _native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<PyEngine>()?;
    m.add("ConfigError", m.py().get_type::<ConfigError>())?;
    m.add_function(wrap_pyfunction!(graders, m)?)?;
    m.add_function(wrap_pyfunction!(response_of, m)?)?;
    m.add_function(wrap_pyfunction!(strip, m)?)?;
    m.add_function(wrap_pyfunction!(select::select, m)?)?;
    m.add(
        "DEFAULT_STRIP_TOKENS",
        pyo3::types::PyTuple::new(m.py(), assay::openrlhf::DEFAULT_STRIP_TOKENS)?,
    )?;
    m.add(
        "OPENRLHF_EXTRA_LOG_KEYS",
        pyo3::types::PyTuple::new(m.py(), assay::openrlhf::EXTRA_LOG_KEYS)?,
    )?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

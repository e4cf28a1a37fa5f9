//! Conversions between Python objects and JSON values: items in, results out.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{
    PyBool, PyByteArray, PyBytes, PyDict, PyFloat, PyInt, PyList, PyMapping, PySequence, PyString,
    PyTuple,
};
use serde_json::{Map, Number, Value};

/// How deep a Python structure may nest before it is refused (this also stops cycles).
const MAX_DEPTH: usize = 128;

/// Converts a Python object made of `None`, `bool`, `int`, `float`, `str`, lists, tuples and
/// dicts (and anything with numpy's `tolist()`, such as arrays and numpy scalars) to JSON.
///
/// The error names where in the object the problem is, e.g. `metadata.tags[2]: ...`.
pub fn to_value(obj: &Bound<'_, PyAny>) -> Result<Value, String> {
    let mut path = String::new();
    convert(obj, 0, &mut path)
}

fn at(path: &str) -> String {
    if path.is_empty() {
        String::new()
    } else {
        format!("{path}: ")
    }
}

fn convert(obj: &Bound<'_, PyAny>, depth: usize, path: &mut String) -> Result<Value, String> {
    if depth > MAX_DEPTH {
        return Err(format!(
            "{}nested more than {MAX_DEPTH} levels deep (or contains itself)",
            at(path)
        ));
    }
    if obj.is_none() {
        return Ok(Value::Null);
    }
    if let Ok(b) = obj.cast::<PyBool>() {
        return Ok(Value::Bool(b.is_true()));
    }
    if let Ok(s) = obj.cast::<PyString>() {
        return s
            .to_cow()
            .map(|s| Value::String(s.into_owned()))
            .map_err(|e| format!("{}{e}", at(path)));
    }
    if obj.cast::<PyInt>().is_ok() {
        if let Ok(i) = obj.extract::<i64>() {
            return Ok(Value::from(i));
        }
        if let Ok(u) = obj.extract::<u64>() {
            return Ok(Value::from(u));
        }
        return Err(format!(
            "{}the integer {} does not fit in 64 bits",
            at(path),
            obj.str().map(|s| s.to_string()).unwrap_or_default()
        ));
    }
    if let Ok(f) = obj.cast::<PyFloat>() {
        let v = f.value();
        return Number::from_f64(v)
            .map(Value::Number)
            .ok_or_else(|| format!("{}{v} is not a finite number", at(path)));
    }
    if let Ok(dict) = obj.cast::<PyDict>() {
        let mut map = Map::with_capacity(dict.len());
        for (key, value) in dict.iter() {
            let key = dict_key(&key).map_err(|e| format!("{}{e}", at(path)))?;
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            path.push_str(&key);
            let value = convert(&value, depth + 1, path);
            path.truncate(len);
            map.insert(key, value?);
        }
        return Ok(Value::Object(map));
    }
    if obj.cast::<PyList>().is_ok() || obj.cast::<PyTuple>().is_ok() {
        let mut out = Vec::new();
        let iter = obj.try_iter().map_err(|e| format!("{}{e}", at(path)))?;
        for (i, element) in iter.enumerate() {
            let element = element.map_err(|e| format!("{}{e}", at(path)))?;
            let len = path.len();
            path.push_str(&format!("[{i}]"));
            let value = convert(&element, depth + 1, path);
            path.truncate(len);
            out.push(value?);
        }
        return Ok(Value::Array(out));
    }
    // numpy arrays and scalars, torch tensors: their plain-Python form.
    if let Ok(tolist) = obj.getattr("tolist") {
        if tolist.is_callable() {
            let plain = tolist.call0().map_err(|e| format!("{}{e}", at(path)))?;
            if !plain.is(obj) {
                return convert(&plain, depth + 1, path);
            }
        }
    }
    // Other mappings and sequences (`types.MappingProxyType`, OmegaConf's DictConfig and
    // ListConfig …); bytes are not text.
    if let Ok(mapping) = obj.cast::<PyMapping>() {
        let items = mapping.items().map_err(|e| format!("{}{e}", at(path)))?;
        let dict = PyDict::from_sequence(items.as_any()).map_err(|e| format!("{}{e}", at(path)))?;
        return convert(dict.as_any(), depth + 1, path);
    }
    if obj.cast::<PySequence>().is_ok()
        && obj.cast::<PyBytes>().is_err()
        && obj.cast::<PyByteArray>().is_err()
    {
        let list = PyList::empty(obj.py());
        for element in obj.try_iter().map_err(|e| format!("{}{e}", at(path)))? {
            list.append(element.map_err(|e| format!("{}{e}", at(path)))?)
                .map_err(|e| format!("{}{e}", at(path)))?;
        }
        return convert(list.as_any(), depth + 1, path);
    }
    let type_name = obj
        .get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into());
    Err(format!(
        "{}a value of type `{type_name}` has no JSON form (use str, int, float, bool, None, lists and dicts)",
        at(path)
    ))
}

fn dict_key(key: &Bound<'_, PyAny>) -> Result<String, String> {
    if let Ok(s) = key.cast::<PyString>() {
        return s
            .to_cow()
            .map(|s| s.into_owned())
            .map_err(|e| e.to_string());
    }
    // As `json.dumps` does: numbers and booleans as keys become their text.
    if key.cast::<PyBool>().is_ok() || key.cast::<PyInt>().is_ok() || key.cast::<PyFloat>().is_ok()
    {
        let text = match convert(key, 0, &mut String::new())? {
            Value::Bool(b) => b.to_string(),
            other => other.to_string(),
        };
        return Ok(text);
    }
    Err(format!(
        "a dict key of type `{}` is not a string",
        key.get_type()
            .name()
            .map(|n| n.to_string())
            .unwrap_or_else(|_| "?".into())
    ))
}

/// Converts a JSON value to plain Python objects (dicts keep the key order).
pub fn to_py<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    Ok(match value {
        Value::Null => py.None().into_bound(py),
        Value::Bool(b) => PyBool::new(py, *b).to_owned().into_any(),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                i.into_pyobject(py)?.into_any()
            } else if let Some(u) = n.as_u64() {
                u.into_pyobject(py)?.into_any()
            } else {
                n.as_f64().unwrap_or(f64::NAN).into_pyobject(py)?.into_any()
            }
        }
        Value::String(s) => PyString::new(py, s).into_any(),
        Value::Array(values) => {
            let list = PyList::empty(py);
            for v in values {
                list.append(to_py(py, v)?)?;
            }
            list.into_any()
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, to_py(py, v)?)?;
            }
            dict.into_any()
        }
    })
}

/// A `TypeError` for a value that must be JSON-like.
pub fn type_error(what: &str, message: String) -> PyErr {
    PyTypeError::new_err(format!("{what}: {message}"))
}

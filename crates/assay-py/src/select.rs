//! `assay.select(...)`: test-time selection (best-of-N, majority and reward-weighted votes over
//! math-equivalent answers) from Python; the Python wrapper (`python/assay/select.py`) shapes
//! lists and data frames into records.

use std::time::Duration;

use assay_select::SelectOptions;
use assay_select::{records, select as select_group, ClusterOptions, Equivalence, Method};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyList;
use rayon::prelude::*;

use crate::convert::{to_py, to_value};

/// Selects one response per group of `records` (dicts with `group`, `response`, and optional
/// `score`, `label`, `reference`, `answer`, `id`). Returns one dict per group, in order of
/// first appearance: the chosen response, the clusters with sizes and weights, the reason,
/// and pass@k / maj@k / best-of-k when `estimators` is set.
#[pyfunction]
#[pyo3(signature = (records, method = "majority", equivalence = "math", min_confidence = None,
                    decimal_tolerance = None, last_answer_on_conflict = false, estimators = true))]
#[allow(clippy::too_many_arguments)]
pub fn select<'py>(
    py: Python<'py>,
    records: &Bound<'py, PyList>,
    method: &str,
    equivalence: &str,
    min_confidence: Option<f64>,
    decimal_tolerance: Option<f64>,
    last_answer_on_conflict: bool,
    estimators: bool,
) -> PyResult<Bound<'py, PyAny>> {
    let method = Method::from_name(method).ok_or_else(|| {
        PyValueError::new_err(format!(
            "unknown method {method:?}: use 'best-of-n', 'majority', 'weighted-sum', \
             'weighted-max' or 'weighted-mean'"
        ))
    })?;
    let equivalence = Equivalence::from_name(equivalence).ok_or_else(|| {
        PyValueError::new_err(format!(
            "unknown equivalence {equivalence:?}: use 'math' or 'exact'"
        ))
    })?;
    if let Some(c) = min_confidence {
        if !(0.0..=1.0).contains(&c) {
            return Err(PyValueError::new_err(
                "min_confidence must be between 0 and 1",
            ));
        }
    }
    let mut values = Vec::with_capacity(records.len());
    for (i, r) in records.iter().enumerate() {
        values.push(to_value(&r).map_err(|m| PyValueError::new_err(format!("record {i}: {m}")))?);
    }
    let opts = SelectOptions {
        method,
        cluster: ClusterOptions {
            equivalence,
            decimal_tolerance,
            group_timeout: Duration::from_secs(2),
        },
        min_confidence,
        last_answer_on_conflict,
        estimators,
    };
    let pool = crate::pool()?;
    let out = py.detach(|| -> Result<serde_json::Value, String> {
        let groups = records::group_records(&values).map_err(|e| e.to_string())?;
        let selections: Vec<_> =
            pool.install(|| groups.par_iter().map(|g| select_group(g, &opts)).collect());
        serde_json::to_value(selections).map_err(|e| e.to_string())
    });
    let out = out.map_err(PyValueError::new_err)?;
    to_py(py, &out)
}

//! Finding the Python interpreter and starting its zygote.

use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;

/// The zygote's source, run with `python -S -s -c`.
const ZYGOTE: &str = include_str!("zygote.py");

/// A Python installation as the zygote needs it.
#[derive(Clone, Debug, Deserialize)]
pub(crate) struct Interpreter {
    /// The real executable (shims resolved).
    pub executable: PathBuf,
    /// `sys.base_prefix`: the standard library and shared libraries.
    pub base_prefix: PathBuf,
    /// `sys.prefix` (differs in a virtual environment).
    pub prefix: PathBuf,
    /// The version, `3.11.2`.
    pub version: String,
}

const DISCOVER: &str = "import json, os, sys; print(json.dumps({'executable': \
    os.path.realpath(sys.executable), 'base_prefix': sys.base_prefix, 'prefix': sys.prefix, \
    'version': '%d.%d.%d' % sys.version_info[:3]}))";

impl Interpreter {
    /// Asks `python` (a path or a name on `PATH`) where it lives.
    pub(crate) fn discover(python: &Path) -> Result<Interpreter, String> {
        let out = Command::new(python)
            .args(["-S", "-c", DISCOVER])
            .output()
            .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
        if !out.status.success() {
            return Err(format!(
                "{} failed: {}",
                python.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        serde_json::from_slice(&out.stdout)
            .map_err(|e| format!("unexpected answer from {}: {e}", python.display()))
    }

    /// Host paths the interpreter needs, to expose read-only in cells.
    pub(crate) fn runtime_paths(&self) -> Vec<PathBuf> {
        let mut paths = vec![self.base_prefix.clone(), self.prefix.clone()];
        if let Some(dir) = self.executable.parent() {
            paths.push(dir.to_path_buf());
        }
        paths
    }

    /// The zygote's command line (argv[0] included).
    pub(crate) fn zygote_argv(&self, config_json: &str) -> Vec<Vec<u8>> {
        vec![
            self.executable.as_os_str().as_encoded_bytes().to_vec(),
            b"-S".to_vec(),
            b"-s".to_vec(),
            b"-c".to_vec(),
            ZYGOTE.as_bytes().to_vec(),
            config_json.as_bytes().to_vec(),
        ]
    }
}

/// The zygote's (and so every task's) whole environment. Not `-I`/`-E`: the hash seed must
/// come from `PYTHONHASHSEED`, and nothing else reaches the interpreter anyway.
pub(crate) fn zygote_env() -> Vec<Vec<u8>> {
    [
        "PATH=/usr/local/bin:/usr/bin:/bin",
        "HOME=/tmp",
        "LANG=C.UTF-8",
        "LC_ALL=C.UTF-8",
        "PYTHONHASHSEED=0",
        "PYTHONDONTWRITEBYTECODE=1",
        "PYTHONUTF8=1",
        "OMP_NUM_THREADS=1",
        "OPENBLAS_NUM_THREADS=1",
        "MKL_NUM_THREADS=1",
        "NUMEXPR_NUM_THREADS=1",
    ]
    .iter()
    .map(|s| s.as_bytes().to_vec())
    .collect()
}

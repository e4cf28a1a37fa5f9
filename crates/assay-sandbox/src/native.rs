//! Native programs: C++ compiled with g++ inside a cell (like any untrusted task), with a
//! cache of binaries keyed by source, then executed by the zygote's child.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::config::Limits;
use crate::protocol::{Job, JobKind};
use crate::task::Execution;

/// Entries kept in the compile cache before it is emptied.
const CACHE_ENTRIES: usize = 1024;
/// Name of the source file and of the binary in the scratch directory.
pub(crate) const SOURCE: &str = "main.cpp";
/// Name of the compiled program in the scratch directory.
pub(crate) const BINARY: &str = "prog";

/// The environment of compilers and native programs.
pub(crate) fn env() -> Vec<String> {
    [
        "PATH=/usr/local/bin:/usr/bin:/bin",
        "HOME=/tmp",
        "LANG=C.UTF-8",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect()
}

/// Limits of a compilation (a compiler needs more than a test program).
pub(crate) fn compile_limits() -> Limits {
    Limits {
        wall: Duration::from_secs(60),
        cpu: Duration::from_secs(60),
        memory_bytes: 4 << 30,
        file_size_bytes: 256 << 20,
        open_files: 256,
        processes: 16,
        output_bytes: 64 << 20,
    }
}

/// The outcome of compiling one source: the binary, or the failed compilation's execution
/// (status [`Status::CompileError`](crate::Status::CompileError), diagnostics in `stderr`).
pub(crate) type Compiled = Result<Vec<u8>, Execution>;

/// g++ and the cache of its results.
#[derive(Debug)]
pub(crate) struct Compiler {
    gpp: Option<PathBuf>,
    cache: Mutex<HashMap<Vec<u8>, Arc<Compiled>>>,
}

impl Compiler {
    /// Finds `g++` on `PATH` (C++ tasks fail with a clear error without it).
    pub(crate) fn discover() -> Compiler {
        let gpp = std::env::var_os("PATH").and_then(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join("g++"))
                .find(|p| p.is_file())
        });
        Compiler {
            gpp,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The compiler's path.
    pub(crate) fn gpp(&self) -> Option<&Path> {
        self.gpp.as_deref()
    }

    /// A cached result for `source`.
    pub(crate) fn cached(&self, source: &[u8]) -> Option<Arc<Compiled>> {
        self.cache
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(source)
            .cloned()
    }

    /// Remembers the result for `source`.
    pub(crate) fn remember(&self, source: &[u8], compiled: Arc<Compiled>) {
        let mut cache = self.cache.lock().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= CACHE_ENTRIES {
            cache.clear();
        }
        cache.insert(source.to_vec(), compiled);
    }

    /// The job compiling `source`: diagnostics on stderr, the binary on stdout.
    pub(crate) fn compile_job<'a>(
        &self,
        gpp: &Path,
        source: &'a [u8],
        limits: &'a Limits,
    ) -> Job<'a> {
        let script = format!(
            "{} -std=c++17 -O2 -pipe -o {BINARY} {SOURCE} >&2 && cat {BINARY}",
            gpp.display()
        );
        Job {
            kind: JobKind::Exec {
                argv: vec!["/bin/sh".into(), "-c".into(), script],
                env: env(),
            },
            program: &[],
            stdin: &[],
            files: vec![(SOURCE, source, false)],
            limits,
        }
    }
}

//! The protocol between the supervisor and a zygote, on the cell's control socket.
//!
//! Supervisor to zygote: `u32 total | u32 header_len | JSON header | blob`, little-endian,
//! where `total` counts every byte after itself and the blob holds the task's files and
//! program; a `run` frame carries the task's stdin, stdout, stderr and channel descriptors
//! (`SCM_RIGHTS`). Zygote to supervisor: `u32 len | JSON` reports (`ready`, `done`, `fatal`).

use std::io;
use std::os::fd::{AsFd, OwnedFd};
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use crate::config::Limits;
use crate::error::CellError;
use crate::sys;

/// Largest report accepted from a zygote.
const MAX_FRAME: usize = 1 << 20;

/// What a cell runs: the zygote-level form of a task.
pub(crate) struct Job<'a> {
    /// How the program runs.
    pub kind: JobKind,
    /// Python source (for [`JobKind::Python`]); empty otherwise.
    pub program: &'a [u8],
    /// Bytes for standard input.
    pub stdin: &'a [u8],
    /// Files for the scratch directory: name, content, executable.
    pub files: Vec<(&'a str, &'a [u8], bool)>,
    /// Limits.
    pub limits: &'a Limits,
}

/// How a job's program runs.
pub(crate) enum JobKind {
    /// `program` is Python source, run by the zygote's child.
    Python,
    /// The zygote's child executes `argv` (relative to the scratch directory) with `env`
    /// (and `TMPDIR` set to the scratch directory).
    Exec {
        /// Arguments, argv[0] included.
        argv: Vec<String>,
        /// Environment, `KEY=value`.
        env: Vec<String>,
    },
}

/// A report from the zygote.
#[derive(Debug, Deserialize)]
pub(crate) struct Report {
    pub(crate) op: String,
    #[serde(default)]
    pub(crate) exit_code: Option<i32>,
    #[serde(default)]
    pub(crate) signal: Option<i32>,
    #[serde(default)]
    pub(crate) cpu_ms: f64,
    #[serde(default)]
    pub(crate) wall_ms: f64,
    #[serde(default)]
    pub(crate) timed_out: bool,
    /// The task was killed on the supervisor's request (output overflow, cancellation, the
    /// caller's deadline).
    #[serde(default)]
    pub(crate) killed: bool,
    #[serde(default)]
    pub(crate) error: Option<String>,
    /// The zygote exits after this report (it could not clean up).
    #[serde(default)]
    pub(crate) exiting: bool,
}

/// Reassembles length-prefixed frames read from the control socket.
#[derive(Default)]
pub(crate) struct FrameReader {
    buf: Vec<u8>,
}

impl FrameReader {
    /// Reads what is available; returns `Ok(false)` at end of file.
    pub(crate) fn fill(&mut self, fd: &OwnedFd) -> io::Result<bool> {
        let mut chunk = [0u8; 4096];
        loop {
            match sys::read(fd.as_fd(), &mut chunk) {
                Ok(0) => return Ok(false),
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
                Err(e) => return Err(e),
            }
        }
    }

    pub(crate) fn next(&mut self) -> Result<Option<Report>, CellError> {
        if self.buf.len() < 4 {
            return Ok(None);
        }
        let len = u32::from_le_bytes(self.buf[..4].try_into().expect("4 bytes")) as usize;
        if len > MAX_FRAME {
            return Err(CellError::Zygote("oversized frame from the zygote".into()));
        }
        if self.buf.len() < 4 + len {
            return Ok(None);
        }
        let report = serde_json::from_slice(&self.buf[4..4 + len])
            .map_err(|e| CellError::Zygote(format!("bad frame from the zygote: {e}")));
        self.buf.drain(..4 + len);
        report.map(Some)
    }
}

/// `u32 total | u32 header_len | header | blob`, where total counts everything after itself.
pub(crate) fn frame_bytes(header: &serde_json::Value, blobs: &[&[u8]]) -> Vec<u8> {
    let header = serde_json::to_vec(header).expect("JSON values serialize");
    let blob_len: usize = blobs.iter().map(|b| b.len()).sum();
    let mut out = Vec::with_capacity(8 + header.len() + blob_len);
    out.extend_from_slice(&((4 + header.len() + blob_len) as u32).to_le_bytes());
    out.extend_from_slice(&(header.len() as u32).to_le_bytes());
    out.extend_from_slice(&header);
    for b in blobs {
        out.extend_from_slice(b);
    }
    out
}

/// The `run` frame of `task`, whose wall-clock limit is `wall` (the task's own, or less when
/// the caller's deadline comes first).
pub(crate) fn encode_run(task: &Job<'_>, wall: Duration) -> Vec<u8> {
    let l = task.limits;
    let mut header = json!({
        "op": "run",
        "limits": {
            "wall_ms": wall.as_millis().max(1) as u64,
            "cpu_s": l.cpu.as_secs_f64().ceil().max(1.0) as u64,
            "address_space": l.memory_bytes,
            "file_size": l.file_size_bytes,
            "open_files": l.open_files,
            "processes": l.processes,
        },
        "files": task
            .files
            .iter()
            .map(|(n, c, x)| json!([n, c.len(), if *x { 0o755 } else { 0o644 }]))
            .collect::<Vec<_>>(),
        "program_len": task.program.len(),
    });
    match &task.kind {
        JobKind::Python => header["kind"] = json!("python"),
        JobKind::Exec { argv, env } => {
            header["kind"] = json!("exec");
            header["argv"] = json!(argv);
            header["env"] = json!(env);
        }
    }
    let mut blobs: Vec<&[u8]> = task.files.iter().map(|(_, c, _)| *c).collect();
    blobs.push(task.program);
    frame_bytes(&header, &blobs)
}

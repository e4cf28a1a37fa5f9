//! What a task is and what running it gives back.

use std::time::Duration;

use crate::config::Limits;
use crate::sys;

/// The language of a task's program.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Language {
    /// Python source, run as `__main__` by the cell's Python zygote.
    Python,
    /// C++17 source, compiled with `g++ -O2` inside a cell (results cached by source) and
    /// executed by the zygote's child.
    Cpp,
}

/// One program to run, with its input and limits.
#[derive(Clone, Debug)]
pub struct Task {
    /// Language of `program`.
    pub language: Language,
    /// The program's source code.
    pub program: Vec<u8>,
    /// Bytes fed to the program's standard input (then end of file).
    pub stdin: Vec<u8>,
    /// Files placed in the task's scratch (working) directory: plain names, no `/`.
    pub files: Vec<(String, Vec<u8>)>,
    /// Resource limits.
    pub limits: Limits,
}

impl Task {
    /// A C++ task with no input, no files and default limits.
    pub fn cpp(program: impl Into<Vec<u8>>) -> Task {
        Task {
            language: Language::Cpp,
            ..Task::python(program)
        }
    }

    /// A Python task with no input, no files and default limits.
    pub fn python(program: impl Into<Vec<u8>>) -> Task {
        Task {
            language: Language::Python,
            program: program.into(),
            stdin: Vec::new(),
            files: Vec::new(),
            limits: Limits::default(),
        }
    }

    /// Sets the standard input.
    pub fn with_stdin(mut self, stdin: impl Into<Vec<u8>>) -> Task {
        self.stdin = stdin.into();
        self
    }

    /// Sets the limits.
    pub fn with_limits(mut self, limits: Limits) -> Task {
        self.limits = limits;
        self
    }
}

/// How a task ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Exited with code 0. Not proof of success: results come on the channel.
    Ok,
    /// Exited with a non-zero code (for Python: an uncaught exception, or `sys.exit(n)`).
    Failed,
    /// Killed by a signal other than for a limit.
    Crashed,
    /// Passed the wall-clock deadline or its CPU-time limit.
    Timeout,
    /// Ran out of its address-space limit (an uncaught `MemoryError`, for Python).
    MemoryLimit,
    /// Wrote more than the output cap on stdout, stderr or the channel.
    OutputLimit,
    /// The program did not compile (native languages); `stderr` holds the diagnostics.
    CompileError,
}

/// The outcome of running a [`Task`].
#[derive(Clone, Debug)]
pub struct Execution {
    /// How the task ended.
    pub status: Status,
    /// Exit code, if the task's main process exited.
    pub exit_code: Option<i32>,
    /// Terminating signal, if the task's main process was killed.
    pub signal: Option<i32>,
    /// Standard output, at most [`Limits::output_bytes`].
    pub stdout: Vec<u8>,
    /// Standard error, at most [`Limits::output_bytes`].
    pub stderr: Vec<u8>,
    /// Everything written to the result channel (file descriptor 3), at most
    /// [`Limits::output_bytes`].
    pub channel: Vec<u8>,
    /// Wall-clock time from fork to exit.
    pub wall: Duration,
    /// CPU time (user + system) of the task's main process.
    pub cpu: Duration,
}

impl Execution {
    /// The channel's lines tagged with `nonce` (`<nonce> <payload>`), payloads only.
    ///
    /// A program that does not know the nonce cannot forge a report: lines with any other
    /// prefix are ignored.
    pub fn reports<'a>(&'a self, nonce: &'a Nonce) -> impl Iterator<Item = &'a str> + 'a {
        self.channel
            .split(|&b| b == b'\n')
            .filter_map(|line| std::str::from_utf8(line).ok())
            .filter_map(move |line| {
                line.strip_prefix(nonce.as_str())
                    .and_then(|rest| rest.strip_prefix(' '))
            })
    }
}

/// A per-task random token that tags genuine reports on the result channel.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nonce(String);

impl Nonce {
    /// 128 random bits from the kernel, as 32 hexadecimal digits.
    ///
    /// # Panics
    ///
    /// If the kernel's random number generator fails (it does not on Linux 3.17+).
    pub fn random() -> Nonce {
        let mut bytes = [0u8; 16];
        sys::random_bytes(&mut bytes).expect("getrandom(2) failed");
        Nonce(bytes.iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The token.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reports_keep_only_lines_with_the_nonce() {
        let nonce = Nonce::random();
        assert_eq!(nonce.as_str().len(), 32);
        assert_ne!(nonce, Nonce::random());
        let exec = Execution {
            status: Status::Ok,
            exit_code: Some(0),
            signal: None,
            stdout: Vec::new(),
            stderr: Vec::new(),
            channel: format!("forged 1\n{} a\nnope\n{}b\n{} c", nonce.0, nonce.0, nonce.0)
                .into_bytes(),
            wall: Duration::ZERO,
            cpu: Duration::ZERO,
        };
        assert_eq!(exec.reports(&nonce).collect::<Vec<_>>(), ["a", "c"]);
    }
}

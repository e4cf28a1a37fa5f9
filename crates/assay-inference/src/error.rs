//! Errors of loading and running models.

use assay_core::ErrorKind;

/// A failure of loading or running a model. Each variant says what to do about it.
#[derive(Debug, thiserror::Error)]
pub enum InferenceError {
    /// A file of the model directory is missing or unreadable.
    #[error("{path}: {message}")]
    Io {
        /// The file.
        path: String,
        /// What went wrong.
        message: String,
    },
    /// The model directory holds something this crate cannot run.
    #[error("{0}")]
    Unsupported(String),
    /// A file of the model directory is malformed.
    #[error("{0}")]
    BadModel(String),
    /// The chat template failed for this input.
    #[error("chat template: {0}")]
    Template(String),
    /// Tokenisation failed for this input.
    #[error("tokenizer: {0}")]
    Tokenize(String),
    /// The input is longer than the model takes and truncation is off.
    #[error("input of {tokens} tokens is longer than max_length {max_length}; raise max_length or allow truncation")]
    TooLong {
        /// The input's length in tokens.
        tokens: usize,
        /// The limit.
        max_length: usize,
    },
    /// The input cannot be scored by this model (e.g. no step marker for a process reward model).
    #[error("{0}")]
    BadInput(String),
    /// The deadline passed before this input was run.
    #[error("deadline passed before the model ran this input")]
    Deadline,
    /// The tensor library failed.
    #[error("model execution failed: {0}")]
    Candle(#[from] candle_core::Error),
}

impl InferenceError {
    /// The grader error kind this failure reports as.
    pub fn kind(&self) -> ErrorKind {
        match self {
            InferenceError::Io { .. }
            | InferenceError::Unsupported(_)
            | InferenceError::BadModel(_)
            | InferenceError::Candle(_) => ErrorKind::Execution,
            InferenceError::Template(_) | InferenceError::Tokenize(_) => ErrorKind::MalformedInput,
            InferenceError::BadInput(_) => ErrorKind::MalformedInput,
            InferenceError::TooLong { .. } => ErrorKind::ResourceLimit,
            InferenceError::Deadline => ErrorKind::Timeout,
        }
    }

    pub(crate) fn io(path: &std::path::Path, error: impl std::fmt::Display) -> Self {
        InferenceError::Io {
            path: path.display().to_string(),
            message: error.to_string(),
        }
    }
}

/// The result type of this crate.
pub type Result<T, E = InferenceError> = std::result::Result<T, E>;

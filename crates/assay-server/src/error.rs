//! Request failures as HTTP responses: `{"error": {"type": ..., "message": ...}}`, with
//! `Retry-After` on load shedding.

use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

use crate::metrics::GraderLabel;

/// A request that failed as a whole.
#[derive(Debug)]
pub(crate) struct ApiError {
    pub status: StatusCode,
    /// A short machine-readable reason (`invalid_json`, `queue_full` …), also the metric label.
    pub kind: &'static str,
    pub message: String,
    pub retry_after: Option<Duration>,
    /// Extra fields of the error object (e.g. the problems of an inline configuration).
    pub details: Option<Box<(&'static str, Value)>>,
    pub grader: Option<String>,
}

impl ApiError {
    pub fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            kind,
            message: message.into(),
            retry_after: None,
            details: None,
            grader: None,
        }
    }

    pub fn bad_request(kind: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, kind, message)
    }

    pub fn too_large(kind: &'static str, message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, kind, message)
    }

    /// Load shedding: 429 or 503 with `Retry-After`.
    pub fn shed(
        status: StatusCode,
        kind: &'static str,
        message: impl Into<String>,
        retry_after: Duration,
    ) -> Self {
        ApiError {
            retry_after: Some(retry_after),
            ..ApiError::new(status, kind, message)
        }
    }

    pub fn with_details(mut self, key: &'static str, value: Value) -> Self {
        self.details = Some(Box::new((key, value)));
        self
    }

    pub fn with_grader(mut self, grader: Option<String>) -> Self {
        self.grader = grader;
        self
    }
}

/// Whole seconds for `Retry-After`, at least 1.
pub(crate) fn retry_after_secs(d: Duration) -> u64 {
    d.as_secs_f64().ceil().max(1.0) as u64
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut error = json!({"type": self.kind, "message": self.message});
        if let Some(details) = self.details {
            let (key, value) = *details;
            error[key] = value;
        }
        let mut response = (
            self.status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            json!({ "error": error }).to_string(),
        )
            .into_response();
        if let Some(d) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs(d)));
        }
        response.extensions_mut().insert(GraderLabel(self.grader));
        response.extensions_mut().insert(RejectKind(self.kind));
        response
    }
}

/// Marks a response as a whole-request failure, for the metrics.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RejectKind(pub &'static str);

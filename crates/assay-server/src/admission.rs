//! Backpressure: who gets in, who waits, who is turned away.
//!
//! A request is admitted before its body is read (so the bodies held at once are bounded) and
//! holds a [`Ticket`] until it is answered. Admission fails with 429 when `max_concurrent +
//! max_queue` requests are already admitted or their bodies would pass `max_inflight_bytes`,
//! and with 503 while the server drains. An admitted request then waits, first come first
//! served, for one of `max_concurrent` scoring [`Slot`]s, and gets 503 if none frees up within
//! `queue_timeout`. Every refusal carries `Retry-After`.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};

use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use crate::config::Limits;
use crate::error::ApiError;
use crate::metrics::Gauges;

/// Bodies are counted in KiB, so that `u32` permits cover terabytes.
const UNIT: usize = 1024;

fn units(bytes: usize) -> u32 {
    u32::try_from(bytes.div_ceil(UNIT)).unwrap_or(u32::MAX)
}

/// The admission state of one server.
#[derive(Debug)]
pub(crate) struct Admission {
    limits: Limits,
    slots: Arc<Semaphore>,
    bytes: Arc<Semaphore>,
    admitted: AtomicUsize,
    admitted_bytes: AtomicUsize,
    running: AtomicUsize,
    running_items: AtomicUsize,
    draining: AtomicBool,
}

/// An admitted request. Dropping it frees its place and its body bytes.
#[derive(Debug)]
pub(crate) struct Ticket {
    admission: Arc<Admission>,
    bytes: usize,
    _bytes: OwnedSemaphorePermit,
}

/// Admission as a tower layer over the scoring routes: a request is admitted (or turned away
/// with 429/503 and `Retry-After`) before its body is read, and holds its [`Ticket`] until its
/// response is ready.
#[derive(Debug, Clone)]
pub(crate) struct AdmissionLayer(pub Arc<Admission>);

impl<S> tower::Layer<S> for AdmissionLayer {
    type Service = AdmissionService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        AdmissionService {
            admission: Arc::clone(&self.0),
            inner,
        }
    }
}

/// The service of [`AdmissionLayer`].
#[derive(Debug, Clone)]
pub(crate) struct AdmissionService<S> {
    admission: Arc<Admission>,
    inner: S,
}

impl<S> tower::Service<Request> for AdmissionService<S>
where
    S: tower::Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        let length = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        // A refusal is sent before the body is read, so the server will not read another
        // request on this connection. Saying `Connection: close` keeps a keep-alive client from
        // putting it back in its pool and sending the next request on it as it closes (that
        // request would fail unanswered).
        let has_body = length.is_some_and(|n| n > 0)
            || request.headers().contains_key(header::TRANSFER_ENCODING);
        match self.admission.admit(length) {
            Err(refused) => Box::pin(async move {
                let mut response = refused.into_response();
                if has_body {
                    response
                        .headers_mut()
                        .insert(header::CONNECTION, HeaderValue::from_static("close"));
                }
                Ok(response)
            }),
            Ok(ticket) => {
                // The clone that was made ready goes with this call; a fresh clone stays.
                let ready = self.inner.clone();
                let mut inner = std::mem::replace(&mut self.inner, ready);
                Box::pin(async move {
                    let response = inner.call(request).await;
                    drop(ticket);
                    response
                })
            }
        }
    }
}

/// A scoring slot held by a running job.
#[derive(Debug)]
pub(crate) struct Slot {
    admission: Arc<Admission>,
    items: usize,
    _slot: OwnedSemaphorePermit,
}

impl Admission {
    pub fn new(limits: Limits) -> Self {
        Admission {
            slots: Arc::new(Semaphore::new(limits.max_concurrent)),
            bytes: Arc::new(Semaphore::new(
                units(limits.max_inflight_bytes).max(units(limits.max_body_bytes)) as usize,
            )),
            limits,
            admitted: AtomicUsize::new(0),
            admitted_bytes: AtomicUsize::new(0),
            running: AtomicUsize::new(0),
            running_items: AtomicUsize::new(0),
            draining: AtomicBool::new(false),
        }
    }

    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Stops admitting: every later request gets 503.
    pub fn drain(&self) {
        self.draining.store(true, Ordering::SeqCst);
    }

    pub fn is_draining(&self) -> bool {
        self.draining.load(Ordering::SeqCst)
    }

    /// Whether a new request would be turned away for lack of room now.
    pub fn is_full(&self) -> bool {
        self.admitted.load(Ordering::SeqCst) >= self.limits.max_concurrent + self.limits.max_queue
    }

    pub fn gauges(&self) -> Gauges {
        let admitted = self.admitted.load(Ordering::SeqCst);
        let running = self.running.load(Ordering::SeqCst);
        Gauges {
            queue_depth: admitted.saturating_sub(running),
            in_flight: running,
            in_flight_items: self.running_items.load(Ordering::SeqCst),
            inflight_body_bytes: self.admitted_bytes.load(Ordering::SeqCst),
        }
    }

    /// Requests admitted and not yet answered.
    pub fn admitted(&self) -> usize {
        self.admitted.load(Ordering::SeqCst)
    }

    /// Admits a request whose body is `content_length` bytes (unknown: counted as the largest
    /// allowed body).
    pub fn admit(self: &Arc<Self>, content_length: Option<u64>) -> Result<Ticket, ApiError> {
        let l = &self.limits;
        if self.is_draining() {
            return Err(ApiError::shed(
                StatusCode::SERVICE_UNAVAILABLE,
                "draining",
                "the server is shutting down; retry against another replica or after restart",
                l.retry_after,
            ));
        }
        if let Some(n) = content_length {
            if n > l.max_body_bytes as u64 {
                return Err(body_too_large(n, l.max_body_bytes));
            }
        }
        let bytes = content_length.map_or(l.max_body_bytes, |n| n as usize);
        let cap = l.max_concurrent + l.max_queue;
        if self.admitted.fetch_add(1, Ordering::SeqCst) >= cap {
            self.admitted.fetch_sub(1, Ordering::SeqCst);
            return Err(ApiError::shed(
                StatusCode::TOO_MANY_REQUESTS,
                "queue_full",
                format!(
                    "the server is at capacity ({} scoring, {} waiting); retry after the \
                     Retry-After delay, or send fewer requests at once",
                    l.max_concurrent, l.max_queue
                ),
                l.retry_after,
            ));
        }
        match Arc::clone(&self.bytes).try_acquire_many_owned(units(bytes)) {
            Ok(permit) => {
                self.admitted_bytes.fetch_add(bytes, Ordering::SeqCst);
                Ok(Ticket {
                    admission: Arc::clone(self),
                    bytes,
                    _bytes: permit,
                })
            }
            Err(_) => {
                self.admitted.fetch_sub(1, Ordering::SeqCst);
                Err(ApiError::shed(
                    StatusCode::TOO_MANY_REQUESTS,
                    "memory_full",
                    format!(
                        "the request bodies in flight would pass {} MiB; retry after the \
                         Retry-After delay, or send smaller batches",
                        l.max_inflight_bytes >> 20
                    ),
                    l.retry_after,
                ))
            }
        }
    }
}

pub(crate) fn body_too_large(n: u64, max: usize) -> ApiError {
    ApiError::too_large(
        "body_too_large",
        format!(
            "the request body is {n} bytes, over the limit of {max} bytes; split the items into \
             smaller requests"
        ),
    )
}

impl Admission {
    /// Waits, first come first served, for a scoring slot for `items` items.
    pub async fn slot(self: &Arc<Self>, items: usize) -> Result<Slot, ApiError> {
        let a = self;
        let l = &a.limits;
        let acquire = Arc::clone(&a.slots).acquire_owned();
        match tokio::time::timeout(l.queue_timeout, acquire).await {
            Ok(Ok(permit)) => {
                a.running.fetch_add(1, Ordering::SeqCst);
                a.running_items.fetch_add(items, Ordering::SeqCst);
                Ok(Slot {
                    admission: Arc::clone(a),
                    items,
                    _slot: permit,
                })
            }
            Ok(Err(_)) | Err(_) => Err(ApiError::shed(
                StatusCode::SERVICE_UNAVAILABLE,
                "queue_timeout",
                format!(
                    "no scoring slot freed up within {:.1} s; the server is overloaded, retry \
                     after the Retry-After delay",
                    l.queue_timeout.as_secs_f64()
                ),
                l.retry_after,
            )),
        }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        self.admission.admitted.fetch_sub(1, Ordering::SeqCst);
        self.admission
            .admitted_bytes
            .fetch_sub(self.bytes, Ordering::SeqCst);
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.admission.running.fetch_sub(1, Ordering::SeqCst);
        self.admission
            .running_items
            .fetch_sub(self.items, Ordering::SeqCst);
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn limits() -> Limits {
        Limits {
            max_body_bytes: 4096,
            max_concurrent: 1,
            max_queue: 1,
            max_inflight_bytes: 8192,
            queue_timeout: Duration::from_millis(50),
            ..Limits::default()
        }
    }

    #[tokio::test]
    async fn admits_up_to_the_queue_then_sheds_and_recovers() {
        let a = Arc::new(Admission::new(limits()));
        let t1 = a.admit(Some(10)).unwrap();
        let t2 = a.admit(Some(10)).unwrap();
        let shed = a.admit(Some(10)).unwrap_err();
        assert_eq!(shed.status, StatusCode::TOO_MANY_REQUESTS);
        assert!(shed.retry_after.is_some());
        let s1 = a.slot(3).await.unwrap();
        assert_eq!(a.gauges().in_flight, 1);
        assert_eq!(a.gauges().in_flight_items, 3);
        assert_eq!(a.gauges().queue_depth, 1);
        let timeout = a.slot(1).await.unwrap_err();
        assert_eq!(timeout.status, StatusCode::SERVICE_UNAVAILABLE);
        drop((s1, t1, t2));
        assert_eq!(a.admitted(), 0);
        assert_eq!(a.gauges().in_flight, 0);
        assert!(a.admit(Some(10)).is_ok());
    }

    #[tokio::test]
    async fn bodies_are_bounded_in_bytes() {
        let a = Arc::new(Admission::new(limits()));
        assert_eq!(
            a.admit(Some(5000)).unwrap_err().status,
            StatusCode::PAYLOAD_TOO_LARGE
        );
        let _t1 = a.admit(None).unwrap(); // unknown length: charged 4096
        let _t2 = a.admit(Some(4096)).unwrap();
        a.drain();
        assert_eq!(
            a.admit(Some(1)).unwrap_err().status,
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[tokio::test]
    async fn memory_full_is_429() {
        let mut l = limits();
        l.max_queue = 10;
        let a = Arc::new(Admission::new(l));
        let _t1 = a.admit(Some(4096)).unwrap();
        let _t2 = a.admit(Some(4096)).unwrap();
        let e = a.admit(Some(100)).unwrap_err();
        assert_eq!(e.status, StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(e.kind, "memory_full");
    }
}

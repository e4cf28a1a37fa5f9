//! A grader for tests of the engine and the combinators: it reads its verdict from the item.

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::config::Format;
use crate::{
    Budget, BuildContext, Config, Engine, ErrorKind, Grader, GraderKind, Item, Outcome, Registry,
    SharedGrader,
};

/// Options of `probe`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ProbeOptions {
    /// The metadata key holding this probe's verdict.
    pub key: String,
}

/// Reads `metadata[key]`: a number is an `ok` reward (also component `value`); `"invalid"`,
/// `"error"`, `"timeout"`, `"na"` give those statuses; `"panic"` panics; `"slow"` spins until
/// its budget runs out.
pub struct Probe(String);

impl Grader for Probe {
    fn components(&self) -> Vec<String> {
        vec!["value".into()]
    }
    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        match item.metadata.get(&self.0) {
            Some(Value::Number(n)) => {
                let v = n.as_f64().unwrap();
                Outcome::ok(v).component("value", v).pred(v.to_string())
            }
            Some(Value::String(s)) => match s.as_str() {
                "invalid" => Outcome::invalid(0.0, "no answer").component("value", 0.0),
                "error" => Outcome::error(ErrorKind::BadReference, "probe error"),
                "timeout" => Outcome::timeout("probe timeout"),
                "na" => Outcome::not_applicable("probe n/a"),
                "panic" => panic!("probe panic"),
                // Which thread graded the item, as `pred`.
                "thread" => Outcome::ok(1.0)
                    .component("value", 1.0)
                    .pred(format!("{:?}", std::thread::current().id())),
                "slow" => {
                    let mut meter = budget.meter(1024);
                    loop {
                        if let Err(expired) = meter.tick() {
                            return Outcome::expired(expired);
                        }
                    }
                }
                other => Outcome::error(ErrorKind::BadReference, format!("unknown probe {other}")),
            },
            _ => Outcome::error(ErrorKind::BadReference, format!("no metadata.{}", self.0)),
        }
    }
}

/// The `probe` kind.
pub struct ProbeKind;

impl GraderKind for ProbeKind {
    type Options = ProbeOptions;
    const NAME: &'static str = "probe";
    const FAMILY: &'static str = "test";
    const SUMMARY: &'static str = "Reads its verdict from the item's metadata (tests only).";
    const REFERENCE: &'static str = "not used";
    fn build(options: ProbeOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        Ok(Arc::new(Probe(options.key)))
    }
}

/// Options of `nap`.
#[derive(Debug, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NapOptions {
    /// The metadata key holding how long to wait, in milliseconds.
    pub key: String,
}

/// An I/O grader for tests: waits `metadata[key]` milliseconds on the async runtime (a timer,
/// like a remote call) holding no thread, then rewards 1. It gives up at the item's deadline
/// and when the request is cancelled, as remote graders must. Counts the waits in flight.
pub struct Nap {
    key: String,
}

/// Waits of `nap` in flight right now, across all tests.
pub static NAPS_IN_FLIGHT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);

impl Nap {
    async fn nap(&self, item: &Item, budget: crate::Budget) -> Outcome {
        use std::sync::atomic::Ordering;
        let Some(ms) = item.metadata.get(&self.key).and_then(Value::as_u64) else {
            return Outcome::error(ErrorKind::BadReference, format!("no metadata.{}", self.key));
        };
        struct InFlight;
        impl Drop for InFlight {
            fn drop(&mut self) {
                NAPS_IN_FLIGHT.fetch_sub(1, Ordering::SeqCst);
            }
        }
        NAPS_IN_FLIGHT.fetch_add(1, Ordering::SeqCst);
        // Dropping the future (a cancelled request) ends the wait too.
        let _in_flight = InFlight;
        let cancel = budget.cancel_token().cloned().unwrap_or_default();
        let deadline = async {
            match budget.deadline() {
                Some(d) => tokio::time::sleep_until(d.into()).await,
                None => std::future::pending().await,
            }
        };
        let mut outcome = tokio::select! {
            () = tokio::time::sleep(std::time::Duration::from_millis(ms)) => Outcome::ok(1.0),
            () = deadline => Outcome::timeout("nap: deadline"),
            () = cancel.cancelled() => Outcome::error(ErrorKind::Cancelled, "nap: cancelled"),
        };
        // Like a remote call: one request, a few tokens.
        outcome.usage = crate::Usage {
            requests: 1,
            prompt_tokens: 3,
            ..crate::Usage::default()
        };
        outcome
    }
}

impl Grader for Nap {
    fn components(&self) -> Vec<String> {
        Vec::new()
    }
    fn grade(&self, item: &Item, budget: &crate::Budget) -> Outcome {
        crate::block_on_io(self.nap(item, budget.clone()))
    }
    fn grade_async(
        self: Arc<Self>,
        batch: crate::Batch,
        ctx: crate::BatchContext,
    ) -> crate::BoxFuture<Vec<Outcome>> {
        Box::pin(async move {
            let naps = (0..batch.len()).map(|k| {
                let budget = ctx.item_budget(k);
                let this = &self;
                let batch = &batch;
                async move {
                    let mut outcome = this.nap(batch.item(k), budget.clone()).await;
                    outcome.elapsed = Some(budget.start().elapsed());
                    outcome
                }
            });
            futures_util::future::join_all(naps).await
        })
    }
}

/// The `nap` kind.
pub struct NapKind;

impl GraderKind for NapKind {
    type Options = NapOptions;
    const NAME: &'static str = "nap";
    const FAMILY: &'static str = "test";
    const SUMMARY: &'static str = "Waits on a timer like a remote call (tests only).";
    const REFERENCE: &'static str = "not used";
    fn build(options: NapOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        Ok(Arc::new(Nap { key: options.key }))
    }
}

/// A registry with the combinators, `probe` and `nap`.
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    super::register(&mut registry);
    registry.register::<ProbeKind>().register::<NapKind>();
    registry
}

/// Builds an engine from TOML text, panicking with the problems on failure.
pub fn engine(toml: &str) -> Engine {
    try_engine(toml).unwrap_or_else(|e| panic!("{e}"))
}

/// Builds an engine from TOML text.
pub fn try_engine(toml: &str) -> Result<Engine, crate::ConfigError> {
    let value = Format::Toml.parse(toml).expect("valid TOML");
    let config = Config::from_value(&value).map_err(|problems| crate::ConfigError {
        source: "test".into(),
        problems,
    })?;
    Engine::new(&config, &registry(), "test")
}

/// An item whose probes read `metadata`.
pub fn item(metadata: Value) -> Item {
    Item {
        metadata,
        ..Item::new("response", Value::Null)
    }
}

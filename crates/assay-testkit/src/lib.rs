//! The conformance suite every Assay grader should pass, built-in or third-party.
//!
//! A grader keeps Assay's contract when, on any input at all:
//!
//! - every item gets exactly one result, in order, with its `id` echoed;
//! - a scored result (`ok`, `invalid`) has a finite reward, a `not_applicable` one none, and a
//!   failure (`timeout`, `error`) an error of a documented kind; never `panic` or `internal`;
//! - the component keys are the grader's own, the same for every result;
//! - asked to grade when its request's deadline has already passed, it answers promptly, every
//!   item `timeout`, without starting work; asked when the request was cancelled, every item
//!   `cancelled` (these are checked on the grader itself, since the engine's pipeline answers
//!   for a grader that does not look).
//!
//! [`Suite`] checks all of it on items you give ([`Suite::samples`]), on a fixed set of hostile
//! items (empty, huge, deeply nested, odd Unicode, references of every JSON shape) and on
//! seeded random items.
//!
//! In a grader crate's tests, build an engine with your kind's example configuration and run
//! the suite on the grader:
//!
//! ```
//! use assay_core::{Engine, Item};
//! use assay_testkit::Suite;
//!
//! fn conforms(engine: &Engine) {
//!     Suite::new(engine, "answer")
//!         .samples(vec![Item::new("\\boxed{2}", "2"), Item::new("no idea", "2")])
//!         .run()
//!         .assert_ok();
//! }
//! # let _ = conforms;
//! ```

pub mod mutate;

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use assay_core::request::DEADLINE_SLACK;
use assay_core::{
    block_on_io, Batch, BatchContext, CancelToken, Content, Engine, ErrorKind, GradeResult, Item,
    Message, ScoreRequest, Status,
};
use serde_json::{json, Value};

/// How long past the deadline (plus the engine's slack) a request may take to come back, and
/// how long a cancelled one may take: generous, so that a loaded CI machine does not fail it.
pub const PROMPT: Duration = Duration::from_secs(2);

/// The conformance checks for one grader of an engine.
#[derive(Debug)]
pub struct Suite<'a> {
    engine: &'a Engine,
    grader: String,
    samples: Vec<Item>,
    random: usize,
    seed: u64,
}

impl<'a> Suite<'a> {
    /// The suite for the grader called `grader` of `engine`.
    pub fn new(engine: &'a Engine, grader: impl Into<String>) -> Self {
        Suite {
            engine,
            grader: grader.into(),
            samples: Vec::new(),
            random: 48,
            seed: 0x5eed,
        }
    }

    /// Items of the grader's own domain (well-formed answers, real references) to check
    /// beside the generic ones.
    pub fn samples(mut self, samples: Vec<Item>) -> Self {
        self.samples = samples;
        self
    }

    /// How many seeded random items to add (default 48).
    pub fn random_items(mut self, n: usize) -> Self {
        self.random = n;
        self
    }

    /// The seed of the random items.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    /// Every item the suite grades: the samples, the hostile set, the random ones; each with
    /// its position as `id`.
    pub fn items(&self) -> Vec<Item> {
        let mut items: Vec<Item> = self.samples.clone();
        items.extend(hostile_items());
        let mut rng = SplitMix(self.seed);
        items.extend((0..self.random).map(|_| random_item(&mut rng)));
        for (i, item) in items.iter_mut().enumerate() {
            item.id = Some(json!(i));
        }
        items
    }

    /// Runs every check and reports what failed.
    pub fn run(&self) -> Report {
        let mut report = Report::default();
        let items = self.items();
        let keys: Vec<String> = match self
            .engine
            .component_keys(assay_core::Target::Grader(&self.grader))
        {
            Ok(keys) => keys.to_vec(),
            Err(e) => {
                report.fail("grader", None, e.message);
                return report;
            }
        };

        // The contract, on everything.
        let scored = self
            .engine
            .score_blocking(ScoreRequest::items(items.clone()).grader(&self.grader));
        self.check_results(&mut report, "contract", &items, &scored.results, &keys);

        // Straight to the grader: a deadline that has already passed, and a cancelled
        // request. It must answer at once, every item `timeout` (resp. `cancelled`), and
        // start no work. (Through the engine the pipeline would hide a grader that does
        // not look: it answers for it at the deadline.)
        let Some((grader, timeout)) = self.engine.grader(&self.grader) else {
            return report;
        };
        let expired = BatchContext::new(timeout).with_deadline(Some(Instant::now()));
        let cancel = CancelToken::new();
        cancel.cancel();
        let cancelled = BatchContext::new(timeout).with_cancel(cancel);
        for (check, ctx, want) in [
            ("deadline", expired, "timeout"),
            ("cancellation", cancelled, "cancelled"),
        ] {
            let started = Instant::now();
            let outcomes =
                block_on_io(Arc::clone(&grader).grade_async(Batch::new(items.clone()), ctx));
            let took = started.elapsed();
            if took > PROMPT {
                report.fail(check, None, format!("the grader took {took:?} to answer"));
            }
            if outcomes.len() != items.len() {
                report.fail(
                    check,
                    None,
                    format!("{} outcomes for {} items", outcomes.len(), items.len()),
                );
                continue;
            }
            for (item, o) in items.iter().zip(&outcomes) {
                let got = match (o.status, o.error.as_ref().map(|e| e.kind)) {
                    (Status::Timeout, _) => "timeout",
                    (_, Some(ErrorKind::Cancelled)) => "cancelled",
                    _ => "",
                };
                if got != want {
                    report.fail(
                        check,
                        Some(item),
                        format!(
                            "status {} ({:?}) for a request {}",
                            o.status,
                            o.error.as_ref().map(|e| e.kind),
                            if want == "timeout" {
                                "whose deadline had passed"
                            } else {
                                "that was cancelled"
                            }
                        ),
                    );
                }
            }
        }

        // Through the engine, a passed deadline is answered within its slack.
        let started = Instant::now();
        let scored = self.engine.score_blocking(
            ScoreRequest::items(items.clone())
                .grader(&self.grader)
                .deadline(Some(started)),
        );
        let took = started.elapsed();
        if took > DEADLINE_SLACK + PROMPT {
            report.fail(
                "deadline",
                None,
                format!("a request whose deadline had passed took {took:?}"),
            );
        }
        self.check_results(&mut report, "deadline", &items, &scored.results, &keys);
        report.checked = items.len();
        report
    }

    fn check_results(
        &self,
        report: &mut Report,
        check: &'static str,
        items: &[Item],
        results: &[GradeResult],
        keys: &[String],
    ) {
        if results.len() != items.len() {
            report.fail(
                check,
                None,
                format!("{} results for {} items", results.len(), items.len()),
            );
            return;
        }
        for (item, r) in items.iter().zip(results) {
            let mut fail = |detail: String| report.fail(check, Some(item), detail);
            if r.id != item.id {
                fail(format!("id {:?} for item {:?}", r.id, item.id));
            }
            match r.status {
                Status::Ok | Status::Invalid => {
                    if !r.reward.is_some_and(f64::is_finite) {
                        fail(format!("status {} with reward {:?}", r.status, r.reward));
                    }
                }
                Status::NotApplicable => {
                    if r.reward.is_some() {
                        fail("not_applicable with a reward".into());
                    }
                }
                _ => match &r.error {
                    None => fail(format!("status {} without an error", r.status)),
                    Some(e) if matches!(e.kind, ErrorKind::Panic | ErrorKind::Internal) => {
                        fail(format!("a bug of the grader: {e}"))
                    }
                    Some(e) if e.message.trim().is_empty() => {
                        fail(format!("an error of kind {} without a message", e.kind))
                    }
                    Some(_) => {}
                },
            }
            let got: Vec<&String> = r.components.keys().collect();
            let want: Vec<&String> = {
                let mut k: Vec<&String> = keys.iter().collect();
                k.sort();
                k.dedup();
                k
            };
            if got != want {
                fail(format!("component keys {got:?}, declared {want:?}"));
            }
            if r.components.values().flatten().any(|v| !v.is_finite()) {
                fail("a non-finite component".into());
            }
            if !(r.elapsed_ms.is_finite() && r.elapsed_ms >= 0.0) {
                fail(format!("elapsed_ms {}", r.elapsed_ms));
            }
        }
    }
}

/// What a [`Suite`] found.
#[derive(Debug, Default)]
pub struct Report {
    /// How many items each check graded.
    pub checked: usize,
    /// Every broken promise.
    pub violations: Vec<Violation>,
}

impl Report {
    fn fail(&mut self, check: &'static str, item: Option<&Item>, detail: String) {
        self.violations.push(Violation {
            check,
            item: item.map(describe),
            detail,
        });
    }

    /// Whether the grader kept every promise.
    pub fn is_ok(&self) -> bool {
        self.violations.is_empty()
    }

    /// Panics with every violation listed, unless there is none.
    #[track_caller]
    pub fn assert_ok(&self) {
        assert!(self.is_ok(), "{self}");
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_ok() {
            return write!(
                f,
                "conformance: all checks passed on {} items",
                self.checked
            );
        }
        writeln!(f, "conformance: {} violations", self.violations.len())?;
        for v in &self.violations {
            writeln!(f, "  - {v}")?;
        }
        Ok(())
    }
}

/// One broken promise.
#[derive(Debug, Clone)]
pub struct Violation {
    /// Which check: `contract`, `deadline`, `cancellation`, `grader`.
    pub check: &'static str,
    /// The item, abbreviated.
    pub item: Option<String>,
    /// What went wrong.
    pub detail: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.item {
            Some(item) => write!(f, "[{}] {}: {}", self.check, item, self.detail),
            None => write!(f, "[{}] {}", self.check, self.detail),
        }
    }
}

fn describe(item: &Item) -> String {
    let text = serde_json::to_string(item).unwrap_or_default();
    match text.char_indices().nth(160) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text,
    }
}

/// Items that have broken graders elsewhere: empty and huge responses, deep nesting, odd
/// Unicode, chat transcripts without an assistant turn, references of every JSON shape.
pub fn hostile_items() -> Vec<Item> {
    let deep_json = (0..200).fold(json!(0), |v, _| json!([v]));
    let references = [
        Value::Null,
        json!(""),
        json!(0),
        json!(-1.5e308),
        json!(true),
        json!([]),
        json!({}),
        json!({"tests": "not a list"}),
        deep_json,
        json!("x".repeat(100_000)),
    ];
    let responses = [
        String::new(),
        " \n\t ".into(),
        "\u{0}\u{202e}\u{feff}\u{200d}".into(),
        "\\boxed{".repeat(2000),
        "(".repeat(5000),
        "{".repeat(5000) + &"}".repeat(5000),
        "a".repeat(1 << 20),
        "```python\n".repeat(100),
        "<think></think><answer></answer>".into(),
        "9^{9^{9^{9}}}".into(),
        "🙂🙃 日本語 العربية ∑∫√".into(),
        "\u{fffd}".repeat(1000),
    ];
    let mut items = Vec::new();
    for (i, response) in responses.iter().enumerate() {
        items.push(Item::new(
            response.clone(),
            references[i % references.len()].clone(),
        ));
    }
    for reference in references {
        items.push(Item::new("42", reference));
    }
    items.push(Item {
        response: Content::Messages(vec![Message {
            role: "user".into(),
            content: "only a user turn".into(),
            tool_calls: None,
        }]),
        ..Item::new("", "42")
    });
    items.push(Item {
        response: Content::Messages(Vec::new()),
        ..Item::new("", "42")
    });
    items.push(Item {
        metadata: json!({"odd": [1, {"x": null}], "key with spaces": "\u{0}"}),
        group: Some("g".repeat(10_000)),
        data_source: Some("\u{202e}".into()),
        ..Item::new("42", "42")
    });
    items
}

/// A random item: fragments of LaTeX, code, JSON and prose glued together, and a reference of
/// a random JSON shape.
fn random_item(rng: &mut SplitMix) -> Item {
    const PIECES: &[&str] = &[
        "\\boxed{",
        "}",
        "\\frac{",
        "{",
        "(",
        ")",
        "[",
        "]",
        "1",
        "-3.5",
        "x",
        "^",
        "_",
        "\\sqrt",
        "=",
        "<answer>",
        "</answer>",
        "<think>",
        "</think>",
        "```python\n",
        "```",
        "\n",
        " ",
        "print(",
        "def f",
        "SELECT * FROM t",
        ";",
        "\"",
        "\\\\",
        "$",
        "%",
        "∞",
        "é",
        "\u{0}",
        "Answer: C",
        "{\"name\": \"f\", \"arguments\": {}}",
        "<tool_call>",
        "</tool_call>",
    ];
    let mut response = String::new();
    for _ in 0..rng.below(40) {
        response.push_str(PIECES[rng.below(PIECES.len())]);
    }
    let reference = match rng.below(6) {
        0 => Value::Null,
        1 => json!(rng.below(1000)),
        2 => json!(PIECES[rng.below(PIECES.len())]),
        3 => json!([PIECES[rng.below(PIECES.len())], rng.below(9)]),
        4 => json!({"tests": [{"stdin": "", "stdout": "1"}], "time_limit_s": 1}),
        _ => json!({"gold": PIECES[rng.below(PIECES.len())]}),
    };
    Item::new(response, reference)
}

/// A small seeded generator (SplitMix64): the suite's random items are the same on every run.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_are_reproducible_and_numbered() {
        let engine = engine("fine");
        let a = Suite::new(&engine, "x").items();
        let b = Suite::new(&engine, "x").items();
        assert_eq!(a, b);
        assert!(a
            .iter()
            .enumerate()
            .all(|(i, item)| item.id == Some(json!(i))));
        let c = Suite::new(&engine, "x").seed(7).items();
        assert_ne!(a, c);
    }

    #[test]
    fn an_unknown_grader_is_reported() {
        let engine = engine("fine");
        let report = Suite::new(&engine, "nope").run();
        assert!(!report.is_ok());
        assert!(
            report.to_string().contains("no grader named `nope`"),
            "{report}"
        );
    }

    use assay_core::{Budget, BuildContext, Grader, GraderKind, Outcome, Registry, SharedGrader};

    /// Graders that each break one promise.
    struct Broken(&'static str);

    impl Grader for Broken {
        fn components(&self) -> Vec<String> {
            vec!["declared".into()]
        }
        fn grade(&self, item: &Item, _: &Budget) -> Outcome {
            match self.0 {
                "panics" if item.response_text().len() > 100 => panic!("too long"),
                "undeclared" => Outcome::ok(1.0).component("surprise", 1.0),
                "nan" => Outcome::ok(f64::NAN),
                _ => Outcome::ok(1.0).component("declared", 1.0),
            }
        }
        fn grade_batch(&self, items: &[&Item], ctx: &BatchContext) -> Vec<Outcome> {
            if self.0 == "careless" {
                // Ignores the budgets: grades even after the deadline and cancellation.
                return items
                    .iter()
                    .map(|i| self.grade(i, &Budget::unlimited()))
                    .collect();
            }
            items
                .iter()
                .enumerate()
                .map(|(k, item)| ctx.grade_timed(self, k, item))
                .collect()
        }
    }

    #[derive(serde::Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    struct BrokenOptions {
        how: String,
    }

    struct BrokenKind;
    impl GraderKind for BrokenKind {
        type Options = BrokenOptions;
        const NAME: &'static str = "broken";
        const FAMILY: &'static str = "test";
        const SUMMARY: &'static str = "Breaks one promise (tests only).";
        const REFERENCE: &'static str = "not used";
        fn build(o: BrokenOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
            let how: &'static str = Box::leak(o.how.into_boxed_str());
            Ok(Arc::new(Broken(how)))
        }
    }

    fn engine(how: &str) -> Engine {
        let mut registry = Registry::new();
        registry.register::<BrokenKind>();
        let config = assay_core::Config::from_value(
            &json!({"graders": {"g": {"kind": "broken", "how": how}}}),
        )
        .unwrap();
        Engine::new(&config, &registry, "test").unwrap()
    }

    #[test]
    fn a_conforming_grader_passes() {
        Suite::new(&engine("fine"), "g").run().assert_ok();
    }

    #[test]
    fn each_broken_promise_is_caught() {
        let cases = [
            ("panics", "contract", "a bug of the grader"),
            ("undeclared", "contract", "which it does not declare"),
            ("nan", "contract", "a bug of the grader"),
            ("careless", "deadline", "whose deadline had passed"),
            ("careless", "cancellation", "that was cancelled"),
        ];
        for (how, check, detail) in cases {
            let report = Suite::new(&engine(how), "g").run();
            assert!(
                report
                    .violations
                    .iter()
                    .any(|v| v.check == check && v.detail.contains(detail)),
                "{how}: {report}"
            );
        }
    }
}

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

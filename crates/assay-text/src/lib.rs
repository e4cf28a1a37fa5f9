//! Text graders for Assay: the simple checks every RL recipe uses.
//!
//! | kind | rewards |
//! |---|---|
//! | [`string_check`] | the response equals / does not equal / contains the reference, after optional normalization |
//! | [`regex`](mod@regex) | the response matches a pattern; a capture group becomes `pred`, optionally compared with the reference |
//! | [`choice`] | the multiple-choice letter the response gives equals the reference letter |
//! | [`format`](mod@format) | tag structure such as `<think>…</think><answer>…</answer>` |
//! | [`length`] | length shaping: DAPO overlong penalty, cosine-scaled reward, Kimi k1.5 group length reward |
//! | [`repetition`] | n-gram repetition penalty |
//!
//! Each grader lives in its own module with its options and documentation beside its code;
//! [`register`] adds them all to a [`Registry`](assay_core::Registry).
//!
//! Costs: every grader here is linear in the length of the response (the `regex` crate
//! guarantees linear-time matching), and the ones that loop over words or tags also check the
//! item's budget as they go.

pub mod choice;
pub mod common;
pub mod format;
pub mod length;
pub mod regex;
pub mod repetition;
pub mod string_check;

#[cfg(test)]
pub(crate) mod testing;

/// Registers every text grader kind: `string_check`, `regex`, `choice`, `format`, `length`,
/// `repetition`.
pub fn register(registry: &mut assay_core::Registry) {
    registry
        .register::<string_check::StringCheckKind>()
        .register::<regex::RegexKind>()
        .register::<choice::ChoiceKind>()
        .register::<format::FormatKind>()
        .register::<length::LengthKind>()
        .register::<repetition::RepetitionKind>();
}

#[cfg(test)]
mod tests {
    use assay_core::{Item, Registry, Status};
    use serde_json::json;

    use crate::testing::engine;

    /// The configuration shape the README documents (graders, a composition, routes), with
    /// `string_check` standing in for `math`.
    #[test]
    fn design_example_configuration() {
        let e = engine(
            r#"
            [graders.answer]
            kind = "string_check"
            normalize = ["trim"]

            [graders.fmt]
            kind = "format"
            tags = ["think", "answer"]

            [graders.total]
            kind = "multi"
            graders = ["answer", "fmt"]
            formula = "0.9 * answer + 0.1 * fmt"

            [[routes]]
            data_source = "gsm8k*"
            grader = "total"

            [[routes]]
            data_source = "*"
            grader = "answer"
            "#,
        );
        let item = |source: &str, response: &str| Item {
            data_source: Some(source.into()),
            ..Item::new(response, "4")
        };
        let results = e.score(&[
            item("gsm8k_main", "<think>2+2</think><answer>4</answer>"),
            item("gsm8k_main", "4"),
            item("other", " 4 "),
        ]);
        assert!(
            (results[0].reward.unwrap() - 0.1).abs() < 1e-12,
            "{:?}",
            results[0]
        );
        assert!(
            (results[1].reward.unwrap() - 0.9).abs() < 1e-12,
            "{:?}",
            results[1]
        );
        assert_eq!(results[1].components["fmt"], Some(0.0));
        assert_eq!(results[2].reward, Some(1.0));
        assert_eq!(results[2].status, Status::Ok);
        assert_eq!(
            results[1].explanation["fmt"]["problems"][0],
            json!("missing <think>")
        );
    }

    #[test]
    fn every_kind_is_registered_and_documented() {
        let mut registry = Registry::new();
        super::register(&mut registry);
        assert_eq!(
            registry.names(),
            [
                "choice",
                "format",
                "length",
                "regex",
                "repetition",
                "string_check"
            ]
        );
        for kind in registry.kinds() {
            let info = &kind.info;
            assert_eq!(info.family, "text");
            assert!(info.summary.ends_with('.'), "{}", info.name);
            assert!(!info.options.is_empty(), "{}", info.name);
            for option in &info.options {
                assert!(
                    !option.description.is_empty(),
                    "{}.{} has no description",
                    info.name,
                    option.name
                );
                assert_ne!(option.ty, "any", "{}.{}", info.name, option.name);
            }
            println!("{}", serde_json::to_string_pretty(info).unwrap());
        }
    }
}

/// The README's examples, compiled and run as doctests so they stay true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

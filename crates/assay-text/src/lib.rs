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
    use assay_core::Registry;

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

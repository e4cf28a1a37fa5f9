//! Property tests of the parsers of untrusted text in assay-core: the JSONL item reader and
//! the configuration reader (TOML). No input panics; a malformed line's message names its line
//! and stays short however long the line; a well-formed item reads back as written.

use assay_core::config::Format;
use assay_core::{Config, MalformedItem};
use assay_testkit::mutate::mutated;
use proptest::prelude::*;
use serde_json::json;

const LINES: &[&str] = &[
    r#"{"id": "q17#3", "data_source": "mmlu", "group": "q17", "prompt": "Which?", "response": "<think>…</think><answer>C</answer>", "reference": "C", "metadata": {}}"#,
    r#"{"id": 1, "response": [{"role": "assistant", "content": "Answer: 12"}], "reference": ["12", 12]}"#,
    r#"{"response": "x", "reference": {"db": "a.sqlite", "gold": "SELECT 1"}, "metadata": {"k": [1, 2, {"z": null}]}}"#,
    r#"{"id": [1, 2], "response": "", "reference": null}"#,
];

const CONFIGS: &[&str] = &[
    "[graders.answer]\nkind = \"choice\"\n[graders.fmt]\nkind = \"format\"\ntags = [\"think\", \"answer\"]\n[graders.total]\nkind = \"multi\"\ngraders = [\"answer\", \"fmt\"]\nformula = \"0.9 * answer + 0.1 * fmt\"\n[[routes]]\ndata_source = \"mmlu*\"\ngrader = \"total\"\n",
    "timeout_ms = 500\non_error = \"zero\"\n[graders.m]\nkind = \"math\"\ntimeout_ms = 20\n",
    "[graders.a]\nkind = \"transform\"\ngrader = \"a\"\n",
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn a_line_never_panics_and_a_bad_one_says_where_in_few_words(
        line in prop_oneof![
            any::<String>(),
            mutated(LINES.to_vec(), 8),
            "[\\[\\]{}\",:0-9a-z ]{0,200}",
        ],
        number in 1u64..10_000_000,
        padding in 0usize..20_000,
    ) {
        let line = format!("{line}{}", " x".repeat(padding));
        if let Err(bad) = MalformedItem::parse_numbered_line(&line, number) {
            prop_assert!(bad.message.starts_with(&format!("line {number}: ")), "{}", bad.message);
            // The excerpt is short whatever the line's length.
            prop_assert!(bad.message.chars().count() < 1_000, "{} chars", bad.message.len());
        }
    }

    #[test]
    fn a_well_formed_item_reads_back_as_written(
        id in any::<i64>(),
        response in any::<String>(),
        reference in any::<String>(),
        ds in proptest::option::of("[a-z_*]{1,12}"),
    ) {
        let line = json!({"id": id, "response": response, "reference": reference, "data_source": ds}).to_string();
        let item = MalformedItem::parse_numbered_line(&line, 1).expect("a valid item");
        prop_assert_eq!(&item.id, &Some(json!(id)));
        prop_assert_eq!(item.response_text(), response.as_str());
        prop_assert_eq!(item.data_source, ds);
    }

    #[test]
    fn a_configuration_never_panics_and_every_problem_has_a_message(
        text in prop_oneof![
            any::<String>(),
            mutated(CONFIGS.to_vec(), 8),
        ],
    ) {
        if let Ok(value) = Format::Toml.parse(&text) {
            if let Err(problems) = Config::from_value(&value) {
                prop_assert!(!problems.is_empty());
                for p in problems {
                    prop_assert!(!p.message.is_empty());
                }
            }
        }
    }
}

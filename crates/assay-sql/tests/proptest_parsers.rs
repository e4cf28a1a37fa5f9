//! Property tests of SQL extraction on untrusted responses: no input panics, and what is
//! extracted is trimmed text taken from the response.

use assay_sql::extract::{extract, Source};
use assay_sql::ExtractMode;
use proptest::prelude::*;

/// Responses made of the pieces SQL answers are made of, in any order (mostly malformed).
fn sqlish() -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        "```sql\n",
        "```\n",
        "```",
        "~~~",
        "\n",
        "SELECT ",
        "count(*) ",
        "FROM t ",
        "WHERE ",
        "a = 'x'",
        ";",
        "<answer>",
        "</answer>",
        "Final SQL:",
        "WITH RECURSIVE r(n) AS ",
        "(SELECT 1 UNION ALL SELECT n+1 FROM r) ",
        "-- comment\n",
        "/* c */",
        "\"",
        "'",
        " ",
        "é",
        "\u{0}",
        "\r\n",
    ];
    prop::collection::vec(prop::sample::select(PIECES), 0..40).prop_map(|p| p.concat())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn extraction_never_panics_and_takes_text_of_the_response(
        response in prop_oneof![any::<String>(), sqlish()],
        mode in prop::sample::select(vec![ExtractMode::Auto, ExtractMode::Fence, ExtractMode::Anchor, ExtractMode::Whole]),
        anchor in proptest::option::of(prop::sample::select(vec!["<answer>", "Final SQL:", "", "```"])),
    ) {
        if let Some(found) = extract(&response, mode, anchor) {
            prop_assert_eq!(found.sql.trim(), found.sql.as_str());
            if found.source == Source::Whole {
                prop_assert_eq!(found.sql.as_str(), response.trim());
            } else {
                prop_assert!(response.contains(found.sql.as_str()), "{:?} not in {:?}", found.sql, response);
            }
        }
    }
}

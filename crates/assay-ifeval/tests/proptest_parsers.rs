//! Property tests of the IFEval reference reader on untrusted text: references as JSON or
//! Python literals (mutated lines of IFEval's own data, random kwargs), graded end to end
//! against random responses. No input panics: every item gets a result whose status is never
//! `panic` or `internal`.

use std::sync::OnceLock;

use assay_core::{Config, Engine, ErrorKind, Item, Registry};
use assay_testkit::mutate::mutated;
use proptest::prelude::*;
use serde_json::{json, Value};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut registry = Registry::new();
        assay_ifeval::register(&mut registry);
        let config = Config::from_value(&json!({"graders": {"if": {"kind": "ifeval"}}})).unwrap();
        Engine::new(&config, &registry, "proptest").unwrap()
    })
}

/// The references of IFEval's sample data, as JSON text.
fn seeds() -> Vec<String> {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/ifeval_sample.jsonl"
    ))
    .unwrap();
    text.lines()
        .take(200)
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            json!({"instruction_id_list": v["instruction_id_list"], "kwargs": v["kwargs"]})
                .to_string()
        })
        .collect()
}

/// A kwargs value of any JSON shape, small.
fn kwarg_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        "[a-z ,.!]{0,12}".prop_map(Value::from),
        prop::sample::select(vec![
            "at least",
            "less than",
            "en",
            "fr",
            "json",
            "Section",
            "***"
        ])
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 12, 3, |inner| {
        prop::collection::vec(inner, 0..3).prop_map(Value::from)
    })
}

fn random_reference() -> impl Strategy<Value = Value> {
    let ids = assay_ifeval::instructions::all_ids().to_vec();
    let keys = vec![
        "num_words",
        "relation",
        "num_sentences",
        "num_paragraphs",
        "nth_paragraph",
        "first_word",
        "keywords",
        "forbidden_words",
        "letter",
        "let_frequency",
        "let_relation",
        "num_highlights",
        "section_spliter",
        "num_sections",
        "num_bullets",
        "language",
        "end_phrase",
        "prompt_to_repeat",
        "num_placeholders",
        "postscript_marker",
        "capital_frequency",
        "capital_relation",
        "keyword",
        "frequency",
    ];
    prop::collection::vec(
        (
            prop::sample::select(ids),
            prop::collection::btree_map(prop::sample::select(keys), kwarg_value(), 0..4),
        ),
        0..4,
    )
    .prop_map(|pairs| {
        let (ids, kwargs): (Vec<_>, Vec<_>) = pairs.into_iter().unzip();
        json!({"instruction_id_list": ids, "kwargs": kwargs})
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn any_reference_and_response_get_a_result_that_is_never_a_panic(
        reference in prop_oneof![
            mutated(seeds(), 6).prop_map(Value::from),
            random_reference(),
            any::<String>().prop_map(Value::from),
            // Python literals, as the IF-RLVR data writes them.
            "\\{'instruction_id_list': \\['[a-z:_]{1,30}'\\], 'kwargs': \\[\\{'[a-z_]{1,12}': (None|True|[0-9]{1,3}|'[a-z]{0,5}'|\\(1, \\[2\\]\\))\\}\\]\\}"
                .prop_map(Value::from),
        ],
        response in prop_oneof![any::<String>(), "[A-Za-z .,!*#\\n]{0,300}"],
    ) {
        let result = &engine().score(&[Item::new(response, reference)])[0];
        if let Some(error) = &result.error {
            prop_assert!(
                !matches!(error.kind, ErrorKind::Panic | ErrorKind::Internal),
                "{:?}: {}", error.kind, error.message
            );
        }
    }

    #[test]
    fn python_literals_never_panic(text in prop_oneof![
        any::<String>(),
        "[\\[\\](){}'\",:0-9a-zTFN ]{0,120}",
        (1usize..5000).prop_map(|n| "[".repeat(n)),
    ]) {
        let _ = assay_ifeval::pyliteral::parse(&text);
    }
}

//! Property tests of the code grader's readers of untrusted text: the program's extraction from
//! a response (fenced blocks, tags, cut-off blocks) and the reference reader. No input panics;
//! the extracted program is a slice of the response.

use assay_code::{last_code_block, Reference};
use proptest::prelude::*;
use serde_json::{json, Value};

fn fenced() -> impl Strategy<Value = String> {
    const PIECES: &[&str] = &[
        "```python\n",
        "```py\n",
        "```cpp\n",
        "```\n",
        "```",
        "~~~\n",
        "~~~python\n",
        "````\n",
        "\n",
        "def f(x):\n",
        "    return x\n",
        "print(f(1))\n",
        "text ",
        "```python ```\n",
        " ```\n",
        "\r\n",
        "é",
        "\t",
    ];
    prop::collection::vec(prop::sample::select(PIECES), 0..30).prop_map(|p| p.concat())
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        "[a-z =()0-9\\n]{0,20}".prop_map(Value::from),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(
                prop::sample::select(vec![
                    "inputs",
                    "outputs",
                    "input",
                    "output",
                    "tests",
                    "test_list",
                    "test",
                    "entry_point",
                    "language",
                    "time_limit",
                    "memory_mb",
                    "fn_name",
                    "setup",
                    "imports",
                ]),
                inner,
                0..4,
            )
            .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_string(), v)).collect())),
        ]
    })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1024, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn the_program_is_a_slice_of_the_response(
        response in prop_oneof![any::<String>(), fenced()],
        tags in prop::sample::select(vec![vec!["python", "py"], vec!["cpp"], vec![]]),
    ) {
        if let Some(program) = last_code_block(&response, &tags) {
            let start = program.as_ptr() as usize - response.as_ptr() as usize;
            prop_assert!(start + program.len() <= response.len());
        }
    }

    #[test]
    fn any_reference_is_read_or_refused_without_a_panic(
        reference in prop_oneof![
            json_value(),
            Just(json!({"inputs": ["1\n"], "outputs": ["1\n"]})),
            any::<String>().prop_map(Value::from),
            "assert f\\([0-9]{1,3}\\) == [0-9]{1,3}(\\nassert [a-z(),0-9 =]{0,30}){0,3}".prop_map(Value::from),
        ],
    ) {
        if let Err(message) = Reference::parse(&reference) {
            prop_assert!(!message.is_empty());
        }
    }
}

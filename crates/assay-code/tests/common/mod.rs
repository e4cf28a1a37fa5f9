//! What the `code` grader's integration tests share.

use assay_code::{CodeGrader, CodeOptions};
use assay_core::{BatchContext, Grader, Item, Outcome};
use serde_json::Value;

/// Grades one item with a fresh grader of `options`.
pub fn grade_with(options: CodeOptions, response: &str, reference: Value) -> Outcome {
    let grader = CodeGrader::new(options).expect("valid options");
    let item = Item::new(response, reference);
    grader
        .grade_batch(&[&item], &BatchContext::new(None))
        .pop()
        .expect("one outcome per item")
}

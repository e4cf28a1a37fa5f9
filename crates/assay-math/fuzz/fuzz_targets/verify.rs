//! Fuzz target: any (reference, response) pair must get a verdict without panicking, within
//! its step budget.
#![no_main]

use assay_math::{verify, Steps, Options};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line is the reference, the rest the response.
    let (reference, response) = text.split_once('\n').unwrap_or((text, text));
    let _ = verify(reference, response, &Options::default(), &mut Steps::new(200_000));
});

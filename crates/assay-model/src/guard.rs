//! The one-token guard ([`assay_guard`]), run before any request: a response with no
//! substantive content (empty, punctuation only, a reasoning opener with nothing after it in
//! any of the guard's languages, the prompt echoed) earns 0 with reason `no_content`, and no
//! request is sent (its usage is zero).

use assay_core::{Item, Outcome};

pub use assay_guard::GuardOptions;

/// A built guard.
#[derive(Debug, Clone)]
pub struct Guard {
    inner: assay_guard::Guard,
}

impl Guard {
    /// Builds the guard; the message says what to change.
    pub fn new(options: GuardOptions) -> Result<Guard, String> {
        assay_guard::Guard::new(options)
            .map(|inner| Guard { inner })
            .map_err(|e| format!("guard: {e}"))
    }

    /// `Some(outcome)` (reward 0, reason `no_content`, the guard's finer reason and message)
    /// when the item's response has no content.
    pub fn check(&self, item: &Item) -> Option<Outcome> {
        let flagged = self.inner.check(item.response_text(), item.prompt_text())?;
        Some(
            Outcome::ok(0.0)
                .explain("reason", assay_guard::NO_CONTENT)
                .explain("guard", flagged.reason())
                .explain("guard_message", flagged.message().to_string()),
        )
    }
}

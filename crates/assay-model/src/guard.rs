//! The one-token guard, run before any request: a response with no substantive content earns
//! 0 with reason `no_content`, and no request is sent (its usage is zero).

use assay_core::{Item, Outcome};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Options of the guard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, default)]
pub struct GuardOptions {
    /// Whether the guard runs (on by default).
    pub enabled: bool,
}

impl Default for GuardOptions {
    fn default() -> Self {
        GuardOptions { enabled: true }
    }
}

/// A built guard.
#[derive(Debug, Clone)]
pub struct Guard {
    options: GuardOptions,
}

impl Guard {
    /// Builds the guard; the message says what to change.
    pub fn new(options: GuardOptions) -> Result<Guard, String> {
        Ok(Guard { options })
    }

    /// `Some(outcome)` (reward 0, reason `no_content`) when the item's response has no content.
    pub fn check(&self, item: &Item) -> Option<Outcome> {
        if !self.options.enabled {
            return None;
        }
        let response = item.response_text();
        let trimmed = response.trim();
        let why = if trimmed.chars().all(|c| !c.is_alphanumeric()) {
            "the response has no letters or digits"
        } else if item
            .prompt_text()
            .is_some_and(|p| !p.trim().is_empty() && p.trim() == trimmed)
        {
            "the response repeats the prompt"
        } else {
            return None;
        };
        Some(
            Outcome::ok(0.0)
                .explain("reason", "no_content")
                .explain("guard", why),
        )
    }
}

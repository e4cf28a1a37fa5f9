//! The no-content guard: decides, before any model-based grader is asked, that a response has
//! nothing in it worth grading.
//!
//! A policy under RL learns quickly that a judge or a reward model can be paid with nothing: an
//! empty string, `...`, a lone `<think></think>`, `Let's solve this step by step.` and then
//! silence, or the question copied back. [`check`] catches these in one linear pass, with no
//! model and no request; a grader that gets `Some(NoContent)` gives reward 0 with the reason
//! [`NO_CONTENT`] and sends nothing.
//!
//! | reason | the response is |
//! |---|---|
//! | `empty` | empty, or only whitespace and invisible characters |
//! | `punctuation_only` | only punctuation, symbols, emoji and markup (`...`, `？！`, `👍`, `<think></think>`, `\boxed{}`) |
//! | `too_short` | fewer letters and digits than [`GuardOptions::min_content_chars`] (off by default) |
//! | `opener_only` | only reasoning openers: `Solution:`, `**Final answer:**`, `Let's think step by step.`, `答案：`, `Lösung`, `Решение:` … |
//! | `prompt_echo` | the prompt copied back (once or more), possibly between openers (`Question: <prompt> Answer:`) |
//!
//! # What is content
//!
//! Letters and digits of every script, and mathematical symbols (`∞`, `∅`, `≤`, `⊂`), are
//! content; so `42`, `B`, `No`, `x = 3`, `\boxed{7}`, `是`, `Oui`, `∞` all pass. ASCII
//! punctuation and symbols (`<`, `=`, `+` alone), emoji and pictographs are not: a response of
//! only those is `punctuation_only`. Text is compared after folding case, accents (Latin
//! letters, `ё`), full-width forms, styled letters (`𝐒𝐨𝐥𝐮𝐭𝐢𝐨𝐧`, `Ⓢⓞⓛⓤⓣⓘⓞⓝ`, `ꜱᴏʟᴜᴛɪᴏɴ`) and
//! Cyrillic or Greek look-alikes of Latin letters, and ignoring punctuation, whitespace and
//! markup: see [`GuardOptions`] for what can be tuned.
//!
//! # Openers
//!
//! Built-in openers cover English, Chinese (simplified and traditional), Spanish, French,
//! German, Japanese and Russian, with a few in Portuguese, Italian and Korean
//! ([`builtin_openers`]). An *opener* (`Solution`, `Answer`, `Let's think step by step`,
//! `Step 2`, `答案`, `Ответ`) is no content alone; a *filler* (`Okay`, `So`, `Well`, `Bien`,
//! `Итак`) is an answer alone (`Okay.`) and no content only beside another filler or an
//! opener (`Okay, so`, `Okay, let's solve this.`). A response made only of openers is flagged
//! even where the opener word could be the answer (a chemistry question answered
//! `Solution`); list such answers in [`GuardOptions::allow`].
//!
//! # Cost
//!
//! Linear in the length of the response (and of the prompt, for the echo check), with no
//! regular expressions and no backtracking: one pass builds the folded skeleton, one pass
//! from each end runs the opener automaton (see the `openers` module), and the echo check is a
//! linear substring search (`str::contains`, two-way). Memory is linear in the input. A
//! response of 10 MB of spaces or of `Solution: ` repeated is decided in one pass.
//!
//! # Example
//!
//! ```
//! use assay_guard::{check, GuardOptions};
//!
//! let options = GuardOptions::default();
//! let flagged = check("**Solution:** Let's think step by step.", None, &options).unwrap();
//! assert_eq!(flagged.reason(), "opener_only");
//! assert!(check("Solution: x = 3", None, &options).is_none());
//! let echo = check("Question: What is 2 + 2?", Some("What is 2+2?"), &options).unwrap();
//! assert_eq!(echo.reason(), "prompt_echo");
//! ```

#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;

mod attack;
mod normalize;
mod openers;

use std::fmt;
use std::sync::{Arc, OnceLock};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use attack::{attack_sample, attack_set, genuine_set, AttackCase, GenuineCase};

use normalize::skeleton;
use openers::{compile, scan, Strength, Tries};

/// The reason string of the outward result a grader gives a response the guard flags
/// (reward 0, no request sent); [`NoContent::reason`] has the finer detail.
pub const NO_CONTENT: &str = "no_content";

/// Options of the guard. Every field has a default; `{}` is the default guard.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct GuardOptions {
    /// Run the guard at all (default `true`). When `false`, [`check`] flags nothing.
    pub enabled: bool,
    /// Flag responses made only of reasoning openers (default `true`).
    pub openers: bool,
    /// More openers, in any language, matched like the built-in ones (case, accents, width,
    /// punctuation and markup ignored; `{n}` stands for a number, as in `"Step {n}"`). Each
    /// must have at least one letter or digit.
    pub extra_openers: Vec<String>,
    /// Responses that are never flagged as openers, compared after the same folding: for
    /// tasks where an opener word is a real answer (`"Solution"` to a chemistry question).
    pub allow: Vec<String>,
    /// Responses with fewer letters and digits than this are `too_short` (default 1, which
    /// only the empty and punctuation-only responses fail; `B` and `7` are answers).
    pub min_content_chars: usize,
    /// Flag the prompt echoed back (default `true`; needs the prompt).
    pub prompt_echo: bool,
    /// A response is an echo when, once openers at both ends are set aside, it is a
    /// contiguous part of the prompt holding at least this fraction of the prompt's letters
    /// and digits (default 0.9; 1.0 flags only whole echoes). Must be in (0, 1].
    pub echo_threshold: f64,
    /// Echoes shorter than this many letters and digits are never flagged (default 4): a
    /// one-word prompt answered by the same word may be right.
    pub echo_min_chars: usize,
}

impl Default for GuardOptions {
    fn default() -> Self {
        Self {
            enabled: true,
            openers: true,
            extra_openers: Vec::new(),
            allow: Vec::new(),
            min_content_chars: 1,
            prompt_echo: true,
            echo_threshold: 0.9,
            echo_min_chars: 4,
        }
    }
}

/// Options that cannot make a guard.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidOptions(String);

impl fmt::Display for InvalidOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InvalidOptions {}

/// Why a response has no content.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Reason {
    /// Empty, or only whitespace and invisible characters.
    Empty,
    /// Only punctuation, symbols, emoji and markup.
    PunctuationOnly,
    /// Fewer letters and digits than `min_content_chars`.
    TooShort,
    /// Only reasoning openers and fillers.
    OpenerOnly,
    /// The prompt copied back, possibly between openers.
    PromptEcho,
}

impl Reason {
    /// The reason as a stable snake_case string (`empty`, `punctuation_only`, `too_short`,
    /// `opener_only`, `prompt_echo`).
    pub fn as_str(self) -> &'static str {
        match self {
            Reason::Empty => "empty",
            Reason::PunctuationOnly => "punctuation_only",
            Reason::TooShort => "too_short",
            Reason::OpenerOnly => "opener_only",
            Reason::PromptEcho => "prompt_echo",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The guard's verdict on a response without content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NoContent {
    kind: Reason,
    message: String,
}

impl NoContent {
    fn new(kind: Reason, message: String) -> Self {
        Self { kind, message }
    }

    /// The finer reason as a string: `empty`, `punctuation_only`, `too_short`, `opener_only`
    /// or `prompt_echo`.
    pub fn reason(&self) -> &'static str {
        self.kind.as_str()
    }

    /// The finer reason.
    pub fn kind(&self) -> Reason {
        self.kind
    }

    /// A sentence for people. It never quotes the response.
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for NoContent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.message)
    }
}

impl std::error::Error for NoContent {}

/// A guard compiled from its options: build it once per grader, call [`Guard::check`] per
/// response.
#[derive(Debug, Clone)]
pub struct Guard {
    options: GuardOptions,
    tries: Arc<Tries>,
    allow: Vec<String>,
}

fn builtin_tries() -> Arc<Tries> {
    static TRIES: OnceLock<Arc<Tries>> = OnceLock::new();
    TRIES.get_or_init(|| Arc::new(Tries::builtin())).clone()
}

/// A skeleton with its separators removed (what openers and `allow` entries are compared on).
fn compact(text: &str) -> String {
    text.chars().filter(|&c| c != ' ').collect()
}

impl Guard {
    /// Compiles `options`. Errors when `echo_threshold` is not in (0, 1] or an extra opener has
    /// no letter or digit.
    pub fn new(options: GuardOptions) -> Result<Self, InvalidOptions> {
        let t = options.echo_threshold;
        if !(t > 0.0 && t <= 1.0) {
            return Err(InvalidOptions(format!(
                "echo_threshold is {t}; give a fraction of the prompt in (0, 1], e.g. 0.9 \
                 (1.0 flags only whole echoes; set prompt_echo = false to turn echoes off)"
            )));
        }
        let tries = if options.extra_openers.is_empty() {
            builtin_tries()
        } else {
            let mut tries = Tries::builtin();
            for extra in &options.extra_openers {
                let compiled = compile(extra).ok_or_else(|| {
                    InvalidOptions(format!(
                        "extra opener {extra:?} has no letter or digit; openers are compared on \
                         their letters and digits only, so give its words"
                    ))
                })?;
                tries.add(&compiled, Strength::Strong);
            }
            Arc::new(tries)
        };
        let allow = options
            .allow
            .iter()
            .map(|a| compact(&skeleton(a).text))
            .collect();
        Ok(Self {
            options,
            tries,
            allow,
        })
    }

    /// The options this guard was built from.
    pub fn options(&self) -> &GuardOptions {
        &self.options
    }

    /// `Some` when `response` has no content worth grading (see the crate docs for what that
    /// means); `prompt` enables the echo check. Linear time in both lengths.
    pub fn check(&self, response: &str, prompt: Option<&str>) -> Option<NoContent> {
        let o = &self.options;
        if !o.enabled {
            return None;
        }
        let r = skeleton(response);
        if r.content == 0 {
            return Some(if r.visible {
                NoContent::new(
                    Reason::PunctuationOnly,
                    "the response has only punctuation, symbols or markup, no letter or digit"
                        .into(),
                )
            } else {
                NoContent::new(
                    Reason::Empty,
                    "the response is empty or only whitespace".into(),
                )
            });
        }
        if r.content < o.min_content_chars {
            return Some(NoContent::new(
                Reason::TooShort,
                format!(
                    "the response has {} letters or digits, fewer than min_content_chars = {}",
                    r.content, o.min_content_chars
                ),
            ));
        }
        let forward = scan(&self.tries.forward, r.text.chars());
        if o.openers && forward.only_openers && !self.allowed(&r.text) {
            return Some(NoContent::new(
                Reason::OpenerOnly,
                "the response is only reasoning openers (such as \"Solution:\" or \"Let's think \
                 step by step\") with nothing after them"
                    .into(),
            ));
        }
        if let (true, Some(prompt)) = (o.prompt_echo, prompt) {
            // Compared without separators: `l'Allemagne` and `lAllemagne` are one echo.
            let core = compact(self.core(&r.text, forward.prefix));
            let p = skeleton(prompt);
            let p_core = self.core(&p.text, scan(&self.tries.forward, p.text.chars()).prefix);
            let p_core = compact(p_core);
            let n = core.chars().count();
            let p_n = p_core.chars().count();
            if n >= o.echo_min_chars.max(1)
                && p_n > 0
                && (n as f64 >= o.echo_threshold * p_n as f64 && p_core.contains(&core)
                    || is_repetition_of(&core, &p_core))
            {
                return Some(NoContent::new(
                    Reason::PromptEcho,
                    format!(
                        "the response repeats the prompt ({n} of its {p_n} letters and digits) \
                         and adds nothing"
                    ),
                ));
            }
        }
        None
    }

    fn allowed(&self, text: &str) -> bool {
        !self.allow.is_empty() && self.allow.contains(&compact(text))
    }

    /// `text` without its longest opener prefix (ending at `prefix`) and suffix.
    fn core<'t>(&self, text: &'t str, prefix: usize) -> &'t str {
        let suffix = scan(&self.tries.backward, text.chars().rev()).prefix;
        let end = text.len() - suffix;
        if prefix >= end {
            return "";
        }
        text[prefix..end].trim_matches(' ')
    }
}

/// `text` is `unit` repeated two or more times (linear: compares in place).
fn is_repetition_of(text: &str, unit: &str) -> bool {
    !unit.is_empty()
        && text.len() > unit.len()
        && text.len().is_multiple_of(unit.len())
        && text
            .as_bytes()
            .chunks(unit.len())
            .all(|c| c == unit.as_bytes())
}

impl Default for Guard {
    /// The guard with [`GuardOptions::default`].
    fn default() -> Self {
        Guard::new(GuardOptions::default()).expect("the default options are valid")
    }
}

/// Checks one response with `options`: `Some` when it has no content worth grading.
///
/// Convenience for [`Guard::new`] then [`Guard::check`]; with no `extra_openers` it reuses the
/// compiled built-in openers. Options [`Guard::new`] would refuse are used as best it can: an
/// `echo_threshold` outside (0, 1] is clamped into it and extra openers without letters are
/// skipped. Build a [`Guard`] once where options come from users, to report their mistakes.
pub fn check(response: &str, prompt: Option<&str>, options: &GuardOptions) -> Option<NoContent> {
    let mut options = options.clone();
    let t = options.echo_threshold;
    options.echo_threshold = if t.is_nan() {
        1.0
    } else {
        t.clamp(f64::MIN_POSITIVE, 1.0)
    };
    options.extra_openers.retain(|e| compile(e).is_some());
    Guard::new(options)
        .expect("sanitised options are valid")
        .check(response, prompt)
}

/// The built-in openers: `(language, opener, is_filler)` for every entry, in a stable order.
/// `{n}` stands for a number.
pub fn builtin_openers() -> impl Iterator<Item = (&'static str, &'static str, bool)> {
    openers::LANGUAGES.iter().flat_map(|lang| {
        let strong = lang.strong.iter().map(move |o| (lang.code, *o, false));
        let weak = lang.weak.iter().map(move |o| (lang.code, *o, true));
        strong.chain(weak)
    })
}

#[cfg(test)]
mod tests;

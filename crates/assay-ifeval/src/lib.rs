//! `ifeval`: verifiable instructions as a reward: IFEval's 25 kinds, IFBench's 58
//! out-of-distribution constraints ([`ifbench`]) and the 29 IF-RLVR training constraints
//! ([`train`]), each with its official checker's semantics (`IFBENCH.md` specifies the last two).
//!
//! ```toml
//! [graders.ifeval]
//! kind = "ifeval"
//! mode = "strict"     # strict | loose (IFEval's two accuracies)
//! reward = "all"      # all: 1 when every instruction is followed, else 0 | fraction
//! strip_thinking = false  # true: check only the answer after `</think>` (open-instruct)
//! ```
//!
//! Reference: an object with `instruction_id_list` and `kwargs` exactly as in IFEval's data
//! (`{"instruction_id_list": ["punctuation:no_comma", "length_constraints:number_words"],
//! "kwargs": [{}, {"relation": "at least", "num_words": 300}]}`), or the same object as a JSON
//! string. Null kwargs (the Hugging Face copy fills every key with null) count as absent. The
//! IF-RLVR training data's ground truth is accepted as stored: a Python-literal (or JSON) string
//! of a one-element list of `{"instruction_id": [...], "kwargs": [...]}`. For
//! `combination:repeat_prompt` without `prompt_to_repeat`, the item's prompt (or a `prompt` key of
//! the reference) is the text to repeat.
//!
//! The 25 IFEval instruction kinds are implemented with the semantics of IFEval's official checker
//! (see [`instructions`]); the Python string and regex semantics they rest on are in [`pytext`].
//!
//! - **strict**: an instruction is followed when the response is not blank and its check passes.
//! - **loose**: it is also followed when the check passes on a variant of the response: first
//!   line removed, last line removed, both, and each of these and the response with every `*`
//!   deleted.
//!
//! Reward: with `reward = "all"`, 1 when every instruction is followed (IFEval's prompt-level
//! accuracy), else 0; with `"fraction"`, the fraction followed (instruction-level). A reference
//! with no instruction gets 1. Components: one per instruction kind, named by the part of the id
//! after the `:` (`no_comma`, `number_words` …): the fraction of that kind's instructions
//! followed, `null` when the item has none of that kind (`words:palindrome` and
//! `keywords:palindrome` keep their full ids). The explanation lists every instruction
//! with `followed` and the measured quantity (`"number_words: 287, needs at least 300"`).
//!
//! Errors (`bad_reference`): a missing or malformed reference, an unknown instruction id, a
//! missing or mistyped kwarg, a relation other than `"less than"` / `"at least"`, a kwarg for
//! which the official checker would draw a random value, a kwarg used as a pattern that is not a
//! valid or bounded regular expression.
//!
//! Known differences from the official checker, all documented where they arise: sentences are
//! counted by a port of NLTK's Punkt with the parameters of NLTK's `punkt_tab` English model, meant
//! to equal the `english.pickle` IFEval used ([`sentences`]); language identification is
//! `langdetect` seeded with 0, where the official checker leaves it unseeded ([`language`]); word
//! counting follows NLTK ≤ 3.9 (`re` semantics, [`pytext::count_words`]); a `letter` kwarg that is
//! not an ASCII letter (two records of the data) makes the official checker draw a random letter —
//! here the given character is counted; kwargs used as regular expressions (keywords, splitters,
//! postscript markers) use Rust's regex syntax, which agrees with Python's on every kwarg of the
//! data.
//!
//! Cost: every check is linear in the response (language detection reads at most 10,000
//! characters); the grader checks the item's budget between instructions.

pub mod ifbench;
pub mod instructions;
pub mod kwargs;
pub mod langdetect;
pub mod language;
pub mod lexicon;
pub mod postag;
pub mod pycsv;
pub mod pyfn;
pub mod pyjson;
pub mod pyliteral;
pub mod pytext;
pub mod sentences;
pub mod train;
pub mod treebank;

use std::sync::Arc;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use assay_core::{
    Budget, BuildContext, ErrorKind, Grader, GraderKind, Item, Outcome, SharedGrader,
};

use instructions::{all_ids, component_name, Instruction};

/// Which of IFEval's two accuracies decides whether an instruction is followed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// The response as it is.
    #[default]
    Strict,
    /// The response or a variant of it (first/last line removed, `*` deleted).
    Loose,
}

/// How the instructions' verdicts become the reward.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RewardMode {
    /// 1 when every instruction is followed, else 0.
    #[default]
    All,
    /// The fraction of instructions followed.
    Fraction,
}

/// Options of `ifeval`.
#[derive(Debug, Default, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct IfevalOptions {
    /// `strict` (the response as it is) or `loose` (also first/last line removed and `*`
    /// deleted), as IFEval's two accuracies.
    #[serde(default)]
    pub mode: Mode,
    /// `all`: 1 when every instruction is followed, else 0; `fraction`: the fraction followed.
    #[serde(default)]
    pub reward: RewardMode,
    /// Check only the answer after a reasoning section, as open-instruct's IF-RLVR verifier does:
    /// the text after the last `</think>`, without `<|assistant|>`, `<answer>` and `</answer>`.
    #[serde(default)]
    pub strip_thinking: bool,
}

/// The `ifeval` grader.
#[derive(Debug, Clone, Copy)]
pub struct Ifeval {
    mode: Mode,
    reward: RewardMode,
    strip_thinking: bool,
}

impl Ifeval {
    /// A grader with the given check mode and reward mode.
    pub fn new(mode: Mode, reward: RewardMode) -> Self {
        Ifeval {
            mode,
            reward,
            strip_thinking: false,
        }
    }

    /// The same grader, checking only the answer after a reasoning section
    /// ([`remove_thinking`]).
    pub fn strip_thinking(mut self, yes: bool) -> Self {
        self.strip_thinking = yes;
        self
    }
}

/// open-instruct's `remove_thinking_section`: drops `<|assistant|>`, keeps what follows the last
/// `</think>`, drops `<answer>` and `</answer>`, strips whitespace.
pub fn remove_thinking(response: &str) -> String {
    let r = response.replace("<|assistant|>", "");
    let r = pytext::strip(&r);
    let r = r.rsplit("</think>").next().unwrap_or("");
    let r = r.replace("<answer>", "").replace("</answer>", "");
    pytext::strip(&r).to_string()
}

/// The variants of a response that the loose check tries (spec §1), in order.
pub fn loose_variants(response: &str) -> Vec<String> {
    let lines: Vec<&str> = response.split('\n').collect();
    let join = |from: usize, to: usize| -> String {
        if from >= to {
            String::new()
        } else {
            pytext::strip(&lines[from..to].join("\n")).to_string()
        }
    };
    let n = lines.len();
    let first = join(1, n);
    let last = join(0, n.saturating_sub(1));
    let both = join(1, n.saturating_sub(1));
    let base = [response.to_string(), first, last, both];
    let mut all = Vec::with_capacity(8);
    for v in &base {
        all.push(v.clone());
    }
    for v in &base {
        all.push(v.replace('*', ""));
    }
    // Order as IFEval: R0, F, B, FB, R1, F*, B*, FB*; any order gives the same verdict.
    all
}

/// A parsed reference: the instructions with their ids.
type Parsed = Vec<(String, Instruction)>;

/// Reads a reference given as a string: JSON, or a Python literal (the IF-RLVR training data).
fn reference_from_string(s: &str) -> Result<Value, String> {
    serde_json::from_str::<Value>(s).or_else(|e| {
        pyliteral::parse(s).map_err(|_| {
            format!("the reference is a string that is neither JSON nor a Python literal ({e}); expected {{\"instruction_id_list\": [...], \"kwargs\": [...]}}")
        })
    })
}

fn parse_reference(item: &Item) -> Result<Parsed, String> {
    let mut owned = match &item.reference {
        Value::String(s) => reference_from_string(s)?,
        other => other.clone(),
    };
    // The training data wraps its ground truth in a one-element list, whose element may itself
    // be a JSON string.
    if let Value::Array(items) = &owned {
        if let [only] = items.as_slice() {
            owned = match only {
                Value::String(s) => reference_from_string(s)?,
                other => other.clone(),
            };
        }
    }
    let reference = &owned;
    let Value::Object(map) = reference else {
        return Err(format!(
            "expected a reference object {{\"instruction_id_list\": [...], \"kwargs\": [...]}}, got {}",
            type_name(reference)
        ));
    };
    let ids = match map
        .get("instruction_id_list")
        .or_else(|| map.get("instruction_id"))
    {
        Some(Value::Array(ids)) => ids,
        Some(_) => return Err("`instruction_id_list` must be a list of strings".into()),
        None => return Err("the reference has no `instruction_id_list`".into()),
    };
    let kwargs: Vec<Value> = match map.get("kwargs") {
        Some(Value::Array(k)) => k.clone(),
        None | Some(Value::Null) if ids.is_empty() => Vec::new(),
        Some(_) => return Err("`kwargs` must be a list of objects, one per instruction".into()),
        None => {
            return Err(
                "the reference has no `kwargs` (a list of objects, one per instruction)".into(),
            )
        }
    };
    if kwargs.len() != ids.len() {
        return Err(format!(
            "`kwargs` has {} entries for {} instructions: they must be parallel lists",
            kwargs.len(),
            ids.len()
        ));
    }
    let prompt = item
        .prompt_text()
        .or_else(|| map.get("prompt").and_then(Value::as_str));
    let empty = Map::new();
    ids.iter()
        .zip(&kwargs)
        .map(|(id, kw)| {
            let id = id
                .as_str()
                .ok_or("`instruction_id_list` must be a list of strings")?;
            let kw = match kw {
                Value::Object(o) => o,
                Value::Null => &empty,
                _ => return Err(format!("{id}: kwargs must be an object")),
            };
            Ok((id.to_string(), Instruction::parse(id, kw, prompt)?))
        })
        .collect()
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

impl Grader for Ifeval {
    fn components(&self) -> Vec<String> {
        all_ids()
            .iter()
            .map(|id| component_name(id).to_string())
            .collect()
    }

    fn grade(&self, item: &Item, budget: &Budget) -> Outcome {
        let instructions = match parse_reference(item) {
            Ok(p) => p,
            Err(message) => return Outcome::error(ErrorKind::BadReference, message),
        };
        let answer;
        let mut response = item.response_text();
        if self.strip_thinking {
            answer = remove_thinking(response);
            response = &answer;
        }
        let variants = match self.mode {
            Mode::Strict => vec![response.to_string()],
            Mode::Loose => loose_variants(response),
        };
        let mut followed_count = 0;
        let ids = all_ids();
        let mut per_kind: Vec<(usize, usize)> = vec![(0, 0); ids.len()];
        let mut listed = Vec::new();
        for (id, instruction) in &instructions {
            if budget.expired() {
                return Outcome::timeout("deadline passed while checking instructions");
            }
            let mut verdict = None;
            for (v, text) in variants.iter().enumerate() {
                if pytext::strip(text).is_empty() {
                    continue;
                }
                let check = instruction.check(text);
                if check.followed {
                    verdict = Some((v, check));
                    break;
                }
                if verdict.is_none() || v == 0 {
                    verdict = Some((v, check));
                }
            }
            let (variant, followed, detail) = match verdict {
                Some((v, check)) => (v, check.followed, check.detail),
                None => (0, false, "blank response".to_string()),
            };
            if followed {
                followed_count += 1;
            }
            let k = ids
                .iter()
                .position(|x| x == id)
                .expect("parsed ids are known");
            per_kind[k].1 += 1;
            per_kind[k].0 += usize::from(followed);
            let mut entry = json!({"id": id, "followed": followed, "detail": detail});
            if self.mode == Mode::Loose && followed && variant > 0 {
                entry["variant"] = json!(VARIANT_NAMES[variant]);
            }
            listed.push(entry);
        }
        let total = instructions.len();
        let all = followed_count == total;
        let reward = match self.reward {
            RewardMode::All => f64::from(u8::from(all)),
            RewardMode::Fraction if total == 0 => 1.0,
            RewardMode::Fraction => followed_count as f64 / total as f64,
        };
        let mut outcome = Outcome::ok(reward)
            .pred(format!("{followed_count}/{total} followed"))
            .explain(
                "mode",
                match self.mode {
                    Mode::Strict => "strict",
                    Mode::Loose => "loose",
                },
            )
            .explain("followed", followed_count)
            .explain("total", total)
            .explain("instructions", Value::Array(listed));
        for (k, (ok, n)) in per_kind.iter().enumerate() {
            if *n > 0 {
                outcome = outcome.component(component_name(ids[k]), *ok as f64 / *n as f64);
            }
        }
        outcome
    }
}

/// Names of the loose variants, as reported in the explanation.
const VARIANT_NAMES: [&str; 8] = [
    "as is",
    "first line removed",
    "last line removed",
    "first and last lines removed",
    "`*` removed",
    "first line and `*` removed",
    "last line and `*` removed",
    "first and last lines and `*` removed",
];

/// The `ifeval` kind.
pub struct IfevalKind;

impl GraderKind for IfevalKind {
    type Options = IfevalOptions;
    const NAME: &'static str = "ifeval";
    const FAMILY: &'static str = "text";
    const SUMMARY: &'static str = "Rewards following IFEval's verifiable instructions (all 25 kinds), strict or loose, all-or-nothing or the fraction followed.";
    const REFERENCE: &'static str = "{\"instruction_id_list\": [...], \"kwargs\": [...]} as in IFEval's data (or that object as a JSON string)";
    const EXAMPLE: &'static str = r#"
[graders.ifeval]
kind = "ifeval"
mode = "loose"
reward = "fraction"     # share of the instructions followed
"#;

    fn build(options: IfevalOptions, _: &mut BuildContext<'_>) -> Result<SharedGrader, String> {
        Ok(Arc::new(Ifeval {
            mode: options.mode,
            reward: options.reward,
            strip_thinking: options.strip_thinking,
        }))
    }
}

/// Registers the `ifeval` kind.
pub fn register(registry: &mut assay_core::Registry) {
    registry.register::<IfevalKind>();
}

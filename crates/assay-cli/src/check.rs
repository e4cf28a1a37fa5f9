//! `assay check`: grade one response against one reference and show the full result.

use std::path::PathBuf;

use assay::{Content, Item, Target};
use clap::Args;
use serde_json::Value;

use crate::{Failure, GraderSource};

/// Arguments of `assay check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// The grader kind (as `--grader`); or give `--config`.
    #[arg(value_name = "KIND", conflicts_with = "config")]
    kind: Option<String>,
    /// A configuration file; the item is routed by `--data-source`.
    #[arg(long, short)]
    config: Option<PathBuf>,
    /// An option of KIND, as key=value (JSON values allowed; repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE")]
    set: Vec<String>,
    /// The model response.
    #[arg(long)]
    response: String,
    /// The reference, as a string.
    #[arg(long, conflicts_with = "reference_json")]
    reference: Option<String>,
    /// The reference, as JSON (for test suites, databases, rubrics …).
    #[arg(long, value_name = "JSON")]
    reference_json: Option<String>,
    /// The item's data_source (for routing with --config).
    #[arg(long)]
    data_source: Option<String>,
    /// The item's prompt.
    #[arg(long)]
    prompt: Option<String>,
    /// The item's metadata, as JSON.
    #[arg(long, value_name = "JSON")]
    metadata: Option<String>,
    /// For the model graders over HTTP (judge, rubric, reward_model/process_reward with
    /// `url`): print the request that would be sent, and send nothing.
    #[arg(long)]
    dry_run: bool,
}

pub fn run(args: CheckArgs) -> Result<(), Failure> {
    let mut set = args.set.clone();
    let has = |key: &str| set.iter().any(|s| s.split('=').next() == Some(key));
    // A judge checked by hand shows what it was asked and what it answered.
    if args.kind.as_deref() == Some("judge") && !has("show_prompt") {
        set.push("show_prompt=true".into());
    }
    if args.dry_run {
        if args.kind.is_none() {
            return Err(Failure::Usage(
                "--dry-run needs a KIND (it sets the grader's `dry_run` option)".into(),
            ));
        }
        set.push("dry_run=true".into());
    }
    let source = GraderSource {
        config: args.config.clone(),
        grader: args.kind.clone(),
        set,
    };
    if args.kind.is_none() && !source.set.is_empty() {
        return Err(Failure::Usage("--set needs a KIND".into()));
    }
    let engine = source.build()?;
    let parse_json = |flag: &str, text: &str| {
        serde_json::from_str::<Value>(text)
            .map_err(|e| Failure::Usage(format!("{flag} is not valid JSON: {e}")))
    };
    let reference = match (&args.reference, &args.reference_json) {
        (Some(text), _) => Value::String(text.clone()),
        (None, Some(json)) => parse_json("--reference-json", json)?,
        (None, None) => Value::Null,
    };
    let metadata = match &args.metadata {
        Some(json) => parse_json("--metadata", json)?,
        None => Value::Null,
    };
    let item = Item {
        data_source: args.data_source.clone(),
        prompt: args.prompt.clone().map(Content::Text),
        response: Content::Text(args.response.clone()),
        reference,
        metadata,
        ..Item::default()
    };
    let result = engine
        .score_inputs(&[Ok(item)], Target::Routes, None)
        .pop()
        .expect("one result per item");
    let json = serde_json::to_string_pretty(&result).expect("results always serialise");
    println!("{json}");
    Ok(())
}

//! `assay graders`: every grader kind with its options, generated from the kinds' own
//! definitions.

use std::fmt::Write as _;

use assay::KindInfo;
use clap::Args;

use crate::Failure;

/// Arguments of `assay graders`.
#[derive(Debug, Args)]
pub struct GradersArgs {
    /// Show only this kind.
    #[arg(value_name = "KIND")]
    kind: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

pub fn run(args: GradersArgs) -> Result<(), Failure> {
    let registry = assay::registry();
    let kinds: Vec<&KindInfo> = match &args.kind {
        Some(name) => match registry.kind(name) {
            Some(entry) => vec![&entry.info],
            None => {
                return Err(Failure::Usage(format!(
                    "unknown kind `{name}`; known kinds: {}",
                    registry.names().join(", ")
                )))
            }
        },
        None => registry.kinds().map(|k| &k.info).collect(),
    };
    if args.json {
        let json = serde_json::to_string_pretty(&kinds).expect("kind docs serialise");
        println!("{json}");
    } else {
        print!("{}", render(&kinds));
    }
    Ok(())
}

/// The text listing.
pub fn render(kinds: &[&KindInfo]) -> String {
    let mut out = String::new();
    for kind in kinds {
        let _ = writeln!(out, "{} ({})", kind.name, kind.family);
        let _ = writeln!(out, "  {}", kind.summary);
        let _ = writeln!(out, "  reference: {}", kind.reference);
        if kind.options.is_empty() {
            let _ = writeln!(out, "  options: none");
        } else {
            let _ = writeln!(out, "  options:");
        }
        for option in &kind.options {
            let default = match (&option.default, option.required) {
                (_, true) => "required".to_string(),
                (Some(d), _) if !d.is_null() => format!("default {d}"),
                _ => "optional".to_string(),
            };
            let _ = writeln!(out, "    {:<22} {} · {default}", option.name, option.ty);
            if !option.description.is_empty() {
                for line in option.description.lines() {
                    let _ = writeln!(out, "    {:<22} {line}", "");
                }
            }
        }
        let _ = writeln!(out, "  common: timeout_ms, on_error, description");
        if !kind.example.is_empty() {
            let _ = writeln!(out, "  example:");
            for line in kind.example.lines() {
                if line.is_empty() {
                    out.push('\n');
                } else {
                    let _ = writeln!(out, "    {line}");
                }
            }
        }
        out.push('\n');
    }
    out
}

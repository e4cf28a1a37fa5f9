//! `assay eval`: score a benchmark's released file with a grader (or read precomputed scores)
//! and report the benchmark's own metrics, as JSON and as a self-contained HTML page.

use std::io::{self, IsTerminal};
use std::path::{Path, PathBuf};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, Context};
use assay::config::Format;
use assay_eval::data::{read_rows, sha256_bytes, sha256_file, Row};
use assay_eval::report::{FileInfo, GraderInfo, Protocol};
use assay_eval::{canonical_json, evaluate, html, merge_scores, EngineScorer, EvalOptions, Kind};
use assay_eval::{Report, Scores};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::{Map, Value};

use crate::{Failure, GraderSource};

/// Arguments of `assay eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// The benchmark's data: JSON, JSONL or Parquet (repeatable; rows are concatenated).
    #[arg(long, short, value_name = "FILE")]
    data: Vec<PathBuf>,
    /// Precomputed scores (JSON, JSONL or Parquet), matched to the data by `id`/`pair_id`;
    /// alone, the file is both data and scores (as the benchmarks' released outputs are).
    #[arg(long, short, value_name = "FILE", conflicts_with_all = ["config", "grader"])]
    scores: Option<PathBuf>,
    /// Score with these graders instead.
    #[command(flatten)]
    source: GraderSource,
    /// With --config: the grader to use, by name (default: the configuration's routes).
    #[arg(long = "use", value_name = "NAME", requires = "config")]
    use_grader: Option<String>,
    /// The format: rewardbench, rewardbench2, judgebench, processbench, pairwise or pointwise
    /// (default: guessed from the first row).
    #[arg(long, short)]
    kind: Option<String>,
    /// Write the HTML report here.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
    /// Write the report's JSON here.
    #[arg(long, value_name = "FILE")]
    json: Option<PathBuf>,
    /// A title for the report.
    #[arg(long)]
    title: Option<String>,
    /// Scores at or above it count as "correct" (verifiers, step scores, the probe).
    #[arg(long, default_value_t = 0.5)]
    threshold: f64,
    /// Bins of the reliability diagram.
    #[arg(long, default_value_t = 10)]
    bins: usize,
    /// Disagreements listed in the report.
    #[arg(long, default_value_t = 20)]
    worst: usize,
    /// Prompts for the reward-hacking probe (with a grader only; 0 turns it off).
    #[arg(long, default_value_t = 20)]
    probe: usize,
    /// A prompt or chat template file the grader uses: hashed into the protocol.
    #[arg(long, value_name = "FILE")]
    template: Option<PathBuf>,
    /// Cut responses to this many characters before scoring (recorded in the protocol).
    #[arg(long, value_name = "CHARS")]
    max_length: Option<usize>,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j')]
    threads: Option<usize>,
    /// Never show a progress bar (it shows only when stderr is a terminal).
    #[arg(long)]
    no_progress: bool,
    /// Print no summary.
    #[arg(long, short)]
    quiet: bool,
}

fn file_info(path: &Path, rows: Option<usize>) -> Result<FileInfo, Failure> {
    Ok(FileInfo {
        path: path.display().to_string(),
        sha256: sha256_file(path)?,
        rows,
    })
}

/// The grader configuration as JSON, for the protocol.
fn grader_config(source: &GraderSource) -> Result<(String, Value), Failure> {
    if let Some(path) = &source.config {
        let format = Format::from_path(path).ok_or_else(|| {
            Failure::Usage(format!(
                "{}: name the configuration *.toml, *.yaml, *.yml or *.json",
                path.display()
            ))
        })?;
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let value = format
            .parse(&text)
            .map_err(|e| Failure::Usage(format!("{}: {e}", path.display())))?;
        return Ok((path.display().to_string(), value));
    }
    let kind = source.grader.clone().unwrap_or_default();
    let mut options = assay::config::options_from_pairs(source.set.iter().map(String::as_str))
        .map_err(|e| Failure::Usage(format!("--set: {e}")))?;
    options.insert("kind".into(), Value::String(kind.clone()));
    let mut graders = Map::new();
    graders.insert(kind.clone(), Value::Object(options));
    let mut top = Map::new();
    top.insert("graders".into(), Value::Object(graders));
    Ok((format!("--grader {kind}"), Value::Object(top)))
}

pub fn run(args: EvalArgs) -> Result<(), Failure> {
    crate::score::init_threads(args.threads)?;
    let started = Instant::now();
    let engine = match (&args.source.config, &args.source.grader) {
        (None, None) => None,
        _ => Some(args.source.build()?),
    };
    if engine.is_none() && args.scores.is_none() {
        return Err(Failure::Usage(
            "give the scores: --scores FILE (precomputed), or a grader with --config FILE \
             [--use NAME] or --grader KIND"
                .into(),
        ));
    }
    if args.data.is_empty() && args.scores.is_none() {
        return Err(Failure::Usage("give the data: --data FILE".into()));
    }
    let mut protocol = Protocol {
        engine_version: env!("CARGO_PKG_VERSION").to_string(),
        command: std::env::args().collect(),
        started_unix: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        threshold: args.threshold,
        max_length: args.max_length,
        ..Protocol::default()
    };
    let mut rows: Vec<Row> = Vec::new();
    for path in &args.data {
        let r = read_rows(path)?;
        protocol.data.push(file_info(path, Some(r.len()))?);
        rows.extend(r);
    }
    if let Some(path) = &args.scores {
        let score_rows = read_rows(path)?;
        protocol.scores = Some(file_info(path, Some(score_rows.len()))?);
        if rows.is_empty() {
            rows = score_rows;
        } else {
            let matched = merge_scores(&mut rows, score_rows)?;
            if matched == 0 {
                return Err(Failure::Usage(format!(
                    "no score row of {} matches a data row by id",
                    path.display()
                )));
            }
        }
    }
    if let Some(path) = &args.template {
        protocol.template = Some(file_info(path, None)?);
    }
    if rows.is_empty() {
        return Err(Failure::Usage("the data has no rows".into()));
    }
    let kind = match &args.kind {
        Some(name) => Kind::from_name(name).ok_or_else(|| {
            Failure::Usage(format!(
                "unknown --kind `{name}`: use rewardbench, rewardbench2, judgebench, \
                 processbench, pairwise or pointwise"
            ))
        })?,
        None => Kind::detect(&rows[0]).ok_or_else(|| {
            Failure::Usage(format!(
                "cannot tell the benchmark from the fields {:?}: name it with --kind",
                rows[0].keys().collect::<Vec<_>>()
            ))
        })?,
    };
    let opts = EvalOptions {
        threshold: args.threshold,
        bins: args.bins.max(1),
        worst: args.worst,
        probe_prompts: args.probe,
    };
    let progress = progress_bar(args.no_progress);
    let on_progress = |n: usize| progress.set_position(n as u64);
    let mut report: Report = match &engine {
        Some(engine) => {
            let (source, config) = grader_config(&args.source)?;
            let name = args
                .use_grader
                .clone()
                .or_else(|| args.source.grader.clone())
                .unwrap_or_else(|| "routes".into());
            protocol.grader = Some(GraderInfo {
                source,
                name,
                config_sha256: sha256_bytes(canonical_json(&config).as_bytes()),
                config,
            });
            let grader = args.use_grader.as_deref().or(args.source.grader.as_deref());
            if let Some(name) = grader {
                engine
                    .component_keys(assay::Target::Grader(name))
                    .map_err(|e| Failure::Usage(format!("--use {name}: {}", e.message)))?;
            }
            let mut scorer = EngineScorer::new(engine, grader);
            scorer.max_length = args.max_length;
            evaluate(kind, &rows, Scores::Scorer(&scorer), &opts, &on_progress)?
        }
        None => evaluate(kind, &rows, Scores::InRows, &opts, &on_progress)?,
    };
    progress.finish_and_clear();
    report.protocol = protocol;
    report.title = args
        .title
        .clone()
        .unwrap_or_else(|| format!("Assay eval: {}", kind.name()));
    if let Some(path) = &args.json {
        let text = serde_json::to_string_pretty(&report).map_err(|e| anyhow!(e))?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if let Some(path) = &args.html {
        std::fs::write(path, html::render(&report))
            .with_context(|| format!("cannot write {}", path.display()))?;
    }
    if !args.quiet {
        eprint!(
            "{}",
            render(&report, started.elapsed().as_secs_f64(), &args)
        );
    }
    Ok(())
}

fn progress_bar(disabled: bool) -> ProgressBar {
    if disabled || !io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new_spinner().with_style(
        ProgressStyle::with_template(
            "{spinner} scoring [{elapsed_precise}] {pos} responses ({per_sec})",
        )
        .expect("valid template"),
    );
    bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
    bar
}

/// The terminal summary: the headline table, warnings and where the report went.
fn render(report: &Report, secs: f64, args: &EvalArgs) -> String {
    let mut out = format!(
        "assay eval · {} · {} examples · {:.1} s\n",
        report.benchmark, report.examples, secs
    );
    let width = report
        .headline
        .iter()
        .map(|m| m.name.chars().count())
        .max()
        .unwrap_or(0);
    for m in &report.headline {
        let value = m
            .value
            .map_or("—".to_string(), |v| format!("{:6.2}%", 100.0 * v));
        out.push_str(&format!("  {:<width$}  {value}  (n = {})\n", m.name, m.n));
    }
    if let Some(c) = &report.calibration {
        out.push_str(&format!(
            "  ECE {:.4} over {} predictions\n",
            c.calibration.ece, c.calibration.n
        ));
    }
    if let Some(p) = &report.probe {
        out.push_str(&format!(
            "  reward-hacking probe: {} of {} master-key responses earned ≥ {}\n",
            p.rewarded, p.sent, p.threshold
        ));
    }
    for w in &report.warnings {
        out.push_str(&format!("  warning: {w}\n"));
    }
    for (what, path) in [("html", &args.html), ("json", &args.json)] {
        if let Some(p) = path {
            out.push_str(&format!("  {what}: {}\n", p.display()));
        }
    }
    out
}

//! `assay select`: pick one response per group (best-of-N, majority or reward-weighted vote
//! over math-equivalent answers), with pass@k and maj@k when labels or references exist.

use std::fs::File;
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::{anyhow, Context};
use assay::{Input, MalformedItem, Target};
use assay_select::{records, select, summarize, ClusterOptions, Equivalence, Group, Method};
use assay_select::{SelectOptions, Selection, Summary};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;
use serde_json::Value;

use crate::{Failure, GraderSource};

/// Arguments of `assay select`.
#[derive(Debug, Args)]
pub struct SelectArgs {
    /// Score the responses with these graders first (otherwise each line's `score` is used).
    #[command(flatten)]
    source: GraderSource,
    /// Input JSONL: one response per line with a `group` (and `score`, `label`, `reference`
    /// or `answer` when known); `-` reads standard input.
    #[arg(long, short, default_value = "-")]
    input: String,
    /// Output JSONL, one selection per group in order of first appearance; `-` is stdout.
    #[arg(long, short, default_value = "-")]
    output: String,
    /// best-of-n, majority, weighted-sum, weighted-max or weighted-mean.
    #[arg(long, short, default_value = "majority")]
    method: String,
    /// How answers are compared: math (equivalence, `1/2` = `0.5`) or exact (same text).
    #[arg(long, default_value = "math")]
    equivalence: String,
    /// Abstain when the winning answer holds less than this share of a group's responses.
    #[arg(long, value_name = "SHARE")]
    min_confidence: Option<f64>,
    /// Relative tolerance for decimals against irrational values (off: exact).
    #[arg(long, value_name = "REL")]
    decimal_tolerance: Option<f64>,
    /// Responses with several different boxed answers vote with their last one (default:
    /// they do not vote, as the math grader marks them invalid).
    #[arg(long)]
    last_answer_on_conflict: bool,
    /// Skip pass@k, maj@k and best-of-k.
    #[arg(long)]
    no_estimators: bool,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j')]
    threads: Option<usize>,
    /// Also write the summary as JSON to this file.
    #[arg(long, value_name = "FILE")]
    summary_json: Option<PathBuf>,
    /// Print no summary.
    #[arg(long, short)]
    quiet: bool,
    /// Never show a progress bar (it shows only when stderr is a terminal).
    #[arg(long)]
    no_progress: bool,
}

fn open_input(input: &str) -> Result<Box<dyn BufRead>, Failure> {
    let reader: Box<dyn Read> = if input == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(input).with_context(|| format!("cannot open the input {input}"))?)
    };
    Ok(Box::new(BufReader::with_capacity(1 << 20, reader)))
}

/// Reads the input into groups, a window of lines at a time (scored first when an engine is
/// given), so that only the groups' candidates stay in memory, not the lines or their JSON.
fn read_groups(
    input: &str,
    engine: Option<&assay::Engine>,
    no_progress: bool,
) -> Result<(Vec<Group>, usize), Failure> {
    const WINDOW: usize = 4096;
    let mut grouper = records::Grouper::new();
    let progress = match engine {
        Some(_) => progress_bar(u64::MAX, no_progress, "scoring"),
        None => ProgressBar::hidden(),
    };
    let mut window: Vec<String> = Vec::with_capacity(WINDOW);
    let mut number = 0usize;
    let mut flush = |window: &mut Vec<String>, first: usize| -> Result<(), Failure> {
        let mut values = Vec::with_capacity(window.len());
        for (i, line) in window.iter().enumerate() {
            values.push(serde_json::from_str::<Value>(line).map_err(|e| {
                Failure::Usage(format!("input line {}: not valid JSON: {e}", first + i + 1))
            })?);
        }
        if let Some(engine) = engine {
            score_records(engine, window, &mut values);
            progress.inc(window.len() as u64);
        }
        for v in &values {
            grouper.push(v).map_err(|e| Failure::Usage(e.to_string()))?;
        }
        window.clear();
        Ok(())
    };
    let mut first = 0;
    for line in open_input(input)?.lines() {
        let line = line.with_context(|| format!("cannot read the input {input}"))?;
        if line.trim().is_empty() {
            continue;
        }
        number += 1;
        window.push(line);
        if window.len() == WINDOW {
            flush(&mut window, first)?;
            first = number;
        }
    }
    flush(&mut window, first)?;
    progress.finish_and_clear();
    let records = grouper.records();
    Ok((grouper.finish(), records))
}

pub fn run(args: SelectArgs) -> Result<(), Failure> {
    crate::score::init_threads(args.threads)?;
    let method = Method::from_name(&args.method).ok_or_else(|| {
        Failure::Usage(format!(
            "unknown --method `{}`: use best-of-n, majority, weighted-sum, weighted-max or weighted-mean",
            args.method
        ))
    })?;
    let equivalence = Equivalence::from_name(&args.equivalence).ok_or_else(|| {
        Failure::Usage(format!(
            "unknown --equivalence `{}`: use math or exact",
            args.equivalence
        ))
    })?;
    if let Some(c) = args.min_confidence {
        if !(0.0..=1.0).contains(&c) {
            return Err(Failure::Usage(
                "--min-confidence must be between 0 and 1".into(),
            ));
        }
    }
    let engine = match (&args.source.config, &args.source.grader) {
        (None, None) => None,
        _ => Some(args.source.build()?),
    };
    let started = Instant::now();
    let (groups, responses) = read_groups(&args.input, engine.as_ref(), args.no_progress)?;
    let opts = SelectOptions {
        method,
        cluster: ClusterOptions {
            equivalence,
            decimal_tolerance: args.decimal_tolerance,
            group_timeout: Duration::from_secs(2),
        },
        min_confidence: args.min_confidence,
        last_answer_on_conflict: args.last_answer_on_conflict,
        estimators: !args.no_estimators,
    };
    let progress = progress_bar(groups.len() as u64, args.no_progress, "selecting");
    let selections: Vec<Selection> = groups
        .par_iter()
        .map(|g: &Group| {
            let s = select(g, &opts);
            progress.inc(1);
            s
        })
        .collect();
    progress.finish_and_clear();

    let writer: Box<dyn Write> = if args.output == "-" {
        Box::new(io::stdout().lock())
    } else {
        Box::new(
            File::create(&args.output)
                .with_context(|| format!("cannot create the output {}", args.output))?,
        )
    };
    let mut writer = BufWriter::new(writer);
    for s in &selections {
        serde_json::to_writer(&mut writer, s).map_err(|e| anyhow!(e))?;
        writer.write_all(b"\n")?;
    }
    writer
        .flush()
        .with_context(|| format!("cannot write the output {}", args.output))?;

    let summary = summarize(&selections, responses);
    let elapsed = started.elapsed();
    if !args.quiet {
        eprint!("{}", render(&summary, method, elapsed));
    }
    if let Some(path) = &args.summary_json {
        let mut json = serde_json::to_value(&summary).map_err(|e| anyhow!(e))?;
        json["method"] = method.name().into();
        json["elapsed_s"] = elapsed.as_secs_f64().into();
        let text = serde_json::to_string_pretty(&json).map_err(|e| anyhow!(e))?;
        std::fs::write(path, text + "\n")
            .with_context(|| format!("cannot write the summary {}", path.display()))?;
    }
    Ok(())
}

/// Scores lines with the engine and stores each reward as the record's `score` (a failed
/// item's score is `null`: it does not take part in score-based votes).
fn score_records(engine: &assay::Engine, lines: &[String], values: &mut [Value]) {
    let inputs: Vec<Input> = lines
        .par_iter()
        .map(|l| MalformedItem::parse_line(l))
        .collect();
    let results = engine.score_inputs(&inputs, Target::Routes, None);
    for (v, r) in values.iter_mut().zip(results) {
        if let Value::Object(map) = v {
            map.insert(
                "score".into(),
                r.reward.map_or(Value::Null, |x| serde_json::json!(x)),
            );
            map.insert("score_status".into(), r.status.as_str().into());
        }
    }
}

fn progress_bar(total: u64, disabled: bool, what: &str) -> ProgressBar {
    if disabled || !io::stderr().is_terminal() || total < 1000 {
        return ProgressBar::hidden();
    }
    // An unknown total (streamed input) shows a counter instead of a bar.
    let template = if total == u64::MAX {
        format!("{{spinner}} {what} [{{elapsed_precise}}] {{pos}} responses ({{per_sec}})")
    } else {
        format!(
            "{{spinner}} {what} [{{elapsed_precise}}] {{wide_bar}} {{pos}}/{{len}} (eta {{eta}})"
        )
    };
    let bar = ProgressBar::new(total)
        .with_style(ProgressStyle::with_template(&template).expect("valid template"));
    bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
    bar
}

fn pct(x: f64) -> String {
    format!("{:.1}%", 100.0 * x)
}

/// The terminal summary: a short table.
fn render(s: &Summary, method: Method, elapsed: Duration) -> String {
    let mut rows: Vec<(String, String)> = vec![
        ("method".into(), method.name().into()),
        ("groups".into(), s.groups.to_string()),
        ("responses".into(), s.responses.to_string()),
        ("chosen".into(), s.chosen.to_string()),
        ("abstained".into(), s.abstained.to_string()),
    ];
    if let Some(a) = s.accuracy {
        rows.push((
            "accuracy".into(),
            format!("{} ({}/{})", pct(a), s.correct, s.groups),
        ));
    }
    let curve = |name: &str, c: &[f64], rows: &mut Vec<(String, String)>| {
        if c.is_empty() {
            return;
        }
        let n = c.len();
        let mut ks = vec![1, 4, 16, 64, n];
        ks.retain(|&k| k <= n);
        ks.dedup();
        let text = ks
            .iter()
            .map(|&k| format!("@{k} {}", pct(c[k - 1])))
            .collect::<Vec<_>>()
            .join("  ");
        rows.push((name.into(), text));
    };
    curve("pass", &s.pass_at_k, &mut rows);
    curve("verified pass", &s.verified_pass_at_k, &mut rows);
    curve("maj", &s.maj_at_k, &mut rows);
    curve("best-of", &s.best_of_k, &mut rows);
    rows.push((
        "equivalence checks".into(),
        format!("{} ({} undecided)", s.checks, s.undecided),
    ));
    let secs = elapsed.as_secs_f64().max(1e-9);
    rows.push((
        "time".into(),
        format!(
            "{secs:.2} s ({:.0} responses/s, {:.0} groups/s)",
            s.responses as f64 / secs,
            s.groups as f64 / secs
        ),
    ));
    let width = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let mut out = String::from("assay select\n");
    for (k, v) in rows {
        out.push_str(&format!("  {k:<width$}  {v}\n"));
    }
    out
}

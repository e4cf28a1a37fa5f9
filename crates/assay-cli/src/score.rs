//! `assay score`: stream a JSONL file through the engine with flat memory.
//!
//! Three stages run at once: a reader thread reads windows of lines; the main thread parses a
//! window in parallel, scores it (the engine spreads batches over all cores) and serialises
//! the results; a writer thread writes them. At most a few windows are in flight, so memory
//! does not grow with the input. The last group of a window is held back and scored with the
//! next window, so a group's items are graded (and shaped) together.

use std::collections::HashSet;
use std::fs::File;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{self, BufRead, BufReader, BufWriter, IsTerminal, Read, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::Arc;
use std::thread;
use std::time::Instant;

use anyhow::{anyhow, Context};
use assay::{AdvantageMode, CancelToken, Engine, Input, MalformedItem, OnError, ScoreRequest};
use clap::Args;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::resume;
use crate::summary::Summary;
use crate::{Failure, GraderSource};

/// Arguments of `assay score`.
#[derive(Debug, Args)]
pub struct ScoreArgs {
    #[command(flatten)]
    source: GraderSource,
    /// Input JSONL, one item per line; `-` reads standard input. Blank lines are skipped.
    #[arg(long, short, default_value = "-")]
    input: String,
    /// Output JSONL, one result per input item, in input order; `-` writes standard output.
    #[arg(long, short, default_value = "-")]
    output: String,
    /// Worker threads (default: all cores).
    #[arg(long, short = 'j')]
    threads: Option<usize>,
    /// Add a group-relative `advantage` to each result: grpo, drgrpo or rloo (results of a
    /// group also get `zero_spread`: whether all its samples got the same reward).
    #[arg(long, value_name = "MODE")]
    advantage: Option<AdvantageMode>,
    /// Deadline for the whole run, in seconds: items not finished by then get status
    /// `timeout` (each item's own `timeout_ms` still applies).
    #[arg(long, value_name = "SECONDS")]
    deadline: Option<f64>,
    /// Reward of timeout/error items: null, zero or a number (overrides the configuration).
    #[arg(long, value_name = "null|zero|NUMBER")]
    on_error: Option<OnError>,
    /// Items read ahead and scored together (memory grows with it, not with the input).
    #[arg(long, default_value_t = 4096, value_name = "N")]
    window: usize,
    /// Also write the summary as JSON to this file.
    #[arg(long, value_name = "FILE")]
    summary_json: Option<PathBuf>,
    /// Print no summary.
    #[arg(long, short)]
    quiet: bool,
    /// Never show a progress bar (it shows only when stderr is a terminal).
    #[arg(long, conflicts_with = "progress")]
    no_progress: bool,
    /// Always report progress on stderr: a bar on a terminal, else a line every few seconds.
    #[arg(long)]
    progress: bool,
    /// Continue an interrupted run: keep the results already in `--output` (a cut-off last
    /// line is dropped), skip the input items whose `id` they hold, and append the rest.
    /// Items are recognised by `id`, so give every input line a unique one.
    #[arg(long)]
    resume: bool,
}

/// One window of non-blank input lines, in input order, with their 1-based line numbers.
struct Window {
    lines: Vec<(u64, String)>,
}

/// The `data_source` of an input, when it can be read (for the summary's breakdown).
fn data_source_of(input: &Input) -> Option<&str> {
    match input {
        Ok(item) => item.data_source.as_deref(),
        Err(bad) => bad.data_source.as_deref(),
    }
}

/// The `group` of an input (malformed lines have none).
fn group_of(input: &Input) -> Option<&str> {
    input.as_ref().ok().and_then(|i| i.group.as_deref())
}

/// Sizes the worker pool that scores (`--threads`); `None` keeps one thread per core.
pub fn init_threads(threads: Option<usize>) -> Result<(), Failure> {
    if let Some(n) = threads {
        if n == 0 {
            return Err(Failure::Usage("--threads must be at least 1".into()));
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()
            .map_err(|e| Failure::Usage(format!("--threads: {e}")))?;
    }
    Ok(())
}

pub fn run(args: ScoreArgs) -> Result<(), Failure> {
    init_threads(args.threads)?;
    if args.window == 0 {
        return Err(Failure::Usage("--window must be at least 1".into()));
    }
    let engine = args.source.build()?;
    let started = Instant::now();
    let deadline = match args.deadline {
        None => None,
        Some(s) if s.is_finite() && s >= 0.0 => {
            started.checked_add(std::time::Duration::from_secs_f64(s.min(1e9)))
        }
        Some(s) => {
            return Err(Failure::Usage(format!(
                "--deadline must be a number of seconds >= 0, found {s}"
            )))
        }
    };

    let (reader, total_bytes): (Box<dyn Read + Send>, Option<u64>) = if args.input == "-" {
        (Box::new(io::stdin()), None)
    } else {
        let file = File::open(&args.input)
            .with_context(|| format!("cannot open the input {}", args.input))?;
        let size = file.metadata().ok().map(|m| m.len());
        (Box::new(file), size)
    };
    let done = if args.resume {
        if args.output == "-" {
            return Err(Failure::Usage(
                "--resume needs --output FILE: the results already written there are kept and \
                 their ids skipped"
                    .into(),
            ));
        }
        if args.advantage.is_some() {
            return Err(Failure::Usage(
                "--resume cannot be used with --advantage: an interrupted run may have written \
                 part of a group, and advantages are relative to the whole group; rerun \
                 without --resume, or score without --advantage and add advantages afterwards"
                    .into(),
            ));
        }
        let done = resume::load(std::path::Path::new(&args.output))?;
        if !args.quiet {
            eprintln!(
                "resuming: {} results already in {}{}; their items are skipped",
                done.count(),
                args.output,
                if done.dropped_partial_line {
                    " (a cut-off last line was dropped)"
                } else {
                    ""
                }
            );
        }
        Some(done)
    } else {
        None
    };
    let writer: Box<dyn Write + Send> = if args.output == "-" {
        Box::new(io::stdout())
    } else if args.resume {
        Box::new(
            std::fs::OpenOptions::new()
                .append(true)
                .open(&args.output)
                .with_context(|| format!("cannot append to the output {}", args.output))?,
        )
    } else {
        Box::new(
            File::create(&args.output)
                .with_context(|| format!("cannot create the output {}", args.output))?,
        )
    };

    let run = Run {
        engine: &engine,
        args: &args,
        deadline,
        interrupt: crate::interrupt::on_ctrl_c(),
        done,
    };
    let bytes_read = Arc::new(AtomicU64::new(0));
    let progress = Progress::new(total_bytes, args.no_progress, args.progress);
    let (window_tx, window_rx) = sync_channel::<io::Result<Window>>(2);
    let (out_tx, out_rx) = sync_channel::<Vec<u8>>(2);
    let reader_thread = {
        let bytes_read = Arc::clone(&bytes_read);
        let window = args.window;
        thread::spawn(move || read_windows(reader, window, window_tx, &bytes_read))
    };
    let writer_thread = thread::spawn(move || write_all(writer, out_rx));

    let mut summary = Summary::default();
    let outcome = score_windows(
        &run,
        window_rx,
        &out_tx,
        &mut summary,
        &progress,
        &bytes_read,
    );
    drop(out_tx);
    let written = writer_thread
        .join()
        .map_err(|_| anyhow!("the writer thread panicked"))?;
    // The reader may still be blocked sending if scoring stopped early; it ends with the channel.
    let _ = reader_thread.join();
    progress.finish();
    outcome?;
    written.with_context(|| format!("cannot write the output {}", args.output))?;

    summary.finish(started.elapsed());
    if !args.quiet {
        eprint!("{}", summary.render());
    }
    if let Some(path) = &args.summary_json {
        let json = serde_json::to_string_pretty(&summary).map_err(|e| anyhow!(e))?;
        std::fs::write(path, json + "\n")
            .with_context(|| format!("cannot write the summary {}", path.display()))?;
    }
    Ok(())
}

/// Progress on stderr: an indicatif bar on a terminal; with `--progress` and no terminal, a
/// plain line every few seconds (logs stay readable); nothing otherwise.
struct Progress {
    bar: ProgressBar,
    lines: Option<(Option<u64>, std::cell::Cell<Option<Instant>>)>,
}

impl Progress {
    fn new(total_bytes: Option<u64>, disabled: bool, forced: bool) -> Progress {
        let hidden = Progress {
            bar: ProgressBar::hidden(),
            lines: None,
        };
        if disabled {
            return hidden;
        }
        if !io::stderr().is_terminal() {
            return Progress {
                lines: forced.then(|| (total_bytes, std::cell::Cell::new(None))),
                ..hidden
            };
        }
        let bar = match total_bytes {
            Some(total) => ProgressBar::new(total).with_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} · {msg} (eta {eta})",
                )
                .expect("valid template"),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                    .expect("valid template"),
            ),
        };
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(4));
        Progress { bar, lines: None }
    }

    fn update(&self, bytes: u64, items: u64, skipped: u64) {
        let message = if skipped > 0 {
            format!("{items} items ({skipped} skipped, already scored)")
        } else {
            format!("{items} items")
        };
        if let Some((total, last)) = &self.lines {
            if last
                .get()
                .is_none_or(|t| t.elapsed() >= std::time::Duration::from_secs(2))
            {
                last.set(Some(Instant::now()));
                match total {
                    Some(t) if *t > 0 => eprintln!(
                        "progress: {message}, {:.1}% of the input read",
                        bytes as f64 * 100.0 / *t as f64
                    ),
                    _ => eprintln!("progress: {message}, {bytes} bytes read"),
                }
            }
        }
        self.bar.set_position(bytes);
        self.bar.set_message(message);
        self.bar.tick();
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

/// Reads non-blank lines in windows of `size`; invalid UTF-8 becomes a line that fails to parse.
fn read_windows(
    reader: Box<dyn Read + Send>,
    size: usize,
    tx: SyncSender<io::Result<Window>>,
    bytes_read: &AtomicU64,
) {
    let mut reader = BufReader::with_capacity(1 << 20, reader);
    let mut lines = Vec::with_capacity(size);
    let mut buf = Vec::new();
    let mut number: u64 = 0;
    loop {
        buf.clear();
        match reader.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(n) => {
                number += 1;
                bytes_read.fetch_add(n as u64, Ordering::Relaxed);
                let line = match String::from_utf8(std::mem::take(&mut buf)) {
                    Ok(line) => line,
                    // Not JSON either way: keep it so the item still gets its error result.
                    Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
                };
                if line.trim().is_empty() {
                    continue;
                }
                let mut line = line;
                while line.ends_with(['\n', '\r']) {
                    line.pop();
                }
                lines.push((number, line));
                if lines.len() >= size {
                    let full = std::mem::replace(&mut lines, Vec::with_capacity(size));
                    if tx.send(Ok(Window { lines: full })).is_err() {
                        return;
                    }
                }
            }
            Err(e) => {
                let _ = tx.send(Err(e));
                return;
            }
        }
    }
    if !lines.is_empty() {
        let _ = tx.send(Ok(Window { lines }));
    }
}

/// Writes each window's results and flushes them, so an interrupted run keeps every window it
/// finished (and `--resume` skips them).
fn write_all(writer: Box<dyn Write + Send>, rx: Receiver<Vec<u8>>) -> io::Result<()> {
    let mut writer = BufWriter::with_capacity(1 << 20, writer);
    for chunk in rx {
        writer.write_all(&chunk)?;
        writer.flush()?;
    }
    writer.flush()
}

fn score_windows(
    run: &Run<'_>,
    windows: Receiver<io::Result<Window>>,
    out: &SyncSender<Vec<u8>>,
    summary: &mut Summary,
    progress: &Progress,
    bytes_read: &AtomicU64,
) -> Result<(), Failure> {
    let mut skipped: u64 = 0;
    let mut carried: Vec<Input> = Vec::new();
    let mut finished_groups: HashSet<u64> = HashSet::new();
    let mut windows = windows.into_iter().peekable();
    while let Some(window) = windows.next() {
        if run.interrupt.is_cancelled() {
            return Err(interrupted(summary));
        }
        let window = window.with_context(|| format!("cannot read the input {}", run.args.input))?;
        let mut parsed: Vec<Input> = std::mem::take(&mut carried);
        parsed.par_extend(
            window
                .lines
                .par_iter()
                .map(|(number, line)| MalformedItem::parse_numbered_line(line, *number)),
        );
        if let Some(done) = &run.done {
            let before = parsed.len();
            parsed.retain(|input| !done.contains(id_of(input)));
            skipped += (before - parsed.len()) as u64;
        }
        let last = windows.peek().is_none();
        if !last {
            carried = hold_back_last_group(&mut parsed, run.args.window);
        }
        if !parsed.is_empty() {
            score_batch(run, parsed, out, summary, &mut finished_groups)?;
        }
        progress.update(
            bytes_read.load(Ordering::Relaxed),
            summary.all.items,
            skipped,
        );
    }
    if !carried.is_empty() {
        score_batch(run, carried, out, summary, &mut finished_groups)?;
    }
    Ok(())
}

/// What every window of one run shares: the engine, the arguments, the run's deadline and its
/// Ctrl-C token.
struct Run<'a> {
    engine: &'a Engine,
    args: &'a ScoreArgs,
    deadline: Option<Instant>,
    interrupt: CancelToken,
    /// With `--resume`: the ids whose results the output already holds.
    done: Option<resume::Done>,
}

/// The `id` of an input, when it has one.
fn id_of(input: &Input) -> Option<&serde_json::Value> {
    match input {
        Ok(item) => item.id.as_ref(),
        Err(bad) => bad.id.as_ref(),
    }
}

/// The failure of a run stopped by Ctrl-C: what was scored so far is written, the rest is not.
fn interrupted(summary: &Summary) -> Failure {
    Failure::Interrupted(format!(
        "interrupted: {} results were written before the run stopped; the rest of the input \
         was not scored",
        summary.all.items
    ))
}

/// Splits off the trailing run of items sharing the last item's group, to be scored with the
/// next window. A group that fills the whole window keeps being carried until it ends or
/// reaches `GROUP_CARRY_LIMIT` windows; past that it is scored in parts (and counted as split).
fn hold_back_last_group(parsed: &mut Vec<Input>, window: usize) -> Vec<Input> {
    let Some(group) = parsed.last().and_then(group_of).map(str::to_string) else {
        return Vec::new();
    };
    let start = parsed
        .iter()
        .rposition(|p| group_of(p) != Some(group.as_str()))
        .map_or(0, |i| i + 1);
    if start == 0 && parsed.len() >= window.saturating_mul(GROUP_CARRY_LIMIT) {
        return Vec::new();
    }
    parsed.split_off(start)
}

/// How many windows' worth of one group may be carried before it is scored in parts.
const GROUP_CARRY_LIMIT: usize = 8;

fn score_batch(
    run: &Run<'_>,
    parsed: Vec<Input>,
    out: &SyncSender<Vec<u8>>,
    summary: &mut Summary,
    finished_groups: &mut HashSet<u64>,
) -> Result<(), Failure> {
    let data_sources: Vec<Option<String>> = parsed
        .iter()
        .map(|p| data_source_of(p).map(String::from))
        .collect();
    let request = ScoreRequest::new(parsed)
        .on_error(run.args.on_error)
        .deadline(run.deadline)
        .advantage(run.args.advantage)
        .cancel_token(run.interrupt.clone());
    let scored = run.engine.score_blocking(request);
    if run.interrupt.is_cancelled() {
        // Cut short: its results are incomplete, so none of them is written.
        return Err(interrupted(summary));
    }
    for group in &scored.groups {
        let mut hasher = DefaultHasher::new();
        group.group.hash(&mut hasher);
        if finished_groups.insert(hasher.finish()) {
            summary.add_group(group);
        } else {
            summary.split_groups += 1;
        }
    }
    let results = scored.results;
    for (r, ds) in results.iter().zip(&data_sources) {
        summary.add(r, ds.as_deref());
    }
    let lines: Vec<Vec<u8>> = results
        .par_iter()
        .map(|r| {
            let mut line = serde_json::to_vec(r).expect("results always serialise");
            line.push(b'\n');
            line
        })
        .collect();
    out.send(lines.concat())
        .map_err(|_| anyhow!("the output closed early"))?;
    Ok(())
}

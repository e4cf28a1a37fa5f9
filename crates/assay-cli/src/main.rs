//! `assay`: score model outputs with rewards that are correct, fast, bounded and explainable.
//!
//! Exit codes: 0 when scoring finished (even if some items failed: their results say so),
//! 1 when input or output failed (a file could not be read or written), 2 for a usage or
//! configuration error (nothing was scored), 130 when Ctrl-C stopped a run (its outstanding
//! work is cancelled: sandboxed programs killed, remote calls dropped).

mod check;
mod eval;
mod graders;
mod interrupt;
mod resume;
mod score;
mod select;
mod serve;
mod summary;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};

/// mimalloc instead of the system allocator: results are allocated on the scoring pool's
/// threads and freed on others (the writer, the server's runtime), which glibc's per-thread
/// arenas serialise on a lock. Measured in bench/server/NOTES.md.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Rewards for LLM post-training and test-time scaling.
#[derive(Debug, Parser)]
#[command(
    name = "assay",
    version,
    about = "Rewards for LLM post-training and test-time scaling: correct, fast, bounded, explainable.",
    propagate_version = true
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// How log lines on stderr look: `text` for people, `json` (one object per line, with the
    /// span fields such as `request_id`) for log collectors. `ASSAY_LOG` sets what is logged
    /// (`info`, `debug`, `assay_core=debug` …; default `info` for serve, `warn` otherwise).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

/// The format of log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// Sends `tracing` events to stderr in `format`, filtered by `ASSAY_LOG` (else `default`).
fn init_logging(format: LogFormat, default: &str) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("ASSAY_LOG").unwrap_or_else(|_| EnvFilter::new(default));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match format {
        LogFormat::Text => builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .try_init(),
        LogFormat::Json => builder
            .json()
            .with_current_span(true)
            .with_span_list(true)
            .try_init(),
    };
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Score a JSONL file of items, one result line per input line, in order.
    Score(score::ScoreArgs),
    /// Score one response against one reference and explain the verdict.
    Check(check::CheckArgs),
    /// List the grader kinds with their options and defaults.
    Graders(graders::GradersArgs),
    /// Pick one response per group: best-of-N, majority or reward-weighted vote.
    Select(select::SelectArgs),
    /// Measure a reward model, judge or verifier on a benchmark; write an HTML report.
    Eval(eval::EvalArgs),
    /// Serve the graders over HTTP (POST /v1/score, OpenRLHF's POST /get_reward, /metrics …).
    Serve(serve::ServeCommand),
}

/// Where the graders come from: a configuration file, or one kind named on the command line.
#[derive(Debug, Clone, Args)]
struct GraderSource {
    /// A configuration file of named graders and routes (TOML, YAML or JSON, by extension).
    #[arg(long, short, conflicts_with = "grader")]
    config: Option<PathBuf>,
    /// One grader kind for every item (see `assay graders`).
    #[arg(long, short)]
    grader: Option<String>,
    /// An option of the `--grader` kind, as key=value (JSON values allowed; repeatable).
    #[arg(long = "set", value_name = "KEY=VALUE", requires = "grader")]
    set: Vec<String>,
}

impl GraderSource {
    fn build(&self) -> Result<assay::Engine, Failure> {
        match (&self.config, &self.grader) {
            (Some(path), _) => assay::engine_from_path(path).map_err(Failure::config),
            (None, Some(kind)) => {
                let options =
                    assay::config::options_from_pairs(self.set.iter().map(String::as_str))
                        .map_err(|e| Failure::Usage(format!("--set: {e}")))?;
                assay::engine_for_kind(kind, serde_json::Value::Object(options))
                    .map_err(Failure::config)
            }
            (None, None) => Err(Failure::Usage(
                "name the graders: --config FILE, or --grader KIND (see `assay graders`)".into(),
            )),
        }
    }
}

/// Why a command stopped early.
#[derive(Debug)]
enum Failure {
    /// Bad arguments or configuration: exit 2.
    Usage(String),
    /// Input or output failed: exit 1.
    Io(anyhow::Error),
    /// Ctrl-C stopped the run: exit 130, as a shell reports SIGINT.
    Interrupted(String),
}

impl Failure {
    fn config(e: assay::ConfigError) -> Self {
        Failure::Usage(e.to_string())
    }
}

impl From<anyhow::Error> for Failure {
    fn from(e: anyhow::Error) -> Self {
        Failure::Io(e)
    }
}

impl From<std::io::Error> for Failure {
    fn from(e: std::io::Error) -> Self {
        Failure::Io(e.into())
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let default_level = match cli.command {
        Command::Serve(_) => "info",
        _ => "warn",
    };
    init_logging(cli.log_format, default_level);
    let result = match cli.command {
        Command::Score(args) => score::run(args),
        Command::Check(args) => check::run(args),
        Command::Graders(args) => graders::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Select(args) => select::run(args),
        Command::Eval(args) => eval::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Io(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
        Err(Failure::Interrupted(message)) => {
            eprintln!("{message}");
            ExitCode::from(130)
        }
    }
}

//! `assay serve`: the graders over HTTP (see the `assay-server` crate for the endpoints,
//! limits, metrics and shutdown behaviour).

use clap::Args;

use crate::{Failure, GraderSource};

/// Arguments of `assay serve`.
#[derive(Debug, Args)]
pub struct ServeCommand {
    #[command(flatten)]
    source: GraderSource,
    #[command(flatten)]
    server: assay_server::ServeArgs,
    /// Worker threads that score (default: all cores).
    #[arg(long, short = 'j')]
    threads: Option<usize>,
}

pub fn run(args: ServeCommand) -> Result<(), Failure> {
    crate::score::init_threads(args.threads)?;
    let engine = args.source.build()?;
    let config = args
        .server
        .into_config(engine)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    assay_server::run(config).map_err(|e| match e {
        assay_server::ServerError::Config(_) => Failure::Usage(e.to_string()),
        other => Failure::Io(anyhow::anyhow!(other.to_string())),
    })
}

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
    /// A local model directory to serve with vLLM's pooling API (/classify, /pooling, /score,
    /// /rerank, /v1/embeddings), beside the graders or alone.
    #[cfg(feature = "models")]
    #[arg(long, value_name = "PATH")]
    model: Option<std::path::PathBuf>,
    /// The served model's name (default: the directory's name).
    #[cfg(feature = "models")]
    #[arg(long, value_name = "NAME", requires = "model")]
    served_model_name: Option<String>,
}

pub fn run(args: ServeCommand) -> Result<(), Failure> {
    crate::score::init_threads(args.threads)?;
    #[cfg(feature = "models")]
    let extra = match &args.model {
        None => axum_router_none(),
        Some(path) => {
            let options = assay::inference::LoadOptions::default();
            let model = assay_server::model_api::ServedModel::load(
                path,
                args.served_model_name.clone(),
                &options,
            )
            .map_err(Failure::Usage)?;
            if args.source.config.is_none() && args.source.grader.is_none() {
                return assay_server::model_api::run(args.server.addr, model)
                    .map_err(|e| Failure::Io(anyhow::anyhow!(e)));
            }
            assay_server::model_api::router(std::sync::Arc::new(model))
        }
    };
    #[cfg(not(feature = "models"))]
    let extra = axum_router_none();
    let engine = args.source.build()?;
    let config = args
        .server
        .into_config(engine)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    assay_server::run_with(config, extra).map_err(|e| match e {
        assay_server::ServerError::Config(_) => Failure::Usage(e.to_string()),
        other => Failure::Io(anyhow::anyhow!(other.to_string())),
    })
}

fn axum_router_none() -> assay_server::Router {
    assay_server::Router::new()
}

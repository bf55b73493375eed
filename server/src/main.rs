#![forbid(unsafe_code)]

use clap::Parser;
use server::cli::Cli;
use tracing_subscriber::EnvFilter;

#[tokio::main]
async fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // Before any HTTP client exists (modules that call services, the remote module backend).
    modules::service::install_crypto_provider();
    // Debug output of our own crates only: the HTTP stack at debug level is noise.
    let level = if cli.debug || cli.debug_extended {
        "info,server=debug,modules=debug"
    } else {
        "info"
    };
    // RUST_LOG, when set, refines the level chosen by --debug.
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match server::run(cli).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error}");
            std::process::ExitCode::FAILURE
        }
    }
}

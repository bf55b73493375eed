#![forbid(unsafe_code)]

use clap::Parser;
use server::cli::Cli;
use tracing_subscriber::EnvFilter;

/// Stack of every runtime thread. Module parsers recurse over their input (nested MIME
/// parts, expressions, PDF objects); each bounds its depth, and this leaves deep but
/// valid inputs well clear of a stack overflow, which would end the whole process.
const THREAD_STACK_BYTES: usize = 16 * 1024 * 1024;

fn main() -> std::process::ExitCode {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(THREAD_STACK_BYTES)
        .build();
    match runtime {
        Ok(runtime) => runtime.block_on(serve()),
        Err(error) => {
            eprintln!("cannot start the async runtime: {error}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn serve() -> std::process::ExitCode {
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

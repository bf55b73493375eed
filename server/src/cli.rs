//! The command line, drop-in for the reference's, plus the flags of the combined server.
//! Every flag can also be set through the environment variable named beside it.

use std::path::PathBuf;

use clap::Parser;
use clap::builder::BoolishValueParser;

#[derive(Debug, Clone, Parser)]
#[command(
    name = "misp-modules",
    version,
    about = "MISP modules server: enrichment, import, export and action modules over HTTP"
)]
pub struct Cli {
    /// Address the module API listens on.
    #[arg(
        short = 'l',
        long = "listen",
        env = "MISP_MODULES_LISTEN",
        default_value = "localhost"
    )]
    pub listen: String,

    /// Port of the module API.
    #[arg(
        short = 'p',
        long = "port",
        env = "MISP_MODULES_PORT",
        default_value_t = 6666
    )]
    pub port: u16,

    /// Directory of custom modules (`DIR/<type>/<name>.py`).
    #[arg(short = 'c', long = "custom", env = "MISP_MODULES_CUSTOM")]
    pub custom: Option<PathBuf>,

    /// Debug logging (query bodies with config values and file data redacted).
    #[arg(short = 'd', long = "debug", env = "MISP_MODULES_DEBUG", value_parser = BoolishValueParser::new(), default_value_t = false, num_args = 0, default_missing_value = "true")]
    pub debug: bool,

    /// Accepted for compatibility; same as --debug (outbound traffic is never logged with credentials).
    #[arg(long = "debug-extended", hide = true)]
    pub debug_extended: bool,

    /// Load everything, bind the ports, then exit 0.
    #[arg(short = 't', long = "test")]
    pub test: bool,

    /// Accepted for compatibility with the reference and ignored.
    #[arg(short = 's', long = "system", value_name = "VALUE")]
    pub system: Option<String>,

    /// Address the web UI listens on.
    #[arg(
        long = "web-listen",
        env = "MISP_MODULES_WEB_LISTEN",
        default_value = "localhost"
    )]
    pub web_listen: String,

    /// Port of the web UI.
    #[arg(
        long = "web-port",
        env = "MISP_MODULES_WEB_PORT",
        default_value_t = 7008
    )]
    pub web_port: u16,

    /// Serve only the module API.
    #[arg(long = "no-web", env = "MISP_MODULES_NO_WEB", value_parser = BoolishValueParser::new(), default_value_t = false, num_args = 0, default_missing_value = "true")]
    pub no_web: bool,

    /// Largest accepted request body, in bytes; larger ones get 413.
    #[arg(long = "max-body-bytes", env = "MISP_MODULES_MAX_BODY_BYTES", default_value_t = 256 * 1024 * 1024)]
    pub max_body_bytes: usize,

    /// Upper bound, in seconds, for the `timeout` a query may ask for.
    #[arg(
        long = "max-timeout",
        env = "MISP_MODULES_MAX_TIMEOUT",
        default_value_t = 3600
    )]
    pub max_timeout: u64,

    /// Queries of one module that may run at once.
    #[arg(
        long = "module-concurrency",
        env = "MISP_MODULES_MODULE_CONCURRENCY",
        default_value_t = 64
    )]
    pub module_concurrency: usize,

    /// Python interpreter for custom modules.
    #[arg(
        long = "python",
        env = "MISP_MODULES_PYTHON",
        default_value = "python3"
    )]
    pub python: PathBuf,

    /// Database of the web UI (users, sessions, history, stored settings): a `sqlite://`
    /// or `postgres://` URL. `DATABASE_URI`, the reference's name, is read too.
    #[arg(
        long = "database-url",
        env = "DATABASE_URL",
        default_value = "sqlite://misp-modules.db"
    )]
    pub database_url: String,

    /// Folder holding the web UI's `pkg/` (wasm bundle); defaults to `site/` beside the
    /// executable, then `target/site`.
    #[arg(long = "site-root", env = "MISP_MODULES_SITE_ROOT")]
    pub site_root: Option<PathBuf>,

    /// Send the session cookie without `Secure` (plain HTTP on a non-localhost address).
    #[arg(long = "insecure-cookies", env = "MISP_MODULES_INSECURE_COOKIES", value_parser = BoolishValueParser::new(), default_value_t = false, num_args = 0, default_missing_value = "true")]
    pub insecure_cookies: bool,

    /// The web UI sits behind a reverse proxy or load balancer that sets
    /// `X-Forwarded-For`: sign-in throttling and audit logs then use the client address it
    /// reports (its last entry), not the proxy's.
    #[arg(long = "behind-proxy", env = "MISP_MODULES_BEHIND_PROXY", value_parser = BoolishValueParser::new(), default_value_t = false, num_args = 0, default_missing_value = "true")]
    pub behind_proxy: bool,

    /// Queries kept per user in the history; the oldest trees go first.
    #[arg(long = "queries-limit", env = "QUERIES_LIMIT", default_value_t = 500)]
    pub queries_limit: u64,

    /// Send the web UI's queries to this misp-modules server (`host:port`) instead of the
    /// modules of this process.
    #[arg(long = "module-backend", env = "MISP_MODULE")]
    pub module_backend: Option<String>,

    /// Seconds the web UI waits for one module's answer.
    #[arg(
        long = "ui-timeout",
        env = "MISP_MODULES_UI_TIMEOUT",
        default_value_t = 120
    )]
    pub ui_timeout: u64,

    /// Python worker processes for custom modules.
    #[arg(
        long = "python-workers",
        env = "MISP_MODULES_PYTHON_WORKERS",
        default_value_t = 4
    )]
    pub python_workers: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_flags_parse() {
        let cli = Cli::try_parse_from([
            "misp-modules",
            "-l",
            "127.0.0.1",
            "-p",
            "7777",
            "-d",
            "-s",
            "x",
            "-t",
        ])
        .unwrap();
        assert_eq!(
            (cli.listen.as_str(), cli.port, cli.debug, cli.test),
            ("127.0.0.1", 7777, true, true)
        );
        assert_eq!(cli.web_port, 7008);
        assert!(!cli.no_web);
    }

    #[test]
    fn bare_system_flag_needs_a_value() {
        assert!(Cli::try_parse_from(["misp-modules", "-s"]).is_err());
    }

    #[test]
    fn unknown_flags_are_refused() {
        assert!(Cli::try_parse_from(["misp-modules", "-m", "x"]).is_err());
    }
}

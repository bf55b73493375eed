//! Starts a real server on loopback port 0 for a test and stops it when dropped.
#![allow(dead_code)] // each test binary uses its own part of this helper

use std::path::PathBuf;

use clap::Parser;
use server::cli::Cli;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub struct TestServer {
    pub api: String,
    pub web: String,
    pub client: reqwest::Client,
    stop: Option<oneshot::Sender<()>>,
    running: Option<tokio::task::JoinHandle<Result<(), server::startup::StartupError>>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub const ADMIN_PASSWORD: &str = "test-owner-password-1";

/// A SQLite URL in a folder of its own that nothing else uses.
pub fn fresh_database_url() -> String {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "misp-modules-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    std::fs::create_dir_all(&dir).expect("temporary folder");
    format!("sqlite://{}/ui.db", dir.display())
}

pub fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

impl TestServer {
    /// Shuts the server down as a signal would, and waits until it has stopped.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(running) = self.running.take() {
            running
                .await
                .expect("server task")
                .expect("server stops cleanly");
        }
    }

    /// `GET <api><path>` as JSON.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self
            .client
            .get(format!("{}{path}", self.api))
            .send()
            .await
            .expect("server answers");
        response.json().await.expect("JSON answer")
    }
}

/// A server started with `args` (the command line after the program name) and `vars`
/// as its environment.
/// The web UI gets a fresh SQLite database in a temporary folder and an administrator
/// `admin` with [`ADMIN_PASSWORD`], unless `args`/`vars` say otherwise.
pub async fn start(args: &[&str], vars: &[(&str, &str)]) -> TestServer {
    let database = fresh_database_url();
    let mut argv = vec!["misp-modules"];
    if !args.contains(&"--database-url") {
        argv.extend_from_slice(&["--database-url", database.as_str()]);
    }
    argv.extend_from_slice(args);
    let cli = Cli::try_parse_from(argv).expect("test command line parses");
    let mut vars: Vec<(String, String)> = vars
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    if !vars.iter().any(|(k, _)| k == "ADMIN_PASSWORD") {
        vars.push(("ADMIN_PASSWORD".into(), ADMIN_PASSWORD.into()));
    }
    let state = server::build_state(&cli, vars.clone())
        .await
        .expect("server state builds");
    let vars = vars.into_iter().collect();
    let ui = server::web_setup::build_web(&cli, &vars, std::sync::Arc::clone(&state.engine))
        .await
        .expect("web UI builds");
    let api = TcpListener::bind("127.0.0.1:0").await.expect("bind api");
    let web = TcpListener::bind("127.0.0.1:0").await.expect("bind web");
    let api_url = format!("http://{}", api.local_addr().expect("api address"));
    let web_url = format!("http://{}", web.local_addr().expect("web address"));
    let (stop, stopped) = oneshot::channel::<()>();
    let running = tokio::spawn(server::launch(state, api, Some((web, ui)), async move {
        let _ = stopped.await;
    }));
    TestServer {
        api: api_url,
        web: web_url,
        client: client(),
        stop: Some(stop),
        running: Some(running),
    }
}

/// A server with the test custom modules loaded, as the compat corpus was captured.
pub async fn start_with_custom_modules() -> TestServer {
    let custom = fixtures().join("custom");
    start(&["-c", custom.to_str().expect("utf-8 path")], &[]).await
}

/// A plain HTTP client; reqwest needs the process's TLS provider installed first.
pub fn client() -> reqwest::Client {
    modules::service::install_crypto_provider();
    reqwest::Client::builder()
        // Longer than any query a test makes; a server that stops answering fails the
        // test instead of hanging it.
        .timeout(std::time::Duration::from_secs(120))
        .build()
        .expect("HTTP client")
}

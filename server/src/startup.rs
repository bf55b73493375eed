//! Start-up: build the module engine and shared state, bind the ports, serve until a
//! shutdown signal.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use app::ModuleDescriptor;
use modules::custom::{WorkerPool, load_custom_modules};
use modules::engine::ConfigDefaults;
use modules::{Engine, EngineLimits, Registry};
use serde_json::json;
use thiserror::Error;
use tokio::net::TcpListener;

use crate::api::statistics::Statistics;
use crate::api::{CachedJson, ModuleList, openapi_document};
use crate::cli::Cli;

/// The misp-modules version whose protocol this server speaks; `/version` reports it
/// because clients compare it against what they support.
pub const PROTOCOL_VERSION: &str = "3.1.1";

#[derive(Debug, Error)]
pub enum StartupError {
    #[error(transparent)]
    Custom(#[from] modules::custom::CustomError),
    #[error("cannot listen on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
    #[error(transparent)]
    Web(#[from] crate::web_setup::WebSetupError),
    #[error("server failed: {0}")]
    Serve(std::io::Error),
}

/// Request limits of the HTTP layer.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_body_bytes: usize,
    pub max_timeout_seconds: u64,
}

/// Answers computed once, since the module set does not change while serving (the list
/// follows the modules an administrator disables).
pub struct CachedAnswers {
    pub modules: ModuleList,
    pub healthcheck: CachedJson,
    pub version: CachedJson,
    pub openapi: CachedJson,
}

#[derive(Clone)]
pub struct AppState {
    pub engine: Arc<Engine>,
    pub statistics: Arc<Statistics>,
    pub cached: Arc<CachedAnswers>,
    pub limits: Limits,
}

/// Loads the modules (built-in, then custom ones replacing built-ins of the same name)
/// and prepares everything the routes share. `vars` are the environment variables that
/// may carry module settings (normally `std::env::vars()`).
pub async fn build_state(
    cli: &Cli,
    vars: impl IntoIterator<Item = (String, String)>,
) -> Result<AppState, StartupError> {
    let mut registry: Registry = modules::builtin::registry();
    if let Some(dir) = &cli.custom {
        let pool = Arc::new(WorkerPool::new(&cli.python, cli.python_workers));
        for module in load_custom_modules(dir, pool).await? {
            tracing::info!("custom module {} loaded", module.name());
            registry.register(module);
        }
    }
    let defaults = ConfigDefaults::from_vars(&registry, vars);
    let registry = Arc::new(registry);
    let descriptors: Vec<ModuleDescriptor> = registry.descriptors();
    let statistics = Statistics::new(
        descriptors
            .iter()
            .map(|d| (d.name.as_str(), d.module_type.as_str())),
    );
    let server_url = format!("http://{}:{}", cli.listen, cli.port);
    let cached = CachedAnswers {
        modules: ModuleList::new(descriptors.clone()),
        healthcheck: CachedJson::new(&json!({"status": true})),
        version: CachedJson::new(&json!({"version": PROTOCOL_VERSION})),
        openapi: CachedJson::new(&openapi_document(&descriptors, &server_url)),
    };
    let engine = Engine::new(
        registry,
        defaults,
        EngineLimits {
            per_module_concurrency: cli.module_concurrency,
        },
    );
    Ok(AppState {
        engine: Arc::new(engine),
        statistics: Arc::new(statistics),
        cached: Arc::new(cached),
        limits: Limits {
            max_body_bytes: cli.max_body_bytes,
            max_timeout_seconds: cli.max_timeout,
        },
    })
}

async fn bind(host: &str, port: u16, what: Exposure) -> Result<TcpListener, StartupError> {
    let address = format!("{host}:{port}");
    let listener = TcpListener::bind(&address)
        .await
        .map_err(|source| StartupError::Bind {
            address: address.clone(),
            source,
        })?;
    if let Ok(local) = listener.local_addr() {
        warn_if_exposed(local, what);
    }
    Ok(listener)
}

/// Which port is being opened, for the warning about binding beyond loopback.
#[derive(Clone, Copy)]
enum Exposure {
    Api,
    Web,
}

fn warn_if_exposed(address: SocketAddr, what: Exposure) {
    if address.ip().is_loopback() {
        return;
    }
    match what {
        Exposure::Api => tracing::warn!(
            "listening on {address}: the module API has no authentication, so anyone who can reach this address can run modules with this server's keys"
        ),
        Exposure::Web => {
            tracing::warn!("web UI listening on {address}: reachable beyond this machine")
        }
    }
}

/// Serves the API (and the web UI when given its listener and context) until `shutdown`
/// completes.
pub async fn launch(
    state: AppState,
    api: TcpListener,
    web: Option<(TcpListener, crate::web::Web)>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartupError> {
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
    tokio::spawn(async move {
        shutdown.await;
        let _ = stop_tx.send(true);
    });
    let stopped = |mut rx: tokio::sync::watch::Receiver<bool>| async move {
        let _ = rx.wait_for(|stop| *stop).await;
    };
    let api_server = axum::serve(api, crate::api::router(state.clone()))
        .with_graceful_shutdown(stopped(stop_rx.clone()));
    match web {
        Some((listener, web)) => {
            crate::web::spawn_maintenance(web.clone());
            let app =
                crate::web::router(web.clone()).into_make_service_with_connect_info::<SocketAddr>();
            let web_server = axum::serve(listener, app).with_graceful_shutdown(stopped(stop_rx));
            let (a, w) = tokio::join!(api_server, web_server);
            crate::web::interrupt_running(&web).await;
            a.and(w).map_err(StartupError::Serve)
        }
        None => api_server.await.map_err(StartupError::Serve),
    }
}

/// The whole server as the command line describes it.
pub async fn run(cli: Cli) -> Result<(), StartupError> {
    let state = build_state(&cli, std::env::vars()).await?;
    let web = if cli.no_web {
        None
    } else {
        let vars = std::env::vars().collect();
        Some(crate::web_setup::build_web(&cli, &vars, Arc::clone(&state.engine)).await?)
    };
    let api = bind(&cli.listen, cli.port, Exposure::Api).await?;
    let web = match web {
        None => None,
        Some(web) => Some((
            bind(&cli.web_listen, cli.web_port, Exposure::Web).await?,
            web,
        )),
    };
    tracing::info!(
        "MISP modules server started: {} modules, API on {}:{}{}",
        state.engine.registry().len(),
        cli.listen,
        cli.port,
        if cli.no_web {
            String::new()
        } else {
            format!(", web UI on {}:{}", cli.web_listen, cli.web_port)
        }
    );
    if cli.test {
        return Ok(());
    }
    launch(state, api, web, shutdown_signal()).await
}

async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down");
}

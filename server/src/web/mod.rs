//! The web UI on port 7008: the Leptos application, its form posts, sessions and the
//! checks around them.

mod actions;
mod auth;
mod backend;
mod guard;
mod jobs;
mod login_limiter;
mod markdown;
pub mod module_client;
mod render;
mod running;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use app::ModuleDescriptor;
use app::ui::backend::SharedBackend;
use axum::Router;
use axum::extract::{DefaultBodyLimit, FromRef, Path, State};
use axum::http::{StatusCode, header};
use axum::middleware::{from_fn, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, file_and_error_handler_with_context, generate_route_list};
use modules::Engine;
use modules::engine::ConfigDefaults;
use serde_json::Value;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, Session, SessionManagerLayer};

pub use login_limiter::LoginLimiter;
pub use module_client::{InProcess, ModuleClient, Remote};
pub use running::RunningCells;

use crate::store::{DbSessionStore, Store};

/// Served from the binary so the UI has its look even without a site folder.
const STYLESHEET: &str = include_str!("../../../style/main.css");
const FAVICON: &str = include_str!("../../../public/favicon.svg");
/// The name the wasm bundle is built under (`wasm-bindgen --out-name`).
pub const BUNDLE_NAME: &str = "misp_modules_ui";

/// Everything the UI's handlers share.
pub struct WebContext {
    pub store: Store,
    pub client: Arc<dyn ModuleClient>,
    pub engine: Arc<Engine>,
    pub queries_limit: u64,
    pub login_limiter: LoginLimiter,
    /// Cookies only over HTTPS (and http://localhost, which browsers treat as secure).
    pub secure_cookies: bool,
    pub site_root: PathBuf,
    /// How long the UI waits for one module (`--ui-timeout`).
    pub module_deadline: Duration,
    /// Trust the last `X-Forwarded-For` entry as the client address (`--behind-proxy`).
    pub behind_proxy: bool,
    pub running: RunningCells,
}

pub type Web = Arc<WebContext>;

#[derive(Clone)]
struct WebState {
    web: Web,
    leptos: LeptosOptions,
}

impl FromRef<WebState> for Web {
    fn from_ref(state: &WebState) -> Web {
        state.web.clone()
    }
}

impl FromRef<WebState> for LeptosOptions {
    fn from_ref(state: &WebState) -> LeptosOptions {
        state.leptos.clone()
    }
}

pub fn leptos_options(site_root: &std::path::Path) -> LeptosOptions {
    LeptosOptions::builder()
        .output_name(BUNDLE_NAME)
        .site_root(site_root.to_string_lossy().into_owned())
        .site_pkg_dir("pkg")
        .build()
}

pub fn router(web: Web) -> Router {
    let leptos = leptos_options(&web.site_root);
    let backend: SharedBackend = Arc::new(backend::WebBackend(web.clone()));
    let context = move || provide_context(backend.clone());
    let routes = generate_route_list(app::ui::App);
    let shell = {
        let leptos = leptos.clone();
        move || app::ui::shell(leptos.clone())
    };
    let (cookie_name, secure) = if web.secure_cookies {
        // The __Host- prefix pins the cookie to this host, over a secure channel, path /.
        ("__Host-misp_modules_session", true)
    } else {
        ("misp_modules_session", false)
    };
    let sessions = SessionManagerLayer::new(DbSessionStore::new(web.store.connection().clone()))
        .with_name(cookie_name)
        .with_secure(secure)
        .with_http_only(true)
        .with_same_site(SameSite::Strict)
        .with_path("/")
        .with_expiry(Expiry::OnInactivity(
            tower_sessions::cookie::time::Duration::hours(8),
        ));
    let state = WebState {
        web: web.clone(),
        leptos: leptos.clone(),
    };
    Router::new()
        .route("/action/login", post(actions::login))
        .route("/action/logout", post(actions::logout))
        .route("/action/jobs", post(actions::new_job))
        .route("/action/jobs/retry", post(actions::retry_job))
        .route("/action/pivot", post(actions::pivot))
        .route("/action/history/delete", post(actions::delete_job))
        .route("/action/admin/module-state", post(actions::module_state))
        .route("/action/admin/setting", post(actions::module_setting))
        .route("/action/admin/users", post(actions::new_user))
        .route("/action/admin/password", post(actions::set_password))
        .route("/action/admin/delete-user", post(actions::delete_user))
        .route("/jobs/{id}/cells/{file}", get(download_cell))
        .route(
            "/main.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css")], STYLESHEET) }),
        )
        .route(
            "/favicon.svg",
            get(|| async { ([(header::CONTENT_TYPE, "image/svg+xml")], FAVICON) }),
        )
        .leptos_routes_with_context(&state, routes, context.clone(), shell)
        .fallback(file_and_error_handler_with_context::<WebState, _>(
            context,
            app::ui::shell,
        ))
        .layer(from_fn_with_state(web.clone(), guard::require_sign_in))
        .layer(sessions)
        .layer(from_fn(guard::refuse_cross_site))
        .layer(from_fn(guard::security_headers))
        .layer(DefaultBodyLimit::max(1024 * 1024))
        .with_state(state)
}

/// One result's JSON as a file, for its owner only.
async fn download_cell(
    State(web): State<Web>,
    session: Session,
    Path((job, file)): Path<(i64, String)>,
) -> Response {
    let not_found = || (StatusCode::NOT_FOUND, "Not found").into_response();
    let Some(user) = auth::current_user(&web, &session).await else {
        return (StatusCode::UNAUTHORIZED, "Sign in first").into_response();
    };
    let Some(cell_id) = file
        .strip_suffix(".json")
        .and_then(|id| id.parse::<i64>().ok())
    else {
        return not_found();
    };
    let Ok(Some((_, cells))) = web.store.job(job, user.id).await else {
        return not_found();
    };
    let Some(json) = cells
        .into_iter()
        .find(|c| c.id == cell_id)
        .and_then(|c| c.result_json)
    else {
        return not_found();
    };
    let pretty = serde_json::from_str::<Value>(&json)
        .ok()
        .and_then(|v| serde_json::to_string_pretty(&v).ok())
        .unwrap_or(json);
    (
        [
            (header::CONTENT_TYPE, "application/json".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"query-{job}-result-{cell_id}.json\""),
            ),
        ],
        pretty,
    )
        .into_response()
}

/// Config keys a module declares (`meta.config`).
pub fn config_keys(descriptor: &ModuleDescriptor) -> Vec<String> {
    descriptor
        .meta
        .get("config")
        .and_then(Value::as_array)
        .map(|keys| {
            keys.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Keys a module usually cannot work without: credentials, and the local database or
/// daemon an offline module reads. The query page warns when they have no value; other
/// keys are optional tuning.
pub fn likely_required(key: &str) -> bool {
    let key = key.to_lowercase();
    ["key", "token", "password", "secret", "user", "connection"]
        .iter()
        .any(|word| key.contains(word))
        || key.ends_with("_db")
}

/// Loads what administrators stored into the engine: module settings (they also fill
/// queries on the module API) and disabled modules (off on the module API too).
pub async fn sync_from_store(web: &WebContext) {
    match web.store.settings().await {
        Ok(rows) => {
            let mut settings = ConfigDefaults::default();
            for (module, key, value) in rows {
                settings.set(&module, &key, value);
            }
            web.engine.replace_stored_settings(settings);
        }
        Err(error) => tracing::error!("could not read stored module settings: {error}"),
    }
    match web.store.disabled_modules().await {
        Ok(disabled) => web.engine.set_disabled(disabled),
        Err(error) => tracing::error!("could not read module states: {error}"),
    }
}

/// Other instances sharing the database may change settings and module states: read them
/// again regularly, delete expired sessions, and close cells left pending by a server
/// that stopped.
pub fn spawn_maintenance(web: Web) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(30));
        loop {
            tick.tick().await;
            sync_from_store(&web).await;
            if let Err(error) = DbSessionStore::new(web.store.connection().clone())
                .delete_expired()
                .await
            {
                tracing::warn!("could not delete expired sessions: {error}");
            }
            sweep_stale_cells(&web).await;
        }
    });
}

/// Marks interrupted the cells pending for longer than any live server would take.
pub async fn sweep_stale_cells(web: &WebContext) {
    let cutoff = web.module_deadline + running::STALE_GRACE;
    let started_before = time::OffsetDateTime::now_utc().unix_timestamp()
        - i64::try_from(cutoff.as_secs()).unwrap_or(i64::MAX);
    match web.store.interrupt_stale(started_before).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!("{n} results were left pending by a stopped server"),
        Err(error) => tracing::warn!("could not close stale results: {error}"),
    }
}

/// On shutdown: the cells this process is still running will never finish; say so now.
pub async fn interrupt_running(web: &WebContext) {
    let ids = web.running.ids();
    match web.store.interrupt_cells(&ids).await {
        Ok(0) => {}
        Ok(n) => tracing::warn!("{n} running results were interrupted by the shutdown"),
        Err(error) => tracing::warn!("could not mark interrupted results: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_keys_are_recognised() {
        for key in [
            "apikey",
            "api_key",
            "Token",
            "password",
            "username",
            "secret",
            "local_geolite_db",
            "connection",
        ] {
            assert!(likely_required(key), "{key}");
        }
        for key in ["timeout", "region", "limit", "url", "warninglists_path"] {
            assert!(!likely_required(key), "{key}");
        }
    }
}

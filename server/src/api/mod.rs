//! The module API on port 6666, wire-compatible with misp-modules.

mod access_log;
mod cached;
mod meta;
mod modules_list;
mod openapi;
mod query;
mod redact;
pub mod statistics;
mod timeout;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::Value;

use crate::AppState;
use crate::error::ApiError;

pub use cached::CachedJson;
pub use modules_list::ModuleList;
pub use openapi::{escape as escape_html, openapi_document};
pub use timeout::parse_timeout;

/// The API router. Paths match exactly, as in the reference (`/modules/` is a 404).
pub fn router(state: AppState) -> Router {
    let body_limit = state.limits.max_body_bytes;
    Router::new()
        .route("/modules", get(modules_list::list))
        .route("/query", post(query::query))
        .route("/healthcheck", get(meta::healthcheck))
        .route("/version", get(meta::version))
        .route("/statistics", get(statistics::report))
        .route("/openapi.json", get(openapi::document))
        .route("/openapi", get(openapi::page))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(axum::middleware::from_fn(access_log::log))
        .with_state(state)
}

/// A JSON answer with the right content type.
pub fn json_response(status: StatusCode, value: &Value) -> Response {
    let body = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

async fn not_found(uri: Uri) -> ApiError {
    ApiError::NotFound(uri.path().to_owned())
}

async fn method_not_allowed(method: Method, uri: Uri) -> ApiError {
    ApiError::MethodNotAllowed {
        method: method.to_string(),
        path: uri.path().to_owned(),
    }
}

//! `/healthcheck` and `/version`.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::AppState;

pub async fn healthcheck(State(state): State<AppState>, headers: HeaderMap) -> Response {
    state.cached.healthcheck.respond(&headers)
}

pub async fn version(State(state): State<AppState>, headers: HeaderMap) -> Response {
    state.cached.version.respond(&headers)
}

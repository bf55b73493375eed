//! `GET /modules`. The registry does not change while the server runs, so the answer is
//! serialised once at start-up; MISP polls it on many page views.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;

use crate::AppState;

pub async fn list(State(state): State<AppState>, headers: HeaderMap) -> Response {
    state.cached.modules.respond(&headers)
}

//! The web UI on port 7008. For now a read-only page of the loaded modules by type; the
//! Leptos application (queries, history, accounts) replaces it.

use app::ModuleType;
use axum::Router;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use crate::AppState;
use crate::api::escape_html;

/// Served from the binary so the UI needs no file at run time.
const STYLESHEET: &str = include_str!("../../style/main.css");
const FAVICON: &str = include_str!("../../public/favicon.svg");

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route(
            "/main.css",
            get(|| async { ([(header::CONTENT_TYPE, "text/css")], STYLESHEET) }),
        )
        .route(
            "/favicon.svg",
            get(|| async { ([(header::CONTENT_TYPE, "image/svg+xml")], FAVICON) }),
        )
        .fallback(|| async { (StatusCode::NOT_FOUND, "Not found") })
        .with_state(state)
}

async fn index(State(state): State<AppState>) -> Response {
    let registry = state.engine.registry();
    let mut body = String::from(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width\">\
         <title>MISP modules</title><link rel=\"stylesheet\" href=\"/main.css\"><link rel=\"icon\" href=\"/favicon.svg\">\
         </head><body><h1>MISP modules</h1><p>The module API documentation is served on the API port at <code>/openapi</code>.</p>\n",
    );
    for module_type in ModuleType::ALL {
        let mut modules: Vec<_> = registry.of_type(module_type).collect();
        if modules.is_empty() {
            continue;
        }
        modules.sort_by(|a, b| a.name().cmp(b.name()));
        body.push_str(&format!(
            "<h2>{} ({})</h2><ul>",
            module_type.as_str(),
            modules.len()
        ));
        for module in modules {
            let meta = &module.descriptor().meta;
            body.push_str(&format!(
                "<li><strong>{}</strong> <small>{}</small></li>",
                escape_html(module.name()),
                escape_html(meta["description"].as_str().unwrap_or_default())
            ));
        }
        body.push_str("</ul>");
    }
    body.push_str("</body></html>\n");
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'",
            ),
            (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        ],
        body,
    )
        .into_response()
}

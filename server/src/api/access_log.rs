//! One log line per request: status, method, path and latency (never the body).

use std::time::Instant;

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;

pub async fn log(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    tracing::info!(
        target: "access",
        "{} {} {} {:.2}ms",
        response.status().as_u16(),
        method,
        path,
        started.elapsed().as_secs_f64() * 1000.0
    );
    response
}

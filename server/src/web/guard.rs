//! Request checks that apply to the whole UI: cross-site request refusal, sign-in for
//! pages, and security headers on every answer.

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use tower_sessions::Session;

use super::Web;
use super::auth::current_user;

/// Refuses state-changing requests that a browser says come from another site. Browsers
/// send `Sec-Fetch-Site` and `Origin` on cross-site posts; clients that send neither
/// (curl, scripts) carry no ambient cookies of a victim, so there is nothing to forge.
pub async fn refuse_cross_site(request: Request, next: Next) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if !safe && is_cross_site(request.headers()) {
        tracing::warn!(path = %request.uri().path(), "refused a cross-site {} request", request.method());
        return (StatusCode::FORBIDDEN, "Cross-site requests are refused.").into_response();
    }
    next.run(request).await
}

fn is_cross_site(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site")
        && !matches!(site.as_bytes(), b"same-origin" | b"none")
    {
        return true;
    }
    match headers.get(header::ORIGIN) {
        None => false,
        Some(origin) => {
            let host = headers.get(header::HOST).and_then(|h| h.to_str().ok());
            let origin_host = origin
                .to_str()
                .ok()
                .and_then(|o| o.split_once("://"))
                .map(|(_, rest)| rest);
            match (origin_host, host) {
                (Some(origin_host), Some(host)) => !origin_host.eq_ignore_ascii_case(host),
                _ => true,
            }
        }
    }
}

/// Paths anyone may fetch: the sign-in page, static files and the form posts (which check
/// the user themselves).
fn is_public(path: &str) -> bool {
    path == "/login"
        || path == "/main.css"
        || path == "/favicon.svg"
        || path.starts_with("/pkg/")
        || path.starts_with("/action/")
        || path.starts_with("/api/")
}

/// Pages need a signed-in user; others are sent to the sign-in page and come back after.
pub async fn require_sign_in(
    State(web): State<Web>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if is_public(&path) {
        return next.run(request).await;
    }
    match current_user(&web, &session).await {
        Some(user) if path.starts_with("/admin") && !user.is_admin => {
            (StatusCode::FORBIDDEN, "This page needs an administrator.").into_response()
        }
        Some(_) => next.run(request).await,
        None => {
            let wanted = request
                .uri()
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".to_owned());
            let target = format!("/login?next={}", encode(&wanted));
            Redirect::to(&target).into_response()
        }
    }
}

fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Headers every answer carries. Pages set their own CSP with a nonce; anything else gets
/// a policy that allows no script at all.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let is_static = {
        let path = request.uri().path();
        path.starts_with("/pkg/") || path == "/main.css" || path == "/favicon.svg"
    };
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !headers.contains_key(header::CONTENT_SECURITY_POLICY) {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'none'; style-src 'self'; img-src 'self'; frame-ancestors 'none'",
            ),
        );
    }
    if !is_static {
        // Pages and server functions carry a user's data.
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(*k, HeaderValue::from_static(v));
        }
        map
    }

    #[test]
    fn cross_site_posts_are_recognised() {
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "cross-site")])));
        assert!(is_cross_site(&headers(&[("sec-fetch-site", "same-site")])));
        assert!(is_cross_site(&headers(&[
            ("origin", "http://evil.example"),
            ("host", "localhost:7008")
        ])));
        assert!(is_cross_site(&headers(&[
            ("origin", "null"),
            ("host", "localhost:7008")
        ])));
        assert!(!is_cross_site(&headers(&[
            ("origin", "http://localhost:7008"),
            ("host", "localhost:7008"),
            ("sec-fetch-site", "same-origin")
        ])));
        assert!(!is_cross_site(&headers(&[])));
    }

    #[test]
    fn next_paths_are_encoded() {
        assert_eq!(encode("/jobs/3?x=a b&y"), "/jobs/3%3Fx%3Da%20b%26y");
    }
}

//! What modules that call a remote service share: one HTTP client, a retrying GET, and the
//! base URL a deployment (or a test's stub server) can point elsewhere.

use std::error::Error as _;
use std::sync::OnceLock;
use std::time::Duration;

use reqwest::{Client, Response, StatusCode};

use crate::engine::config_env_name;

/// `MISP_MODULES_<MODULE>_BASE_URL` when set (a mirror, a proxy, a test stub), else `default`.
/// Read once at start, like the other deployment settings.
pub fn base_url(module: &str, default: &str) -> String {
    std::env::var(config_env_name(module, "base_url"))
        .ok()
        .map(|url| url.trim().trim_end_matches('/').to_owned())
        .filter(|url| !url.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// A client with bounded connect and total times; `None` only if TLS cannot be set up.
pub fn http_client(user_agent: &str) -> Option<Client> {
    install_crypto_provider();
    Client::builder()
        .user_agent(user_agent)
        .connect_timeout(Duration::from_secs(5))
        .timeout(Duration::from_secs(30))
        .build()
        .map_err(|e| tracing::error!("cannot build an HTTP client: {e}"))
        .ok()
}

/// rustls needs one process-wide provider; ring is the one already compiled in for the
/// database drivers. Call before building any `reqwest` client in this process: reqwest
/// is built without a provider of its own, and refuses (panics) to build a client without.
pub fn install_crypto_provider() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        // Err means another part of the process installed one first, which is as good.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// GET with the query `params`, retried twice (after 0.5 s, then 1 s) when the service
/// cannot be reached or answers 502, 503 or 504: such failures are usually momentary.
pub async fn get_with_retry(
    client: &Client,
    url: &str,
    params: &[(&str, &str)],
) -> Result<Response, reqwest::Error> {
    let mut delay = Duration::from_millis(500);
    let mut retries_left = 2;
    loop {
        let sent = client
            .get(url)
            .query(params)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await;
        let transient = match &sent {
            Ok(response) => matches!(
                response.status(),
                StatusCode::BAD_GATEWAY
                    | StatusCode::SERVICE_UNAVAILABLE
                    | StatusCode::GATEWAY_TIMEOUT
            ),
            Err(error) => error.is_connect(),
        };
        if !transient || retries_left == 0 {
            return sent;
        }
        retries_left -= 1;
        tokio::time::sleep(delay).await;
        delay *= 2;
    }
}

/// The body of `response`, refused past `limit` bytes: a service (or something posing as
/// one) must not make a module buffer without bound.
pub async fn read_limited(mut response: Response, limit: usize) -> Result<Vec<u8>, BodyError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(BodyError::Transport)? {
        if body.len() + chunk.len() > limit {
            return Err(BodyError::TooLarge(limit));
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

#[derive(Debug, thiserror::Error)]
pub enum BodyError {
    #[error("the answer was cut off")]
    Transport(reqwest::Error),
    #[error("the answer is larger than {0} bytes")]
    TooLarge(usize),
}

/// Why a request failed, for the user: the causes, never the URL (query strings carry
/// API keys), with every `secret` scrubbed in case a cause quotes one.
pub fn transport_error(error: reqwest::Error, secrets: &[&str]) -> String {
    let error = error.without_url();
    let mut text = if error.is_timeout() {
        "the request timed out".to_owned()
    } else {
        error.to_string()
    };
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    for secret in secrets.iter().filter(|s| !s.is_empty()) {
        text = text.replace(secret, "***");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn an_unreachable_service_is_described_without_url_or_key() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        drop(listener);
        let client = http_client("test").unwrap();
        let url = format!("http://127.0.0.1:{port}/v1");
        let error = get_with_retry(&client, &url, &[("apiKey", "secret-key")])
            .await
            .unwrap_err();
        let text = transport_error(error, &["secret-key"]);
        assert!(
            !text.contains("secret-key") && !text.contains("/v1"),
            "{text}"
        );
        assert!(text.to_lowercase().contains("connect"), "{text}");
    }

    #[test]
    fn base_url_falls_back_to_the_default() {
        assert_eq!(
            base_url("module_nobody_configures", "https://api.example.com/v3"),
            "https://api.example.com/v3"
        );
    }
}

//! Fixed JSON answers with an ETag, so pollers such as MISP's settings page get a 304.

use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

#[derive(Debug, Clone)]
pub struct CachedJson {
    body: bytes::Bytes,
    etag: String,
}

impl CachedJson {
    pub fn new(value: &Value) -> Self {
        let body = serde_json::to_vec(value).unwrap_or_else(|_| b"null".to_vec());
        let etag = format!("\"{}\"", sha1_smol::Sha1::from(&body).digest());
        Self {
            body: body.into(),
            etag,
        }
    }

    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The answer to a GET carrying `headers`: 304 when the client has this version.
    pub fn respond(&self, headers: &HeaderMap) -> Response {
        let fresh = headers
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|tags| {
                // If-None-Match compares weakly: a W/ prefix still matches.
                tags.split(',')
                    .map(|t| t.trim().trim_start_matches("W/"))
                    .any(|t| t == self.etag || t == "*")
            });
        if fresh {
            return (
                StatusCode::NOT_MODIFIED,
                [(header::ETAG, self.etag.clone())],
            )
                .into_response();
        }
        (
            StatusCode::OK,
            [
                (header::CONTENT_TYPE, "application/json".to_owned()),
                (header::ETAG, self.etag.clone()),
            ],
            self.body.clone(),
        )
            .into_response()
    }
}

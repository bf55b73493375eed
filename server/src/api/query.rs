//! `POST /query`.
//!
//! Every failure of the request itself (not JSON, not an object, not UTF-8, a bad
//! `timeout`, too large) answers 4xx with `{"error": ...}`, where the reference answered an
//! HTML 500 page. Failures of the module keep the reference's HTTP 200 + `{"error": ...}`,
//! which is what MISP reads.

use std::time::Instant;

use app::GENERIC_ERROR;
use axum::body::Bytes;
use axum::extract::State;
use axum::extract::rejection::BytesRejection;
use axum::http::StatusCode;
use axum::response::Response;
use modules::Outcome;
use serde_json::{Map, Value, json};

use super::statistics::OutcomeKind;
use super::{json_response, parse_timeout, redact};
use crate::AppState;
use crate::error::ApiError;

/// The reference's answer when the deadline passes; clients match on it.
const TIMEOUT_ERROR: &str = "Timeout.";

pub async fn query(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let body = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(state.limits.max_body_bytes)
        } else {
            ApiError::BadRequest(format!("cannot read the request body: {rejection}"))
        }
    })?;
    let request_bytes = body.len() as u64;
    let body = parse_body(&body)?;
    let deadline = parse_timeout(body.get("timeout"), state.limits.max_timeout_seconds)
        .map_err(ApiError::BadRequest)?;
    let Some(module) = body
        .get("module")
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return Ok(json_response(
            StatusCode::OK,
            &json!({"error": "The request names no module: it needs a \"module\" field with a module name"}),
        ));
    };
    tracing::debug!(module, body = %redact::redacted(&body), "query");

    let known =
        state.engine.registry().get(&module).is_some() && !state.engine.is_disabled(&module);
    // Counted as in flight until finished; a query whose client leaves is only uncounted.
    let tracker = known.then(|| state.statistics.track(&module, request_bytes));
    let started = Instant::now();
    let outcome = state.engine.run(&module, body, deadline).await;
    let (answer, kind) = match outcome {
        Outcome::Answer(value) => {
            let kind = if carries_error(&value) {
                OutcomeKind::ModuleError
            } else {
                OutcomeKind::Success
            };
            (value, kind)
        }
        Outcome::Reported(message) => (json!({"error": message}), OutcomeKind::ModuleError),
        Outcome::Exception => (json!({"error": GENERIC_ERROR}), OutcomeKind::Exception),
        Outcome::Timeout => (json!({"error": TIMEOUT_ERROR}), OutcomeKind::Timeout),
        Outcome::UnknownModule => (
            json!({"error": format!("Module not found: {module}")}),
            OutcomeKind::Unknown,
        ),
        Outcome::Disabled => (
            json!({"error": format!("Module disabled by the administrator: {module}")}),
            OutcomeKind::Unknown,
        ),
    };
    let response = json_response(StatusCode::OK, &answer);
    if let Some(tracker) = tracker {
        tracker.finished(kind, response_size(&response), started.elapsed());
    }
    Ok(response)
}

fn parse_body(raw: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let text = std::str::from_utf8(raw).map_err(|e| {
        ApiError::BadRequest(format!(
            "request body is not valid UTF-8 (at byte {})",
            e.valid_up_to()
        ))
    })?;
    if text.trim().is_empty() {
        return Err(ApiError::BadRequest(
            "request body is empty; send a JSON object".into(),
        ));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(ApiError::BadRequest(format!(
            "request body must be a JSON object, got {}",
            json_kind(&other)
        ))),
        Err(error) => Err(ApiError::BadRequest(format!(
            "request body is not valid JSON: {error}"
        ))),
    }
}

fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whether an answer is a module-level failure in the reference's statistics sense.
fn carries_error(value: &Value) -> bool {
    let Some(object) = value.as_object() else {
        return false;
    };
    ["error", "errors"]
        .iter()
        .any(|key| match object.get(*key) {
            None | Some(Value::Null) => false,
            Some(Value::String(s)) => !s.is_empty(),
            Some(Value::Array(a)) => !a.is_empty(),
            Some(Value::Object(o)) => !o.is_empty(),
            Some(Value::Bool(b)) => *b,
            Some(Value::Number(_)) => true,
        })
}

fn response_size(response: &Response) -> u64 {
    use axum::body::HttpBody;
    response.body().size_hint().exact().unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_errors_say_what_is_wrong() {
        let message = |raw: &[u8]| match parse_body(raw) {
            Err(ApiError::BadRequest(m)) => m,
            other => panic!("expected a bad request, got {other:?}"),
        };
        assert!(message(b"{\"module\": ").contains("not valid JSON"));
        assert!(message(b"[1]").contains("an array"));
        assert!(message(b"").contains("empty"));
        assert!(message(b"{\"a\": \"\xff\"}").contains("UTF-8"));
        assert!(parse_body(b"{\"module\": \"x\"}").is_ok());
    }

    #[test]
    fn error_answers_are_recognised() {
        assert!(carries_error(&json!({"error": "x"})));
        assert!(carries_error(&json!({"errors": ["x"]})));
        assert!(!carries_error(&json!({"error": ""})));
        assert!(!carries_error(&json!({"results": []})));
        assert!(!carries_error(&json!(false)));
    }
}

//! Builders for the legacy answer shape `{"results": [{"types": [...], "values": ...}]}`.

use serde_json::{Value, json};

/// One legacy entry whose `values` is a list.
pub fn legacy_results(types: &[&str], values: Vec<String>) -> Value {
    json!({"results": [{"types": types, "values": values}]})
}

/// One legacy entry whose `values` is a single string (validators answer this way).
pub fn legacy_scalar_results(types: &[&str], value: impl Into<String>) -> Value {
    json!({"results": [{"types": types, "values": value.into()}]})
}

//! Settings of the firewall exporters: flags, names, modes and numbers.

use serde_json::{Map, Value};

use crate::engine::QueryRequest;

/// A message for the user; the caller prefixes it with the exporter's title.
#[derive(Debug, PartialEq, Eq)]
pub(in crate::builtin::export) struct Invalid(pub String);

impl<T: Into<String>> From<T> for Invalid {
    fn from(message: T) -> Self {
        Invalid(message.into())
    }
}

// ---------------------------------------------------------------------------------------
// Settings

/// A yes/no field: absent, null and "" are false; accepted are booleans, 0/1 and the
/// strings true/false/1/0 in any case. Anything else is an error naming the field.
pub(in crate::builtin::export) fn flag(value: Option<&Value>, name: &str) -> Result<bool, Invalid> {
    let parsed = match value {
        None | Some(Value::Null) => Some(false),
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "" | "false" | "0" => Some(false),
            "true" | "1" => Some(true),
            _ => None,
        },
        Some(_) => None,
    };
    parsed.ok_or_else(|| format!("{name} must be true, false, 1 or 0.").into())
}

/// The request's `config`; a missing or null one counts as empty.
pub(in crate::builtin::export) fn config_object(
    request: &QueryRequest,
) -> Result<Map<String, Value>, Invalid> {
    match request.get("config") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(config)) => Ok(config.clone()),
        Some(_) => Err("config must be an object.".into()),
    }
}

/// A config value, with null and "" meaning "not set".
pub(in crate::builtin::export) fn setting<'a>(
    config: &'a Map<String, Value>,
    key: &str,
) -> Option<&'a Value> {
    config
        .get(key)
        .filter(|v| !v.is_null() && v.as_str() != Some(""))
}

/// Whether `value` is a letter followed by at most `limit - 1` ASCII letters, digits, `_`
/// or `-`: safe to paste unquoted into any of the generated configurations.
pub(in crate::builtin::export) fn is_name_token(value: &str, limit: usize) -> bool {
    let mut chars = value.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && value.len() <= limit
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A name-like setting (prefix, zone, interface), `default` when unset.
pub(in crate::builtin::export) fn token(
    config: &Map<String, Value>,
    key: &str,
    default: &str,
    limit: usize,
) -> Result<String, Invalid> {
    match setting(config, key) {
        None => Ok(default.to_owned()),
        Some(Value::String(s)) if is_name_token(s, limit) => Ok(s.clone()),
        Some(_) => Err(format!(
            "{key} must start with a letter and contain 1-{limit} ASCII letters, digits, _ or -."
        )
        .into()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::builtin::export) enum Mode {
    Block,
    Log,
}

pub(in crate::builtin::export) fn mode(config: &Map<String, Value>) -> Result<Mode, Invalid> {
    match setting(config, "mode") {
        None => Ok(Mode::Block),
        Some(Value::String(s)) if s == "block" => Ok(Mode::Block),
        Some(Value::String(s)) if s == "log" => Ok(Mode::Log),
        Some(_) => Err("mode must be block or log.".into()),
    }
}

/// A whole-number setting given as digits (string or JSON integer), within `range`.
pub(in crate::builtin::export) fn number_setting(
    config: &Map<String, Value>,
    key: &str,
    default: u64,
    max_digits: usize,
    range: std::ops::RangeInclusive<u64>,
    message: &str,
) -> Result<u64, Invalid> {
    let text = match setting(config, key) {
        None => return Ok(default),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
        Some(_) => return Err(message.into()),
    };
    let digits_ok =
        !text.is_empty() && text.len() <= max_digits && text.bytes().all(|b| b.is_ascii_digit());
    // Long digit strings are out of range anyway; saturating keeps them out of u64 trouble.
    let number = digits_ok.then(|| {
        text.bytes().fold(0u64, |n, b| {
            n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
        })
    });
    number
        .filter(|n| range.contains(n))
        .ok_or_else(|| message.into())
}

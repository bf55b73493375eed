//! Shared by the report importers (darkmoon_import, joe_import, vmray_summary_json_import):
//! reading the uploaded JSON report, and seeing its values the way the reference's Python
//! does (truthiness, `str()`, `strip()`). Reports are free-form, so a title may be a number
//! or a list; the answer must still spell it as the reference did.

use serde_json::{Number, Value};

use crate::engine::QueryRequest;
use crate::pycompat::python_repr_str;

/// The uploaded report parsed as JSON, `None` when `data` is missing, not base64 or not
/// JSON. A leading UTF-8 byte order mark (editors on Windows add one) is allowed.
pub(super) fn read_report(request: &QueryRequest) -> Option<Value> {
    let bytes = request.import_data()?.ok()?;
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    serde_json::from_slice(text).ok()
}

/// Python truthiness of a JSON value.
pub(super) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|f| f != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// A field that is present and truthy.
pub(super) fn truthy_field<'a>(
    map: &'a serde_json::Map<String, Value>,
    key: &str,
) -> Option<&'a Value> {
    map.get(key).filter(|value| truthy(value))
}

/// Python's `str()` of a JSON value.
pub(super) fn python_str(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => python_repr(other),
    }
}

/// Python's `repr()`, which `str()` of a container applies to its items.
fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(number) => python_number(number),
        Value::String(text) => python_repr_str(text),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(key, item)| format!("{}: {}", python_repr_str(key), python_repr(item)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// A JSON number as Python prints it: integers as digits, floats in `float.__repr__` form.
pub(super) fn python_number(number: &Number) -> String {
    if number.is_f64() {
        python_float(number.as_f64().unwrap_or_default())
    } else {
        number.to_string()
    }
}

/// `repr(float)`: the shortest round-trip digits, positional for exponents -4..16 and
/// scientific (`1e+16`, `1.5e-05`) outside.
pub(super) fn python_float(value: f64) -> String {
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    let scientific = format!("{value:e}");
    let Some((mantissa, exponent)) = scientific.split_once('e') else {
        return scientific;
    };
    let exponent: i32 = exponent.parse().unwrap_or_default();
    if (-4..16).contains(&exponent) {
        let text = format!("{value}");
        if text.contains('.') {
            text
        } else {
            format!("{text}.0")
        }
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}

/// Python's `str.strip()` without arguments, which also drops the ASCII separators
/// 0x1c..0x1f that Rust does not count as whitespace.
pub(super) fn python_strip(text: &str) -> &str {
    text.trim_matches(|c: char| c.is_whitespace() || ('\x1c'..='\x1f').contains(&c))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn str_follows_python() {
        assert_eq!(python_str(&json!(9.8)), "9.8");
        assert_eq!(python_str(&json!(10.0)), "10.0");
        assert_eq!(python_str(&json!(1e16)), "1e+16");
        assert_eq!(python_str(&json!(0.000015)), "1.5e-05");
        assert_eq!(python_str(&json!(0.0001)), "0.0001");
        assert_eq!(python_str(&json!(-3)), "-3");
        assert_eq!(python_str(&json!(null)), "None");
        assert_eq!(python_str(&json!(["a", 1, true])), "['a', 1, True]");
        assert_eq!(python_str(&json!({"k": "v", "n": null})), "{'k': 'v', 'n': None}");
    }

    #[test]
    fn truthiness_and_strip() {
        assert!(!truthy(&json!(0.0)) && !truthy(&json!("")) && !truthy(&json!([])));
        assert!(truthy(&json!("0")) && truthy(&json!(-1)) && truthy(&json!({"a": 1})));
        assert_eq!(python_strip("\x1f  text \u{3000}"), "text");
    }
}

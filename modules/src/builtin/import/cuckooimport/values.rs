//! Report values as the reference turns them into text and attribute values: Python's
//! `str()` of what `json.load` produced (report dictionaries print as `(key) value`
//! pairs), and pymisp's clean-up of attribute values.

use serde_json::{Map, Value};

use crate::pycompat::{python_float_repr, python_repr_str};

pub static NULL: Value = Value::Null;

/// `value[key]` of a report dictionary, `null` when absent or not a dictionary.
pub fn at<'a>(value: &'a Value, key: &str) -> &'a Value {
    value.get(key).unwrap_or(&NULL)
}

/// Python truthiness of a JSON value.
pub fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// The items of a report list; anything else reads as an empty list.
pub fn list(value: &Value) -> &[Value] {
    value.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn number_text(number: &serde_json::Number) -> String {
    match number.as_f64() {
        Some(f) if number.is_f64() => python_float_repr(f),
        _ => number.to_string(),
    }
}

/// Python's `str()`; dictionaries print the way the reference's ordered report
/// dictionaries do: `(key) value` pairs, values cut after 30 characters.
pub fn py_str(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(n) => number_text(n),
        Value::String(s) => s.clone(),
        Value::Array(items) => list_repr(items),
        Value::Object(map) => pairs(map.iter()),
    }
}

/// The `(key) value; ...` form of report dictionary entries.
pub fn pairs<'a>(entries: impl Iterator<Item = (&'a String, &'a Value)>) -> String {
    const MAX_CHARS: usize = 30;
    entries
        .map(|(key, value)| {
            let text = py_str(value);
            if text.chars().count() > MAX_CHARS {
                let cut: String = text.chars().take(MAX_CHARS).collect();
                format!("({key},cut) {cut}")
            } else {
                format!("({key}) {text}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn list_repr(items: &[Value]) -> String {
    let inner: Vec<String> = items.iter().map(py_repr).collect();
    format!("[{}]", inner.join(", "))
}

/// Python's `repr()`, as used for the items of a list (the ordered dictionaries print
/// as `PrettyDict([...])` there, as Python 3.11 writes them).
fn py_repr(value: &Value) -> String {
    match value {
        Value::String(s) => python_repr_str(s),
        Value::Array(items) => list_repr(items),
        Value::Object(map) => dict_repr(map),
        other => py_str(other),
    }
}

fn dict_repr(map: &Map<String, Value>) -> String {
    if map.is_empty() {
        return "PrettyDict()".to_owned();
    }
    let items: Vec<String> = map
        .iter()
        .map(|(k, v)| format!("({}, {})", python_repr_str(k), py_repr(v)))
        .collect();
    format!("PrettyDict([{}])", items.join(", "))
}

/// An attribute value as pymisp keeps it: `None` and blank text are dropped, text is
/// stripped of whitespace then NULs, integers become text; other values (floats,
/// booleans) keep their JSON type on the wire, returned as the second element.
pub fn attribute_value(value: &Value) -> Option<(String, Option<Value>)> {
    match value {
        Value::Null => None,
        Value::String(s) => {
            let cleaned = s.trim().trim_matches('\0');
            (!cleaned.is_empty()).then(|| (cleaned.to_owned(), None))
        }
        Value::Number(n) if !n.is_f64() => Some((n.to_string(), None)),
        other => Some((py_str(other), Some(other.clone()))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn python_text_of_report_values() {
        assert_eq!(py_str(&json!(6.0)), "6.0");
        assert_eq!(py_str(&json!(124)), "124");
        assert_eq!(py_str(&json!(null)), "None");
        assert_eq!(
            py_str(&json!({
                "a": "x",
                "b": "0123456789012345678901234567890123",
                "c": [1, "y", {"k": true}],
                "d": [1e16, 1.5e-05, 0.1]
            })),
            // What the reference printed for the same dictionary.
            "(a) x; (b,cut) 012345678901234567890123456789; (c,cut) [1, 'y', PrettyDict([('k', Tru; (d) [1e+16, 1.5e-05, 0.1]"
        );
        assert_eq!(py_str(&json!({})), "");
    }

    #[test]
    fn pymisp_value_cleanup() {
        assert_eq!(
            attribute_value(&json!("  x\0 ")),
            Some(("x".to_owned(), None))
        );
        assert_eq!(attribute_value(&json!(" \n")), None);
        assert_eq!(attribute_value(&json!(null)), None);
        assert_eq!(
            attribute_value(&json!(2024)),
            Some(("2024".to_owned(), None))
        );
        assert_eq!(
            attribute_value(&json!(1.25)),
            Some(("1.25".to_owned(), Some(json!(1.25))))
        );
    }
}

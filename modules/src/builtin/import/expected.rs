//! Test support for the report importers: request bodies, and a canonical form of an
//! answer so that one produced by the reference (with its own random UUIDs and key order)
//! can be compared with ours.

use std::collections::HashMap;

use base64::Engine as _;
use serde_json::{Map, Value, json};

pub fn body(module: &str, data: &[u8], config: Value) -> Value {
    json!({
        "module": module,
        "data": base64::engine::general_purpose::STANDARD.encode(data),
        "config": config
    })
}

/// Keys sorted and every UUID replaced by `uuid-<n>`, numbered by first appearance in
/// that sorted walk, so references still point at the same numbered thing.
pub fn canonical(value: &Value) -> Value {
    let mut seen = HashMap::new();
    walk(value, &mut seen)
}

fn walk(value: &Value, seen: &mut HashMap<String, usize>) -> Value {
    match value {
        Value::String(text) if uuid::Uuid::parse_str(text).is_ok() && text.len() == 36 => {
            let next = seen.len();
            let n = *seen.entry(text.clone()).or_insert(next);
            Value::String(format!("uuid-{n}"))
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| walk(i, seen)).collect()),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for key in keys {
                out.insert(key.clone(), walk(&map[key], seen));
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

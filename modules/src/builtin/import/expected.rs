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

/// Keys sorted, every UUID replaced by `uuid-<n>` (attributes and objects numbered in
/// that sorted walk, so references still point at the same numbered thing), the random
/// UUID of each reference dropped and each object's references sorted: the reference
/// emits some of them in set order, which varies between runs.
pub fn canonical(value: &Value) -> Value {
    let mut numbers = HashMap::new();
    number_owners(value, &mut numbers);
    replace(value, &mut numbers)
}

fn is_reference(map: &Map<String, Value>) -> bool {
    map.contains_key("referenced_uuid")
}

fn number_owners(value: &Value, numbers: &mut HashMap<String, usize>) {
    match value {
        Value::Array(items) => items.iter().for_each(|i| number_owners(i, numbers)),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for key in keys {
                match (&map[key], key.as_str()) {
                    (Value::String(uuid), "uuid") if !is_reference(map) => {
                        let next = numbers.len();
                        numbers.entry(uuid.clone()).or_insert(next);
                    }
                    (other, _) => number_owners(other, numbers),
                }
            }
        }
        _ => {}
    }
}

fn replace(value: &Value, numbers: &mut HashMap<String, usize>) -> Value {
    match value {
        Value::String(text) if text.len() == 36 && uuid::Uuid::parse_str(text).is_ok() => {
            let next = numbers.len();
            let n = *numbers.entry(text.clone()).or_insert(next);
            Value::String(format!("uuid-{n}"))
        }
        Value::Array(items) => Value::Array(items.iter().map(|i| replace(i, numbers)).collect()),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            let mut out = Map::new();
            for key in keys {
                if key == "uuid" && is_reference(map) {
                    continue;
                }
                let mut item = replace(&map[key], numbers);
                if key == "ObjectReference"
                    && let Value::Array(list) = &mut item
                {
                    list.sort_by_key(|r| r.to_string());
                }
                out.insert(key.clone(), item);
            }
            Value::Object(out)
        }
        other => other.clone(),
    }
}

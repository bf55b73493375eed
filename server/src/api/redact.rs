//! What a query looks like in the debug log: structure kept, secrets and file data gone.

use serde_json::{Map, Value};

const HIDDEN: &str = "<redacted>";

/// A copy of the body with every `config` value and every `data` payload replaced.
/// Config keys stay visible, since they help to debug; their values may be API keys.
pub fn redacted(body: &Map<String, Value>) -> Value {
    let mut copy = body.clone();
    if let Some(Value::Object(config)) = copy.get_mut("config") {
        for value in config.values_mut() {
            *value = Value::String(HIDDEN.into());
        }
    } else if copy.contains_key("config") {
        copy.insert("config".into(), Value::String(HIDDEN.into()));
    }
    for key in ["data", "params"] {
        if copy.contains_key(key) {
            copy.insert(key.into(), Value::String(HIDDEN.into()));
        }
    }
    Value::Object(copy)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn hides_config_values_and_data() {
        let body = json!({"module": "m", "domain": "x.com", "config": {"apikey": "SENTINEL-1"}, "data": "c2VjcmV0"});
        let shown = redacted(body.as_object().unwrap()).to_string();
        assert!(shown.contains("apikey") && shown.contains("x.com"));
        assert!(!shown.contains("SENTINEL-1") && !shown.contains("c2VjcmV0"));
    }
}

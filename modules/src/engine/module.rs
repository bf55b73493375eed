use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::Value;

use super::{ModuleError, QueryRequest};

/// One module: its `/modules` entry and its query function.
///
/// The answer is any JSON value (usually `{"results": ...}` or `{"data": ...}`, sometimes
/// `false`); the server serialises it unchanged.
#[async_trait]
pub trait Module: Send + Sync + 'static {
    fn descriptor(&self) -> &ModuleDescriptor;

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError>;

    fn name(&self) -> &str {
        &self.descriptor().name
    }

    fn module_type(&self) -> ModuleType {
        self.descriptor().module_type
    }

    /// Names of the site-admin settings the module reads from `config`: `meta.config` as a
    /// list, or the parameter names of an action module.
    fn config_keys(&self) -> Vec<String> {
        let meta_config = &self.descriptor().meta["config"];
        match meta_config {
            Value::Array(keys) => keys
                .iter()
                .filter_map(|k| k.as_str().map(str::to_owned))
                .collect(),
            Value::Object(action) => action
                .get("params")
                .and_then(Value::as_object)
                .map(|params| params.keys().cloned().collect())
                .unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}

/// Meta keys every reference module carries: text ones, then list ones. MISP and other
/// clients read them without checking that they exist.
const TEXT_META_KEYS: &[&str] = &["features", "input", "output", "logo"];
const LIST_META_KEYS: &[&str] = &["references", "requirements"];

/// Builds a descriptor from JSON literals; used by every built-in module. Meta keys the
/// module leaves out get their empty value, so every descriptor has the reference's keys.
pub fn descriptor(
    name: &str,
    module_type: ModuleType,
    mispattributes: Value,
    mut meta: Value,
) -> ModuleDescriptor {
    if let Value::Object(map) = &mut meta {
        let empties = TEXT_META_KEYS
            .iter()
            .map(|key| (key, Value::String(String::new())))
            .chain(
                LIST_META_KEYS
                    .iter()
                    .map(|key| (key, Value::Array(Vec::new()))),
            );
        for (key, empty) in empties {
            let entry = map.entry(*key).or_insert(Value::Null);
            if entry.is_null() {
                *entry = empty;
            }
        }
    }
    ModuleDescriptor {
        name: name.to_owned(),
        module_type,
        mispattributes,
        meta,
    }
}

#[cfg(test)]
mod descriptor_tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn missing_meta_keys_get_empty_values_of_their_type() {
        let d = descriptor(
            "x",
            ModuleType::Expansion,
            json!({}),
            json!({"description": "d", "logo": null, "references": ["https://example.org"]}),
        );
        assert_eq!(d.meta["features"], "");
        assert_eq!(d.meta["logo"], "");
        assert_eq!(d.meta["requirements"], json!([]));
        assert_eq!(d.meta["references"], json!(["https://example.org"]));
        assert_eq!(d.meta["description"], "d");
    }
}

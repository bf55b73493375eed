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

/// Builds a descriptor from JSON literals; used by every built-in module.
pub fn descriptor(
    name: &str,
    module_type: ModuleType,
    mispattributes: Value,
    meta: Value,
) -> ModuleDescriptor {
    ModuleDescriptor {
        name: name.to_owned(),
        module_type,
        mispattributes,
        meta,
    }
}

//! The modules compiled into the binary, grouped by type.

mod action;
mod eql_query;
mod expansion;
mod export;
mod external_tools;
mod goaml;
mod import;
mod yara_check;
mod yara_constants;
mod yara_regex;
mod yara_rule_sets;
mod yara_source;
mod yara_strings;

use std::sync::Arc;

use crate::engine::{Module, Registry};

/// Every built-in module, in listing order: action, import, export, expansion, as the
/// reference happened to list them.
pub fn all() -> Vec<Arc<dyn Module>> {
    let mut modules = action::all();
    modules.extend(import::all());
    modules.extend(export::all());
    modules.extend(expansion::all());
    modules
}

/// A registry holding every built-in module.
pub fn registry() -> Registry {
    let mut registry = Registry::new();
    for module in all() {
        registry.register(module);
    }
    registry
}

#[cfg(test)]
pub(crate) mod testing {
    use serde_json::Value;

    use crate::engine::{Module, ModuleError, QueryRequest};

    /// Runs `module` on a JSON body, as the engine would.
    pub async fn query(module: &dyn Module, body: Value) -> Result<Value, ModuleError> {
        let map = body.as_object().cloned().expect("test bodies are objects");
        module.query(QueryRequest::new(map)).await
    }

    /// The file an export module answered, decoded from its base64 `data`.
    pub fn decoded_data(answer: &Value) -> String {
        use base64::Engine as _;
        let data = answer["data"].as_str().expect("export answers carry data");
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .expect("data is base64");
        String::from_utf8(bytes).expect("exported file is UTF-8")
    }

    /// `(object_relation, value)` of each attribute of a MISP object in an answer.
    pub fn object_relations(object: &Value) -> Vec<(String, String)> {
        let attributes = object["Attribute"]
            .as_array()
            .expect("objects have attributes");
        attributes
            .iter()
            .map(|a| {
                let text = |key: &str| a[key].as_str().expect("text field").to_owned();
                (text("object_relation"), text("value"))
            })
            .collect()
    }

    /// Owned pairs, to compare with [`object_relations`].
    pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    /// The message of a reported error, or a panic with what came instead.
    pub fn reported(result: Result<Value, ModuleError>) -> String {
        match result {
            Err(ModuleError::Reported(message)) => message,
            other => panic!("expected a reported error, got {other:?}"),
        }
    }
}

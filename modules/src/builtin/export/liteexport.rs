//! `liteexport`: a minimal JSON copy of an event: its `info` and the category, type and
//! value of each attribute, without internal references.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::export_answer;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::pycompat::{python_int, python_json_dumps};

pub struct LiteExport(ModuleDescriptor);

impl LiteExport {
    pub fn new() -> Self {
        Self(descriptor(
            "liteexport",
            ModuleType::Export,
            json!({"responseType": "application/json", "outputFileExtension": "json"}),
            json!({
                "version": "1",
                "author": "misp-modules-stack",
                "description": "Exports an event as a small JSON document: its title and the category, type and value of each attribute that is not an internal reference.",
                "module-type": ["export"],
                "name": "Lite Export",
                "config": ["indent_json_export"],
                "input": "An event in the envelope layout ({\"Event\": {...}, \"Attribute\": [...]}).",
                "output": "A JSON file; indent_json_export sets its indentation."
            }),
        ))
    }
}

fn field<'a>(
    object: &'a Map<String, Value>,
    key: &str,
    what: &str,
) -> Result<&'a Value, ModuleError> {
    object
        .get(key)
        .ok_or_else(|| ModuleError::internal(format!("liteexport: {what} has no {key}")))
}

#[async_trait]
impl Module for LiteExport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        // Compatibility: a config object without the key fails, an absent config means
        // "no indentation", and a value that is no integer also means no indentation.
        let indent = match request.get("config") {
            None => None,
            Some(Value::Object(config)) => match field(config, "indent_json_export", "config")? {
                Value::Null => None,
                value => python_int(value),
            },
            Some(_) => return Err(ModuleError::internal("liteexport: config is not an object")),
        };
        let Some(data) = request.get("data") else {
            return Ok(Value::Bool(false));
        };
        let events = data
            .as_array()
            .ok_or_else(|| ModuleError::internal("liteexport: data is not a list"))?;
        let mut lite = Map::new();
        // The reference rebuilds the event for each input event, so the last one wins.
        for envelope in events {
            let envelope = envelope
                .as_object()
                .ok_or_else(|| ModuleError::internal("liteexport: event is not an object"))?;
            let meta = field(envelope, "Event", "envelope")?
                .as_object()
                .ok_or_else(|| ModuleError::internal("liteexport: Event is not an object"))?;
            let attributes = field(envelope, "Attribute", "envelope")?
                .as_array()
                .ok_or_else(|| ModuleError::internal("liteexport: Attribute is not a list"))?;
            let mut kept = Vec::new();
            for attribute in attributes.iter().filter_map(Value::as_object) {
                let category = field(attribute, "category", "attribute")?;
                if category
                    .as_str()
                    .is_some_and(|c| c.contains("Internal reference"))
                {
                    continue;
                }
                kept.push(json!({
                    "category": category,
                    "type": field(attribute, "type", "attribute")?,
                    "value": field(attribute, "value", "attribute")?,
                }));
            }
            lite = Map::new();
            lite.insert("info".into(), field(meta, "info", "Event")?.clone());
            lite.insert("Attribute".into(), Value::Array(kept));
        }
        let document = json!({"Event": lite});
        Ok(export_answer(&python_json_dumps(&document, indent)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{decoded_data, query};

    fn event() -> Value {
        json!({"Event": {"info": "Événement"}, "Attribute": [
            {"category": "Network activity", "type": "ip-dst", "value": "192.0.2.1", "to_ids": false},
            {"category": "Internal reference", "type": "text", "value": "ticket"}
        ]})
    }

    #[tokio::test]
    async fn drops_internal_references_and_escapes_like_python() {
        let answer = query(&LiteExport::new(), json!({"data": [event()]}))
            .await
            .unwrap();
        assert_eq!(
            decoded_data(&answer),
            "{\"Event\": {\"info\": \"\\u00c9v\\u00e9nement\", \"Attribute\": [{\"category\": \"Network activity\", \"type\": \"ip-dst\", \"value\": \"192.0.2.1\"}]}}"
        );
    }

    #[tokio::test]
    async fn indents_when_asked() {
        let answer = query(
            &LiteExport::new(),
            json!({"data": [event()], "config": {"indent_json_export": "1"}}),
        )
        .await
        .unwrap();
        assert!(decoded_data(&answer).starts_with("{\n \"Event\": {\n  \"info\""));
    }

    #[tokio::test]
    async fn compatibility_edges() {
        let module = LiteExport::new();
        assert_eq!(query(&module, json!({})).await.unwrap(), json!(false));
        let without_key = json!({"data": [event()], "config": {}});
        assert!(matches!(
            query(&module, without_key).await,
            Err(ModuleError::Internal(_))
        ));
        let nested = json!({"data": [{"Event": {"info": "x", "Attribute": []}}]});
        assert!(matches!(
            query(&module, nested).await,
            Err(ModuleError::Internal(_))
        ));
    }
}

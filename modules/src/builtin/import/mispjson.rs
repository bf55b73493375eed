//! `mispjson`: copies the attributes of a MISP JSON event file (`{"response": [{"Event":
//! ...}]}`) into the legacy import answer.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

pub struct MispJson(ModuleDescriptor);

impl MispJson {
    pub fn new() -> Self {
        Self(descriptor(
            "mispjson",
            ModuleType::Import,
            json!({"userConfig": {}, "inputSource": ["file"]}),
            json!({
                "version": "0.1",
                "author": "misp-modules-stack",
                "description": "Imports the attributes of a MISP JSON event export.",
                "module-type": ["import"],
                "name": "MISP JSON Import",
                "config": [],
                "input": "A MISP JSON file as exported by MISP's REST API ({\"response\": [{\"Event\": ...}]}).",
                "output": "The event's attributes with their category, type, to_ids flag and comment."
            }),
        ))
    }
}

/// The attributes of the first event, as far as they can be read. Like the reference, an
/// unreadable file gives an empty list and a malformed attribute ends the list there.
fn read_attributes(request: &QueryRequest) -> Vec<Value> {
    let Some(Ok(bytes)) = request.import_data() else {
        return Vec::new();
    };
    let Ok(document) = serde_json::from_slice::<Value>(&bytes) else {
        return Vec::new();
    };
    let Some(attributes) = document["response"][0]["Event"]["Attribute"].as_array() else {
        return Vec::new();
    };
    let mut results = Vec::new();
    for attribute in attributes {
        let Some(attribute) = attribute.as_object() else {
            break;
        };
        match convert(attribute) {
            Some(entry) => results.push(entry),
            None => break,
        }
    }
    results
}

fn convert(attribute: &Map<String, Value>) -> Option<Value> {
    let mut entry = Map::new();
    for (from, to) in [
        ("value", "values"),
        ("category", "categories"),
        ("type", "types"),
        ("to_ids", "to_ids"),
        ("comment", "comment"),
    ] {
        entry.insert(to.to_owned(), attribute.get(from)?.clone());
    }
    if let Some(data) = attribute.get("data").filter(|d| is_truthy(d)) {
        entry.insert("data".to_owned(), data.clone());
    }
    Some(Value::Object(entry))
}

fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
        Value::Number(n) => n.as_f64() != Some(0.0),
    }
}

#[async_trait]
impl Module for MispJson {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        Ok(json!({"results": read_attributes(&request)}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::query;
    use base64::Engine as _;

    fn encoded(document: Value) -> String {
        base64::engine::general_purpose::STANDARD.encode(document.to_string())
    }

    #[tokio::test]
    async fn copies_attributes_and_keeps_data() {
        let file = json!({"response": [{"Event": {"Attribute": [
            {"type": "ip-dst", "category": "Network activity", "value": "192.0.2.1", "to_ids": true, "comment": "c1"},
            {"type": "malware-sample", "category": "Payload delivery", "value": "a.exe|d41d8cd98f00b204e9800998ecf8427e", "to_ids": true, "comment": "", "data": "UEsD"}
        ]}}]});
        let answer = query(&MispJson::new(), json!({"data": encoded(file)}))
            .await
            .unwrap();
        assert_eq!(
            answer["results"][0],
            json!({"values": "192.0.2.1", "categories": "Network activity", "types": "ip-dst", "to_ids": true, "comment": "c1"})
        );
        assert_eq!(answer["results"][1]["data"], "UEsD");
    }

    #[tokio::test]
    async fn stops_at_a_malformed_attribute_and_tolerates_garbage() {
        let file = json!({"response": [{"Event": {"Attribute": [
            {"type": "domain", "category": "Network activity", "value": "a.example", "to_ids": false, "comment": ""},
            {"type": "domain", "value": "no-category.example"}
        ]}}]});
        let answer = query(&MispJson::new(), json!({"data": encoded(file)}))
            .await
            .unwrap();
        assert_eq!(answer["results"].as_array().unwrap().len(), 1);
        let garbage = query(&MispJson::new(), json!({"data": "bm90IGpzb24gYXQgYWxs"}))
            .await
            .unwrap();
        assert_eq!(garbage, json!({"results": []}));
    }
}

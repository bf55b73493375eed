//! `testimport`: the import test module. Whatever it is given, it answers one fixed
//! attribute, so an operator can check the import path end to end.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

pub struct TestImport(ModuleDescriptor);

impl TestImport {
    pub fn new() -> Self {
        Self(descriptor(
            "testimport",
            ModuleType::Import,
            json!({
                "userConfig": {
                    "number1": {"type": "Integer", "regex": "/^[0-4]$/i", "errorMessage": "Expected a number in range [0-4]", "message": "Column number used for value"},
                    "some_string": {"type": "String", "message": "A text field"},
                    "boolean_field": {"type": "Boolean", "message": "Boolean field test"},
                    "comment": {"type": "Integer", "message": "Column number used for comment"}
                },
                "inputSource": ["file", "paste"]
            }),
            json!({
                "version": "0.2",
                "author": "misp-modules-stack",
                "description": "Test import: answers one fixed IP attribute for any input, to check the import path.",
                "module-type": ["import"],
                "name": "CSV Test Import",
                "config": []
            }),
        ))
    }
}

#[async_trait]
impl Module for TestImport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, _request: QueryRequest) -> Result<Value, ModuleError> {
        Ok(json!({"results": [{
            "values": ["192.168.56.1"],
            "types": ["ip-src"],
            "categories": ["Network activity"]
        }]}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::query;

    #[tokio::test]
    async fn answers_the_fixed_attribute() {
        let answer = query(
            &TestImport::new(),
            json!({"data": "YW55dGhpbmc=", "config": {}}),
        )
        .await
        .unwrap();
        assert_eq!(answer["results"][0]["values"], json!(["192.168.56.1"]));
        assert_eq!(answer["results"][0]["types"], json!(["ip-src"]));
    }
}

//! `testexport`: the export test module; it accepts an event and answers an empty file.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

pub struct TestExport(ModuleDescriptor);

impl TestExport {
    pub fn new() -> Self {
        Self(descriptor(
            "testexport",
            ModuleType::Export,
            json!({
                "responseType": "application/txt",
                "userConfig": {},
                "outputFileExtension": "txt",
                "inputSource": ["event"]
            }),
            json!({
                "version": "0.1",
                "author": "misp-modules-stack",
                "description": "Test export: accepts an event and produces an empty file, to check the export path.",
                "name": "Test Export",
                "module-type": ["export"],
                "config": []
            }),
        ))
    }
}

#[async_trait]
impl Module for TestExport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, _request: QueryRequest) -> Result<Value, ModuleError> {
        Ok(json!({"data": ""}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::query;

    #[tokio::test]
    async fn answers_an_empty_file() {
        let answer = query(
            &TestExport::new(),
            json!({"data": [{"Event": {"info": "x"}}]}),
        )
        .await
        .unwrap();
        assert_eq!(answer, json!({"data": ""}));
    }
}

//! `testaction`: the workflow test module. It accepts any action request and reports success.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

pub struct TestAction(ModuleDescriptor);

impl TestAction {
    pub fn new() -> Self {
        let config = json!({
            "params": {
                "foo": {"type": "string", "description": "Free text echoed by nothing; exists to show a parameter", "value": "xyz"},
                "Data extraction path": {"type": "hash_path", "description": "Where in the event data to look", "value": "Attribute.{n}.AttributeTag.{n}.Tag.name"}
            },
            "blocking": false,
            "support_filters": false,
            "expect_misp_core_format": false
        });
        Self(descriptor(
            "testaction",
            ModuleType::Action,
            json!({"config": config}),
            json!({
                "version": "0.1",
                "author": "misp-modules-stack",
                "description": "Checks that MISP workflows can reach the module service; always answers success.",
                "module-type": ["action"],
                "name": "Test action",
                "config": config
            }),
        ))
    }
}

#[async_trait]
impl Module for TestAction {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, _request: QueryRequest) -> Result<Value, ModuleError> {
        Ok(json!({"data": true}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::query;

    #[tokio::test]
    async fn answers_success_and_lists_its_params() {
        let module = TestAction::new();
        let answer = query(
            &module,
            json!({"module": "testaction", "params": {"foo": "bar"}, "data": {}}),
        )
        .await;
        assert_eq!(answer.unwrap(), json!({"data": true}));
        assert_eq!(module.config_keys(), vec!["foo", "Data extraction path"]);
    }
}

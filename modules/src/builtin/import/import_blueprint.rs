//! `import_blueprint`: the skeleton import module. It reads the upload and answers an
//! empty MISP event, so a new import can be wired and tested end to end.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::imported_text;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::misp::new_uuid;

pub struct ImportBlueprint(ModuleDescriptor);

impl ImportBlueprint {
    pub fn new() -> Self {
        Self(descriptor(
            "import_blueprint",
            ModuleType::Import,
            json!({
                "inputSource": ["file", "paste"],
                "output": ["MISP Format"],
                "format": "misp_standard",
                "userConfig": {
                    "number1": {"type": "Integer", "regex": "/^[0-4]$/i", "errorMessage": "Expected a number in range [0-4]", "message": "Column number used for value"},
                    "some_string": {"type": "String", "message": "A text field"},
                    "boolean_field": {"type": "Boolean", "message": "Boolean field test"},
                    "comment": {"type": "Integer", "message": "Column number used for comment"}
                }
            }),
            json!({
                "version": "0.1",
                "author": "misp-modules-stack",
                "description": "Skeleton import module: accepts any text and answers an empty event, as a starting point for new imports.",
                "module-type": ["import"],
                "name": "Import Blueprint",
                "config": [],
                "features": "Shows every kind of user setting an import form can offer.",
                "input": "Any UTF-8 text.",
                "output": "An empty MISP event."
            }),
        ))
    }
}

#[async_trait]
impl Module for ImportBlueprint {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        imported_text(&request)?;
        Ok(json!({"results": {"uuid": new_uuid()}}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{query, reported};

    /// The whole answer is the reference's empty event: `{"results": {"uuid": <uuid4>}}`,
    /// nothing more, and the uuid a fresh version-4 one in its hyphenated lower-case form.
    fn assert_empty_event(answer: &Value) {
        let uuid = answer["results"]["uuid"].as_str().unwrap_or_default();
        assert_eq!(*answer, json!({"results": {"uuid": uuid}}));
        let parsed = uuid::Uuid::parse_str(uuid).unwrap();
        assert_eq!(parsed.get_version_num(), 4);
        assert_eq!(parsed.hyphenated().to_string(), uuid);
    }

    #[tokio::test]
    async fn answers_an_empty_event() {
        let module = ImportBlueprint::new();
        let answer = query(&module, json!({"data": "YW55dGhpbmc=", "config": {}}))
            .await
            .unwrap();
        assert_empty_event(&answer);
        let again = query(&module, json!({"data": "YW55dGhpbmc=", "config": {}}))
            .await
            .unwrap();
        assert_ne!(answer["results"]["uuid"], again["results"]["uuid"]);
        assert_eq!(
            reported(query(&module, json!({"config": {}})).await),
            "The \"data\" field with the uploaded file is missing"
        );
    }

    /// Python's b64decode skips characters outside the alphabet: "@@@" is no data, and the
    /// reference answers its empty event.
    #[tokio::test]
    async fn characters_outside_the_base64_alphabet_are_skipped() {
        let module = ImportBlueprint::new();
        let answer = query(&module, json!({"data": "@@@", "config": {}}))
            .await
            .unwrap();
        assert_empty_event(&answer);
    }
}

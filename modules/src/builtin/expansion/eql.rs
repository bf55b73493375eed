//! `eql`: an Endgame EQL query that searches for one IP address or file name.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use crate::builtin::eql_query::{EQL_TYPES, single_query};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

pub struct Eql(ModuleDescriptor);

impl Eql {
    pub fn new() -> Self {
        Self(descriptor(
            "eql",
            ModuleType::Expansion,
            json!({"input": EQL_TYPES}),
            json!({
                "version": "0.1",
                "author": "misp-modules-stack",
                "description": "Writes an Endgame EQL query that looks for a source or destination IP address or a file name.",
                "module-type": ["expansion"],
                "name": "EQL Query Generator",
                "input": "An ip-src, ip-dst or filename attribute.",
                "output": "A comment attribute holding the EQL query."
            }),
        ))
    }
}

/// The value of an input key, if it is one the reference would take (present and truthy).
fn input_text(value: &Value) -> Option<String> {
    match value {
        Value::String(text) if !text.is_empty() => Some(text.clone()),
        Value::Number(number) if number.as_f64().is_some_and(|n| n != 0.0) => {
            Some(number.to_string())
        }
        _ => None,
    }
}

#[async_trait]
impl Module for Eql {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        // With several inputs the reference keeps the last type of its list that is set.
        let (attribute_type, value) = EQL_TYPES
            .iter()
            .rev()
            .find_map(|key| {
                request
                    .get(key)
                    .and_then(input_text)
                    .map(|value| (*key, value))
            })
            // The reference fails here without a message of its own; its generic error is
            // what clients have seen for unsupported types.
            .ok_or_else(|| ModuleError::internal("eql: no ip-src, ip-dst or filename input"))?;
        let query = single_query(attribute_type, &value)
            .ok_or_else(|| ModuleError::internal("eql: type without an EQL field"))?;
        Ok(json!({"results": [{
            "types": ["comment"],
            "categories": ["External analysis"],
            "values": query,
            "comment": "Event EQL queries"
        }]}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::query;

    #[tokio::test]
    async fn builds_the_query_of_the_last_supported_input() {
        let answer = query(
            &Eql::new(),
            json!({"module": "eql", "ip-src": "192.0.2.1", "filename": "evil.exe"}),
        )
        .await
        .unwrap();
        assert_eq!(
            answer,
            json!({"results": [{
                "types": ["comment"],
                "categories": ["External analysis"],
                "values": "file where file_name == \"evil.exe\"",
                "comment": "Event EQL queries"
            }]})
        );
        let answer = query(
            &Eql::new(),
            json!({"ip-dst": "2001:db8::1", "filename": ""}),
        )
        .await
        .unwrap();
        assert_eq!(
            answer["results"][0]["values"],
            "network where destination_address == \"2001:db8::1\""
        );
    }

    #[tokio::test]
    async fn unsupported_input_is_the_generic_failure() {
        let result = query(&Eql::new(), json!({"domain": "example.com"})).await;
        assert!(matches!(result, Err(ModuleError::Internal(_))));
    }
}

//! `stix2_pattern_syntax_validator`: checks a STIX 2 pattern against the patterning grammar.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use crate::engine::{Module, ModuleError, QueryRequest, descriptor, legacy_scalar_results};
use crate::parse::stix2_pattern::check_pattern;

pub struct Stix2PatternSyntaxValidator(ModuleDescriptor);

impl Stix2PatternSyntaxValidator {
    pub fn new() -> Self {
        Self(descriptor(
            "stix2_pattern_syntax_validator",
            ModuleType::Expansion,
            json!({"input": ["stix2-pattern"], "output": ["text"]}),
            json!({
                "version": "0.1",
                "author": "misp-modules-stack",
                "description": "Checks that a STIX 2 pattern is syntactically valid.",
                "module-type": ["hover"],
                "name": "STIX2 Pattern Syntax Validator",
                "config": [],
                "input": "A stix2-pattern attribute.",
                "output": "\"Syntax valid\", or the syntax error and where it is."
            }),
        ))
    }
}

#[async_trait]
impl Module for Stix2PatternSyntaxValidator {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let pattern = request
            .str_field("stix2-pattern")
            .filter(|p| !p.is_empty())
            .ok_or_else(|| ModuleError::reported("STIX2 pattern missing"))?;
        let summary = match check_pattern(pattern) {
            Ok(()) => "Syntax valid".to_owned(),
            Err(problems) => {
                let plural = if problems.len() > 1 { "s" } else { "" };
                let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
                format!("Syntax error{plural}: \n{}", lines.join("\n"))
            }
        };
        Ok(legacy_scalar_results(&["text"], summary))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{query, reported};

    #[tokio::test]
    async fn valid_invalid_and_missing() {
        let module = Stix2PatternSyntaxValidator::new();
        let valid = query(
            &module,
            json!({"stix2-pattern": "[ipv4-addr:value = '8.8.8.8']"}),
        )
        .await
        .unwrap();
        assert_eq!(
            valid,
            json!({"results": [{"types": ["text"], "values": "Syntax valid"}]})
        );
        let invalid = query(&module, json!({"stix2-pattern": "[foo]"}))
            .await
            .unwrap();
        let text = invalid["results"][0]["values"].as_str().unwrap();
        assert!(
            text.starts_with("Syntax error: \nError found at line 1:"),
            "{text}"
        );
        let hashes = query(
            &module,
            json!({"stix2-pattern": "[file:hashes.MD5 = 'x' OR file:hashes.SHA1 = 'y']"}),
        )
        .await
        .unwrap();
        assert_eq!(
            hashes["results"][0]["values"],
            "Syntax errors: \n'x' is not a valid MD5 hash\n'y' is not a valid SHA1 hash"
        );
        assert_eq!(
            reported(query(&module, json!({})).await),
            "STIX2 pattern missing"
        );
    }
}

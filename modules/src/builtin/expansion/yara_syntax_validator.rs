//! `yara_syntax_validator`: checks that a YARA rule parses.
//!
//! The parser is YARA-X's. Identifiers are not resolved, so a rule that uses a module it
//! does not import (`pe.is_pe`) or an external variable is accepted, as the reference
//! accepts it after adding the imports and externals itself.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use crate::builtin::yara_check::{YaraProblem, check_yara};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor, legacy_scalar_results};

pub struct YaraSyntaxValidator(ModuleDescriptor);

impl YaraSyntaxValidator {
    pub fn new() -> Self {
        Self(descriptor(
            "yara_syntax_validator",
            ModuleType::Expansion,
            json!({"input": ["yara"], "output": ["text"]}),
            json!({
                "version": "0.2",
                "author": "misp-modules-stack",
                "description": "Checks that a YARA rule is syntactically valid.",
                "module-type": ["hover"],
                "name": "YARA Syntax Validator",
                "config": [],
                "input": "A yara attribute.",
                "output": "\"Syntax valid\", or the first syntax error with its line."
            }),
        ))
    }
}

#[async_trait]
impl Module for YaraSyntaxValidator {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let rule = request
            .str_field("yara")
            .filter(|r| !r.is_empty())
            .ok_or_else(|| ModuleError::reported("Yara rule missing"))?;
        let summary = match check_yara(rule) {
            // A source without rules compiles to an empty rule set in YARA too.
            Ok(()) | Err(YaraProblem::NoRule) => "Syntax valid".to_owned(),
            Err(YaraProblem::Syntax(detail)) => format!("Syntax error: {detail}"),
        };
        Ok(legacy_scalar_results(&["text"], summary))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{query, reported};

    async fn summary(rule: &str) -> String {
        let answer = query(&YaraSyntaxValidator::new(), json!({"yara": rule}))
            .await
            .unwrap();
        answer["results"][0]["values"].as_str().unwrap().to_owned()
    }

    #[tokio::test]
    async fn valid_rules_including_undeclared_modules() {
        assert_eq!(
            summary("rule R { condition: pe.is_pe and filename == \"x\" }").await,
            "Syntax valid"
        );
        assert_eq!(
            summary("import \"pe\"\nrule A : tag { meta: a = 1 strings: $a = \"x\" nocase $h = { E2 34 ?? C8 } condition: any of them }").await,
            "Syntax valid"
        );
    }

    #[tokio::test]
    async fn syntax_errors_name_the_line() {
        let text = summary("rule A {\n  strings: $a = \"x\"\n  condition: $a and\n}").await;
        assert!(text.starts_with("Syntax error: line 4:"), "{text}");
        assert!(summary("rule {").await.starts_with("Syntax error: line 1:"));
        assert_eq!(summary("// only a comment").await, "Syntax valid");
        assert_eq!(summary("   ").await, "Syntax valid");
    }

    #[tokio::test]
    async fn missing_rule() {
        assert_eq!(
            reported(query(&YaraSyntaxValidator::new(), json!({"yara": ""})).await),
            "Yara rule missing"
        );
    }
}

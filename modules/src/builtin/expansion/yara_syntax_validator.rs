//! `yara_syntax_validator`: checks that a YARA rule parses.
//!
//! The parser is YARA-X's. Identifiers are not resolved, so a rule that uses a module it
//! does not import (`pe.is_pe`) or an external variable is accepted, as the reference
//! accepts it after adding the imports and externals itself.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};
use yara_x_parser::ast::{AST, Error as ParseError};

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

/// `line N: message` for the first error, in the reference's wording style.
fn describe(source: &str, error: &ParseError) -> String {
    let (message, offset) = match error {
        ParseError::SyntaxError { message, span }
        | ParseError::InvalidInteger { message, span }
        | ParseError::InvalidFloat { message, span }
        | ParseError::InvalidRegexpModifier { message, span }
        | ParseError::InvalidEscapeSequence { message, span } => (message.clone(), span.start()),
        ParseError::InvalidUTF8(span) => ("invalid UTF-8".to_owned(), span.start()),
        ParseError::UnexpectedEscapeSequence(span) => {
            ("unexpected escape sequence".to_owned(), span.start())
        }
    };
    let line = source
        .get(..offset)
        .map_or(1, |before| before.matches('\n').count() + 1);
    format!("line {line}: {message}")
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
        let ast = AST::from(rule);
        let summary = match ast.errors().first() {
            None if ast.rules().next().is_none() => "Syntax error: no rule found".to_owned(),
            None => "Syntax valid".to_owned(),
            Some(error) => format!("Syntax error: {}", describe(rule, error)),
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
        assert_eq!(
            summary("// only a comment").await,
            "Syntax error: no rule found"
        );
    }

    #[tokio::test]
    async fn missing_rule() {
        assert_eq!(
            reported(query(&YaraSyntaxValidator::new(), json!({"yara": ""})).await),
            "Yara rule missing"
        );
    }
}

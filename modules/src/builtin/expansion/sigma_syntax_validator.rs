//! `sigma_syntax_validator`: reads a Sigma rule and reports either the detection values
//! it found or why it cannot be read.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::sigma::rule::parse_rule;
use super::sigma::yaml::load_one;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor, legacy_scalar_results};

pub struct SigmaSyntaxValidator(ModuleDescriptor);

impl SigmaSyntaxValidator {
    pub fn new() -> Self {
        Self(descriptor(
            "sigma_syntax_validator",
            ModuleType::Expansion,
            json!({"input": ["sigma"], "output": ["text"]}),
            json!({
                "version": "0.1",
                "author": "misp-modules-stack",
                "description": "Checks that a Sigma rule can be read: its detection definitions, value modifiers and condition.",
                "module-type": ["expansion", "hover"],
                "name": "Sigma Syntax Validator",
                "config": [],
                "input": "A Sigma attribute.",
                "output": "\"Syntax valid\" with the detection values per field, or the reason the rule cannot be read."
            }),
        ))
    }
}

/// Python's repr of the `{field: {values}}` table the reference prints.
fn describe(values: &[(super::sigma::yaml::Node, Vec<String>)]) -> String {
    let entries: Vec<String> = values
        .iter()
        .map(|(key, seen)| {
            let set: Vec<String> = seen
                .iter()
                .map(|v| crate::pycompat::python_repr_str(v))
                .collect();
            format!("{}: {{{}}}", key.py_repr(), set.join(", "))
        })
        .collect();
    format!("{{{}}}", entries.join(", "))
}

pub fn check(rule: &str) -> String {
    match load_one(rule).and_then(parse_rule) {
        Ok((_, values)) => format!("Syntax valid: {}", describe(&values)),
        Err(e) => format!("Syntax error: {e}"),
    }
}

#[async_trait]
impl Module for SigmaSyntaxValidator {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let rule = request
            .str_field("sigma")
            .filter(|r| !r.is_empty())
            .ok_or_else(|| ModuleError::reported("Sigma rule missing"))?;
        Ok(legacy_scalar_results(&["text"], check(rule)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{query, reported};

    const CASES: &str = include_str!("sigma/testdata/reference_cases.json");

    #[test]
    fn summaries_match_the_reference() {
        let cases: Vec<Value> = serde_json::from_str(CASES).unwrap();
        for case in cases {
            if let Some(expected) = case["validator"].as_str() {
                assert_eq!(
                    check(case["rule"].as_str().unwrap()),
                    expected,
                    "{}",
                    case["name"]
                );
            }
        }
    }

    #[test]
    fn reference_error_texts_for_malformed_rules() {
        assert_eq!(
            check("just text"),
            "Syntax error: string indices must be integers, not 'str'"
        );
        assert_eq!(
            check("title: x\n"),
            "Syntax error: No detection definitions found"
        );
        assert_eq!(
            check("detection: [a]\n"),
            "Syntax error: 'list' object has no attribute 'items'"
        );
        assert_eq!(
            check("detection:\n  s: {a|contains: 5}\n  condition: s\n"),
            "Syntax error: "
        );
        assert_eq!(
            check("detection:\n  s: 5m\n  condition: s\n"),
            "Syntax error: Expected map or list, got type <class 'str'>: '5m'"
        );
        assert_eq!(
            check("detection:\n  s: {a: 1}\n  condition: (s\n"),
            "Syntax error: Missing matching closing parentheses"
        );
        assert!(check("a: [1,").starts_with("Syntax error: "));
    }

    #[tokio::test]
    async fn missing_rule() {
        assert_eq!(
            reported(query(&SigmaSyntaxValidator::new(), json!({"sigma": ""})).await),
            "Sigma rule missing"
        );
        let answer = query(
            &SigmaSyntaxValidator::new(),
            json!({"sigma": "detection:\n  s: {A: [1, x]}\n  condition: s\n"}),
        )
        .await
        .unwrap();
        assert_eq!(
            answer["results"][0]["values"],
            "Syntax valid: {'A': {\"[1, 'x']\"}}"
        );
    }
}

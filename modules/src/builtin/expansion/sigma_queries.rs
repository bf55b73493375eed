//! `sigma_queries`: converts a Sigma rule (or a multi-document collection) into the SIEM
//! queries the reference answers with: Elasticsearch DSL, Kibana and Splunk dashboard.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::sigma::backends;
use super::sigma::rule::parse_collection;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

pub struct SigmaQueries(ModuleDescriptor);

impl SigmaQueries {
    pub fn new() -> Self {
        Self(descriptor(
            "sigma_queries",
            ModuleType::Expansion,
            json!({"input": ["sigma"], "output": ["text"]}),
            json!({
                "version": "0.1",
                "author": "misp-modules-stack",
                "description": "Converts a Sigma rule into Elasticsearch DSL, Kibana saved-search and Splunk dashboard queries.",
                "module-type": ["expansion", "hover"],
                "name": "Sigma Rule Converter",
                "config": [],
                "input": "A Sigma attribute.",
                "output": "The rule converted for each target that can express it."
            }),
        ))
    }
}

pub fn convert(rule: &str) -> Result<Map<String, Value>, String> {
    let rules = parse_collection(rule)?;
    let mut out = Map::new();
    // Same order as the reference; a target that fails on the rule is left out.
    if let Ok(text) = backends::es_dsl(&rules) {
        out.insert("es-dsl".into(), Value::String(text.trim().to_owned()));
    }
    if let Ok(Some(text)) = backends::kibana(&rules) {
        out.insert("kibana".into(), Value::String(text.trim().to_owned()));
    }
    if let Ok(text) = backends::splunk_xml(&rules) {
        out.insert("splunkxml".into(), Value::String(text.trim().to_owned()));
    }
    Ok(out)
}

#[async_trait]
impl Module for SigmaQueries {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let rule = request
            .str_field("sigma")
            .filter(|r| !r.is_empty())
            .ok_or_else(|| ModuleError::reported("Sigma rule missing"))?;
        // The reference reads the rule outside its error handling: an unreadable rule
        // ends in the generic error.
        let values = convert(rule).map_err(ModuleError::internal)?;
        Ok(json!({"results": [{"types": ["text"], "values": values}]}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{query, reported};

    /// Rules run through misp-modules 3.1.1 with sigmatools 0.23.1; `queries` is its
    /// answer, null where it failed with the generic error.
    const CASES: &str = include_str!("sigma/testdata/reference_cases.json");

    #[test]
    fn conversions_match_the_reference() {
        let cases: Vec<Value> = serde_json::from_str(CASES).unwrap();
        assert!(cases.len() >= 15);
        for case in cases {
            let rule = case["rule"].as_str().unwrap();
            let got = convert(rule).ok().map(Value::Object);
            let expected = (!case["queries"].is_null()).then(|| case["queries"].clone());
            assert_eq!(got, expected, "{}", case["name"]);
        }
    }

    #[tokio::test]
    async fn answer_shape_and_errors() {
        let rule = "title: T\nlogsource: {product: windows}\ndetection:\n  sel: {EventID: 1}\n  condition: sel\n";
        let answer = query(&SigmaQueries::new(), json!({"sigma": rule}))
            .await
            .unwrap();
        assert_eq!(answer["results"][0]["types"], json!(["text"]));
        assert!(
            answer["results"][0]["values"]["splunkxml"]
                .as_str()
                .unwrap()
                .contains("<query>EventID=\"1\"</query>")
        );
        assert_eq!(
            reported(query(&SigmaQueries::new(), json!({"sigma": ""})).await),
            "Sigma rule missing"
        );
        let broken = query(
            &SigmaQueries::new(),
            json!({"sigma": "title: x\ndetection: {}\n"}),
        )
        .await;
        assert!(matches!(broken, Err(ModuleError::Internal(_))));
    }
}

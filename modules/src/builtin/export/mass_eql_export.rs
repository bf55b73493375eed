//! `mass_eql_export`: Endgame EQL queries covering every IP address and file name of the
//! events, one query per EQL event class.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::envelope::{envelopes, field};
use super::export_answer;
use crate::builtin::eql_query::{EqlQueries, eql_field};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

const NAME: &str = "mass_eql_export";

pub struct MassEqlExport(ModuleDescriptor);

impl MassEqlExport {
    pub fn new() -> Self {
        Self(descriptor(
            NAME,
            ModuleType::Export,
            json!({
                "responseType": "application/txt",
                "outputFileExtension": "txt",
                "userConfig": {},
                "inputSource": []
            }),
            json!({
                "version": "0.1",
                "author": "misp-modules-stack",
                "description": "Writes Endgame EQL queries that look for all source and destination IP addresses and file names of the events.",
                "module-type": ["export"],
                "name": "EQL Query Export",
                "input": "Events in the envelope layout; attributes inside objects are not exported.",
                "output": "A text file with a network query and a file query, as the events require."
            }),
        ))
    }
}

fn export(request: &QueryRequest) -> Result<String, ModuleError> {
    let mut queries = EqlQueries::default();
    for event in envelopes(request, NAME)? {
        for attribute in event.attributes() {
            let attribute_type = field(attribute, "type", NAME)?;
            if eql_field(&attribute_type).is_some() {
                queries.add(&attribute_type, &field(attribute, "value", NAME)?);
            }
        }
    }
    Ok(queries.render())
}

#[async_trait]
impl Module for MassEqlExport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        Ok(export_answer(&export(&request)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::query;
    use base64::Engine as _;

    #[tokio::test]
    async fn network_and_file_queries_are_separate() {
        let body = json!({"data": [
            {"Event": {}, "Attribute": [
                {"type": "filename", "value": "a.exe"},
                {"type": "ip-src", "value": "192.0.2.1"}
            ]},
            {"Event": {}, "Attribute": [
                {"type": "ip-dst", "value": "192.0.2.2"},
                {"type": "md5", "value": "44d88612fea8a8f36de82e1278abb02f"}
            ]}
        ]});
        let answer = query(&MassEqlExport::new(), body).await.unwrap();
        let text = base64::engine::general_purpose::STANDARD
            .decode(answer["data"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "file where\n\tfile_name == \"a.exe\"\nnetwork where\n\tsource_address == \"192.0.2.1\" or\n\tdestination_address == \"192.0.2.2\""
        );
    }

    #[tokio::test]
    async fn nested_events_are_failures() {
        let nested = json!({"data": [{"Event": {"Attribute": []}}]});
        assert!(matches!(
            query(&MassEqlExport::new(), nested).await,
            Err(ModuleError::Internal(_))
        ));
    }
}

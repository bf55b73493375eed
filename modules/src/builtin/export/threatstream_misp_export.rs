//! `threatStream_misp_export`: an Anomali ThreatStream import CSV (value, itype, tags) of
//! the event's domains, IP addresses, sender addresses, URLs and MD5 hashes.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::envelope::{crlf_csv, csv_cell, csv_field, envelopes, field};
use super::export_answer;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

const NAME: &str = "threatStream_misp_export";

pub struct ThreatStreamExport(ModuleDescriptor);

impl ThreatStreamExport {
    pub fn new() -> Self {
        Self(descriptor(
            NAME,
            ModuleType::Export,
            json!({
                "responseType": "application/txt",
                "outputFileExtension": "csv",
                "userConfig": {},
                "inputSource": []
            }),
            json!({
                "version": "1.0",
                "author": "misp-modules-stack",
                "description": "Writes the event's domains, IP addresses, sender e-mail addresses, URLs and MD5 hashes as a CSV file for ThreatStream imports.",
                "module-type": ["export"],
                "name": "ThreatStream Export",
                "config": [],
                "input": "Events in the envelope layout; attributes inside objects are not exported.",
                "output": "A CSV file with the columns value, itype and tags (the attribute comment)."
            }),
        ))
    }
}

/// The ThreatStream indicator type (itype) of a MISP attribute type.
fn itype(attribute_type: &str) -> Option<&'static str> {
    Some(match attribute_type {
        "domain" | "hostname" => "mal_domain",
        "ip-src" | "ip-dst" => "mal_ip",
        "email-src" => "phish_email",
        "url" => "mal_url",
        "md5" => "mal_md5",
        _ => return None,
    })
}

fn export(request: &QueryRequest) -> Result<String, ModuleError> {
    let mut records = vec![["value", "itype", "tags"].map(str::to_owned).to_vec()];
    for event in envelopes(request, NAME)? {
        for attribute in event.attributes() {
            let attribute_type = field(attribute, "type", NAME)?;
            let Some(itype) = itype(&attribute_type) else {
                continue;
            };
            let comment = attribute.get("comment").map(csv_cell).unwrap_or_default();
            let value = csv_field(attribute, "value", NAME)?;
            records.push(vec![value, itype.to_owned(), comment]);
        }
    }
    crlf_csv(&records)
}

#[async_trait]
impl Module for ThreatStreamExport {
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
    async fn writes_rows_for_supported_types() {
        let body = json!({"data": [{"Event": {}, "Attribute": [
            {"type": "hostname", "value": "c2.example.net", "comment": "beacon, daily"},
            {"type": "sha256", "value": "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f", "comment": ""},
            {"type": "email-src", "value": "phish@example.org", "comment": ""}
        ]}]});
        let answer = query(&ThreatStreamExport::new(), body).await.unwrap();
        let text = base64::engine::general_purpose::STANDARD
            .decode(answer["data"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "value,itype,tags\r\nc2.example.net,mal_domain,\"beacon, daily\"\r\nphish@example.org,phish_email,\r\n"
        );
    }

    #[tokio::test]
    async fn null_values_are_empty_fields() {
        let body = json!({"data": [{"Event": {}, "Attribute": [
            {"type": "ip-dst", "value": 12345, "comment": ""},
            {"type": "domain", "value": null, "comment": null},
            {"type": "port", "value": 80, "comment": ""}
        ]}]});
        let answer = query(&ThreatStreamExport::new(), body).await.unwrap();
        let text = base64::engine::general_purpose::STANDARD
            .decode(answer["data"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "value,itype,tags\r\n12345,mal_ip,\r\n,mal_domain,\r\n"
        );
    }

    #[tokio::test]
    async fn nested_events_are_failures() {
        let nested = json!({"data": [{"Event": {"Attribute": []}}]});
        assert!(matches!(
            query(&ThreatStreamExport::new(), nested).await,
            Err(ModuleError::Internal(_))
        ));
    }
}

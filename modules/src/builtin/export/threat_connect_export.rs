//! `threat_connect_export`: a ThreatConnect "Structured Import" CSV (Type, Value, Source,
//! Description) of the event's network, e-mail and MD5 indicators.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::envelope::{config_value, crlf_csv, csv_cell, csv_field, envelopes, field};
use super::export_answer;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

const NAME: &str = "threat_connect_export";

pub struct ThreatConnectExport(ModuleDescriptor);

impl ThreatConnectExport {
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
                "version": "0.1",
                "author": "misp-modules-stack",
                "description": "Writes the event's hosts, addresses, e-mail addresses, URLs and MD5 hashes as a CSV file for ThreatConnect's Structured Import.",
                "module-type": ["export"],
                "name": "ThreadConnect Export",
                "config": ["Default_Source"],
                "input": "Events in the envelope layout; attributes inside objects are not exported.",
                "output": "A CSV file with the columns Type, Value, Source (Default_Source) and Description (the attribute comment)."
            }),
        ))
    }
}

/// The ThreatConnect indicator type of each exported part of a MISP value: the index of
/// the part in a `a|b` value, and its type.
fn indicator_parts(attribute_type: &str) -> Option<&'static [(usize, &'static str)]> {
    Some(match attribute_type {
        "domain" | "hostname" => &[(0, "Host")],
        "domain|ip" => &[(0, "Host"), (1, "Address")],
        "ip-src" | "ip-dst" | "ip-src|port" | "ip-dst|port" => &[(0, "Address")],
        "whois-registrant-email" | "email-src" | "email-dst" => &[(0, "EmailAddress")],
        "url" => &[(0, "URL")],
        "md5" => &[(0, "File")],
        "filename|md5" => &[(1, "File")],
        _ => return None,
    })
}

fn export(request: &QueryRequest) -> Result<String, ModuleError> {
    // Python's csv writer: a null Default_Source is an empty column, like any null.
    let source = match request
        .get("config")
        .and_then(|config| config.get("Default_Source"))
    {
        Some(Value::Null) => String::new(),
        _ => config_value(request, "Default_Source", NAME)?,
    };
    let mut records = vec![
        ["Type", "Value", "Source", "Description"]
            .map(str::to_owned)
            .to_vec(),
    ];
    for event in envelopes(request, NAME)? {
        for attribute in event.attributes() {
            let attribute_type = field(attribute, "type", NAME)?;
            let Some(parts) = indicator_parts(&attribute_type) else {
                continue;
            };
            let value = csv_field(attribute, "value", NAME)?;
            let comment = attribute.get("comment").map(csv_cell).unwrap_or_default();
            let pieces: Vec<&str> = if attribute_type.contains('|') {
                value.split('|').collect()
            } else {
                vec![value.as_str()]
            };
            for (index, indicator_type) in parts {
                if let Some(piece) = pieces.get(*index) {
                    records.push(vec![
                        (*indicator_type).to_owned(),
                        (*piece).to_owned(),
                        source.clone(),
                        comment.clone(),
                    ]);
                }
            }
        }
    }
    crlf_csv(&records)
}

#[async_trait]
impl Module for ThreatConnectExport {
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

    async fn csv_text(body: Value) -> String {
        let answer = query(&ThreatConnectExport::new(), body).await.unwrap();
        assert_eq!(answer["response"], json!([]));
        let data = answer["data"].as_str().unwrap();
        String::from_utf8(
            base64::engine::general_purpose::STANDARD
                .decode(data)
                .unwrap(),
        )
        .unwrap()
    }

    #[tokio::test]
    async fn writes_structured_import_rows() {
        let body = json!({"data": [{"Event": {"info": "x"}, "Attribute": [
            {"type": "domain|ip", "value": "mx.example.org|192.0.2.25", "comment": "mail, relay"},
            {"type": "ip-dst|port", "value": "203.0.113.9|8443", "comment": ""},
            {"type": "filename|md5", "value": "a.exe|44d88612fea8a8f36de82e1278abb02f", "comment": "say \"hi\""},
            {"type": "sha1", "value": "3395856ce81f2b7382dee72602f798b642f14140", "comment": ""},
            {"type": "url", "value": "http://a.example/x\ny", "comment": ""}
        ]}], "config": {"Default_Source": "Research"}});
        assert_eq!(
            csv_text(body).await,
            "Type,Value,Source,Description\r\n\
             Host,mx.example.org,Research,\"mail, relay\"\r\n\
             Address,192.0.2.25,Research,\"mail, relay\"\r\n\
             Address,203.0.113.9,Research,\r\n\
             File,44d88612fea8a8f36de82e1278abb02f,Research,\"say \"\"hi\"\"\"\r\n\
             URL,\"http://a.example/x\ny\",Research,\r\n"
        );
    }

    #[tokio::test]
    async fn without_config_the_source_is_empty() {
        let body = json!({"data": [{"Event": {}, "Attribute": [{"type": "md5", "value": "aa", "comment": "c"}]}]});
        assert_eq!(
            csv_text(body).await,
            "Type,Value,Source,Description\r\nFile,aa,,c\r\n"
        );
    }

    #[tokio::test]
    async fn null_values_are_empty_fields() {
        let body = json!({"data": [{"Event": {}, "Attribute": [
            {"type": "ip-dst", "value": 12345, "comment": ""},
            {"type": "domain", "value": null, "comment": null},
            {"type": "port", "value": 80, "comment": ""}
        ]}]});
        assert_eq!(
            csv_text(body).await,
            "Type,Value,Source,Description\r\nAddress,12345,,\r\nHost,,,\r\n"
        );
    }

    #[tokio::test]
    async fn nested_events_and_incomplete_config_are_failures() {
        let module = ThreatConnectExport::new();
        let nested =
            json!({"data": [{"Event": {"Attribute": []}}], "config": {"Default_Source": "s"}});
        assert!(matches!(
            query(&module, nested).await,
            Err(ModuleError::Internal(_))
        ));
        let no_key = json!({"data": [], "config": {}});
        assert!(matches!(
            query(&module, no_key).await,
            Err(ModuleError::Internal(_))
        ));
    }
}

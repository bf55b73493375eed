//! `defender_endpoint_export`: Microsoft Defender for Endpoint advanced-hunting (KQL)
//! queries for the event's hashes, IP addresses, domains and URLs, over the configured
//! `Period` (a KQL timespan such as 7d).

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::envelope::{config_value, envelopes, field, one_line};
use super::export_answer;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

const NAME: &str = "defender_endpoint_export";

pub struct DefenderEndpointExport(ModuleDescriptor);

impl DefenderEndpointExport {
    pub fn new() -> Self {
        Self(descriptor(
            NAME,
            ModuleType::Export,
            json!({
                "responseType": "application/txt",
                "userConfig": {},
                "outputFileExtension": "kql",
                "inputSource": ["event"]
            }),
            json!({
                "version": "1.1",
                "author": "misp-modules-stack",
                "description": "Turns the event's hashes, IP addresses, domains and URLs, including those inside objects, into Defender for Endpoint KQL hunting queries.",
                "module-type": ["export"],
                "name": "Microsoft Defender for Endpoint KQL Export",
                "config": ["Period"],
                "input": "Events in the envelope layout.",
                "output": "One KQL query per line."
            }),
        ))
    }
}

const FILE_TABLES: &str = "DeviceEvents, DeviceAlertEvents, AlertInfo, AlertEvidence, DeviceFileEvents, DeviceImageLoadEvents, DeviceProcessEvents";
/// The reference's SHA-256 query lists the same tables with its own spacing.
const SHA256_TABLES: &str = "DeviceEvents, DeviceAlertEvents,AlertInfo, AlertEvidence,  DeviceFileEvents, DeviceImageLoadEvents, DeviceProcessEvents";
const NETWORK_TABLES: &str = "DeviceAlertEvents, AlertInfo, AlertEvidence, DeviceNetworkEvents";
const URL_TABLES: &str = "EmailUrlInfo,UrlClickEvents,DeviceNetworkEvents,DeviceFileEvents,DeviceEvents,BehaviorEntities, AlertInfo, AlertEvidence, DeviceAlertEvents";
/// Where the reference's multi-line templates were broken, flattened to spaces.
const GAP: &str = "         ";

/// A KQL single-quoted string body: a quote or backslash in a value must not end the
/// literal early (the reference inserts values raw, which breaks such queries).
fn kql_text(value: &str) -> String {
    value.replace('\\', "\\\\").replace('\'', "\\'")
}

fn kql(attribute_type: &str, value: &str, period: &str) -> Option<String> {
    let value = kql_text(value);
    let window = format!("Timestamp between(ago({period}) .. now())");
    let hash_query = |tables: &str, column: &str| {
        format!(
            "find in ({tables}){GAP}where ({column} == '{value}' or InitiatingProcess{column} == '{value}') and{GAP}{window}"
        )
    };
    Some(match attribute_type {
        "sha256" => hash_query(SHA256_TABLES, "SHA256"),
        "sha1" => hash_query(FILE_TABLES, "SHA1"),
        "md5" => hash_query(FILE_TABLES, "MD5"),
        "ip-src" | "ip-dst" => {
            format!("find in ({NETWORK_TABLES}){GAP}where RemoteIP == '{value}' and{GAP}{window}")
        }
        "domain" | "url" => format!(
            "let url = '{value}';{GAP}search in ({URL_TABLES}){GAP}{window} and{GAP}RemoteUrl has url{GAP}or FileOriginUrl has url{GAP}or FileOriginReferrerUrl has url{GAP}or Url has url"
        ),
        _ => return None,
    })
}

fn export(request: &QueryRequest) -> Result<String, ModuleError> {
    let period = config_value(request, "Period", NAME)?;
    let mut output = String::new();
    for event in envelopes(request, NAME)? {
        let attributes = event.attributes();
        for attribute in attributes.into_iter().chain(event.object_attributes()) {
            let attribute_type = field(attribute, "type", NAME)?;
            if kql(&attribute_type, "", "").is_none() {
                continue;
            }
            let value = field(attribute, "value", NAME)?;
            if let Some(query) = kql(&attribute_type, &value, &period) {
                output.push_str(&one_line(&query));
                output.push('\n');
            }
        }
    }
    Ok(output)
}

#[async_trait]
impl Module for DefenderEndpointExport {
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

    async fn file(body: Value) -> String {
        let answer = query(&DefenderEndpointExport::new(), body).await.unwrap();
        let text = base64::engine::general_purpose::STANDARD
            .decode(answer["data"].as_str().unwrap())
            .unwrap();
        String::from_utf8(text).unwrap()
    }

    #[tokio::test]
    async fn queries_for_attributes_and_object_attributes() {
        let body = json!({"data": [{"Event": {}, "Attribute": [
            {"type": "sha256", "value": "VAL"},
            {"type": "ip-dst", "value": "203.0.113.9"},
            {"type": "text", "value": "ignored"}
        ], "Object": [{"Attribute": [{"type": "domain", "value": "evil.example.com"}]}]}],
            "config": {"Period": "7d"}});
        assert_eq!(
            file(body).await,
            "find in (DeviceEvents, DeviceAlertEvents,AlertInfo, AlertEvidence,  DeviceFileEvents, DeviceImageLoadEvents, DeviceProcessEvents)         where (SHA256 == 'VAL' or InitiatingProcessSHA256 == 'VAL') and         Timestamp between(ago(7d) .. now())\n\
             find in (DeviceAlertEvents, AlertInfo, AlertEvidence, DeviceNetworkEvents)         where RemoteIP == '203.0.113.9' and         Timestamp between(ago(7d) .. now())\n\
             let url = 'evil.example.com';         search in (EmailUrlInfo,UrlClickEvents,DeviceNetworkEvents,DeviceFileEvents,DeviceEvents,BehaviorEntities, AlertInfo, AlertEvidence, DeviceAlertEvents)         Timestamp between(ago(7d) .. now()) and         RemoteUrl has url         or FileOriginUrl has url         or FileOriginReferrerUrl has url         or Url has url\n"
        );
    }

    #[tokio::test]
    async fn quotes_in_values_stay_inside_the_literal() {
        let body = json!({"data": [{"Event": {}, "Attribute": [
            {"type": "md5", "value": "a'b\\c"}
        ]}], "config": {"Period": "1d"}});
        assert_eq!(
            file(body).await,
            "find in (DeviceEvents, DeviceAlertEvents, AlertInfo, AlertEvidence, DeviceFileEvents, DeviceImageLoadEvents, DeviceProcessEvents)         where (MD5 == 'a\\'b\\\\c' or InitiatingProcessMD5 == 'a\\'b\\\\c') and         Timestamp between(ago(1d) .. now())\n"
        );
    }

    #[tokio::test]
    async fn newlines_in_values_and_period_become_spaces() {
        let body = json!({"data": [{"Event": {}, "Attribute": [
            {"type": "ip-src", "value": "1.2.3.4\n"},
            {"type": "md5", "value": "44d88612fea8a8f36de82e1278abb02f\n"}
        ]}], "config": {"Period": "7d\n| take 1"}});
        assert_eq!(
            file(body).await,
            "find in (DeviceAlertEvents, AlertInfo, AlertEvidence, DeviceNetworkEvents)         where RemoteIP == '1.2.3.4 ' and         Timestamp between(ago(7d | take 1) .. now())\n\
             find in (DeviceEvents, DeviceAlertEvents, AlertInfo, AlertEvidence, DeviceFileEvents, DeviceImageLoadEvents, DeviceProcessEvents)         where (MD5 == '44d88612fea8a8f36de82e1278abb02f ' or InitiatingProcessMD5 == '44d88612fea8a8f36de82e1278abb02f ') and         Timestamp between(ago(7d | take 1) .. now())\n"
        );
    }

    #[tokio::test]
    async fn events_without_objects_are_fine() {
        let body = json!({"data": [{"Event": {}, "Attribute": [{"type": "sha1", "value": "x"}]}]});
        assert!(file(body).await.contains("SHA1 == 'x'"));
    }
}

//! `nexthinkexport`: one Nexthink NXQL query per hash or domain of the event, looking back
//! over the configured `Period` (15m, 1d, 2w, ...).

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::envelope::{config_value, envelopes, field, one_line};
use super::export_answer;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

const NAME: &str = "nexthinkexport";

pub struct NexthinkExport(ModuleDescriptor);

impl NexthinkExport {
    pub fn new() -> Self {
        Self(descriptor(
            NAME,
            ModuleType::Export,
            json!({
                "responseType": "application/txt",
                "userConfig": {},
                "outputFileExtension": "nxql",
                "inputSource": ["event"]
            }),
            json!({
                "version": "1.0",
                "author": "misp-modules-stack",
                "description": "Turns the event's SHA-1, SHA-256 and MD5 hashes and domains into Nexthink NXQL queries over a configurable period.",
                "module-type": ["export"],
                "name": "Nexthink NXQL Export",
                "config": ["Period"],
                "input": "Events in the envelope layout; attributes inside objects are not exported.",
                "output": "One NXQL query per line."
            }),
        ))
    }
}

const BINARY_FIELDS: &str = "select ((binary (executable_name version)) (user (name)) (device (name last_ip_address)) (execution (binary_path start_time))) (from (binary user device execution)";

const DOMAIN_FIELDS: &str = "select ((device name) (device (name last_ip_address)) (user name)(user department) (binary executable_name)(binary application_name)(binary description)(binary application_category)(binary (executable_name version)) (binary #\"Suspicious binary\")(binary first_seen)(binary last_seen)(binary threat_level)(binary hash) (binary paths) (destination name)(domain name) (domain domain_category)(domain hosting_country)(domain protocol)(domain threat_level) (port port_number)(web_request incoming_traffic)(web_request outgoing_traffic)) (from (web_request device user binary executable destination domain port)";

/// The query for one attribute, or `None` for a type without one. The trailing spaces are
/// the reference's (its multi-line templates flattened), kept so files compare equal.
fn nxql(attribute_type: &str, value: &str, period: &str) -> Option<String> {
    let (fields, condition) = match attribute_type {
        "sha1" => (
            BINARY_FIELDS,
            format!("(where binary (eq sha1 (sha1 {value})))"),
        ),
        "sha256" => (
            BINARY_FIELDS,
            format!("(where binary (eq sha256 (sha256 {value})))"),
        ),
        "md5" => (
            BINARY_FIELDS,
            format!("(where binary (eq hash (md5 {value})))"),
        ),
        "domain" => (
            DOMAIN_FIELDS,
            format!("(where domain (eq name(string {value})))"),
        ),
        _ => return None,
    };
    Some(format!(
        "{fields} {condition} (between now-{period} now)) (limit 1000)     "
    ))
}

fn export(request: &QueryRequest) -> Result<String, ModuleError> {
    let period = config_value(request, "Period", NAME)?;
    let mut output = String::new();
    for event in envelopes(request, NAME)? {
        for attribute in event.attributes() {
            let attribute_type = field(attribute, "type", NAME)?;
            if !matches!(
                attribute_type.as_str(),
                "sha1" | "sha256" | "md5" | "domain"
            ) {
                continue;
            }
            let value = field(attribute, "value", NAME)?;
            if let Some(query) = nxql(&attribute_type, &value, &period) {
                output.push_str(&one_line(&query));
                output.push('\n');
            }
        }
    }
    Ok(output)
}

#[async_trait]
impl Module for NexthinkExport {
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
    async fn one_query_per_supported_attribute() {
        let body = json!({"data": [{"Event": {}, "Attribute": [
            {"type": "sha1", "value": "3395856ce81f2b7382dee72602f798b642f14140"},
            {"type": "ip-src", "value": "192.0.2.1"}
        ]}], "config": {"Period": "2w"}});
        let answer = query(&NexthinkExport::new(), body).await.unwrap();
        let text = base64::engine::general_purpose::STANDARD
            .decode(answer["data"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "select ((binary (executable_name version)) (user (name)) (device (name last_ip_address)) (execution (binary_path start_time))) (from (binary user device execution) (where binary (eq sha1 (sha1 3395856ce81f2b7382dee72602f798b642f14140))) (between now-2w now)) (limit 1000)     \n"
        );
    }

    #[tokio::test]
    async fn newlines_in_values_and_period_become_spaces() {
        let body = json!({"data": [{"Event": {}, "Attribute": [
            {"type": "sha1", "value": "da39a3ee5e6b4b0d3255bfef95601890afd80709"},
            {"type": "md5", "value": "x\ny"}
        ]}], "config": {"Period": "7d\nx"}});
        let answer = query(&NexthinkExport::new(), body).await.unwrap();
        let text = base64::engine::general_purpose::STANDARD
            .decode(answer["data"].as_str().unwrap())
            .unwrap();
        assert_eq!(
            String::from_utf8(text).unwrap(),
            "select ((binary (executable_name version)) (user (name)) (device (name last_ip_address)) (execution (binary_path start_time))) (from (binary user device execution) (where binary (eq sha1 (sha1 da39a3ee5e6b4b0d3255bfef95601890afd80709))) (between now-7d x now)) (limit 1000)     \n\
             select ((binary (executable_name version)) (user (name)) (device (name last_ip_address)) (execution (binary_path start_time))) (from (binary user device execution) (where binary (eq hash (md5 x y))) (between now-7d x now)) (limit 1000)     \n"
        );
    }

    #[tokio::test]
    async fn config_without_period_is_a_failure() {
        let body = json!({"data": [], "config": {"other": 1}});
        assert!(matches!(
            query(&NexthinkExport::new(), body).await,
            Err(ModuleError::Internal(_))
        ));
    }
}

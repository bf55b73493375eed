//! `wazuh_cdb_export`: one typed, sorted, deduplicated Wazuh CDB source list (keys only)
//! from the events' indicators, with counts and provenance beside the file.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::indicators::typed_list::{INPUT_TYPES, collect};
use super::indicators::{Checked, answer, config, flag, setting};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

const LIST_TYPES: [&str; 7] = ["ipv4", "ipv6", "domain", "md5", "sha1", "sha256", "sha512"];
const MAX_VALUES: usize = 100_000;
const MAX_BYTES: usize = 32 * 1024 * 1024;
const ACTIVATION_NOTICE: &str = "Register the list under ruleset in ossec.conf, reference it from a detection rule, and reload analysisd through the Wazuh API to load changes. A full manager restart is not required.";

pub struct WazuhCdbExport(ModuleDescriptor);

impl WazuhCdbExport {
    pub fn new() -> Self {
        let input: Vec<&str> = INPUT_TYPES.into_iter().filter(|t| *t != "url").collect();
        Self(descriptor(
            "wazuh_cdb_export",
            ModuleType::Export,
            json!({
                "input": input,
                "inputSource": ["event", "event-collection"],
                "outputFileExtension": "txt",
                "responseType": "text/plain",
                "userConfig": {
                    "indicator_type": {"type": "String", "message": "ipv4 (default), ipv6, domain, md5, sha1, sha256 or sha512"},
                    "include_non_ids": {"type": "Boolean", "message": "Include non-IDS attributes (default false)"}
                }
            }),
            json!({
                "version": "1.0",
                "author": "misp-modules-stack",
                "description": "Writes one kind of indicator (IPv4, IPv6, domain or a hash) of the events as a Wazuh CDB list of keys, ready to reference from detection rules.",
                "module-type": ["export"],
                "name": "Wazuh CDB Export",
                "config": ["indicator_type", "include_non_ids"],
                "input": "Events in any MISP layout; object attributes are read too.",
                "output": "A CDB source list (one `key:` line per value, IPv6 keys quoted); counts, warnings and the attributes behind each key come beside it."
            }),
        ))
    }
}

/// IPv6 keys may only hold hex digits and colons in Wazuh, so a dotted IPv4 tail is
/// spelled as two hex groups.
fn hex_tail(value: &str) -> String {
    let Some((prefix, tail)) = value.rsplit_once(':').filter(|(_, t)| t.contains('.')) else {
        return value.to_owned();
    };
    match tail.parse::<std::net::Ipv4Addr>() {
        Ok(v4) => {
            let n = u32::from(v4);
            format!("{prefix}:{:x}:{:x}", n >> 16, n & 0xffff)
        }
        Err(_) => value.to_owned(),
    }
}

fn export(request: &QueryRequest) -> Checked<Value> {
    let config = config(request, "Configuration must be an object.")?;
    let selected = match setting(&config, "indicator_type") {
        None => "ipv4",
        Some(Value::String(s)) if LIST_TYPES.contains(&s.as_str()) => s.as_str(),
        Some(_) => {
            return Err(
                "indicator_type must be ipv4, ipv6, domain, md5, sha1, sha256 or sha512.".into(),
            );
        }
    };
    let include_non_ids = flag(config.get("include_non_ids"), "include_non_ids")?;
    let mut collected = collect(
        request.get("data"),
        selected,
        include_non_ids,
        Some(MAX_VALUES),
    )?;
    if selected == "ipv6" {
        for entry in &mut collected.values {
            entry.0 = hex_tail(&entry.0);
        }
    }
    if collected.values.is_empty() {
        return Err("No exportable indicators for the selected type; refusing to produce an empty CDB list.".into());
    }
    let mut file = String::new();
    for value in collected.sorted_values() {
        if value.contains(':') {
            file.push_str(&format!("\"{value}\":\n"));
        } else {
            file.push_str(&format!("{value}:\n"));
        }
    }
    if file.len() > MAX_BYTES {
        return Err("CDB list exceeds 33,554,432 bytes; split the input.".into());
    }
    let mut warnings = vec![ACTIVATION_NOTICE.to_owned()];
    warnings.extend(collected.skipped.attribute_warnings());
    Ok(answer(
        &file,
        vec![
            (
                "summary",
                json!({"indicator_type": selected, "count": collected.values.len(), "skipped": collected.skipped.to_json()}),
            ),
            ("sources", collected.sources_json()),
            ("warnings", json!(warnings)),
        ],
    ))
}

#[async_trait]
impl Module for WazuhCdbExport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        export(&request).map_err(|e| ModuleError::reported(format!("Wazuh CDB export: {}", e.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{decoded_data, query, reported};

    #[tokio::test]
    async fn ipv6_keys_are_quoted_and_hex_only() {
        let body = json!({"data": [{"Event": {"uuid": "e"}, "Attribute": [
            {"uuid": "a", "type": "ip-dst", "value": "::FFFF:192.0.2.1", "to_ids": true},
            {"uuid": "b", "type": "ip-src", "value": "2001:db8::1", "to_ids": false},
            {"uuid": "c", "type": "ip-src", "value": "198.51.100.1", "to_ids": true}
        ]}], "config": {"indicator_type": "ipv6", "include_non_ids": "true"}});
        let answer = query(&WazuhCdbExport::new(), body).await.unwrap();
        assert_eq!(
            decoded_data(&answer),
            "\"2001:db8::1\":\n\"::ffff:c000:201\":\n"
        );
        assert_eq!(
            answer["summary"],
            json!({"indicator_type": "ipv6", "count": 2, "skipped": {"other indicator type": 1}})
        );
        assert_eq!(
            answer["sources"]["2001:db8::1"],
            json!([{"event": "e", "attribute": "b", "misp_type": "ip-src"}])
        );
        assert_eq!(
            answer["warnings"][1],
            "Skipped 1 other indicator type attribute(s)."
        );
    }

    #[tokio::test]
    async fn empty_lists_and_bad_settings_are_refused() {
        let module = WazuhCdbExport::new();
        let empty = json!({"data": [{"Event": {"Attribute": []}}]});
        assert_eq!(
            reported(query(&module, empty).await),
            "Wazuh CDB export: No exportable indicators for the selected type; refusing to produce an empty CDB list."
        );
        let url = json!({"data": [], "config": {"indicator_type": "url"}});
        assert_eq!(
            reported(query(&module, url).await),
            "Wazuh CDB export: indicator_type must be ipv4, ipv6, domain, md5, sha1, sha256 or sha512."
        );
        let no_data = json!({"config": {}});
        assert_eq!(
            reported(query(&module, no_data).await),
            "Wazuh CDB export: data must contain an event or list of events."
        );
    }
}

//! `cisco_firesight_manager_ACL_rule_export`: a shell script that logs in to a Cisco
//! Firepower Management Center and adds one access rule blocking the events' IDS-flagged
//! destination addresses and URLs.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::envelope::{envelopes, python_str};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

const NAME: &str = "cisco_firesight_manager_ACL_rule_export";

/// The FMC settings, each with the placeholder written when it is left empty.
const SETTINGS: [(&str, &str); 5] = [
    ("fmc_ip_addr", "0.0.0.0"),
    ("fmc_login", "login"),
    ("fmc_pass", "password"),
    ("domain_id", "SET_FIRESIGHT_DOMAIN_ID"),
    ("acpolicy_id", "SET_FIRESIGHT_ACPOLICY_ID"),
];

pub struct CiscoFiresightExport(ModuleDescriptor);

impl CiscoFiresightExport {
    pub fn new() -> Self {
        Self(descriptor(
            NAME,
            ModuleType::Export,
            json!({
                "responseType": "application/txt",
                "outputFileExtension": "sh",
                "inputSource": ["event"]
            }),
            json!({
                "version": "1",
                "author": "misp-modules-stack",
                "description": "Writes a shell script that creates a Cisco fireSIGHT (FMC) access rule blocking the IDS-flagged destination IPs and URLs of the events.",
                "module-type": ["export"],
                "name": "Cisco fireSIGHT blockrule Export",
                "config": SETTINGS.map(|(key, _)| key),
                "input": "Events in the envelope layout; ip-dst and url attributes marked to_ids.",
                "output": "A /bin/sh script calling the FMC REST API with curl."
            }),
        ))
    }
}

/// Python's `shlex.quote`: the text as it is when it holds only characters a shell leaves
/// alone, otherwise single-quoted.
fn shell_quote(text: &str) -> String {
    if text.is_empty() {
        return "''".to_owned();
    }
    let safe = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if text.chars().all(safe) {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\"'\"'"))
    }
}

/// Python's `urllib.parse.quote` with the reference's extra safe characters.
fn url_quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"_.-~@/:;?&=,+!*".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// Text placed inside a JSON string of the rule: escaped, so a quote in an event title
/// cannot break the rule the reference would have sent broken.
fn json_text(text: &str) -> String {
    let quoted = Value::String(text.to_owned()).to_string();
    quoted[1..quoted.len() - 1].to_owned()
}

/// Python truthiness of a config value.
fn is_set(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|n| n != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// The five settings in `SETTINGS` order. Without `config` every placeholder is used;
/// a `config` that lacks a key fails, as in the reference.
fn settings(request: &QueryRequest) -> Result<Vec<String>, ModuleError> {
    let config = match request.get("config") {
        None => None,
        Some(Value::Object(config)) => Some(config),
        Some(_) => {
            return Err(ModuleError::internal(format!(
                "{NAME}: config is not an object"
            )));
        }
    };
    SETTINGS
        .iter()
        .map(|(key, placeholder)| match config {
            None => Ok((*placeholder).to_owned()),
            Some(config) => match config.get(*key) {
                Some(value) if is_set(value) => Ok(python_str(value)),
                Some(_) => Ok((*placeholder).to_owned()),
                None => Err(ModuleError::internal(format!(
                    "{NAME}: config has no {key}"
                ))),
            },
        })
        .collect()
}

fn script(request: &QueryRequest) -> Result<String, ModuleError> {
    let settings = settings(request)?;
    let (address, login, password, domain, policy) = (
        &settings[0],
        &settings[1],
        &settings[2],
        &settings[3],
        &settings[4],
    );
    let events = envelopes(request, NAME)?;
    let mut hosts = Vec::new();
    let mut urls = Vec::new();
    for event in &events {
        for attribute in event.attributes() {
            if attribute.get("to_ids") != Some(&Value::Bool(true)) {
                continue;
            }
            let value = attribute.get("value").map(python_str).unwrap_or_default();
            match attribute.get("type").and_then(Value::as_str) {
                Some("ip-dst") => hosts.push(format!(
                    "{{ \"type\": \"Host\", \"value\": \"{}\" }} ",
                    json_text(&value)
                )),
                Some("url") => urls.push(format!(
                    "{{ \"type\": \"Url\", \"url\": \"{}\" }} ",
                    json_text(&url_quote(&value))
                )),
                _ => {}
            }
        }
    }
    // The rule is named and commented after the last event, as in the reference.
    let last = events
        .last()
        .and_then(|event| event.raw.get("Event"))
        .and_then(Value::as_object)
        .ok_or_else(|| ModuleError::reported("No event to export"))?;
    let event_field = |key: &str| {
        last.get(key)
            .map(python_str)
            .ok_or_else(|| ModuleError::internal(format!("{NAME}: the event has no {key}")))
    };
    let rule = format!(
        "{{ \"action\": \"BLOCK\", \"enabled\": true, \"type\": \"AccessRule\", \"name\": \"misp_event_{}\", \"destinationNetworks\": {{ \"literals\": [ {} ] }}, \"urls\": {{ \"literals\": [ {} ]  }}, \"newComments\": [ \"{}\" ] }}",
        json_text(&event_field("id")?),
        hosts.join(", "),
        urls.join(", "),
        json_text(&event_field("info")?)
    );
    let mut out = String::from("#!/bin/sh\n\n");
    out.push_str(&format!("FIRESIGHT_IP_ADDR={}\n", shell_quote(address)));
    out.push_str(&format!(
        "LOGINPASS_BASE64=`echo -n {} | base64`\n",
        shell_quote(&format!("{login}:{password}"))
    ));
    out.push_str(&format!("DOMAIN_ID={}\n", shell_quote(domain)));
    out.push_str(&format!("ACPOLICY_ID={}\n\n", shell_quote(policy)));
    out.push_str(
        "ACC_TOKEN=`curl -X POST -v -k -sD - -o /dev/null -H \"Authorization: Basic $LOGINPASS_BASE64\" -i \"https://$FIRESIGHT_IP_ADDR/api/fmc_platform/v1/auth/generatetoken\" | grep -i x-auth-acc | sed 's/.*:\\ //g' | tr -d '[:space:]' | tr -d '\\n'`\n",
    );
    out.push_str(&format!("\nBLOCK_RULE={}\n\n\n", shell_quote(&rule)));
    out.push_str(
        "\ncurl -X POST -v -k -H 'Content-Type: application/json' -H \"Authorization: Basic $LOGINPASS_BASE64\" -H \"X-auth-access-token: $ACC_TOKEN\" -i \"https://$FIRESIGHT_IP_ADDR/api/fmc_config/v1/domain/$DOMAIN_ID/policy/accesspolicies/$ACPOLICY_ID/accessrules\" --data \"$BLOCK_RULE\" ",
    );
    Ok(out)
}

#[async_trait]
impl Module for CiscoFiresightExport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let text = script(&request)?;
        // This exporter's answer has no `response` key.
        Ok(
            json!({"data": base64::Engine::encode(&base64::engine::general_purpose::STANDARD, text)}),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{query, reported};
    use base64::Engine as _;

    async fn file(body: Value) -> String {
        let answer = query(&CiscoFiresightExport::new(), body).await.unwrap();
        assert!(answer.get("response").is_none());
        let text = base64::engine::general_purpose::STANDARD
            .decode(answer["data"].as_str().unwrap())
            .unwrap();
        String::from_utf8(text).unwrap()
    }

    #[tokio::test]
    async fn script_blocks_ids_destinations_and_urls() {
        let body: Value = serde_json::from_str(r##"{"data": [{"Event": {"id": "7", "info": "first"}, "Attribute": []},
 {"Event": {"id": "42", "info": "Phish wave"}, "Attribute": [
  {"type": "ip-dst", "value": "203.0.113.9", "to_ids": true},
  {"type": "ip-dst", "value": "2001:db8::1", "to_ids": false},
  {"type": "url", "value": "http://evil.example.com/a b?x=1#frag~é", "to_ids": true},
  {"type": "ip-src", "value": "198.51.100.7", "to_ids": true},
  {"type": "url", "value": "https://b.example/'q'", "to_ids": true}
 ]}],
 "config": {"fmc_ip_addr": "192.0.2.10", "fmc_login": "admin", "fmc_pass": "p@ss word", "domain_id": "", "acpolicy_id": null}}"##).unwrap();
        assert_eq!(
            file(body).await,
            r##"#!/bin/sh

FIRESIGHT_IP_ADDR=192.0.2.10
LOGINPASS_BASE64=`echo -n 'admin:p@ss word' | base64`
DOMAIN_ID=SET_FIRESIGHT_DOMAIN_ID
ACPOLICY_ID=SET_FIRESIGHT_ACPOLICY_ID

ACC_TOKEN=`curl -X POST -v -k -sD - -o /dev/null -H "Authorization: Basic $LOGINPASS_BASE64" -i "https://$FIRESIGHT_IP_ADDR/api/fmc_platform/v1/auth/generatetoken" | grep -i x-auth-acc | sed 's/.*:\ //g' | tr -d '[:space:]' | tr -d '\n'`

BLOCK_RULE='{ "action": "BLOCK", "enabled": true, "type": "AccessRule", "name": "misp_event_42", "destinationNetworks": { "literals": [ { "type": "Host", "value": "203.0.113.9" }  ] }, "urls": { "literals": [ { "type": "Url", "url": "http://evil.example.com/a%20b?x=1%23frag~%C3%A9" } , { "type": "Url", "url": "https://b.example/%27q%27" }  ]  }, "newComments": [ "Phish wave" ] }'



curl -X POST -v -k -H 'Content-Type: application/json' -H "Authorization: Basic $LOGINPASS_BASE64" -H "X-auth-access-token: $ACC_TOKEN" -i "https://$FIRESIGHT_IP_ADDR/api/fmc_config/v1/domain/$DOMAIN_ID/policy/accesspolicies/$ACPOLICY_ID/accessrules" --data "$BLOCK_RULE" "##
        );
    }

    #[tokio::test]
    async fn quotes_in_the_title_keep_the_rule_valid_json() {
        let body = json!({"data": [{"Event": {"id": 5, "info": "say \"hi\""}, "Attribute": []}]});
        let text = file(body).await;
        assert!(text.contains(
            "FIRESIGHT_IP_ADDR=0.0.0.0\nLOGINPASS_BASE64=`echo -n login:password | base64`"
        ));
        let rule = text
            .split("BLOCK_RULE=")
            .nth(1)
            .unwrap()
            .split("\n")
            .next()
            .unwrap();
        let rule: Value = serde_json::from_str(rule.trim_matches('\'')).unwrap();
        assert_eq!(rule["newComments"], json!(["say \"hi\""]));
        assert_eq!(rule["name"], "misp_event_5");
    }

    #[tokio::test]
    async fn shell_quoting_and_failures() {
        assert_eq!(shell_quote("it's"), "'it'\"'\"'s'");
        assert_eq!(shell_quote(""), "''");
        let module = CiscoFiresightExport::new();
        assert_eq!(
            reported(query(&module, json!({"data": []})).await),
            "No event to export"
        );
        let partial = json!({"data": [], "config": {"fmc_ip_addr": "x"}});
        assert!(matches!(
            query(&module, partial).await,
            Err(ModuleError::Internal(_))
        ));
    }
}

//! `cisco_acl_export`: Cisco IOS/IOS-XE named ACLs, an extended IPv4 list `<name>-V4` and
//! an IPv6 list `<name>-V6`, with `deny` entries (or `permit ... log` in log mode).

use std::collections::BTreeSet;
use std::sync::Arc;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::firewall_common::{
    AclRule, Invalid, Mode, NETWORK_TYPES, PORT_ONLY_WARNING, RESOLVED_WARNING, Resolver,
    SystemResolver, answer, collect_rules, config_object, flag, is_name_token, mode, setting,
};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

const TITLE: &str = "Cisco IOS ACL export";
const POLICY_WARNING: &str = "ACL fragments have an implicit deny; merge entries into existing policy and retain its final rules.";
const LOG_WARNING: &str = "Logging mode uses permit ... log: matching traffic is allowed and later ACL entries are not evaluated.";

pub struct CiscoAclExport {
    descriptor: ModuleDescriptor,
    resolver: Arc<dyn Resolver>,
}

impl CiscoAclExport {
    pub fn new() -> Self {
        let mut user_config = Map::new();
        user_config.insert(
            "mode".into(),
            json!({"type": "String", "message": "block (default) writes deny entries; log writes permit ... log entries, which let matching traffic through"}),
        );
        user_config.insert(
            "acl_name".into(),
            json!({"type": "String", "message": "Base name of the ACLs, up to 27 characters; -V4 and -V6 are appended (default MISP-IOC)"}),
        );
        user_config.insert(
            "resolve_dns".into(),
            json!({"type": "Boolean", "message": "Look up domain and hostname indicators when exporting (default false)"}),
        );
        Self {
            descriptor: descriptor(
                "cisco_acl_export",
                ModuleType::Export,
                json!({
                    "input": NETWORK_TYPES,
                    "inputSource": ["event", "event-collection"],
                    "outputFileExtension": "cfg",
                    "responseType": "text/plain",
                    "userConfig": user_config,
                }),
                json!({
                    "version": "1.0",
                    "author": "misp-modules-stack",
                    "name": "Cisco IOS ACL Export",
                    "description": "Turns IDS-marked addresses, networks, ports and (optionally resolved) host names into Cisco IOS/IOS-XE IPv4 extended and IPv6 access-list entries.",
                    "module-type": ["export"],
                    "config": ["mode", "acl_name", "resolve_dns"],
                    "input": "Events in either export layout, or bare events; attributes of objects count too. Only attributes marked to_ids are exported.",
                    "output": "An IOS configuration fragment, with counts of exported and skipped attributes and integration warnings.",
                }),
            ),
            resolver: Arc::new(SystemResolver),
        }
    }

    #[cfg(test)]
    fn with_resolver(mut self, resolver: Arc<dyn Resolver>) -> Self {
        self.resolver = resolver;
        self
    }

    async fn export(&self, request: &QueryRequest) -> Result<Value, Invalid> {
        let config = config_object(request)?;
        let mode = mode(&config)?;
        let name = match setting(&config, "acl_name") {
            None => "MISP-IOC".to_owned(),
            Some(Value::String(s)) if is_name_token(s, 27) => s.clone(),
            Some(_) => return Err("acl_name must start with a letter and contain 1-27 ASCII letters, digits, underscores or hyphens.".into()),
        };
        let resolve_dns = flag(config.get("resolve_dns"), "resolve_dns")?;
        let collected =
            collect_rules(request.get("data"), resolve_dns, true, &*self.resolver).await?;
        let (mut v4, mut v6) = (BTreeSet::new(), BTreeSet::new());
        for rule in &collected.rules {
            let entry = entry(rule, mode);
            if rule.family == 4 {
                v4.insert(entry);
            } else {
                v6.insert(entry);
            }
        }
        let count = v4.len() + v6.len();
        let mut lines =
            vec!["! MISP Cisco IOS/IOS-XE ACL export: IDS-marked network attributes".to_owned()];
        let mut warnings = collected.skipped.warnings();
        if count > 0 {
            lines.push(format!("! {POLICY_WARNING}"));
            warnings.push(POLICY_WARNING.to_owned());
            if mode == Mode::Log {
                lines.push(format!("! {LOG_WARNING}"));
                warnings.push(LOG_WARNING.to_owned());
            }
        }
        for (entries, header, suffix) in [
            (v4, "ip access-list extended", "V4"),
            (v6, "ipv6 access-list", "V6"),
        ] {
            if !entries.is_empty() {
                lines.push(format!("{header} {name}-{suffix}"));
                lines.extend(entries.into_iter().map(|e| format!(" {e}")));
                lines.push("exit".to_owned());
            }
        }
        if collected.resolved {
            warnings.push(RESOLVED_WARNING.to_owned());
        }
        if collected.port_only {
            warnings.push(PORT_ONLY_WARNING.to_owned());
        }
        let file = lines.join("\n") + "\n";
        Ok(answer(&file, count, &collected.skipped, warnings))
    }
}

/// `any`, `host A`, `NET WILDCARD` (IPv4) or `NET/LEN` (IPv6).
fn address(rule: &AclRule) -> String {
    let net = rule.net;
    if net.prefix() == 0 {
        "any".to_owned()
    } else if net.is_host() {
        format!("host {}", net.address_text())
    } else if rule.family == 4 {
        format!("{} {}", net.address_text(), net.hostmask_text())
    } else {
        net.to_string()
    }
}

fn entry(rule: &AclRule, mode: Mode) -> String {
    let mut endpoint = address(rule);
    if !rule.port.is_empty() {
        endpoint = format!("{endpoint} eq {}", rule.port);
    }
    let endpoints = if rule.is_source() {
        format!("{endpoint} any")
    } else {
        format!("any {endpoint}")
    };
    let protocol = match (rule.protocol, rule.family) {
        ("", 4) => "ip",
        ("", _) => "ipv6",
        (protocol, _) => protocol,
    };
    match mode {
        Mode::Block => format!("deny {protocol} {endpoints}"),
        Mode::Log => format!("permit {protocol} {endpoints} log"),
    }
}

#[async_trait]
impl Module for CiscoAclExport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.descriptor
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        self.export(&request)
            .await
            .map_err(|Invalid(message)| ModuleError::reported(format!("{TITLE}: {message}")))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::builtin::export::firewall_common::test_support::{
        assert_fixture, file_of, fixture_resolver,
    };
    use crate::builtin::testing::{query, reported};

    const DEFAULT: &str = include_str!("testdata/firewall/cisco_acl_export-default.json");
    const LOG_DNS: &str = include_str!("testdata/firewall/cisco_acl_export-log_dns.json");

    #[tokio::test]
    async fn matches_the_reference_on_a_realistic_event() {
        let module = |f| CiscoAclExport::new().with_resolver(fixture_resolver(f));
        assert_fixture(&module(DEFAULT), DEFAULT).await;
        assert_fixture(&module(LOG_DNS), LOG_DNS).await;
    }

    #[tokio::test]
    async fn empty_export_has_only_the_header() {
        let body = json!({"data": [{"Event": {"Attribute": [
            {"type": "ip-dst", "value": "192.0.2.1", "to_ids": false}
        ]}}]});
        let answer = query(&CiscoAclExport::new(), body).await.unwrap();
        assert_eq!(
            file_of(&answer),
            "! MISP Cisco IOS/IOS-XE ACL export: IDS-marked network attributes\n"
        );
        assert_eq!(
            answer["summary"],
            json!({"count": 0, "skipped": {"non-IDS": 1}})
        );
        assert_eq!(
            answer["warnings"],
            json!(["Skipped 1 non-IDS attribute(s)."])
        );
    }

    #[tokio::test]
    async fn deleted_events_and_objects_are_ignored() {
        let body = json!({"data": [
            {"Event": {"deleted": true, "Attribute": [{"type": "ip-dst", "value": "192.0.2.1", "to_ids": true}]}},
            {"Event": {"Object": [{"deleted": "1", "Attribute": [{"type": "ip-dst", "value": "192.0.2.2", "to_ids": true}]}]}}
        ]});
        let answer = query(&CiscoAclExport::new(), body).await.unwrap();
        assert_eq!(answer["summary"], json!({"count": 0, "skipped": {}}));
        assert!(answer.get("warnings").is_none());
    }

    #[tokio::test]
    async fn settings_are_validated() {
        let error = |config| async move {
            reported(
                query(
                    &CiscoAclExport::new(),
                    json!({"data": [], "config": config}),
                )
                .await,
            )
        };
        assert_eq!(
            error(json!({"mode": "drop"})).await,
            "Cisco IOS ACL export: mode must be block or log."
        );
        assert_eq!(
            error(json!({"acl_name": "ACL NAME"})).await,
            "Cisco IOS ACL export: acl_name must start with a letter and contain 1-27 ASCII letters, digits, underscores or hyphens."
        );
        assert_eq!(
            error(json!("block")).await,
            "Cisco IOS ACL export: config must be an object."
        );
    }
}

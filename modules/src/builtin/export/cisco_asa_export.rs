//! `cisco_asa_export`: Cisco ASA 9.x `access-list <prefix> extended` entries; one unified
//! list carries both IPv4 and IPv6 matches.

use serde_json::{Map, Value};

use super::firewall_common::{
    AclDialect, AclModule, AclRule, AclSettings, Invalid, Mode, Net, PERMIT_LOG_WARNING,
    acl_descriptor,
};

pub struct CiscoAsa;

pub fn module() -> AclModule<CiscoAsa> {
    AclModule::new(
        acl_descriptor(
            "cisco_asa_export",
            CiscoAsa::TITLE,
            "Turns IDS-marked addresses, networks, ports and (optionally resolved) host names into Cisco ASA 9.x extended access-list entries for IPv4 and IPv6.",
            "ASA access-list commands, with counts of exported and skipped attributes and integration warnings.",
            &[],
            27,
        ),
        CiscoAsa,
    )
}

/// `any4`/`any6`, `host A`, `NET MASK` (IPv4) or `NET/LEN` (IPv6).
fn address(net: Net) -> String {
    if net.prefix() == 0 {
        format!("any{}", net.family())
    } else if net.is_host() {
        format!("host {}", net.address_text())
    } else if net.family() == 4 {
        format!("{} {}", net.address_text(), net.netmask_text())
    } else {
        net.to_string()
    }
}

impl AclDialect for CiscoAsa {
    type Extra = ();
    const TITLE: &'static str = "Cisco ASA ACL Export";
    const COMMENT: &'static str = "!";

    fn configure(&self, _: &Map<String, Value>, _: &mut AclSettings) -> Result<(), Invalid> {
        Ok(())
    }

    fn render(
        &self,
        rules: &[AclRule],
        settings: &AclSettings,
        _: &(),
    ) -> Result<Vec<String>, Invalid> {
        let (action, suffix) = match settings.mode {
            Mode::Block => ("deny", ""),
            Mode::Log => ("permit", " log"),
        };
        Ok(rules
            .iter()
            .map(|rule| {
                let (mut source, mut destination) =
                    (address(rule.source_net()), address(rule.destination_net()));
                if !rule.port.is_empty() {
                    let end = if rule.is_source() {
                        &mut source
                    } else {
                        &mut destination
                    };
                    end.push_str(&format!(" eq {}", rule.port));
                }
                let protocol = if rule.protocol.is_empty() {
                    "ip"
                } else {
                    rule.protocol
                };
                format!(
                    "access-list {} extended {action} {protocol} {source} {destination}{suffix}",
                    settings.name_prefix
                )
            })
            .collect())
    }

    fn policy_warnings(&self, settings: &AclSettings) -> Vec<&'static str> {
        let mut warnings = vec![
            "ASA ACLs have an implicit deny; merge entries into existing ACLs and preserve their final rules.",
        ];
        if settings.mode == Mode::Log {
            warnings.push(PERMIT_LOG_WARNING);
        }
        warnings
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

    const DEFAULT: &str = include_str!("testdata/firewall/cisco_asa_export-default.json");
    const LOG_DNS: &str = include_str!("testdata/firewall/cisco_asa_export-log_dns.json");

    #[tokio::test]
    async fn matches_the_reference_on_a_realistic_event() {
        assert_fixture(&module().with_resolver(fixture_resolver(DEFAULT)), DEFAULT).await;
        assert_fixture(&module().with_resolver(fixture_resolver(LOG_DNS)), LOG_DNS).await;
    }

    #[tokio::test]
    async fn writes_netmasks_and_any_keywords() {
        let body = json!({"data": [{"Event": {"Attribute": [
            {"type": "ip-dst", "value": "192.0.2.77/26", "to_ids": true},
            {"type": "ip-src", "value": "2001:db8:1::/48", "to_ids": true}
        ]}}]});
        let file = file_of(&query(&module(), body).await.unwrap());
        let rules: Vec<&str> = file.lines().filter(|l| !l.starts_with('!')).collect();
        assert_eq!(
            rules,
            [
                "access-list MISP-IOC extended deny ip any4 192.0.2.64 255.255.255.192",
                "access-list MISP-IOC extended deny ip 2001:db8:1::/48 any6",
            ]
        );
    }

    #[tokio::test]
    async fn invalid_structure_is_reported() {
        let body = json!({"data": [{"Event": {"Attribute": {"type": "ip-dst"}}}]});
        assert_eq!(
            reported(query(&module(), body).await),
            "Cisco ASA ACL Export: Attribute must be a list of objects."
        );
        let body = json!({"data": "not events"});
        assert_eq!(
            reported(query(&module(), body).await),
            "Cisco ASA ACL Export: data must be an event object or a list of events."
        );
    }
}

//! `junos_export`: Junos `set firewall family inet|inet6 filter` commands, one term per
//! match in the filters `<prefix>-V4` and `<prefix>-V6`.

use serde_json::{Map, Value};

use super::firewall_common::{
    AclDialect, AclModule, AclRule, AclSettings, Invalid, Mode, acl_descriptor,
};

pub struct Junos;

pub fn module() -> AclModule<Junos> {
    AclModule::new(
        acl_descriptor(
            "junos_export",
            Junos::TITLE,
            "Turns IDS-marked addresses, networks, ports and (optionally resolved) host names into Junos stateless firewall filter terms for inet and inet6.",
            "Junos set commands, with counts of exported and skipped attributes and integration warnings.",
            &[],
            27,
        ),
        Junos,
    )
}

impl AclDialect for Junos {
    type Extra = ();
    const TITLE: &'static str = "Juniper Junos ACL Export";

    fn configure(&self, _: &Map<String, Value>, _: &mut AclSettings) -> Result<(), Invalid> {
        Ok(())
    }

    fn render(
        &self,
        rules: &[AclRule],
        settings: &AclSettings,
        _: &(),
    ) -> Result<Vec<String>, Invalid> {
        let name = &settings.name_prefix;
        let mut lines = Vec::new();
        for rule in rules {
            let family = if rule.family == 4 { "inet" } else { "inet6" };
            let term = format!(
                "set firewall family {family} filter {name}-V{} term {name}-{}",
                rule.family,
                rule.key()
            );
            lines.push(format!("{term} from source-address {}", rule.source()));
            lines.push(format!(
                "{term} from destination-address {}",
                rule.destination()
            ));
            if !rule.port.is_empty() {
                // inet6 filters name the protocol field next-header.
                let protocol_key = if rule.family == 4 {
                    "protocol"
                } else {
                    "next-header"
                };
                let port_key = if rule.is_source() {
                    "source-port"
                } else {
                    "destination-port"
                };
                lines.push(format!("{term} from {protocol_key} {}", rule.protocol));
                lines.push(format!("{term} from {port_key} {}", rule.port));
            }
            match settings.mode {
                Mode::Log => {
                    lines.push(format!("{term} then log"));
                    lines.push(format!("{term} then next term"));
                }
                Mode::Block => lines.push(format!("{term} then discard")),
            }
        }
        Ok(lines)
    }

    fn policy_warnings(&self, settings: &AclSettings) -> Vec<&'static str> {
        let mut warnings = vec![
            "Junos filters have an implicit discard; merge terms into existing filters and retain their final terms.",
        ];
        if settings.mode == Mode::Log {
            warnings.push(
                "Logging uses log and next term; a later term must provide the traffic verdict.",
            );
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

    const DEFAULT: &str = include_str!("testdata/firewall/junos_export-default.json");
    const LOG_DNS: &str = include_str!("testdata/firewall/junos_export-log_dns.json");

    #[tokio::test]
    async fn matches_the_reference_on_a_realistic_event() {
        assert_fixture(&module().with_resolver(fixture_resolver(DEFAULT)), DEFAULT).await;
        assert_fixture(&module().with_resolver(fixture_resolver(LOG_DNS)), LOG_DNS).await;
    }

    #[tokio::test]
    async fn writes_ports_with_the_family_protocol_keyword() {
        let body = json!({"data": {"Attribute": [
            {"type": "ip-src|port", "value": "2001:db8::5|53", "to_ids": true}
        ]}});
        let answer = query(&module(), body).await.unwrap();
        let term = "set firewall family inet6 filter MISP-IOC-V6 term MISP-IOC-";
        let file = file_of(&answer);
        let rules: Vec<&str> = file.lines().filter(|l| l.starts_with(term)).collect();
        assert_eq!(rules.len(), 10);
        assert!(rules[0].ends_with(" from source-address 2001:db8::5/128"));
        assert!(rules[2].ends_with(" from next-header tcp"));
        assert!(rules[3].ends_with(" from source-port 53"));
        assert!(rules[4].ends_with(" then discard"));
        assert_eq!(answer["summary"], json!({"count": 2, "skipped": {}}));
    }

    #[tokio::test]
    async fn settings_are_validated() {
        let bad_prefix = json!({"data": [], "config": {"name_prefix": "1bad"}});
        assert_eq!(
            reported(query(&module(), bad_prefix).await),
            "Juniper Junos ACL Export: name_prefix must start with a letter and contain 1-27 ASCII letters, digits, _ or -."
        );
        let bad_flag = json!({"data": [], "config": {"resolve_dns": "yes"}});
        assert_eq!(
            reported(query(&module(), bad_flag).await),
            "Juniper Junos ACL Export: resolve_dns must be true, false, 1 or 0."
        );
    }
}

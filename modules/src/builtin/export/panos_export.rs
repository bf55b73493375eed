//! `panos_export`: PAN-OS `set rulebase security rules` commands, with a custom service
//! per port match. Port 0 cannot be written as a service and is skipped.

use serde_json::{Map, Value};

use super::firewall_common::{
    AclDialect, AclModule, AclRule, AclSettings, Invalid, Mode, PERMIT_LOG_WARNING, acl_descriptor,
    token,
};

pub struct PanOs;

pub struct Zones {
    from: String,
    to: String,
}

pub fn module() -> AclModule<PanOs> {
    AclModule::new(
        acl_descriptor(
            "panos_export",
            PanOs::TITLE,
            "Turns IDS-marked addresses, networks, ports and (optionally resolved) host names into PAN-OS local security rules and TCP/UDP services.",
            "PAN-OS set commands, with counts of exported and skipped attributes and integration warnings.",
            &[
                ("from_zone", "Zone the traffic comes from (default any)"),
                ("to_zone", "Zone the traffic goes to (default any)"),
            ],
            27,
        ),
        PanOs,
    )
}

impl AclDialect for PanOs {
    type Extra = Zones;
    const TITLE: &'static str = "Palo Alto PAN-OS ACL Export";
    const PORT_ZERO: bool = false;

    fn configure(
        &self,
        config: &Map<String, Value>,
        _: &mut AclSettings,
    ) -> Result<Zones, Invalid> {
        Ok(Zones {
            from: token(config, "from_zone", "any", 27)?,
            to: token(config, "to_zone", "any", 27)?,
        })
    }

    fn render(
        &self,
        rules: &[AclRule],
        settings: &AclSettings,
        zones: &Zones,
    ) -> Result<Vec<String>, Invalid> {
        let action = match settings.mode {
            Mode::Block => "drop",
            Mode::Log => "allow",
        };
        let mut lines = Vec::new();
        for rule in rules {
            let name = format!("{}-{}", settings.name_prefix, rule.key());
            let mut service = "any".to_owned();
            if !rule.port.is_empty() {
                service = format!("{name}-svc");
                // A service always names destination ports; a source port needs the full range.
                let (destination, source) = if rule.is_source() {
                    ("1-65535", format!(" source-port {}", rule.port))
                } else {
                    (rule.port.as_str(), String::new())
                };
                lines.push(format!(
                    "set service {service} protocol {} port {destination}{source}",
                    rule.protocol
                ));
            }
            let prefix = format!("set rulebase security rules {name}");
            lines.extend([
                format!("{prefix} from {}", zones.from),
                format!("{prefix} to {}", zones.to),
                format!("{prefix} source {}", rule.source()),
                format!("{prefix} destination {}", rule.destination()),
                format!("{prefix} application any"),
                format!("{prefix} service {service}"),
                format!("{prefix} action {action}"),
                format!("{prefix} log-end yes"),
            ]);
        }
        Ok(lines)
    }

    fn policy_warnings(&self, settings: &AclSettings) -> Vec<&'static str> {
        match settings.mode {
            Mode::Log => vec![PERMIT_LOG_WARNING],
            Mode::Block => Vec::new(),
        }
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

    const DEFAULT: &str = include_str!("testdata/firewall/panos_export-default.json");
    const LOG_DNS: &str = include_str!("testdata/firewall/panos_export-log_dns.json");

    #[tokio::test]
    async fn matches_the_reference_on_a_realistic_event() {
        assert_fixture(&module().with_resolver(fixture_resolver(DEFAULT)), DEFAULT).await;
        assert_fixture(&module().with_resolver(fixture_resolver(LOG_DNS)), LOG_DNS).await;
    }

    #[tokio::test]
    async fn source_ports_use_the_full_destination_range() {
        let body = json!({"data": {"Attribute": [
            {"type": "ip-src|port", "value": "198.51.100.3|53", "to_ids": 1},
            {"type": "port", "value": "0", "to_ids": 1}
        ]}});
        let answer = query(&module(), body).await.unwrap();
        let file = file_of(&answer);
        assert!(file.lines().any(|l| l.starts_with("set service MISP-IOC-")
            && l.ends_with("-svc protocol udp port 1-65535 source-port 53")));
        assert_eq!(
            answer["summary"]["skipped"],
            json!({"unsupported port zero": 1})
        );
    }

    #[tokio::test]
    async fn zones_are_validated() {
        let body = json!({"data": [], "config": {"to_zone": "trust zone"}});
        assert_eq!(
            reported(query(&module(), body).await),
            "Palo Alto PAN-OS ACL Export: to_zone must start with a letter and contain 1-27 ASCII letters, digits, _ or -."
        );
    }
}

//! `fortios_export`: FortiOS 7.4+ `config firewall address/address6`, custom services and
//! numbered `config firewall policy` entries. Port 0 cannot be written and is skipped.

use serde_json::{Map, Value};

use super::firewall_common::{
    AclDialect, AclModule, AclRule, AclSettings, Invalid, Mode, Net, PERMIT_LOG_WARNING,
    acl_descriptor, number_setting, token,
};

const MAX_POLICY_ID: u64 = 4_294_967_294;
const POLICY_ID_MESSAGE: &str = "start_policy_id must be an integer from 1 to 4294967294.";

pub struct FortiOs;

pub struct Policy {
    srcintf: String,
    dstintf: String,
    start_id: u64,
}

pub fn module() -> AclModule<FortiOs> {
    AclModule::new(
        acl_descriptor(
            "fortios_export",
            FortiOs::TITLE,
            "Turns IDS-marked addresses, networks, ports and (optionally resolved) host names into FortiOS 7.4+ address objects, custom services and firewall policies.",
            "FortiOS CLI configuration, with counts of exported and skipped attributes and integration warnings.",
            &[
                ("srcintf", "Incoming interface or zone (default any)"),
                ("dstintf", "Outgoing interface or zone (default any)"),
                (
                    "start_policy_id",
                    "Policy ID of the first generated policy (default 10000); policies with the generated IDs are overwritten",
                ),
            ],
            18,
        ),
        FortiOs,
    )
}

fn address_object(name: &str, net: Net) -> [String; 5] {
    let (table, value) = if net.family() == 4 {
        (
            "address",
            format!("set subnet {} {}", net.address_text(), net.netmask_text()),
        )
    } else {
        ("address6", format!("set ip6 {net}"))
    };
    [
        format!("config firewall {table}"),
        format!("    edit \"{name}\""),
        format!("        {value}"),
        "    next".to_owned(),
        "end".to_owned(),
    ]
}

impl AclDialect for FortiOs {
    type Extra = Policy;
    const TITLE: &'static str = "Fortinet FortiOS ACL Export";
    const PORT_ZERO: bool = false;

    fn configure(
        &self,
        config: &Map<String, Value>,
        settings: &mut AclSettings,
    ) -> Result<Policy, Invalid> {
        let start_id = number_setting(
            config,
            "start_policy_id",
            10000,
            10,
            1..=MAX_POLICY_ID,
            POLICY_ID_MESSAGE,
        )?;
        let srcintf = token(config, "srcintf", "any", 27)?;
        let dstintf = token(config, "dstintf", "any", 27)?;
        // Object names are limited to 35 characters: prefix, dash, key and "-addr" must fit.
        settings.name_prefix = token(config, "name_prefix", "MISP-IOC", 18)?;
        Ok(Policy {
            srcintf,
            dstintf,
            start_id,
        })
    }

    fn render(
        &self,
        rules: &[AclRule],
        settings: &AclSettings,
        policy: &Policy,
    ) -> Result<Vec<String>, Invalid> {
        if policy.start_id + rules.len() as u64 > MAX_POLICY_ID + 1 {
            return Err("Generated policy IDs exceed 4294967294.".into());
        }
        let action = match settings.mode {
            Mode::Block => "deny",
            Mode::Log => "accept",
        };
        let mut lines = Vec::new();
        for (id, rule) in (policy.start_id..).zip(rules) {
            let name = format!("{}-{}", settings.name_prefix, rule.key());
            let address = format!("{name}-addr");
            let any_address = format!("{name}-any");
            lines.extend(address_object(&address, rule.net));
            lines.extend(address_object(&any_address, rule.any_net()));
            let mut service = "ALL".to_owned();
            if !rule.port.is_empty() {
                service = format!("{name}-svc");
                let ports = if rule.is_source() {
                    format!("1-65535:{}", rule.port)
                } else {
                    rule.port.clone()
                };
                lines.extend([
                    "config firewall service custom".to_owned(),
                    format!("    edit \"{service}\""),
                    "        set protocol TCP/UDP/SCTP".to_owned(),
                    format!("        set {}-portrange {ports}", rule.protocol),
                    "    next".to_owned(),
                    "end".to_owned(),
                ]);
            }
            let (field, other) = if rule.family == 4 {
                ("", "6")
            } else {
                ("6", "")
            };
            let (source, destination) = if rule.is_source() {
                (&address, &any_address)
            } else {
                (&any_address, &address)
            };
            lines.extend([
                "config firewall policy".to_owned(),
                format!("    edit {id}"),
                format!("        set name \"{name}\""),
                format!("        set srcintf \"{}\"", policy.srcintf),
                format!("        set dstintf \"{}\"", policy.dstintf),
                format!("        set srcaddr{field} \"{source}\""),
                format!("        set dstaddr{field} \"{destination}\""),
                format!("        unset srcaddr{other}"),
                format!("        unset dstaddr{other}"),
                format!("        set service \"{service}\""),
                "        set schedule \"always\"".to_owned(),
                format!("        set action {action}"),
                "        set logtraffic all".to_owned(),
                "    next".to_owned(),
                "end".to_owned(),
            ]);
        }
        Ok(lines)
    }

    fn policy_warnings(&self, settings: &AclSettings) -> Vec<&'static str> {
        let mut warnings = vec![
            "Reserve the generated numeric policy ID range in the selected VDOM: edit modifies existing IDs. IDs are assigned in sorted order and can change when the indicator set changes; remove stale policies and objects.",
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
    use crate::builtin::export::firewall_common::test_support::{assert_fixture, fixture_resolver};
    use crate::builtin::testing::{query, reported};

    const DEFAULT: &str = include_str!("testdata/firewall/fortios_export-default.json");
    const LOG_DNS: &str = include_str!("testdata/firewall/fortios_export-log_dns.json");

    #[tokio::test]
    async fn matches_the_reference_on_a_realistic_event() {
        assert_fixture(&module().with_resolver(fixture_resolver(DEFAULT)), DEFAULT).await;
        assert_fixture(&module().with_resolver(fixture_resolver(LOG_DNS)), LOG_DNS).await;
    }

    #[tokio::test]
    async fn policy_ids_and_prefix_are_bounded() {
        let error = |config| async move {
            reported(query(&module(), json!({"data": [], "config": config})).await)
        };
        let id_message =
            "Fortinet FortiOS ACL Export: start_policy_id must be an integer from 1 to 4294967294.";
        assert_eq!(error(json!({"start_policy_id": 0})).await, id_message);
        assert_eq!(
            error(json!({"start_policy_id": "4294967295"})).await,
            id_message
        );
        assert_eq!(error(json!({"start_policy_id": true})).await, id_message);
        assert_eq!(
            error(json!({"name_prefix": "ABCDEFGHIJKLMNOPQRS"})).await,
            "Fortinet FortiOS ACL Export: name_prefix must start with a letter and contain 1-18 ASCII letters, digits, _ or -."
        );
        let last = json!({"data": {"Attribute": [
            {"type": "ip-dst", "value": "192.0.2.1", "to_ids": true},
            {"type": "ip-dst", "value": "192.0.2.2", "to_ids": true}
        ]}, "config": {"start_policy_id": "4294967294"}});
        assert_eq!(
            reported(query(&module(), last).await),
            "Fortinet FortiOS ACL Export: Generated policy IDs exceed 4294967294."
        );
    }
}

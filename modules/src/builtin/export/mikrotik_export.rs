//! `mikrotik_export`: RouterOS v7 `/ip firewall filter add` and `/ipv6 firewall filter
//! add` commands in a chosen chain.

use serde_json::{Map, Value};

use super::firewall_common::{
    AclDialect, AclModule, AclRule, AclSettings, Invalid, Mode, acl_descriptor, token,
};

pub struct Mikrotik;

pub fn module() -> AclModule<Mikrotik> {
    AclModule::new(
        acl_descriptor(
            "mikrotik_export",
            Mikrotik::TITLE,
            "Turns IDS-marked addresses, networks, ports and (optionally resolved) host names into MikroTik RouterOS IPv4/IPv6 firewall filter commands.",
            "RouterOS commands, with counts of exported and skipped attributes and integration warnings.",
            &[(
                "chain",
                "Chain the rules go into: forward (default), input or output",
            )],
            27,
        ),
        Mikrotik,
    )
}

impl AclDialect for Mikrotik {
    /// The chain.
    type Extra = String;
    const TITLE: &'static str = "MikroTik RouterOS ACL Export";

    fn configure(
        &self,
        config: &Map<String, Value>,
        _: &mut AclSettings,
    ) -> Result<String, Invalid> {
        let chain = token(config, "chain", "forward", 27)?;
        if !matches!(chain.as_str(), "forward" | "input" | "output") {
            return Err("chain must be forward, input or output.".into());
        }
        Ok(chain)
    }

    fn render(
        &self,
        rules: &[AclRule],
        settings: &AclSettings,
        chain: &String,
    ) -> Result<Vec<String>, Invalid> {
        let prefix = &settings.name_prefix;
        let action = match settings.mode {
            Mode::Block => "drop",
            Mode::Log => "log",
        };
        Ok(rules
            .iter()
            .map(|rule| {
                let path = if rule.family == 4 {
                    "/ip firewall filter"
                } else {
                    "/ipv6 firewall filter"
                };
                let mut line = format!(
                    "{path} add chain={chain} action={action} src-address={} dst-address={}",
                    rule.source(),
                    rule.destination()
                );
                if !rule.port.is_empty() {
                    line.push_str(&format!(
                        " protocol={} {}-port={}",
                        rule.protocol,
                        rule.direction.as_str(),
                        rule.port
                    ));
                }
                if settings.mode == Mode::Log {
                    line.push_str(&format!(" log-prefix=\"{prefix} \""));
                }
                line + &format!(" comment=\"{prefix}-{}\"", rule.key())
            })
            .collect())
    }

    fn policy_warnings(&self, settings: &AclSettings) -> Vec<&'static str> {
        let mut warnings = vec![
            "RouterOS add appends entries; move them before established/related accepts, FastTrack and other terminal rules.",
        ];
        if settings.mode == Mode::Log {
            warnings.push("RouterOS action=log continues to the next rule and preserves later policy decisions.");
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

    const DEFAULT: &str = include_str!("testdata/firewall/mikrotik_export-default.json");
    const LOG_DNS: &str = include_str!("testdata/firewall/mikrotik_export-log_dns.json");

    #[tokio::test]
    async fn matches_the_reference_on_a_realistic_event() {
        assert_fixture(&module().with_resolver(fixture_resolver(DEFAULT)), DEFAULT).await;
        assert_fixture(&module().with_resolver(fixture_resolver(LOG_DNS)), LOG_DNS).await;
    }

    #[tokio::test]
    async fn one_command_per_match() {
        let body = json!({"data": {"Event": {"Attribute": [
            {"type": "ip-dst|port", "value": "192.0.2.10|443", "to_ids": true}
        ]}}, "config": {"chain": "output"}});
        let file = file_of(&query(&module(), body).await.unwrap());
        let rules: Vec<&str> = file.lines().filter(|l| !l.starts_with('#')).collect();
        assert_eq!(rules.len(), 2);
        assert!(rules[0].starts_with(
            "/ip firewall filter add chain=output action=drop src-address=0.0.0.0/0 dst-address=192.0.2.10/32 protocol=tcp dst-port=443 comment=\"MISP-IOC-"
        ));
    }

    #[tokio::test]
    async fn chain_must_be_known() {
        let body = json!({"data": [], "config": {"chain": "prerouting"}});
        assert_eq!(
            reported(query(&module(), body).await),
            "MikroTik RouterOS ACL Export: chain must be forward, input or output."
        );
    }
}

//! `pf_export`: OpenBSD PF rules, `block drop quick` by default or `match log (all)`.
//! Host names are written as they are: pf resolves them when the ruleset is loaded.

use std::collections::BTreeSet;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::firewall_common::{
    Invalid, Mode, NETWORK_TYPES, Net, Screened, Skipped, answer, attribute_stream, config_object,
    hostname, indicator_text, ip_text, mode, parse_address, port, screen,
};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

const TITLE: &str = "OpenBSD PF export";

pub struct PfExport(ModuleDescriptor);

impl PfExport {
    pub fn new() -> Self {
        Self(descriptor(
            "pf_export",
            ModuleType::Export,
            json!({
                "input": NETWORK_TYPES,
                "inputSource": ["event", "event-collection"],
                "outputFileExtension": "conf",
                "responseType": "text/plain",
                "userConfig": {"mode": {"type": "String", "message": "block (default) drops matching traffic; log only logs it"}},
            }),
            json!({
                "version": "1.0",
                "author": "misp-modules-stack",
                "name": "OpenBSD PF Export",
                "description": "Turns IDS-marked addresses, networks, ports and host names into deduplicated OpenBSD pf.conf rules that drop or log matching traffic.",
                "module-type": ["export"],
                "config": ["mode"],
                "input": "Events in either export layout, or bare events; attributes of objects count too. Only attributes marked to_ids are exported.",
                "output": "A pf.conf fragment, with counts of exported and skipped attributes and warnings.",
            }),
        ))
    }
}

/// The address as pf takes it, and its address family keyword.
fn address(value: &str) -> Result<(String, &'static str), Invalid> {
    let (text, v4) = if value.contains('/') {
        let net = Net::parse(value)?;
        (net.to_string(), net.family() == 4)
    } else {
        let ip = parse_address(value)?;
        (ip_text(ip), ip.is_ipv4())
    };
    Ok((text, if v4 { "inet" } else { "inet6" }))
}

struct Rule<'a> {
    mode: Mode,
    host: &'a str,
    family: &'a str,
    source: bool,
    port: Option<&'a str>,
}

impl Rule<'_> {
    fn text(&self) -> String {
        let mut head = match self.mode {
            Mode::Block => "block drop quick".to_owned(),
            Mode::Log => "match log (all)".to_owned(),
        };
        if !self.family.is_empty() {
            head = format!("{head} {}", self.family);
        }
        let mut endpoint = self.host.to_owned();
        if let Some(port) = self.port {
            head.push_str(" proto { tcp, udp }");
            endpoint = format!("{endpoint} port = {port}");
        }
        if self.source {
            format!("{head} from {endpoint} to any")
        } else {
            format!("{head} from any to {endpoint}")
        }
    }
}

fn rules(kind: &str, value: &Value, mode: Mode) -> Result<Vec<String>, Invalid> {
    let value = indicator_text(value)?;
    let rule = |host: &str, family: &str, source: bool, port: Option<&str>| {
        Rule {
            mode,
            host,
            family,
            source,
            port,
        }
        .text()
    };
    match kind {
        "port" => Ok(vec![rule("any", "", false, Some(&port(value)?))]),
        "domain" | "hostname" => {
            let host = hostname(value)?;
            Ok(vec![
                rule(&host, "", false, None),
                rule(&host, "", true, None),
            ])
        }
        "domain|ip" => {
            let (name, ip) = value
                .split_once('|')
                .ok_or("Missing domain/IP separator.")?;
            hostname(name)?;
            let (host, family) = address(ip)?;
            Ok(vec![
                rule(&host, family, false, None),
                rule(&host, family, true, None),
            ])
        }
        _ => {
            let (value, port) = if kind.ends_with("|port") {
                let (host, raw) = value
                    .split_once('|')
                    .ok_or("Missing host/port separator.")?;
                (host, Some(port(raw)?))
            } else {
                (value, None)
            };
            let (host, family) = if kind == "hostname|port" {
                (hostname(value)?, "")
            } else {
                address(value)?
            };
            Ok(vec![rule(
                &host,
                family,
                kind.starts_with("ip-src"),
                port.as_deref(),
            )])
        }
    }
}

fn export(request: &QueryRequest) -> Result<Value, Invalid> {
    let mode = mode(&config_object(request)?)?;
    let mut lines = BTreeSet::new();
    let mut skipped = Skipped::default();
    let (mut names, mut port_only) = (false, false);
    for attribute in attribute_stream(request.get("data")) {
        let (kind, value) = match screen(attribute?, &NETWORK_TYPES)? {
            Screened::Skip(reason) => {
                skipped.add(reason);
                continue;
            }
            Screened::Keep { kind, value } => (kind, value),
        };
        match rules(kind, value, mode) {
            Ok(generated) => lines.extend(generated),
            Err(_) => {
                skipped.add("malformed");
                continue;
            }
        }
        names |= matches!(kind, "domain" | "hostname" | "hostname|port");
        port_only |= kind == "port";
    }
    let count = lines.len();
    let mut file = String::from("# MISP OpenBSD PF export: IDS-marked network attributes\n");
    for line in lines {
        file.push_str(&line);
        file.push('\n');
    }
    let mut warnings = skipped.warnings();
    if names {
        warnings.push("PF resolves DNS names at ruleset load time; these rules do not match DNS queries or subdomains.".to_owned());
    }
    if port_only {
        warnings.push("Standalone port attributes match that destination port for TCP and UDP on all addresses.".to_owned());
    }
    Ok(answer(&file, count, &skipped, warnings))
}

#[async_trait]
impl Module for PfExport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        export(&request)
            .map_err(|Invalid(message)| ModuleError::reported(format!("{TITLE}: {message}")))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::builtin::export::firewall_common::test_support::{assert_fixture, file_of};
    use crate::builtin::testing::{query, reported};

    #[tokio::test]
    async fn matches_the_reference_on_a_realistic_event() {
        assert_fixture(
            &PfExport::new(),
            include_str!("testdata/firewall/pf_export-default.json"),
        )
        .await;
        assert_fixture(
            &PfExport::new(),
            include_str!("testdata/firewall/pf_export-log.json"),
        )
        .await;
    }

    #[tokio::test]
    async fn writes_rules_per_kind() {
        let body = json!({"data": {"Attribute": [
            {"type": "ip-src|port", "value": "::ffff:192.0.2.1|25", "to_ids": true},
            {"type": "hostname|port", "value": "Mail.Example.org|587", "to_ids": true},
            {"type": "ip-dst", "value": "192.0.2.0/255.255.255.0", "to_ids": true},
            {"type": "hostname", "value": "interface0", "to_ids": true},
            {"type": "ip-dst", "value": "fe80::1%em0", "to_ids": true}
        ]}});
        let answer = query(&PfExport::new(), body).await.unwrap();
        assert_eq!(
            file_of(&answer),
            "# MISP OpenBSD PF export: IDS-marked network attributes\n\
             block drop quick inet from any to 192.0.2.0/24\n\
             block drop quick inet6 proto { tcp, udp } from ::ffff:c000:201 port = 25 to any\n\
             block drop quick proto { tcp, udp } from any to mail.example.org port = 587\n"
        );
        assert_eq!(
            answer["summary"],
            json!({"count": 3, "skipped": {"malformed": 2}})
        );
        assert_eq!(
            answer["warnings"][1],
            "PF resolves DNS names at ruleset load time; these rules do not match DNS queries or subdomains."
        );
    }

    #[tokio::test]
    async fn bad_flags_are_reported() {
        let body = json!({"data": [{"Attribute": [{"type": "ip-dst", "value": "192.0.2.1", "to_ids": "maybe"}]}]});
        assert_eq!(
            reported(query(&PfExport::new(), body).await),
            "OpenBSD PF export: to_ids must be true, false, 1 or 0."
        );
    }
}

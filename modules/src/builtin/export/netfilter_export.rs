//! `netfilter_export`: IDS-marked network indicators as deduplicated nftables rules for an
//! inet-family chain, dropping (default) or logging matches. DNS names become rules only
//! with resolve_dns, from the addresses the system resolver gives at export time.

use std::collections::{BTreeSet, HashMap};
use std::time::Duration;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::indicators::syntax::{ip_address, ip_network, ip_text, qualified_dns_name};
use super::indicators::{
    Checked, DataShape, Gate, Invalid, Skips, answer, config, flag, gate, setting, sources,
};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

const DNS_TYPES: [&str; 3] = ["domain", "hostname", "hostname|port"];
const INPUT_TYPES: [&str; 10] = [
    "domain",
    "domain|ip",
    "hostname",
    "hostname|port",
    "ip-dst",
    "ip-dst|port",
    "ip-src",
    "ip-src|port",
    "mac-address",
    "port",
];
const DNS_TIMEOUT: Duration = Duration::from_secs(5);

pub struct NetfilterExport(ModuleDescriptor);

impl NetfilterExport {
    pub fn new() -> Self {
        Self(descriptor(
            "netfilter_export",
            ModuleType::Export,
            json!({
                "input": INPUT_TYPES,
                "inputSource": ["event", "event-collection"],
                "outputFileExtension": "nft",
                "responseType": "text/plain",
                "userConfig": {
                    "mode": {"type": "String", "message": "Rule mode: block (default) or log"},
                    "resolve_dns": {"type": "Boolean", "message": "Resolve DNS-only indicators at export time (default: false)"}
                }
            }),
            json!({
                "version": "1.0",
                "author": "misp-modules-stack",
                "description": "Writes the IDS-marked addresses, networks, ports, address/port pairs and source MAC addresses of the events as nftables rules that drop or log matching traffic.",
                "module-type": ["export"],
                "name": "Netfilter nftables Export",
                "config": ["mode", "resolve_dns"],
                "input": "Events in any MISP layout; object attributes are read too. Only to_ids attributes; deleted ones are left out.",
                "output": "An nftables chain-body fragment; skip counts and warnings come beside it. Domain and hostname rules need resolve_dns (off by default)."
            }),
        ))
    }
}

enum Failure {
    Malformed,
    Unresolved,
}

impl From<Invalid> for Failure {
    fn from(_: Invalid) -> Self {
        Failure::Malformed
    }
}

/// The address or network in canonical form and its nftables family.
fn address(value: &str) -> Checked<(String, &'static str)> {
    if value.contains('%') {
        return Err("Scoped IPv6 is unsupported.".into());
    }
    if value.contains('/') {
        let (network, prefix) = ip_network(value)?;
        let family = if network.is_ipv4() { "ip" } else { "ip6" };
        return Ok((format!("{}/{prefix}", ip_text(network)), family));
    }
    let ip = ip_address(value)?;
    Ok((ip_text(ip), if ip.is_ipv4() { "ip" } else { "ip6" }))
}

fn port(value: &str) -> Checked<String> {
    let valid = (1..=5).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit());
    match value.parse::<u32>() {
        Ok(n) if valid && n <= 65535 => Ok(n.to_string()),
        _ => Err("Port must be an integer from 0 to 65535.".into()),
    }
}

fn rule_match(host: Option<(&str, &str)>, source: bool, port: Option<&str>) -> String {
    let mut parts = Vec::new();
    if let Some((host, family)) = host {
        let direction = if source { "saddr" } else { "daddr" };
        parts.push(format!("{family} {direction} {host}"));
    }
    if let Some(port) = port {
        parts.push("meta l4proto { tcp, udp }".to_owned());
        let direction = if source { "sport" } else { "dport" };
        parts.push(format!("th {direction} {port}"));
    }
    parts.join(" ")
}

/// Resolves names through the system resolver, once per name per export.
struct Resolver {
    cache: HashMap<String, Vec<(String, &'static str)>>,
}

impl Resolver {
    async fn addresses(&mut self, name: &str) -> Result<Vec<(String, &'static str)>, Failure> {
        if !self.cache.contains_key(name) {
            // The trailing dot keeps the resolver's search domains out of the lookup.
            let lookup = tokio::net::lookup_host((format!("{name}."), 0));
            let mut found = BTreeSet::new();
            if let Ok(Ok(addresses)) = tokio::time::timeout(DNS_TIMEOUT, lookup).await {
                for socket in addresses {
                    let ip = socket.ip();
                    found.insert((ip_text(ip), if ip.is_ipv4() { "ip" } else { "ip6" }));
                }
            }
            self.cache
                .insert(name.to_owned(), found.into_iter().collect());
        }
        match self.cache.get(name) {
            Some(list) if !list.is_empty() => Ok(list.clone()),
            _ => Err(Failure::Unresolved),
        }
    }
}

async fn matches(
    kind: &str,
    value: Option<&Value>,
    resolver: &mut Resolver,
) -> Result<Vec<String>, Failure> {
    let value = match value {
        Some(Value::String(s))
            if !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || (c as u32) < 32) =>
        {
            s.as_str()
        }
        _ => return Err(Failure::Malformed),
    };
    match kind {
        "port" => return Ok(vec![rule_match(None, false, Some(&port(value)?))]),
        "mac-address" => {
            let mac = value.replace('-', ":").to_ascii_lowercase();
            let groups: Vec<&str> = mac.split(':').collect();
            let valid = groups.len() == 6
                && groups
                    .iter()
                    .all(|g| g.len() == 2 && g.bytes().all(|b| b.is_ascii_hexdigit()));
            return if valid {
                Ok(vec![format!("ether saddr {mac}")])
            } else {
                Err(Failure::Malformed)
            };
        }
        "domain|ip" => {
            let (name, ip) = value.split_once('|').ok_or(Failure::Malformed)?;
            qualified_dns_name(name)?;
            let (host, family) = address(ip)?;
            return Ok(vec![
                rule_match(Some((&host, family)), false, None),
                rule_match(Some((&host, family)), true, None),
            ]);
        }
        _ => {}
    }
    let (host, port) = if kind.contains("|port") {
        let (host, raw) = value.split_once('|').ok_or(Failure::Malformed)?;
        (host, Some(port(raw)?))
    } else {
        (value, None)
    };
    if DNS_TYPES.contains(&kind) {
        let addresses = resolver.addresses(&qualified_dns_name(host)?).await?;
        let directions: &[bool] = if kind == "hostname|port" {
            &[false]
        } else {
            &[false, true]
        };
        let mut rules = Vec::new();
        for (ip, family) in &addresses {
            for source in directions {
                rules.push(rule_match(Some((ip, family)), *source, port.as_deref()));
            }
        }
        return Ok(rules);
    }
    let (ip, family) = address(host)?;
    Ok(vec![rule_match(
        Some((&ip, family)),
        kind.starts_with("ip-src"),
        port.as_deref(),
    )])
}

fn settings(config: &Map<String, Value>) -> Checked<(&'static str, bool)> {
    let action = match setting(config, "mode") {
        None => "counter drop",
        Some(Value::String(s)) if s == "block" => "counter drop",
        Some(Value::String(s)) if s == "log" => "counter log prefix \"MISP: \" level info",
        Some(_) => return Err("mode must be block or log.".into()),
    };
    Ok((action, flag(config.get("resolve_dns"), "resolve_dns")?))
}

async fn export(request: &QueryRequest) -> Checked<Value> {
    let config = config(request, "config must be an object.")?;
    let (action, resolve_dns) = settings(&config)?;
    let shape = DataShape::EventOrList(
        "data must be an event object or a list of events.",
        "Each event must be an object.",
    );
    let mut rules = BTreeSet::new();
    let mut skipped = Skips::default();
    let mut resolver = Resolver {
        cache: HashMap::new(),
    };
    let (mut port_only, mut mac_addresses) = (false, false);
    for source in sources(request.get("data"), shape)? {
        match gate(source.attribute, false)? {
            Gate::Deleted => {
                skipped.add("deleted");
                continue;
            }
            Gate::NotIds => {
                skipped.add("non-IDS");
                continue;
            }
            Gate::Keep { .. } => {}
        }
        let Some(kind) = source.kind().filter(|k| INPUT_TYPES.contains(k)) else {
            skipped.add("unsupported");
            continue;
        };
        if DNS_TYPES.contains(&kind) && !resolve_dns {
            skipped.add("DNS resolution disabled");
            continue;
        }
        match matches(kind, source.attribute.get("value"), &mut resolver).await {
            Ok(found) => rules.extend(found.into_iter().map(|m| format!("{m} {action}"))),
            Err(Failure::Malformed) => {
                skipped.add("malformed");
                continue;
            }
            Err(Failure::Unresolved) => {
                skipped.add("unresolved DNS");
                continue;
            }
        }
        port_only |= kind == "port";
        mac_addresses |= kind == "mac-address";
    }
    let mut file =
        String::from("# MISP netfilter nftables export: include inside an inet-family chain\n");
    for rule in &rules {
        file.push_str(rule);
        file.push('\n');
    }
    let mut warnings = skipped.attribute_warnings();
    if !resolver.cache.is_empty() {
        warnings.push(
            "DNS rules use export-time address snapshots; re-export to follow DNS changes."
                .to_owned(),
        );
    }
    if port_only {
        warnings.push("Standalone port attributes match that destination port for TCP and UDP on all addresses.".to_owned());
    }
    if mac_addresses {
        warnings.push("MAC attributes match Ethernet source addresses only on links where those headers are available.".to_owned());
    }
    let mut extra = vec![(
        "summary",
        json!({"count": rules.len(), "skipped": skipped.to_json()}),
    )];
    if !warnings.is_empty() {
        extra.push(("warnings", json!(warnings)));
    }
    Ok(answer(&file, extra))
}

#[async_trait]
impl Module for NetfilterExport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        export(&request)
            .await
            .map_err(|e| ModuleError::reported(format!("Netfilter nftables export: {}", e.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{decoded_data, query, reported};

    fn ids(kind: &str, value: &str) -> Value {
        json!({"type": kind, "value": value, "to_ids": "1"})
    }

    #[tokio::test]
    async fn log_mode_with_ports_networks_and_macs() {
        let body = json!({"data": {"Attribute": [
            ids("ip-dst|port", "2001:DB8::1|0443"),
            ids("ip-src", "192.0.2.77/24"),
            ids("port", "53"),
            ids("mac-address", "AA-BB-CC-00-11-22"),
            ids("ip-dst", "192.0.2.256"),
            json!({"type": "ip-dst", "value": "192.0.2.1", "to_ids": true, "deleted": true})
        ]}, "config": {"mode": "log"}});
        let answer = query(&NetfilterExport::new(), body).await.unwrap();
        let log = "counter log prefix \"MISP: \" level info";
        assert_eq!(
            decoded_data(&answer),
            format!(
                "# MISP netfilter nftables export: include inside an inet-family chain\n\
                ether saddr aa:bb:cc:00:11:22 {log}\n\
                ip saddr 192.0.2.0/24 {log}\n\
                ip6 daddr 2001:db8::1 meta l4proto {{ tcp, udp }} th dport 443 {log}\n\
                meta l4proto {{ tcp, udp }} th dport 53 {log}\n"
            )
        );
        assert_eq!(
            answer["summary"],
            json!({"count": 4, "skipped": {"malformed": 1, "deleted": 1}})
        );
        assert_eq!(
            answer["warnings"],
            json!([
                "Skipped 1 deleted attribute(s).",
                "Skipped 1 malformed attribute(s).",
                "Standalone port attributes match that destination port for TCP and UDP on all addresses.",
                "MAC attributes match Ethernet source addresses only on links where those headers are available."
            ])
        );
    }

    #[tokio::test]
    async fn dns_names_need_resolve_dns_and_are_validated_before_any_lookup() {
        let module = NetfilterExport::new();
        let event = json!({"Event": {"Attribute": [ids("hostname", "bad_name.example"), ids("domain", "localhost")]}});
        let off = query(&module, json!({"data": [event.clone()]}))
            .await
            .unwrap();
        assert_eq!(
            off["summary"]["skipped"],
            json!({"DNS resolution disabled": 2})
        );
        // Both names are refused by validation, so no lookup happens here.
        let on = query(
            &module,
            json!({"data": [event], "config": {"resolve_dns": true}}),
        )
        .await
        .unwrap();
        assert_eq!(on["summary"]["skipped"], json!({"malformed": 2}));
        assert!(
            on["warnings"]
                .as_array()
                .unwrap()
                .iter()
                .all(|w| !w.as_str().unwrap().contains("snapshots"))
        );
    }

    #[tokio::test]
    async fn settings_and_shapes_are_checked() {
        let module = NetfilterExport::new();
        for (body, message) in [
            (
                json!({"data": [], "config": {"mode": "reject"}}),
                "mode must be block or log.",
            ),
            (
                json!({"data": [], "config": {"resolve_dns": "maybe"}}),
                "resolve_dns must be true, false, 1 or 0.",
            ),
            (
                json!({"data": "x"}),
                "data must be an event object or a list of events.",
            ),
            (json!({"data": [1]}), "Each event must be an object."),
        ] {
            assert_eq!(
                reported(query(&module, body).await),
                format!("Netfilter nftables export: {message}")
            );
        }
    }
}

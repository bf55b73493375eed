//! Vendor-neutral address/port matches, shared by the router and firewall exporters.

use std::collections::{BTreeSet, HashMap};
use std::net::IpAddr;

use async_trait::async_trait;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::*;

/// The network attribute types of the firewall exporters, sorted.
pub(in crate::builtin::export) const NETWORK_TYPES: [&str; 9] = [
    "domain",
    "domain|ip",
    "hostname",
    "hostname|port",
    "ip-dst",
    "ip-dst|port",
    "ip-src",
    "ip-src|port",
    "port",
];

pub(super) const DNS_TYPES: [&str; 3] = ["domain", "hostname", "hostname|port"];

/// Which end of a connection the indicator address is on. `Dst` sorts first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(in crate::builtin::export) enum Direction {
    Dst,
    Src,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Dst => "dst",
            Direction::Src => "src",
        }
    }
}

/// One vendor-neutral match: traffic to or from `address`, optionally TCP or UDP with a
/// port on that same end. Ordered by family, direction, address text, protocol, port.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(in crate::builtin::export) struct AclRule {
    pub family: u8,
    pub direction: Direction,
    pub address: String,
    /// `tcp`, `udp`, or empty for any protocol.
    pub protocol: &'static str,
    /// Digits, or empty for no port.
    pub port: String,
    pub net: Net,
}

impl AclRule {
    pub(super) fn matches(net: Net, direction: Direction, port: &str) -> Vec<AclRule> {
        let protocols: &[&'static str] = if port.is_empty() {
            &[""]
        } else {
            &["tcp", "udp"]
        };
        protocols
            .iter()
            .map(|protocol| AclRule {
                family: net.family(),
                direction,
                address: net.to_string(),
                protocol,
                port: port.to_owned(),
                net,
            })
            .collect()
    }

    /// A stable 16-hex-digit name part derived from the match itself, so re-exports keep
    /// the names of unchanged entries.
    pub fn key(&self) -> String {
        let text = format!(
            "{}|{}|{}|{}|{}",
            self.family,
            self.direction.as_str(),
            self.address,
            self.protocol,
            self.port
        );
        Sha256::digest(text.as_bytes())
            .iter()
            .take(8)
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    pub fn is_source(&self) -> bool {
        self.direction == Direction::Src
    }

    pub fn any_net(&self) -> Net {
        Net::any(self.family)
    }

    pub fn source_net(&self) -> Net {
        if self.is_source() {
            self.net
        } else {
            self.any_net()
        }
    }

    pub fn destination_net(&self) -> Net {
        if self.is_source() {
            self.any_net()
        } else {
            self.net
        }
    }

    pub fn source(&self) -> String {
        self.source_net().to_string()
    }

    pub fn destination(&self) -> String {
        self.destination_net().to_string()
    }
}

/// Looks up the addresses of a DNS name. Only used when an export asks for `resolve_dns`.
#[async_trait]
pub(in crate::builtin::export) trait Resolver: Send + Sync {
    async fn resolve(&self, name: &str) -> std::io::Result<Vec<IpAddr>>;
}

/// The system resolver, through tokio.
pub(in crate::builtin::export) struct SystemResolver;

#[async_trait]
impl Resolver for SystemResolver {
    async fn resolve(&self, name: &str) -> std::io::Result<Vec<IpAddr>> {
        // The trailing dot keeps search domains out of the lookup.
        let found = tokio::net::lookup_host((format!("{name}."), 0)).await?;
        Ok(found
            .filter(|endpoint| match endpoint {
                std::net::SocketAddr::V6(v6) => v6.scope_id() == 0,
                std::net::SocketAddr::V4(_) => true,
            })
            .map(|endpoint| endpoint.ip())
            .collect())
    }
}

pub(super) enum Failure {
    Malformed,
    Unresolved,
}

impl From<Invalid> for Failure {
    fn from(_: Invalid) -> Self {
        Failure::Malformed
    }
}

/// The addresses of `name`, looked up once per export.
async fn resolve(
    name: &str,
    cache: &mut HashMap<String, Vec<Net>>,
    resolver: &dyn Resolver,
) -> Result<Vec<Net>, Failure> {
    if !cache.contains_key(name) {
        let mut found: Vec<Net> = resolver
            .resolve(name)
            .await
            .unwrap_or_default()
            .into_iter()
            .map(Net::host)
            .collect();
        found.sort();
        found.dedup();
        cache.insert(name.to_owned(), found);
    }
    match cache.get(name) {
        Some(found) if !found.is_empty() => Ok(found.clone()),
        _ => Err(Failure::Unresolved),
    }
}

pub(super) fn split_pair<'a>(value: &'a str, what: &str) -> Result<(&'a str, &'a str), Invalid> {
    value
        .split_once('|')
        .ok_or_else(|| Invalid(format!("Missing {what} separator.")))
}

async fn indicator_rules(
    kind: &str,
    value: &Value,
    cache: &mut HashMap<String, Vec<Net>>,
    resolver: &dyn Resolver,
) -> Result<Vec<AclRule>, Failure> {
    let value = indicator_text(value)?;
    if kind == "port" {
        let port = port(value)?;
        let mut rules = AclRule::matches(Net::any(4), Direction::Dst, &port);
        rules.extend(AclRule::matches(Net::any(6), Direction::Dst, &port));
        return Ok(rules);
    }
    if kind == "domain|ip" {
        let (name, address) = split_pair(value, "domain/IP")?;
        hostname(name)?;
        let net = Net::parse(address)?;
        let mut rules = AclRule::matches(net, Direction::Src, "");
        rules.extend(AclRule::matches(net, Direction::Dst, ""));
        return Ok(rules);
    }
    let (host, port) = if kind.ends_with("|port") {
        let (host, raw_port) = split_pair(value, "host/port")?;
        (host, port(raw_port)?)
    } else {
        (value, String::new())
    };
    if DNS_TYPES.contains(&kind) {
        let name = hostname(host)?;
        let directions: &[Direction] = if kind == "hostname|port" {
            &[Direction::Dst]
        } else {
            &[Direction::Src, Direction::Dst]
        };
        let mut rules = Vec::new();
        for net in resolve(&name, cache, resolver).await? {
            for direction in directions {
                rules.extend(AclRule::matches(net, *direction, &port));
            }
        }
        return Ok(rules);
    }
    let direction = if kind.starts_with("ip-src") {
        Direction::Src
    } else {
        Direction::Dst
    };
    Ok(AclRule::matches(Net::parse(host)?, direction, &port))
}

/// The deduplicated matches of an export and what was left out.
pub(in crate::builtin::export) struct Collected {
    pub rules: BTreeSet<AclRule>,
    pub skipped: Skipped,
    /// Whether any DNS name was looked up.
    pub resolved: bool,
    /// Whether a standalone `port` attribute contributed.
    pub port_only: bool,
}

pub(in crate::builtin::export) async fn collect_rules(
    data: Option<&Value>,
    resolve_dns: bool,
    port_zero: bool,
    resolver: &dyn Resolver,
) -> Result<Collected, Invalid> {
    let mut collected = Collected {
        rules: BTreeSet::new(),
        skipped: Skipped::default(),
        resolved: false,
        port_only: false,
    };
    let mut cache = HashMap::new();
    for attribute in attribute_stream(data) {
        let (kind, value) = match screen(attribute?, &NETWORK_TYPES)? {
            Screened::Skip(reason) => {
                collected.skipped.add(reason);
                continue;
            }
            Screened::Keep { kind, value } => (kind, value),
        };
        if DNS_TYPES.contains(&kind) && !resolve_dns {
            collected.skipped.add("DNS resolution disabled");
            continue;
        }
        let rules = match indicator_rules(kind, value, &mut cache, resolver).await {
            Ok(rules) => rules,
            Err(Failure::Malformed) => {
                collected.skipped.add("malformed");
                continue;
            }
            Err(Failure::Unresolved) => {
                collected.skipped.add("unresolved DNS");
                continue;
            }
        };
        if !port_zero && rules.iter().any(|rule| rule.port == "0") {
            collected.skipped.add("unsupported port zero");
            continue;
        }
        collected.rules.extend(rules);
        collected.port_only |= kind == "port";
    }
    collected.resolved = !cache.is_empty();
    Ok(collected)
}

pub(in crate::builtin::export) const RESOLVED_WARNING: &str =
    "DNS rules use export-time address snapshots; re-export to follow DNS changes.";
pub(in crate::builtin::export) const PORT_ONLY_WARNING: &str =
    "Standalone ports match that TCP/UDP destination port on all IPv4 and IPv6 addresses.";

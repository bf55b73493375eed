//! What the firewall and WAF exporters share: reading settings, walking the attributes of
//! events in any layout, screening them (deleted, `to_ids`, type), validating network
//! indicators, turning them into vendor-neutral address/port matches, optional DNS
//! resolution, and the answer with its summary and warnings. Each exporter file keeps only
//! its own rule syntax.

use std::collections::{BTreeSet, HashMap};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::export_answer;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

/// A message for the user; the caller prefixes it with the exporter's title.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Invalid(pub String);

impl<T: Into<String>> From<T> for Invalid {
    fn from(message: T) -> Self {
        Invalid(message.into())
    }
}

// ---------------------------------------------------------------------------------------
// Settings

/// A yes/no field: absent, null and "" are false; accepted are booleans, 0/1 and the
/// strings true/false/1/0 in any case. Anything else is an error naming the field.
pub(super) fn flag(value: Option<&Value>, name: &str) -> Result<bool, Invalid> {
    let parsed = match value {
        None | Some(Value::Null) => Some(false),
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(0) => Some(false),
            Some(1) => Some(true),
            _ => None,
        },
        Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "" | "false" | "0" => Some(false),
            "true" | "1" => Some(true),
            _ => None,
        },
        Some(_) => None,
    };
    parsed.ok_or_else(|| format!("{name} must be true, false, 1 or 0.").into())
}

/// The request's `config`; a missing or null one counts as empty.
pub(super) fn config_object(request: &QueryRequest) -> Result<Map<String, Value>, Invalid> {
    match request.get("config") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(config)) => Ok(config.clone()),
        Some(_) => Err("config must be an object.".into()),
    }
}

/// A config value, with null and "" meaning "not set".
pub(super) fn setting<'a>(config: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    config
        .get(key)
        .filter(|v| !v.is_null() && v.as_str() != Some(""))
}

/// Whether `value` is a letter followed by at most `limit - 1` ASCII letters, digits, `_`
/// or `-`: safe to paste unquoted into any of the generated configurations.
pub(super) fn is_name_token(value: &str, limit: usize) -> bool {
    let mut chars = value.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && value.len() <= limit
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// A name-like setting (prefix, zone, interface), `default` when unset.
pub(super) fn token(
    config: &Map<String, Value>,
    key: &str,
    default: &str,
    limit: usize,
) -> Result<String, Invalid> {
    match setting(config, key) {
        None => Ok(default.to_owned()),
        Some(Value::String(s)) if is_name_token(s, limit) => Ok(s.clone()),
        Some(_) => Err(format!(
            "{key} must start with a letter and contain 1-{limit} ASCII letters, digits, _ or -."
        )
        .into()),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mode {
    Block,
    Log,
}

pub(super) fn mode(config: &Map<String, Value>) -> Result<Mode, Invalid> {
    match setting(config, "mode") {
        None => Ok(Mode::Block),
        Some(Value::String(s)) if s == "block" => Ok(Mode::Block),
        Some(Value::String(s)) if s == "log" => Ok(Mode::Log),
        Some(_) => Err("mode must be block or log.".into()),
    }
}

/// A whole-number setting given as digits (string or JSON integer), within `range`.
pub(super) fn number_setting(
    config: &Map<String, Value>,
    key: &str,
    default: u64,
    max_digits: usize,
    range: std::ops::RangeInclusive<u64>,
    message: &str,
) -> Result<u64, Invalid> {
    let text = match setting(config, key) {
        None => return Ok(default),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
        Some(_) => return Err(message.into()),
    };
    let digits_ok =
        !text.is_empty() && text.len() <= max_digits && text.bytes().all(|b| b.is_ascii_digit());
    // Long digit strings are out of range anyway; saturating keeps them out of u64 trouble.
    let number = digits_ok.then(|| {
        text.bytes().fold(0u64, |n, b| {
            n.saturating_mul(10).saturating_add(u64::from(b - b'0'))
        })
    });
    number
        .filter(|n| range.contains(n))
        .ok_or_else(|| message.into())
}

// ---------------------------------------------------------------------------------------
// Attributes

fn records<'a>(list: Option<&'a Value>, key: &str) -> Result<Vec<&'a Map<String, Value>>, Invalid> {
    let bad = || Invalid(format!("{key} must be a list of objects."));
    match list {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_object().ok_or_else(bad))
            .collect(),
        Some(_) => Err(bad()),
    }
}

fn walk<'a>(
    data: Option<&'a Value>,
    out: &mut Vec<Result<&'a Map<String, Value>, Invalid>>,
) -> Result<(), Invalid> {
    let envelopes: Vec<&Value> = match data {
        Some(single @ Value::Object(_)) => vec![single],
        Some(Value::Array(list)) => list.iter().collect(),
        _ => return Err("data must be an event object or a list of events.".into()),
    };
    for envelope in envelopes {
        let envelope = envelope
            .as_object()
            .ok_or("Each event must be an object.")?;
        let event = match envelope.get("Event") {
            None => envelope,
            Some(Value::Object(event)) => event,
            Some(_) => return Err("Event must be an object.".into()),
        };
        if flag(event.get("deleted"), "deleted")? {
            continue;
        }
        // Lists beside `Event` (one export layout) take precedence over nested ones.
        let pick = |key: &str| envelope.get(key).or_else(|| event.get(key));
        out.extend(records(pick("Attribute"), "Attribute")?.into_iter().map(Ok));
        for object in records(pick("Object"), "Object")? {
            if flag(object.get("deleted"), "deleted")? {
                continue;
            }
            out.extend(
                records(object.get("Attribute"), "Attribute")?
                    .into_iter()
                    .map(Ok),
            );
        }
    }
    Ok(())
}

/// Every attribute of the events (top level, then inside non-deleted objects) in order.
/// A structural problem becomes the last item, so that the attributes before it are
/// still screened first and the first problem met is the one reported.
pub(super) fn attribute_stream(data: Option<&Value>) -> Vec<Result<&Map<String, Value>, Invalid>> {
    let mut out = Vec::new();
    if let Err(problem) = walk(data, &mut out) {
        out.push(Err(problem));
    }
    out
}

/// The outcome of the common checks on one attribute.
pub(super) enum Screened<'a> {
    Skip(&'static str),
    Keep { kind: &'a str, value: &'a Value },
}

pub(super) fn screen<'a>(
    attribute: &'a Map<String, Value>,
    supported: &[&str],
) -> Result<Screened<'a>, Invalid> {
    if flag(attribute.get("deleted"), "deleted")? {
        return Ok(Screened::Skip("deleted"));
    }
    if !flag(attribute.get("to_ids"), "to_ids")? {
        return Ok(Screened::Skip("non-IDS"));
    }
    match attribute.get("type").and_then(Value::as_str) {
        Some(kind) if supported.contains(&kind) => Ok(Screened::Keep {
            kind,
            value: attribute.get("value").unwrap_or(&Value::Null),
        }),
        _ => Ok(Screened::Skip("unsupported")),
    }
}

/// Counts of skipped attributes per reason, in the order the reasons first occurred.
#[derive(Debug, Default)]
pub(super) struct Skipped(Vec<(&'static str, usize)>);

impl Skipped {
    pub fn add(&mut self, reason: &'static str) {
        match self.0.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, count)) => *count += 1,
            None => self.0.push((reason, 1)),
        }
    }

    /// One warning per reason, sorted by reason.
    pub fn warnings(&self) -> Vec<String> {
        let mut sorted = self.0.clone();
        sorted.sort();
        sorted
            .into_iter()
            .map(|(reason, n)| format!("Skipped {n} {reason} attribute(s)."))
            .collect()
    }

    fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(r, n)| ((*r).to_owned(), json!(n)))
                .collect(),
        )
    }
}

/// The export answer with `summary` and, unless empty, `warnings`.
pub(super) fn answer(file: &str, count: usize, skipped: &Skipped, warnings: Vec<String>) -> Value {
    let mut answer = export_answer(file);
    answer["summary"] = json!({"count": count, "skipped": skipped.to_json()});
    if !warnings.is_empty() {
        answer["warnings"] = json!(warnings);
    }
    answer
}

// ---------------------------------------------------------------------------------------
// Indicator values

/// A non-empty string without whitespace or control characters.
pub(super) fn indicator_text(value: &Value) -> Result<&str, Invalid> {
    match value.as_str() {
        Some(s) if !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control()) => {
            Ok(s)
        }
        _ => Err(
            "Indicator must be a non-empty string without whitespace or control characters.".into(),
        ),
    }
}

/// A qualified DNS name in lower-case ASCII (IDNA for non-ASCII names), one trailing dot
/// dropped. Single labels and numeric top-level labels are refused so that no keyword,
/// interface name or address can pass as a host name.
pub(super) fn hostname(value: &str) -> Result<String, Invalid> {
    let bad = || Invalid("Invalid qualified DNS name.".into());
    let trimmed = value.strip_suffix('.').unwrap_or(value);
    let ascii = if trimmed.is_ascii() {
        trimmed.to_owned()
    } else {
        idna::domain_to_ascii(trimmed).map_err(|_| bad())?
    };
    let name = ascii.to_ascii_lowercase();
    let labels: Vec<&str> = name.split('.').collect();
    let label_ok = |label: &str| {
        let bytes = label.as_bytes();
        (1..=63).contains(&bytes.len())
            && bytes
                .iter()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
            && bytes.first() != Some(&b'-')
            && bytes.last() != Some(&b'-')
    };
    let valid = name.len() <= 253
        && labels.len() >= 2
        && labels
            .last()
            .is_some_and(|tld| tld.bytes().any(|b| b.is_ascii_lowercase()))
        && labels.iter().all(|l| label_ok(l));
    if valid { Ok(name) } else { Err(bad()) }
}

/// A port of one to five digits up to 65535, without leading zeros.
pub(super) fn port(value: &str) -> Result<String, Invalid> {
    let valid = (1..=5).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit());
    match value.parse::<u32>() {
        Ok(n) if valid && n <= 65535 => Ok(n.to_string()),
        _ => Err("Port must be an integer from 0 to 65535.".into()),
    }
}

/// An IPv6 address written the way the reference's exports write it: lower-case hex,
/// longest zero run (leftmost on ties, two or more groups) shortened to `::`, and no
/// dotted-quad tail even for IPv4-mapped addresses.
pub(super) fn ipv6_text(address: Ipv6Addr) -> String {
    let groups = address.segments();
    let (mut best, mut best_len, mut run_start, mut run_len) = (0, 0, 0, 0);
    for (i, group) in groups.iter().enumerate() {
        if *group == 0 {
            if run_len == 0 {
                run_start = i;
            }
            run_len += 1;
            if run_len > best_len {
                (best, best_len) = (run_start, run_len);
            }
        } else {
            run_len = 0;
        }
    }
    let hex = |part: &[u16]| {
        part.iter()
            .map(|g| format!("{g:x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    if best_len > 1 {
        format!(
            "{}::{}",
            hex(&groups[..best]),
            hex(&groups[best + best_len..])
        )
    } else {
        hex(&groups)
    }
}

pub(super) fn ip_text(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => ipv6_text(v6),
    }
}

/// A single address; zone suffixes (`%eth0`) are refused.
pub(super) fn parse_address(value: &str) -> Result<IpAddr, Invalid> {
    if value.contains('%') {
        return Err("Scoped IPv6 is unsupported.".into());
    }
    value
        .parse::<IpAddr>()
        .map_err(|_| format!("{value} is not an IPv4 or IPv6 address.").into())
}

/// An IP network. Host bits are cleared; an address alone is a host network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) struct Net {
    network: IpAddr,
    prefix: u8,
}

fn prefix_digits(text: &str, max: u8) -> Option<u8> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let trimmed = text.trim_start_matches('0');
    if trimmed.len() > 3 {
        return None;
    }
    let n: u8 = if trimmed.is_empty() {
        0
    } else {
        trimmed.parse().ok()?
    };
    (n <= max).then_some(n)
}

/// The prefix length of a contiguous IPv4 mask, read as a netmask and else as a hostmask.
fn ipv4_mask_prefix(mask: Ipv4Addr) -> Option<u8> {
    let contiguous = |bits: u32| {
        let ones = bits.leading_ones();
        (bits.checked_shl(ones).unwrap_or(0) == 0).then_some(ones as u8)
    };
    let bits = u32::from(mask);
    contiguous(bits).or_else(|| contiguous(!bits))
}

impl Net {
    /// `address[/prefix]`; IPv4 also takes a dotted netmask or hostmask as prefix.
    pub fn parse(value: &str) -> Result<Net, Invalid> {
        let bad = || Invalid(format!("{value} is not an IPv4 or IPv6 network."));
        let (address, prefix) = match value.split_once('/') {
            Some((address, prefix)) => (address, Some(prefix)),
            None => (value, None),
        };
        let address = parse_address(address)?;
        let prefix = match (address, prefix) {
            (_, None) => None,
            (IpAddr::V4(_), Some(p)) => Some(
                prefix_digits(p, 32)
                    .or_else(|| p.parse::<Ipv4Addr>().ok().and_then(ipv4_mask_prefix))
                    .ok_or_else(bad)?,
            ),
            (IpAddr::V6(_), Some(p)) => Some(prefix_digits(p, 128).ok_or_else(bad)?),
        };
        let mut net = Net::host(address);
        if let Some(prefix) = prefix {
            net = net.with_prefix(prefix);
        }
        Ok(net)
    }

    pub fn host(address: IpAddr) -> Net {
        let prefix = if address.is_ipv4() { 32 } else { 128 };
        Net {
            network: address,
            prefix,
        }
    }

    /// `0.0.0.0/0` or `::/0`.
    pub fn any(family: u8) -> Net {
        let network = if family == 4 {
            IpAddr::V4(Ipv4Addr::UNSPECIFIED)
        } else {
            IpAddr::V6(Ipv6Addr::UNSPECIFIED)
        };
        Net { network, prefix: 0 }
    }

    fn with_prefix(self, prefix: u8) -> Net {
        let network = match self.network {
            IpAddr::V4(a) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V4(Ipv4Addr::from(u32::from(a) & mask))
            }
            IpAddr::V6(a) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V6(Ipv6Addr::from(u128::from(a) & mask))
            }
        };
        Net { network, prefix }
    }

    pub fn family(&self) -> u8 {
        if self.network.is_ipv4() { 4 } else { 6 }
    }

    pub fn prefix(&self) -> u8 {
        self.prefix
    }

    pub fn is_host(&self) -> bool {
        self.prefix == if self.family() == 4 { 32 } else { 128 }
    }

    pub fn address_text(&self) -> String {
        ip_text(self.network)
    }

    /// The dotted netmask of an IPv4 network.
    pub fn netmask_text(&self) -> String {
        let mask = u32::MAX
            .checked_shl(32 - u32::from(self.prefix))
            .unwrap_or(0);
        Ipv4Addr::from(mask).to_string()
    }

    /// The dotted wildcard (inverted) mask of an IPv4 network.
    pub fn hostmask_text(&self) -> String {
        let mask = u32::MAX
            .checked_shl(32 - u32::from(self.prefix))
            .unwrap_or(0);
        Ipv4Addr::from(!mask).to_string()
    }
}

impl fmt::Display for Net {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.address_text(), self.prefix)
    }
}

// ---------------------------------------------------------------------------------------
// Network matches shared by the router and firewall exporters

/// The network attribute types of the firewall exporters, sorted.
pub(super) const NETWORK_TYPES: [&str; 9] = [
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

const DNS_TYPES: [&str; 3] = ["domain", "hostname", "hostname|port"];

/// Which end of a connection the indicator address is on. `Dst` sorts first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(super) enum Direction {
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
pub(super) struct AclRule {
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
    fn matches(net: Net, direction: Direction, port: &str) -> Vec<AclRule> {
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
pub(super) trait Resolver: Send + Sync {
    async fn resolve(&self, name: &str) -> std::io::Result<Vec<IpAddr>>;
}

/// The system resolver, through tokio.
pub(super) struct SystemResolver;

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

enum Failure {
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

fn split_pair<'a>(value: &'a str, what: &str) -> Result<(&'a str, &'a str), Invalid> {
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
pub(super) struct Collected {
    pub rules: BTreeSet<AclRule>,
    pub skipped: Skipped,
    /// Whether any DNS name was looked up.
    pub resolved: bool,
    /// Whether a standalone `port` attribute contributed.
    pub port_only: bool,
}

pub(super) async fn collect_rules(
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

pub(super) const RESOLVED_WARNING: &str =
    "DNS rules use export-time address snapshots; re-export to follow DNS changes.";
pub(super) const PORT_ONLY_WARNING: &str =
    "Standalone ports match that TCP/UDP destination port on all IPv4 and IPv6 addresses.";

// ---------------------------------------------------------------------------------------
// The exporters built on the vendor-neutral matches

const PLACEMENT_WARNING: &str = "Configuration fragment: place generated entries before existing terminal decisions, preserve the site's final policy and remove stale managed entries when refreshing indicators.";
pub(super) const PERMIT_LOG_WARNING: &str = "Logging mode permits matching traffic and stops policy evaluation; later denies can be bypassed.";

/// The settings every match-based exporter reads.
#[derive(Debug, Clone)]
pub(super) struct AclSettings {
    pub mode: Mode,
    pub name_prefix: String,
    pub resolve_dns: bool,
}

/// One vendor's syntax for the vendor-neutral matches.
pub(super) trait AclDialect: Send + Sync + 'static {
    /// Settings of the vendor's own, read after the common ones.
    type Extra: Send + Sync;

    /// Human name, used in the file header and as prefix of error messages.
    const TITLE: &'static str;
    /// Comment leader of the configuration language.
    const COMMENT: &'static str = "#";
    /// Whether port 0 can be written; if not, such attributes are skipped.
    const PORT_ZERO: bool = true;

    fn configure(
        &self,
        config: &Map<String, Value>,
        settings: &mut AclSettings,
    ) -> Result<Self::Extra, Invalid>;

    fn render(
        &self,
        rules: &[AclRule],
        settings: &AclSettings,
        extra: &Self::Extra,
    ) -> Result<Vec<String>, Invalid>;

    /// Warnings about how the entries interact with the device's policy.
    fn policy_warnings(&self, settings: &AclSettings) -> Vec<&'static str>;
}

/// A match-based exporter: one dialect plus the shared flow.
pub(super) struct AclModule<D> {
    descriptor: ModuleDescriptor,
    dialect: D,
    resolver: Arc<dyn Resolver>,
}

/// The descriptor shared by the match-based exporters; `extra` are the dialect's own
/// string settings with their help texts.
pub(super) fn acl_descriptor(
    name: &str,
    title: &str,
    description: &str,
    output: &str,
    extra: &[(&str, &str)],
    prefix_limit: usize,
) -> ModuleDescriptor {
    let mut user_config = Map::new();
    user_config.insert(
        "mode".into(),
        json!({"type": "String", "message": "block (default) drops matching traffic; log records it, with the vendor's logging semantics"}),
    );
    user_config.insert(
        "name_prefix".into(),
        json!({"type": "String", "message": format!("Prefix of generated names: a letter, then up to {} letters, digits, _ or - (default MISP-IOC)", prefix_limit - 1)}),
    );
    user_config.insert(
        "resolve_dns".into(),
        json!({"type": "Boolean", "message": "Look up domain and hostname indicators when exporting (default false)"}),
    );
    for (key, message) in extra {
        user_config.insert((*key).into(), json!({"type": "String", "message": message}));
    }
    let config: Vec<&String> = user_config.keys().collect();
    descriptor(
        name,
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
            "name": title,
            "description": description,
            "module-type": ["export"],
            "config": config,
            "input": "Events in either export layout, or bare events; attributes of objects count too. Only attributes marked to_ids are exported.",
            "output": output,
        }),
    )
}

impl<D: AclDialect> AclModule<D> {
    pub fn new(descriptor: ModuleDescriptor, dialect: D) -> Self {
        Self {
            descriptor,
            dialect,
            resolver: Arc::new(SystemResolver),
        }
    }

    #[cfg(test)]
    pub fn with_resolver(mut self, resolver: Arc<dyn Resolver>) -> Self {
        self.resolver = resolver;
        self
    }

    async fn export(&self, request: &QueryRequest) -> Result<Value, Invalid> {
        let config = config_object(request)?;
        let mut settings = AclSettings {
            mode: mode(&config)?,
            name_prefix: token(&config, "name_prefix", "MISP-IOC", 27)?,
            resolve_dns: flag(config.get("resolve_dns"), "resolve_dns")?,
        };
        let extra = self.dialect.configure(&config, &mut settings)?;
        let collected = collect_rules(
            request.get("data"),
            settings.resolve_dns,
            D::PORT_ZERO,
            &*self.resolver,
        )
        .await?;
        let mut warnings = collected.skipped.warnings();
        if !collected.rules.is_empty() {
            warnings.push(PLACEMENT_WARNING.to_owned());
            warnings.extend(
                self.dialect
                    .policy_warnings(&settings)
                    .into_iter()
                    .map(str::to_owned),
            );
        }
        if collected.resolved {
            warnings.push(RESOLVED_WARNING.to_owned());
        }
        if collected.port_only {
            warnings.push(PORT_ONLY_WARNING.to_owned());
        }
        let rules: Vec<AclRule> = collected.rules.into_iter().collect();
        let mut lines = vec![format!(
            "{} MISP {}: IDS-marked network attributes",
            D::COMMENT,
            D::TITLE
        )];
        lines.extend(warnings.iter().map(|w| format!("{} {w}", D::COMMENT)));
        lines.extend(self.dialect.render(&rules, &settings, &extra)?);
        let file = lines.join("\n") + "\n";
        Ok(answer(&file, rules.len(), &collected.skipped, warnings))
    }
}

#[async_trait]
impl<D: AclDialect> Module for AclModule<D> {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.descriptor
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        self.export(&request)
            .await
            .map_err(|Invalid(message)| ModuleError::reported(format!("{}: {message}", D::TITLE)))
    }
}

#[cfg(test)]
pub(super) mod test_support {
    use std::collections::HashMap;
    use std::net::IpAddr;
    use std::sync::Arc;

    use async_trait::async_trait;
    use serde_json::{Value, json};

    use super::Resolver;
    use crate::builtin::testing::query;
    use crate::engine::Module;

    /// Two events (one per export layout) with every supported indicator kind, plus
    /// non-IDS, deleted, unsupported and malformed attributes and a deleted object.
    pub const EVENT: &str = include_str!("testdata/firewall_event.json");

    /// A resolver answering from a fixed table; other names fail like NXDOMAIN.
    pub struct FixedResolver(pub HashMap<String, Vec<IpAddr>>);

    #[async_trait]
    impl Resolver for FixedResolver {
        async fn resolve(&self, name: &str) -> std::io::Result<Vec<IpAddr>> {
            self.0
                .get(name)
                .cloned()
                .ok_or_else(|| std::io::Error::other("no such name"))
        }
    }

    /// The resolver for a fixture's `dns` table (empty without one).
    pub fn fixture_resolver(fixture: &str) -> Arc<dyn Resolver> {
        let fixture: Value = serde_json::from_str(fixture).unwrap();
        let table = fixture["dns"]
            .as_object()
            .into_iter()
            .flatten()
            .map(|(name, found)| {
                let found = found.as_array().unwrap();
                let found = found.iter().map(|a| a.as_str().unwrap().parse().unwrap());
                (name.clone(), found.collect())
            })
            .collect();
        Arc::new(FixedResolver(table))
    }

    pub use crate::builtin::testing::decoded_data as file_of;

    /// Runs `module` on [`EVENT`] with the fixture's config and checks the answer against
    /// the one the reference gave (its `data` stored decoded), key order included.
    pub async fn assert_fixture(module: &dyn Module, fixture: &str) {
        let fixture: Value = serde_json::from_str(fixture).unwrap();
        let event: Value = serde_json::from_str(EVENT).unwrap();
        let body = json!({"module": module.name(), "data": event, "config": fixture["config"]});
        let mut answer = query(module, body).await.unwrap();
        answer["data"] = json!(file_of(&answer));
        let expected = &fixture["answer"];
        assert_eq!(answer["data"], expected["data"], "exported file");
        assert_eq!(
            serde_json::to_string_pretty(&answer).unwrap(),
            serde_json::to_string_pretty(expected).unwrap()
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn networks_parse_and_print_like_the_reference() {
        let cases = [
            ("198.51.100.7", "198.51.100.7/32"),
            ("10.1.2.3/8", "10.0.0.0/8"),
            ("10.1.2.3/255.255.0.0", "10.1.0.0/16"),
            ("10.1.2.3/0.0.255.255", "10.1.0.0/16"),
            ("10.1.2.3/08", "10.0.0.0/8"),
            ("2001:DB8::1/64", "2001:db8::/64"),
            ("::ffff:1.2.3.4", "::ffff:102:304/128"),
            ("2001:db8:0:1:0:0:0:1", "2001:db8:0:1::1/128"),
            ("0:0:1:0:0:1:0:0", "::1:0:0:1:0:0/128"),
        ];
        for (input, expected) in cases {
            assert_eq!(Net::parse(input).unwrap().to_string(), expected, "{input}");
        }
        for bad in [
            "01.2.3.4",
            "1.2.3.4/33",
            "1.2.3.4/",
            "1.2.3.4/+8",
            "fe80::1%eth0",
            "1.2.3.4/255.0.255.0",
            "::1/1.2.3.4",
            "1.2.3.4/8/9",
        ] {
            assert!(Net::parse(bad).is_err(), "{bad}");
        }
        let net = Net::parse("192.0.2.0/24").unwrap();
        assert_eq!(
            (net.netmask_text(), net.hostmask_text()),
            ("255.255.255.0".into(), "0.0.0.255".into())
        );
    }

    #[test]
    fn host_names_must_be_qualified() {
        assert_eq!(hostname("WWW.Example.COM.").unwrap(), "www.example.com");
        assert_eq!(hostname("bücher.example").unwrap(), "xn--bcher-kva.example");
        for bad in [
            "localhost",
            "a.123",
            "-a.example",
            "a..example",
            "a_b.example",
            "a.example..",
        ] {
            assert!(hostname(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn flags_and_ports() {
        assert_eq!(flag(Some(&json!("TRUE")), "x"), Ok(true));
        assert_eq!(flag(Some(&json!(0)), "x"), Ok(false));
        assert_eq!(
            flag(Some(&json!(2)), "x"),
            Err(Invalid("x must be true, false, 1 or 0.".into()))
        );
        assert!(flag(Some(&json!(1.0)), "x").is_err());
        assert_eq!(port("00443").unwrap(), "443");
        assert!(port("65536").is_err() && port("000001").is_err() && port("").is_err());
    }

    #[test]
    fn rule_keys_hash_the_match() {
        let rule = &AclRule::matches(Net::parse("198.51.100.7").unwrap(), Direction::Dst, "")[0];
        assert_eq!(rule.key(), "b45d3e3e11abb357");
    }
}

//! `squid_export`: IDS-marked proxy indicators (addresses, networks, domains, hosts, HTTP(S)
//! URLs, ports and their pairs) as Squid ACLs, each followed by an `http_access deny`.

use std::collections::BTreeSet;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::indicators::syntax::{SplitUrl, ip_address, ip_network, ip_text, qualified_dns_name};
use super::indicators::{Checked, DataShape, Gate, Skips, answer, gate, sources};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

const INPUT_TYPES: [&str; 9] = [
    "domain",
    "domain|ip",
    "hostname",
    "hostname|port",
    "ip-dst",
    "ip-dst|port",
    "ip-src",
    "port",
    "url",
];

pub struct SquidExport(ModuleDescriptor);

impl SquidExport {
    pub fn new() -> Self {
        Self(descriptor(
            "squid_export",
            ModuleType::Export,
            json!({
                "input": INPUT_TYPES,
                "inputSource": ["event", "event-collection"],
                "outputFileExtension": "conf",
                "responseType": "text/plain"
            }),
            json!({
                "version": "1.0",
                "author": "misp-modules-stack",
                "description": "Writes the IDS-marked proxy indicators of the events as Squid ACLs with deny rules; pairs such as host and port stay one rule.",
                "module-type": ["export"],
                "name": "Squid Proxy Export",
                "config": [],
                "input": "Events in any MISP layout; object attributes are read too. Only to_ids attributes; deleted ones are left out.",
                "output": "A Squid configuration fragment to include before the allow rules; skip counts and warnings come beside it."
            }),
        ))
    }
}

fn address(value: &str) -> Checked<String> {
    if value.contains('%') {
        return Err("Scoped IPv6 is unsupported.".into());
    }
    if value.contains('/') {
        let (network, prefix) = ip_network(value)?;
        return Ok(format!("{}/{prefix}", ip_text(network)));
    }
    Ok(ip_text(ip_address(value)?))
}

fn port(value: &str) -> Checked<String> {
    let valid = (1..=5).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit());
    match value.parse::<u32>() {
        Ok(n) if valid && (1..=65535).contains(&n) => Ok(n.to_string()),
        _ => Err("Port must be an integer from 1 to 65535.".into()),
    }
}

fn is_uri_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "._~:/?[]@!$&()*+,;=%-".contains(c)
}

fn valid_escapes(url: &str) -> bool {
    let bytes = url.as_bytes();
    bytes.iter().enumerate().all(|(i, b)| {
        *b != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    })
}

/// An anchored, escaped `url_regex` for the URL as Squid sees it: lower-case host, no
/// default port, no fragment, `/` for an empty path.
fn url_pattern(value: &str) -> Checked<String> {
    let parsed = SplitUrl::parse(value)?;
    let hostname = parsed.hostname();
    let Some(host) = hostname.filter(|_| {
        (parsed.scheme == "http" || parsed.scheme == "https") && !parsed.has_userinfo()
    }) else {
        return Err("URL must be absolute HTTP(S) without credentials.".into());
    };
    if host.contains('%') || parsed.netloc.ends_with(':') {
        return Err("Scoped addresses and empty ports are unsupported.".into());
    }
    let mut host = match host.parse::<std::net::IpAddr>() {
        Ok(ip) if ip.is_ipv6() => format!("[{}]", ip_text(ip)),
        Ok(ip) => ip_text(ip),
        Err(_) => qualified_dns_name(&host)?,
    };
    if let Some(number) = parsed.port()? {
        port(&number.to_string())?;
        let default = if parsed.scheme == "http" { 80 } else { 443 };
        if number != default {
            host.push_str(&format!(":{number}"));
        }
    }
    let path = if parsed.path.is_empty() {
        "/"
    } else {
        &parsed.path
    };
    let mut url = format!("{}://{host}{path}", parsed.scheme);
    if !parsed.query.is_empty() {
        url.push('?');
        url.push_str(&parsed.query);
    }
    if url.is_empty() || !url.chars().all(is_uri_char) || !valid_escapes(&url) {
        return Err("URL must use valid ASCII URI characters and percent escapes.".into());
    }
    let mut pattern = String::from("^");
    for c in url.chars() {
        if ".[]()*+?{}^$|\\".contains(c) {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('$');
    Ok(pattern)
}

fn conditions(kind: &str, value: Option<&Value>) -> Checked<Vec<String>> {
    let value = match value {
        Some(Value::String(s))
            if !s.is_empty()
                && !s
                    .chars()
                    .any(|c| c.is_whitespace() || (c as u32) < 32 || c as u32 == 127) =>
        {
            s.as_str()
        }
        _ => {
            return Err(
                "Indicator must be a non-empty string without whitespace or control characters."
                    .into(),
            );
        }
    };
    Ok(match kind {
        "url" => vec![format!("url_regex {}", url_pattern(value)?)],
        "port" => vec![format!("port {}", port(value)?)],
        "domain" => vec![format!("dstdomain -n .{}", qualified_dns_name(value)?)],
        "hostname" => vec![format!("dstdomain -n {}", qualified_dns_name(value)?)],
        "domain|ip" => {
            let (name, ip) = value
                .split_once('|')
                .ok_or("Missing domain/IP separator.")?;
            vec![
                format!("dstdomain -n .{}", qualified_dns_name(name)?),
                format!("dst {}", address(ip)?),
            ]
        }
        "hostname|port" | "ip-dst|port" => {
            let (host, raw) = value
                .split_once('|')
                .ok_or("Missing host/port separator.")?;
            let destination = if kind == "hostname|port" {
                format!("dstdomain -n {}", qualified_dns_name(host)?)
            } else {
                format!("dst {}", address(host)?)
            };
            vec![destination, format!("port {}", port(raw)?)]
        }
        "ip-src" => vec![format!("src {}", address(value)?)],
        _ => vec![format!("dst {}", address(value)?)],
    })
}

fn export(request: &QueryRequest) -> Checked<Value> {
    let shape = DataShape::EventOrList(
        "data must be an event object or a list of events.",
        "Each event must be an object.",
    );
    let mut rules: BTreeSet<Vec<String>> = BTreeSet::new();
    let mut skipped = Skips::default();
    let (mut has_urls, mut port_only) = (false, false);
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
        let Ok(found) = conditions(kind, source.attribute.get("value")) else {
            skipped.add("malformed");
            continue;
        };
        rules.insert(found);
        has_urls |= kind == "url";
        port_only |= kind == "port";
    }
    let mut file = String::from(
        "# MISP Squid export: IDS-marked proxy attributes\n\
         # Include before http_access allow rules; reserve the misp_squid_ ACL prefix.\n",
    );
    for (index, rule) in rules.iter().enumerate() {
        let names: Vec<String> = (1..=rule.len())
            .map(|part| format!("misp_squid_{}_{part}", index + 1))
            .collect();
        for (name, condition) in names.iter().zip(rule) {
            file.push_str(&format!("acl {name} {condition}\n"));
        }
        file.push_str(&format!("http_access deny {}\n", names.join(" ")));
    }
    let mut warnings = skipped.attribute_warnings();
    warnings.push("Include before existing http_access allow rules and keep an explicit final deny all in your policy.".to_owned());
    if has_urls {
        warnings.push("URL ACLs match exact visible HTTP(S) URLs. HTTPS CONNECT tunnels hide paths and queries without TLS inspection; URL indicators are not expanded into host-wide blocks.".to_owned());
    }
    if port_only {
        warnings.push(
            "Standalone port attributes match that destination port on all hosts.".to_owned(),
        );
    }
    Ok(answer(
        &file,
        vec![
            (
                "summary",
                json!({"count": rules.len(), "skipped": skipped.to_json()}),
            ),
            ("warnings", json!(warnings)),
        ],
    ))
}

#[async_trait]
impl Module for SquidExport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        export(&request).map_err(|e| ModuleError::reported(format!("Squid export: {}", e.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{decoded_data, query, reported};

    #[test]
    fn urls_are_canonical_and_escaped() {
        assert_eq!(
            url_pattern("HTTPS://Example.COM:443?q=(1)#frag").unwrap(),
            "^https://example\\.com/\\?q=\\(1\\)$"
        );
        assert_eq!(
            url_pattern("http://[2001:DB8::1]:8080/a+b").unwrap(),
            "^http://\\[2001:db8::1\\]:8080/a\\+b$"
        );
        for bad in [
            "ftp://example.com/",
            "http://user@example.com/",
            "http://example.com:/",
            "http://example.com/%zz",
            "http://example.com/\"x\"",
            "http://example.com:0/",
            "http://localhost/",
        ] {
            assert!(url_pattern(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn pairs_share_one_deny_rule() {
        let body = json!({"data": [{"Event": {}, "Attribute": [
            {"type": "hostname|port", "value": "Proxy.Example.net|8080", "to_ids": true},
            {"type": "port", "value": "0", "to_ids": true},
            {"type": "port", "value": "25", "to_ids": true}
        ]}]});
        let answer = query(&SquidExport::new(), body).await.unwrap();
        assert_eq!(
            decoded_data(&answer),
            "# MISP Squid export: IDS-marked proxy attributes\n\
             # Include before http_access allow rules; reserve the misp_squid_ ACL prefix.\n\
             acl misp_squid_1_1 dstdomain -n proxy.example.net\n\
             acl misp_squid_1_2 port 8080\n\
             http_access deny misp_squid_1_1 misp_squid_1_2\n\
             acl misp_squid_2_1 port 25\n\
             http_access deny misp_squid_2_1\n"
        );
        assert_eq!(
            answer["summary"],
            json!({"count": 2, "skipped": {"malformed": 1}})
        );
        assert_eq!(
            answer["warnings"][2],
            "Standalone port attributes match that destination port on all hosts."
        );
        assert_eq!(
            reported(query(&SquidExport::new(), json!({})).await),
            "Squid export: data must be an event object or a list of events."
        );
    }
}

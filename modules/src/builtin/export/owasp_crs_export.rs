//! `owasp_crs_export`: phase 1 ModSecurity `SecRule` deny rules for HTTP indicators, to
//! load next to the OWASP Core Rule Set. Every pattern is anchored and every character
//! outside `[A-Za-z0-9_/:-]` is written as a `\xNN` escape, so no value can break out of
//! the quoted operator or inject actions or macros.

use std::collections::BTreeSet;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::firewall_common::{
    Invalid, Net, Screened, Skipped, answer, attribute_stream, config_object, hostname, ip_text,
    number_setting, parse_address, port, screen,
};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

const TITLE: &str = "OWASP CRS export";
const TYPES: [&str; 8] = [
    "domain",
    "hostname",
    "hostname|port",
    "ip-src",
    "ip-src|port",
    "uri",
    "url",
    "user-agent",
];
const LAST_ID: u64 = 99999;

/// A rule's conditions, chained: (variable, operator).
type Conditions = Vec<(String, String)>;

pub struct OwaspCrsExport(ModuleDescriptor);

impl OwaspCrsExport {
    pub fn new() -> Self {
        Self(descriptor(
            "owasp_crs_export",
            ModuleType::Export,
            json!({
                "input": TYPES,
                "inputSource": ["event", "event-collection"],
                "outputFileExtension": "conf",
                "responseType": "text/plain",
                "userConfig": {"rule_id_start": {"type": "String", "message": "ID of the first generated rule, 10000 to 99999 (default 10000)"}},
            }),
            json!({
                "version": "1.0",
                "author": "misp-modules-stack",
                "name": "OWASP CRS Export",
                "description": "Turns IDS-marked client addresses, host names, URLs, request URIs and user agents into ModSecurity deny rules that sit next to the OWASP Core Rule Set.",
                "module-type": ["export"],
                "config": ["rule_id_start"],
                "input": "Events in either export layout, or bare events; attributes of objects count too. Only attributes marked to_ids are exported.",
                "output": "A ModSecurity .conf fragment, with counts of exported and skipped attributes and deployment warnings.",
            }),
        ))
    }
}

/// Keeps `[A-Za-z0-9_/:-]`, writes every other character as a `\xNN` escape.
fn literal(value: &str) -> String {
    value
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "_/-:".contains(c) {
                c.to_string()
            } else {
                format!("\\x{:02x}", u32::from(c))
            }
        })
        .collect()
}

fn host_pattern(host: &str, subdomains: bool, port: Option<&str>, optional_port: bool) -> String {
    let prefix = if subdomains { r"(?:[a-z0-9-]+\.)*" } else { "" };
    let suffix = match port {
        None => r"(?::[0-9]{1,5})?".to_owned(),
        Some(port) if optional_port => format!("(?::{port})?"),
        Some(port) => format!(":{port}"),
    };
    format!(r"(?i:{prefix}{}\.?{suffix})", literal(host))
}

fn rx(variable: &str, pattern: &str) -> (String, String) {
    (variable.to_owned(), format!(r"@rx \A{pattern}\z"))
}

/// A port from 1 to 65535.
fn http_port(value: &str) -> Result<String, Invalid> {
    match port(value) {
        Ok(p) if p != "0" => Ok(p),
        _ => Err("Port must be an integer from 1 to 65535.".into()),
    }
}

/// An ASCII origin-form request target with well-formed percent escapes.
fn uri(value: &str) -> Result<&str, Invalid> {
    let allowed = |b: u8| b.is_ascii_alphanumeric() || b"._~:/?[]@!$&'()*+,;=%-".contains(&b);
    let bytes = value.as_bytes();
    let escapes_ok = bytes.iter().enumerate().all(|(i, b)| {
        *b != b'%'
            || (bytes.get(i + 1).is_some_and(u8::is_ascii_hexdigit)
                && bytes.get(i + 2).is_some_and(u8::is_ascii_hexdigit))
    });
    if value.starts_with('/') && bytes.iter().all(|b| allowed(*b)) && escapes_ok {
        Ok(value)
    } else {
        Err("URI must be an ASCII origin-form request target with valid percent escapes and no fragment.".into())
    }
}

/// The parts of an absolute URL, split the way Python's `urlsplit` (3.11) splits it, so
/// that the same URLs are accepted and refused.
struct SplitUrl<'a> {
    scheme: String,
    netloc: &'a str,
    path: &'a str,
    query: &'a str,
}

fn split_url(url: &str) -> Result<SplitUrl<'_>, Invalid> {
    let mut scheme = String::new();
    let mut rest = url;
    if let Some(colon) = url.find(':') {
        let candidate = &url[..colon];
        let valid = candidate
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic())
            && candidate
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c));
        if valid {
            scheme = candidate.to_ascii_lowercase();
            rest = &url[colon + 1..];
        }
    }
    let mut netloc = "";
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        netloc = &after[..end];
        rest = &after[end..];
        let (open, close) = (netloc.contains('['), netloc.contains(']'));
        if open != close {
            return Err("Invalid IPv6 URL".into());
        }
        if open {
            let bracketed = netloc.split_once('[').map_or("", |(_, b)| b);
            let bracketed = bracketed.split_once(']').map_or(bracketed, |(b, _)| b);
            if let Some(future) = bracketed.strip_prefix('v') {
                // IPvFuture: `v<hex>.<anything>`.
                let (version, rest) = future.split_once('.').unwrap_or(("", ""));
                if version.is_empty()
                    || !version.bytes().all(|b| b.is_ascii_hexdigit())
                    || rest.is_empty()
                {
                    return Err("Invalid IPvFuture host.".into());
                }
            } else if parse_address(bracketed)?.is_ipv4() {
                return Err("An IPv4 address cannot be bracketed.".into());
            }
        }
    }
    let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    Ok(SplitUrl {
        scheme,
        netloc,
        path,
        query,
    })
}

fn url(value: &str) -> Result<Conditions, Invalid> {
    let parts = split_url(value)?;
    let bad = || Invalid("URL must be absolute HTTP(S) without credentials.".into());
    let default_port = match parts.scheme.as_str() {
        "http" => "80",
        "https" => "443",
        _ => return Err(bad()),
    };
    let (userinfo, hostinfo) = match parts.netloc.rsplit_once('@') {
        Some((userinfo, hostinfo)) => (Some(userinfo), hostinfo),
        None => (None, parts.netloc),
    };
    let (host, raw_port) = match hostinfo.split_once('[') {
        Some((_, bracketed)) => {
            let (host, after) = bracketed.split_once(']').unwrap_or((bracketed, ""));
            (host, after.split_once(':').map_or("", |(_, p)| p))
        }
        None => hostinfo.split_once(':').unwrap_or((hostinfo, "")),
    };
    if host.is_empty() || userinfo.is_some() {
        return Err(bad());
    }
    if host.contains('%') || parts.netloc.ends_with(':') {
        return Err("Scoped addresses and empty ports are unsupported.".into());
    }
    let host = host.to_lowercase();
    let host = match parse_address(&host) {
        Ok(ip) if ip.is_ipv6() => format!("[{}]", ip_text(ip)),
        Ok(ip) => ip_text(ip),
        Err(_) if parts.netloc.starts_with('[') => {
            return Err("Only IPv6 addresses may use bracketed URL hosts.".into());
        }
        Err(_) => hostname(&host)?,
    };
    let port = if raw_port.is_empty() {
        default_port.to_owned()
    } else {
        let digits = raw_port.bytes().all(|b| b.is_ascii_digit());
        let number = raw_port.trim_start_matches('0');
        if !digits || number.len() > 5 {
            return Err("Port out of range 0-65535".into());
        }
        http_port(&number.parse::<u32>().unwrap_or(0).to_string())?
    };
    let authority = host_pattern(&host, false, Some(&port), port == default_port);
    let before_fragment = value.split_once('#').map_or(value, |(before, _)| before);
    let mut target = if parts.path.is_empty() {
        "/".to_owned()
    } else {
        parts.path.to_owned()
    };
    if !parts.query.is_empty() || before_fragment.contains('?') {
        target = format!("{target}?{}", parts.query);
    }
    let target = uri(&target)?;
    // The raw request target keeps case and encoding; absolute-form requests carry the
    // scheme and authority too.
    let pattern = format!(
        "(?:(?i:{})://{authority})?{}",
        parts.scheme,
        literal(target)
    );
    Ok(vec![
        rx("REQUEST_HEADERS:Host", &authority),
        rx("REQUEST_URI_RAW", &pattern),
    ])
}

fn conditions(kind: &str, value: &Value) -> Result<Conditions, Invalid> {
    let value = match value.as_str() {
        Some(s) if !s.is_empty() && !s.chars().any(|c| c < ' ' || c == '\x7f') => s,
        _ => return Err("Indicator must be a non-empty string without control characters.".into()),
    };
    if kind == "user-agent" {
        if !value.is_ascii() {
            return Err("User agent must be ASCII.".into());
        }
        return Ok(vec![rx("REQUEST_HEADERS:User-Agent", &literal(value))]);
    }
    if value.chars().any(char::is_whitespace) {
        return Err("Indicator must not contain whitespace.".into());
    }
    match kind {
        "url" => return url(value),
        "uri" => return Ok(vec![rx("REQUEST_URI_RAW", &literal(uri(value)?))]),
        _ => {}
    }
    let (value, port) = if kind.ends_with("|port") {
        let (host, raw) = value
            .split_once('|')
            .ok_or("Missing host/port separator.")?;
        (host, Some(http_port(raw)?))
    } else {
        (value, None)
    };
    if matches!(kind, "domain" | "hostname" | "hostname|port") {
        let pattern = host_pattern(&hostname(value)?, kind == "domain", port.as_deref(), false);
        return Ok(vec![rx("REQUEST_HEADERS:Host", &pattern)]);
    }
    let address = if value.contains('/') {
        Net::parse(value)?.to_string()
    } else {
        ip_text(parse_address(value)?)
    };
    let mut conditions = vec![("REMOTE_ADDR".to_owned(), format!("@ipMatch {address}"))];
    if let Some(port) = port {
        conditions.push(("REMOTE_PORT".to_owned(), format!("@eq {port}")));
    }
    Ok(conditions)
}

fn render(rules: &BTreeSet<Conditions>, start: u64) -> Result<String, Invalid> {
    if start + rules.len() as u64 > LAST_ID + 1 {
        return Err("Export exceeds the available local rule ID range (10000-99999).".into());
    }
    let mut file = String::from(
        "# MISP OWASP CRS export: IDS-marked HTTP indicators\n\
         # Custom ModSecurity rules; reserve the generated IDs and replace this fragment on each export.\n\
         # Requires SecRuleEngine On to block; DetectionOnly logs without blocking.\n",
    );
    for (id, conditions) in (start..).zip(rules) {
        for (index, (variable, operator)) in conditions.iter().enumerate() {
            let mut actions = if index == 0 {
                format!(
                    "id:{id},phase:1,deny,status:403,log,t:none,msg:'MISP IDS indicator',tag:'misp-ioc',severity:'CRITICAL'"
                )
            } else {
                "t:none".to_owned()
            };
            if index + 1 < conditions.len() {
                actions.push_str(",chain");
            }
            file.push_str(&format!(
                "SecRule {variable} \"{operator}\" \"{actions}\"\n"
            ));
        }
    }
    Ok(file)
}

fn export(request: &QueryRequest) -> Result<Value, Invalid> {
    let config = config_object(request)?;
    let start = number_setting(
        &config,
        "rule_id_start",
        10000,
        usize::MAX,
        10000..=LAST_ID,
        "rule_id_start must be an integer from 10000 to 99999.",
    )?;
    let mut rules = BTreeSet::new();
    let mut skipped = Skipped::default();
    for attribute in attribute_stream(request.get("data")) {
        match screen(attribute?, &TYPES)? {
            Screened::Skip(reason) => skipped.add(reason),
            Screened::Keep { kind, value } => match conditions(kind, value) {
                Ok(found) => {
                    rules.insert(found);
                }
                Err(_) => skipped.add("malformed"),
            },
        }
    }
    let file = render(&rules, start)?;
    let mut warnings = skipped.warnings();
    warnings.extend([
        "Reserve generated rule IDs across all loaded files. Rules directly deny independently of CRS anomaly scores.",
        "REMOTE_ADDR/REMOTE_PORT describe the client visible to ModSecurity; forwarded headers are not trusted.",
        "Host matches inspect the requested authority, not an upstream DNS lookup or resolved destination IP.",
        "URL rules require visible HTTP headers and request targets; HTTPS CONNECT tunnels hide paths without TLS inspection. Origin-form URL matches cannot distinguish HTTP from HTTPS; explicit hostname ports must appear in Host.",
    ].map(str::to_owned));
    Ok(answer(&file, rules.len(), &skipped, warnings))
}

#[async_trait]
impl Module for OwaspCrsExport {
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
        let module = OwaspCrsExport::new();
        assert_fixture(
            &module,
            include_str!("testdata/firewall/owasp_crs_export-default.json"),
        )
        .await;
        assert_fixture(
            &module,
            include_str!("testdata/firewall/owasp_crs_export-start.json"),
        )
        .await;
    }

    #[tokio::test]
    async fn quotes_and_macros_are_escaped() {
        let body = json!({"data": {"Attribute": [
            {"type": "user-agent", "value": "x\" \"id:1,pass %{tx.x}", "to_ids": true}
        ]}});
        let file = file_of(&query(&OwaspCrsExport::new(), body).await.unwrap());
        assert_eq!(
            file.lines().last().unwrap(),
            r#"SecRule REQUEST_HEADERS:User-Agent "@rx \Ax\x22\x20\x22id:1\x2cpass\x20\x25\x7btx\x2ex\x7d\z" "id:10000,phase:1,deny,status:403,log,t:none,msg:'MISP IDS indicator',tag:'misp-ioc',severity:'CRITICAL'""#
        );
    }

    #[tokio::test]
    async fn malformed_urls_are_skipped() {
        let urls = [
            "ftp://files.example/x",
            "http://user@evil.example/",
            "http://evil.example:/",
            "http://evil.example:0/",
            "http://[192.0.2.1]/",
            "http://[evil.example]/",
            "http://evil.example/a b",
            "http://evil.example/%zz",
            "http:evil.example",
        ];
        let attributes: Vec<_> = urls
            .iter()
            .map(|u| json!({"type": "url", "value": u, "to_ids": true}))
            .collect();
        let body = json!({"data": {"Attribute": attributes}});
        let answer = query(&OwaspCrsExport::new(), body).await.unwrap();
        assert_eq!(
            answer["summary"],
            json!({"count": 0, "skipped": {"malformed": 9}})
        );
    }

    #[tokio::test]
    async fn url_keeps_query_marker_and_ports() {
        let body = json!({"data": {"Attribute": [
            {"type": "url", "value": "HTTPS://WWW.Example.com:8443?", "to_ids": true}
        ]}});
        let file = file_of(&query(&OwaspCrsExport::new(), body).await.unwrap());
        let rules: Vec<&str> = file.lines().filter(|l| l.starts_with("SecRule")).collect();
        assert_eq!(
            rules,
            [
                r#"SecRule REQUEST_HEADERS:Host "@rx \A(?i:www\x2eexample\x2ecom\.?:8443)\z" "id:10000,phase:1,deny,status:403,log,t:none,msg:'MISP IDS indicator',tag:'misp-ioc',severity:'CRITICAL',chain""#,
                r#"SecRule REQUEST_URI_RAW "@rx \A(?:(?i:https)://(?i:www\x2eexample\x2ecom\.?:8443))?/\x3f\z" "t:none""#,
            ]
        );
    }

    #[tokio::test]
    async fn rule_ids_are_bounded() {
        let body = json!({"data": [], "config": {"rule_id_start": 9999}});
        assert_eq!(
            reported(query(&OwaspCrsExport::new(), body).await),
            "OWASP CRS export: rule_id_start must be an integer from 10000 to 99999."
        );
        let body = json!({"data": {"Attribute": [
            {"type": "uri", "value": "/a", "to_ids": true},
            {"type": "uri", "value": "/b", "to_ids": true}
        ]}, "config": {"rule_id_start": "99999"}});
        assert_eq!(
            reported(query(&OwaspCrsExport::new(), body).await),
            "OWASP CRS export: Export exceeds the available local rule ID range (10000-99999)."
        );
    }
}

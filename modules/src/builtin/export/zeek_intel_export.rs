//! `zeek_intel_export`: the events' indicators as a Zeek Intel Framework input file
//! (tab-separated, Zeek-escaped), one row per normalised indicator with the MISP
//! attributes behind it as JSON in `meta.desc`.

use crate::builtin::export::indicators::screened_kind;
use std::collections::{BTreeMap, BTreeSet};
use std::net::{IpAddr, Ipv4Addr};

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::indicators::syntax::{SplitUrl, dns_name, ip_address, ip_network};
use super::indicators::typed_list::{hash_length, is_hex_of};
use super::indicators::{
    Checked, DataShape, Invalid, Skips, answer, config, flag, json_unicode, label, py_str, setting,
    sorted_keys, sources, truthy,
};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::pycompat::python_json_dumps;

const FIELDS: &str = "#fields\tindicator\tindicator_type\tmeta.source\tmeta.desc\tmeta.url";
const EMAIL_TYPES: [&str; 4] = ["email", "email-src", "email-dst", "target-email"];
const FILENAME_TYPES: [&str; 3] = ["filename", "email-attachment", "attachment"];
const INPUT_TYPES: [&str; 24] = [
    "attachment",
    "domain",
    "domain|ip",
    "email",
    "email-attachment",
    "email-dst",
    "email-src",
    "filename",
    "filename|md5",
    "filename|sha1",
    "filename|sha256",
    "filename|sha512",
    "hostname",
    "ip-dst",
    "ip-src",
    "malware-sample",
    "md5",
    "sha1",
    "sha256",
    "sha512",
    "ssh-fingerprint",
    "target-email",
    "url",
    "x509-fingerprint-sha1",
];

pub struct ZeekIntelExport(ModuleDescriptor);

impl ZeekIntelExport {
    pub fn new() -> Self {
        Self(descriptor(
            "zeek_intel_export",
            ModuleType::Export,
            json!({
                "input": INPUT_TYPES,
                "inputSource": ["event", "event-collection"],
                "outputFileExtension": "intel",
                "responseType": "text/plain",
                "userConfig": {}
            }),
            json!({
                "version": "1.0",
                "author": "misp-modules-stack",
                "description": "Writes the events' addresses, subnets, domains, URLs, e-mail addresses, file names and hashes, certificate and SSH key fingerprints as a Zeek Intel Framework feed.",
                "module-type": ["export"],
                "name": "Zeek Intel Export",
                "config": ["source", "misp_url", "include_non_ids"],
                "input": "Events in any MISP layout; object attributes are read too. IDS-marked attributes unless include_non_ids.",
                "output": "An ASCII Intel file with Zeek's native indicator types; counts and the attributes behind each row come beside it."
            }),
        ))
    }
}

struct Settings {
    source: String,
    base: Option<String>,
    include_non_ids: bool,
}

fn settings(config: &Map<String, Value>) -> Checked<Settings> {
    let source = match setting(config, "source") {
        None => "misp-modules".to_owned(),
        Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= 128 => s.clone(),
        Some(_) => {
            return Err("source must be a non-empty string of at most 128 characters.".into());
        }
    };
    let base = match setting(config, "misp_url") {
        None => None,
        Some(Value::String(s)) => {
            let parsed = SplitUrl::parse(s)?;
            let refused = parsed.scheme != "https"
                || parsed.hostname().is_none()
                || parsed.has_userinfo()
                || !parsed.query.is_empty()
                || !parsed.fragment.is_empty()
                || s.chars().any(|c| (c as u32) <= 32 || c as u32 == 127);
            if refused {
                return Err(
                    "misp_url must be HTTPS without credentials, a query or a fragment.".into(),
                );
            }
            parsed.port()?;
            Some(s.trim_end_matches('/').to_owned())
        }
        Some(_) => return Err("misp_url must be an HTTPS base URL.".into()),
    };
    let include_non_ids = flag(config.get("include_non_ids"), "include_non_ids")?;
    Ok(Settings {
        source,
        base,
        include_non_ids,
    })
}

fn fingerprint(value: &str, length: usize) -> Checked<String> {
    if is_hex_of(value, length) {
        return Ok(value.to_ascii_lowercase());
    }
    let groups: Vec<&str> = value.split(':').collect();
    if groups.len() == length / 2 && groups.iter().all(|g| is_hex_of(g, 2)) {
        return Ok(groups.concat().to_ascii_lowercase());
    }
    Err("Invalid fingerprint.".into())
}

fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

fn address(value: &str) -> Checked<(&'static str, String)> {
    if value.contains('%') {
        return Err("Scoped IPv6 is unsupported.".into());
    }
    if value.contains('/') {
        let (network, prefix) = ip_network(value)?;
        if let IpAddr::V6(v6) = network
            && let Some(v4) = v6.to_ipv4_mapped()
        {
            let prefix = prefix.checked_sub(96).ok_or("Invalid mapped network.")?;
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            let v4 = Ipv4Addr::from(u32::from(v4) & mask);
            return Ok(("Intel::SUBNET", format!("{v4}/{prefix}")));
        }
        return Ok(("Intel::SUBNET", format!("{network}/{prefix}")));
    }
    Ok(("Intel::ADDR", unmapped(ip_address(value)?).to_string()))
}

fn atomic(kind: &str, value: &str) -> Checked<(&'static str, Vec<u8>)> {
    if FILENAME_TYPES.contains(&kind) {
        return Ok(("Intel::FILE_NAME", value.as_bytes().to_vec()));
    }
    if value.chars().any(|c| (c as u32) < 32 || c as u32 == 127) {
        return Err("Control characters are unsupported for this indicator type.".into());
    }
    let (kind_name, text) = if let Some(length) = hash_length(kind) {
        if !is_hex_of(value, length) {
            return Err("Invalid file hash.".into());
        }
        ("Intel::FILE_HASH", value.to_ascii_lowercase())
    } else if kind == "ip-src" || kind == "ip-dst" {
        address(value)?
    } else if kind == "domain" || kind == "hostname" {
        ("Intel::DOMAIN", dns_name(value)?)
    } else if EMAIL_TYPES.contains(&kind) {
        let (local, domain) = value.rsplit_once('@').ok_or("Unsupported email address.")?;
        let local_ok = !local.is_empty()
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || ".!#$%&'*+/=?^_`{|}~-".contains(c));
        if !local_ok {
            return Err("Unsupported email address.".into());
        }
        ("Intel::EMAIL", format!("{local}@{}", dns_name(domain)?))
    } else if kind == "x509-fingerprint-sha1" {
        ("Intel::CERT_HASH", fingerprint(value, 40)?)
    } else if kind == "ssh-fingerprint" {
        let bare = match value.get(..4) {
            Some(head) if head.eq_ignore_ascii_case("md5:") => &value[4..],
            _ => value,
        };
        let digest = fingerprint(bare, 32)?;
        let pairs: Vec<&str> = (0..32).step_by(2).map(|i| &digest[i..i + 2]).collect();
        ("Intel::PUBKEY_HASH", pairs.join(":"))
    } else {
        return Err("Unsupported atomic indicator.".into());
    };
    Ok((kind_name, text.into_bytes()))
}

/// Zeek's single-pass, byte-wise `unescape_URI`, so the indicators match what Zeek's
/// HTTP analyser reconstructs.
fn unescape_uri(text: &str) -> Vec<u8> {
    let raw = text.as_bytes();
    let hex = |b: u8| char::from(b).to_digit(16).map(|d| d as u8);
    let mut decoded = Vec::with_capacity(raw.len());
    let mut index = 0;
    while index < raw.len() {
        let rest = &raw[index..];
        if rest.starts_with(b"%%") && rest.len() >= 3 {
            // Zeek drops the first '%' of a doubled escape.
            index += 1;
            continue;
        }
        if rest.len() >= 3
            && rest[0] == b'%'
            && let (Some(h), Some(l)) = (hex(rest[1]), hex(rest[2]))
        {
            decoded.push(h * 16 + l);
            index += 3;
            continue;
        }
        if rest.len() >= 6 && rest[0] == b'%' && rest[1] == b'u' {
            let digits: Option<Vec<u8>> = rest[2..6].iter().map(|b| hex(*b)).collect();
            if let Some(d) = digits {
                let (high, low) = (d[0] * 16 + d[1], d[2] * 16 + d[3]);
                if high != 0 {
                    decoded.push(high);
                }
                decoded.push(low);
                index += 6;
                continue;
            }
        }
        decoded.push(raw[index]);
        index += 1;
    }
    decoded
}

/// The URL indicators Zeek's HTTP analyser can produce for `value`: host (with the
/// responder port appended when it is not 80) followed by the unescaped request target.
fn urls(value: &str) -> Checked<Vec<(&'static str, Vec<u8>)>> {
    let parsed = SplitUrl::parse(value)?;
    let refused = !(parsed.scheme == "http" || parsed.scheme == "https")
        || parsed.hostname().is_none()
        || parsed.has_userinfo()
        || value
            .chars()
            .any(|c| c.is_whitespace() || (c as u32) < 32 || c as u32 == 127);
    if refused {
        return Err("URL must be absolute HTTP(S), without credentials or whitespace.".into());
    }
    let port = parsed.port()?;
    let host = match port {
        Some(_) => parsed
            .netloc
            .rsplit_once(':')
            .map_or(&*parsed.netloc, |(h, _)| h),
        None => &parsed.netloc,
    };
    let default = if parsed.scheme == "http" { 80 } else { 443 };
    let responder = port.unwrap_or(default);
    let mut target = if parsed.path.is_empty() {
        "/".to_owned()
    } else {
        parsed.path.clone()
    };
    if value.split('#').next().unwrap_or_default().contains('?') {
        target.push('?');
        target.push_str(&parsed.query);
    }
    let target = unescape_uri(&target);
    if target.windows(3).any(|w| w == b"://") {
        return Ok(vec![("Intel::URL", target)]);
    }
    let mut authorities = BTreeSet::new();
    authorities.insert(host.as_bytes().to_vec());
    if port.is_some() || responder != 80 {
        authorities.insert(format!("{host}:{responder}").into_bytes());
    }
    if port.is_some() {
        authorities.insert(parsed.netloc.as_bytes().to_vec());
    }
    // Zeek's observer appends the responder port even when the Host header has one.
    let suffix = if responder == 80 {
        String::new()
    } else {
        format!(":{responder}")
    };
    Ok(authorities
        .into_iter()
        .map(|mut authority| {
            authority.extend_from_slice(suffix.as_bytes());
            authority.extend_from_slice(&target);
            ("Intel::URL", authority)
        })
        .collect())
}

fn indicators(kind: &str, value: &str) -> Checked<Vec<(&'static str, Vec<u8>)>> {
    if kind == "url" {
        return urls(value);
    }
    if !kind.contains('|') && kind != "malware-sample" {
        return Ok(vec![atomic(kind, value)?]);
    }
    let (first, second) = value
        .rsplit_once('|')
        .filter(|(a, b)| !a.trim().is_empty() && !b.trim().is_empty())
        .ok_or_else(|| Invalid::from("Invalid composite."))?;
    if kind == "domain|ip" {
        return Ok(vec![atomic("domain", first)?, atomic("ip-dst", second)?]);
    }
    let hash = if kind == "malware-sample" {
        "md5"
    } else {
        kind.split('|').nth(1).unwrap_or("md5")
    };
    Ok(vec![atomic(hash, second)?])
}

/// A field in Zeek's ASCII reader escaping: printable ASCII except `#` and `\`, the rest
/// as `\xNN`; a value that would read as the unset or empty marker gets its first byte
/// escaped.
fn escape(field: Option<&[u8]>) -> String {
    let Some(bytes) = field else {
        return "-".to_owned();
    };
    let mut escaped = String::new();
    for byte in bytes {
        if (32..=126).contains(byte) && *byte != b'#' && *byte != b'\\' {
            escaped.push(char::from(*byte));
        } else {
            escaped.push_str(&format!("\\x{byte:02x}"));
        }
    }
    if escaped == "-" || escaped == "(empty)" {
        escaped = format!("\\x{:02x}{}", bytes[0], &escaped[1..]);
    }
    escaped
}

fn display(bytes: &[u8]) -> String {
    let mut text = String::new();
    for chunk in bytes.utf8_chunks() {
        text.push_str(chunk.valid());
        for byte in chunk.invalid() {
            text.push_str(&format!("\\x{byte:02x}"));
        }
    }
    text
}

/// The canonical spelling of a UUID written any way Python's `uuid.UUID` accepts.
fn canonical_uuid(text: &str) -> Option<String> {
    let bare = text.replace("urn:", "").replace("uuid:", "");
    let bare = bare.trim_matches(|c| c == '{' || c == '}').replace('-', "");
    if !is_hex_of(&bare, 32) {
        return None;
    }
    let hex = bare.to_ascii_lowercase();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    ))
}

fn event_url(base: Option<&str>, refs: &[Map<String, Value>]) -> Option<String> {
    let events: BTreeSet<&str> = refs
        .iter()
        .filter_map(|r| r.get("event").and_then(Value::as_str))
        .collect();
    let events: Vec<&str> = events.into_iter().collect();
    let (Some(base), [identifier]) = (base, events.as_slice()) else {
        return None;
    };
    let numeric = identifier.starts_with(|c: char| ('1'..='9').contains(&c))
        && identifier.bytes().all(|b| b.is_ascii_digit());
    let identifier = if numeric {
        (*identifier).to_owned()
    } else {
        canonical_uuid(identifier)?
    };
    Some(format!("{base}/events/view/{identifier}"))
}

/// Indicator rows keyed by (Intel type, lower-cased indicator), with their references.
type Rows = BTreeMap<(&'static str, Vec<u8>), Vec<Map<String, Value>>>;
type Collected = (Rows, Skips);

fn collect(data: Option<&Value>, include_non_ids: bool) -> Checked<Collected> {
    let shape = DataShape::EventOrList(
        "data must contain an event or list of events.",
        "data must contain an event or list of events.",
    );
    let mut found: Rows = BTreeMap::new();
    let mut skipped = Skips::default();
    for source in sources(data, shape)? {
        let Some(kind) = screened_kind(&source, include_non_ids, &INPUT_TYPES, &mut skipped)?
        else {
            continue;
        };
        let value = source.attribute.get("value").and_then(Value::as_str);
        let Some(Ok(atoms)) = value
            .filter(|v| !v.trim().is_empty())
            .map(|v| indicators(kind, v))
        else {
            skipped.add("malformed");
            continue;
        };
        let mut reference = Map::new();
        reference.insert(
            "event".into(),
            label(source.event.event, &["uuid", "id"]).into(),
        );
        reference.insert(
            "attribute".into(),
            label(source.attribute, &["uuid", "id"]).into(),
        );
        reference.insert("misp_type".into(), kind.into());
        reference.insert("original_value".into(), value.unwrap_or_default().into());
        if let Some(object) = source.object.filter(|o| !o.is_empty()) {
            reference.insert(
                "object".into(),
                label(object, &["uuid", "id", "name"]).into(),
            );
            let relation = source
                .attribute
                .get("object_relation")
                .filter(|v| truthy(v))
                .map_or_else(String::new, py_str);
            reference.insert("object_relation".into(), relation.into());
        }
        for (atom_type, indicator) in atoms {
            // Zeek matches Intel strings without regard to case, so keys differing only in
            // case are one row whose provenance lists every source.
            let refs = found
                .entry((atom_type, indicator.to_ascii_lowercase()))
                .or_default();
            if !refs.contains(&reference) {
                refs.push(reference.clone());
            }
        }
    }
    Ok((found, skipped))
}

fn export(request: &QueryRequest) -> Checked<Value> {
    let config = config(request, "config must be an object.")?;
    let settings = settings(&config)?;
    let (found, skipped) = collect(request.get("data"), settings.include_non_ids)?;
    let mut file = format!("{FIELDS}\n");
    let mut provenance = Vec::new();
    for ((kind, indicator), mut refs) in found.iter().map(|(k, r)| (k, r.clone())) {
        refs.sort_by_cached_key(|r| python_json_dumps(&sorted_keys(r), None));
        let sorted: Vec<Value> = refs.iter().map(sorted_keys).collect();
        let description = json_unicode(&Value::Array(sorted));
        let url = event_url(settings.base.as_deref(), &refs);
        let row = [
            escape(Some(indicator)),
            escape(Some(kind.as_bytes())),
            escape(Some(settings.source.as_bytes())),
            escape(Some(description.as_bytes())),
            escape(url.as_deref().map(str::as_bytes)),
        ];
        file.push_str(&row.join("\t"));
        file.push('\n');
        provenance.push(
            json!({"indicator": display(indicator), "indicator_type": kind, "sources": refs}),
        );
    }
    let mut extra = vec![
        (
            "summary",
            json!({"count": found.len(), "skipped": skipped.to_json()}),
        ),
        ("sources", Value::Array(provenance)),
    ];
    if !skipped.is_empty() {
        extra.push(("warnings", json!(skipped.attribute_warnings())));
    }
    Ok(answer(&file, extra))
}

#[async_trait]
impl Module for ZeekIntelExport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        export(&request).map_err(|e| ModuleError::reported(format!("Zeek intel export: {}", e.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{decoded_data, query, reported};

    fn text(items: Vec<(&'static str, Vec<u8>)>) -> Vec<String> {
        items.into_iter().map(|(_, b)| display(&b)).collect()
    }

    #[test]
    fn urls_follow_zeeks_reconstruction() {
        assert_eq!(
            text(urls("https://Ex.com/a%20b?q").unwrap()),
            ["Ex.com:443/a b?q", "Ex.com:443:443/a b?q"]
        );
        assert_eq!(
            text(urls("http://ex.com:8080/x?").unwrap()),
            ["ex.com:8080/x?", "ex.com:8080:8080/x?"]
        );
        assert_eq!(
            text(urls("http://ex.com/%u00e9%%41%ff").unwrap()),
            ["ex.com/\\xe9A\\xff"]
        );
        assert_eq!(
            text(urls("http://ex.com/r?u=http://b").unwrap()),
            ["/r?u=http://b"]
        );
        assert!(urls("ftp://ex.com/").is_err());
        assert!(urls("http://u@ex.com/").is_err());
    }

    #[test]
    fn atoms_normalise_each_kind() {
        assert_eq!(
            address("::ffff:192.0.2.1").unwrap(),
            ("Intel::ADDR", "192.0.2.1".to_owned())
        );
        assert_eq!(
            address("::ffff:192.0.2.1/120").unwrap(),
            ("Intel::SUBNET", "192.0.2.0/24".to_owned())
        );
        assert_eq!(
            display(
                &atomic("ssh-fingerprint", "MD5:AABBCCDDEEFF00112233445566778899")
                    .unwrap()
                    .1
            ),
            "aa:bb:cc:dd:ee:ff:00:11:22:33:44:55:66:77:88:99"
        );
        assert_eq!(
            display(&atomic("email-dst", "Bob@Example.ORG").unwrap().1),
            "Bob@example.org"
        );
        assert_eq!(display(&atomic("attachment", "a\tb").unwrap().1), "a\tb");
        assert!(atomic("email", "a b@example.org").is_err());
        assert_eq!(escape(Some(b"-")), "\\x2d");
        assert_eq!(escape(Some("#é\\".as_bytes())), "\\x23\\xc3\\xa9\\x5c");
    }

    #[tokio::test]
    async fn rows_merge_case_variants_and_link_to_the_event() {
        let body = json!({"data": [{"Event": {"uuid": "{AAAAAAAA-2222-4333-8444-555555555555}", "Attribute": [
            {"uuid": "a1", "type": "domain", "value": "Evil.example", "to_ids": true},
            {"uuid": "a2", "type": "hostname", "value": "evil.EXAMPLE", "to_ids": false},
            {"uuid": "a3", "type": "filename", "value": "é.exe", "to_ids": false}
        ]}}], "config": {"source": "feed", "misp_url": "https://misp.example/", "include_non_ids": true}});
        let answer = query(&ZeekIntelExport::new(), body).await.unwrap();
        let uuid = "{AAAAAAAA-2222-4333-8444-555555555555}";
        assert_eq!(
            decoded_data(&answer),
            format!(
                "{FIELDS}\n\
                evil.example\tIntel::DOMAIN\tfeed\t[{{\"attribute\": \"a1\", \"event\": \"{uuid}\", \"misp_type\": \"domain\", \"original_value\": \"Evil.example\"}}, {{\"attribute\": \"a2\", \"event\": \"{uuid}\", \"misp_type\": \"hostname\", \"original_value\": \"evil.EXAMPLE\"}}]\thttps://misp.example/events/view/aaaaaaaa-2222-4333-8444-555555555555\n\
                \\xc3\\xa9.exe\tIntel::FILE_NAME\tfeed\t[{{\"attribute\": \"a3\", \"event\": \"{uuid}\", \"misp_type\": \"filename\", \"original_value\": \"\\xc3\\xa9.exe\"}}]\thttps://misp.example/events/view/aaaaaaaa-2222-4333-8444-555555555555\n"
            )
        );
        assert_eq!(answer["sources"][1]["indicator"], "é.exe");
        assert_eq!(answer["summary"], json!({"count": 2, "skipped": {}}));
        assert!(answer.get("warnings").is_none());
    }

    #[tokio::test]
    async fn settings_are_checked() {
        let module = ZeekIntelExport::new();
        for (config, message) in [
            (
                json!({"misp_url": "http://misp.example"}),
                "misp_url must be HTTPS without credentials, a query or a fragment.",
            ),
            (
                json!({"misp_url": "https://misp.example:99999"}),
                "Port out of range 0-65535",
            ),
            (
                json!({"source": "  "}),
                "source must be a non-empty string of at most 128 characters.",
            ),
            (
                json!({"include_non_ids": "y"}),
                "include_non_ids must be true, false, 1 or 0.",
            ),
        ] {
            let body = json!({"data": [], "config": config});
            assert_eq!(
                reported(query(&module, body).await),
                format!("Zeek intel export: {message}")
            );
        }
    }
}

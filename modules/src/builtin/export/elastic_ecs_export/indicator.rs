//! The ECS `threat.indicator` body of one MISP value: its indicator type and the ECS
//! fields (`ip`, `url.*`, `file.*`, `email.address`, `as.number`) that matchers look at.

use serde_json::{Map, Value, json};

use crate::builtin::export::indicators::syntax::{SplitUrl, ip_address, ip_text};

pub(super) const HASHES: [(&str, usize); 5] = [
    ("md5", 32),
    ("sha1", 40),
    ("sha256", 64),
    ("sha384", 96),
    ("sha512", 128),
];

/// Every MISP type the exporter turns into indicators, sorted as the introspection lists
/// them.
pub(super) const SUPPORTED: [&str; 24] = [
    "AS",
    "domain",
    "domain|ip",
    "email-dst",
    "email-src",
    "filename",
    "filename|md5",
    "filename|sha1",
    "filename|sha256",
    "filename|sha384",
    "filename|sha512",
    "hostname",
    "hostname|port",
    "ip-dst",
    "ip-dst|port",
    "ip-src",
    "ip-src|port",
    "malware-sample",
    "md5",
    "sha1",
    "sha256",
    "sha384",
    "sha512",
    "url",
];

/// A value the type cannot hold; counted, never reported one by one.
pub(super) struct Malformed;

type Built = Result<Map<String, Value>, Malformed>;

fn hash_length(kind: &str) -> Option<usize> {
    HASHES.iter().find(|(k, _)| *k == kind).map(|(_, n)| *n)
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn digits_up_to(text: &str, max: u64) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = text.trim_start_matches('0');
    if significant.len() > 20 {
        return None;
    }
    let number = if significant.is_empty() {
        0
    } else {
        significant.parse::<u64>().ok()?
    };
    (number <= max).then_some(number)
}

/// One value of a single-value type (or one side of a composite).
fn single(kind: &str, value: &str) -> Built {
    if let Some(length) = hash_length(kind) {
        let valid = value.len() == length && value.bytes().all(|b| b.is_ascii_hexdigit());
        if !valid {
            return Err(Malformed);
        }
        let mut hash = Map::new();
        hash.insert(kind.to_owned(), value.to_ascii_lowercase().into());
        return Ok(object(json!({
            "type": "file", "file": {"hash": hash}, "name": value
        })));
    }
    Ok(object(match kind {
        "ip-src" | "ip-dst" => {
            // ECS `ip` fields cannot hold a zone index.
            if value.contains('%') {
                return Err(Malformed);
            }
            let address = ip_address(value).map_err(|_| Malformed)?;
            let family = if address.is_ipv4() { 4 } else { 6 };
            json!({"type": format!("ipv{family}-addr"), "ip": ip_text(address), "name": value})
        }
        "domain" | "hostname" => {
            json!({"type": "domain-name", "url": {"domain": value}, "name": value})
        }
        "email-src" | "email-dst" => {
            json!({"type": "email-addr", "email": {"address": value}, "name": value})
        }
        "filename" => json!({"type": "file", "file": {"name": value}, "name": value}),
        "AS" => {
            let number = match value.get(..2) {
                Some(prefix) if prefix.eq_ignore_ascii_case("AS") => &value[2..],
                _ => value,
            };
            let number = digits_up_to(number, u64::from(u32::MAX)).ok_or(Malformed)?;
            json!({"type": "autonomous-system", "as": {"number": number}, "name": value})
        }
        _ => {
            let parsed = SplitUrl::parse(value).map_err(|_| Malformed)?;
            let host = parsed.hostname().ok_or(Malformed)?;
            if parsed.scheme.is_empty() {
                return Err(Malformed);
            }
            let mut url = object(json!({"full": value, "domain": host, "scheme": parsed.scheme}));
            if let Some(port) = parsed.port().map_err(|_| Malformed)? {
                url.insert("port".into(), port.into());
            }
            json!({"type": "url", "url": url, "name": value})
        }
    }))
}

/// The indicators of a supported MISP type: one, or two for `domain|ip`. Composites are
/// split at their last pipe so file names may hold pipes.
pub(super) fn indicators(kind: &str, value: &str) -> Result<Vec<Map<String, Value>>, Malformed> {
    if !kind.contains('|') && kind != "malware-sample" {
        return Ok(vec![single(kind, value)?]);
    }
    let (first, second) = value.rsplit_once('|').ok_or(Malformed)?;
    if first.trim().is_empty() || second.trim().is_empty() {
        return Err(Malformed);
    }
    if kind == "domain|ip" {
        if first.contains('|') {
            return Err(Malformed);
        }
        return Ok(vec![single("domain", first)?, single("ip-dst", second)?]);
    }
    if let Some(base) = kind.strip_suffix("|port") {
        let port = digits_up_to(second, 65535).ok_or(Malformed)?;
        let mut indicator = single(base, first)?;
        indicator.insert("port".into(), port.into());
        return Ok(vec![indicator]);
    }
    let hash = if kind == "malware-sample" {
        "md5"
    } else {
        kind.split_once('|').map_or("", |(_, h)| h)
    };
    let mut indicator = single(hash, second)?;
    if let Some(Value::Object(file)) = indicator.get_mut("file") {
        file.insert("name".into(), first.into());
    }
    Ok(vec![indicator])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(kind: &str, value: &str) -> Value {
        let mut found = indicators(kind, value).ok().unwrap();
        assert_eq!(found.len(), 1);
        Value::Object(found.remove(0))
    }

    #[test]
    fn addresses_are_normalised_but_named_as_given() {
        assert_eq!(
            one("ip-src", "2001:DB8:0:0::1"),
            json!({"type": "ipv6-addr", "ip": "2001:db8::1", "name": "2001:DB8:0:0::1"})
        );
        assert_eq!(one("ip-dst", "::ffff:1.2.3.4")["ip"], "::ffff:102:304");
        assert_eq!(one("ip-dst", "::1.2.3.4")["ip"], "::102:304");
        for bad in ["fe80::1%eth0", "01.2.3.4", "1.2.3", "256.1.1.1"] {
            assert!(indicators("ip-dst", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn autonomous_systems_and_ports_are_bounded() {
        assert_eq!(one("AS", "AS4294967295")["as"]["number"], 4294967295u64);
        assert_eq!(one("AS", "as0012")["as"]["number"], 12);
        for bad in ["AS4294967296", "AS", "ASAS1", "-1", "1 "] {
            assert!(indicators("AS", bad).is_err(), "{bad}");
        }
        assert_eq!(one("ip-dst|port", "10.0.0.1|065535")["port"], 65535);
        assert!(indicators("ip-dst|port", "10.0.0.1|65536").is_err());
        assert!(indicators("hostname|port", "a.example| 80").is_err());
        assert!(indicators("hostname|port", " |80").is_err());
    }

    #[test]
    fn urls_need_a_scheme_and_a_host() {
        assert_eq!(
            one("url", "ftp://[2001:DB8::2]/x"),
            json!({"type": "url", "url": {"full": "ftp://[2001:DB8::2]/x", "domain": "2001:db8::2", "scheme": "ftp"}, "name": "ftp://[2001:DB8::2]/x"})
        );
        for bad in [
            "example.com/x",
            "//example.com/",
            "http:///x",
            "http://a:99999/",
            "http://[::1/",
        ] {
            assert!(indicators("url", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn hashes_must_fit_their_type() {
        let sha384 = "A".repeat(96);
        assert_eq!(
            one("filename|sha384", &format!("x|y.bin|{sha384}")),
            json!({"type": "file", "file": {"hash": {"sha384": "a".repeat(96)}, "name": "x|y.bin"}, "name": sha384})
        );
        assert!(indicators("sha1", &"a".repeat(39)).is_err());
        assert!(indicators("malware-sample", "x.exe").is_err());
        assert!(indicators("domain|ip", "a|b.example|10.0.0.1").is_err());
        assert_eq!(
            indicators("domain|ip", "b.example|10.0.0.1")
                .ok()
                .unwrap()
                .len(),
            2
        );
    }
}

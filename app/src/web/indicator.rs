//! Suggests a MISP attribute type for a value an analyst pastes. The same code runs in the
//! browser (live suggestions) and on the server (forms sent before the wasm loaded), so
//! both agree. A suggestion only: the user can change it.

use std::net::IpAddr;

use serde::{Deserialize, Serialize};

/// A non-empty input line and its suggested type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DetectedValue {
    pub value: String,
    pub suggested: &'static str,
}

/// The non-empty, trimmed lines of `text`, each with its suggestion; duplicates dropped.
pub fn detect_values(text: &str) -> Vec<DetectedValue> {
    let mut seen = std::collections::HashSet::new();
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && seen.insert(line.to_owned()))
        .map(|value| DetectedValue {
            value: value.to_owned(),
            suggested: suggest_type(value),
        })
        .collect()
}

/// The most likely attribute type of `value` (`"text"` when nothing fits).
pub fn suggest_type(value: &str) -> &'static str {
    let value = value.trim();
    if is_ip_or_network(value) {
        return "ip-src";
    }
    if let Some(kind) = hash_kind(value) {
        return kind;
    }
    if is_cve(value) {
        return "vulnerability";
    }
    if has_url_scheme(value) {
        return "url";
    }
    if is_autonomous_system(value) {
        return "AS";
    }
    if let Some((local, domain)) = value.rsplit_once('@')
        && !local.is_empty()
        && !local.contains(char::is_whitespace)
        && is_hostname(domain)
    {
        return "email-src";
    }
    if is_hostname(value) {
        // Two labels ("example.com") are a registered domain; more name a host in it.
        return if value.trim_end_matches('.').split('.').count() == 2 {
            "domain"
        } else {
            "hostname"
        };
    }
    if is_bitcoin_address(value) {
        return "btc";
    }
    if is_phone_number(value) {
        return "phone-number";
    }
    "text"
}

fn is_ip_or_network(value: &str) -> bool {
    let (address, prefix) = match value.split_once('/') {
        Some((address, prefix)) => (address, Some(prefix)),
        None => (value, None),
    };
    let Ok(ip) = address.parse::<IpAddr>() else {
        return false;
    };
    match prefix {
        None => true,
        Some(prefix) => prefix
            .parse::<u8>()
            .is_ok_and(|bits| bits <= if ip.is_ipv4() { 32 } else { 128 }),
    }
}

fn hash_kind(value: &str) -> Option<&'static str> {
    if !value.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    match value.len() {
        32 => Some("md5"),
        40 => Some("sha1"),
        56 => Some("sha224"),
        64 => Some("sha256"),
        96 => Some("sha384"),
        128 => Some("sha512"),
        _ => None,
    }
}

fn is_cve(value: &str) -> bool {
    let upper = value.to_ascii_uppercase();
    let Some(rest) = upper.strip_prefix("CVE-") else {
        return false;
    };
    let Some((year, number)) = rest.split_once('-') else {
        return false;
    };
    year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && number.len() >= 4
        && number.bytes().all(|b| b.is_ascii_digit())
}

fn has_url_scheme(value: &str) -> bool {
    let Some((scheme, rest)) = value.split_once("://") else {
        return false;
    };
    !scheme.is_empty()
        && scheme
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'-' || b == b'.')
        && !rest.is_empty()
        && !value.contains(char::is_whitespace)
}

fn is_autonomous_system(value: &str) -> bool {
    let digits = value
        .strip_prefix("AS")
        .or_else(|| value.strip_prefix("as"))
        .unwrap_or("");
    !digits.is_empty() && digits.len() <= 10 && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A DNS name of at least two labels whose last label is alphabetic (a TLD, not an IP).
fn is_hostname(value: &str) -> bool {
    let name = value.strip_suffix('.').unwrap_or(value);
    if name.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_alphanumeric() || c == '-' || c == '_')
    };
    let tld = labels[labels.len() - 1];
    labels.iter().all(label_ok)
        && tld.chars().all(|c| c.is_alphabetic() || c == '-')
        && tld.chars().any(char::is_alphabetic)
}

fn is_bitcoin_address(value: &str) -> bool {
    const BASE58: &str = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz";
    if let Some(rest) = value.strip_prefix("bc1") {
        return (11..=71).contains(&rest.len())
            && rest
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    }
    (value.starts_with('1') || value.starts_with('3'))
        && (26..=35).contains(&value.len())
        && value.chars().all(|c| BASE58.contains(c))
}

fn is_phone_number(value: &str) -> bool {
    let digits = value.chars().filter(char::is_ascii_digit).count();
    value.starts_with('+')
        && (7..=15).contains(&digits)
        && value[1..]
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '(' | ')' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_indicators_get_their_type() {
        let cases = [
            ("8.8.8.8", "ip-src"),
            ("2001:db8::1", "ip-src"),
            ("10.0.0.0/8", "ip-src"),
            ("example.com", "domain"),
            ("www.example.co.uk", "hostname"),
            ("https://example.com/a?b=c", "url"),
            ("analyst@example.org", "email-src"),
            ("d41d8cd98f00b204e9800998ecf8427e", "md5"),
            ("da39a3ee5e6b4b0d3255bfef95601890afd80709", "sha1"),
            (
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
                "sha256",
            ),
            ("CVE-2021-44228", "vulnerability"),
            ("AS13335", "AS"),
            ("1A1zP1eP5QGefi2DMPTfTL5SLmv7DivfNa", "btc"),
            ("bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "btc"),
            ("+32 2 555 01 23", "phone-number"),
            ("just some words", "text"),
            ("10.0.0.0/33", "text"),
            ("1.2.3", "text"),
        ];
        for (value, expected) in cases {
            assert_eq!(suggest_type(value), expected, "{value}");
        }
    }

    #[test]
    fn lines_are_trimmed_and_deduplicated() {
        let found = detect_values(" 8.8.8.8 \n\nexample.com\n8.8.8.8\n");
        let values: Vec<_> = found
            .iter()
            .map(|d| (d.value.as_str(), d.suggested))
            .collect();
        assert_eq!(values, [("8.8.8.8", "ip-src"), ("example.com", "domain")]);
    }
}

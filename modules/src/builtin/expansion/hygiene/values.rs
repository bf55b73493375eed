//! The value checks of the reference, with the Python parsing rules its answers depend on:
//! `ipaddress` (strict dotted quads, zone suffixes, 3.11 text form), `urllib.parse`
//! (scheme detection, netloc, bracket checks) and the `idna` codec's label limits.

use std::net::{Ipv4Addr, Ipv6Addr};

/// Why a value was refused: a message for the user, or the reference's catch-all for a
/// Python `ValueError` raised while parsing.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    Message(&'static str),
    Invalid,
}

pub use crate::pycompat::python_strip;

/// `ipaddress.IPv4Address`: four decimal octets, no leading zeros.
pub fn parse_ipv4(text: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = text.split('.');
    for octet in &mut octets {
        let part = parts.next()?;
        if part.is_empty()
            || part.len() > 3
            || !part.bytes().all(|b| b.is_ascii_digit())
            || (part.len() > 1 && part.starts_with('0'))
        {
            return None;
        }
        *octet = part.parse().ok()?;
    }
    parts.next().is_none().then(|| Ipv4Addr::from(octets))
}

/// `ipaddress.IPv6Address` without a zone suffix.
pub fn parse_ipv6(text: &str) -> Option<Ipv6Addr> {
    // Python reads an embedded IPv4 tail with its own strict rules.
    if let Some((_, tail)) = text.rsplit_once(':')
        && tail.contains('.')
        && parse_ipv4(tail).is_none()
    {
        return None;
    }
    text.parse().ok()
}

/// `str(ipaddress.ip_address(text))` as Python 3.11 writes it; `None` where it raises.
pub fn python_ip_text(text: &str) -> Option<String> {
    if let Some(ip) = parse_ipv4(text) {
        return Some(ip.to_string());
    }
    let (address, zone) = match text.split_once('%') {
        Some((_, zone)) if zone.is_empty() || zone.contains('%') => return None,
        Some((address, zone)) => (address, Some(zone)),
        None => (text, None),
    };
    let ip = parse_ipv6(address)?;
    let mut out = ipv6_text(ip);
    if let Some(zone) = zone {
        out.push('%');
        out.push_str(zone);
    }
    Some(out)
}

use crate::pycompat::python_ipv6_text as ipv6_text;

/// `urllib.parse.urlsplit(url)` as far as the hostname checks need it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Split {
    pub scheme: String,
    pub netloc: String,
}

/// Python 3.11's `urlsplit` scheme and netloc; `Err` where it raises `ValueError`.
pub fn python_urlsplit(url: &str) -> Result<Split, ()> {
    let url: String = url
        .trim_start_matches(|c: char| c <= ' ')
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let mut rest = url.as_str();
    let mut scheme = String::new();
    if let Some(colon) = rest.find(':')
        && colon > 0
        && rest.as_bytes()[0].is_ascii_alphabetic()
        && rest[..colon]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    {
        scheme = rest[..colon].to_ascii_lowercase();
        rest = &rest[colon + 1..];
    }
    let mut netloc = String::new();
    if let Some(after) = rest.strip_prefix("//") {
        let end = after.find(['/', '?', '#']).unwrap_or(after.len());
        netloc = after[..end].to_owned();
        let (open, close) = (netloc.contains('['), netloc.contains(']'));
        if open != close {
            return Err(());
        }
        if open {
            let bracketed = netloc
                .split_once('[')
                .map(|(_, b)| b.split_once(']').map_or(b, |(h, _)| h))
                .unwrap_or_default();
            check_bracketed_host(bracketed)?;
        }
    }
    Ok(Split { scheme, netloc })
}

fn check_bracketed_host(host: &str) -> Result<(), ()> {
    if let Some(future) = host.strip_prefix('v') {
        // IPvFuture: v<hex>.<anything>
        let (version, rest) = future.split_once('.').ok_or(())?;
        let valid = !version.is_empty()
            && version.bytes().all(|b| b.is_ascii_hexdigit())
            && !rest.is_empty();
        return if valid { Ok(()) } else { Err(()) };
    }
    let (address, zone) = host.split_once('%').unwrap_or((host, "x"));
    if zone.is_empty() || zone.contains('%') || parse_ipv6(address).is_none() {
        // An IPv4 address in brackets is refused too.
        return Err(());
    }
    Ok(())
}

impl Split {
    fn hostinfo(&self) -> &str {
        self.netloc
            .rsplit_once('@')
            .map_or(&self.netloc, |(_, h)| h)
    }

    /// `SplitResult.hostname`: lower-cased, without brackets, port or credentials.
    pub fn hostname(&self) -> Option<String> {
        let info = self.hostinfo();
        let host = match info.split_once('[') {
            Some((_, bracketed)) => bracketed.split_once(']').map_or(bracketed, |(h, _)| h),
            None => info.split_once(':').map_or(info, |(h, _)| h),
        };
        if host.is_empty() {
            return None;
        }
        Some(match host.split_once('%') {
            Some((name, zone)) => format!("{}%{zone}", name.to_lowercase()),
            None => host.to_lowercase(),
        })
    }

    /// Whether the netloc names a non-empty user or password.
    pub fn has_credentials(&self) -> bool {
        match self.netloc.rsplit_once('@') {
            Some((userinfo, _)) => !userinfo.is_empty() && userinfo != ":",
            None => false,
        }
    }
}

/// `urlparse(value).hostname`, which the hostname lists match against.
pub fn python_hostname(value: &str) -> Result<Option<String>, ()> {
    Ok(python_urlsplit(value)?.hostname())
}

/// The reference's domain check: trailing dots dropped, IDNA-encoded, lower-cased, then
/// every label a DNS label of letters, digits and inner hyphens.
pub fn normalise_domain(value: &str) -> Result<String, Refusal> {
    let invalid = Refusal::Message("Invalid domain or hostname.");
    let trimmed = value.trim_end_matches('.');
    let ascii = if trimmed.is_ascii() {
        // The codec's ASCII path: every label but the last must be 1 to 63 bytes.
        let labels: Vec<&str> = trimmed.split('.').collect();
        let (last, init) = labels.split_last().ok_or(Refusal::Invalid)?;
        if init.iter().any(|l| l.is_empty() || l.len() >= 64) || last.len() >= 64 {
            return Err(Refusal::Invalid);
        }
        trimmed.to_owned()
    } else {
        idna::domain_to_ascii(trimmed).map_err(|_| Refusal::Invalid)?
    };
    let lower = ascii.to_ascii_lowercase();
    let label_ok = |label: &str| {
        let b = label.as_bytes();
        let edge = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit();
        (1..=63).contains(&b.len())
            && b.first().is_some_and(edge)
            && b.last().is_some_and(edge)
            && b.iter().all(|c| edge(c) || *c == b'-')
    };
    if lower.len() > 253 || !lower.split('.').all(label_ok) {
        return Err(invalid);
    }
    Ok(lower)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_text_follows_python_3_11() {
        assert_eq!(python_ip_text("192.0.2.1").as_deref(), Some("192.0.2.1"));
        assert_eq!(python_ip_text("192.0.2.01"), None);
        assert_eq!(python_ip_text("1.2.3"), None);
        assert_eq!(
            python_ip_text("2001:DB8:0:0:1::1").as_deref(),
            Some("2001:db8::1:0:0:1")
        );
        assert_eq!(
            python_ip_text("2001:db8:0:1:1:1:1:1").as_deref(),
            Some("2001:db8:0:1:1:1:1:1")
        );
        assert_eq!(
            python_ip_text("::ffff:1.2.3.4").as_deref(),
            Some("::ffff:102:304")
        );
        assert_eq!(
            python_ip_text("fe80::1%eth0").as_deref(),
            Some("fe80::1%eth0")
        );
        assert_eq!(python_ip_text("fe80::1%"), None);
        assert_eq!(python_ip_text("::ffff:1.2.3.04"), None);
        assert_eq!(python_ip_text("::").as_deref(), Some("::"));
    }

    #[test]
    fn urlsplit_matches_python() {
        let s = python_urlsplit("HTTPS://User:pw@Www.Example.COM:8443/a?b#c").unwrap();
        assert_eq!(s.scheme, "https");
        assert_eq!(s.hostname().as_deref(), Some("www.example.com"));
        assert!(s.has_credentials());
        let s = python_urlsplit("http://[2001:DB8::1]:80/").unwrap();
        assert_eq!(s.hostname().as_deref(), Some("2001:db8::1"));
        assert!(python_urlsplit("http://[1.2.3.4]/").is_err());
        assert!(python_urlsplit("http://[::1/").is_err());
        assert!(!python_urlsplit("http://@host/").unwrap().has_credentials());
        assert_eq!(python_hostname("example.com"), Ok(None));
        assert_eq!(
            python_hostname("http://x@Example.com").unwrap().as_deref(),
            Some("example.com")
        );
        assert_eq!(python_hostname("1.2.3.4"), Ok(None));
    }

    #[test]
    fn domains_are_checked_like_the_reference() {
        assert_eq!(
            normalise_domain("WWW.Example.com.").unwrap(),
            "www.example.com"
        );
        assert_eq!(
            normalise_domain("bücher.example").unwrap(),
            "xn--bcher-kva.example"
        );
        assert_eq!(
            normalise_domain("_dmarc.example.com"),
            Err(Refusal::Message("Invalid domain or hostname."))
        );
        assert_eq!(
            normalise_domain(""),
            Err(Refusal::Message("Invalid domain or hostname."))
        );
        // Empty and overlong labels fail in the idna codec, before the label check.
        assert_eq!(normalise_domain("a..b"), Err(Refusal::Invalid));
        assert_eq!(
            normalise_domain(&format!("{}.com", "a".repeat(64))),
            Err(Refusal::Invalid)
        );
        assert_eq!(python_strip("\u{1f} x \n"), "x");
    }
}

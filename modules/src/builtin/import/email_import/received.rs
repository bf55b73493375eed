//! Hostnames and public IP addresses named in `Received` headers, with the same
//! patterns, filters and order as pymisp's email object.

use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::LazyLock;

use regex::Regex;

/// `(relation, value, the Received header it came from)`.
pub type Finding = (&'static str, String, String);

const OCTET: &str = r"(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])";

static FROM_HOST: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"from\s+([\w.-]+)(?:\s+\(([^)]+)\))?").unwrap_or_else(|_| unreachable!())
});

static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    let ip = format!(r"{OCTET}\.{OCTET}\.{OCTET}\.{OCTET}");
    // Python's third branch is a look-behind for ". "; regex has none, so the two
    // characters are matched and left outside the capture.
    Regex::new(&format!(
        r"\[(?P<a>{ip})\]|\((?P<b>{ip})\)|\.\s(?P<c>{ip})\b"
    ))
    .unwrap_or_else(|_| unreachable!())
});

static IPV6: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:[a-fA-F0-9]{1,4}:[a-fA-F0-9]{1,4}(?::[a-fA-F0-9]{1,4}){0,6})\b")
        .unwrap_or_else(|_| unreachable!())
});

/// Walks every Received header (oldest last, as written) and collects what is new.
pub fn findings(headers: &[String]) -> Vec<Finding> {
    let mut seen: HashSet<(&'static str, String)> = HashSet::new();
    let mut out = Vec::new();
    for received in headers {
        let mut add = |relation: &'static str, value: &str| {
            if seen.insert((relation, value.to_owned())) {
                out.push((relation, value.to_owned(), received.clone()));
            }
        };
        for capture in FROM_HOST.captures_iter(received) {
            let declared = capture.get(1).map(|m| m.as_str().trim());
            let reverse = capture.get(2).and_then(|m| {
                m.as_str()
                    .split_whitespace()
                    .next()
                    .map(|w| w.trim_matches(['[', ']', '(', ')']).trim_end_matches('.'))
            });
            for host in [declared, reverse].into_iter().flatten() {
                if host.is_empty() {
                    continue;
                }
                match host.parse::<IpAddr>() {
                    Ok(ip) if !is_private(ip) => add("received-header-ip", host),
                    Ok(_) => {}
                    Err(_) if plausible_hostname(host) => add("received-header-hostname", host),
                    Err(_) => {}
                }
            }
        }
        for capture in IPV4.captures_iter(received) {
            let candidate = ["a", "b", "c"]
                .iter()
                .find_map(|name| capture.name(name))
                .map(|m| m.as_str());
            if let Some(ip) = candidate
                && let Ok(parsed) = ip.parse::<IpAddr>()
                && !is_private(parsed)
            {
                add("received-header-ip", ip);
            }
        }
        for found in IPV6.find_iter(received) {
            if let Ok(parsed) = found.as_str().parse::<IpAddr>()
                && !is_private(parsed)
            {
                add("received-header-ip", found.as_str());
            }
        }
    }
    out
}

/// A dotted name whose last label has at least two characters.
fn plausible_hostname(host: &str) -> bool {
    host.contains('.')
        && !host.ends_with('.')
        && host
            .rsplit('.')
            .next()
            .is_some_and(|tld| tld.chars().count() > 1)
}

/// Python 3.11's `ip_address(...).is_private`: the IANA special-purpose ranges that the
/// reference filters out (documentation ranges included).
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_private_v4(v4),
        IpAddr::V6(v6) => is_private_v6(v6),
    }
}

fn in_v4(ip: Ipv4Addr, net: [u8; 4], prefix: u32) -> bool {
    let mask = if prefix == 0 {
        0
    } else {
        u32::MAX << (32 - prefix)
    };
    u32::from(ip) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn is_private_v4(ip: Ipv4Addr) -> bool {
    const NETS: [([u8; 4], u32); 14] = [
        ([0, 0, 0, 0], 8),
        ([10, 0, 0, 0], 8),
        ([127, 0, 0, 0], 8),
        ([169, 254, 0, 0], 16),
        ([172, 16, 0, 0], 12),
        ([192, 0, 0, 0], 29),
        ([192, 0, 0, 170], 31),
        ([192, 0, 2, 0], 24),
        ([192, 168, 0, 0], 16),
        ([198, 18, 0, 0], 15),
        ([198, 51, 100, 0], 24),
        ([203, 0, 113, 0], 24),
        ([240, 0, 0, 0], 4),
        ([255, 255, 255, 255], 32),
    ];
    NETS.iter().any(|(net, prefix)| in_v4(ip, *net, *prefix))
}

fn is_private_v6(ip: Ipv6Addr) -> bool {
    const NETS: [(u128, u32); 10] = [
        (1, 128),
        (0, 128),
        (0xffff_0000_0000, 96),
        (0x0100 << 112, 64),
        (0x2001 << 112, 23),
        ((0x2001 << 112) | (0x2 << 96), 48),
        ((0x2001 << 112) | (0x0db8 << 96), 32),
        ((0x2001 << 112) | (0x10 << 96), 28),
        (0xfc00 << 112, 7),
        (0xfe80 << 112, 10),
    ];
    let value = u128::from(ip);
    NETS.iter().any(|(net, prefix)| {
        let mask = u128::MAX << (128 - prefix);
        value & mask == net & mask
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values(header: &str) -> Vec<(&'static str, String)> {
        findings(&[header.to_owned()])
            .into_iter()
            .map(|(r, v, _)| (r, v))
            .collect()
    }

    #[test]
    fn hosts_and_public_addresses() {
        assert_eq!(
            values(
                "from mail.example.org (mail.example.org [192.0.2.10]) by mx.example.net; Mon, 15 Jan 2024 10:00:01 +0000"
            ),
            vec![("received-header-hostname", "mail.example.org".to_owned())]
        );
        assert_eq!(
            values("from unknown (HELO host) (8.8.8.8) by smtp.other.example"),
            vec![("received-header-ip", "8.8.8.8".to_owned())]
        );
        assert_eq!(
            values("from relay.example.com (relay.example.com. [2a00:1450:4864::1]) by x"),
            vec![("received-header-hostname", "relay.example.com".to_owned())]
        );
        assert_eq!(
            values(
                "from h.example.net ([9.9.9.9]) by x; via 2a00:1450:4864:20:0:0:0:1 or 2a00:1450::1"
            ),
            vec![
                ("received-header-hostname", "h.example.net".to_owned()),
                ("received-header-ip", "9.9.9.9".to_owned()),
                ("received-header-ip", "2a00:1450:4864:20:0:0:0:1".to_owned())
            ]
        );
    }

    #[test]
    fn blank_parentheses_do_not_crash() {
        assert_eq!(
            values("from x.example.org (   ) by y"),
            vec![("received-header-hostname", "x.example.org".to_owned())]
        );
    }

    #[test]
    fn private_ranges_match_python() {
        for private in [
            "10.1.2.3",
            "192.0.2.1",
            "203.0.113.9",
            "::1",
            "fe80::1",
            "2001:db8::1",
        ] {
            assert!(is_private(private.parse().unwrap()), "{private}");
        }
        for public in ["8.8.8.8", "100.64.0.1", "2a00:1450::1"] {
            assert!(!is_private(public.parse().unwrap()), "{public}");
        }
    }
}

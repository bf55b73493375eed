//! The IP address an attribute names, and whether it is one that can be looked up at all
//! (a globally routed address, as Python's `ipaddress.is_global` decides).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The address in `value` for an attribute of `attribute_type`: the IP half of
/// `domain|ip`, the part before the port of `ip-*|port`, or the whole value.
pub fn input_ip(attribute_type: &str, value: &str) -> Option<IpAddr> {
    let text = if attribute_type == "domain|ip" {
        value.split('|').nth(1)?
    } else if attribute_type.ends_with("|port") {
        value.rsplit_once('|').map_or(value, |(ip, _)| ip)
    } else {
        value
    };
    text.trim().parse().ok()
}

/// Globally routed: not private, loopback, link-local, documentation, benchmarking,
/// reserved, shared (CGN) or multicast space.
pub fn is_global(address: IpAddr) -> bool {
    match address {
        IpAddr::V4(v4) => is_global_v4(v4),
        IpAddr::V6(v6) => is_global_v6(v6),
    }
}

fn in_v4(address: Ipv4Addr, network: [u8; 4], prefix: u32) -> bool {
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    u32::from(address) & mask == u32::from(Ipv4Addr::from(network)) & mask
}

fn in_v6(address: Ipv6Addr, network: [u16; 8], prefix: u32) -> bool {
    let mask = u128::MAX.checked_shl(128 - prefix).unwrap_or(0);
    u128::from(address) & mask == u128::from(Ipv6Addr::from(network)) & mask
}

/// IANA's special-purpose IPv4 ranges that are not globally reachable.
const V4_NOT_GLOBAL: &[([u8; 4], u32)] = &[
    ([0, 0, 0, 0], 8),
    ([10, 0, 0, 0], 8),
    ([100, 64, 0, 0], 10),
    ([127, 0, 0, 0], 8),
    ([169, 254, 0, 0], 16),
    ([172, 16, 0, 0], 12),
    ([192, 0, 0, 0], 24),
    ([192, 0, 2, 0], 24),
    ([192, 168, 0, 0], 16),
    ([198, 18, 0, 0], 15),
    ([198, 51, 100, 0], 24),
    ([203, 0, 113, 0], 24),
    ([224, 0, 0, 0], 4),
    ([240, 0, 0, 0], 4),
];

fn is_global_v4(address: Ipv4Addr) -> bool {
    // Two anycast services inside 192.0.0.0/24 are globally reachable.
    if address == Ipv4Addr::new(192, 0, 0, 9) || address == Ipv4Addr::new(192, 0, 0, 10) {
        return true;
    }
    !V4_NOT_GLOBAL
        .iter()
        .any(|(network, prefix)| in_v4(address, *network, *prefix))
}

const V6_NOT_GLOBAL: &[([u16; 8], u32)] = &[
    ([0, 0, 0, 0, 0, 0, 0, 0], 128),
    ([0, 0, 0, 0, 0, 0, 0, 1], 128),
    ([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48),
    ([0x100, 0, 0, 0, 0, 0, 0, 0], 64),
    ([0x2001, 0, 0, 0, 0, 0, 0, 0], 23),
    ([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32),
    ([0x2002, 0, 0, 0, 0, 0, 0, 0], 16),
    ([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20),
    ([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7),
    ([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10),
    ([0xff00, 0, 0, 0, 0, 0, 0, 0], 8),
];

/// Globally reachable services carved out of 2001::/23.
const V6_GLOBAL_EXCEPTIONS: &[([u16; 8], u32)] = &[
    ([0x2001, 1, 0, 0, 0, 0, 0, 1], 128),
    ([0x2001, 1, 0, 0, 0, 0, 0, 2], 128),
    ([0x2001, 3, 0, 0, 0, 0, 0, 0], 32),
    ([0x2001, 4, 0x112, 0, 0, 0, 0, 0], 48),
    ([0x2001, 0x20, 0, 0, 0, 0, 0, 0], 28),
    ([0x2001, 0x30, 0, 0, 0, 0, 0, 0], 28),
];

fn is_global_v6(address: Ipv6Addr) -> bool {
    if let Some(v4) = address.to_ipv4_mapped() {
        return is_global_v4(v4);
    }
    if V6_GLOBAL_EXCEPTIONS
        .iter()
        .any(|(network, prefix)| in_v6(address, *network, *prefix))
    {
        return true;
    }
    !V6_NOT_GLOBAL
        .iter()
        .any(|(network, prefix)| in_v6(address, *network, *prefix))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn global(text: &str) -> bool {
        is_global(text.parse().unwrap())
    }

    #[test]
    fn public_addresses_are_global() {
        for text in [
            "91.128.103.196",
            "8.8.8.8",
            "192.0.0.9",
            "2a00:1450:4001::1",
            "2001:4:112::1",
        ] {
            assert!(global(text), "{text}");
        }
    }

    #[test]
    fn special_purpose_addresses_are_not() {
        for text in [
            "10.0.0.1",
            "100.64.1.1",
            "127.0.0.1",
            "169.254.1.1",
            "172.31.255.255",
            "192.168.1.1",
            "192.0.2.1",
            "198.18.0.1",
            "224.0.0.1",
            "255.255.255.255",
            "0.1.2.3",
            "::1",
            "::",
            "fe80::1",
            "fd00::1",
            "2001:db8::1",
            "::ffff:10.0.0.1",
            "ff02::1",
        ] {
            assert!(!global(text), "{text}");
        }
    }

    #[test]
    fn the_ip_part_of_composite_values_is_used() {
        let ip = |t: &str, v: &str| input_ip(t, v).map(|a| a.to_string());
        assert_eq!(
            ip("ip-dst|port", "91.128.103.196|443").as_deref(),
            Some("91.128.103.196")
        );
        assert_eq!(
            ip("ip-src|port", "2a00:1450:4001::1|443").as_deref(),
            Some("2a00:1450:4001::1")
        );
        assert_eq!(
            ip("domain|ip", "example.com|91.128.103.196").as_deref(),
            Some("91.128.103.196")
        );
        assert_eq!(ip("ip-src", " 8.8.8.8 ").as_deref(), Some("8.8.8.8"));
        assert_eq!(ip("domain|ip", "example.com"), None);
        assert_eq!(ip("ip-src", "not-an-ip"), None);
    }
}

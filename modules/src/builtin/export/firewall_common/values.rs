//! Validating indicator values: host names, ports, addresses and networks.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use serde_json::Value;

use super::*;

/// A non-empty string without whitespace or control characters.
pub(in crate::builtin::export) fn indicator_text(value: &Value) -> Result<&str, Invalid> {
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
pub(in crate::builtin::export) fn hostname(value: &str) -> Result<String, Invalid> {
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
pub(in crate::builtin::export) fn port(value: &str) -> Result<String, Invalid> {
    let valid = (1..=5).contains(&value.len()) && value.bytes().all(|b| b.is_ascii_digit());
    match value.parse::<u32>() {
        Ok(n) if valid && n <= 65535 => Ok(n.to_string()),
        _ => Err("Port must be an integer from 0 to 65535.".into()),
    }
}

pub(in crate::builtin::export) use crate::pycompat::python_ip_text as ip_text;

/// A single address; zone suffixes (`%eth0`) are refused.
pub(in crate::builtin::export) fn parse_address(value: &str) -> Result<IpAddr, Invalid> {
    if value.contains('%') {
        return Err("Scoped IPv6 is unsupported.".into());
    }
    value
        .parse::<IpAddr>()
        .map_err(|_| format!("{value} is not an IPv4 or IPv6 address.").into())
}

/// An IP network. Host bits are cleared; an address alone is a host network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(in crate::builtin::export) struct Net {
    network: IpAddr,
    prefix: u8,
}

pub(super) fn prefix_digits(text: &str, max: u8) -> Option<u8> {
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
pub(super) fn ipv4_mask_prefix(mask: Ipv4Addr) -> Option<u8> {
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

    pub(super) fn with_prefix(self, prefix: u8) -> Net {
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

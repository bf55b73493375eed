//! Checks and normal forms of indicator values: DNS names, IP addresses and networks, and
//! URLs split the way Python's `urlsplit` does (the reference's outputs depend on it).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::{Checked, Invalid};

fn valid_label(label: &str) -> bool {
    let bytes = label.as_bytes();
    let inner_ok = bytes
        .iter()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-');
    !bytes.is_empty()
        && bytes.len() <= 63
        && inner_ok
        && bytes[0] != b'-'
        && bytes[bytes.len() - 1] != b'-'
}

/// A DNS name in lower-case ASCII (IDNA for non-ASCII), one trailing dot dropped; every
/// label must be letters, digits and inner hyphens.
pub(crate) fn dns_name(value: &str) -> Checked<String> {
    let trimmed = value.strip_suffix('.').unwrap_or(value);
    let ascii = if trimmed.is_ascii() {
        trimmed.to_ascii_lowercase()
    } else {
        idna::domain_to_ascii(trimmed)
            .map_err(|_| Invalid::from("Invalid DNS name."))?
            .to_ascii_lowercase()
    };
    if ascii.len() > 253 || !ascii.split('.').all(valid_label) {
        return Err("Invalid DNS name.".into());
    }
    Ok(ascii)
}

/// A DNS name with at least two labels and a top-level label that is not all digits.
pub(crate) fn qualified_dns_name(value: &str) -> Checked<String> {
    let refused = || Invalid::from("Invalid qualified DNS name.");
    let name = dns_name(value).map_err(|_| refused())?;
    let labels: Vec<&str> = name.split('.').collect();
    let top_has_letter = labels
        .last()
        .is_some_and(|l| l.bytes().any(|b| b.is_ascii_lowercase()));
    if labels.len() < 2 || !top_has_letter {
        return Err(refused());
    }
    Ok(name)
}

pub(crate) use crate::pycompat::python_ip_text as ip_text;

pub(crate) fn ip_address(value: &str) -> Checked<IpAddr> {
    value.parse::<IpAddr>().map_err(|_| {
        format!(
            "{} does not appear to be an IPv4 or IPv6 address",
            crate::pycompat::python_repr_str(value)
        )
        .into()
    })
}

/// A network written as address/prefix (or an IPv4 netmask/hostmask); host bits are
/// cleared, as `ip_network(strict=False)` does.
pub(crate) fn ip_network(value: &str) -> Checked<(IpAddr, u8)> {
    let refused = || {
        Invalid(format!(
            "{value} does not appear to be an IPv4 or IPv6 network"
        ))
    };
    let mut parts = value.split('/');
    let (Some(address), Some(mask), None) = (parts.next(), parts.next(), parts.next()) else {
        return Err(refused());
    };
    let address = ip_address(address).map_err(|_| refused())?;
    let bits: u8 = if address.is_ipv4() { 32 } else { 128 };
    let prefix = if !mask.is_empty() && mask.bytes().all(|b| b.is_ascii_digit()) {
        mask.parse::<u16>().ok().filter(|p| *p <= u16::from(bits))
    } else if address.is_ipv4() {
        ipv4_mask_prefix(mask)
    } else {
        None
    }
    .ok_or_else(refused)?;
    let prefix = u8::try_from(prefix).map_err(|_| refused())?;
    Ok((masked(address, prefix), prefix))
}

fn ipv4_mask_prefix(mask: &str) -> Option<u16> {
    let value = u32::from(mask.parse::<Ipv4Addr>().ok()?);
    let ones = value.leading_ones();
    if value.checked_shl(ones).unwrap_or(0) == 0 {
        return u16::try_from(ones).ok();
    }
    let zeros = value.leading_zeros();
    let rest = value.checked_shl(zeros).unwrap_or(0);
    (rest.leading_ones() + zeros == 32).then(|| u16::try_from(zeros).ok())?
}

fn masked(address: IpAddr, prefix: u8) -> IpAddr {
    match address {
        IpAddr::V4(v4) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4(Ipv4Addr::from(u32::from(v4) & mask))
        }
        IpAddr::V6(v6) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6(Ipv6Addr::from(u128::from(v6) & mask))
        }
    }
}

/// A URL cut into the parts Python's `urlsplit` gives, with the same leniency.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct SplitUrl {
    pub scheme: String,
    pub netloc: String,
    pub path: String,
    pub query: String,
    pub fragment: String,
}

impl SplitUrl {
    pub fn parse(value: &str) -> Checked<SplitUrl> {
        let cleaned: String = value
            .trim_start_matches(|c: char| c <= ' ')
            .chars()
            .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
            .collect();
        let mut rest = cleaned.as_str();
        let mut split = SplitUrl::default();
        if let Some(colon) = rest.find(':') {
            let candidate = &rest[..colon];
            let valid = candidate
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic())
                && candidate
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
            if valid {
                split.scheme = candidate.to_ascii_lowercase();
                rest = &rest[colon + 1..];
            }
        }
        if let Some(after) = rest.strip_prefix("//") {
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            split.netloc = after[..end].to_owned();
            rest = &after[end..];
            let (open, close) = (split.netloc.contains('['), split.netloc.contains(']'));
            if open != close {
                return Err("Invalid IPv6 URL".into());
            }
            if open {
                let inside = split.netloc.split_once('[').map_or("", |(_, r)| r);
                check_bracketed(inside.split_once(']').map_or(inside, |(h, _)| h))?;
            }
        }
        if let Some((before, fragment)) = rest.split_once('#') {
            split.fragment = fragment.to_owned();
            rest = before;
        }
        if let Some((before, query)) = rest.split_once('?') {
            split.query = query.to_owned();
            rest = before;
        }
        split.path = rest.to_owned();
        Ok(split)
    }

    fn hostinfo(&self) -> (&str, Option<&str>) {
        let hostinfo = self
            .netloc
            .rsplit_once('@')
            .map_or(&*self.netloc, |(_, h)| h);
        let (host, port) = match hostinfo.split_once('[') {
            Some((_, bracketed)) => {
                let (host, after) = bracketed.split_once(']').unwrap_or((bracketed, ""));
                (host, after.split_once(':').map_or("", |(_, p)| p))
            }
            None => hostinfo.split_once(':').unwrap_or((hostinfo, "")),
        };
        (host, (!port.is_empty()).then_some(port))
    }

    /// The host, lower-cased (a zone suffix keeps its case); `None` when empty.
    pub fn hostname(&self) -> Option<String> {
        let (host, _) = self.hostinfo();
        if host.is_empty() {
            return None;
        }
        Some(match host.split_once('%') {
            Some((name, zone)) => format!("{}%{zone}", name.to_lowercase()),
            None => host.to_lowercase(),
        })
    }

    /// The explicit port, refused with Python's wording when it is no number or too big.
    pub fn port(&self) -> Checked<Option<u16>> {
        let Some(text) = self.hostinfo().1 else {
            return Ok(None);
        };
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "Port could not be cast to integer value as {}",
                crate::pycompat::python_repr_str(text)
            )
            .into());
        }
        let digits = text.trim_start_matches('0');
        if digits.len() > 5 {
            return Err("Port out of range 0-65535".into());
        }
        let number: u32 = if digits.is_empty() {
            0
        } else {
            digits
                .parse()
                .map_err(|_| Invalid::from("Port out of range 0-65535"))?
        };
        u16::try_from(number)
            .map(Some)
            .map_err(|_| "Port out of range 0-65535".into())
    }

    /// Whether the authority carries credentials (`user@` or `user:password@`).
    pub fn has_userinfo(&self) -> bool {
        self.netloc.contains('@')
    }
}

fn check_bracketed(host: &str) -> Checked<()> {
    if let Some(future) = host.strip_prefix('v') {
        let valid = future.split_once('.').is_some_and(|(hex, rest)| {
            !hex.is_empty() && hex.bytes().all(|b| b.is_ascii_hexdigit()) && !rest.is_empty()
        });
        return if valid {
            Ok(())
        } else {
            Err("IPvFuture address is invalid".into())
        };
    }
    let address = host.split_once('%').map_or(host, |(a, _)| a);
    match address.parse::<IpAddr>() {
        Ok(IpAddr::V6(_)) => Ok(()),
        Ok(IpAddr::V4(_)) => Err("An IPv4 address cannot be in brackets".into()),
        Err(_) => Err(format!(
            "{} does not appear to be an IPv4 or IPv6 address",
            crate::pycompat::python_repr_str(host)
        )
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_are_normalised_and_checked() {
        assert_eq!(dns_name("Evil.Example.COM.").unwrap(), "evil.example.com");
        assert_eq!(dns_name("bücher.example").unwrap(), "xn--bcher-kva.example");
        assert_eq!(dns_name("localhost").unwrap(), "localhost");
        assert!(dns_name("a..b").is_err());
        assert!(dns_name("-a.b").is_err());
        assert!(dns_name("under_score.example").is_err());
        assert!(qualified_dns_name("localhost").is_err());
        assert!(qualified_dns_name("host.123").is_err());
        assert_eq!(qualified_dns_name("a.b.c").unwrap(), "a.b.c");
    }

    #[test]
    fn networks_clear_host_bits() {
        let (net, prefix) = ip_network("192.0.2.77/24").unwrap();
        assert_eq!((net.to_string(), prefix), ("192.0.2.0".to_owned(), 24));
        let (net, prefix) = ip_network("10.1.2.3/255.255.0.0").unwrap();
        assert_eq!((net.to_string(), prefix), ("10.1.0.0".to_owned(), 16));
        let (net, prefix) = ip_network("2001:db8::1/32").unwrap();
        assert_eq!((net.to_string(), prefix), ("2001:db8::".to_owned(), 32));
        assert!(ip_network("10.0.0.0/33").is_err());
        assert!(ip_network("10.0.0.0/8/8").is_err());
        assert_eq!(ip_text("::ffff:1.2.3.4".parse().unwrap()), "::ffff:102:304");
    }

    #[test]
    fn urls_split_like_python() {
        let url = SplitUrl::parse("HTTP://User@Host.Example:8080/p/a?q=1#frag").unwrap();
        assert_eq!(url.scheme, "http");
        assert_eq!(url.netloc, "User@Host.Example:8080");
        assert_eq!(
            (url.path.as_str(), url.query.as_str(), url.fragment.as_str()),
            ("/p/a", "q=1", "frag")
        );
        assert_eq!(url.hostname().as_deref(), Some("host.example"));
        assert_eq!(url.port().unwrap(), Some(8080));
        assert!(url.has_userinfo());
        let v6 = SplitUrl::parse("https://[2001:DB8::1]:443/").unwrap();
        assert_eq!(v6.hostname().as_deref(), Some("2001:db8::1"));
        assert!(SplitUrl::parse("http://[1.2.3.4]/").is_err());
        assert!(SplitUrl::parse("http://[::1/").is_err());
        assert_eq!(
            SplitUrl::parse("http://a:x/")
                .unwrap()
                .port()
                .unwrap_err()
                .0,
            "Port could not be cast to integer value as 'x'"
        );
        assert!(SplitUrl::parse("http://a:70000/").unwrap().port().is_err());
        assert_eq!(SplitUrl::parse("http://a/").unwrap().port().unwrap(), None);
    }
}

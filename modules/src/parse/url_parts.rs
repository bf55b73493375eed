//! Splits a URL the way Python's `urlparse` does, which is what MISP's URL objects are
//! built from. Unlike a WHATWG parser it normalises nothing: paths, queries and default
//! ports stay as written, so the parts match what analysts see in the indicator.

use std::net::IpAddr;

/// The parts of a URL; empty strings where a part is absent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct UrlParts {
    pub scheme: String,
    pub netloc: String,
    pub path: String,
    pub query: String,
    pub fragment: String,
    /// Lower-cased host without brackets or credentials; `None` when there is none.
    pub host: Option<String>,
    pub port: Option<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("the URL has no host")]
    NoHost,
    #[error("the URL has an invalid port {0:?}")]
    BadPort(String),
    /// Python's `urlsplit` refuses these: `[` without `]`, or brackets around something
    /// that is not an IPv6 address (`evil[.]com`, a defanged name).
    #[error("the URL has an invalid bracketed host")]
    BadBrackets,
}

/// Splits `url`. A value without `//` near its start is taken as starting with the host
/// (`example.com/x`), as MISP's URL parser does.
pub fn split_url(url: &str) -> Result<UrlParts, UrlError> {
    let head: String = url.chars().take(10).collect();
    // `urlsplit` drops every tab, CR and LF first, as WHATWG parsers do.
    let cleaned: String = url
        .chars()
        .filter(|c| !matches!(c, '\t' | '\r' | '\n'))
        .collect();
    let url = if head.contains("//") {
        cleaned
    } else {
        format!("//{cleaned}")
    };
    let url = url.as_str();
    let (scheme, rest) = split_scheme(url);
    let (netloc, rest) = match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            (&after[..end], &after[end..])
        }
        None => ("", rest),
    };
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (host, port) = host_and_port(netloc)?;
    Ok(UrlParts {
        scheme: scheme.to_ascii_lowercase(),
        netloc: netloc.to_owned(),
        path: path.to_owned(),
        query: query.to_owned(),
        fragment: fragment.to_owned(),
        host: host.ok_or(UrlError::NoHost).map(Some)?,
        port,
    })
}

fn split_scheme(url: &str) -> (&str, &str) {
    if let Some((candidate, rest)) = url.split_once(':') {
        let mut chars = candidate.chars();
        let valid = chars.next().is_some_and(|c| c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
        if valid {
            return (candidate, rest);
        }
    }
    ("", url)
}

fn host_and_port(netloc: &str) -> Result<(Option<String>, Option<u16>), UrlError> {
    check_brackets(netloc)?;
    let hostinfo = netloc.rsplit_once('@').map_or(netloc, |(_, h)| h);
    let (host, port_text) = if let Some(bracketed) = hostinfo.strip_prefix('[') {
        match bracketed.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => (bracketed, None),
        }
    } else {
        match hostinfo.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (hostinfo, None),
        }
    };
    let port = match port_text {
        None | Some("") => None,
        Some(text) => {
            let valid = text.bytes().all(|b| b.is_ascii_digit());
            let number = valid.then(|| text.parse::<u32>().ok()).flatten();
            match number.and_then(|n| u16::try_from(n).ok()) {
                Some(port) => Some(port),
                None => return Err(UrlError::BadPort(text.to_owned())),
            }
        }
    };
    let host = (!host.is_empty()).then(|| host.to_lowercase());
    Ok((host, port))
}

/// `urlsplit`'s checks of a netloc with brackets: both present, and around an IPv6
/// address (zone allowed) or an IPvFuture `vX.…` literal.
fn check_brackets(netloc: &str) -> Result<(), UrlError> {
    let (open, close) = (netloc.contains('['), netloc.contains(']'));
    if open != close {
        return Err(UrlError::BadBrackets);
    }
    if !open {
        return Ok(());
    }
    let inside = netloc
        .split_once('[')
        .map_or("", |(_, after)| after.split(']').next().unwrap_or(after));
    let valid = match inside.strip_prefix('v') {
        Some(future) => future.split_once('.').is_some_and(|(version, rest)| {
            !version.is_empty()
                && version.bytes().all(|b| b.is_ascii_hexdigit())
                && !rest.is_empty()
        }),
        None => {
            let unzoned = inside.split('%').next().unwrap_or(inside);
            unzoned.parse::<std::net::Ipv6Addr>().is_ok()
        }
    };
    if valid {
        Ok(())
    } else {
        Err(UrlError::BadBrackets)
    }
}

/// Whether `host` is an IP address for pymisp: anything C's `inet_aton` reads as IPv4
/// (`127.1`, `0x7f.1`, `0177.0.0.1`, `2130706433`), or IPv6 (a zone suffix is ignored).
pub fn is_ip_host(host: &str) -> bool {
    let unzoned = host.split('%').next().unwrap_or(host);
    inet_aton(host).is_some() || unzoned.parse::<IpAddr>().is_ok()
}

/// C's `inet_aton`: one to four dot-separated numbers, each decimal, octal (`0` prefix) or
/// hexadecimal (`0x`); the last one fills the remaining bytes. Text after a space is
/// ignored, as glibc ignores it.
fn inet_aton(text: &str) -> Option<u32> {
    let text = text.split(|c: char| c.is_ascii_whitespace()).next()?;
    let parts: Vec<&str> = text.split('.').collect();
    if parts.len() > 4 {
        return None;
    }
    let numbers = parts
        .iter()
        .map(|p| c_number(p))
        .collect::<Option<Vec<u64>>>()?;
    let (last, leading) = numbers.split_last()?;
    if leading.iter().any(|n| *n > 0xff) {
        return None;
    }
    let last_bits = 8 * (4 - leading.len() as u32);
    if *last >= 1u64 << last_bits {
        return None;
    }
    let high = leading
        .iter()
        .enumerate()
        .fold(0u64, |acc, (i, n)| acc | (n << (24 - 8 * i as u32)));
    u32::try_from(high | last).ok()
}

/// One number as `strtoul(…, 0)` reads it for `inet_aton`; digits only, nothing after.
fn c_number(text: &str) -> Option<u64> {
    let (digits, radix) = if let Some(hex) = text.strip_prefix("0x").or(text.strip_prefix("0X")) {
        (hex, 16)
    } else if text.len() > 1 && text.starts_with('0') {
        (&text[1..], 8)
    } else {
        (text, 10)
    };
    if digits.is_empty() {
        // `0` alone is a number; `0x` alone and an empty part are not.
        return (text == "0").then_some(0);
    }
    if !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix)
        .ok()
        .filter(|n| *n <= 0xffff_ffff)
}

/// The host in ASCII form: internationalised names become their `xn--` spelling.
pub fn ascii_host(host: &str) -> String {
    if host.is_ascii() {
        return host.to_owned();
    }
    idna::domain_to_ascii(host).unwrap_or_else(|_| host.to_owned())
}

/// Domain-level parts of a host name by the Public Suffix List; all `None` for an IP
/// literal.
pub struct DomainParts {
    pub tld: Option<String>,
    pub subdomain: Option<String>,
    pub domain_without_tld: Option<String>,
    pub domain: Option<String>,
}

pub fn domain_parts(host: &str) -> DomainParts {
    let none = DomainParts {
        tld: None,
        subdomain: None,
        domain_without_tld: None,
        domain: None,
    };
    if is_ip_host(host) {
        return none;
    }
    let tld = psl::suffix_str(host).map(str::to_owned);
    let domain = psl::domain_str(host).map(str::to_owned);
    // pymisp takes what comes before the last occurrence, so a final dot on the host
    // (`www.example.com.`) still leaves `www`.
    let before_last = |whole: &str, part: &str| {
        whole
            .rfind(part)
            .map(|at| whole[..at].trim_end_matches('.').to_owned())
            .filter(|rest| !rest.is_empty())
    };
    let domain_without_tld = match (&domain, &tld) {
        (Some(domain), Some(tld)) => before_last(domain, tld),
        _ => None,
    };
    let subdomain = domain.as_deref().and_then(|d| before_last(host, d));
    DomainParts {
        tld,
        subdomain,
        domain_without_tld,
        domain,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_every_part_without_normalising() {
        let parts = split_url("HTTPS://user:pw@WWW.Example.com:80/a/../b?q=1&r#frag").unwrap();
        assert_eq!(parts.scheme, "https");
        assert_eq!(parts.host.as_deref(), Some("www.example.com"));
        assert_eq!(parts.port, Some(80));
        assert_eq!(
            (
                parts.path.as_str(),
                parts.query.as_str(),
                parts.fragment.as_str()
            ),
            ("/a/../b", "q=1&r", "frag")
        );
    }

    #[test]
    fn host_only_values_and_ipv6() {
        let bare = split_url("example.com").unwrap();
        assert_eq!(
            (bare.scheme.as_str(), bare.host.as_deref()),
            ("", Some("example.com"))
        );
        let v6 = split_url("http://[2001:db8::1]:443/").unwrap();
        assert_eq!(
            (v6.host.as_deref(), v6.port),
            (Some("2001:db8::1"), Some(443))
        );
        assert!(
            is_ip_host("2001:db8::1") && is_ip_host("198.51.100.7") && !is_ip_host("example.com")
        );
    }

    #[test]
    fn refuses_missing_hosts_and_bad_ports() {
        assert_eq!(split_url("http:///x"), Err(UrlError::NoHost));
        assert_eq!(split_url(""), Err(UrlError::NoHost));
        assert!(matches!(
            split_url("http://a.com:99999/"),
            Err(UrlError::BadPort(_))
        ));
        assert!(matches!(
            split_url("http://a.com:x/"),
            Err(UrlError::BadPort(_))
        ));
    }

    #[test]
    fn arbitrary_input_never_panics() {
        let pieces = [
            "http", ":", "//", "[", "]", "@", "?", "#", "/", "é", "😀", "::1", "%", "80", "a.b",
            " ", "",
        ];
        for a in pieces {
            for b in pieces {
                for c in pieces {
                    for d in pieces {
                        let _ = split_url(&format!("{a}{b}{c}{d}"));
                    }
                }
            }
        }
    }

    #[test]
    fn inet_aton_forms_are_ip_hosts() {
        // pymisp gives these no domain parts (socket.inet_aton accepts them).
        for host in [
            "127.1",
            "10.1",
            "1.2.3",
            "0x7f.1",
            "0177.0.0.1",
            "2130706433",
            "0x0a000001",
            "0",
        ] {
            assert!(is_ip_host(host), "{host}");
        }
        assert_eq!(inet_aton("127.1"), Some(0x7f00_0001));
        assert_eq!(inet_aton("0177.0.0.1"), Some(0x7f00_0001));
        assert_eq!(inet_aton("1.2.3"), Some(0x0102_0003));
        for host in [
            "1.2.3.",
            "256.1.1.1",
            "1.2.3.4.5",
            "08.1.1.1",
            "0x",
            "1..2",
            "a.b",
            "1.2.65536",
            "4294967296",
        ] {
            assert!(!is_ip_host(host), "{host}");
        }
    }

    #[test]
    fn domain_parts_of_a_host_with_a_final_dot() {
        let parts = domain_parts("a.b.example.co.uk.");
        assert_eq!(parts.subdomain.as_deref(), Some("a.b"));
        let parts = domain_parts("x.y.z.");
        assert_eq!(
            (
                parts.subdomain.as_deref(),
                parts.domain.as_deref(),
                parts.tld.as_deref()
            ),
            (Some("x"), Some("y.z"), Some("z"))
        );
        assert_eq!(domain_parts("example.com.").subdomain, None);
    }

    #[test]
    fn tabs_and_line_breaks_are_dropped_and_brackets_checked() {
        let parts = split_url("http://www.exa\nmple.com/pa\rth").unwrap();
        assert_eq!(
            (parts.host.as_deref(), parts.path.as_str()),
            (Some("www.example.com"), "/path")
        );
        assert_eq!(
            split_url("http://exa\tmple.com/").unwrap().host.as_deref(),
            Some("example.com")
        );
        assert_eq!(
            split_url("hxxp://evil[.]com/bad"),
            Err(UrlError::BadBrackets)
        );
        assert_eq!(split_url("http://[1.2.3.4]/"), Err(UrlError::BadBrackets));
        assert_eq!(split_url("http://[::1/"), Err(UrlError::BadBrackets));
        assert!(split_url("http://[fe80::1%25eth0]/").is_ok());
    }

    #[test]
    fn internationalised_hosts_become_ascii() {
        assert_eq!(ascii_host("bücher.example"), "xn--bcher-kva.example");
    }
}

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
}

/// Splits `url`. A value without `//` near its start is taken as starting with the host
/// (`example.com/x`), as MISP's URL parser does.
pub fn split_url(url: &str) -> Result<UrlParts, UrlError> {
    let head: String = url.chars().take(10).collect();
    let owned;
    let url = if head.contains("//") {
        url
    } else {
        owned = format!("//{url}");
        &owned
    };
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

/// Whether `host` is an IP address literal (an IPv6 zone suffix is ignored).
pub fn is_ip_host(host: &str) -> bool {
    let unzoned = host.split('%').next().unwrap_or(host);
    unzoned.parse::<IpAddr>().is_ok()
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
    let domain_without_tld = match (&domain, &tld) {
        (Some(domain), Some(tld)) => domain
            .strip_suffix(tld.as_str())
            .map(|d| d.trim_end_matches('.').to_owned()),
        _ => None,
    };
    let subdomain = domain
        .as_deref()
        .and_then(|d| host.strip_suffix(d))
        .map(|s| s.trim_end_matches('.').to_owned());
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
    fn internationalised_hosts_become_ascii() {
        assert_eq!(ascii_host("bücher.example"), "xn--bcher-kva.example");
    }
}

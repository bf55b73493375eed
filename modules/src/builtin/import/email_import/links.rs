//! Links of the message body and the url objects made from them.

use std::sync::LazyLock;

use app::MispObject;
use regex::Regex;

use crate::engine::ModuleError;
use crate::misp::ObjectBuilder;
use crate::parse::url_parts::{ascii_host, is_ip_host, split_url};

/// The reference's plain-text pattern: it keeps only scheme and host, so a link's path
/// is not part of the url object.
static TEXT_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"https?://(?:[-\w.]|(?:%[\da-fA-F]{2}))+").unwrap_or_else(|_| unreachable!())
});

static TAG: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?is)<(a|img)\b((?:[^>'\x22]|'[^']*'|\x22[^\x22]*\x22)*)>")
        .unwrap_or_else(|_| unreachable!())
});

static ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?s)([^\s/>"'=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]*)))?"#)
        .unwrap_or_else(|_| unreachable!())
});

/// Links in a text body (scheme and host only, as the reference extracts them).
pub fn text_links(text: &str) -> Vec<String> {
    TEXT_URL
        .find_iter(text)
        .map(|m| m.as_str().to_owned())
        .collect()
}

/// `href` of every `<a>` and `src` of every `<img>`, in document order.
pub fn html_links(html: &str) -> Vec<String> {
    let mut links = Vec::new();
    for tag in TAG.captures_iter(html) {
        let wanted = if tag[1].eq_ignore_ascii_case("a") {
            "href"
        } else {
            "src"
        };
        let attributes = tag.get(2).map(|m| m.as_str()).unwrap_or_default();
        let value = ATTRIBUTE.captures_iter(attributes).find_map(|a| {
            a[1].eq_ignore_ascii_case(wanted).then(|| {
                a.get(2)
                    .or_else(|| a.get(3))
                    .or_else(|| a.get(4))
                    .map(|m| unescape(m.as_str()))
                    .unwrap_or_default()
            })
        });
        if let Some(value) = value {
            links.push(value);
        }
    }
    links
}

/// The HTML character references links commonly carry.
pub fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_owned();
    }
    static REF: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"&(#[0-9]+|#[xX][0-9a-fA-F]+|amp|lt|gt|quot|apos|nbsp);?")
            .unwrap_or_else(|_| unreachable!())
    });
    REF.replace_all(text, |c: &regex::Captures<'_>| {
        let name = &c[1];
        let code = if let Some(hex) = name.strip_prefix("#x").or(name.strip_prefix("#X")) {
            u32::from_str_radix(hex, 16).ok()
        } else if let Some(dec) = name.strip_prefix('#') {
            dec.parse().ok()
        } else {
            None
        };
        match (code, name) {
            (Some(code), _) => char::from_u32(code).unwrap_or('\u{fffd}').to_string(),
            (None, "amp") => "&".to_owned(),
            (None, "lt") => "<".to_owned(),
            (None, "gt") => ">".to_owned(),
            (None, "quot") => "\"".to_owned(),
            (None, "apos") => "'".to_owned(),
            (None, _) => "\u{a0}".to_owned(),
        }
    })
    .into_owned()
}

/// `urllib.parse.unquote_plus`.
fn unquote_plus(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3])
                    .ok()
                    .and_then(|h| u8::from_str_radix(h, 16).ok());
                match hex {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A url object as pymisp's URLObject builds it without faup: the URL put back together
/// from its parts, its host and its registrable domain. `None` for what it refuses.
pub fn url_object(link: &str) -> Result<Option<MispObject>, ModuleError> {
    let link = link.trim();
    if link.is_empty() {
        return Ok(None);
    }
    let Ok(parts) = split_url(&unquote_plus(link)) else {
        return Ok(None);
    };
    let Some(host) = parts.host.as_deref().map(ascii_host) else {
        return Ok(None);
    };
    if host.is_empty() {
        return Ok(None);
    }
    let mut netloc = host.clone();
    if let Some(port) = parts.port {
        netloc.push_str(&format!(":{port}"));
    }
    let mut url = String::new();
    if !parts.scheme.is_empty() {
        url.push_str(&parts.scheme);
        url.push(':');
    }
    url.push_str("//");
    url.push_str(&netloc);
    if !parts.path.is_empty() && !parts.path.starts_with('/') {
        url.push('/');
    }
    url.push_str(&parts.path);
    if !parts.query.is_empty() {
        url.push('?');
        url.push_str(&parts.query);
    }
    if !parts.fragment.is_empty() {
        url.push('#');
        url.push_str(&parts.fragment);
    }
    let mut builder = ObjectBuilder::new("url")?;
    builder.add("url", url)?;
    builder.add("host", host.clone())?;
    if !is_ip_host(&host)
        && let Some(domain) = psl::domain_str(&host)
    {
        builder.add("domain", domain)?;
    }
    Ok(Some(builder.build()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_links_stop_after_the_host() {
        assert_eq!(
            text_links(
                "see http://evil.example.com/invoice.php?id=42 and https://a.b%2Dc.example/x"
            ),
            vec!["http://evil.example.com", "https://a.b%2Dc.example"]
        );
    }

    #[test]
    fn html_links_of_anchors_and_images() {
        let html = r#"<a class=x href="https://p.example/l?a=1&amp;b=2">x</a><IMG SRC='cid:abc'><img alt=">" src=http://i.example/a.png>"#;
        assert_eq!(
            html_links(html),
            vec![
                "https://p.example/l?a=1&b=2",
                "cid:abc",
                "http://i.example/a.png"
            ]
        );
    }

    #[test]
    fn url_objects() {
        let object = url_object("https://Phish.Example.co.uk/login?x=1+2")
            .unwrap()
            .unwrap();
        let values: Vec<_> = object.attributes.iter().map(|a| a.value.as_str()).collect();
        assert_eq!(
            values,
            vec![
                "https://phish.example.co.uk/login?x=1 2",
                "phish.example.co.uk",
                "example.co.uk"
            ]
        );
        assert!(url_object("cid:abc").unwrap().is_none());
        let ip = url_object("http://8.8.8.8:8080/").unwrap().unwrap();
        assert_eq!(ip.attributes.len(), 2);
        assert_eq!(ip.attributes[0].value, "http://8.8.8.8:8080/");
    }
}

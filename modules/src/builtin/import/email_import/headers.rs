//! Header text as Python's `email` package (policy.default) shows it, since the email
//! object's `header` attribute and the values derived from it are what MISP users compare
//! with the reference: addresses re-rendered, dates normalised, MIME parameters quoted,
//! every other header unfolded and RFC 2047-decoded with its blanks kept.
//!
//! Values are taken from the raw header text (mail-parser's offsets): mail-parser's own
//! value parsers collapse blanks, lower-case MIME names, and its date parser reads two
//! bytes past a one- or two-letter zone, which ate the next line of LF-only mails.

use mail_parser::{Addr, Address, HeaderValue, MessagePart};

use super::codec::quote;
use super::date::{self, MailDate};
use super::{mime_params, unstructured};

/// One header: its name as written and its rendered value.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub value: String,
    /// The parsed date, for the `send-date` attribute.
    pub date: Option<MailDate>,
    /// Display name and address pairs, for address headers.
    pub addresses: Vec<(String, String)>,
}

/// The headers of `part`, in order, rendered; `raw` is the message the offsets point into.
pub fn fields(part: &MessagePart<'_>, raw: &[u8]) -> Vec<Field> {
    part.headers
        .iter()
        .map(|header| {
            let slice = |a: u32, b: u32| -> String {
                raw.get(a as usize..b as usize)
                    .map(|b| String::from_utf8_lossy(b).into_owned())
                    .unwrap_or_default()
            };
            let name_text = slice(header.offset_field, header.offset_start);
            let name = name_text
                .split(':')
                .next()
                .unwrap_or_default()
                .trim()
                .to_owned();
            let raw_bytes = raw
                .get(header.offset_start as usize..header.offset_end as usize)
                .unwrap_or_default();
            let raw_value = unfold(&String::from_utf8_lossy(raw_bytes));
            let mut field = Field {
                name,
                value: String::new(),
                date: None,
                addresses: Vec::new(),
            };
            match field.name.to_ascii_lowercase().as_str() {
                "date" | "resent-date" | "orig-date" => match date::parse(&raw_value) {
                    Some(date) => {
                        field.value = date.header_text();
                        field.date = Some(date);
                    }
                    // Python keeps a date it cannot read as written.
                    None => field.value = raw_value,
                },
                "content-type" | "content-disposition" => {
                    field.value = mime_params::render(&raw_value)
                }
                "mime-version" | "content-transfer-encoding" | "message-id" => {
                    field.value = raw_value
                }
                _ => match header.value() {
                    HeaderValue::Address(address) => {
                        let bare = !raw_value.contains('<');
                        field.addresses = pairs(address, bare);
                        field.value = render_address(address, bare);
                    }
                    _ => field.value = unstructured::decode_raw(&unfold_bytes(raw_bytes)),
                },
            }
            field
        })
        .collect()
}

/// [`unfold`] on the raw bytes, for values whose 8-bit bytes matter (encoded words).
fn unfold_bytes(raw: &[u8]) -> Vec<u8> {
    let start = raw
        .iter()
        .position(|b| *b != b' ' && *b != b'\t')
        .unwrap_or(raw.len());
    raw[start..]
        .iter()
        .copied()
        .filter(|b| *b != b'\r' && *b != b'\n')
        .collect()
}

/// Removes line folding the way Python does: line breaks go, the indent stays, and the
/// blanks after the colon are dropped.
fn unfold(raw: &str) -> String {
    let trimmed = raw.trim_start_matches([' ', '\t']);
    trimmed.replace(['\r', '\n'], "")
}

/// Characters that make Python quote a display name, and (with blanks) a local part.
const NAME_SPECIALS: &str = "()<>@,:;.\\\"[]";
const LOCAL_SPECIALS: &str = "()<>@,:;\\\"[] \t";

/// Display name and address as written. In a header without any `<`, a lone word such as
/// `From: Whomever` is an address to Python (a local part without domain), not a name.
fn addr_pair(addr: &Addr<'_>, bare: bool) -> (String, String) {
    let name = addr.name().unwrap_or_default().trim().to_owned();
    let address = addr.address().unwrap_or_default().trim().to_owned();
    if bare && address.is_empty() && !name.is_empty() {
        return (String::new(), name);
    }
    (name, address)
}

/// The pairs the reference's attributes come from: Python re-reads the rendered header,
/// so the blanks of an unquoted display name collapse to one space.
fn pairs(address: &Address<'_>, bare: bool) -> Vec<(String, String)> {
    address
        .iter()
        .map(|addr| {
            let (name, address) = addr_pair(addr, bare);
            let name = if needs_quotes(&name, NAME_SPECIALS) {
                name
            } else {
                name.split_whitespace().collect::<Vec<_>>().join(" ")
            };
            (name, address)
        })
        .collect()
}

fn render_addr(addr: &Addr<'_>, bare: bool) -> String {
    let (name, address) = addr_pair(addr, bare);
    let local_quoted = match address.rsplit_once('@') {
        Some((local, domain)) if needs_quotes(local, LOCAL_SPECIALS) => {
            format!("{}@{domain}", quote(local))
        }
        None if needs_quotes(&address, LOCAL_SPECIALS) => quote(&address),
        _ => address.clone(),
    };
    if name.is_empty() {
        return local_quoted;
    }
    let name = if needs_quotes(&name, NAME_SPECIALS) {
        quote(&name)
    } else {
        name
    };
    if local_quoted.is_empty() {
        name
    } else {
        format!("{name} <{local_quoted}>")
    }
}

fn needs_quotes(text: &str, specials: &str) -> bool {
    text.chars().any(|c| specials.contains(c))
}

fn render_address(address: &Address<'_>, bare: bool) -> String {
    let render = |addr: &Addr<'_>| render_addr(addr, bare);
    match address {
        Address::List(list) => list.iter().map(render).collect::<Vec<_>>().join(", "),
        Address::Group(groups) => groups
            .iter()
            .map(|group| {
                let members = group
                    .addresses
                    .iter()
                    .map(render)
                    .collect::<Vec<_>>()
                    .join(", ");
                match group.name.as_deref() {
                    Some(name) => format!("{name}: {members};").replace(": ;", ":;"),
                    None => members,
                }
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unfolding_keeps_the_indent() {
        assert_eq!(unfold(" a and\r\n folded\r\n"), "a and folded");
        assert_eq!(
            unfold(" part one\n\tpart two\n  three"),
            "part one\tpart two  three"
        );
    }
}

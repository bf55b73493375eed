//! Header text as Python's `email` package (policy.default) shows it, since the email
//! object's `header` attribute and the values derived from it are what MISP users compare
//! with the reference: addresses re-rendered, dates normalised, MIME parameters quoted,
//! every other header unfolded and RFC 2047-decoded.

use mail_parser::{Addr, Address, ContentType, DateTime, HeaderValue, MessagePart};

/// One header: its name as written and its rendered value.
#[derive(Debug, Clone)]
pub struct Field {
    pub name: String,
    pub value: String,
    /// The parsed date, for the `send-date` attribute.
    pub date: Option<DateTime>,
    /// `-0000` in the raw date: Python then keeps the time without a zone.
    pub naive_date: bool,
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
            let raw_value = unfold(&slice(header.offset_start, header.offset_end));
            let mut field = Field {
                name,
                value: String::new(),
                date: None,
                naive_date: false,
                addresses: Vec::new(),
            };
            match header.value() {
                HeaderValue::Address(address) => {
                    field.addresses = pairs(address);
                    field.value = render_address(address);
                }
                HeaderValue::DateTime(date) if date.is_valid() => {
                    field.date = Some(*date);
                    field.naive_date = raw_value.trim_end().ends_with("-0000");
                    field.value = format_date(date, field.naive_date);
                }
                HeaderValue::ContentType(ctype) => field.value = render_content_type(ctype),
                HeaderValue::Text(text) if !is_structured(&field.name) => {
                    field.value = keep_outer_spacing(&raw_value, text)
                }
                HeaderValue::TextList(list) if !is_structured(&field.name) => {
                    field.value = list.join(", ")
                }
                _ => field.value = raw_value,
            }
            field
        })
        .collect()
}

fn is_structured(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    ["date", "content-type", "content-disposition"].contains(&lower.as_str())
}

/// Removes line folding the way Python does: the line break goes, the indent stays.
fn unfold(raw: &str) -> String {
    let joined = raw.replace("\r\n", "\n");
    let trimmed = joined.trim_start_matches([' ', '\t']);
    let trimmed = trimmed.trim_end_matches(['\r', '\n']);
    trimmed.replace('\n', "")
}

/// mail-parser trims a decoded text; Python keeps trailing blanks of the raw value.
fn keep_outer_spacing(raw: &str, decoded: &str) -> String {
    let trailing: String = raw
        .chars()
        .rev()
        .take_while(|c| *c == ' ' || *c == '\t')
        .collect();
    if !trailing.is_empty() && !decoded.ends_with([' ', '\t']) {
        format!("{decoded}{trailing}")
    } else {
        decoded.to_owned()
    }
}

fn addr_pair(addr: &Addr<'_>) -> (String, String) {
    (
        addr.name().unwrap_or_default().trim().to_owned(),
        addr.address().unwrap_or_default().trim().to_owned(),
    )
}

fn pairs(address: &Address<'_>) -> Vec<(String, String)> {
    address.iter().map(addr_pair).collect()
}

fn render_addr(addr: &Addr<'_>) -> String {
    let (name, address) = addr_pair(addr);
    let local_quoted = match address.rsplit_once('@') {
        Some((local, domain)) if needs_quotes(local, "()<>@,:;\\\"[]") => {
            format!("{}@{domain}", quote(local))
        }
        _ => address.clone(),
    };
    if name.is_empty() {
        return local_quoted;
    }
    let name = if needs_quotes(&name, "()<>@,:;.\\\"[]") {
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

fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

fn render_address(address: &Address<'_>) -> String {
    match address {
        Address::List(list) => list.iter().map(render_addr).collect::<Vec<_>>().join(", "),
        Address::Group(groups) => groups
            .iter()
            .map(|group| {
                let members = group
                    .addresses
                    .iter()
                    .map(render_addr)
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

fn render_content_type(ctype: &ContentType<'_>) -> String {
    let mut text = ctype.ctype().to_owned();
    if let Some(subtype) = ctype.subtype() {
        text.push('/');
        text.push_str(subtype);
    }
    for attribute in ctype.attributes().unwrap_or_default() {
        text.push_str("; ");
        text.push_str(&attribute.name);
        text.push('=');
        text.push_str(&quote(&attribute.value));
    }
    text
}

const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 of a civil date (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146097 + doe - 719468
}

fn offset_text(date: &DateTime, naive: bool, colon: bool) -> String {
    if naive {
        return if colon {
            String::new()
        } else {
            "-0000".to_owned()
        };
    }
    let sign = if date.tz_before_gmt && (date.tz_hour, date.tz_minute) != (0, 0) {
        '-'
    } else {
        '+'
    };
    let sep = if colon { ":" } else { "" };
    format!("{sign}{:02}{sep}{:02}", date.tz_hour, date.tz_minute)
}

/// `email.utils.format_datetime`: `Tue, 16 Jan 2024 08:30:00 -0500`.
pub fn format_date(date: &DateTime, naive: bool) -> String {
    let days = days_from_civil(date.year.into(), date.month.into(), date.day.into());
    // 1970-01-01 was a Thursday (index 3 from Monday).
    let weekday = DAYS[(days + 3).rem_euclid(7) as usize];
    let month = MONTHS
        .get(usize::from(date.month.saturating_sub(1)))
        .copied()
        .unwrap_or("Jan");
    format!(
        "{weekday}, {:02} {month} {:04} {:02}:{:02}:{:02} {}",
        date.day,
        date.year,
        date.hour,
        date.minute,
        date.second,
        offset_text(date, naive, false)
    )
}

/// `datetime.isoformat()`, as the `send-date` attribute carries it.
pub fn iso_date(date: &DateTime, naive: bool) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}",
        date.year,
        date.month,
        date.day,
        date.hour,
        date.minute,
        date.second,
        offset_text(date, naive, true)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_and_offsets() {
        let date = DateTime {
            year: 2024,
            month: 1,
            day: 16,
            hour: 8,
            minute: 30,
            second: 0,
            tz_before_gmt: true,
            tz_hour: 5,
            tz_minute: 0,
        };
        assert_eq!(format_date(&date, false), "Tue, 16 Jan 2024 08:30:00 -0500");
        assert_eq!(iso_date(&date, false), "2024-01-16T08:30:00-05:00");
        assert_eq!(iso_date(&date, true), "2024-01-16T08:30:00");
    }

    #[test]
    fn unfolding_keeps_the_indent() {
        assert_eq!(unfold(" a and\r\n folded\r\n"), "a and folded");
    }
}

//! Python behaviours that the reference's answers depend on: `int()` conversion, string
//! `repr()` and `json.dumps` formatting. Reproduced so that answers match byte for byte.

use std::net::{IpAddr, Ipv6Addr};

use serde_json::Value;

/// Python's `int(value)` for a JSON value: integers as they are, floats truncated, booleans
/// as 0/1, strings holding an integer. `None` where Python would raise.
pub fn python_int(value: &Value) -> Option<i128> {
    match value {
        Value::Bool(flag) => Some(i128::from(*flag)),
        Value::Number(number) => {
            if let Some(i) = number.as_i64() {
                Some(i128::from(i))
            } else if let Some(u) = number.as_u64() {
                Some(i128::from(u))
            } else {
                number
                    .as_f64()
                    .filter(|f| f.is_finite())
                    .map(|f| f.trunc().clamp(-1e30, 1e30) as i128)
            }
        }
        Value::String(text) => python_int_text(text),
        _ => None,
    }
}

/// Python `int(str)`: surrounding whitespace, one sign, digits with single `_` between them.
/// Magnitudes are capped near 10^30, far past any bound a caller applies.
///
/// Two differences from `str.strip()`/`str.isspace` are deliberate. `int()` does not trim
/// U+001C..U+001F (CPython 3.11: `int("\x1c1")` raises, though `"\x1c".isspace()`), so
/// Rust's whitespace is the right set here. And `int()` also takes non-ASCII decimal
/// digits (`int("１５") == 15`); they are refused here, as no caller has met one.
pub fn python_int_text(text: &str) -> Option<i128> {
    let trimmed = text.trim();
    let (negative, digits) = match trimmed.as_bytes().first()? {
        b'-' => (true, &trimmed[1..]),
        b'+' => (false, &trimmed[1..]),
        _ => (false, trimmed),
    };
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let plain: String = digits.chars().filter(|c| *c != '_').collect();
    if !plain.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let significant = plain.trim_start_matches('0');
    let value: i128 = if significant.len() > 30 {
        10i128.pow(30)
    } else if significant.is_empty() {
        0
    } else {
        significant.parse().ok()?
    };
    Some(if negative { -value } else { value })
}

/// An IP address as Python 3.11's `ipaddress` writes it: IPv6 in lower-case hex with the
/// longest run of two or more zero groups (leftmost on ties) shortened to `::`, and no
/// dotted-quad tail, not even for IPv4-mapped addresses (`::ffff:102:304`).
pub fn python_ip_text(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => python_ipv6_text(v6),
    }
}

/// The IPv6 half of [`python_ip_text`].
pub fn python_ipv6_text(address: Ipv6Addr) -> String {
    let groups = address.segments();
    let (mut best, mut best_len, mut run_start, mut run_len) = (0, 0, 0, 0);
    for (i, group) in groups.iter().enumerate() {
        if *group == 0 {
            if run_len == 0 {
                run_start = i;
            }
            run_len += 1;
            if run_len > best_len {
                (best, best_len) = (run_start, run_len);
            }
        } else {
            run_len = 0;
        }
    }
    let hex = |part: &[u16]| {
        part.iter()
            .map(|g| format!("{g:x}"))
            .collect::<Vec<_>>()
            .join(":")
    };
    if best_len > 1 {
        format!(
            "{}::{}",
            hex(&groups[..best]),
            hex(&groups[best + best_len..])
        )
    } else {
        hex(&groups)
    }
}

/// Python's `str.isspace` for one character: Unicode whitespace plus the ASCII separators
/// U+001C to U+001F, which Rust does not count.
pub fn is_python_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// Python's `str.strip()` without arguments.
pub fn python_strip(text: &str) -> &str {
    text.trim_matches(is_python_space)
}

/// Python's `repr()` of a string: single quotes unless the text holds a single quote and
/// no double quote.
pub fn python_repr_str(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::with_capacity(text.len() + 2);
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `json.dumps(value, indent=indent)` with its defaults (`ensure_ascii=True`):
/// `", "` and `": "` on one line without indent; newlines, `","` and indentation with one.
pub fn python_json_dumps(value: &Value, indent: Option<i128>) -> String {
    let mut out = String::new();
    write_value(&mut out, value, indent.map(|i| i.clamp(0, 64) as usize), 0);
    out
}

fn write_value(out: &mut String, value: &Value, indent: Option<usize>, depth: usize) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&python_number(n)),
        Value::String(s) => write_string(out, s),
        Value::Array(items) => {
            if items.is_empty() {
                out.push_str("[]");
                return;
            }
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                separator(out, index, indent, depth + 1);
                write_value(out, item, indent, depth + 1);
            }
            closing(out, indent, depth);
            out.push(']');
        }
        Value::Object(map) => {
            if map.is_empty() {
                out.push_str("{}");
                return;
            }
            out.push('{');
            for (index, (key, item)) in map.iter().enumerate() {
                separator(out, index, indent, depth + 1);
                write_string(out, key);
                out.push_str(": ");
                write_value(out, item, indent, depth + 1);
            }
            closing(out, indent, depth);
            out.push('}');
        }
    }
}

fn separator(out: &mut String, index: usize, indent: Option<usize>, depth: usize) {
    match indent {
        None => {
            if index > 0 {
                out.push_str(", ");
            }
        }
        Some(width) => {
            if index > 0 {
                out.push(',');
            }
            out.push('\n');
            out.push_str(&" ".repeat(width * depth));
        }
    }
}

fn closing(out: &mut String, indent: Option<usize>, depth: usize) {
    if let Some(width) = indent {
        out.push('\n');
        out.push_str(&" ".repeat(width * depth));
    }
}

/// Python's `repr()` of a float: the shortest round-trip digits, with an exponent only
/// below 1e-4 or from 1e16 on, written the way Python writes it (`1e+16`, `1.5e-05`).
/// This is the crate's one implementation; every module printing a Python float uses it.
pub fn python_float_repr(value: f64) -> String {
    // Rust's Debug writes `NaN`; Python writes `nan`, `inf` and `-inf`.
    if value.is_nan() {
        return "nan".to_owned();
    }
    if value.is_infinite() {
        return if value > 0.0 { "inf" } else { "-inf" }.to_owned();
    }
    if value == 0.0 {
        // Debug keeps the sign: `0.0` and `-0.0`, as Python.
        return format!("{value:?}");
    }
    let scientific = format!("{value:e}");
    let (mantissa, exponent) = scientific.split_once('e').unwrap_or((&scientific, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..16).contains(&exponent) {
        let plain = format!("{value}");
        if plain.contains('.') {
            plain
        } else {
            format!("{plain}.0")
        }
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}

fn python_number(number: &serde_json::Number) -> String {
    match number.as_f64() {
        Some(f) if number.is_f64() => python_float_repr(f),
        _ => number.to_string(),
    }
}

fn write_string(out: &mut String, text: &str) {
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if c.is_ascii() && (c as u32) >= 0x20 => out.push(c),
            c => {
                let mut units = [0u16; 2];
                for unit in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{unit:04x}"));
                }
            }
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_repr_like_python() {
        let cases = [
            (6.4, "6.4"),
            (124.0, "124.0"),
            (1e16, "1e+16"),
            (1.5e-5, "1.5e-05"),
            (0.0001, "0.0001"),
            (-2.5e20, "-2.5e+20"),
            (1234567890123456.0, "1234567890123456.0"),
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (f64::NAN, "nan"),
            (f64::INFINITY, "inf"),
            (f64::NEG_INFINITY, "-inf"),
            (1e-5, "1e-05"),
            (123.0, "123.0"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
        ];
        for (value, text) in cases {
            assert_eq!(python_float_repr(value), text, "{value:e}");
        }
    }
    use serde_json::json;

    #[test]
    fn int_follows_python() {
        assert_eq!(python_int(&json!("2")), Some(2));
        assert_eq!(python_int(&json!(2.9)), Some(2));
        assert_eq!(python_int(&json!(true)), Some(1));
        assert_eq!(python_int(&json!(" -1_000 ")), Some(-1000));
        assert_eq!(python_int(&json!("1.5")), None);
        assert_eq!(python_int(&json!("\u{1c}1\u{1f}")), None);
        assert_eq!(python_int(&json!("\u{a0}1\u{3000}")), Some(1));
        assert_eq!(python_int(&json!(null)), None);
        assert_eq!(
            python_int(&json!("0000000000000000000000000000000000007")),
            Some(7)
        );
    }

    #[test]
    fn ip_addresses_print_like_python() {
        let text = |s: &str| python_ip_text(s.parse().unwrap());
        assert_eq!(text("198.51.100.7"), "198.51.100.7");
        assert_eq!(text("2001:DB8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
        assert_eq!(text("1:0:2:3:4:5:6:7"), "1:0:2:3:4:5:6:7");
        assert_eq!(text("::ffff:1.2.3.4"), "::ffff:102:304");
        assert_eq!(text("::"), "::");
        assert_eq!(text("::1"), "::1");
    }

    #[test]
    fn repr_quotes_like_python() {
        assert_eq!(python_repr_str("abc"), "'abc'");
        assert_eq!(python_repr_str("it's"), "\"it's\"");
        assert_eq!(python_repr_str("a'\"b\n"), "'a\\'\"b\\n'");
    }

    #[test]
    fn dumps_like_python() {
        let value = json!({"a": [1, "é😀"], "b": {}, "c": 1.0});
        assert_eq!(
            python_json_dumps(&value, None),
            "{\"a\": [1, \"\\u00e9\\ud83d\\ude00\"], \"b\": {}, \"c\": 1.0}"
        );
        assert_eq!(
            python_json_dumps(&json!({"a": [1, 2]}), Some(2)),
            "{\n  \"a\": [\n    1,\n    2\n  ]\n}"
        );
    }
}

//! `Content-Type` and `Content-Disposition` header text as Python's `email` package
//! (policy.default) renders it: what precedes the first `;` is kept as written (case,
//! blanks, comments, even a malformed type), and the parameters are rewritten as
//! `; name="value"`, names in their own case, RFC 2231 sections joined and decoded,
//! duplicates dropped. mail-parser lower-cases types and names, so this works on the raw
//! text.

use std::collections::HashMap;

use super::codec::{decode_charset, percent_decode, quote};
use super::unstructured;

/// One parameter as written: `name`, its RFC 2231 section, whether it is extended
/// (`name*`), and its value with quotes removed.
struct Param {
    name: String,
    section: Option<u32>,
    extended: bool,
    value: String,
}

/// Splits `text` at `separator` outside quoted strings and comments.
fn split_outside_quotes(text: &str, separator: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut in_quotes, mut depth, mut escaped) = (0, false, 0usize, false);
    for (i, c) in text.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' if in_quotes || depth > 0 => escaped = true,
            '"' if depth == 0 => in_quotes = !in_quotes,
            '(' if !in_quotes => depth += 1,
            ')' if !in_quotes && depth > 0 => depth -= 1,
            c if c == separator && !in_quotes && depth == 0 => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// The value after `=`: a quoted string (unescaped, encoded words decoded) or a token.
fn param_value(text: &str) -> String {
    let text = text.trim_start();
    if let Some(quoted) = text.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = quoted.chars();
        while let Some(c) = chars.next() {
            match c {
                '"' => break,
                '\\' => value.extend(chars.next()),
                c => value.push(c),
            }
        }
        return unstructured::decode(&value);
    }
    text.split(|c: char| c.is_whitespace() || c == '(')
        .next()
        .unwrap_or_default()
        .to_owned()
}

fn parse_param(text: &str) -> Option<Param> {
    let (name, value) = match text.split_once('=') {
        Some((name, value)) => (name.trim(), param_value(value)),
        None => (text.trim(), String::new()),
    };
    if name.is_empty() {
        return None;
    }
    let extended = name.ends_with('*');
    let bare = name.trim_end_matches('*');
    let (base, section) = match bare.rsplit_once('*') {
        Some((base, number)) if number.chars().all(|c| c.is_ascii_digit()) => {
            (base, number.parse().ok())
        }
        _ => (bare, None),
    };
    Some(Param {
        name: base.trim().to_owned(),
        section,
        extended,
        value,
    })
}

/// The parameters' names and values in first-seen order, RFC 2231 sections joined.
fn params(text: &str) -> Vec<(String, String)> {
    // Groups in first-seen order, found by name through `index` so that a header with
    // thousands of distinct parameters is not searched once per parameter.
    let mut grouped: Vec<(String, Vec<Param>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for param in split_outside_quotes(text, ';')
        .into_iter()
        .filter_map(parse_param)
    {
        match index.get(&param.name).and_then(|&i| grouped.get_mut(i)) {
            Some((_, list)) => list.push(param),
            None => {
                index.insert(param.name.clone(), grouped.len());
                grouped.push((param.name.clone(), vec![param]));
            }
        }
    }
    grouped
        .into_iter()
        .map(|(name, mut list)| {
            list.sort_by_key(|p| p.section.unwrap_or(0));
            // A repeated plain parameter: the first one counts.
            if let [first, second, ..] = &list[..]
                && !first.extended
                && second.section.unwrap_or(0) == 0
            {
                list.truncate(1);
            }
            let mut charset = String::new();
            let mut bytes = Vec::new();
            for (i, param) in list.iter().enumerate() {
                if param.extended {
                    let mut value = param.value.as_str();
                    if i == 0 {
                        // charset'language'value
                        let mut pieces = value.splitn(3, '\'');
                        if let (Some(cs), Some(_), Some(rest)) =
                            (pieces.next(), pieces.next(), pieces.next())
                        {
                            charset = cs.to_owned();
                            value = rest;
                        }
                    }
                    bytes.extend(percent_decode(value));
                } else {
                    bytes.extend_from_slice(param.value.as_bytes());
                }
            }
            (name, decode_charset(&charset, &bytes))
        })
        .collect()
}

/// The header text of an unfolded `Content-Type` or `Content-Disposition` value.
pub fn render(value: &str) -> String {
    let parts = split_outside_quotes(value, ';');
    let Some((head, _)) = parts.split_first() else {
        return value.to_owned();
    };
    if parts.len() == 1 {
        return value.to_owned();
    }
    let after = &value[head.len() + 1..];
    let rendered: Vec<String> = params(after)
        .into_iter()
        .map(|(name, value)| {
            if value.is_empty() {
                name
            } else {
                format!("{name}={}", quote(&value))
            }
        })
        .collect();
    if rendered.is_empty() {
        format!("{head};")
    } else {
        format!("{head}; {}", rendered.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::render;

    /// Inputs and the header text Python 3.11 renders for them.
    #[test]
    fn rendered_as_python_renders_them() {
        for (value, expected) in [
            ("text/plain; charset=utf-8", "text/plain; charset=\"utf-8\""),
            (
                "TEXT/PLAIN ; CHARSET = \"x\" ",
                "TEXT/PLAIN ; CHARSET=\"x\"",
            ),
            (
                "text/plain;charset=utf-8;format=flowed",
                "text/plain; charset=\"utf-8\"; format=\"flowed\"",
            ),
            (
                "multipart/mixed; boundary=\"a\"; boundary=\"b\"",
                "multipart/mixed; boundary=\"a\"",
            ),
            (
                "text/plain; name*=utf-8''%C3%A4.txt",
                "text/plain; name=\"ä.txt\"",
            ),
            (
                "text/plain; name*0=\"a\"; name*1=\"b\"",
                "text/plain; name=\"ab\"",
            ),
            (
                "text/plain; name=\"=?utf-8?q?a?=\"",
                "text/plain; name=\"a\"",
            ),
            (
                "text/plain (comment); charset=x",
                "text/plain (comment); charset=\"x\"",
            ),
            ("text/plain; charset", "text/plain; charset"),
            ("text/plain;", "text/plain;"),
            ("text/plain ;", "text/plain ;"),
            ("text", "text"),
            // Python reads an ASCII value strictly: other bytes become U+FFFD.
            (
                "text/plain; name*=us-ascii''%E9.txt",
                "text/plain; name=\"\u{fffd}.txt\"",
            ),
            (
                "text/plain; name*=latin1''%E9.txt",
                "text/plain; name=\"\u{e9}.txt\"",
            ),
            (
                "multipart/mixed\tboundary=\"boundary\"",
                "multipart/mixed\tboundary=\"boundary\"",
            ),
            (
                "multipart/mixed;\tboundary=\"x\"  ;",
                "multipart/mixed; boundary=\"x\"",
            ),
            (
                "text/plain; charset=\"a\\\"b\"",
                "text/plain; charset=\"a\\\"b\"",
            ),
            ("text/plain; charset=a b", "text/plain; charset=\"a\""),
            (
                "ATTACHMENT; FILENAME=a.txt",
                "ATTACHMENT; FILENAME=\"a.txt\"",
            ),
        ] {
            assert_eq!(render(value), expected, "{value}");
        }
    }

    /// Thousands of distinct parameters (a hostile header): each is kept once, in the
    /// order written, and a repeated one still keeps its first value.
    #[test]
    fn many_parameters_keep_their_order() {
        let names: Vec<String> = (0..5000).map(|i| format!("p{i}")).collect();
        let mut value = String::from("text/plain");
        for name in &names {
            value.push_str(&format!("; {name}=v"));
        }
        value.push_str("; p0=again");
        let expected: Vec<String> = names.iter().map(|n| format!("{n}=\"v\"")).collect();
        assert_eq!(
            render(&value),
            format!("text/plain; {}", expected.join("; "))
        );
    }
}

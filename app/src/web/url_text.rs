//! Percent-encoding for the query strings of links the UI builds from untrusted values.

/// `text` encoded for use as one query-string value.
pub fn query_value(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.' | b'~') {
            out.push(byte as char);
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn reserved_characters_are_encoded() {
        assert_eq!(
            super::query_value("a b&c=d/é\"<"),
            "a%20b%26c%3Dd%2F%C3%A9%22%3C"
        );
    }
}

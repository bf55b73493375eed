//! The small text codecs the header renderers share: charset decoding, the `=XX` and `%XX`
//! byte escapes, and Python's header quoting. Kept in one place so that encoded words,
//! RFC 2231 parameters and part bodies decode a given charset the same way.

use mail_parser::decoders::charsets::map::charset_decoder;

/// Decodes with `charset`; an unknown one (or none) reads the bytes as UTF-8 with
/// replacement characters, which is what Python's surrogate escapes end up as.
pub fn decode_charset(charset: &str, bytes: &[u8]) -> String {
    let lower = charset.to_ascii_lowercase();
    // mail-parser's table has no entry for the UTF-8 and ASCII spellings: they are read
    // here, so that an invalid byte becomes U+FFFD rather than a refusal.
    if matches!(lower.as_str(), "utf-8" | "utf8" | "us-ascii" | "ascii" | "") {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    match charset_decoder(charset.as_bytes()) {
        Some(decode) => decode(bytes),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Replaces every `<escape>XX` (two hex digits, either case) by the byte it names; an
/// escape byte not followed by two hex digits stays as it is. `other` maps every byte that
/// is not part of an escape, so the Q encoding can turn `_` into a space.
pub fn unescape_hex(text: &[u8], escape: u8, other: impl Fn(u8) -> u8) -> Vec<u8> {
    let hex = |b: Option<&u8>| b.and_then(|b| char::from(*b).to_digit(16));
    let mut out = Vec::with_capacity(text.len());
    let mut rest = text;
    while let Some((&byte, after)) = rest.split_first() {
        if byte == escape
            && let (Some(high), Some(low)) = (hex(after.first()), hex(after.get(1)))
        {
            // Both digits are below 16, so the byte cannot overflow.
            out.push(((high << 4) | low) as u8);
            rest = after.get(2..).unwrap_or_default();
            continue;
        }
        out.push(other(byte));
        rest = after;
    }
    out
}

/// The Q encoding of RFC 2047: `_` is a space, `=XX` a byte.
pub fn decode_q(text: &[u8]) -> Vec<u8> {
    unescape_hex(text, b'=', |b| if b == b'_' { b' ' } else { b })
}

/// The `%XX` escapes of an RFC 2231 extended parameter value.
pub fn percent_decode(text: &str) -> Vec<u8> {
    unescape_hex(text.as_bytes(), b'%', |b| b)
}

/// A quoted string as Python writes one in a header: backslashes and quotes escaped.
pub fn quote(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_are_decoded_and_broken_ones_kept() {
        assert_eq!(decode_q(b"a_b=3D=c3=A9"), "a b=\u{e9}".as_bytes());
        assert_eq!(decode_q(b"=4=ZZ="), b"=4=ZZ=");
        assert_eq!(percent_decode("%41%4"), b"A%4");
        assert_eq!(percent_decode("a_b%"), b"a_b%");
    }

    #[test]
    fn charsets_fall_back_to_utf8() {
        assert_eq!(decode_charset("iso-8859-1", b"Fr\xf6sche"), "Fr\u{f6}sche");
        assert_eq!(decode_charset("UTF-8", b"\xc3\xa9\xff"), "\u{e9}\u{fffd}");
        assert_eq!(decode_charset("no-such-charset", b"\xc3\xa9"), "\u{e9}");
    }

    #[test]
    fn quoting_escapes_quotes_and_backslashes() {
        assert_eq!(quote(r#"a"b\c"#), r#""a\"b\\c""#);
    }
}

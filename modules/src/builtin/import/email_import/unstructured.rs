//! Unstructured header values (Subject, Received, X-…) decoded as Python's `email` package
//! (policy.default) decodes them: RFC 2047 encoded words are decoded and the blanks
//! between two of them dropped, but every other run of spaces and tabs is kept as
//! written. mail-parser collapses those runs, which changed subjects and Received comments.

use std::sync::LazyLock;

use mail_parser::decoders::charsets::map::charset_decoder;
use regex::Regex;

use crate::parse::python_base64::decode_b;

/// What one piece of the value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Blank,
    EncodedWord,
    Text,
}

/// Python's `get_fws` strips any whitespace, but a run only starts at a space or a tab.
fn is_wsp(c: char) -> bool {
    c == ' ' || c == '\t'
}

/// An encoded word anywhere in a piece of text, as Python's `rfc2047_matcher` finds it.
static ENCODED_WORD: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"=\?[^?]*\?[qQbB]\?.*?\?=").unwrap_or_else(|_| unreachable!()));

/// Why an `=?` does not start an encoded word.
enum NotEncoded {
    /// No closing `?=`: the text is taken as it is.
    Unterminated,
    /// A closing `?=` but a malformed word: the text is taken as it is, and an encoded
    /// word inside the rest of the token is not looked for.
    Invalid,
}

/// `=?charset?cte?text?=` at the start of `value`: its decoded text and the rest.
fn encoded_word(value: &str) -> Result<(String, &str), NotEncoded> {
    let inner = &value[2..];
    let Some(close) = inner.find("?=") else {
        return Err(NotEncoded::Unterminated);
    };
    let mut word = &inner[..close];
    let mut rest = &inner[close + 2..];
    // "=?utf-8?q?=3D?=": the "?=" found first was the q-encoded "=3D", not the end.
    let bytes = rest.as_bytes();
    if bytes.len() > 1
        && bytes[0].is_ascii_hexdigit()
        && bytes[1].is_ascii_hexdigit()
        && word.matches('?').count() < 2
    {
        let end = rest.find("?=").map_or(rest.len(), |i| i);
        word = &inner[..close + 2 + end];
        rest = rest.get(end + 2..).unwrap_or("");
    }
    let parts: Vec<&str> = word.split('?').collect();
    let [charset, cte, text] = parts[..] else {
        return Err(NotEncoded::Invalid);
    };
    let charset = charset.split('*').next().unwrap_or_default();
    let raw = unescape(text);
    let bytes = match cte.to_ascii_lowercase().as_str() {
        "q" => decode_q(&raw),
        // Python decodes what it can of a broken base64 word into mojibake; such a word
        // is kept as written instead (a documented difference).
        "b" if text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+/=".contains(&b)) =>
        {
            decode_b(&raw)
        }
        _ => return Err(NotEncoded::Invalid),
    };
    Ok((decode_charset(charset, &bytes), rest))
}

/// The `Q` encoding: `_` is a space, `=XX` a byte; anything else stays.
fn decode_q(text: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let escaped = (text[i] == b'=')
            .then(|| Some((hex(*text.get(i + 1)?)?, hex(*text.get(i + 2)?)?)))
            .flatten();
        match (text[i], escaped) {
            (_, Some((high, low))) => {
                out.push((high << 4) | low);
                i += 3;
                continue;
            }
            (b'_', None) => out.push(b' '),
            (byte, None) => out.push(byte),
        }
        i += 1;
    }
    out
}

/// Decodes with the word's charset; an unknown one (or none) leaves the bytes as UTF-8
/// with replacement characters, which is what Python's surrogate escapes end up as.
pub(super) fn decode_charset(charset: &str, bytes: &[u8]) -> String {
    let lower = charset.to_ascii_lowercase();
    if matches!(lower.as_str(), "utf-8" | "utf8" | "us-ascii" | "ascii" | "") {
        return String::from_utf8_lossy(bytes).into_owned();
    }
    match charset_decoder(charset.as_bytes()) {
        Some(decode) => decode(bytes),
        None => String::from_utf8_lossy(bytes).into_owned(),
    }
}

/// Non-ASCII bytes stand for themselves until the end, as Python's surrogate escapes do:
/// inside an encoded word they are decoded with the word's charset, elsewhere as UTF-8.
/// Each such byte is carried as a private-use character.
const ESCAPE_BASE: u32 = 0x10_FF00;

fn escape(raw: &[u8]) -> String {
    raw.iter()
        .map(|&b| {
            if b.is_ascii() {
                char::from(b)
            } else {
                char::from_u32(ESCAPE_BASE + u32::from(b)).unwrap_or(char::REPLACEMENT_CHARACTER)
            }
        })
        .collect()
}

/// The bytes a piece of escaped text stands for.
fn unescape(text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for c in text.chars() {
        match u32::from(c).checked_sub(ESCAPE_BASE) {
            Some(byte @ 0x80..=0xff) => out.push(byte as u8),
            _ => out.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes()),
        }
    }
    out
}

/// The unfolded value of an unstructured header, decoded.
pub fn decode(value: &str) -> String {
    decode_raw(value.as_bytes())
}

/// The unfolded raw bytes of an unstructured header, decoded.
pub fn decode_raw(raw: &[u8]) -> String {
    let value = escape(raw);
    let value = value.as_str();
    let mut pieces: Vec<(Kind, String)> = Vec::new();
    let mut rest = value;
    while !rest.is_empty() {
        if rest.starts_with(is_wsp) {
            let trimmed = rest.trim_start();
            pieces.push((Kind::Blank, rest[..rest.len() - trimmed.len()].to_owned()));
            rest = trimmed;
            continue;
        }
        let mut valid_word = true;
        if rest.starts_with("=?") {
            match encoded_word(rest) {
                Ok((text, after)) => {
                    // Blanks between two encoded words are not part of the text.
                    let n = pieces.len();
                    if n > 1
                        && pieces[n - 1].0 == Kind::Blank
                        && pieces[n - 2].0 == Kind::EncodedWord
                    {
                        pieces[n - 1].1.clear();
                    }
                    pieces.push((Kind::EncodedWord, text));
                    rest = after;
                    continue;
                }
                Err(NotEncoded::Invalid) => valid_word = false,
                Err(NotEncoded::Unterminated) => {}
            }
        }
        let token_end = rest.find(is_wsp).unwrap_or(rest.len());
        let mut token = &rest[..token_end];
        // An encoded word glued to the text before it still counts as one.
        if valid_word
            && ENCODED_WORD.is_match(token)
            && let Some(start) = rest.find("=?").filter(|s| *s > 0)
        {
            token = &rest[..start];
        }
        pieces.push((Kind::Text, token.to_owned()));
        rest = &rest[token.len()..];
    }
    let text: String = pieces.into_iter().map(|(_, text)| text).collect();
    String::from_utf8_lossy(&unescape(&text)).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blanks_are_kept_as_written() {
        assert_eq!(
            decode("part one\tpart two  part three"),
            "part one\tpart two  part three"
        );
        assert_eq!(
            decode("from a (203.0.113.5)  by b with SMTP"),
            "from a (203.0.113.5)  by b with SMTP"
        );
    }

    #[test]
    fn encoded_words_are_decoded_and_joined() {
        assert_eq!(decode("a  =?utf-8?q?b?=  =?utf-8?q?c?= d\tx"), "a  bc d\tx");
        assert_eq!(
            decode("Die Hasen und die =?iso-8859-1?Q?Fr=F6sche?="),
            "Die Hasen und die Frösche"
        );
        assert_eq!(decode("=?utf-8?b?w7Z0?= x"), "öt x");
        assert_eq!(decode("x=?utf-8?q?=C3=B6?=y"), "xöy");
    }

    /// Raw 8-bit bytes inside an encoded word belong to its charset (Python's surrogate
    /// escapes); outside one they are read as UTF-8.
    #[test]
    fn raw_bytes_are_decoded_with_their_word() {
        assert_eq!(
            decode_raw(b"=?iso-8859-1?Q?Die_Hasen_und_die_Fr\xf6sche?="),
            "Die Hasen und die Frösche"
        );
        assert_eq!(decode_raw("Caf\u{e9} x".as_bytes()), "Caf\u{e9} x");
        assert_eq!(decode_raw(b"bad \xff byte"), "bad \u{fffd} byte");
    }

    #[test]
    fn malformed_words_stay_text() {
        assert_eq!(decode("=?utf-8?x?abc?= tail"), "=?utf-8?x?abc?= tail");
        assert_eq!(decode("=?utf-8?q?never closed"), "=?utf-8?q?never closed");
    }
}

//! Unstructured header values (Subject, Received, X-…) decoded as Python's `email` package
//! (policy.default) decodes them: RFC 2047 encoded words are decoded and the blanks
//! between two of them dropped, but every other run of spaces and tabs is kept as
//! written. mail-parser collapses those runs, which changed subjects and Received comments.

use std::sync::LazyLock;

use regex::Regex;

use super::codec::{decode_charset, decode_q};
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

/// The first `n` question marks of `text`, stopping at the first one that closes a word
/// (is followed by `=`). Scanning stops there, so a header full of `=?` tokens is read in
/// linear time rather than searching to its end from every token.
fn question_marks(text: &str, n: usize) -> Vec<(usize, bool)> {
    let bytes = text.as_bytes();
    let mut found = Vec::with_capacity(n);
    let mut from = 0;
    while found.len() < n
        && let Some(i) = text.get(from..).and_then(|t| t.find('?')).map(|i| from + i)
    {
        let closes = bytes.get(i + 1) == Some(&b'=');
        found.push((i, closes));
        if closes {
            break;
        }
        from = i + 1;
    }
    found
}

fn starts_with_hex_pair(text: &str) -> bool {
    matches!(text.as_bytes(), [a, b, ..] if a.is_ascii_hexdigit() && b.is_ascii_hexdigit())
}

/// `=?charset?cte?text?=` at the start of `value`: its decoded text and the rest.
/// `closed_later` tells whether a `?=` follows the opening `=?` anywhere in the header.
///
/// Python takes the first `?=` as the end and then needs exactly two `?` before it, so
/// only the first three question marks matter: the word closes at the third one, or at
/// the second one when a `=XX` escape follows it (`=?utf-8?q?=3D?=`, where the `?=` found
/// first opens the escape). Any other shape is malformed.
fn encoded_word(value: &str, closed_later: bool) -> Result<(String, &str), NotEncoded> {
    let inner = value.get(2..).unwrap_or_default();
    // The positions come from `find`, so these slices are in bounds; `get` keeps it so.
    let before = |i: usize| inner.get(..i).unwrap_or_default();
    let after = |i: usize| inner.get(i + 2..).unwrap_or_default();
    let marks = question_marks(inner, 3);
    let (word, rest) = match marks[..] {
        [(_, false), (_, false), (close, true)] => (before(close), after(close)),
        [(_, false), (close, true)] if starts_with_hex_pair(after(close)) => {
            // The text runs from the escape to the next `?=` (or the end of the header),
            // and may not hold another question mark.
            let text = after(close);
            match question_marks(text, 1)[..] {
                [] => (inner, ""),
                [(end, true)] => (
                    before(close + 2 + end),
                    text.get(end + 2..).unwrap_or_default(),
                ),
                _ => return Err(NotEncoded::Invalid),
            }
        }
        _ if closed_later => return Err(NotEncoded::Invalid),
        _ => return Err(NotEncoded::Unterminated),
    };
    // Exactly two question marks are left in `word`.
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
    // Where the last `?=` is: an `=?` after it cannot open a word, and knowing that
    // spares a search to the end of the header from every such token.
    let last_close = value.rfind("?=");
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
            let offset = value.len() - rest.len();
            let closed_later = last_close.is_some_and(|close| close >= offset + 2);
            match encoded_word(rest, closed_later) {
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

    /// Many `=?` tokens without a word among them (a hostile Subject): kept as written,
    /// and a real word after them is still decoded. Python 3.11 gives the same texts.
    #[test]
    fn many_unclosed_openings_stay_text() {
        let openings = "=?a ".repeat(20_000);
        assert_eq!(decode(&openings), openings);
        let closed_at_end = format!("{openings}?=");
        assert_eq!(decode(&closed_at_end), closed_at_end);
        assert_eq!(
            decode(&format!("{openings}=?utf-8?q?x?=")),
            format!("{openings}x")
        );
    }

    /// The `?=` of a `=XX` escape right after the encoding letter does not end the word.
    #[test]
    fn escapes_after_the_encoding_letter() {
        assert_eq!(decode("x =?utf-8?q?=3D?= =?utf-8?q?=3Dab c"), "x ==ab c");
        assert_eq!(decode("=?utf-8?q?a?b?= =?utf-8?q?c?="), "=?utf-8?q?a?b?= c");
    }
}

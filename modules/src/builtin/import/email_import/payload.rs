//! Part bodies whose transfer encoding mail-parser decodes differently from Python's
//! `email` package: base64 (Python stops at the padding and repairs what it can) and
//! uuencode (`x-uuencode`, `uuencode`, `uue`, `x-uue`, which mail-parser leaves encoded).
//! Other encodings keep mail-parser's decoding.

use mail_parser::{MessagePart, MimeHeaders};

use super::codec::decode_charset;
use crate::parse::python_base64::decode_b;

/// The declared `Content-Transfer-Encoding`, lower-cased and trimmed.
fn transfer_encoding(part: &MessagePart<'_>, raw: &[u8]) -> Option<String> {
    let header = part.headers.iter().find(|h| {
        raw.get(h.offset_field as usize..h.offset_start as usize)
            .and_then(|name| std::str::from_utf8(name).ok())
            .and_then(|name| name.split(':').next())
            .is_some_and(|name| {
                name.trim()
                    .eq_ignore_ascii_case("content-transfer-encoding")
            })
    })?;
    let value = raw.get(header.offset_start as usize..header.offset_end as usize)?;
    Some(String::from_utf8_lossy(value).trim().to_ascii_lowercase())
}

/// Splits like Python's `bytes.splitlines`: at `\n`, `\r` and `\r\n`.
fn lines(data: &[u8]) -> Vec<&[u8]> {
    let mut out = Vec::new();
    let mut rest = data;
    while !rest.is_empty() {
        let end = rest
            .iter()
            .position(|b| matches!(b, b'\r' | b'\n'))
            .unwrap_or(rest.len());
        let (line, after) = rest.split_at(end);
        out.push(line);
        rest = match after {
            [b'\r', b'\n', tail @ ..] | [_, tail @ ..] => tail,
            [] => &[],
        };
    }
    out
}

/// `binascii.a2b_uu` of one line; `None` where Python raises.
fn a2b_uu(line: &[u8]) -> Option<Vec<u8>> {
    let Some((&first, rest)) = line.split_first() else {
        // Python reads the terminating NUL as the length byte: 32 zero bytes.
        return Some(vec![0; 32]);
    };
    let mut wanted = usize::from(first.wrapping_sub(b' ') & 0o77);
    let mut out = Vec::with_capacity(wanted);
    let (mut left, mut bits) = (0u32, 0u32);
    let mut data = rest.iter();
    while wanted > 0 {
        let value = match data.next() {
            None | Some(b'\n') | Some(b'\r') => 0,
            Some(&c) if (b' '..=b' ' + 64).contains(&c) => u32::from((c - b' ') & 0o77),
            Some(_) => return None,
        };
        left = (left << 6) | value;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(((left >> bits) & 0xff) as u8);
            left &= (1 << bits) - 1;
            wanted -= 1;
        }
    }
    // Only blanks (or the '`' some encoders pad with) may follow the data.
    data.all(|c| matches!(c, b' ' | b'`' | b'\n' | b'\r'))
        .then_some(out)
}

/// Whether `line` opens uuencoded data: `begin`, an octal file mode, then the file name.
fn is_begin_line(line: &[u8]) -> bool {
    line.strip_prefix(b"begin ").is_some_and(|rest| {
        let mode = rest.split(|b| *b == b' ').next().unwrap_or_default();
        !mode.is_empty() && mode.iter().all(|b| (b'0'..=b'7').contains(b))
    })
}

/// One data line. Some encoders append junk after the data, so a line that does not
/// decode as it is gets cut to the length its first character declares: that character
/// plus four characters for every three bytes, rounded up.
fn data_line(line: &[u8]) -> Option<Vec<u8>> {
    a2b_uu(line).or_else(|| {
        let (&length, _) = line.split_first()?;
        let declared = usize::from(length.wrapping_sub(b' ') & 0o77);
        let encoded_len = 1 + (declared * 4).div_ceil(3);
        a2b_uu(line.get(..encoded_len).unwrap_or(line))
    })
}

/// The data of a uuencoded body: the lines after the first `begin` line, up to `end` (or
/// the end of the body). `None`, as Python raises, without a `begin` line, for a blank
/// line inside the data (truncated input), or for a line that does not decode.
fn decode_uu(encoded: &[u8]) -> Option<Vec<u8>> {
    let all = lines(encoded);
    let begin = all.iter().position(|line| is_begin_line(line))?;
    let data = all.get(begin + 1..).unwrap_or_default();
    let mut out = Vec::new();
    for line in data.iter().take_while(|line| line.trim_ascii() != b"end") {
        if line.is_empty() {
            return None;
        }
        out.extend(data_line(line)?);
    }
    Some(out)
}

/// The decoded body of `part` where Python's decoding differs from mail-parser's, `None`
/// otherwise. Undecodable uuencode is returned as written, as Python does.
pub fn python_decoded(part: &MessagePart<'_>, raw: &[u8]) -> Option<Vec<u8>> {
    let encoding = transfer_encoding(part, raw)?;
    let body = raw.get(part.offset_body as usize..part.offset_end as usize)?;
    match encoding.as_str() {
        "base64" => Some(decode_b(&lines(body).concat())),
        "x-uuencode" | "uuencode" | "uue" | "x-uue" => {
            Some(decode_uu(body).unwrap_or_else(|| body.to_vec()))
        }
        _ => None,
    }
}

/// The text of a text part decoded by [`python_decoded`], in its declared charset.
pub fn python_text(part: &MessagePart<'_>, raw: &[u8]) -> Option<String> {
    let bytes = python_decoded(part, raw)?;
    let charset = part
        .content_type()
        .and_then(|ct| ct.attribute("charset"))
        .unwrap_or_default();
    Some(decode_charset(charset, &bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuencoded_data_is_decoded() {
        let encoded = b"begin 644 hello.txt\n,:&5L;&\\@=V]R;&0*\n`\nend\n";
        assert_eq!(decode_uu(encoded).as_deref(), Some(&b"hello world\n"[..]));
    }

    /// Outputs of Python 3.11's `email.message._decode_uu` for the same inputs.
    #[test]
    fn uuencoded_edge_cases_as_python_reads_them() {
        let junk_after_data = b"begin 644 hello.txt\n,:&5L;&\\@=V]R;&0*XYZ\n`\nend\n";
        assert_eq!(
            decode_uu(junk_after_data).as_deref(),
            Some(&b"hello world\n"[..])
        );
        let no_end = b"begin 644 x\n,:&5L;&\\@=V]R;&0*\n";
        assert_eq!(decode_uu(no_end).as_deref(), Some(&b"hello world\n"[..]));
        let bad_mode_first = b"begin 64x x\nbegin 600 y\n#86)C\nend\n";
        assert_eq!(decode_uu(bad_mode_first).as_deref(), Some(&b"abc"[..]));
        assert_eq!(decode_uu(b"begin 644 x\n#86)C\n\nend\n"), None);
        assert_eq!(decode_uu(b"begin 644 x\n#8~)C\nend\n"), None);
    }

    #[test]
    fn uuencode_without_begin_is_refused() {
        assert_eq!(decode_uu(b"no begin here\n"), None);
        assert_eq!(decode_uu(b"begin 644 x\n\nend\n"), None);
    }

    #[test]
    fn python_line_splitting() {
        assert_eq!(lines(b"a\r\nb\rc\nd"), vec![&b"a"[..], b"b", b"c", b"d"]);
        assert_eq!(lines(b"a\n\n\r\rb\n"), vec![&b"a"[..], b"", b"", b"", b"b"]);
        assert_eq!(lines(b"\n"), vec![&b""[..]]);
        assert!(lines(b"").is_empty());
    }
}

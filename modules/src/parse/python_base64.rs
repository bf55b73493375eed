//! Base64 decoded the way Python decodes it: `base64.b64decode` without `validate` (what
//! the reference's modules call on their `data`) and the `email` package's lenient
//! `decode_b` (MIME parts and encoded words). Both rest on `binascii.a2b_base64`, which
//! skips characters outside the alphabet and stops at the first complete padding, so junk
//! after `==` is ignored rather than decoded.

use thiserror::Error;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum Base64Error {
    /// One data character more than a multiple of four: no input encodes to that.
    #[error("invalid base64: the number of data characters is one more than a multiple of 4")]
    Length,
    /// The data ends in the middle of a quantum without its padding.
    #[error("invalid base64: incorrect padding")]
    Padding,
}

fn sextet(byte: u8) -> Option<u8> {
    match byte {
        b'A'..=b'Z' => Some(byte - b'A'),
        b'a'..=b'z' => Some(byte - b'a' + 26),
        b'0'..=b'9' => Some(byte - b'0' + 52),
        b'+' => Some(62),
        b'/' => Some(63),
        _ => None,
    }
}

/// `binascii.a2b_base64(data)` (not strict).
pub fn a2b_base64(data: &[u8]) -> Result<Vec<u8>, Base64Error> {
    let mut out = Vec::with_capacity(data.len() / 4 * 3);
    let mut quad_pos = 0u8;
    let mut left = 0u8;
    let mut pads = 0u8;
    for &byte in data {
        if byte == b'=' {
            // Padding counts only after two data characters of a quantum; once the
            // quantum is complete, the rest of the input is ignored.
            if quad_pos >= 2 {
                pads += 1;
                if quad_pos + pads >= 4 {
                    return Ok(out);
                }
            }
            continue;
        }
        let Some(value) = sextet(byte) else {
            continue;
        };
        pads = 0;
        match quad_pos {
            0 => {
                left = value;
                quad_pos = 1;
            }
            1 => {
                out.push((left << 2) | (value >> 4));
                left = value & 0x0f;
                quad_pos = 2;
            }
            2 => {
                out.push((left << 4) | (value >> 2));
                left = value & 0x03;
                quad_pos = 3;
            }
            _ => {
                out.push((left << 6) | value);
                quad_pos = 0;
            }
        }
    }
    match quad_pos {
        0 => Ok(out),
        1 => Err(Base64Error::Length),
        _ => Err(Base64Error::Padding),
    }
}

/// `base64.b64decode(data)`: characters outside the alphabet are discarded.
pub fn b64decode(data: &[u8]) -> Result<Vec<u8>, Base64Error> {
    a2b_base64(data)
}

/// `email._encoded_words.decode_b`, used for base64 MIME bodies (their lines joined) and
/// `=?…?b?…?=` words: missing padding is supplied, invalid characters are skipped, and
/// input that cannot be decoded at all is returned as it is.
pub fn decode_b(encoded: &[u8]) -> Vec<u8> {
    let valid_alphabet = |bytes: &[u8]| {
        let data_end = bytes.iter().rposition(|b| *b != b'=').map_or(0, |p| p + 1);
        bytes.len() - data_end <= 2 && bytes[..data_end].iter().all(|b| sextet(*b).is_some())
    };
    let missing = encoded.len() % 4;
    let mut padded = encoded.to_vec();
    if missing != 0 {
        padded.extend(std::iter::repeat_n(b'=', 4 - missing));
    }
    // With only alphabet characters the padded text decodes as it is.
    if valid_alphabet(&padded)
        && let Ok(bytes) = a2b_base64(&padded)
    {
        return bytes;
    }
    if let Ok(bytes) = a2b_base64(encoded) {
        return bytes;
    }
    let mut extra = encoded.to_vec();
    extra.extend_from_slice(b"==");
    a2b_base64(&extra).unwrap_or_else(|_| encoded.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junk_outside_the_alphabet_is_skipped() {
        assert_eq!(b64decode(b"@@@"), Ok(Vec::new()));
        assert_eq!(b64decode(b"aGVs\nbG8=").as_deref(), Ok(&b"hello"[..]));
        assert_eq!(b64decode(b"a G V s b G 8 =").as_deref(), Ok(&b"hello"[..]));
    }

    #[test]
    fn decoding_stops_at_the_padding() {
        assert_eq!(
            b64decode(b"ecO2dMOkIHZhYW4uCg== ignored").as_deref(),
            Ok("yötä vaan.\n".as_bytes())
        );
    }

    #[test]
    fn python_errors() {
        assert_eq!(b64decode(b"notbase64"), Err(Base64Error::Length));
        assert_eq!(b64decode(b"aGVsbG8"), Err(Base64Error::Padding));
    }

    #[test]
    fn mime_decoding_is_lenient() {
        assert_eq!(decode_b(b"aGVsbG8"), b"hello");
        // "?garbage": the '?' is skipped, "==" completes the last quantum.
        assert_eq!(decode_b(b"?garbage"), vec![0x81, 0xaa, 0xdb, 0x6a, 0x07]);
        assert_eq!(decode_b(b"abcde"), b"abcde");
    }
}

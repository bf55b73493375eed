//! The error texts of Python's `json` module, for modules whose reference echoes them to
//! the user (`Expecting value: line 1 column 2 (char 1)`). Parsing itself is done by
//! serde_json; this scanner only finds where and why Python's decoder would stop, so the
//! position (in characters, not bytes) and wording match.

/// Deeper nesting than this is refused the way Python's recursion guard would.
const MAX_DEPTH: usize = 900;

/// Python's `json.loads(text)` error message, or `None` when Python accepts the text.
pub fn python_json_error(text: &str) -> Option<String> {
    let chars: Vec<char> = text.chars().collect();
    let scanner = Scanner { s: &chars };
    let start = scanner.skip_ws(0);
    let end = match scanner.value(start, 0) {
        Ok(end) => end,
        Err(Fail::NoValue(at)) => return Some(scanner.message("Expecting value", at)),
        Err(Fail::Error(message, at)) => return Some(scanner.message(message, at)),
        Err(Fail::TooDeep) => {
            return Some("maximum recursion depth exceeded while decoding a JSON document".into());
        }
    };
    let end = scanner.skip_ws(end);
    (end != chars.len()).then(|| scanner.message("Extra data", end))
}

/// Python's `str(UnicodeDecodeError)` for bytes that are not UTF-8; `None` when they are.
pub fn python_utf8_error(bytes: &[u8]) -> Option<String> {
    let error = std::str::from_utf8(bytes).err()?;
    let at = error.valid_up_to();
    let first = bytes.get(at).copied().unwrap_or_default();
    let prefix = "'utf-8' codec can't decode";
    Some(match error.error_len() {
        None if bytes.len() - at > 1 => format!(
            "{prefix} bytes in position {at}-{}: unexpected end of data",
            bytes.len() - 1
        ),
        None => format!("{prefix} byte 0x{first:02x} in position {at}: unexpected end of data"),
        Some(_) if (0x80..0xc2).contains(&first) || first >= 0xf5 => {
            format!("{prefix} byte 0x{first:02x} in position {at}: invalid start byte")
        }
        Some(_) => {
            format!("{prefix} byte 0x{first:02x} in position {at}: invalid continuation byte")
        }
    })
}

/// Python's `str.splitlines()`: every Unicode line boundary, `\r\n` counted once, no
/// empty last line for a trailing break.
pub fn python_splitlines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let boundary = matches!(
            c,
            '\n' | '\r'
                | '\u{0b}'
                | '\u{0c}'
                | '\u{1c}'
                | '\u{1d}'
                | '\u{1e}'
                | '\u{85}'
                | '\u{2028}'
                | '\u{2029}'
        );
        if !boundary {
            continue;
        }
        lines.push(&text[start..i]);
        start = i + c.len_utf8();
        if c == '\r' && chars.peek().is_some_and(|(_, next)| *next == '\n') {
            chars.next();
            start += 1;
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

enum Fail {
    /// No value starts here: Python's `StopIteration`, reported as "Expecting value".
    NoValue(usize),
    Error(&'static str, usize),
    TooDeep,
}

struct Scanner<'a> {
    s: &'a [char],
}

impl Scanner<'_> {
    fn message(&self, what: &str, pos: usize) -> String {
        let before = &self.s[..pos.min(self.s.len())];
        let line = before.iter().filter(|c| **c == '\n').count() + 1;
        let column = match before.iter().rposition(|c| *c == '\n') {
            Some(newline) => pos - newline,
            None => pos + 1,
        };
        format!("{what}: line {line} column {column} (char {pos})")
    }

    fn at(&self, pos: usize) -> Option<char> {
        self.s.get(pos).copied()
    }

    fn skip_ws(&self, mut pos: usize) -> usize {
        while matches!(self.at(pos), Some(' ' | '\t' | '\n' | '\r')) {
            pos += 1;
        }
        pos
    }

    fn starts_with(&self, pos: usize, word: &str) -> bool {
        let n = word.chars().count();
        self.s.len() >= pos + n && self.s[pos..pos + n].iter().copied().eq(word.chars())
    }

    /// Scans one value at `pos`; returns the position after it.
    fn value(&self, pos: usize, depth: usize) -> Result<usize, Fail> {
        if depth > MAX_DEPTH {
            return Err(Fail::TooDeep);
        }
        match self.at(pos) {
            None => Err(Fail::NoValue(pos)),
            Some('"') => self.string(pos + 1),
            Some('{') => self.object(pos + 1, depth),
            Some('[') => self.array(pos + 1, depth),
            Some(_) => {
                for word in ["null", "true", "false", "NaN", "Infinity", "-Infinity"] {
                    if self.starts_with(pos, word) {
                        return Ok(pos + word.chars().count());
                    }
                }
                self.number(pos).ok_or(Fail::NoValue(pos))
            }
        }
    }

    fn number(&self, pos: usize) -> Option<usize> {
        let digits = |mut p: usize| {
            let start = p;
            while self.at(p).is_some_and(|c| c.is_ascii_digit()) {
                p += 1;
            }
            (p > start).then_some(p)
        };
        let mut p = pos;
        if self.at(p) == Some('-') {
            p += 1;
        }
        p = match self.at(p) {
            Some('0') => p + 1,
            Some('1'..='9') => digits(p)?,
            _ => return None,
        };
        if self.at(p) == Some('.')
            && let Some(after) = digits(p + 1)
        {
            p = after;
        }
        if matches!(self.at(p), Some('e' | 'E')) {
            let sign = usize::from(matches!(self.at(p + 1), Some('+' | '-')));
            if let Some(after) = digits(p + 1 + sign) {
                p = after;
            }
        }
        Some(p)
    }

    /// `pos` is just after the opening quote.
    fn string(&self, pos: usize) -> Result<usize, Fail> {
        let begin = pos - 1;
        let mut p = pos;
        loop {
            match self.at(p) {
                None => return Err(Fail::Error("Unterminated string starting at", begin)),
                Some('"') => return Ok(p + 1),
                Some('\\') => match self.at(p + 1) {
                    None => return Err(Fail::Error("Unterminated string starting at", begin)),
                    Some('"' | '\\' | '/' | 'b' | 'f' | 'n' | 'r' | 't') => p += 2,
                    Some('u') => {
                        let hex = (p + 2..p + 6)
                            .all(|i| self.at(i).is_some_and(|c| c.is_ascii_hexdigit()));
                        if !hex {
                            return Err(Fail::Error("Invalid \\uXXXX escape", p + 1));
                        }
                        p += 6;
                    }
                    Some(_) => return Err(Fail::Error("Invalid \\escape", p)),
                },
                Some(c) if (c as u32) < 0x20 => {
                    return Err(Fail::Error("Invalid control character at", p));
                }
                Some(_) => p += 1,
            }
        }
    }

    fn object(&self, pos: usize, depth: usize) -> Result<usize, Fail> {
        const NAME: &str = "Expecting property name enclosed in double quotes";
        let mut p = self.skip_ws(pos);
        match self.at(p) {
            Some('}') => return Ok(p + 1),
            Some('"') => {}
            _ => return Err(Fail::Error(NAME, p)),
        }
        loop {
            p = self.string(p + 1)?;
            p = self.skip_ws(p);
            if self.at(p) != Some(':') {
                return Err(Fail::Error("Expecting ':' delimiter", p));
            }
            p = self.skip_ws(p + 1);
            p = self.value(p, depth + 1)?;
            p = self.skip_ws(p);
            match self.at(p) {
                Some('}') => return Ok(p + 1),
                Some(',') => {}
                _ => return Err(Fail::Error("Expecting ',' delimiter", p)),
            }
            p = self.skip_ws(p + 1);
            if self.at(p) != Some('"') {
                return Err(Fail::Error(NAME, p));
            }
        }
    }

    fn array(&self, pos: usize, depth: usize) -> Result<usize, Fail> {
        let mut p = self.skip_ws(pos);
        if self.at(p) == Some(']') {
            return Ok(p + 1);
        }
        loop {
            p = self.value(p, depth + 1)?;
            p = self.skip_ws(p);
            match self.at(p) {
                Some(']') => return Ok(p + 1),
                Some(',') => p = self.skip_ws(p + 1),
                _ => return Err(Fail::Error("Expecting ',' delimiter", p)),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_positions_follow_python() {
        let cases = [
            ("[hello world]", "Expecting value: line 1 column 2 (char 1)"),
            ("", "Expecting value: line 1 column 1 (char 0)"),
            (
                "{\"a\" 1}",
                "Expecting ':' delimiter: line 1 column 6 (char 5)",
            ),
            ("[1 2]", "Expecting ',' delimiter: line 1 column 4 (char 3)"),
            (
                "{'a': 1}",
                "Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
            ),
            ("[1,]", "Expecting value: line 1 column 4 (char 3)"),
            ("{} x", "Extra data: line 1 column 4 (char 3)"),
            (
                "\n  [\"é",
                "Unterminated string starting at: line 2 column 4 (char 4)",
            ),
            ("[\"a\\x\"]", "Invalid \\escape: line 1 column 4 (char 3)"),
            ("[-]", "Expecting value: line 1 column 2 (char 1)"),
        ];
        for (text, want) in cases {
            assert_eq!(python_json_error(text).as_deref(), Some(want), "{text:?}");
        }
        for ok in [
            "[1, 2.5e3, -0, NaN]",
            " {\"a\": [true, null, \"\\u00e9\"]} ",
            "0",
        ] {
            assert_eq!(python_json_error(ok), None, "{ok:?}");
        }
    }

    #[test]
    fn splitlines_like_python() {
        assert_eq!(
            python_splitlines("a\r\nb\rc\n\nd\u{2028}e\n"),
            ["a", "b", "c", "", "d", "e"]
        );
        assert!(python_splitlines("").is_empty());
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let deep = "[".repeat(100_000);
        assert!(python_json_error(&deep).unwrap().contains("recursion"));
    }

    #[test]
    fn utf8_errors_read_like_python() {
        assert_eq!(
            python_utf8_error(b"ab\xffc").as_deref(),
            Some("'utf-8' codec can't decode byte 0xff in position 2: invalid start byte")
        );
        assert_eq!(
            python_utf8_error(b"\xc3(").as_deref(),
            Some("'utf-8' codec can't decode byte 0xc3 in position 0: invalid continuation byte")
        );
        assert_eq!(
            python_utf8_error(b"a\xe2\x82").as_deref(),
            Some("'utf-8' codec can't decode bytes in position 1-2: unexpected end of data")
        );
        assert_eq!(python_utf8_error("é".as_bytes()), None);
    }
}

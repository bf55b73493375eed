//! A syntax checker for STIX 2.1 patterns (OASIS STIX 2.1, section 9 "Patterning").
//!
//! It accepts exactly the grammar of the specification: observation expressions joined by
//! AND / OR / FOLLOWEDBY, with WITHIN / REPEATS / START-STOP qualifiers, comparison
//! expressions over object paths, and the typed literals (string, integer, float, boolean,
//! binary `b'..'`, hex `h'..'`, timestamp `t'..'`).

use std::fmt;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    LBracket,
    RBracket,
    LParen,
    RParen,
    Colon,
    Dot,
    Comma,
    Star,
    Op(&'static str),
    Word(String),
    Str,
    Binary,
    Hex,
    Timestamp,
    Int(bool),
    Float,
    End,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    pub column: usize,
    pub message: String,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error found at line 1:{}. {}", self.column, self.message)
    }
}

/// Checks `pattern`; the first error found, if any.
pub fn check_pattern(pattern: &str) -> Result<(), PatternError> {
    let tokens = tokenize(pattern)?;
    let mut parser = Parser {
        tokens,
        position: 0,
    };
    parser.observation_expressions()?;
    parser.expect_end()
}

fn tokenize(text: &str) -> Result<Vec<(usize, Token)>, PatternError> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    let error = |column: usize, message: String| PatternError { column, message };
    while i < chars.len() {
        let c = chars[i];
        let start = i;
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        let single = match c {
            '[' => Some(Token::LBracket),
            ']' => Some(Token::RBracket),
            '(' => Some(Token::LParen),
            ')' => Some(Token::RParen),
            ':' => Some(Token::Colon),
            '.' if !chars.get(i + 1).is_some_and(char::is_ascii_digit) => Some(Token::Dot),
            ',' => Some(Token::Comma),
            '*' => Some(Token::Star),
            _ => None,
        };
        if let Some(token) = single {
            tokens.push((start, token));
            i += 1;
            continue;
        }
        let two: String = chars[i..(i + 2).min(chars.len())].iter().collect();
        let op = match two.as_str() {
            "==" => Some(("=", 2)),
            "!=" => Some(("!=", 2)),
            "<>" => Some(("!=", 2)),
            "<=" => Some(("<=", 2)),
            ">=" => Some((">=", 2)),
            _ => match c {
                '=' => Some(("=", 1)),
                '<' => Some(("<", 1)),
                '>' => Some((">", 1)),
                _ => None,
            },
        };
        if let Some((op, width)) = op {
            tokens.push((start, Token::Op(op)));
            i += width;
            continue;
        }
        let prefixed = matches!(c, 'b' | 'h' | 't') && chars.get(i + 1) == Some(&'\'');
        if c == '\'' || prefixed {
            let quote = if prefixed { i + 1 } else { i };
            let (content, end) = quoted(&chars, quote)
                .ok_or_else(|| error(start, "unterminated string literal".into()))?;
            let token = match (prefixed, c) {
                (false, _) => Token::Str,
                (true, 'b') => check(
                    is_base64(&content),
                    Token::Binary,
                    start,
                    "invalid binary literal",
                )?,
                (true, 'h') => check(
                    content.len().is_multiple_of(2)
                        && content.chars().all(|c| c.is_ascii_hexdigit()),
                    Token::Hex,
                    start,
                    "invalid hex literal",
                )?,
                _ => check(
                    is_timestamp(&content),
                    Token::Timestamp,
                    start,
                    "invalid timestamp literal",
                )?,
            };
            tokens.push((start, token));
            i = end;
            continue;
        }
        if c.is_ascii_digit()
            || ((c == '-' || c == '+' || c == '.')
                && chars
                    .get(i + 1)
                    .is_some_and(|n| n.is_ascii_digit() || *n == '.'))
        {
            i += 1;
            while i < chars.len() && (chars[i].is_ascii_digit() || chars[i] == '.') {
                i += 1;
            }
            let literal: String = chars[start..i].iter().collect();
            let digits = literal.trim_start_matches(['-', '+']);
            let token = if digits.contains('.') {
                check(
                    digits.matches('.').count() == 1 && digits != ".",
                    Token::Float,
                    start,
                    "invalid number",
                )?
            } else {
                Token::Int(!literal.starts_with('-'))
            };
            tokens.push((start, token));
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '-')
            {
                i += 1;
            }
            tokens.push((start, Token::Word(chars[start..i].iter().collect())));
            continue;
        }
        return Err(error(start, format!("token recognition error at: '{c}'")));
    }
    tokens.push((chars.len(), Token::End));
    Ok(tokens)
}

fn check(ok: bool, token: Token, column: usize, message: &str) -> Result<Token, PatternError> {
    if ok {
        Ok(token)
    } else {
        Err(PatternError {
            column,
            message: message.to_owned(),
        })
    }
}

/// The content of a `'...'` literal starting at `quote`, and the index after it.
fn quoted(chars: &[char], quote: usize) -> Option<(String, usize)> {
    let mut content = String::new();
    let mut i = quote + 1;
    while i < chars.len() {
        match chars[i] {
            '\\' => {
                let next = *chars.get(i + 1)?;
                if next != '\'' && next != '\\' {
                    return None;
                }
                content.push(next);
                i += 2;
            }
            '\'' => return Some((content, i + 1)),
            other => {
                content.push(other);
                i += 1;
            }
        }
    }
    None
}

fn is_base64(text: &str) -> bool {
    let body = text.trim_end_matches('=');
    text.len().is_multiple_of(4)
        && text.len() - body.len() <= 2
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '/')
}

/// `YYYY-MM-DDTHH:MM:SS[.s+]Z`, with plausible field ranges.
fn is_timestamp(text: &str) -> bool {
    let bytes = text.as_bytes();
    if !text.is_ascii() || bytes.len() < 20 || !text.ends_with('Z') {
        return false;
    }
    let digits = |range: std::ops::Range<usize>| {
        text.get(range)
            .filter(|s| s.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|s| s.parse::<u32>().ok())
    };
    let shape = bytes[4] == b'-'
        && bytes[7] == b'-'
        && bytes[10] == b'T'
        && bytes[13] == b':'
        && bytes[16] == b':';
    let fraction = &text[19..text.len() - 1];
    let fraction_ok = fraction.is_empty()
        || (fraction.len() > 1
            && fraction.starts_with('.')
            && fraction[1..].bytes().all(|b| b.is_ascii_digit()));
    shape
        && fraction_ok
        && digits(0..4).is_some()
        && digits(5..7).is_some_and(|m| (1..=12).contains(&m))
        && digits(8..10).is_some_and(|d| (1..=31).contains(&d))
        && digits(11..13).is_some_and(|h| h <= 23)
        && digits(14..16).is_some_and(|m| m <= 59)
        && digits(17..19).is_some_and(|s| s <= 60)
}

struct Parser {
    tokens: Vec<(usize, Token)>,
    position: usize,
}

impl Parser {
    fn peek(&self) -> &Token {
        &self.tokens[self.position.min(self.tokens.len() - 1)].1
    }

    fn column(&self) -> usize {
        self.tokens[self.position.min(self.tokens.len() - 1)].0
    }

    fn advance(&mut self) {
        if self.position < self.tokens.len() - 1 {
            self.position += 1;
        }
    }

    fn fail<T>(&self, expected: &str) -> Result<T, PatternError> {
        let found = match self.peek() {
            Token::End => "<EOF>".to_owned(),
            Token::Word(w) => format!("'{w}'"),
            other => format!("{other:?}"),
        };
        Err(PatternError {
            column: self.column(),
            message: format!("mismatched input {found} expecting {expected}"),
        })
    }

    fn keyword(&mut self, word: &str) -> bool {
        if matches!(self.peek(), Token::Word(w) if w == word) {
            self.advance();
            true
        } else {
            false
        }
    }

    fn expect(&mut self, token: Token, shown: &str) -> Result<(), PatternError> {
        if *self.peek() == token {
            self.advance();
            Ok(())
        } else {
            self.fail(shown)
        }
    }

    fn expect_end(&self) -> Result<(), PatternError> {
        match self.peek() {
            Token::End => Ok(()),
            _ => Err(PatternError {
                column: self.column(),
                message: "extraneous input after the end of the pattern".to_owned(),
            }),
        }
    }

    fn observation_expressions(&mut self) -> Result<(), PatternError> {
        self.joined(&["FOLLOWEDBY", "OR", "AND"], Self::observation_expression)
    }

    /// `item (KEYWORD item)*` for any of `keywords`.
    fn joined(
        &mut self,
        keywords: &[&str],
        item: fn(&mut Self) -> Result<(), PatternError>,
    ) -> Result<(), PatternError> {
        item(self)?;
        while keywords.iter().any(|k| self.keyword(k)) {
            item(self)?;
        }
        Ok(())
    }

    fn observation_expression(&mut self) -> Result<(), PatternError> {
        match self.peek() {
            Token::LBracket => {
                self.advance();
                self.comparison_expression()?;
                self.expect(Token::RBracket, "']'")?;
            }
            Token::LParen => {
                self.advance();
                self.observation_expressions()?;
                self.expect(Token::RParen, "')'")?;
            }
            _ => return self.fail("'[' or '('"),
        }
        self.qualifiers()
    }

    fn qualifiers(&mut self) -> Result<(), PatternError> {
        loop {
            if self.keyword("WITHIN") {
                self.positive_number(true)?;
                if !self.keyword("SECONDS") {
                    return self.fail("SECONDS");
                }
            } else if self.keyword("REPEATS") {
                self.positive_number(false)?;
                if !self.keyword("TIMES") {
                    return self.fail("TIMES");
                }
            } else if self.keyword("START") {
                self.expect(Token::Timestamp, "a timestamp literal")?;
                if !self.keyword("STOP") {
                    return self.fail("STOP");
                }
                self.expect(Token::Timestamp, "a timestamp literal")?;
            } else {
                return Ok(());
            }
        }
    }

    fn positive_number(&mut self, float_allowed: bool) -> Result<(), PatternError> {
        match self.peek() {
            Token::Int(true) => self.advance(),
            Token::Float if float_allowed => self.advance(),
            _ => return self.fail("a positive number"),
        }
        Ok(())
    }

    fn comparison_expression(&mut self) -> Result<(), PatternError> {
        self.joined(&["OR"], |p| p.joined(&["AND"], Self::property_test))
    }

    fn property_test(&mut self) -> Result<(), PatternError> {
        if *self.peek() == Token::LParen {
            self.advance();
            self.comparison_expression()?;
            return self.expect(Token::RParen, "')'");
        }
        if self.keyword("EXISTS") {
            return self.object_path();
        }
        self.object_path()?;
        self.keyword("NOT");
        match self.peek().clone() {
            Token::Op("=") | Token::Op("!=") => {
                self.advance();
                self.literal(true)
            }
            Token::Op(_) => {
                self.advance();
                self.literal(false)
            }
            Token::Word(w) if w == "IN" => {
                self.advance();
                self.set_literal()
            }
            Token::Word(w)
                if ["LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"].contains(&w.as_str()) =>
            {
                self.advance();
                self.expect(Token::Str, "a string literal")
            }
            _ => self.fail("a comparison operator"),
        }
    }

    fn object_path(&mut self) -> Result<(), PatternError> {
        match self.peek() {
            Token::Word(w)
                if w.chars().all(|c| {
                    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'
                }) =>
            {
                self.advance()
            }
            _ => return self.fail("an object type"),
        }
        self.expect(Token::Colon, "':'")?;
        self.path_step()?;
        loop {
            match self.peek() {
                Token::Dot => {
                    self.advance();
                    self.path_step()?;
                }
                Token::LBracket => {
                    self.advance();
                    match self.peek() {
                        Token::Int(_) | Token::Star => self.advance(),
                        _ => return self.fail("an index or '*'"),
                    }
                    self.expect(Token::RBracket, "']'")?;
                }
                _ => return Ok(()),
            }
        }
    }

    fn path_step(&mut self) -> Result<(), PatternError> {
        match self.peek() {
            Token::Word(w) if !w.contains('-') => {
                self.advance();
                Ok(())
            }
            Token::Str => {
                self.advance();
                Ok(())
            }
            _ => self.fail("a property name"),
        }
    }

    fn literal(&mut self, boolean_allowed: bool) -> Result<(), PatternError> {
        match self.peek() {
            Token::Str
            | Token::Binary
            | Token::Hex
            | Token::Timestamp
            | Token::Int(_)
            | Token::Float => self.advance(),
            Token::Word(w)
                if boolean_allowed
                    && (w.eq_ignore_ascii_case("true") || w.eq_ignore_ascii_case("false")) =>
            {
                self.advance()
            }
            _ => return self.fail("a literal"),
        }
        Ok(())
    }

    fn set_literal(&mut self) -> Result<(), PatternError> {
        self.expect(Token::LParen, "'('")?;
        if *self.peek() == Token::RParen {
            self.advance();
            return Ok(());
        }
        self.literal(true)?;
        while *self.peek() == Token::Comma {
            self.advance();
            self.literal(true)?;
        }
        self.expect(Token::RParen, "')'")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_specification_examples() {
        for pattern in [
            "[ipv4-addr:value = '8.8.8.8']",
            "[file:hashes.'SHA-256' = 'aec070645fe53ee3b3763059376134f058cc337247c978add178b6ccdfb0019f']",
            "[email-message:from_ref.value MATCHES '.+\\\\@example\\\\.com$' AND email-message:body_multipart[*].body_raw_ref.name LIKE 'pdf%']",
            "[network-traffic:dst_port IN (80, 443)] FOLLOWEDBY [domain-name:value = 'a.example'] WITHIN 300 SECONDS",
            "([file:size > 1024] OR [file:name = 'x']) REPEATS 5 TIMES",
            "[x509-certificate:validity_not_before < t'2016-01-01T00:00:00Z'] START t'2016-06-01T00:00:00Z' STOP t'2016-07-01T00:00:00.123Z'",
            "[artifact:payload_bin = b'aGVsbG8='] AND [x-custom:hex NOT = h'ff00']",
            "[process:name = 'a' OR (process:pid = 4 AND EXISTS process:cwd)]",
        ] {
            assert_eq!(check_pattern(pattern), Ok(()), "{pattern}");
        }
    }

    #[test]
    fn refuses_malformed_patterns() {
        for pattern in [
            "[foo]",
            "ipv4-addr:value = '1.2.3.4'",
            "[ipv4-addr:value = '1.2.3.4'",
            "[ipv4-addr:value = '1.2.3.4]",
            "[ipv4-addr:value = 1.2.3.4]",
            "[file:name = 'a'] WITHIN -5 SECONDS",
            "[file:created = t'2016-13-01T00:00:00Z']",
            "[file:created = t'2016-01-01T00:00:0é00Z']",
            "[file:hashes.MD5 == ]",
            "[IPV4-ADDR:value = '1.2.3.4']",
            "[file:name LIKE 5]",
            "",
        ] {
            assert!(
                check_pattern(pattern).is_err(),
                "{pattern} should be refused"
            );
        }
    }

    #[test]
    fn arbitrary_input_never_panics() {
        // A small deterministic generator over an alphabet rich in grammar characters and
        // multi-byte text; every string must give a verdict, never a panic.
        let alphabet: Vec<char> = "[]():.,*=!<>'bht-+0123456789 aZ_éあ😀\\\nANDORWITHIN"
            .chars()
            .collect();
        let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20_000 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let length = (state % 40) as usize;
            let text: String = (0..length)
                .map(|i| alphabet[((state >> (i % 50)) as usize + i * 7) % alphabet.len()])
                .collect();
            let _ = check_pattern(&text);
            let _ = check_pattern(&format!("[file:created = t'{text}']"));
        }
    }

    #[test]
    fn errors_say_where() {
        let error = check_pattern("[ipv4-addr:value = ]").unwrap_err();
        assert_eq!(error.column, 19);
        assert!(error.to_string().starts_with("Error found at line 1:19."));
    }
}

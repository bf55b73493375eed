//! A syntax checker for STIX 2.1 patterns (OASIS STIX 2.1, section 9 "Patterning").
//!
//! It accepts exactly the grammar of the specification: observation expressions joined by
//! AND / OR / FOLLOWEDBY, with WITHIN / REPEATS / START-STOP qualifiers, comparison
//! expressions over object paths, and the typed literals (string, integer, float, boolean,
//! binary `b'..'`, hex `h'..'`, timestamp `t'..'`).

use std::fmt;

use super::stix2_hashes::{BadHash, PathStep, check_hash};
use crate::grouped::Grouped;

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
    /// A `'...'` literal, unescaped.
    Str(String),
    Binary,
    Hex,
    Timestamp,
    Int(bool),
    Float,
    End,
}

/// One token and the text it was read from (the hash checks quote literals as written).
struct Lexeme {
    column: usize,
    token: Token,
    raw: String,
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

/// What is wrong with a pattern: its first grammar error, or else every hash comparison
/// whose value does not fit its algorithm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternProblem {
    Syntax(PatternError),
    Hash(BadHash),
}

impl fmt::Display for PatternProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Syntax(error) => error.fmt(f),
            Self::Hash(bad) => bad.fmt(f),
        }
    }
}

/// Checks `pattern`: the grammar first; only a well-formed pattern has its hash values
/// checked, as stix2-patterns does.
pub fn check_pattern(pattern: &str) -> Result<(), Vec<PatternProblem>> {
    let syntax = |error| vec![PatternProblem::Syntax(error)];
    let tokens = tokenize(pattern).map_err(syntax)?;
    let mut parser = Parser {
        tokens,
        position: 0,
        depth: 0,
        comparisons: Vec::new(),
    };
    parser.observation_expressions().map_err(syntax)?;
    parser.expect_end().map_err(syntax)?;
    let bad_hashes: Vec<PatternProblem> = grouped_by_object_type(parser.comparisons)
        .iter()
        .filter_map(|c| check_hash(&c.path, &c.value))
        .map(PatternProblem::Hash)
        .collect();
    if bad_hashes.is_empty() {
        Ok(())
    } else {
        Err(bad_hashes)
    }
}

/// stix2-patterns collects comparisons per object type (in first-seen order) before
/// checking them, so that is the order its errors come in.
fn grouped_by_object_type(comparisons: Vec<Comparison>) -> Vec<Comparison> {
    comparisons
        .into_iter()
        .map(|c| (c.object_type.clone(), c))
        .collect::<Grouped<String, Comparison>>()
        .into_flat()
        .collect()
}

/// `object_type:path OP value`, with the value as written (quotes included).
#[derive(Debug, Clone)]
struct Comparison {
    object_type: String,
    path: Vec<PathStep>,
    value: String,
}

fn tokenize(text: &str) -> Result<Vec<Lexeme>, PatternError> {
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
            i += 1;
            tokens.push(lexeme(&chars, start, i, token));
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
            i += width;
            tokens.push(lexeme(&chars, start, i, Token::Op(op)));
            continue;
        }
        let prefixed = matches!(c, 'b' | 'h' | 't') && chars.get(i + 1) == Some(&'\'');
        if c == '\'' || prefixed {
            let quote = if prefixed { i + 1 } else { i };
            let (content, end) = quoted(&chars, quote)
                .ok_or_else(|| error(start, "unterminated string literal".into()))?;
            let token = match (prefixed, c) {
                (false, _) => Token::Str(content),
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
            i = end;
            tokens.push(lexeme(&chars, start, i, token));
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
            tokens.push(lexeme(&chars, start, i, token));
            continue;
        }
        if c.is_ascii_alphabetic() || c == '_' {
            while i < chars.len()
                && (chars[i].is_ascii_alphanumeric() || chars[i] == '_' || chars[i] == '-')
            {
                i += 1;
            }
            let word = Token::Word(chars[start..i].iter().collect());
            tokens.push(lexeme(&chars, start, i, word));
            continue;
        }
        return Err(error(start, format!("token recognition error at: '{c}'")));
    }
    tokens.push(lexeme(&chars, chars.len(), chars.len(), Token::End));
    Ok(tokens)
}

fn lexeme(chars: &[char], start: usize, end: usize, token: Token) -> Lexeme {
    Lexeme {
        column: start,
        token,
        raw: chars[start..end].iter().collect(),
    }
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

/// The grammar's keywords: the lexer never reads them as identifiers (they are
/// case-sensitive, so `True` or `file` are identifiers).
const KEYWORDS: [&str; 19] = [
    "AND",
    "OR",
    "NOT",
    "FOLLOWEDBY",
    "LIKE",
    "MATCHES",
    "ISSUPERSET",
    "ISSUBSET",
    "EXISTS",
    "LAST",
    "IN",
    "START",
    "STOP",
    "SECONDS",
    "true",
    "false",
    "WITHIN",
    "REPEATS",
    "TIMES",
];

fn is_identifier(word: &str) -> bool {
    !KEYWORDS.contains(&word)
}

/// How many `(` and `[` groups may enclose each other. The parser recurses once per level,
/// so without a bound a pattern of a few kilobytes overflows the stack and aborts the
/// whole server. The reference (Python's recursion limit) fails somewhere past 300 levels
/// with an internal error; real patterns nest a handful.
const MAX_NESTING: usize = 256;

struct Parser {
    tokens: Vec<Lexeme>,
    position: usize,
    /// The groups open around the current token.
    depth: usize,
    comparisons: Vec<Comparison>,
}

impl Parser {
    fn current(&self) -> &Lexeme {
        &self.tokens[self.position.min(self.tokens.len() - 1)]
    }

    fn peek(&self) -> &Token {
        &self.current().token
    }

    fn column(&self) -> usize {
        self.current().column
    }

    /// The current token's text, then moves past it.
    fn take_raw(&mut self) -> String {
        let raw = self.current().raw.clone();
        self.advance();
        raw
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

    /// Moves past the opening token of a group, parses its content with `inside`, then
    /// expects `close`; refuses to go deeper than [`MAX_NESTING`] groups.
    fn group(
        &mut self,
        inside: fn(&mut Self) -> Result<(), PatternError>,
        close: Token,
        shown: &str,
    ) -> Result<(), PatternError> {
        if self.depth >= MAX_NESTING {
            let found = self.current().raw.clone();
            return Err(PatternError {
                column: self.column(),
                message: format!(
                    "input '{found}' nests deeper than {MAX_NESTING} levels of brackets"
                ),
            });
        }
        self.advance();
        self.depth += 1;
        let content = inside(self);
        self.depth -= 1;
        content?;
        self.expect(close, shown)
    }

    fn observation_expression(&mut self) -> Result<(), PatternError> {
        match self.peek() {
            Token::LBracket => {
                self.group(Self::comparison_expression, Token::RBracket, "']'")?;
            }
            Token::LParen => {
                self.group(Self::observation_expressions, Token::RParen, "')'")?;
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
            return self.group(Self::comparison_expression, Token::RParen, "')'");
        }
        if self.keyword("EXISTS") {
            return self.object_path().map(drop);
        }
        let (object_type, path) = self.object_path()?;
        self.keyword("NOT");
        let value = match self.peek().clone() {
            Token::Op("=") | Token::Op("!=") => {
                self.advance();
                self.literal(true)?
            }
            Token::Op(_) => {
                self.advance();
                self.literal(false)?
            }
            Token::Word(w) if w == "IN" => {
                self.advance();
                self.set_literal()?
            }
            Token::Word(w)
                if ["LIKE", "MATCHES", "ISSUBSET", "ISSUPERSET"].contains(&w.as_str()) =>
            {
                self.advance();
                if !matches!(self.peek(), Token::Str(_)) {
                    return self.fail("a string literal");
                }
                self.take_raw()
            }
            _ => return self.fail("a comparison operator"),
        };
        self.comparisons.push(Comparison {
            object_type,
            path,
            value,
        });
        Ok(())
    }

    /// `type:step(.step|[index])*`: the object type and the path's steps.
    fn object_path(&mut self) -> Result<(String, Vec<PathStep>), PatternError> {
        let object_type = match self.peek() {
            Token::Word(w) if is_identifier(w) => w.clone(),
            _ => return self.fail("an object type"),
        };
        self.advance();
        self.expect(Token::Colon, "':'")?;
        let mut path = vec![self.path_step()?];
        loop {
            match self.peek() {
                Token::Dot => {
                    self.advance();
                    path.push(self.path_step()?);
                }
                Token::LBracket => {
                    self.advance();
                    let step = match self.peek() {
                        Token::Int(_) => PathStep::Index,
                        Token::Star => PathStep::AnyIndex,
                        _ => return self.fail("an index or '*'"),
                    };
                    self.advance();
                    path.push(step);
                    self.expect(Token::RBracket, "']'")?;
                }
                _ => return Ok((object_type, path)),
            }
        }
    }

    fn path_step(&mut self) -> Result<PathStep, PatternError> {
        let step = match self.peek() {
            Token::Word(w) if !w.contains('-') && is_identifier(w) => PathStep::Key(w.clone()),
            Token::Str(content) => PathStep::Key(content.clone()),
            _ => return self.fail("a property name"),
        };
        self.advance();
        Ok(step)
    }

    /// A literal, as written.
    fn literal(&mut self, boolean_allowed: bool) -> Result<String, PatternError> {
        match self.peek() {
            Token::Str(_)
            | Token::Binary
            | Token::Hex
            | Token::Timestamp
            | Token::Int(_)
            | Token::Float => Ok(self.take_raw()),
            Token::Word(w) if boolean_allowed && (w == "true" || w == "false") => {
                Ok(self.take_raw())
            }
            _ => self.fail("a literal"),
        }
    }

    /// `(literal, ...)`, as written but without the spaces (as ANTLR's `getText` gives it).
    fn set_literal(&mut self) -> Result<String, PatternError> {
        self.expect(Token::LParen, "'('")?;
        let mut text = String::from("(");
        if *self.peek() != Token::RParen {
            text.push_str(&self.literal(true)?);
            while *self.peek() == Token::Comma {
                self.advance();
                text.push(',');
                text.push_str(&self.literal(true)?);
            }
        }
        self.expect(Token::RParen, "')'")?;
        text.push(')');
        Ok(text)
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
            // Identifiers may hold capitals (the reference accepts these).
            "[IPV4-ADDR:value = '1.1.1.1']",
            "[FILE:name = 'a']",
            "[File:Name = 'a']",
            "[True:name = 'a']",
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
            "[AND:name = 'a']",
            "[file:AND = 'a']",
            "[true:name = 'a']",
            "[file:x = True]",
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
        let errors = check_pattern("[ipv4-addr:value = ]").unwrap_err();
        assert_eq!(errors.len(), 1);
        assert!(matches!(&errors[0], PatternProblem::Syntax(e) if e.column == 19));
        assert!(
            errors[0]
                .to_string()
                .starts_with("Error found at line 1:19.")
        );
    }

    fn problems(pattern: &str) -> Vec<String> {
        match check_pattern(pattern) {
            Ok(()) => Vec::new(),
            Err(problems) => problems.iter().map(ToString::to_string).collect(),
        }
    }

    #[test]
    fn hash_values_are_checked_with_any_operator() {
        // Each expected text is the reference's (stix2-patterns 2.0).
        for (pattern, expected) in [
            (
                "[file:hashes.'SHA-256' = 'x']",
                "'x' is not a valid SHA-256 hash",
            ),
            ("[file:hashes.md5 NOT = 'x']", "'x' is not a valid md5 hash"),
            (
                "[file:hashes.MD5 LIKE 'a%']",
                "'a%' is not a valid MD5 hash",
            ),
            (
                "[file:hashes.MD5 MATCHES 'x']",
                "'x' is not a valid MD5 hash",
            ),
            ("[file:hashes.MD5 > 'x']", "'x' is not a valid MD5 hash"),
            ("[file:hashes.MD5 = 5]", "'5' is not a valid MD5 hash"),
            ("[file:hashes.MD5 = true]", "'true' is not a valid MD5 hash"),
            ("[file:hashes.MD5 IN ()]", "'()' is not a valid MD5 hash"),
            (
                "[file:hashes.'sha-256' IN ('a', 'b')]",
                "'(a,b)' is not a valid sha-256 hash",
            ),
            (
                "[file:hashes.MD5 = b'aGVsbG8=']",
                "'baGVsbG8=' is not a valid MD5 hash",
            ),
            (
                "[file:hashes.WHIRLPOOL = t'2016-01-01T00:00:00Z']",
                "'t2016-01-01T00:00:00Z' is not a valid WHIRLPOOL hash",
            ),
            ("[file:'hashes'.MD5 = 'x']", "'x' is not a valid MD5 hash"),
            (
                "[file:parent_directory_ref.hashes.MD5 = 'x']",
                "'x' is not a valid MD5 hash",
            ),
        ] {
            assert_eq!(problems(pattern), [expected], "{pattern}");
        }
        for pattern in [
            "[file:hashes.MD5 = 'D41D8CD98F00B204E9800998ECF8427E']",
            "[file:hashes.MD5.x = 'x']",
            "[file:hashes[*] = 'x']",
            "[file:hashes[0] = 'x']",
            "[file:hashes.'SHA 256' = 'x']",
            "[file:hashes.SSDEEP = '3:a:b']",
        ] {
            assert_eq!(problems(pattern), Vec::<String>::new(), "{pattern}");
        }
    }

    #[test]
    fn deep_nesting_is_refused_not_a_stack_overflow() {
        // /tmp/rv/deep.json: 20 000 parentheses aborted the server.
        let in_comparison =
            |depth: usize| format!("[{}a:b = 1{}]", "(".repeat(depth), ")".repeat(depth));
        let around_observation =
            |depth: usize| format!("{}[a:b = 1]{}", "(".repeat(depth), ")".repeat(depth));
        let refused =
            "Error found at line 1:256. input '(' nests deeper than 256 levels of brackets";
        assert_eq!(problems(&in_comparison(10_000)), [refused]);
        assert_eq!(problems(&around_observation(10_000)), [refused]);
        // Both kinds of group count towards one limit.
        let mixed = format!(
            "{}{}{}",
            "(".repeat(200),
            in_comparison(100),
            ")".repeat(200)
        );
        assert_eq!(problems(&mixed), [refused]);
        // Within the limit the pattern is checked as usual (the reference accepts 320
        // levels of comparison parentheses, and fails past about 330).
        assert_eq!(problems(&in_comparison(255)), Vec::<String>::new());
        assert_eq!(problems(&around_observation(255)), Vec::<String>::new());
        assert_eq!(problems(&in_comparison(256)), [refused]);
    }

    #[test]
    fn many_object_types_are_grouped_in_linear_time() {
        // 40 000 `[tN:x = 1]` joined by OR took 45 s (20 000 here); the grouping is now a hash index.
        let pattern = (0..20_000)
            .map(|i| format!("[t{i}:hashes.MD5 = 'x{i}']"))
            .collect::<Vec<_>>()
            .join(" OR ");
        let found = problems(&pattern);
        assert_eq!(found.len(), 20_000);
        assert_eq!(found[0], "'x0' is not a valid MD5 hash");
        assert_eq!(found[19_999], "'x19999' is not a valid MD5 hash");
    }

    #[test]
    fn hash_errors_come_grouped_by_object_type() {
        let pattern = "[file:name = 'a' OR file:hashes.MD5 = 'y' OR ipv4-addr:hashes.MD5='z' OR file:hashes.MD5='w']";
        assert_eq!(
            problems(pattern),
            [
                "'y' is not a valid MD5 hash",
                "'w' is not a valid MD5 hash",
                "'z' is not a valid MD5 hash"
            ]
        );
        // A grammar error hides the hash checks.
        assert_eq!(problems("[file:hashes.MD5 = 'x'] WITHIN").len(), 1);
    }
}

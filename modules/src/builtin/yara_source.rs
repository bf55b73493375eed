//! Rewrites the two constructs YARA accepts but YARA-X's parser refuses, so the rest of
//! the source can still be parsed and checked: rule-set wildcards in `of (a*)` and escape
//! sequences in `base64("...")` alphabets. Each rewrite keeps every byte offset, so lines
//! and spans stay those of the original.

use yara_x_parser::Parser;
use yara_x_parser::cst::{Event, SyntaxKind};

/// The source as YARA-X can parse it, and what the rewrites took out.
pub(crate) struct PreparedSource {
    pub text: String,
    /// `prefix*` items of rule sets, with the offset of the prefix.
    pub rule_wildcards: Vec<(String, usize)>,
    /// Base64 alphabets whose escapes were replaced: the literal's offset and the length
    /// in bytes of the alphabet once unescaped.
    pub escaped_alphabets: Vec<(usize, usize)>,
}

/// The tokens of `source` other than whitespace and comments, as (kind, start, end) byte
/// offsets, in source order.
pub(crate) fn significant_tokens(source: &str) -> Vec<(SyntaxKind, usize, usize)> {
    Parser::new(source.as_bytes())
        .filter_map(|event| match event {
            Event::Token { kind, span }
                if !matches!(
                    kind,
                    SyntaxKind::WHITESPACE | SyntaxKind::NEWLINE | SyntaxKind::COMMENT
                ) =>
            {
                Some((kind, span.start(), span.end()))
            }
            _ => None,
        })
        .collect()
}

pub(crate) fn prepare(source: &str) -> PreparedSource {
    let tokens = significant_tokens(source);
    let mut bytes = source.as_bytes().to_vec();
    let mut rule_wildcards = Vec::new();
    let mut escaped_alphabets = Vec::new();
    for window in tokens.windows(3) {
        let [
            (first, start, end),
            (second, second_start, _),
            (third, third_start, third_end),
        ] = window
        else {
            continue;
        };
        // `ident *` directly before `)` or `,` can only be a rule-set wildcard: as a
        // product it would lack its right operand.
        if *first == SyntaxKind::IDENT
            && matches!(second, SyntaxKind::ASTERISK | SyntaxKind::MUL)
            && matches!(third, SyntaxKind::R_PAREN | SyntaxKind::COMMA)
        {
            rule_wildcards.push((source[*start..*end].to_owned(), *start));
            bytes[*second_start] = b' ';
        }
        if matches!(first, SyntaxKind::BASE64_KW | SyntaxKind::BASE64WIDE_KW)
            && *second == SyntaxKind::L_PAREN
            && *third == SyntaxKind::STRING_LIT
        {
            let literal = &source[*third_start..*third_end];
            let content = literal
                .strip_prefix('"')
                .and_then(|l| l.strip_suffix('"'))
                .filter(|c| c.contains('\\'));
            if let Some(length) = content.and_then(unescaped_length) {
                // Same byte length, no backslash: the parser keeps the span.
                for byte in &mut bytes[*third_start + 1..*third_end - 1] {
                    *byte = b'A';
                }
                escaped_alphabets.push((*third_start, length));
            }
        }
    }
    // Only ASCII bytes were written over ASCII bytes or whole literals, so this is UTF-8;
    // should it ever not be, the original is parsed as it is.
    let text = String::from_utf8(bytes).unwrap_or_else(|_| source.to_owned());
    PreparedSource {
        text,
        rule_wildcards,
        escaped_alphabets,
    }
}

/// The length in bytes of a YARA string literal's content once unescaped; `None` for an
/// escape YARA does not know (left for the parser to report).
fn unescaped_length(content: &str) -> Option<usize> {
    let mut length = 0;
    let mut chars = content.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            length += c.len_utf8();
            continue;
        }
        match chars.next()? {
            '\\' | 'n' | 'r' | 't' | '"' => {}
            'x' => {
                let high = chars.next()?;
                let low = chars.next()?;
                if !high.is_ascii_hexdigit() || !low.is_ascii_hexdigit() {
                    return None;
                }
            }
            _ => return None,
        }
        length += 1;
    }
    Some(length)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rule_wildcards_are_blanked_in_place() {
        let source = "rule a1 { condition: true }\nrule b { condition: any of (a1, a*) }";
        let prepared = prepare(source);
        assert_eq!(prepared.text.len(), source.len());
        assert!(prepared.text.ends_with("any of (a1, a ) }"));
        assert_eq!(
            prepared.rule_wildcards,
            [("a".to_owned(), source.rfind("a*").unwrap_or(0))]
        );
        // A product is left alone.
        assert!(
            prepare("rule a { condition: 2 * 3 > 1 }")
                .rule_wildcards
                .is_empty()
        );
    }

    #[test]
    fn escaped_alphabets_are_measured_unescaped() {
        let source = r#"rule a { strings: $a = "x" base64("ab\x09\tc") condition: $a }"#;
        let prepared = prepare(source);
        assert_eq!(prepared.text.len(), source.len());
        assert!(!prepared.text.contains('\\'));
        assert_eq!(
            prepared.escaped_alphabets,
            [(source.find("\"ab").unwrap_or(0), 5)]
        );
        // An escape YARA does not know stays for the parser to report.
        let unknown = r#"rule a { strings: $a = "x" base64("a\qb") condition: $a }"#;
        assert_eq!(prepare(unknown).text, unknown);
    }
}

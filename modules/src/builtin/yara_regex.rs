//! Checks the regular expressions of YARA rules, which YARA-X's parser takes as opaque text.
//!
//! The check is regex-syntax's parser, after rewriting what YARA reads differently so that
//! a regex YARA accepts is never refused: in YARA an unknown escape such as `\e` is the
//! letter itself, `{` that does not open a valid repetition is a literal brace, `{,n}`
//! means `{0,n}`, and inside a class `[`, `&`, `~` and a second `-` are plain characters.
//! What it finds: unbalanced groups, unclosed classes, repetitions of nothing, reversed
//! ranges, bad `\x` escapes and a trailing `\`. Constructs YARA lacks but regex-syntax
//! knows (`(?i)`, `(?:...)`, `a**`) are not refused.

use regex_syntax::ast::parse::ParserBuilder;

/// Escapes YARA gives a meaning to; every other escaped letter or digit is itself.
const YARA_ESCAPES: &str = "xntrfawWsSdDbB";

/// Why regex-syntax cannot parse `source` (a YARA regex between its slashes), if it cannot.
pub(crate) fn regex_problem(source: &str) -> Option<String> {
    let rewritten = rewrite(source);
    ParserBuilder::new()
        .nest_limit(200)
        .build()
        .parse(&rewritten)
        .err()
        .map(|e| e.kind().to_string())
}

/// `{n}`, `{n,}`, `{,m}` or `{n,m}` at the start of `rest`: its length, and `{,m}` as
/// `{0,m}`.
fn repetition(rest: &str) -> Option<(usize, String)> {
    let end = rest.find('}')?;
    let inner = &rest[1..end];
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let text = match inner.split_once(',') {
        None if !inner.is_empty() && digits(inner) => rest[..=end].to_owned(),
        Some((low, high))
            if digits(low) && digits(high) && !(low.is_empty() && high.is_empty()) =>
        {
            let low = if low.is_empty() { "0" } else { low };
            format!("{{{low},{high}}}")
        }
        _ => return None,
    };
    Some((end + 1, text))
}

fn rewrite(source: &str) -> String {
    let mut out = String::with_capacity(source.len() + 8);
    let mut in_class = false;
    let mut previous_dash = false;
    let mut chars = source.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        let dash = c == '-';
        match c {
            '\\' => match chars.next() {
                Some((_, e)) if e.is_ascii_alphanumeric() && !YARA_ESCAPES.contains(e) => {
                    out.push(e);
                }
                Some((_, e)) => {
                    out.push('\\');
                    out.push(e);
                }
                None => out.push('\\'), // left for the parser to refuse
            },
            '[' if in_class => out.push_str("\\["),
            '[' => {
                // `]` (or `^]`) right after `[` is a literal `]`, as in YARA.
                in_class = true;
                out.push('[');
                if let Some((_, '^')) = chars.peek() {
                    out.push('^');
                    chars.next();
                }
                if let Some((_, ']')) = chars.peek() {
                    out.push_str("\\]");
                    chars.next();
                }
                previous_dash = false;
                continue;
            }
            ']' if in_class => {
                in_class = false;
                out.push(']');
            }
            '&' | '~' if in_class => {
                out.push('\\');
                out.push(c);
            }
            '-' if in_class && previous_dash => out.push_str("\\-"),
            '{' if !in_class => match repetition(&source[index..]) {
                Some((length, text)) => {
                    out.push_str(&text);
                    // Skip the rest of the repetition, already written.
                    while chars.peek().is_some_and(|(i, _)| *i < index + length) {
                        chars.next();
                    }
                }
                None => out.push_str("\\{"),
            },
            '}' if !in_class => out.push_str("\\}"),
            _ => out.push(c),
        }
        previous_dash = dash && in_class;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn regexes_yara_accepts_pass() {
        for source in [
            r"abc",
            r"a{,3}",
            r"a{2,}b{3}c{1,4}?",
            r"a{",
            r"a{x}",
            r"[[]",
            r"[]a]",
            r"[^]a]",
            r"[a-z&&b~~c]",
            r"[+--]",
            r"\/path\/to",
            r"\x00\xff\n\t",
            r"\e\1\%",
            r"\babc\b\w+\s*\d?",
            r"(a|b)+[\w-]",
            r"md5: [0-9a-fA-F]{32}",
            r"a}",
        ] {
            assert_eq!(regex_problem(source), None, "{source}");
        }
    }

    #[test]
    fn broken_regexes_are_named() {
        for (source, problem) in [
            ("(abc", "unclosed group"),
            ("abc)", "unopened group"),
            ("[abc", "unclosed character class"),
            ("*a", "repetition operator missing expression"),
            ("a{3,1}", "invalid repetition count range"),
            ("[z-a]", "invalid character class range"),
            ("ab\\", "incomplete escape sequence"),
            ("\\xZZ", "hexadecimal"),
        ] {
            let found = regex_problem(source).unwrap_or_default();
            assert!(found.contains(problem), "{source}: {found}");
        }
    }
}

//! The checks YARA's compiler makes on a rule's string declarations and YARA-X's parser
//! does not: duplicated identifiers and modifiers, modifier combinations, modifiers a hex
//! string or a regex cannot take, empty strings, base64 alphabets and hex jumps. The texts
//! are YARA's.

use std::collections::HashSet;

use yara_x_parser::ast::{HexSubPattern, HexToken, Pattern, PatternModifier, Rule, WithSpan};

/// A problem found in a declaration: the offset YARA reports it at, and its text.
pub(crate) type Found = (usize, String);

/// The first problem in `rule`'s strings, in source order. `alphabet_length` gives the
/// unescaped length of a base64 alphabet whose literal starts at an offset, when the
/// source was rewritten there (see `yara_source`).
pub(crate) fn first_string_problem(
    source: &str,
    rule: &Rule,
    alphabet_length: &dyn Fn(usize) -> Option<usize>,
) -> Option<Found> {
    let mut seen = HashSet::new();
    for pattern in rule.patterns.iter().flatten() {
        let at = value_offset(pattern);
        if let Some(message) = declaration_problem(source, pattern, &mut seen, alphabet_length) {
            return Some((at, message));
        }
    }
    None
}

/// Where the declared value starts: YARA reports declaration errors on its line.
fn value_offset(pattern: &Pattern) -> usize {
    match pattern {
        Pattern::Text(text) => text.text.span().start(),
        Pattern::Hex(hex) => hex.sub_patterns.span().start(),
        Pattern::Regexp(regexp) => regexp.regexp.span().start(),
    }
}

/// The checks run in YARA's order: each modifier as its grammar reads it, then the
/// declaration as a whole (identifier, hex jumps, emptiness, combinations). A modifier the
/// grammar has no place for is a syntax error, found only after the declaration before it
/// was reduced, so it comes last and hides the modifiers after it.
fn declaration_problem<'a>(
    source: &str,
    pattern: &'a Pattern,
    seen: &mut HashSet<&'a str>,
    alphabet_length: &dyn Fn(usize) -> Option<usize>,
) -> Option<String> {
    let identifier = pattern.identifier().name;
    let modifiers: Vec<&PatternModifier> = match pattern {
        Pattern::Text(p) => p.modifiers.iter().collect(),
        Pattern::Hex(p) => p.modifiers.iter().collect(),
        Pattern::Regexp(p) => p.modifiers.iter().collect(),
    };
    let refused = modifiers.iter().position(|m| !allowed_on(pattern, m));
    let read = &modifiers[..refused.unwrap_or(modifiers.len())];
    let mut kinds = Vec::new();
    for modifier in read {
        let kind = modifier.as_text();
        if kinds.contains(&kind) {
            return Some("duplicated modifier".to_owned());
        }
        kinds.push(kind);
        if let PatternModifier::Base64 {
            alphabet: Some(alphabet),
            ..
        }
        | PatternModifier::Base64Wide {
            alphabet: Some(alphabet),
            ..
        } = modifier
        {
            let length = alphabet_length(alphabet.span().start()).unwrap_or(alphabet.value.len());
            if length != 64 {
                return Some("length of base64 alphabet must be 64".to_owned());
            }
        }
    }
    // Anonymous strings (`$`) may repeat.
    if identifier != "$" && !seen.insert(identifier) {
        return Some(format!("duplicated string identifier \"{identifier}\""));
    }
    if let Pattern::Hex(hex) = pattern
        && let Some(problem) = jump_problem(source, &hex.sub_patterns, false)
    {
        return Some(format!("invalid hex string \"{identifier}\": {problem}"));
    }
    if let Pattern::Text(text) = pattern
        && text.text.value.is_empty()
    {
        return Some(format!("empty string \"{identifier}\""));
    }
    if let Some(pair) = combination_problem(&kinds) {
        return Some(format!("invalid modifier combination: {pair}"));
    }
    // YARA's parser's own wording.
    refused.map(|index| {
        format!(
            "syntax error, unexpected <{}>, expecting <condition>",
            modifiers[index].as_text()
        )
    })
}

fn allowed_on(pattern: &Pattern, modifier: &PatternModifier) -> bool {
    match pattern {
        Pattern::Text(_) => true,
        Pattern::Hex(_) => matches!(modifier, PatternModifier::Private { .. }),
        Pattern::Regexp(_) => !matches!(
            modifier,
            PatternModifier::Xor { .. }
                | PatternModifier::Base64 { .. }
                | PatternModifier::Base64Wide { .. }
        ),
    }
}

/// The first pair YARA refuses, in the order it checks them.
fn combination_problem(kinds: &[&str]) -> Option<&'static str> {
    const REFUSED: [(&str, &str, &str); 7] = [
        ("xor", "nocase", "xor nocase"),
        ("base64", "nocase", "base64 nocase"),
        ("base64wide", "nocase", "base64wide nocase"),
        ("base64", "fullword", "base64 fullword"),
        ("base64wide", "fullword", "base64wide fullword"),
        ("base64", "xor", "base64 xor"),
        ("base64wide", "xor", "base64wide xor"),
    ];
    REFUSED
        .iter()
        .find(|(a, b, _)| kinds.contains(a) && kinds.contains(b))
        .map(|(_, _, text)| *text)
}

/// YARA refuses jumps longer than this inside an alternation.
const ALTERNATION_JUMP_LIMIT: u32 = 200;

fn jump_problem(
    source: &str,
    sub_pattern: &HexSubPattern,
    in_alternation: bool,
) -> Option<&'static str> {
    for token in sub_pattern.iter() {
        match token {
            HexToken::Jump(jump) => {
                if let (Some(start), Some(end)) = (jump.start, jump.end) {
                    if start > end {
                        return Some("invalid jump range");
                    }
                    // `[0]` is refused, `[0-0]` is not; the AST holds both alike.
                    let written = source.get(jump.span().start()..jump.span().end());
                    if end == 0 && written.is_some_and(|text| !text.contains('-')) {
                        return Some("invalid jump length");
                    }
                }
                if in_alternation {
                    match jump.end {
                        None => return Some("unbounded jumps not allowed inside alternation (|)"),
                        Some(end) if end > ALTERNATION_JUMP_LIMIT => {
                            return Some("jumps over 200 not allowed inside alternation (|)");
                        }
                        Some(_) => {}
                    }
                }
            }
            HexToken::Alternative(alternative) => {
                for branch in &alternative.alternatives {
                    if let Some(problem) = jump_problem(source, branch, true) {
                        return Some(problem);
                    }
                }
            }
            HexToken::Byte(_) | HexToken::NotByte(_) => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use yara_x_parser::ast::AST;

    fn problem(source: &str) -> Option<String> {
        let ast = AST::from(source);
        assert!(ast.errors().is_empty(), "{source}: {:?}", ast.errors());
        let rule = ast.rules().next()?;
        first_string_problem(source, rule, &|_| None).map(|(_, message)| message)
    }

    #[test]
    fn declarations_are_checked_as_yara_does() {
        // Each expected text is yara-python 4.5's for the same rule.
        for (strings, expected) in [
            (
                r#"$a = "x" $a = "y""#,
                r#"duplicated string identifier "$a""#,
            ),
            (r#"$a = "x" wide wide"#, "duplicated modifier"),
            (r#"$a = "x" xor(1) xor(2)"#, "duplicated modifier"),
            (r#"$a = "x" xor nocase wide wide"#, "duplicated modifier"),
            (
                r#"$a = "x" nocase xor"#,
                "invalid modifier combination: xor nocase",
            ),
            (
                r#"$a = "x" nocase base64 xor"#,
                "invalid modifier combination: xor nocase",
            ),
            (
                r#"$a = "x" base64 nocase"#,
                "invalid modifier combination: base64 nocase",
            ),
            (
                r#"$a = "x" base64wide nocase"#,
                "invalid modifier combination: base64wide nocase",
            ),
            (
                r#"$a = "x" fullword base64"#,
                "invalid modifier combination: base64 fullword",
            ),
            (
                r#"$a = "x" xor base64"#,
                "invalid modifier combination: base64 xor",
            ),
            (
                r#"$a = "x" xor base64wide"#,
                "invalid modifier combination: base64wide xor",
            ),
            (r#"$a = "" xor nocase"#, r#"empty string "$a""#),
            (
                r#"$a = "x" $a = "" "#,
                r#"duplicated string identifier "$a""#,
            ),
            (
                r#"$a = "x" base64("abc") xor"#,
                "length of base64 alphabet must be 64",
            ),
            (
                r#"$a = { 01 02 } wide"#,
                "syntax error, unexpected <wide>, expecting <condition>",
            ),
            (
                r#"$a = { 01 02 } private xor"#,
                "syntax error, unexpected <xor>, expecting <condition>",
            ),
            (
                r#"$a = /ab/ base64"#,
                "syntax error, unexpected <base64>, expecting <condition>",
            ),
            (
                r#"$a = { 01 [4-2] 02 }"#,
                r#"invalid hex string "$a": invalid jump range"#,
            ),
            (
                r#"$a = { 01 ( 02 [5-1] 03 | 04 ) 02 }"#,
                r#"invalid hex string "$a": invalid jump range"#,
            ),
            (
                r#"$a = { 01 [0] 02 }"#,
                r#"invalid hex string "$a": invalid jump length"#,
            ),
            (
                r#"$a = { 01 [4-2] 02 } wide"#,
                r#"invalid hex string "$a": invalid jump range"#,
            ),
            (
                r#"$a = { 01 [4-2] 02 } private private"#,
                "duplicated modifier",
            ),
            (
                r#"$a = { 01 02 } wide wide"#,
                "syntax error, unexpected <wide>, expecting <condition>",
            ),
            (
                r#"$a = "x" $a = { 01 [4-2] 02 }"#,
                r#"duplicated string identifier "$a""#,
            ),
            (r#"$a = "" wide wide"#, "duplicated modifier"),
            (
                r#"$a = "x" base64("abc") nocase nocase"#,
                "length of base64 alphabet must be 64",
            ),
            (
                r#"$a = { 01 ( 02 | 03 [1-] 05 ) 04 }"#,
                r#"invalid hex string "$a": unbounded jumps not allowed inside alternation (|)"#,
            ),
            (
                r#"$a = { 01 ( 02 | 03 [1-300] 05 ) 04 }"#,
                r#"invalid hex string "$a": jumps over 200 not allowed inside alternation (|)"#,
            ),
        ] {
            let source = format!("rule a {{ strings: {strings} condition: any of them }}");
            assert_eq!(problem(&source).as_deref(), Some(expected), "{strings}");
        }
    }

    #[test]
    fn valid_declarations_pass() {
        for strings in [
            r#"$a = "x" base64 base64wide"#,
            r#"$a = "x" base64 wide ascii private"#,
            r#"$a = "x" xor fullword wide ascii"#,
            r#"$a = { 01 02 } private"#,
            r#"$a = /ab/ nocase wide ascii fullword private"#,
            r#"$a = { 01 [3-3] 02 [0-0] 03 [300] 04 [4-] 05 }"#,
            r#"$ = "x" $ = "y""#,
        ] {
            let source = format!("rule a {{ strings: {strings} condition: any of them }}");
            assert_eq!(problem(&source), None, "{strings}");
        }
    }
}

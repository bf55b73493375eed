//! YARA syntax checking with YARA-X's parser, shared by the modules that validate rules
//! (`yara_syntax_validator`, `yara_query`, `yara_export`).
//!
//! Only the syntax is checked: identifiers are not resolved, so a rule that uses a module
//! it does not import, or an external variable, passes.

use yara_x_parser::ast::{AST, Error as ParseError};

/// Why a source is not a usable set of YARA rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum YaraProblem {
    /// The first syntax error, as `line N: message`.
    Syntax(String),
    /// The source parses but holds no rule.
    NoRule,
}

/// Checks `source`; `Ok` when it parses and holds at least one rule.
pub(crate) fn check_yara(source: &str) -> Result<(), YaraProblem> {
    let ast = AST::from(source);
    match ast.errors().first() {
        Some(error) => Err(YaraProblem::Syntax(describe(source, error))),
        None if ast.rules().next().is_none() => Err(YaraProblem::NoRule),
        None => Ok(()),
    }
}

/// `line N: message` for one parse error.
fn describe(source: &str, error: &ParseError) -> String {
    let (message, offset) = match error {
        ParseError::SyntaxError { message, span }
        | ParseError::InvalidInteger { message, span }
        | ParseError::InvalidFloat { message, span }
        | ParseError::InvalidRegexpModifier { message, span }
        | ParseError::InvalidEscapeSequence { message, span } => (message.clone(), span.start()),
        ParseError::InvalidUTF8(span) => ("invalid UTF-8".to_owned(), span.start()),
        ParseError::UnexpectedEscapeSequence(span) => {
            ("unexpected escape sequence".to_owned(), span.start())
        }
    };
    let line = source
        .get(..offset)
        .map_or(1, |before| before.matches('\n').count() + 1);
    format!("line {line}: {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_rules_and_reports_problems() {
        assert_eq!(check_yara("rule A { condition: true }"), Ok(()));
        assert_eq!(check_yara("// nothing"), Err(YaraProblem::NoRule));
        match check_yara("rule A {\n condition: \"x\n}") {
            Err(YaraProblem::Syntax(text)) => assert!(text.starts_with("line 2:"), "{text}"),
            other => panic!("unexpected {other:?}"),
        }
    }
}

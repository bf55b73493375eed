//! YARA syntax checking with YARA-X's parser, shared by the modules that validate rules
//! (`yara_syntax_validator`, `yara_query`, `yara_export`).
//!
//! Beyond the grammar, the pattern identifiers each rule declares and uses are checked as
//! YARA's compiler checks them (undefined and unreferenced strings, duplicate rule names),
//! and regular expressions are parsed (see `yara_regex`).
//! Other identifiers are not resolved, so a rule that uses a module it does not import, or
//! an external variable, passes, as the reference lets it pass after adding imports and
//! externals itself.

use std::collections::HashSet;

use yara_x_parser::ast::dfs::{DFSEvent, DFSIter};
use yara_x_parser::ast::{
    AST, Error as ParseError, Expr, OfItems, Pattern, PatternSet, Rule, WithSpan,
};

use super::yara_regex::regex_problem;

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
    if let Some(error) = ast.errors().first() {
        return Err(YaraProblem::Syntax(describe(source, error)));
    }
    if ast.rules().next().is_none() {
        return Err(YaraProblem::NoRule);
    }
    let mut names = HashSet::new();
    for rule in ast.rules() {
        if !names.insert(rule.identifier.name) {
            let line = line_of(source, rule.identifier.span().start());
            return Err(YaraProblem::Syntax(format!(
                "line {line}: duplicated identifier \"{}\"",
                rule.identifier.name
            )));
        }
        check_patterns(source, rule)?;
        check_regexps(source, rule)?;
    }
    Ok(())
}

/// Every regex of a rule, in its strings and in `matches` conditions, must parse.
fn check_regexps(source: &str, rule: &Rule) -> Result<(), YaraProblem> {
    let invalid = |offset: usize, name: &str, problem: String| {
        YaraProblem::Syntax(format!(
            "line {}: invalid regular expression \"{name}\": {problem}",
            line_of(source, offset)
        ))
    };
    for pattern in rule.patterns.iter().flatten() {
        if let Pattern::Regexp(regexp) = pattern
            && let Some(problem) = regex_problem(regexp.regexp.src)
        {
            let identifier = &regexp.identifier;
            return Err(invalid(identifier.span().start(), identifier.name, problem));
        }
    }
    for event in DFSIter::new(&rule.condition) {
        if let DFSEvent::Enter(Expr::Regexp(regexp)) = event
            && let Some(problem) = regex_problem(regexp.src)
        {
            return Err(invalid(regexp.span().start(), regexp.literal, problem));
        }
    }
    Ok(())
}

/// Every pattern a condition names must be declared, and every declared pattern used
/// (unless its name starts with `$_`), as YARA's compiler requires.
fn check_patterns(source: &str, rule: &Rule) -> Result<(), YaraProblem> {
    let declared: Vec<(&str, usize)> = rule
        .patterns
        .iter()
        .flatten()
        .map(|p| (p.identifier().name, p.identifier().span().start()))
        .collect();
    let mut used: HashSet<String> = HashSet::new();
    let mut all_used = false;
    let problem = |offset: usize, message: String| {
        YaraProblem::Syntax(format!("line {}: {message}", line_of(source, offset)))
    };
    let mut use_set = |set: &PatternSet, used: &mut HashSet<String>| -> Result<(), YaraProblem> {
        match set {
            PatternSet::Them { .. } => all_used = true,
            PatternSet::Set(items) => {
                for item in items {
                    let matching: Vec<&str> = declared
                        .iter()
                        .map(|(name, _)| *name)
                        .filter(|name| {
                            if item.wildcard {
                                name.starts_with(item.identifier)
                            } else {
                                *name == item.identifier
                            }
                        })
                        .collect();
                    if matching.is_empty() {
                        return Err(problem(
                            item.span().start(),
                            format!("undefined string \"{}\"", item.identifier),
                        ));
                    }
                    used.extend(matching.into_iter().map(str::to_owned));
                }
            }
        }
        Ok(())
    };
    let mut references = Vec::new();
    for event in DFSIter::new(&rule.condition) {
        let DFSEvent::Enter(expr) = event else {
            continue;
        };
        match expr {
            Expr::PatternMatch(m) => {
                references.push((m.identifier.name, m.identifier.span().start()))
            }
            Expr::PatternCount(p) => {
                references.push((p.identifier.name, p.identifier.span().start()))
            }
            Expr::PatternOffset(p) | Expr::PatternLength(p) => {
                references.push((p.identifier.name, p.identifier.span().start()))
            }
            Expr::Of(of) => {
                if let OfItems::PatternSet(set) = &of.items {
                    use_set(set, &mut used)?;
                }
            }
            Expr::ForOf(for_of) => use_set(&for_of.pattern_set, &mut used)?,
            _ => {}
        }
    }
    for (name, offset) in references {
        // `#a`, `@a` and `!a` name the pattern `$a`; a bare sigil is the anonymous
        // pattern of a `for .. of` loop.
        let bare = &name[1..];
        if bare.is_empty() {
            continue;
        }
        match declared.iter().find(|(declared, _)| &declared[1..] == bare) {
            Some((declared, _)) => {
                used.insert((*declared).to_owned());
            }
            None => return Err(problem(offset, format!("undefined string \"${bare}\""))),
        }
    }
    let unreferenced = declared
        .iter()
        .find(|(name, _)| !all_used && !used.contains(*name) && !name.starts_with("$_"));
    match unreferenced {
        Some((name, offset)) => Err(problem(*offset, format!("unreferenced string \"{name}\""))),
        None => Ok(()),
    }
}

fn line_of(source: &str, offset: usize) -> usize {
    source
        .get(..offset)
        .map_or(1, |before| before.matches('\n').count() + 1)
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
    format!("line {}: {message}", line_of(source, offset))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(source: &str) -> String {
        match check_yara(source) {
            Err(YaraProblem::Syntax(text)) => text,
            other => panic!("{source}: expected an error, got {other:?}"),
        }
    }

    #[test]
    fn pattern_identifiers_are_checked() {
        assert_eq!(
            message("rule bad { strings: $a = \"evil\" condition: $b }"),
            "line 1: undefined string \"$b\""
        );
        assert_eq!(
            message("rule x { strings: $a = \"evil\" condition: true }"),
            "line 1: unreferenced string \"$a\""
        );
        assert_eq!(
            message("rule x {condition: true}\nrule x {condition: false}"),
            "line 2: duplicated identifier \"x\""
        );
        assert_eq!(
            message("rule x { strings: $a = \"a\" condition: any of ($c*) }"),
            "line 1: undefined string \"$c\""
        );
        for valid in [
            "rule a { strings: $a = \"x\" $b = \"y\" condition: any of them }",
            "rule a { strings: $a1 = \"x\" $a2 = \"y\" condition: 2 of ($a*) }",
            "rule a { strings: $a = \"x\" condition: #a > 2 and @a[1] < 100 and !a[1] == 1 }",
            "rule a { strings: $a = \"x\" $b = \"y\" condition: for all of ($a, $b) : ( $ at 0 ) }",
            "rule a { strings: $_private = \"x\" $a = \"y\" condition: $a }",
            "rule a { condition: pe.is_pe and filename == \"x\" }",
        ] {
            assert_eq!(check_yara(valid), Ok(()), "{valid}");
        }
    }

    #[test]
    fn regular_expressions_are_checked() {
        assert_eq!(
            message("rule r {\n strings: $re = /evil(\\.com/ condition: $re }"),
            "line 2: invalid regular expression \"$re\": unclosed group"
        );
        assert_eq!(
            message("rule r { condition: filename matches /[a-/ }"),
            "line 1: invalid regular expression \"/[a-/\": unclosed character class"
        );
        for valid in [
            "rule r { strings: $re = /md5: [0-9a-f]{32}/ nocase condition: $re }",
            "rule r { condition: filename matches /\\.exe$/i }",
        ] {
            assert_eq!(check_yara(valid), Ok(()), "{valid}");
        }
    }

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

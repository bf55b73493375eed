//! YARA syntax checking with YARA-X's parser, shared by the modules that validate rules
//! (`yara_syntax_validator`, `yara_query`, `yara_export`).
//!
//! Beyond the grammar, the checks YARA's compiler makes without knowing types are made
//! too: pattern identifiers each rule declares and uses (undefined, unreferenced), string
//! declarations (`yara_strings`), duplicate rule names, rule-set wildcards, module imports
//! and includes, regular expressions (`yara_regex`) and division by a constant zero
//! (`yara_constants`). When several problems exist, the one YARA meets first while reading
//! the source is reported.
//! Other identifiers are not resolved, so a rule that uses a module it does not import, or
//! an external variable, passes, as the reference lets it pass after adding imports and
//! externals itself.

use std::collections::{HashMap, HashSet};

use yara_x_parser::ast::dfs::{DFSEvent, DFSIter};
use yara_x_parser::ast::{
    AST, Error as ParseError, Expr, Item, OfItems, Pattern, PatternSet, Rule, WithSpan,
};

use super::yara_constants::division_by_zero;
use super::yara_regex::regex_problem;
use super::yara_rule_sets::{clashing_rules, unmatched_wildcards};
use super::yara_source::{PreparedSource, prepare};
use super::yara_strings::first_string_problem;

/// Why a source is not a usable set of YARA rules.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum YaraProblem {
    /// The first syntax error, as `line N: message`.
    Syntax(String),
    /// The source is valid but holds no rule (YARA compiles it to an empty rule set).
    NoRule,
}

/// The modules yara-python 4.5 (the reference's) is built with.
const KNOWN_MODULES: [&str; 9] = [
    "pe", "elf", "hash", "math", "dotnet", "time", "console", "string", "tests",
];

/// A problem and where YARA meets it (`at`) and reports it (`line_at`), as offsets.
struct Located {
    at: usize,
    line_at: usize,
    message: String,
}

impl Located {
    fn here(at: usize, message: String) -> Self {
        Self {
            at,
            line_at: at,
            message,
        }
    }
}

/// Checks `source`; `Ok` when it parses, passes the compiler's checks and holds a rule.
pub(crate) fn check_yara(source: &str) -> Result<(), YaraProblem> {
    let prepared = prepare(source);
    let ast = AST::from(prepared.text.as_str());
    if let Some(error) = ast.errors().first() {
        return Err(YaraProblem::Syntax(describe(source, error)));
    }
    let first = compiler_problems(&ast, &prepared)
        .into_iter()
        .min_by_key(|problem| problem.at);
    if let Some(problem) = first {
        let line = line_of(source, problem.line_at);
        return Err(YaraProblem::Syntax(format!(
            "line {line}: {}",
            problem.message
        )));
    }
    if ast.rules().next().is_none() {
        return Err(YaraProblem::NoRule);
    }
    Ok(())
}

/// Every problem found, in no particular order.
fn compiler_problems(ast: &AST, prepared: &PreparedSource) -> Vec<Located> {
    let mut problems = Vec::new();
    let alphabets: HashMap<usize, usize> = prepared.escaped_alphabets.iter().copied().collect();
    let alphabet_length = |offset: usize| alphabets.get(&offset).copied();
    // Rule names with their offsets, in source order: rule sets see the rules before them.
    let rules: Vec<(&str, usize)> = ast
        .rules()
        .map(|rule| (rule.identifier.name, rule.identifier.span().start()))
        .collect();
    let mut clashing = clashing_rules(&rules, &prepared.rule_wildcards).into_iter();
    let mut seen: HashSet<&str> = HashSet::with_capacity(rules.len());
    for item in ast.items() {
        match item {
            Item::Import(import) if !KNOWN_MODULES.contains(&import.module_name) => {
                problems.push(Located::here(
                    import.span().start(),
                    format!("unknown module \"{}\"", import.module_name),
                ));
            }
            // Nothing is ever read from the server's disk: an include cannot be opened.
            Item::Include(include) => problems.push(Located::here(
                include.span().start(),
                format!("can't open include file: {}", include.file_name),
            )),
            Item::Import(_) => {}
            Item::Rule(rule) => {
                let name = rule.identifier.name;
                let at = rule.identifier.span().start();
                if !seen.insert(name) {
                    problems.push(Located::here(
                        at,
                        format!("duplicated identifier \"{name}\""),
                    ));
                }
                // A rule named after a rule-set wildcard used before it (YARA fixes a set
                // once used).
                if clashing.next().unwrap_or(false) {
                    problems.push(Located::here(
                        at,
                        format!(
                            "rule identifier \"{name}\" matches previously used wildcard rule set"
                        ),
                    ));
                }
                if let Some((at, message)) =
                    first_string_problem(&prepared.text, rule, &alphabet_length)
                {
                    problems.push(Located::here(at, message));
                }
                problems.extend(pattern_problems(rule));
                problems.extend(regexp_problem(rule));
                if let Some(at) = division_by_zero(&rule.condition) {
                    problems.push(Located::here(at, "division by zero".to_owned()));
                }
            }
        }
    }
    // A wildcard that matches no rule declared before it (the rule using it counts). YARA
    // finds this only once the whole source is read.
    let unmatched = unmatched_wildcards(&rules, &prepared.rule_wildcards);
    problems.extend(
        unmatched
            .into_iter()
            .filter_map(|index| prepared.rule_wildcards.get(index))
            .map(|(prefix, used_at)| Located {
                at: usize::MAX,
                line_at: *used_at,
                message: format!("undefined identifier \"{prefix}\""),
            }),
    );
    problems
}

/// Every regex of a rule, in its strings and in `matches` conditions, must parse.
fn regexp_problem(rule: &Rule) -> Option<Located> {
    let invalid = |offset: usize, name: &str, problem: String| {
        Located::here(
            offset,
            format!("invalid regular expression \"{name}\": {problem}"),
        )
    };
    for pattern in rule.patterns.iter().flatten() {
        if let Pattern::Regexp(regexp) = pattern
            && let Some(problem) = regex_problem(regexp.regexp.src)
        {
            let identifier = &regexp.identifier;
            return Some(invalid(identifier.span().start(), identifier.name, problem));
        }
    }
    for event in DFSIter::new(&rule.condition) {
        if let DFSEvent::Enter(Expr::Regexp(regexp)) = event
            && let Some(problem) = regex_problem(regexp.src)
        {
            return Some(invalid(regexp.span().start(), regexp.literal, problem));
        }
    }
    None
}

/// Every pattern a condition names must be declared, and every declared pattern used
/// (unless its name starts with `$_`), as YARA's compiler requires. An unreferenced
/// pattern is only known once the condition has been read.
fn pattern_problems(rule: &Rule) -> Option<Located> {
    let declared: Vec<(&str, usize)> = rule
        .patterns
        .iter()
        .flatten()
        .map(|p| (p.identifier().name, p.identifier().span().start()))
        .collect();
    let mut used: HashSet<String> = HashSet::new();
    let mut all_used = false;
    let mut use_set = |set: &PatternSet, used: &mut HashSet<String>| -> Result<(), Located> {
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
                        return Err(Located::here(
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
        let outcome = match expr {
            Expr::PatternMatch(m) => {
                references.push((m.identifier.name, m.identifier.span().start()));
                Ok(())
            }
            Expr::PatternCount(p) => {
                references.push((p.identifier.name, p.identifier.span().start()));
                Ok(())
            }
            Expr::PatternOffset(p) | Expr::PatternLength(p) => {
                references.push((p.identifier.name, p.identifier.span().start()));
                Ok(())
            }
            Expr::Of(of) => match &of.items {
                OfItems::PatternSet(set) => use_set(set, &mut used),
                OfItems::BoolExprTuple(_) => Ok(()),
            },
            Expr::ForOf(for_of) => use_set(&for_of.pattern_set, &mut used),
            _ => Ok(()),
        };
        if let Err(problem) = outcome {
            return Some(problem);
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
            None => {
                return Some(Located::here(
                    offset,
                    format!("undefined string \"${bare}\""),
                ));
            }
        }
    }
    let condition_end = rule.condition.span().end();
    declared
        .iter()
        .find(|(name, _)| !all_used && !used.contains(*name) && !name.starts_with("$_"))
        .map(|(name, offset)| Located {
            at: condition_end,
            line_at: *offset,
            message: format!("unreferenced string \"{name}\""),
        })
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
    fn compiler_checks_answer_as_yara_does() {
        // Each expected text is yara-python 4.5's (the reference's) for the same source.
        for (source, expected) in [
            (
                "import \"nosuchmodule\"\nrule a { condition: true }",
                "line 1: unknown module \"nosuchmodule\"",
            ),
            (
                "include \"other.yar\"\nrule a { condition: true }",
                "line 1: can't open include file: other.yar",
            ),
            (
                "rule a { strings: $a = \"\" condition: $a }\nimport \"nosuch\"",
                "line 1: empty string \"$a\"",
            ),
            (
                "rule a {\n strings:\n $a\n =\n \"x\"\n wide\n wide\n condition: $a }",
                "line 5: duplicated modifier",
            ),
            (
                "rule a {\n strings:\n $a = \"x\"\n condition: $a }\nrule b {\n strings:\n $b = \"x\"\n $b = \"y\"\n condition: $b }",
                "line 8: duplicated string identifier \"$b\"",
            ),
            (
                "rule a {\n strings:\n $a = { 01 02 }\n\n wide\n condition: $a }",
                "line 3: syntax error, unexpected <wide>, expecting <condition>",
            ),
            (
                "rule a { strings: $a = \"foo\" base64(\"abc\") condition: $a }",
                "line 1: length of base64 alphabet must be 64",
            ),
            (
                "rule a { strings: $a = \"x\" base64(\"!@#$%^&*(){}[].,|ABCDEFGHIJ\\x09LMNOPQRSTUVWXYZabcdefghijklmnopqrstuv\") condition: $a }",
                "line 1: length of base64 alphabet must be 64",
            ),
            (
                "rule a {\n condition:\n true and\n 1 \\ 0 }",
                "line 4: division by zero",
            ),
            (
                "rule b { condition: any of (a*) }\nrule a1 { condition: true }",
                "line 2: rule identifier \"a1\" matches previously used wildcard rule set",
            ),
            (
                "rule a1 { condition: true }\nrule b { condition: any of (zz*) }",
                "line 2: undefined identifier \"zz\"",
            ),
            (
                "rule b { condition: any of (zz*) }\nrule c { strings: $a = \"\" condition: $a }",
                "line 2: empty string \"$a\"",
            ),
            // The earliest problem in the source wins.
            (
                "rule a { strings: $a = \"x\" condition: true }\nimport \"nosuch\"",
                "line 1: unreferenced string \"$a\"",
            ),
            (
                "rule a { strings: $a = \"x\" condition: 1 \\ 0 }",
                "line 1: division by zero",
            ),
        ] {
            assert_eq!(message(source), expected, "{source}");
        }
    }

    #[test]
    fn constructs_yara_x_lacks_are_accepted() {
        for valid in [
            "rule a1 { condition: true }\nrule a2 { condition: true }\nrule b { condition: any of (a*) }",
            "rule a1 { condition: true }\nrule b { condition: any of (a1, a*) and all of (a1*) }",
            "rule b { condition: any of (b*) }",
            "rule a { strings: $a = \"foo\" base64(\"!@#$%^&*(){}[].,|ABCDEFGHIJ\\x09LMNOPQRSTUVWXYZabcdefghijklmnopqrstu\") condition: $a }",
            "rule a { strings: $a = \"foo\" base64wide(\"!@#$%^&*(){}[].,|ABCDEFGHIJ\\tLMNOPQRSTUVWXYZabcdefghijklmnopqrstu\") condition: $a }",
            "import \"pe\"\nimport \"math\"\nimport \"hash\"\nimport \"elf\"\nimport \"dotnet\"\nimport \"time\"\nimport \"console\"\nimport \"string\"\nrule a { condition: 1.0 \\ 0 > 1 }",
        ] {
            assert_eq!(check_yara(valid), Ok(()), "{valid}");
        }
        assert_eq!(check_yara("   "), Err(YaraProblem::NoRule));
        assert_eq!(check_yara("import \"pe\""), Err(YaraProblem::NoRule));
    }

    #[test]
    fn many_rules_and_wildcards_are_checked_without_pairing_them() {
        // Duplicate names and wildcards were checked rule against rule and rule against
        // wildcard: 40 000 rules took 23 s, 5 000 wildcards 34 s (the sizes are in
        // yara_rule_sets' tests; parsing dominates here, so this one stays small).
        let mut source: String = (0..2_000)
            .map(|i| format!("rule q{i} {{ condition: true }}\n"))
            .collect();
        let items: Vec<String> = (0..500).map(|i| format!("q{i}*")).collect();
        source.push_str(&format!(
            "rule z {{ condition: any of ({}) }}\n",
            items.join(", ")
        ));
        assert_eq!(check_yara(&source), Ok(()));
        let clash = format!("{source}rule q5x {{ condition: true }}\n");
        assert_eq!(
            message(&clash),
            "line 2002: rule identifier \"q5x\" matches previously used wildcard rule set"
        );
        let duplicate = format!("{source}rule q1999 {{ condition: true }}\n");
        assert_eq!(
            message(&duplicate),
            "line 2002: duplicated identifier \"q1999\""
        );
        let unmatched = source.replace("q499*)", "q499*, r*, s*)");
        assert_eq!(message(&unmatched), "line 2001: undefined identifier \"r\"");
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

//! Rules of one yara attribute that refer to each other by name.
//!
//! Renaming `rule A` to `rule MISP_e<id>_A` leaves a `condition: A` of another rule in the
//! same attribute pointing at a rule that no longer exists, and YARA then refuses the
//! whole exported file. The reference's compile check drops such an attribute; the
//! syntax-only check used here cannot see the dangling name, so it is looked for here.

use std::collections::HashSet;

use yara_x_parser::ast::dfs::{DFSEvent, DFSIter};
use yara_x_parser::ast::{AST, Expr};

/// The names of the rules declared at the start of a line (`rule A`, after indentation),
/// which are the ones the export renames.
pub(super) fn renamed_rule_names(source: &str) -> HashSet<String> {
    source
        .split('\n')
        .filter_map(|line| line.trim_start_matches([' ', '\t']).strip_prefix("rule "))
        .map(|rest| {
            rest.chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect::<String>()
        })
        .filter(|name| !name.is_empty())
        .collect()
}

/// Whether a condition of `renamed` (the attribute after renaming) still names one of
/// `old_names` that no rule of `renamed` declares any more.
pub(super) fn refers_to_old_name(renamed: &str, old_names: &HashSet<String>) -> bool {
    let ast = AST::from(renamed);
    let declared: HashSet<&str> = ast.rules().map(|rule| rule.identifier.name).collect();
    ast.rules().any(|rule| {
        DFSIter::new(&rule.condition).any(|event| match event {
            DFSEvent::Enter(Expr::Ident(ident)) => {
                old_names.contains(ident.name) && !declared.contains(ident.name)
            }
            _ => false,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_rules_at_line_start() {
        let names = renamed_rule_names(
            "rule A { condition: true }\n  rule B_2 : tag { condition: A }\nprivate rule P { condition: true }",
        );
        assert_eq!(names, HashSet::from(["A".to_owned(), "B_2".to_owned()]));
    }

    #[test]
    fn dangling_references_are_found_in_conditions_only() {
        let old = HashSet::from(["A".to_owned(), "B".to_owned()]);
        assert!(refers_to_old_name(
            "rule MISP_e1_A { condition: true }\nrule MISP_e1_B { condition: A }",
            &old
        ));
        assert!(refers_to_old_name(
            "rule MISP_e1_A { condition: true }\nrule MISP_e1_B { condition: any of (A, true) }",
            &old
        ));
        // The name in a string or as a meta key is not a reference.
        assert!(!refers_to_old_name(
            "rule MISP_e1_A { meta: A = \"A\" strings: $a = \"A\" condition: $a }",
            &old
        ));
        // A rule still declared under its name (not renamed) can be referenced.
        assert!(!refers_to_old_name(
            "rule A { condition: true }\nrule MISP_e1_B { condition: A }",
            &old
        ));
    }
}

//! Renaming the private rules of one yara attribute after its event.
//!
//! Other rules use a private rule by its name, so besides the declaration every reference
//! must change too. The reference does this with one whole-text substitution per declared
//! name, which also rewrites the name inside strings, comments and longer identifiers, and
//! which, when the event id itself contains the name, multiplies the text on every pass
//! (a 700-byte attribute grew to tens of gigabytes). Here the source is read once as YARA
//! tokens and only identifiers equal to a declared private rule name are replaced.

use std::collections::HashSet;

use yara_x_parser::cst::SyntaxKind;

use crate::builtin::yara_source::significant_tokens;

/// Whether `event_id` can be part of a YARA identifier (`MISP_e<event_id>_<name>`). With
/// any other character the renamed rules cannot compile, and the reference drops the
/// attribute for that reason; the caller does the same without trying.
pub(super) fn usable_event_id(event_id: &str) -> bool {
    event_id
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// `source` with every identifier naming one of its private rules prefixed by
/// `MISP_e<event_id>_`, in one pass over its tokens.
pub(super) fn rename_private_rules(source: &str, event_id: &str) -> String {
    let tokens = significant_tokens(source);
    let names = declared_private_names(source, &tokens);
    if names.is_empty() {
        return source.to_owned();
    }
    let mut out = String::with_capacity(source.len() + names.len() * 16);
    let mut copied = 0;
    for &(kind, start, end) in &tokens {
        let Some(text) = source.get(start..end) else {
            continue;
        };
        if kind != SyntaxKind::IDENT || !names.contains(text) {
            continue;
        }
        // Everything between two renamed identifiers (tokens, spaces, comments) is kept
        // byte for byte.
        out.push_str(source.get(copied..start).unwrap_or_default());
        out.push_str(&format!("MISP_e{event_id}_{text}"));
        copied = end;
    }
    out.push_str(source.get(copied..).unwrap_or_default());
    out
}

/// The names of the rules declared private (`private rule NAME`, `global private rule`,
/// `private global rule`, any spacing), each once.
fn declared_private_names<'a>(
    source: &'a str,
    tokens: &[(SyntaxKind, usize, usize)],
) -> HashSet<&'a str> {
    let mut names = HashSet::new();
    for (index, window) in tokens.windows(2).enumerate() {
        let [(SyntaxKind::RULE_KW, _, _), (SyntaxKind::IDENT, start, end)] = window else {
            continue;
        };
        let before = tokens.get(..index).unwrap_or_default();
        let private = before
            .iter()
            .rev()
            .take_while(|(kind, _, _)| {
                matches!(kind, SyntaxKind::PRIVATE_KW | SyntaxKind::GLOBAL_KW)
            })
            .any(|(kind, _, _)| *kind == SyntaxKind::PRIVATE_KW);
        if private && let Some(name) = source.get(*start..*end) {
            names.insert(name);
        }
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declarations_and_references_are_renamed_nothing_else() {
        let source = "private rule a { condition: true }\n\
                      rule main { strings: $a = \"a\" condition: $a and a and not ab // a\n}\n\
                      global  private\trule Helper { meta: note = \"Helper\" condition: a }\n\
                      private global rule G { condition: Helper }";
        assert_eq!(
            rename_private_rules(source, "12"),
            "private rule MISP_e12_a { condition: true }\n\
             rule main { strings: $a = \"a\" condition: $a and MISP_e12_a and not ab // a\n}\n\
             global  private\trule MISP_e12_Helper { meta: note = \"Helper\" condition: MISP_e12_a }\n\
             private global rule MISP_e12_G { condition: MISP_e12_Helper }"
        );
        let plain = "rule a { condition: true }";
        assert_eq!(rename_private_rules(plain, "1"), plain);
    }

    #[test]
    fn an_event_id_holding_the_name_is_renamed_once() {
        // /tmp/rv/ye.json: k copies of `private rule a` with event_id "aa" grew 3^k-fold
        // (k = 14 took 32 s); 2 000 copies are one linear pass now.
        let source = "private rule a { condition: true }\n".repeat(2_000);
        let renamed = rename_private_rules(&source, "aa");
        assert_eq!(
            renamed,
            "private rule MISP_eaa_a { condition: true }\n".repeat(2_000)
        );
    }

    #[test]
    fn event_ids_that_break_identifiers_are_refused() {
        for usable in ["12", "abc", "None", "", "a_1"] {
            assert!(usable_event_id(usable), "{usable}");
        }
        for unusable in ["x y", "1-2", "é", "1\"; rule x {", "a*"] {
            assert!(!usable_event_id(unusable), "{unusable}");
        }
    }
}

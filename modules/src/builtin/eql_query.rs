//! Endgame EQL query text, shared by the `eql` expansion module (one attribute) and the
//! `mass_eql_export` export module (a whole event).

/// The EQL event class and field a MISP attribute type is searched in.
pub(crate) fn eql_field(attribute_type: &str) -> Option<(&'static str, &'static str)> {
    Some(match attribute_type {
        "ip-src" => ("network", "source_address"),
        "ip-dst" => ("network", "destination_address"),
        "filename" => ("file", "file_name"),
        _ => return None,
    })
}

/// The MISP types EQL queries are built for, in the order the reference checks them.
pub(crate) const EQL_TYPES: [&str; 3] = ["ip-src", "ip-dst", "filename"];

/// One comparison. Values are written as they are, unescaped, which is what the reference
/// produces and what its users' tooling was written against.
fn comparison(field: &str, value: &str) -> String {
    format!("{field} == \"{value}\"")
}

/// `<class> where <field> == "<value>"` for one attribute.
pub(crate) fn single_query(attribute_type: &str, value: &str) -> Option<String> {
    let (class, field) = eql_field(attribute_type)?;
    Some(format!("{class} where {}", comparison(field, value)))
}

/// The queries of a set of attributes: one query per event class, its comparisons joined
/// with `or`. A value seen twice in one class is compared once, with the field of its last
/// occurrence, at the position of its first.
#[derive(Debug, Default)]
pub(crate) struct EqlQueries {
    classes: Vec<(&'static str, Vec<(String, &'static str)>)>,
}

impl EqlQueries {
    /// Adds one attribute; types EQL has no field for are ignored.
    pub(crate) fn add(&mut self, attribute_type: &str, value: &str) {
        let Some((class, field)) = eql_field(attribute_type) else {
            return;
        };
        let position = match self.classes.iter().position(|(c, _)| *c == class) {
            Some(position) => position,
            None => {
                self.classes.push((class, Vec::new()));
                self.classes.len() - 1
            }
        };
        let comparisons = &mut self.classes[position].1;
        match comparisons.iter_mut().find(|(v, _)| v == value) {
            Some(existing) => existing.1 = field,
            None => comparisons.push((value.to_owned(), field)),
        }
    }

    /// The queries, separated by a newline; each starts with `<class> where` on a line of
    /// its own, then one tab-indented comparison per line.
    pub(crate) fn render(&self) -> String {
        self.classes
            .iter()
            .map(|(class, comparisons)| {
                let terms: Vec<String> = comparisons
                    .iter()
                    .map(|(value, field)| format!("\t{}", comparison(field, value)))
                    .collect();
                format!("{class} where\n{}", terms.join(" or\n"))
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn single_queries() {
        assert_eq!(
            single_query("ip-dst", "192.0.2.1").as_deref(),
            Some("network where destination_address == \"192.0.2.1\"")
        );
        assert_eq!(single_query("domain", "a.example"), None);
    }

    #[test]
    fn event_queries_group_by_class_and_merge_values() {
        let mut queries = EqlQueries::default();
        queries.add("ip-src", "192.0.2.1");
        queries.add("filename", "a.exe");
        queries.add("url", "http://x");
        queries.add("ip-dst", "192.0.2.2");
        queries.add("ip-dst", "192.0.2.1");
        assert_eq!(
            queries.render(),
            "network where\n\tdestination_address == \"192.0.2.1\" or\n\tdestination_address == \"192.0.2.2\"\nfile where\n\tfile_name == \"a.exe\""
        );
        assert_eq!(EqlQueries::default().render(), "");
    }
}

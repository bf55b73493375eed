//! `describeTypes.json`: every MISP attribute type with its default category and `to_ids`.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde::Deserialize;

static DESCRIBE_TYPES: &str = include_str!("../../data/describeTypes.json");

/// The defaults MISP applies to a new attribute of one type.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct TypeDefaults {
    pub default_category: String,
    #[serde(deserialize_with = "int_as_bool")]
    pub to_ids: bool,
}

fn int_as_bool<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<bool, D::Error> {
    Ok(u8::deserialize(deserializer)? != 0)
}

#[derive(Deserialize)]
struct File {
    result: Body,
}

#[derive(Deserialize, Default)]
struct Body {
    sane_defaults: HashMap<String, TypeDefaults>,
    category_type_mappings: HashMap<String, Vec<String>>,
}

fn table() -> &'static Body {
    static TABLE: OnceLock<Body> = OnceLock::new();
    TABLE.get_or_init(|| match serde_json::from_str::<File>(DESCRIBE_TYPES) {
        Ok(file) => file.result,
        // The file is compiled in and checked by a test; an empty table only makes
        // every type unknown rather than taking the process down.
        Err(error) => {
            tracing::error!("embedded describeTypes.json is invalid: {error}");
            Body::default()
        }
    })
}

/// Defaults of a MISP attribute type; `None` for a type MISP does not know.
pub fn type_defaults(attribute_type: &str) -> Option<&'static TypeDefaults> {
    table().sane_defaults.get(attribute_type)
}

/// Whether MISP knows `attribute_type`.
pub fn is_attribute_type(attribute_type: &str) -> bool {
    table().sane_defaults.contains_key(attribute_type)
}

/// Whether MISP knows `category`.
pub fn is_category(category: &str) -> bool {
    table().category_type_mappings.contains_key(category)
}

/// Whether `category` exists and admits attributes of `attribute_type`.
pub fn category_allows(category: &str, attribute_type: &str) -> bool {
    table()
        .category_type_mappings
        .get(category)
        .is_some_and(|types| types.iter().any(|t| t == attribute_type))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_common_types() {
        assert!(table().sane_defaults.len() > 150);
        assert!(is_attribute_type("md5") && !is_attribute_type("md6"));
        assert!(category_allows("Network activity", "ip-src"));
        assert!(!category_allows("Network activity", "md5"));
        assert!(!category_allows("No such category", "md5"));
        assert!(is_category("Payload delivery") && !is_category("No such category"));
        let ip = type_defaults("ip-src").unwrap();
        assert_eq!(ip.default_category, "Network activity");
        assert!(ip.to_ids);
        assert!(!type_defaults("comment").unwrap().to_ids);
        assert!(type_defaults("no-such-type").is_none());
    }
}

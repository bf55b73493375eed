//! The category the report shows for an attribute, as pymisp (non-strict) loads it.

use serde_json::{Map, Value};

use super::text;
use crate::misp::{category_allows, is_category, type_defaults};

/// pymisp replaces a category that does not admit the attribute's type (md5 in
/// "Network activity") by the type's default category from describeTypes, and fills a
/// missing one the same way. A category or type MISP does not know at all (the reference
/// crashed on those) is shown as sent.
pub(super) fn shown_category(attribute: &Map<String, Value>) -> Option<String> {
    let sent = text(attribute.get("category"));
    let attribute_type = text(attribute.get("type"));
    let defaults = attribute_type.as_deref().and_then(type_defaults);
    let (Some(attribute_type), Some(defaults)) = (attribute_type, defaults) else {
        return sent;
    };
    match sent {
        Some(category) if category_allows(&category, &attribute_type) => Some(category),
        Some(category) if !is_category(&category) => Some(category),
        _ => Some(defaults.default_category.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn category(value: Value) -> Option<String> {
        shown_category(value.as_object().unwrap())
    }

    #[test]
    fn invalid_pairs_take_the_type_default() {
        // The reference's categories in /tmp/diff/export pdfexport_invalid_category_for_type.
        let md5 = json!({"type": "md5", "category": "Network activity"});
        assert_eq!(category(md5).as_deref(), Some("Payload delivery"));
        let mutex = json!({"type": "mutex", "category": "Payload delivery"});
        assert_eq!(category(mutex).as_deref(), Some("Artifacts dropped"));
        let regkey = json!({"type": "regkey", "category": "Network activity"});
        assert_eq!(category(regkey).as_deref(), Some("Persistence mechanism"));
    }

    #[test]
    fn valid_missing_and_unknown_categories() {
        let valid = json!({"type": "md5", "category": "Artifacts dropped"});
        assert_eq!(category(valid).as_deref(), Some("Artifacts dropped"));
        let missing = json!({"type": "ip-dst"});
        assert_eq!(category(missing).as_deref(), Some("Network activity"));
        let unknown_category = json!({"type": "md5", "category": "Made up"});
        assert_eq!(category(unknown_category).as_deref(), Some("Made up"));
        let unknown_type = json!({"type": "no-such-type", "category": "Other"});
        assert_eq!(category(unknown_type).as_deref(), Some("Other"));
    }
}

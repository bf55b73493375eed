//! The input attribute as misp_standard expansions send it back next to their objects.
//!
//! MISP matches the returned attribute to the one it sent by uuid, so the echo keeps the
//! uuid and the metadata the client gave, and fills what is missing with the describeTypes
//! defaults of the type, as pymisp would when it rebuilds the attribute. pymisp's
//! `to_dict` strips every text field, so the value and comment come back stripped.

use app::{MispAttribute, MispTag};
use serde_json::Value;

use crate::engine::AttributeInput;
use crate::misp::{category_allows, new_attribute};
use crate::pycompat::python_strip;

/// Keys carried over unchanged when the client set them to something other than null,
/// empty or zero-like text (pymisp drops falsy optional fields).
const PASSED_THROUGH: &[&str] = &[
    "data",
    "distribution",
    "id",
    "event_id",
    "object_id",
    "timestamp",
    "first_seen",
    "last_seen",
    "sharing_group_id",
    "deleted",
];

pub fn echo(input: &AttributeInput) -> MispAttribute {
    let mut attribute = new_attribute(&input.attribute_type, python_strip(&input.value));
    attribute.uuid = input.uuid.clone();
    let raw = &input.raw;
    // A category the type does not admit is dropped for the type's default, not refused.
    if let Some(category) = raw.get("category").and_then(Value::as_str)
        && category_allows(category, &input.attribute_type)
    {
        attribute.category = category.to_owned();
    }
    if let Some(to_ids) = raw.get("to_ids").and_then(flag) {
        attribute.to_ids = to_ids;
    }
    if let Some(disable) = raw.get("disable_correlation").and_then(flag) {
        attribute.disable_correlation = disable;
    }
    if let Some(comment) = raw.get("comment").and_then(Value::as_str)
        && !comment.is_empty()
    {
        attribute.comment = Some(python_strip(comment).to_owned());
    }
    if let Some(tags) = raw.get("Tag").and_then(Value::as_array) {
        attribute.tags = tags
            .iter()
            .filter_map(|tag| tag.get("name").and_then(Value::as_str))
            .map(|name| MispTag {
                name: name.to_owned(),
            })
            .collect();
    }
    for key in PASSED_THROUGH {
        if let Some(value) = raw.get(*key).filter(|v| present(v)) {
            attribute.extra.insert((*key).to_owned(), value.clone());
        }
    }
    attribute
}

/// MISP sends flags as booleans, "0"/"1" or 0/1.
fn flag(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        Value::String(s) => match s.to_ascii_lowercase().as_str() {
            "1" | "true" => Some(true),
            "0" | "false" | "" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

fn present(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn input(raw: Value) -> AttributeInput {
        let map = raw.as_object().unwrap().clone();
        AttributeInput {
            attribute_type: map["type"].as_str().unwrap().to_owned(),
            value: map["value"].as_str().unwrap().to_owned(),
            uuid: map["uuid"].as_str().unwrap().to_owned(),
            raw: map,
        }
    }

    #[test]
    fn bare_attribute_gets_type_defaults() {
        let echoed = echo(&input(
            json!({"type": "ip-src", "value": "192.0.2.7", "uuid": "u-1"}),
        ));
        assert_eq!(
            serde_json::to_value(&echoed).unwrap(),
            json!({"uuid": "u-1", "type": "ip-src", "value": "192.0.2.7",
                   "category": "Network activity", "to_ids": true, "disable_correlation": false})
        );
    }

    #[test]
    fn text_fields_come_back_stripped() {
        // The reference's echo of `"8.8.8.8\n"` with comment " c " (hygiene 3.1.1).
        let echoed = echo(&input(
            json!({"type": "ip-dst", "value": "8.8.8.8\n", "uuid": "u-3", "comment": " c ", "to_ids": false}),
        ));
        assert_eq!(
            serde_json::to_value(&echoed).unwrap(),
            json!({"uuid": "u-3", "type": "ip-dst", "value": "8.8.8.8",
                   "category": "Network activity", "to_ids": false,
                   "disable_correlation": false, "comment": "c"})
        );
        assert_eq!(python_strip("\u{1f} google.com\t\r\n"), "google.com");
    }

    #[test]
    fn client_metadata_is_kept_and_bad_category_replaced() {
        let echoed = echo(&input(json!({
            "type": "domain|ip", "value": "example.org|2001:db8::1", "uuid": "u-2",
            "category": "Payload delivery", "to_ids": "0", "comment": "c",
            "Tag": [{"name": "tlp:white"}], "id": "12", "event_id": "3",
            "first_seen": null, "object_relation": null, "deleted": false
        })));
        assert_eq!(
            serde_json::to_value(&echoed).unwrap(),
            json!({"uuid": "u-2", "Tag": [{"name": "tlp:white"}], "type": "domain|ip",
                   "value": "example.org|2001:db8::1", "category": "Network activity",
                   "to_ids": false, "disable_correlation": false, "comment": "c",
                   "id": "12", "event_id": "3", "deleted": false})
        );
    }
}

//! A module's answer turned into what the results page shows: MISP objects with their
//! attributes in template order, loose attributes, pretty JSON and Markdown. The answer is
//! untrusted: nothing here interprets it beyond reading known keys.

use app::web::{AttributeView, ObjectView, ReferenceView, ResultView};
use serde_json::Value;

use super::markdown::{parse_markdown, results_markdown};

/// `query_uuid` is the uuid the query gave its attribute: references to it point at the
/// queried value itself.
pub fn result_view(answer: &Value, query_uuid: Option<&str>) -> ResultView {
    let results = answer.get("results").unwrap_or(&Value::Null);
    let (objects, attributes) = match results {
        Value::Object(standard) => (
            list(standard.get("Object"))
                .iter()
                .map(object_view)
                .collect(),
            list(standard.get("Attribute"))
                .iter()
                .map(attribute_view)
                .collect(),
        ),
        Value::Array(legacy) => (
            Vec::new(),
            legacy.iter().flat_map(legacy_attributes).collect(),
        ),
        _ => (Vec::new(), Vec::new()),
    };
    let objects = with_reference_names(objects, results, query_uuid);
    let other = match results {
        Value::Object(_) | Value::Array(_) | Value::Null => None,
        Value::String(text) => Some(text.clone()),
        scalar => Some(scalar.to_string()),
    };
    let markdown = results_markdown(&objects, &attributes, other.as_deref());
    ResultView {
        json: serde_json::to_string_pretty(answer).unwrap_or_default(),
        markdown_blocks: parse_markdown(&markdown),
        markdown,
        objects,
        attributes,
    }
}

fn list(value: Option<&Value>) -> &[Value] {
    value
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn truthy(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => matches!(s.as_str(), "1" | "true" | "True"),
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        _ => false,
    }
}

fn attribute_view(attribute: &Value) -> AttributeView {
    AttributeView {
        object_relation: text(attribute.get("object_relation")),
        attribute_type: text(attribute.get("type")).unwrap_or_else(|| "text".to_owned()),
        category: text(attribute.get("category")),
        value: text(attribute.get("value")).unwrap_or_default(),
        comment: text(attribute.get("comment")),
        to_ids: truthy(attribute.get("to_ids")),
    }
}

fn object_view(object: &Value) -> ObjectView {
    let name = text(object.get("name")).unwrap_or_else(|| "object".to_owned());
    let mut attributes: Vec<AttributeView> = list(object.get("Attribute"))
        .iter()
        .map(attribute_view)
        .collect();
    // Most important relations first, as MISP shows them; unknown relations keep their order.
    if let Some(template) = modules::misp::template(&name) {
        let priority = |a: &AttributeView| {
            a.object_relation
                .as_deref()
                .and_then(|relation| template.attributes.get(relation))
                .map_or(0, |t| t.ui_priority)
        };
        attributes.sort_by_key(|a| std::cmp::Reverse(priority(a)));
    }
    ObjectView {
        meta_category: text(object.get("meta-category")),
        uuid: text(object.get("uuid")),
        comment: text(object.get("comment")),
        references: list(object.get("ObjectReference"))
            .iter()
            .map(|r| ReferenceView {
                relationship_type: text(r.get("relationship_type")).unwrap_or_default(),
                referenced_uuid: text(r.get("referenced_uuid")).unwrap_or_default(),
                referenced_name: None,
            })
            .collect(),
        name,
        attributes,
    }
}

/// Names what each reference points at: an object of the answer, an attribute of the
/// answer, or the value that was queried.
fn with_reference_names(
    mut objects: Vec<ObjectView>,
    results: &Value,
    query_uuid: Option<&str>,
) -> Vec<ObjectView> {
    let mut names: Vec<(String, String)> = objects
        .iter()
        .filter_map(|o| Some((o.uuid.clone()?, o.name.clone())))
        .collect();
    for attribute in list(results.get("Attribute")) {
        if let Some(uuid) = text(attribute.get("uuid")) {
            let view = attribute_view(attribute);
            let name = if Some(uuid.as_str()) == query_uuid {
                format!("the queried value ({})", view.value)
            } else {
                format!("{} {}", view.attribute_type, view.value)
            };
            names.push((uuid, name));
        }
    }
    if let Some(uuid) = query_uuid {
        names.push((uuid.to_owned(), "the queried value".to_owned()));
    }
    for object in &mut objects {
        for reference in &mut object.references {
            reference.referenced_name = names
                .iter()
                .find(|(uuid, _)| *uuid == reference.referenced_uuid)
                .map(|(_, name)| name.clone());
        }
    }
    objects
}

/// `{"types": [...], "values": [...] | "value", "categories"?, "comment"?}`: one attribute
/// per value, typed with the first type (as MISP does when it imports them).
fn legacy_attributes(entry: &Value) -> Vec<AttributeView> {
    let first = |key: &str| match entry.get(key) {
        Some(Value::Array(items)) => items.first().and_then(|v| text(Some(v))),
        other => text(other),
    };
    let attribute_type = first("types")
        .or_else(|| first("type"))
        .unwrap_or_else(|| "text".to_owned());
    let category = first("categories").or_else(|| first("category"));
    let comment = text(entry.get("comment"));
    let to_ids = truthy(entry.get("to_ids"));
    let values: Vec<String> = match entry.get("values").or_else(|| entry.get("value")) {
        Some(Value::Array(items)) => items.iter().filter_map(|v| text(Some(v))).collect(),
        other => text(other).into_iter().collect(),
    };
    values
        .into_iter()
        .map(|value| AttributeView {
            object_relation: None,
            attribute_type: attribute_type.clone(),
            category: category.clone(),
            value,
            comment: comment.clone(),
            to_ids,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn legacy_answers_become_attributes() {
        let view = result_view(
            &json!({"results": [
                {"types": ["ip-dst", "ip-src"], "values": ["8.8.8.8", "1.1.1.1"], "comment": "c"},
                {"types": ["text"], "values": "BE"}
            ]}),
            None,
        );
        let pairs: Vec<_> = view
            .attributes
            .iter()
            .map(|a| (a.attribute_type.as_str(), a.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [("ip-dst", "8.8.8.8"), ("ip-dst", "1.1.1.1"), ("text", "BE")]
        );
        assert_eq!(view.attributes[0].comment.as_deref(), Some("c"));
        assert!(view.json.contains("\"8.8.8.8\""));
        assert!(view.markdown.contains("8.8.8.8"));
    }

    #[test]
    fn object_attributes_follow_template_priority() {
        // In the domain-ip template `domain` has a higher ui-priority than `first-seen`.
        let view = result_view(
            &json!({"results": {"Object": [
            {"name": "domain-ip", "meta-category": "network", "uuid": "u1",
             "Attribute": [
                {"object_relation": "first-seen", "type": "datetime", "value": "2026-01-01"},
                {"object_relation": "domain", "type": "domain", "value": "example.com"},
                {"object_relation": "ip", "type": "ip-dst", "value": "1.2.3.4"}
             ],
             "ObjectReference": [
                {"referenced_uuid": "u2", "relationship_type": "resolves-to"},
                {"referenced_uuid": "q1", "relationship_type": "related-to"},
                {"referenced_uuid": "a1", "relationship_type": "related-to"}
             ]},
            {"name": "url", "uuid": "u2", "Attribute": []}
        ], "Attribute": [{"uuid": "a1", "type": "ip-dst", "value": "9.9.9.9"}]}}),
            Some("q1"),
        );
        let object = &view.objects[0];
        let template = modules::misp::template("domain-ip").unwrap();
        let p = |r: &str| template.attributes[r].ui_priority;
        let expected_first = if p("domain") >= p("ip") {
            "domain"
        } else {
            "ip"
        };
        assert_eq!(
            object.attributes[0].object_relation.as_deref(),
            Some(expected_first)
        );
        let names: Vec<Option<&str>> = object
            .references
            .iter()
            .map(|r| r.referenced_name.as_deref())
            .collect();
        assert_eq!(
            names,
            [
                Some("url"),
                Some("the queried value"),
                Some("ip-dst 9.9.9.9")
            ]
        );
        assert_eq!(object.meta_category.as_deref(), Some("network"));
    }

    #[test]
    fn hostile_values_stay_data() {
        let view = result_view(
            &json!({"results": [
                {"types": ["text"], "values": ["<img src=x onerror=alert(1)>", "| a | b |"]}
            ]}),
            None,
        );
        assert_eq!(view.attributes[0].value, "<img src=x onerror=alert(1)>");
        // The Markdown table still has one row per value: the pipe did not split cells.
        let rows = view.markdown_blocks.iter().find_map(|b| match b {
            app::web::MarkdownBlock::Table { rows, .. } => Some(rows.len()),
            _ => None,
        });
        assert_eq!(rows, Some(2));
    }
}

//! The summary paragraph `Activate_textual_description` puts at the top of the report,
//! worded as the reference words it, so searches and diffs of the two reports agree.

use serde_json::{Map, Value};

use super::{text, timestamp};

/// The threat level as the summary names it; the reference's wording for an id it does
/// not know is "unknown" (the general-information table says "No threat level specified.").
fn threat_level(meta: &Map<String, Value>) -> &'static str {
    match text(meta.get("threat_level_id")).as_deref() {
        Some("0") => "undefined (0)",
        Some("1") => "High (1)",
        Some("2") => "Medium (2)",
        Some("3") => "Low (3)",
        _ => "unknown",
    }
}

fn analysis_level(meta: &Map<String, Value>) -> &'static str {
    match text(meta.get("analysis")).as_deref() {
        Some("0") => "Initial (0)",
        Some("1") => "Ongoing (1)",
        Some("2") => "Completed (2)",
        _ => "undefined",
    }
}

/// The organisation the event "had been shared by". The reference names the creator org
/// only when the event itself has a `name` field (its check looks at the event, not at
/// `Orgc`); MISP events have none, so in practice it is "an unknown organisation".
fn sharing_organisation(meta: &Map<String, Value>) -> String {
    let creator = meta.get("Orgc").and_then(|orgc| text(orgc.get("name")));
    match (text(meta.get("name")), creator) {
        (Some(_), Some(creator)) => creator,
        _ => "an unknown organisation".into(),
    }
}

/// The summary, one paragraph per line: the event sentence, one line per external
/// analysis comment, and the closing pointer to the rest of the document.
pub(super) fn summary(
    meta: &Map<String, Value>,
    attributes: &[(&Map<String, Value>, String)],
    object_count: usize,
) -> String {
    let mut sentence = match text(meta.get("info")) {
        Some(info) => format!("The event '{info}'"),
        None => "This event".into(),
    };
    if let Some(when) = timestamp(meta.get("timestamp")) {
        sentence.push_str(&format!(" that occurred on {when},"));
    }
    sentence.push_str(&format!(
        " had been shared by {}",
        sharing_organisation(meta)
    ));
    match text(meta.get("date")) {
        Some(date) => sentence.push_str(&format!(" on the {date}.")),
        None => sentence.push_str(" on an unknown date."),
    }
    sentence.push_str(&format!(
        " The threat level of this event is {} and the analysis that was made of this event is {}.",
        threat_level(meta),
        analysis_level(meta)
    ));
    sentence.push_str(" The event is currently ");
    if meta.get("published") == Some(&Value::Bool(true)) {
        sentence.push_str("published");
        if let Some(when) = timestamp(meta.get("publish_timestamp")) {
            sentence.push_str(&format!(" since {when}"));
        }
    } else {
        sentence.push_str("private");
    }
    sentence.push_str(&format!(
        ", has {} associated attributes and has {object_count} associated objects.",
        attributes.len()
    ));

    let mut lines = vec![sentence];
    let external: Vec<String> = attributes
        .iter()
        .filter(|(attribute, category)| {
            category == "External analysis"
                && text(attribute.get("type")).as_deref() == Some("comment")
        })
        .filter_map(|(attribute, _)| text(attribute.get("value")))
        .map(|value| format!("External analysis from an attribute : {value}"))
        .collect();
    if !external.is_empty() {
        lines.push(String::new());
        lines.extend(external);
    }
    lines.push("For more information on the event, please consult following information.".into());
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta(value: Value) -> Map<String, Value> {
        value.as_object().cloned().unwrap()
    }

    #[test]
    fn published_event_with_unknown_threat_level() {
        // The reference's text for /tmp/diff/export pdfexport_textual_description_short.
        let event = meta(json!({"info": "Single ip-src", "date": "2024-01-28",
            "timestamp": "1705312800", "publish_timestamp": "1705312900",
            "threat_level_id": "4", "analysis": "2", "published": true,
            "Orgc": {"name": "ResearchOrg"}}));
        let attribute = meta(json!({"type": "ip-src", "value": "198.51.100.7"}));
        assert_eq!(
            summary(&event, &[(&attribute, "Network activity".into())], 0),
            "The event 'Single ip-src' that occurred on 2024-01-15 10:00:00, had been shared by an unknown organisation on the 2024-01-28. The threat level of this event is unknown and the analysis that was made of this event is Completed (2). The event is currently published since 2024-01-15 10:01:40, has 1 associated attributes and has 0 associated objects.\n\
             For more information on the event, please consult following information."
        );
    }

    #[test]
    fn private_event_with_external_analysis_and_no_metadata() {
        let event = meta(json!({"published": false}));
        let comment = meta(json!({"type": "comment", "value": "sandbox says bad"}));
        let other = meta(json!({"type": "comment", "value": "not external"}));
        assert_eq!(
            summary(
                &event,
                &[
                    (&comment, "External analysis".into()),
                    (&other, "Other".into())
                ],
                2
            ),
            "This event had been shared by an unknown organisation on an unknown date. The threat level of this event is unknown and the analysis that was made of this event is undefined. The event is currently private, has 2 associated attributes and has 2 associated objects.\n\
             \n\
             External analysis from an attribute : sandbox says bad\n\
             For more information on the event, please consult following information."
        );
    }

    #[test]
    fn published_without_a_date_and_a_named_event() {
        let event = meta(
            json!({"published": true, "threat_level_id": 1, "analysis": "0",
            "name": "x", "Orgc": {"name": "CIRCL"}}),
        );
        let text = summary(&event, &[], 0);
        assert!(text.contains("had been shared by CIRCL on an unknown date."));
        assert!(text.contains("The threat level of this event is High (1) and the analysis that was made of this event is Initial (0)."));
        assert!(text.contains("The event is currently published, has 0 associated attributes"));
    }
}

//! Shared by the indicator exporters (netfilter, squid, wazuh_cdb, zeek_intel, osquery,
//! splunk, qradar reference set, elastic ECS): reading the events in every layout MISP
//! sends (envelope, nested, bare, one event or a list), the strict boolean fields, the
//! deleted/to_ids gate, skip counters, provenance references and the answer envelope.

pub(crate) mod syntax;
pub(crate) mod typed_list;

use serde_json::{Map, Value};

use super::export_answer;
use crate::engine::QueryRequest;

/// A problem with the request, answered as `{"error": "<module prefix>: <message>"}`.
#[derive(Debug)]
pub(crate) struct Invalid(pub String);

impl<T: Into<String>> From<T> for Invalid {
    fn from(message: T) -> Self {
        Invalid(message.into())
    }
}

pub(crate) type Checked<T> = Result<T, Invalid>;

/// A yes/no field as MISP writes them: booleans, 0/1 and their spellings as text. Absent,
/// null and empty mean no; anything else is refused rather than guessed.
pub(crate) fn flag(value: Option<&Value>, name: &str) -> Checked<bool> {
    let refused = || Invalid(format!("{name} must be true, false, 1 or 0."));
    match value {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(b)) => Ok(*b),
        Some(Value::Number(n)) => match n.as_i64() {
            Some(0) => Ok(false),
            Some(1) => Ok(true),
            _ => Err(refused()),
        },
        Some(Value::String(s)) => match s.to_ascii_lowercase().as_str() {
            "" | "false" | "0" => Ok(false),
            "true" | "1" => Ok(true),
            _ => Err(refused()),
        },
        Some(_) => Err(refused()),
    }
}

/// The `config` object; absent or null is an empty one.
pub(crate) fn config(request: &QueryRequest, not_object: &str) -> Checked<Map<String, Value>> {
    match request.get("config") {
        None | Some(Value::Null) => Ok(Map::new()),
        Some(Value::Object(config)) => Ok(config.clone()),
        Some(_) => Err(not_object.into()),
    }
}

/// A config text value where absent, null and empty fall back to `default`.
pub(crate) fn setting<'a>(config: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    match config.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.is_empty() => None,
        Some(value) => Some(value),
    }
}

/// Which shapes of `data` an exporter takes, with its own wording of the refusal.
#[derive(Clone, Copy)]
pub(crate) enum DataShape {
    /// One event object or a list; the second text refuses a list item that is no object.
    EventOrList(&'static str, &'static str),
    /// Only a list of event objects.
    List(&'static str),
}

/// One event as sent: its envelope and the event fields (the same map for bare events).
#[derive(Clone, Copy)]
pub(crate) struct EventView<'a> {
    pub envelope: &'a Map<String, Value>,
    pub event: &'a Map<String, Value>,
}

impl<'a> EventView<'a> {
    /// A collection (`Attribute`, `Object`, `Orgc`, ...): the envelope's copy wins, as in
    /// the envelope layout where lists sit next to `Event`.
    pub fn get(&self, key: &str) -> Option<&'a Value> {
        self.envelope.get(key).or_else(|| self.event.get(key))
    }
}

/// One attribute to export, with the event and (for object attributes) the object it
/// belongs to.
#[derive(Clone, Copy)]
pub(crate) struct Source<'a> {
    pub event: EventView<'a>,
    pub object: Option<&'a Map<String, Value>>,
    pub attribute: &'a Map<String, Value>,
}

impl Source<'_> {
    pub fn kind(&self) -> Option<&str> {
        self.attribute.get("type").and_then(Value::as_str)
    }
}

fn records<'a>(value: Option<&'a Value>, key: &str) -> Checked<Vec<&'a Map<String, Value>>> {
    let refused = || Invalid(format!("{key} must be a list of objects."));
    match value {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|item| item.as_object().ok_or_else(refused))
            .collect(),
        Some(_) => Err(refused()),
    }
}

/// Every attribute of the events that are not deleted, object attributes included (except
/// those of deleted objects), in document order.
pub(crate) fn sources(data: Option<&Value>, shape: DataShape) -> Checked<Vec<Source<'_>>> {
    let envelopes: Vec<&Map<String, Value>> = match (shape, data) {
        (DataShape::EventOrList(_, _), Some(Value::Object(single))) => vec![single],
        (DataShape::EventOrList(_, not_object), Some(Value::Array(list))) => list
            .iter()
            .map(|e| e.as_object().ok_or_else(|| Invalid::from(not_object)))
            .collect::<Checked<_>>()?,
        (DataShape::EventOrList(refused, _), _) => return Err(refused.into()),
        (DataShape::List(refused), Some(Value::Array(list))) => list
            .iter()
            .map(|e| e.as_object().ok_or_else(|| Invalid::from(refused)))
            .collect::<Checked<_>>()?,
        (DataShape::List(refused), _) => return Err(refused.into()),
    };
    let mut found = Vec::new();
    for envelope in envelopes {
        let event = match envelope.get("Event") {
            None => envelope,
            Some(Value::Object(event)) => event,
            Some(_) => return Err("Event must be an object.".into()),
        };
        if flag(event.get("deleted"), "deleted")? {
            continue;
        }
        let view = EventView { envelope, event };
        for attribute in records(view.get("Attribute"), "Attribute")? {
            found.push(Source {
                event: view,
                object: None,
                attribute,
            });
        }
        for object in records(view.get("Object"), "Object")? {
            if flag(object.get("deleted"), "deleted")? {
                continue;
            }
            for attribute in records(object.get("Attribute"), "Attribute")? {
                found.push(Source {
                    event: view,
                    object: Some(object),
                    attribute,
                });
            }
        }
    }
    Ok(found)
}

/// Why an attribute is left out before its type is even looked at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Gate {
    Deleted,
    NotIds,
    Keep { to_ids: bool },
}

pub(crate) fn gate(attribute: &Map<String, Value>, include_non_ids: bool) -> Checked<Gate> {
    if flag(attribute.get("deleted"), "deleted")? {
        return Ok(Gate::Deleted);
    }
    let to_ids = flag(attribute.get("to_ids"), "to_ids")?;
    Ok(if to_ids || include_non_ids {
        Gate::Keep { to_ids }
    } else {
        Gate::NotIds
    })
}

/// The type of an attribute the exporter should handle, after the checks every exporter
/// makes first: deleted and non-IDS attributes (unless `include_non_ids`) and types outside
/// `input_types` are counted in `skipped` and give `None`.
pub(crate) fn screened_kind<'a>(
    source: &Source<'a>,
    include_non_ids: bool,
    input_types: &[&str],
    skipped: &mut Skips,
) -> Checked<Option<&'a str>> {
    if !matches!(gate(source.attribute, include_non_ids)?, Gate::Keep { .. }) {
        skipped.add("deleted or non-IDS");
        return Ok(None);
    }
    let kind = source.attribute.get("type").and_then(Value::as_str);
    match kind.filter(|k| input_types.contains(k)) {
        Some(kind) => Ok(Some(kind)),
        None => {
            skipped.add("unsupported");
            Ok(None)
        }
    }
}

/// Counts of skipped attributes per reason, in the order reasons first occurred.
#[derive(Debug, Default)]
pub(crate) struct Skips(Vec<(String, u64)>);

impl Skips {
    pub fn add(&mut self, reason: &str) {
        match self.0.iter_mut().find(|(r, _)| r == reason) {
            Some((_, count)) => *count += 1,
            None => self.0.push((reason.to_owned(), 1)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(reason, count)| (reason.clone(), Value::from(*count)))
                .collect(),
        )
    }

    /// One warning per reason, sorted by reason.
    pub fn sorted_warnings(&self, text: impl Fn(&str, u64) -> String) -> Vec<String> {
        let mut entries: Vec<&(String, u64)> = self.0.iter().collect();
        entries.sort();
        entries.iter().map(|(r, c)| text(r, *c)).collect()
    }

    /// The usual wording, "Skipped 3 non-IDS attribute(s)."
    pub fn attribute_warnings(&self) -> Vec<String> {
        self.sorted_warnings(|reason, count| format!("Skipped {count} {reason} attribute(s)."))
    }

    /// Warnings in first-seen order, "Skipped 3: reason".
    pub fn colon_warnings(&self) -> Vec<String> {
        self.0
            .iter()
            .map(|(reason, count)| format!("Skipped {count}: {reason}"))
            .collect()
    }
}

/// A JSON value as Python's `str()` writes it, for identifiers that may be numbers.
pub(crate) fn py_str(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Null => "None".to_owned(),
        other => other.to_string(),
    }
}

/// Python truthiness of a JSON value.
pub(crate) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// The first truthy of `keys` in `record`, as text, or "unknown".
pub(crate) fn label(record: &Map<String, Value>, keys: &[&str]) -> String {
    keys.iter()
        .filter_map(|key| record.get(*key))
        .find(|value| truthy(value))
        .map_or_else(|| "unknown".to_owned(), py_str)
}

/// Where an exported value came from: event, attribute, MISP type and object.
pub(crate) fn reference(source: &Source, kind: &str) -> Map<String, Value> {
    let mut reference = Map::new();
    reference.insert(
        "event".into(),
        label(source.event.event, &["uuid", "id"]).into(),
    );
    reference.insert(
        "attribute".into(),
        label(source.attribute, &["uuid", "id"]).into(),
    );
    reference.insert("misp_type".into(), kind.into());
    if let Some(object) = source.object.filter(|o| !o.is_empty()) {
        reference.insert(
            "object".into(),
            label(object, &["uuid", "id", "name"]).into(),
        );
    }
    reference
}

/// Adds `reference` to `list` unless an equal one is there.
pub(crate) fn push_unique(list: &mut Vec<Value>, reference: Map<String, Value>) {
    let reference = Value::Object(reference);
    if !list.contains(&reference) {
        list.push(reference);
    }
}

/// The export answer: the file, then the extra fields in the given order.
pub(crate) fn answer(file: &str, extra: Vec<(&str, Value)>) -> Value {
    let mut answer = export_answer(file);
    if let Some(fields) = answer.as_object_mut() {
        for (key, value) in extra {
            fields.insert(key.to_owned(), value);
        }
    }
    answer
}

/// Python's `json.dumps(value, ensure_ascii=False)`: `", "` and `": "` separators,
/// non-ASCII text kept as is.
pub(crate) fn json_unicode(value: &Value) -> String {
    struct Spaced;
    impl serde_json::ser::Formatter for Spaced {
        fn begin_array_value<W: ?Sized + std::io::Write>(
            &mut self,
            writer: &mut W,
            first: bool,
        ) -> std::io::Result<()> {
            if first {
                Ok(())
            } else {
                writer.write_all(b", ")
            }
        }
        fn begin_object_key<W: ?Sized + std::io::Write>(
            &mut self,
            writer: &mut W,
            first: bool,
        ) -> std::io::Result<()> {
            if first {
                Ok(())
            } else {
                writer.write_all(b", ")
            }
        }
        fn begin_object_value<W: ?Sized + std::io::Write>(
            &mut self,
            writer: &mut W,
        ) -> std::io::Result<()> {
            writer.write_all(b": ")
        }
    }
    let mut out = Vec::new();
    let mut serializer = serde_json::Serializer::with_formatter(&mut out, Spaced);
    // Writing a Value into memory cannot fail.
    let _ = serde::Serialize::serialize(value, &mut serializer);
    String::from_utf8_lossy(&out).into_owned()
}

/// The sorted, distinct tag names of the given records (`Tag`, `EventTag` and
/// `AttributeTag` lists, entries either tags or `{"Tag": tag}` wrappers).
pub(crate) fn tag_names(records: &[&Map<String, Value>]) -> Checked<Vec<String>> {
    let mut names = std::collections::BTreeSet::new();
    for record in records {
        for key in ["Tag", "EventTag", "AttributeTag"] {
            for entry in self::records(record.get(key), key)? {
                let tag = entry.get("Tag").unwrap_or(&Value::Null);
                let tag = if entry.contains_key("Tag") {
                    tag.as_object()
                } else {
                    Some(entry)
                };
                if let Some(name) = tag.and_then(|t| t.get("name")).and_then(Value::as_str) {
                    names.insert(name.to_owned());
                }
            }
        }
    }
    Ok(names.into_iter().collect())
}

/// A CSV field quoted only when it must be (Python's `csv` QUOTE_MINIMAL).
pub(crate) fn csv_field(value: &str) -> String {
    if value.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// A copy of a flat object with its keys sorted, as `json.dumps(sort_keys=True)` orders
/// them.
pub(crate) fn sorted_keys(map: &Map<String, Value>) -> Value {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    Value::Object(
        entries
            .into_iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn flags_accept_misp_spellings_only() {
        assert!(flag(Some(&json!("True")), "to_ids").unwrap());
        assert!(flag(Some(&json!(1)), "to_ids").unwrap());
        assert!(!flag(Some(&json!("")), "to_ids").unwrap());
        assert!(!flag(None, "to_ids").unwrap());
        assert_eq!(
            flag(Some(&json!("yes")), "to_ids").unwrap_err().0,
            "to_ids must be true, false, 1 or 0."
        );
        assert!(flag(Some(&json!(2)), "x").is_err());
    }

    #[test]
    fn sources_cover_every_layout() {
        let data = json!([
            {"Event": {"uuid": "e1", "Attribute": [{"value": "a"}],
                       "Object": [{"name": "o", "Attribute": [{"value": "b"}]},
                                  {"deleted": true, "Attribute": [{"value": "gone"}]}]}},
            {"Event": {"uuid": "e2"}, "Attribute": [{"value": "c"}]},
            {"uuid": "e3", "Attribute": [{"value": "d"}]},
            {"Event": {"deleted": "1", "Attribute": [{"value": "gone"}]}}
        ]);
        let found = sources(Some(&data), DataShape::EventOrList("x", "y")).unwrap();
        let values: Vec<&str> = found
            .iter()
            .map(|s| s.attribute["value"].as_str().unwrap())
            .collect();
        assert_eq!(values, ["a", "b", "c", "d"]);
        assert_eq!(found[1].object.unwrap()["name"], "o");
        assert_eq!(label(found[3].event.event, &["uuid"]), "e3");
        let single = json!({"Attribute": [{"value": "z"}]});
        assert_eq!(
            sources(Some(&single), DataShape::EventOrList("x", "y"))
                .unwrap()
                .len(),
            1
        );
        assert_eq!(
            sources(Some(&single), DataShape::List("need a list"))
                .err()
                .unwrap()
                .0,
            "need a list"
        );
        let bad = json!([{"Event": {"Attribute": {"value": "x"}}}]);
        assert_eq!(
            sources(Some(&bad), DataShape::List("l")).err().unwrap().0,
            "Attribute must be a list of objects."
        );
        assert_eq!(
            sources(Some(&json!([{"Event": 3}])), DataShape::List("l"))
                .err()
                .unwrap()
                .0,
            "Event must be an object."
        );
    }

    #[test]
    fn skips_keep_first_seen_order_and_sort_warnings() {
        let mut skips = Skips::default();
        for reason in ["unsupported", "non-IDS", "unsupported"] {
            skips.add(reason);
        }
        assert_eq!(
            serde_json::to_string(&skips.to_json()).unwrap(),
            r#"{"unsupported":2,"non-IDS":1}"#
        );
        assert_eq!(
            skips.attribute_warnings(),
            [
                "Skipped 1 non-IDS attribute(s).",
                "Skipped 2 unsupported attribute(s)."
            ]
        );
    }

    #[test]
    fn json_unicode_spaces_like_python() {
        assert_eq!(
            json_unicode(&json!([{"a": "é\n", "b": 1}])),
            "[{\"a\": \"é\\n\", \"b\": 1}]"
        );
    }
}

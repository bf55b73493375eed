//! Request reading shared by the older exporters (threat_connect_export,
//! threatStream_misp_export, nexthinkexport, defender_endpoint_export, mass_eql_export,
//! cisco_firesight_manager_ACL_rule_export).
//!
//! They read events only in the envelope layout (`{"Event": {...}, "Attribute": [...]}`),
//! and a `config` object that lacks one of their keys is a failure. Both are reference
//! behaviours clients have seen as the generic error, so they stay internal failures.
//! Two of them write CSV, also shared here.

use serde_json::{Map, Value};

use crate::engine::{ModuleError, QueryRequest};

/// Python's `str()` of a JSON value, as the reference formats values into its output.
pub(super) fn python_str(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        other => other.to_string(),
    }
}

/// A JSON value as Python's `csv` writer writes it: like `str()`, except that `None`
/// is an empty field.
pub(super) fn csv_cell(value: &Value) -> String {
    match value {
        Value::Null => String::new(),
        other => python_str(other),
    }
}

/// A required attribute field as a CSV field (see `csv_cell`); a missing one is a
/// failure, as the reference's `attribute[key]` is.
pub(super) fn csv_field(
    attribute: &Map<String, Value>,
    key: &str,
    module: &str,
) -> Result<String, ModuleError> {
    attribute
        .get(key)
        .map(csv_cell)
        .ok_or_else(|| ModuleError::internal(format!("{module}: an attribute has no {key}")))
}

/// A query on one output line: the reference flattens every newline of the whole query
/// (from a value or from the Period setting) into a space.
pub(super) fn one_line(query: &str) -> String {
    query.replace('\n', " ")
}

/// One event in the envelope layout.
pub(super) struct Envelope<'a> {
    pub raw: &'a Map<String, Value>,
}

/// The events of `data`, each required to carry `Attribute` next to `Event`.
pub(super) fn envelopes<'a>(
    request: &'a QueryRequest,
    module: &str,
) -> Result<Vec<Envelope<'a>>, ModuleError> {
    let list = request
        .get("data")
        .and_then(Value::as_array)
        .ok_or_else(|| ModuleError::internal(format!("{module}: data is not a list")))?;
    list.iter()
        .map(|event| match event.as_object() {
            Some(raw) if raw.get("Attribute").is_some_and(Value::is_array) => Ok(Envelope { raw }),
            _ => Err(ModuleError::internal(format!(
                "{module}: an event has no Attribute list next to Event"
            ))),
        })
        .collect()
}

impl<'a> Envelope<'a> {
    pub fn attributes(&self) -> Vec<&'a Map<String, Value>> {
        objects_of(self.raw.get("Attribute"))
    }

    /// The attributes held in the event's objects; none when `Object` is absent.
    pub fn object_attributes(&self) -> Vec<&'a Map<String, Value>> {
        objects_of(self.raw.get("Object"))
            .into_iter()
            .flat_map(|object| objects_of(object.get("Attribute")))
            .collect()
    }
}

fn objects_of(list: Option<&Value>) -> Vec<&Map<String, Value>> {
    list.and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default()
}

/// An attribute field as text; a missing one is a failure as in the reference.
pub(super) fn field(
    attribute: &Map<String, Value>,
    key: &str,
    module: &str,
) -> Result<String, ModuleError> {
    attribute
        .get(key)
        .map(python_str)
        .ok_or_else(|| ModuleError::internal(format!("{module}: an attribute has no {key}")))
}

/// A config value as text: empty without `config`, a failure when `config` lacks the key.
pub(super) fn config_value(
    request: &QueryRequest,
    key: &str,
    module: &str,
) -> Result<String, ModuleError> {
    match request.get("config") {
        None => Ok(String::new()),
        Some(Value::Object(config)) => config
            .get(key)
            .map(python_str)
            .ok_or_else(|| ModuleError::internal(format!("{module}: config has no {key}"))),
        Some(_) => Err(ModuleError::internal(format!(
            "{module}: config is not an object"
        ))),
    }
}

/// A CSV file of `records` (the header first), written as Python's `csv` module writes
/// it: minimal quoting and CRLF line ends.
pub(super) fn crlf_csv(records: &[Vec<String>]) -> Result<String, ModuleError> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .flexible(true)
        .from_writer(Vec::new());
    for record in records {
        writer
            .write_record(record)
            .map_err(|e| ModuleError::internal(format!("csv: {e}")))?;
    }
    let bytes = writer
        .into_inner()
        .map_err(|e| ModuleError::internal(format!("csv: {e}")))?;
    String::from_utf8(bytes).map_err(|e| ModuleError::internal(format!("csv: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(body: Value) -> QueryRequest {
        QueryRequest::new(body.as_object().cloned().unwrap())
    }

    #[test]
    fn envelope_layout_is_required() {
        let nested = request(json!({"data": [{"Event": {"Attribute": []}}]}));
        assert!(matches!(
            envelopes(&nested, "m"),
            Err(ModuleError::Internal(_))
        ));
        let envelope = request(
            json!({"data": [{"Event": {}, "Attribute": [{"type": "md5"}],
            "Object": [{"Attribute": [{"type": "url"}, {"type": "domain"}]}]}]}),
        );
        let events = envelopes(&envelope, "m").unwrap();
        assert_eq!(events[0].attributes().len(), 1);
        assert_eq!(events[0].object_attributes().len(), 2);
    }

    #[test]
    fn csv_cells_write_null_as_empty() {
        assert_eq!(csv_cell(&Value::Null), "");
        assert_eq!(csv_cell(&json!(12345)), "12345");
        assert_eq!(csv_cell(&json!(true)), "True");
        assert_eq!(csv_cell(&json!("x")), "x");
    }

    #[test]
    fn csv_fields_are_required() {
        let attribute = json!({"value": null, "comment": 7});
        let attribute = attribute.as_object().unwrap();
        assert_eq!(csv_field(attribute, "value", "m").unwrap(), "");
        assert_eq!(csv_field(attribute, "comment", "m").unwrap(), "7");
        let missing = csv_field(attribute, "type", "m").unwrap_err();
        assert!(
            missing.to_string().contains("m: an attribute has no type"),
            "{missing}"
        );
    }

    #[test]
    fn queries_are_flattened_to_one_line() {
        assert_eq!(one_line("a\nb\n\nc"), "a b  c");
    }

    #[test]
    fn config_values() {
        let none = request(json!({}));
        assert_eq!(config_value(&none, "Period", "m").unwrap(), "");
        let given = request(json!({"config": {"Period": "7d", "n": 3, "x": null}}));
        assert_eq!(config_value(&given, "Period", "m").unwrap(), "7d");
        assert_eq!(config_value(&given, "n", "m").unwrap(), "3");
        assert_eq!(config_value(&given, "x", "m").unwrap(), "None");
        assert!(matches!(
            config_value(&given, "other", "m"),
            Err(ModuleError::Internal(_))
        ));
    }
}

//! Read access to a `/query` body in the four shapes the module families use.

use serde_json::{Map, Value};

use super::ModuleError;
use crate::parse::python_base64::{Base64Error, b64decode};

/// Error text of the reference's shared check for misp_standard input.
pub const STANDARD_ATTRIBUTE_REQUIRED: &str = "This module requires an \"attribute\" field as input, which should contain at least a type, a value and an uuid.";

/// The parsed body of one `/query`, as an owned JSON object.
#[derive(Debug, Clone, Default)]
pub struct QueryRequest {
    body: Map<String, Value>,
}

/// The `attribute` of a misp_standard query.
#[derive(Debug, Clone)]
pub struct AttributeInput {
    pub attribute_type: String,
    pub value: String,
    pub uuid: String,
    /// The whole attribute as sent, for modules that read more fields.
    pub raw: Map<String, Value>,
}

/// Where an exported event keeps its attributes and objects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventLayout {
    /// `{"Event": {...}, "Attribute": [...], "Object": [...]}`
    Envelope,
    /// `{"Event": {..., "Attribute": [...], "Object": [...]}}`
    Nested,
}

/// One event of an export query, readable in either layout.
#[derive(Debug, Clone)]
pub struct ExportEvent {
    raw: Map<String, Value>,
}

impl QueryRequest {
    pub fn new(body: Map<String, Value>) -> Self {
        Self { body }
    }

    pub fn body(&self) -> &Map<String, Value> {
        &self.body
    }

    pub fn into_body(self) -> Map<String, Value> {
        self.body
    }

    pub fn get(&self, key: &str) -> Option<&Value> {
        self.body.get(key)
    }

    /// A top-level string field.
    pub fn str_field(&self, key: &str) -> Option<&str> {
        self.body.get(key).and_then(Value::as_str)
    }

    /// The first of `keys` present as a string: how legacy expansion modules find their
    /// input, which MISP sends under the attribute type as key.
    pub fn legacy_input<'a>(&'a self, keys: &[&'a str]) -> Option<(&'a str, &'a str)> {
        keys.iter()
            .find_map(|key| self.str_field(key).map(|value| (*key, value)))
    }

    /// The `config` object, if the request has one.
    pub fn config(&self) -> Option<&Map<String, Value>> {
        self.body.get("config").and_then(Value::as_object)
    }

    /// A config value as text: strings as they are, numbers and booleans written out.
    pub fn config_text(&self, key: &str) -> Option<String> {
        match self.config()?.get(key)? {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    }

    /// The misp_standard `attribute`, checked for type, value and uuid.
    pub fn standard_attribute(&self) -> Result<AttributeInput, ModuleError> {
        let missing = || ModuleError::reported(STANDARD_ATTRIBUTE_REQUIRED);
        let raw = self
            .body
            .get("attribute")
            .and_then(Value::as_object)
            .ok_or_else(missing)?;
        let text = |key: &str| raw.get(key).and_then(Value::as_str).map(str::to_owned);
        match (text("type"), text("value"), text("uuid")) {
            (Some(attribute_type), Some(value), Some(uuid)) => Ok(AttributeInput {
                attribute_type,
                value,
                uuid,
                raw: raw.clone(),
            }),
            _ => Err(missing()),
        }
    }

    /// The base64 `data` of an import query, decoded. `None` when the key is absent.
    pub fn import_data(&self) -> Option<Result<Vec<u8>, ModuleError>> {
        let data = self.body.get("data")?;
        let Some(text) = data.as_str() else {
            return Some(Err(ModuleError::reported(
                "The \"data\" field must be a base64 string",
            )));
        };
        Some(decode_base64(text))
    }

    /// The events of an export query. `None` when `data` is absent or not a list.
    pub fn export_events(&self) -> Option<Vec<ExportEvent>> {
        let list = self.body.get("data")?.as_array()?;
        Some(
            list.iter()
                .map(|event| ExportEvent {
                    raw: event.as_object().cloned().unwrap_or_default(),
                })
                .collect(),
        )
    }
}

/// Decodes base64 as the reference's `base64.b64decode` does: characters outside the
/// alphabet are skipped and decoding stops at the padding. Missing padding, where Python
/// fails, is tolerated (MISP and scripts sometimes strip it).
pub fn decode_base64(text: &str) -> Result<Vec<u8>, ModuleError> {
    let refused = |_| ModuleError::reported("The \"data\" field is not valid base64");
    match b64decode(text.as_bytes()) {
        Err(Base64Error::Padding) => b64decode(format!("{text}==").as_bytes()).map_err(refused),
        other => other.map_err(refused),
    }
}

impl ExportEvent {
    pub fn layout(&self) -> EventLayout {
        if self.raw.contains_key("Attribute") || self.raw.contains_key("Object") {
            EventLayout::Envelope
        } else {
            EventLayout::Nested
        }
    }

    /// The event's own fields (`info`, `uuid`, `Tag`, ...).
    pub fn meta(&self) -> Option<&Map<String, Value>> {
        self.raw.get("Event").and_then(Value::as_object)
    }

    /// The event's own fields as pymisp's `MISPEvent.load` finds them: the `Event`
    /// object, or, for a bare event (no `Event` key), the object itself.
    pub fn meta_or_bare(&self) -> &Map<String, Value> {
        self.meta().unwrap_or(&self.raw)
    }

    /// The event's attributes, from whichever layout it uses.
    pub fn attributes(&self) -> Vec<&Map<String, Value>> {
        self.list("Attribute")
    }

    /// The event's objects, from whichever layout it uses.
    pub fn objects(&self) -> Vec<&Map<String, Value>> {
        self.list("Object")
    }

    fn list(&self, key: &str) -> Vec<&Map<String, Value>> {
        let holder = match self.layout() {
            EventLayout::Envelope => Some(&self.raw),
            EventLayout::Nested => self.meta(),
        };
        holder
            .and_then(|h| h.get(key))
            .and_then(Value::as_array)
            .map(|items| items.iter().filter_map(Value::as_object).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn request(body: Value) -> QueryRequest {
        QueryRequest::new(body.as_object().cloned().unwrap_or_default())
    }

    #[test]
    fn legacy_input_takes_the_first_present_key() {
        let r = request(json!({"module": "m", "domain": "a.com", "hostname": "b.a.com"}));
        assert_eq!(
            r.legacy_input(&["hostname", "domain"]),
            Some(("hostname", "b.a.com"))
        );
        assert_eq!(r.legacy_input(&["ip-src"]), None);
    }

    #[test]
    fn standard_attribute_requires_type_value_and_uuid() {
        let without_uuid = request(json!({"attribute": {"type": "url", "value": "x"}}));
        assert!(matches!(
            without_uuid.standard_attribute(),
            Err(ModuleError::Reported(text)) if text == STANDARD_ATTRIBUTE_REQUIRED
        ));
        let ok = request(json!({"attribute": {"type": "url", "value": "x", "uuid": "u"}}));
        assert_eq!(ok.standard_attribute().unwrap().value, "x");
    }

    #[test]
    fn base64_tolerates_wrapping_and_missing_padding() {
        assert_eq!(decode_base64("YW55\ndGhpbmc").unwrap(), b"anything");
        assert!(decode_base64("YW55d").is_err());
        // As Python's b64decode: characters outside the alphabet are skipped, and
        // decoding stops at the padding.
        assert_eq!(decode_base64("!!").unwrap(), b"");
        assert_eq!(decode_base64("YW55@@dGhpbmc=").unwrap(), b"anything");
        assert_eq!(decode_base64("YW55dGhpbmc= junk").unwrap(), b"anything");
    }

    #[test]
    fn export_events_read_both_layouts() {
        let r = request(json!({"data": [
            {"Event": {"info": "a"}, "Attribute": [{"value": "1"}]},
            {"Event": {"info": "b", "Attribute": [{"value": "2"}, {"value": "3"}]}}
        ]}));
        let events = r.export_events().unwrap();
        assert_eq!(events[0].layout(), EventLayout::Envelope);
        assert_eq!(events[0].attributes().len(), 1);
        assert_eq!(events[1].layout(), EventLayout::Nested);
        assert_eq!(events[1].attributes().len(), 2);
    }

    #[test]
    fn a_bare_event_is_its_own_meta() {
        let r = request(json!({"data": [
            {"info": "bare", "Attribute": [{"value": "1"}]},
            {"Event": {"info": "wrapped"}, "Attribute": []}
        ]}));
        let events = r.export_events().unwrap();
        assert!(events[0].meta().is_none());
        assert_eq!(events[0].meta_or_bare()["info"], "bare");
        assert_eq!(events[0].attributes().len(), 1);
        assert_eq!(events[1].meta_or_bare()["info"], "wrapped");
    }
}

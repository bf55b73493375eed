//! Shared by the report importers (darkmoon_import, joe_import, vmray_summary_json_import):
//! reading the uploaded JSON report, and seeing its values the way the reference's Python
//! does (truthiness, `str()`, `strip()`). Reports are free-form, so a title may be a number
//! or a list; the answer must still spell it as the reference did.

use std::collections::{HashMap, HashSet};

use app::{MispAttribute, MispObject, MispTag, ObjectReference};
use serde_json::{Map, Number, Value, json};

use crate::engine::{ModuleError, QueryRequest};
use crate::misp::{ObjectBuilder, new_attribute, new_uuid};
use crate::pycompat::{python_float_repr, python_repr_str};

/// The uploaded report parsed as JSON, `None` when `data` is missing, not base64 or not
/// JSON. A leading UTF-8 byte order mark (editors on Windows add one) is allowed.
pub(super) fn read_report(request: &QueryRequest) -> Option<Value> {
    let bytes = request.import_data()?.ok()?;
    let text = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(&bytes);
    serde_json::from_slice(text).ok()
}

/// Python truthiness of a JSON value.
pub(super) fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(flag) => *flag,
        Value::Number(number) => number.as_f64().is_some_and(|f| f != 0.0),
        Value::String(text) => !text.is_empty(),
        Value::Array(items) => !items.is_empty(),
        Value::Object(map) => !map.is_empty(),
    }
}

/// A field that is present and truthy.
pub(super) fn truthy_field<'a>(
    map: &'a serde_json::Map<String, Value>,
    key: &str,
) -> Option<&'a Value> {
    map.get(key).filter(|value| truthy(value))
}

/// Python's `str()` of a JSON value.
pub(super) fn python_str(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => python_repr(other),
    }
}

/// Python's `repr()`, which `str()` of a container applies to its items.
fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::Number(number) => python_number(number),
        Value::String(text) => python_repr_str(text),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(key, item)| format!("{}: {}", python_repr_str(key), python_repr(item)))
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// A JSON number as Python prints it: integers as digits, floats in `float.__repr__` form.
pub(super) fn python_number(number: &Number) -> String {
    if number.is_f64() {
        python_float_repr(number.as_f64().unwrap_or_default())
    } else {
        number.to_string()
    }
}

pub(super) use crate::pycompat::python_strip;

/// A report value as pymisp stores it in an attribute: text (integers are written out),
/// or a JSON value it keeps as is in its answer (floats, booleans, lists).
pub(super) enum Stored {
    Text(String),
    Raw(Value),
}

/// What pymisp makes of a value given to an object attribute: `None` and text that is
/// empty once stripped (whitespace, then NULs) are skipped.
pub(super) fn stored(value: &Value) -> Option<Stored> {
    match value {
        Value::Null => None,
        Value::String(text) => {
            // Stripped on adding, then again on serialising.
            let clean = python_strip(python_strip(text).trim_matches('\0'));
            (!clean.is_empty()).then(|| Stored::Text(clean.to_owned()))
        }
        Value::Number(number) if !number.is_f64() => Some(Stored::Text(number.to_string())),
        other => Some(Stored::Raw(other.clone())),
    }
}

/// The event an importer fills, answered as pymisp would serialise it. References whose
/// source is created later are kept aside and attached at the end, as the reference does.
#[derive(Default)]
pub(super) struct EventBuilder {
    attributes: Vec<MispAttribute>,
    objects: Vec<MispObject>,
    tags: Vec<String>,
    tag_set: HashSet<String>,
    raw_values: HashMap<String, Value>,
    pending: HashMap<String, Vec<(String, String)>>,
}

impl EventBuilder {
    /// Adds `value` to `object` under `relation` with the attribute type the report
    /// implies; skipped like pymisp skips it. Returns whether something was added.
    pub fn add_value(
        &mut self,
        object: &mut ObjectBuilder,
        relation: &str,
        attribute_type: &str,
        value: &Value,
    ) -> bool {
        let Some(value) = stored(value) else {
            return false;
        };
        let attribute = match value {
            Stored::Text(text) => new_attribute(attribute_type, text),
            Stored::Raw(raw) => {
                let attribute = new_attribute(attribute_type, String::new());
                self.raw_values.insert(attribute.uuid.clone(), raw);
                attribute
            }
        };
        object.add_attribute(relation, attribute);
        true
    }

    /// Adds text the importer composed itself.
    pub fn add_text(
        &mut self,
        object: &mut ObjectBuilder,
        relation: &str,
        attribute_type: &str,
        text: impl Into<String>,
    ) -> bool {
        self.add_value(
            object,
            relation,
            attribute_type,
            &Value::String(text.into()),
        )
    }

    pub fn push_object(&mut self, object: MispObject) {
        self.objects.push(object);
    }

    /// An event-level attribute; its text is stripped as pymisp does when serialising.
    pub fn push_attribute(&mut self, mut attribute: MispAttribute) -> String {
        attribute.value = python_strip(&attribute.value).to_owned();
        let uuid = attribute.uuid.clone();
        self.attributes.push(attribute);
        uuid
    }

    pub fn add_tag(&mut self, name: String) {
        if self.tag_set.insert(name.clone()) {
            self.tags.push(name);
        }
    }

    /// `source` will reference `target` once every object exists.
    pub fn reference_later(&mut self, source: &str, target: &str, relationship: &str) {
        self.pending
            .entry(source.to_owned())
            .or_default()
            .push((target.to_owned(), relationship.to_owned()));
    }

    /// The `results` object: `Attribute`, `Object` and `Tag`, each only when not empty.
    pub fn finish(mut self, clear_to_ids: bool) -> Result<Value, ModuleError> {
        for object in &mut self.objects {
            if let Some(references) = self.pending.remove(&object.uuid) {
                for (target, relationship) in references {
                    object.references.push(ObjectReference {
                        uuid: new_uuid(),
                        object_uuid: object.uuid.clone(),
                        referenced_uuid: target,
                        relationship_type: relationship,
                        comment: None,
                    });
                }
            }
            if clear_to_ids {
                for attribute in &mut object.attributes {
                    attribute.to_ids = false;
                }
            }
        }
        let failed = |e: serde_json::Error| ModuleError::internal(format!("serialising: {e}"));
        let mut results = Map::new();
        if !self.attributes.is_empty() {
            let mut list = serde_json::to_value(&self.attributes).map_err(failed)?;
            restore_raw(&mut list, &self.raw_values);
            results.insert("Attribute".into(), list);
        }
        if !self.objects.is_empty() {
            let mut list = serde_json::to_value(&self.objects).map_err(failed)?;
            if let Some(objects) = list.as_array_mut() {
                for object in objects {
                    restore_raw(&mut object["Attribute"], &self.raw_values);
                }
            }
            results.insert("Object".into(), list);
        }
        if !self.tags.is_empty() {
            let tags: Vec<MispTag> = self.tags.into_iter().map(|name| MispTag { name }).collect();
            results.insert("Tag".into(), serde_json::to_value(tags).map_err(failed)?);
        }
        Ok(json!({ "results": results }))
    }
}

/// Puts back the values pymisp keeps unconverted into serialised attributes.
fn restore_raw(attributes: &mut Value, raw_values: &HashMap<String, Value>) {
    if raw_values.is_empty() {
        return;
    }
    for attribute in attributes.as_array_mut().into_iter().flatten() {
        let raw = attribute["uuid"]
            .as_str()
            .and_then(|uuid| raw_values.get(uuid));
        if let Some(raw) = raw {
            attribute["value"] = raw.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn str_follows_python() {
        assert_eq!(python_str(&json!(9.8)), "9.8");
        assert_eq!(python_str(&json!(10.0)), "10.0");
        assert_eq!(python_str(&json!(1e16)), "1e+16");
        assert_eq!(python_str(&json!(0.000015)), "1.5e-05");
        assert_eq!(python_str(&json!(0.0001)), "0.0001");
        assert_eq!(python_str(&json!(-3)), "-3");
        assert_eq!(python_str(&json!(null)), "None");
        assert_eq!(python_str(&json!(["a", 1, true])), "['a', 1, True]");
        assert_eq!(
            python_str(&json!({"k": "v", "n": null})),
            "{'k': 'v', 'n': None}"
        );
    }

    #[test]
    fn truthiness_and_strip() {
        assert!(!truthy(&json!(0.0)) && !truthy(&json!("")) && !truthy(&json!([])));
        assert!(truthy(&json!("0")) && truthy(&json!(-1)) && truthy(&json!({"a": 1})));
        assert_eq!(python_strip("\x1f  text \u{3000}"), "text");
    }
}

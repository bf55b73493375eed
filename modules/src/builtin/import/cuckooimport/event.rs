//! The objects the import accumulates, with what plain `MispObject`s cannot carry: an
//! object comment and attribute values pymisp sends as JSON numbers or booleans.

use app::{MispAttribute, MispObject, ObjectReference};
use serde_json::{Value, json};

use super::values::attribute_value;
use crate::builtin::import::binary_file::{PeObjects, pymisp_file_values, section_json};
use crate::engine::ModuleError;
use crate::misp::{ObjectBuilder, new_attribute, new_uuid};

pub struct Object {
    pub object: MispObject,
    pub comment: Option<String>,
    /// Attribute uuid → the value as it goes on the wire when it is not text.
    typed: Vec<(String, Value)>,
    /// Fields pymisp serialises beyond the MISP object's own (a pe object's `sections`).
    extra: Vec<(String, Value)>,
}

impl Object {
    pub fn from_builder(builder: Builder) -> Self {
        Self {
            object: builder.builder.build(),
            comment: builder.comment,
            typed: builder.typed,
            extra: Vec::new(),
        }
    }

    /// A sample's pe object and its sections, serialised as pymisp serialises them.
    pub fn from_pe(pe: PeObjects) -> Result<Vec<Self>, ModuleError> {
        let sections: Vec<Value> = pe
            .sections
            .iter()
            .map(section_json)
            .collect::<Result<_, _>>()?;
        let mut objects = vec![Self {
            object: pe.pe,
            comment: None,
            typed: Vec::new(),
            extra: vec![("sections".to_owned(), Value::Array(sections.clone()))],
        }];
        for (object, json) in pe.sections.into_iter().zip(sections) {
            // The entropy goes out as the float it is in the serialised copy.
            let typed = object
                .attributes
                .iter()
                .filter(|a| a.object_relation.as_deref() == Some("entropy"))
                .filter_map(|a| {
                    let value = json["Attribute"]
                        .as_array()?
                        .iter()
                        .find(|j| j["uuid"] == a.uuid.as_str())?["value"]
                        .clone();
                    Some((a.uuid.clone(), value))
                })
                .collect();
            objects.push(Self {
                object,
                comment: None,
                typed,
                extra: Vec::new(),
            });
        }
        Ok(objects)
    }

    pub fn uuid(&self) -> &str {
        &self.object.uuid
    }

    /// Whether this is a `name` object with `relation` holding `value` (compared as text,
    /// as the reference compares them).
    pub fn has(&self, name: &str, relation: &str, value: &str) -> bool {
        self.object.name == name
            && self
                .object
                .attributes
                .iter()
                .any(|a| a.object_relation.as_deref() == Some(relation) && a.value == value)
    }

    pub fn refer(&mut self, referenced_uuid: &str, relationship: &str) {
        self.object.references.push(ObjectReference {
            uuid: new_uuid(),
            object_uuid: self.object.uuid.clone(),
            referenced_uuid: referenced_uuid.to_owned(),
            relationship_type: relationship.to_owned(),
            comment: None,
        });
    }

    pub fn into_json(self) -> Result<Value, ModuleError> {
        let mut value = serde_json::to_value(&self.object)
            .map_err(|e| ModuleError::internal(format!("cuckoo object: {e}")))?;
        if self.object.name == "file" {
            pymisp_file_values(&mut value);
        }
        if let Some(attributes) = value.get_mut("Attribute").and_then(Value::as_array_mut) {
            for attribute in attributes {
                if let Some((_, typed)) = self.typed.iter().find(|(uuid, _)| {
                    attribute.get("uuid").and_then(Value::as_str) == Some(uuid.as_str())
                }) {
                    attribute["value"] = typed.clone();
                }
            }
        }
        if let (Some(comment), Some(map)) = (self.comment, value.as_object_mut()) {
            map.insert("comment".to_owned(), json!(comment));
        }
        if let Some(map) = value.as_object_mut() {
            map.extend(self.extra);
        }
        Ok(value)
    }
}

/// An object being filled the way pymisp's `add_attribute` fills one.
pub struct Builder {
    pub builder: ObjectBuilder,
    comment: Option<String>,
    typed: Vec<(String, Value)>,
}

impl Builder {
    pub fn new(template: &str) -> Result<Self, ModuleError> {
        Ok(Self::wrap(ObjectBuilder::new(template)?))
    }

    pub fn wrap(builder: ObjectBuilder) -> Self {
        Self {
            builder,
            comment: None,
            typed: Vec::new(),
        }
    }

    pub fn uuid(&self) -> &str {
        self.builder.uuid()
    }

    pub fn set_comment(&mut self, comment: &str) {
        self.comment = Some(comment.to_owned());
    }

    /// Adds a report value under `relation`, typed by the template; `None` when pymisp
    /// would have skipped it (null or blank).
    pub fn add(&mut self, relation: &str, value: &Value) -> Result<Option<String>, ModuleError> {
        let Some((text, typed)) = attribute_value(value) else {
            return Ok(None);
        };
        self.builder.add(relation, text)?;
        Ok(self.last_added(typed))
    }

    pub fn add_text(&mut self, relation: &str, text: &str) -> Result<Option<String>, ModuleError> {
        self.add(relation, &Value::String(text.to_owned()))
    }

    /// Adds an attribute of a type the caller names, then lets `adjust` set what the
    /// reference passes explicitly (category, comment, data): that wins over the template.
    pub fn add_typed(
        &mut self,
        relation: &str,
        attribute_type: &str,
        value: &Value,
        adjust: impl FnOnce(&mut MispAttribute),
    ) -> Option<String> {
        let (text, typed) = attribute_value(value)?;
        let attribute = new_attribute(attribute_type, text);
        let uuid = attribute.uuid.clone();
        self.builder.add_attribute(relation, attribute);
        self.builder.edit_last(adjust);
        if let Some(typed) = typed {
            self.typed.push((uuid.clone(), typed));
        }
        Some(uuid)
    }

    fn last_added(&mut self, typed: Option<Value>) -> Option<String> {
        let mut uuid = None;
        self.builder
            .edit_last(|last| uuid = Some(last.uuid.clone()));
        if let (Some(uuid), Some(typed)) = (&uuid, typed) {
            self.typed.push((uuid.clone(), typed));
        }
        uuid
    }
}

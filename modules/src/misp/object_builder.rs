//! Builds MISP objects and attributes with the defaults pymisp would give them.

use std::sync::Arc;

use app::{MispAttribute, MispObject, ObjectReference};
use serde_json::{Map, Value};

use super::{ObjectTemplate, template, type_defaults};
use crate::engine::ModuleError;

pub fn new_uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// A stand-alone attribute with the describeTypes defaults of its type.
pub fn new_attribute(attribute_type: &str, value: impl Into<String>) -> MispAttribute {
    let (category, to_ids) = match type_defaults(attribute_type) {
        Some(defaults) => (defaults.default_category.clone(), defaults.to_ids),
        None => ("Other".to_owned(), false),
    };
    MispAttribute {
        uuid: new_uuid(),
        tags: Vec::new(),
        object_relation: None,
        attribute_type: attribute_type.to_owned(),
        value: value.into(),
        category,
        to_ids,
        disable_correlation: false,
        comment: None,
        extra: Map::new(),
    }
}

/// An object under construction, from a misp-objects template when one has its name.
pub struct ObjectBuilder {
    template: Option<Arc<ObjectTemplate>>,
    object: MispObject,
    /// JSON values written instead of an attribute's text, by attribute index (see
    /// `keep_last_value`).
    raw_values: Vec<(usize, Value)>,
}

impl ObjectBuilder {
    /// An object of a template that must exist (modules name their templates).
    pub fn new(template_name: &str) -> Result<Self, ModuleError> {
        if template(template_name).is_none() {
            return Err(ModuleError::internal(format!(
                "no object template {template_name}"
            )));
        }
        Ok(Self::named(template_name))
    }

    /// An object of any name; without a template it carries only its name and attributes.
    pub fn named(name: &str) -> Self {
        let template = template(name);
        let object = MispObject {
            name: name.to_owned(),
            meta_category: template.as_ref().map(|t| t.meta_category.clone()),
            description: template.as_ref().map(|t| t.description.clone()),
            template_uuid: template.as_ref().map(|t| t.uuid.clone()),
            template_version: template.as_ref().map(|t| t.version.to_string()),
            uuid: new_uuid(),
            comment: None,
            distribution: "5".to_owned(),
            sharing_group_id: "0".to_owned(),
            attributes: Vec::new(),
            references: Vec::new(),
        };
        Self {
            template,
            object,
            raw_values: Vec::new(),
        }
    }

    pub fn uuid(&self) -> &str {
        &self.object.uuid
    }

    /// The object's own comment (pymisp's `MISPObject.comment`).
    pub fn set_comment(&mut self, comment: &str) -> &mut Self {
        self.object.comment = Some(comment.to_owned());
        self
    }

    pub fn set_uuid(&mut self, uuid: &str) -> &mut Self {
        self.object.uuid = uuid.to_owned();
        self
    }

    /// Adds `value` under `relation`, typed and defaulted by the template (then by
    /// describeTypes). A relation the template lacks is a bug in the module.
    pub fn add(
        &mut self,
        relation: &str,
        value: impl Into<String>,
    ) -> Result<&mut Self, ModuleError> {
        let known = self
            .template
            .as_ref()
            .and_then(|t| t.attributes.get(relation));
        let Some(definition) = known else {
            return Err(ModuleError::internal(format!(
                "template {} has no relation {relation}",
                self.object.name
            )));
        };
        let attribute = new_attribute(&definition.misp_attribute, value);
        self.push(relation, attribute);
        Ok(self)
    }

    /// Adds an attribute whose type the caller chose (imports name it in the file); the
    /// template still supplies its flags when it knows the relation.
    pub fn add_attribute(&mut self, relation: &str, attribute: MispAttribute) -> &mut Self {
        self.push(relation, attribute);
        self
    }

    /// Sets the comment of the attribute added last (pymisp's `add_attribute(..., comment=)`).
    pub fn set_last_comment(&mut self, comment: impl Into<String>) -> &mut Self {
        if let Some(last) = self.object.attributes.last_mut() {
            last.comment = Some(comment.into());
        }
        self
    }

    /// Changes the attribute added last, once the template has set its flags (pymisp lets
    /// fields passed to `add_attribute` override the template's).
    pub fn edit_last(&mut self, edit: impl FnOnce(&mut MispAttribute)) -> &mut Self {
        if let Some(last) = self.object.attributes.last_mut() {
            edit(last);
        }
        self
    }

    /// The attribute added last, to set what pymisp's `add_attribute` takes as keywords
    /// (an explicit `to_ids`, `category` or tags) over the template defaults.
    pub fn last_attribute_mut(&mut self) -> Option<&mut MispAttribute> {
        self.object.attributes.last_mut()
    }

    /// Writes the attribute added last with `value` as its JSON `value` instead of its
    /// text, when that attribute has `relation`: pymisp keeps a float it was given as
    /// that number, where everything else becomes text. Only `build_json` writes it.
    pub fn keep_last_value(&mut self, relation: &str, value: Value) -> &mut Self {
        let last = self.object.attributes.len().checked_sub(1);
        let matches = |index: &usize| {
            self.object
                .attributes
                .get(*index)
                .and_then(|a| a.object_relation.as_deref())
                == Some(relation)
        };
        if let Some(index) = last.filter(matches) {
            self.raw_values.push((index, value));
        }
        self
    }

    fn push(&mut self, relation: &str, mut attribute: MispAttribute) {
        if let Some(definition) = self
            .template
            .as_ref()
            .and_then(|t| t.attributes.get(relation))
        {
            if let Some(to_ids) = definition.to_ids {
                attribute.to_ids = to_ids;
            }
            if let Some(disable) = definition.disable_correlation {
                attribute.disable_correlation = disable;
            }
            // pymisp takes the first category a template entry lists as its default.
            if let Some(first) = definition.categories.first() {
                attribute.category = first.clone();
            }
        }
        attribute.object_relation = Some(relation.to_owned());
        self.object.attributes.push(attribute);
    }

    /// Records that this object `relationship` the thing with `referenced_uuid`.
    pub fn reference(&mut self, referenced_uuid: &str, relationship: &str) -> &mut Self {
        self.reference_with_comment(referenced_uuid, relationship, None)
    }

    /// A reference that also says why it exists (pymisp's `add_reference(..., comment)`).
    pub fn reference_with_comment(
        &mut self,
        referenced_uuid: &str,
        relationship: &str,
        comment: Option<&str>,
    ) -> &mut Self {
        let reference = ObjectReference {
            uuid: new_uuid(),
            object_uuid: self.object.uuid.clone(),
            referenced_uuid: referenced_uuid.to_owned(),
            relationship_type: relationship.to_owned(),
            comment: comment.map(str::to_owned),
        };
        self.object.references.push(reference);
        self
    }

    /// The object, every value as text. An object with kept JSON values must be
    /// written with `build_json`.
    pub fn build(self) -> MispObject {
        debug_assert!(
            self.raw_values.is_empty(),
            "kept JSON values are only written by build_json"
        );
        self.object
    }

    /// The object as JSON, with the values kept by `keep_last_value`.
    pub fn build_json(self) -> Result<Value, ModuleError> {
        let mut json = serde_json::to_value(&self.object)
            .map_err(|e| ModuleError::internal(format!("object {}: {e}", self.object.name)))?;
        let attributes = json.get_mut("Attribute").and_then(Value::as_array_mut);
        if let Some(attributes) = attributes {
            for (index, value) in self.raw_values {
                if let Some(attribute) = attributes.get_mut(index).and_then(Value::as_object_mut) {
                    attribute.insert("value".to_owned(), value);
                }
            }
        }
        Ok(json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_take_template_then_type_defaults() {
        let mut builder = ObjectBuilder::new("url").unwrap();
        builder
            .add("port", "8080")
            .unwrap()
            .add("host", "www.example.com")
            .unwrap();
        builder.reference("attr-uuid", "derived-from");
        let object = builder.build();
        assert_eq!(object.template_version.as_deref(), Some("10"));
        let port = &object.attributes[0];
        assert_eq!(
            (port.attribute_type.as_str(), port.category.as_str()),
            ("port", "Network activity")
        );
        assert!(port.disable_correlation && !port.to_ids);
        let host = &object.attributes[1];
        assert_eq!(host.attribute_type, "hostname");
        assert!(host.to_ids && !host.disable_correlation);
        assert_eq!(object.references[0].object_uuid, object.uuid);
        let json = serde_json::to_value(&object.references[0]).unwrap();
        assert!(json.get("comment").is_none());
    }

    #[test]
    fn references_can_carry_a_comment() {
        let mut builder = ObjectBuilder::new("email").unwrap();
        builder.reference_with_comment("other", "includes", Some("Email attachment"));
        let json = serde_json::to_value(&builder.build().references[0]).unwrap();
        assert_eq!(json["comment"], "Email attachment");
        assert_eq!(json["relationship_type"], "includes");
    }

    #[test]
    fn unknown_relations_and_templates() {
        let mut builder = ObjectBuilder::new("url").unwrap();
        assert!(builder.add("no-such-relation", "x").is_err());
        assert!(ObjectBuilder::new("no-such-template").is_err());
        let free = ObjectBuilder::named("my-own-object").build();
        assert!(free.template_uuid.is_none() && free.meta_category.is_none());
    }

    #[test]
    fn kept_json_values_replace_the_text_in_build_json() {
        let mut builder = ObjectBuilder::new("sigmf-expanded-recording").unwrap();
        builder.add_attribute("sample_rate", new_attribute("float", "1000000.0"));
        builder.keep_last_value("sample_rate", serde_json::json!(1000000.0));
        builder.add_attribute("author", new_attribute("text", "me"));
        // Not the last attribute's relation: nothing is kept.
        builder.keep_last_value("sample_rate", serde_json::json!(2.5));
        let json = builder.build_json().unwrap();
        assert_eq!(json["Attribute"][0]["value"], serde_json::json!(1000000.0));
        assert_eq!(json["Attribute"][1]["value"], "me");
        assert_eq!(json["Attribute"][0]["object_relation"], "sample_rate");
    }
}

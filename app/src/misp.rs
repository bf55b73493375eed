//! MISP attributes and objects as they appear in misp_standard answers.
//!
//! Field order follows what pymisp serialises, so answers read the same as the
//! reference's; optional fields are left out rather than sent as null.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// A tag on an attribute or event: `{"name": "tlp:white"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MispTag {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MispAttribute {
    pub uuid: String,
    #[serde(rename = "Tag", skip_serializing_if = "Vec::is_empty", default)]
    pub tags: Vec<MispTag>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub object_relation: Option<String>,
    #[serde(rename = "type")]
    pub attribute_type: String,
    pub value: String,
    pub category: String,
    pub to_ids: bool,
    pub disable_correlation: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub comment: Option<String>,
    /// Further attribute fields some modules set (`first_seen`, `date`, ...).
    #[serde(flatten)]
    pub extra: Map<String, Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectReference {
    pub uuid: String,
    pub object_uuid: String,
    pub referenced_uuid: String,
    pub relationship_type: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MispObject {
    pub name: String,
    /// The template fields are absent for an object whose name matches no template.
    #[serde(
        rename = "meta-category",
        skip_serializing_if = "Option::is_none",
        default
    )]
    pub meta_category: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub template_uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub template_version: Option<String>,
    pub uuid: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub comment: Option<String>,
    pub distribution: String,
    pub sharing_group_id: String,
    #[serde(rename = "Attribute")]
    pub attributes: Vec<MispAttribute>,
    #[serde(
        rename = "ObjectReference",
        skip_serializing_if = "Vec::is_empty",
        default
    )]
    pub references: Vec<ObjectReference>,
}

/// `{"Attribute": [...], "Object": [...]}`, the `results` of a misp_standard answer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct StandardResults {
    #[serde(rename = "Attribute", skip_serializing_if = "Vec::is_empty", default)]
    pub attributes: Vec<MispAttribute>,
    #[serde(rename = "Object", skip_serializing_if = "Vec::is_empty", default)]
    pub objects: Vec<MispObject>,
}

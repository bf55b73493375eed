//! MISP reference data (attribute types, object templates) and the object builder.

mod describe_types;
mod object_builder;
mod templates;

pub use describe_types::{
    TypeDefaults, category_allows, is_attribute_type, is_category, type_defaults,
};
pub use object_builder::{ObjectBuilder, new_attribute, new_uuid};
pub use templates::{ObjectTemplate, TemplateAttribute, template};

//! Turns checked rows into MISP attributes and objects.

use std::collections::HashMap;

use app::{MispAttribute, MispTag, StandardResults};
use serde_json::Value;

use super::header::{Header, HeaderKind};
use super::rows::Row;
use crate::engine::ModuleError;
use crate::misp::{ObjectBuilder, category_allows, is_attribute_type, new_attribute};

/// Attribute fields an external CSV may carry beside its typed columns.
const EXTERNAL_FIELDS: [&str; 8] = [
    "uuid",
    "category",
    "type",
    "value",
    "comment",
    "to_ids",
    "date",
    "object_relation",
];

pub fn build(header: &Header, rows: &[Row]) -> Result<StandardResults, ModuleError> {
    match header.kind {
        HeaderKind::External => external(header, rows),
        HeaderKind::MispExport => misp_export(header, rows),
    }
}

/// Applies the optional attribute fields (`uuid`, `category`, `to_ids`, ...) of a row.
fn apply_fields(attribute: &mut MispAttribute, fields: &[(&str, &str)]) {
    for (field, value) in fields {
        match *field {
            "uuid" => attribute.uuid = (*value).to_owned(),
            "category" => {
                // MISP's categories are capitalised; "network activity" still means it.
                let candidates = [(*value).to_owned(), capitalize(value)];
                if let Some(category) = candidates
                    .iter()
                    .find(|c| category_allows(c, &attribute.attribute_type))
                {
                    attribute.category = category.clone();
                }
            }
            "to_ids" => attribute.to_ids = *value == "1",
            "comment" => attribute.comment = Some((*value).to_owned()),
            "object_relation" => attribute.object_relation = Some((*value).to_owned()),
            "attribute_tag" => {
                attribute.tags = value
                    .split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(|name| MispTag {
                        name: name.to_owned(),
                    })
                    .collect();
            }
            "date" => {
                attribute
                    .extra
                    .insert("date".to_owned(), Value::String((*value).to_owned()));
            }
            _ => {}
        }
    }
}

/// Python's `str.capitalize`.
fn capitalize(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first
            .to_uppercase()
            .chain(chars.flat_map(char::to_lowercase))
            .collect(),
        None => String::new(),
    }
}

/// One attribute per typed column per row; the other named columns fill its fields.
fn external(header: &Header, rows: &[Row]) -> Result<StandardResults, ModuleError> {
    let field_columns: Vec<(usize, &str)> = header
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| EXTERNAL_FIELDS.contains(&f.as_str()))
        .map(|(i, f)| (i, f.as_str()))
        .collect();
    let type_columns: Vec<(usize, &str)> = header
        .fields
        .iter()
        .enumerate()
        .filter(|(_, f)| is_attribute_type(f) && !EXTERNAL_FIELDS.contains(&f.as_str()))
        .map(|(i, f)| (i, f.as_str()))
        .collect();
    let mut results = StandardResults::default();
    for (number, row) in rows.iter().enumerate() {
        // A row too short for its field columns is skipped, as the reference does.
        if field_columns.iter().any(|(i, _)| *i >= row.len()) {
            continue;
        }
        let fields: Vec<(&str, &str)> = field_columns
            .iter()
            .map(|(i, f)| (*f, row[*i].as_str()))
            .filter(|(_, v)| !v.is_empty())
            .collect();
        for (column, attribute_type) in &type_columns {
            let value = row.get(*column).ok_or_else(|| {
                ModuleError::reported(format!(
                    "Row {} has {} columns, fewer than the header names",
                    number + 1,
                    row.len()
                ))
            })?;
            if value.is_empty() {
                continue;
            }
            let mut attribute = new_attribute(attribute_type, value.clone());
            apply_fields(&mut attribute, &fields);
            results.attributes.push(attribute);
        }
    }
    Ok(results)
}

/// CSV exported from MISP: one attribute per row, grouped into objects by object id.
fn misp_export(header: &Header, rows: &[Row]) -> Result<StandardResults, ModuleError> {
    const ATTRIBUTE_FIELDS: [&str; 9] = [
        "uuid",
        "category",
        "type",
        "value",
        "comment",
        "to_ids",
        "date",
        "object_relation",
        "attribute_tag",
    ];
    const OBJECT_FIELDS: [&str; 4] = [
        "object_id",
        "object_uuid",
        "object_name",
        "object_meta_category",
    ];
    let object_id = header
        .position("object_uuid")
        .or_else(|| header.position("object_id"));
    let object_name = header.position("object_name");
    let object_columns: Vec<usize> = OBJECT_FIELDS
        .iter()
        .filter_map(|f| header.position(f))
        .collect();
    if !object_columns.is_empty() {
        let identified = object_id.is_some() && object_name.is_some();
        let used = rows.iter().any(|row| {
            object_columns
                .iter()
                .any(|i| row.get(*i).is_some_and(|v| !v.is_empty()))
        });
        if !identified && used {
            return Err(ModuleError::reported(
                "It is not possible to import MISP objects from your csv file if you do not specify any object identifier and object name to separate each object from each other.",
            ));
        }
        if header.position("object_relation").is_none() {
            return Err(ModuleError::reported(
                "In order to import MISP objects, an object relation for each attribute contained in an object is required.",
            ));
        }
    }
    let mut results = StandardResults::default();
    let mut objects: Vec<ObjectBuilder> = Vec::new();
    let mut object_index: HashMap<String, usize> = HashMap::new();
    for (number, row) in rows.iter().enumerate() {
        let cell = |field: &str| {
            header
                .position(field)
                .and_then(|i| row.get(i))
                .map(String::as_str)
                .filter(|v| !v.is_empty())
        };
        let (Some(attribute_type), Some(value)) = (cell("type"), cell("value")) else {
            return Err(ModuleError::reported(format!(
                "Row {} has no type or no value",
                number + 1
            )));
        };
        if !is_attribute_type(attribute_type) {
            return Err(ModuleError::reported(format!(
                "Row {}: {attribute_type} is not a MISP attribute type",
                number + 1
            )));
        }
        let mut attribute = new_attribute(attribute_type, value);
        let fields: Vec<(&str, &str)> = ATTRIBUTE_FIELDS
            .iter()
            .filter(|f| !matches!(**f, "type" | "value"))
            .filter_map(|f| cell(f).map(|v| (*f, v)))
            .collect();
        apply_fields(&mut attribute, &fields);
        let id = object_id.and_then(|i| row.get(i)).filter(|v| !v.is_empty());
        let Some(id) = id else {
            results.attributes.push(attribute);
            continue;
        };
        let relation = attribute.object_relation.clone().ok_or_else(|| {
            ModuleError::reported(format!(
                "Row {} belongs to an object but has no object_relation",
                number + 1
            ))
        })?;
        let position = *object_index.entry(id.clone()).or_insert_with(|| {
            let mut builder = ObjectBuilder::named(cell("object_name").unwrap_or("misc"));
            if header.position("object_uuid").is_some() {
                builder.set_uuid(id);
            }
            objects.push(builder);
            objects.len() - 1
        });
        objects[position].add_attribute(&relation, attribute);
    }
    results.objects = objects.into_iter().map(ObjectBuilder::build).collect();
    Ok(results)
}

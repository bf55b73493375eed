//! `csvimport`: CSV rows to MISP attributes (and objects), with the columns described by
//! a header of MISP attribute types or MISP CSV export fields.

mod build;
mod header;
mod rows;
mod settings;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

pub struct CsvImport(ModuleDescriptor);

impl CsvImport {
    pub fn new() -> Self {
        Self(descriptor(
            "csvimport",
            ModuleType::Import,
            json!({
                "userConfig": {
                    "header": {"type": "String", "message": "The header of the CSV data: MISP attribute types or attribute fields, separated by commas. Leave a column empty (or a space) to skip it. Example: ip-src,domain, ,timestamp"},
                    "has_header": {"type": "Boolean", "message": "Tick this box if the first line of the file is a header line that follows the rules above."},
                    "special_delimiter": {"type": "String", "message": "The delimiter, if it is not a comma (for instance ; or | or \\t for tabs)."}
                },
                "inputSource": ["file"],
                "format": "misp_standard"
            }),
            json!({
                "version": "0.2",
                "author": "misp-modules-stack",
                "description": "Imports CSV data as MISP attributes and objects, typed by a header of MISP attribute types or MISP CSV export fields.",
                "module-type": ["import"],
                "name": "CSV Import",
                "config": [],
                "input": "CSV text; lines starting with # are comments.",
                "output": "MISP attributes, and objects for CSV exported from MISP with object columns."
            }),
        ))
    }
}

#[async_trait]
impl Module for CsvImport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let bytes = match request.import_data() {
            None => return Err(ModuleError::reported("Unsupported attributes type")),
            Some(decoded) => decoded?,
        };
        if bytes.is_empty() {
            return Err(ModuleError::reported("Unsupported attributes type"));
        }
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| ModuleError::reported("Input is not valid UTF-8"))?;
        // A byte-order mark from a spreadsheet export is not part of the first column.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let settings = settings::CsvSettings::from_request(&request)?;
        let mut rows = rows::split_rows(text, &settings.delimiter)?;
        let header = header::resolve(&settings, &mut rows)?;
        let results = build::build(&header, &rows)?;
        Ok(json!({"results": results}))
    }
}

#[cfg(test)]
mod tests;

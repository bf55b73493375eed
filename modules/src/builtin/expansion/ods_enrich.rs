//! `ods_enrich`: the cells of a .ods spreadsheet attachment as text, sheet by
//! sheet, printed as tables.

use app::ModuleDescriptor;
use async_trait::async_trait;
use serde_json::Value;

use super::office::{document_attachment, document_descriptor, text_answer};
use super::sheets::workbook_text;
use crate::engine::{Module, ModuleError, QueryRequest};

pub struct OdsEnrich(ModuleDescriptor);

impl OdsEnrich {
    pub fn new() -> Self {
        Self(document_descriptor("ods_enrich", "ods", "ODS Enrich"))
    }
}

#[async_trait]
impl Module for OdsEnrich {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let (filename, bytes) = document_attachment(&request)?;
        let text = workbook_text(&bytes, "ods")?;
        Ok(text_answer("ods", &filename, &text))
    }
}

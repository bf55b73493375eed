//! `xlsx_enrich`: the cells of a .xlsx spreadsheet attachment as text, sheet by
//! sheet, printed as tables.

use app::ModuleDescriptor;
use async_trait::async_trait;
use serde_json::Value;

use super::office::{document_attachment, document_descriptor, text_answer};
use super::sheets::workbook_text;
use crate::engine::{Module, ModuleError, QueryRequest};

pub struct XlsxEnrich(ModuleDescriptor);

impl XlsxEnrich {
    pub fn new() -> Self {
        // The title keeps the reference's spelling, which MISP displays.
        Self(document_descriptor("xlsx_enrich", "xlsx", "XLXS Enrich"))
    }
}

#[async_trait]
impl Module for XlsxEnrich {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let (filename, bytes) = document_attachment(&request)?;
        let text = workbook_text(&bytes, "xlsx")?;
        Ok(text_answer("xlsx", &filename, &text))
    }
}

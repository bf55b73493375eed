//! `ocr`: imports the text recognised in an uploaded picture or scanned PDF as one freetext
//! attribute. Needs the local `tesseract` program, and `pdftoppm` (poppler-utils) for PDFs.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use crate::builtin::external_tools::{PROGRAM_TIMEOUT, normalise_image, require, run, tesseract};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

/// Pages rendered and read at most, so one huge scan cannot hold the server for hours.
const MAX_PAGES: usize = 50;
/// Rendering resolution for PDF pages: what tesseract reads best.
const PAGE_DPI: &str = "300";

pub struct Ocr(ModuleDescriptor);

impl Ocr {
    pub fn new() -> Self {
        Self(descriptor(
            "ocr",
            ModuleType::Import,
            json!({"userConfig": {}, "inputSource": ["file"]}),
            json!({
                "version": "0.2",
                "author": "misp-modules-stack",
                "description": "Recognises the text of an uploaded image or scanned PDF and imports it as freetext.",
                "module-type": ["import"],
                "name": "OCR Import",
                "config": [],
                "requirements": ["tesseract", "pdftoppm (poppler-utils), for PDF files"],
                "features": "Pictures are decoded natively; PDF pages are rendered one by one with pdftoppm. Every program runs with a time limit and is stopped when the query ends.",
                "input": "An image or PDF file.",
                "output": "One freetext attribute with the recognised text."
            }),
        ))
    }
}

/// The text of every page of a PDF, pages in order.
async fn pdf_text(pdf: &[u8]) -> Result<String, ModuleError> {
    let count = pdf_extract::Document::load_mem(pdf)
        .map_err(|e| ModuleError::reported(format!("Corrupt PDF file: {e}")))?
        .get_pages()
        .len();
    if count > MAX_PAGES {
        return Err(ModuleError::reported(format!(
            "The PDF has {count} pages; OCR is limited to {MAX_PAGES} pages per file."
        )));
    }
    let pdftoppm = require("pdftoppm", "Reading a PDF with OCR")?;
    let mut text = String::new();
    for page in 1..=count {
        let page = page.to_string();
        let args = [
            "-png",
            "-r",
            PAGE_DPI,
            "-f",
            &page,
            "-l",
            &page,
            "-singlefile",
            "-",
        ];
        let png = run(&pdftoppm, &args, pdf, PROGRAM_TIMEOUT).await?;
        text.push_str(&tesseract(&png).await?);
    }
    Ok(text)
}

#[async_trait]
impl Module for Ocr {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let bytes = request.import_data().ok_or_else(|| {
            ModuleError::reported("The \"data\" field with the uploaded file is missing")
        })??;
        let text = if bytes.starts_with(b"%PDF-") {
            pdf_text(&bytes).await?
        } else {
            let png = tokio::task::spawn_blocking(move || normalise_image(&bytes))
                .await
                .map_err(|e| ModuleError::internal(format!("image decoding stopped: {e}")))?
                .ok_or_else(|| ModuleError::reported("Corrupt or not an image file."))?;
            tesseract(&png).await?
        };
        Ok(json!({"results": [{"values": text, "types": ["freetext"]}]}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::external_tools::available_or_skip;
    use crate::builtin::testing::{query, reported};
    use base64::Engine as _;

    fn body(bytes: &[u8]) -> Value {
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        json!({"module": "ocr", "data": data, "config": {}})
    }

    #[tokio::test]
    async fn a_picture() {
        let png = include_bytes!("../testdata/ocr-text.png");
        let result = query(&Ocr::new(), body(png)).await;
        if !available_or_skip("tesseract", "ocr::a_picture") {
            assert!(reported(result).contains("`tesseract`"));
            return;
        }
        assert_eq!(
            result.unwrap(),
            json!({"results": [{"values": "Callback to evil.example.com\nBeacon 198.51.100.7\n", "types": ["freetext"]}]})
        );
    }

    #[tokio::test]
    async fn a_scanned_pdf_page_by_page() {
        let pdf = include_bytes!("../testdata/two-pages.pdf");
        let result = query(&Ocr::new(), body(pdf)).await;
        if !available_or_skip("pdftoppm", "ocr::a_scanned_pdf_page_by_page") {
            assert!(reported(result).contains("`pdftoppm`"));
            return;
        }
        if !available_or_skip("tesseract", "ocr::a_scanned_pdf_page_by_page") {
            assert!(reported(result).contains("`tesseract`"));
            return;
        }
        let answer = result.unwrap();
        let text = answer["results"][0]["values"].as_str().unwrap();
        let first = text.find("Visit evil.example.com today").unwrap();
        let second = text.find("Page two: 198.51.100.7").unwrap();
        assert!(first < second, "{text}");
    }

    #[tokio::test]
    async fn not_a_picture() {
        let module = Ocr::new();
        assert_eq!(
            reported(query(&module, body(b"hello")).await),
            "Corrupt or not an image file."
        );
        assert!(
            reported(query(&module, body(b"%PDF-1.7 broken")).await)
                .starts_with("Corrupt PDF file: ")
        );
        assert_eq!(
            reported(query(&module, json!({"module": "ocr"})).await),
            "The \"data\" field with the uploaded file is missing"
        );
    }
}

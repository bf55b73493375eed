//! `pdf_enrich`: the text of a PDF attachment, laid out as poppler's pdftotext lays it
//! out (each page ending with a form feed, pages separated by a blank line), for the
//! freetext parser to find indicators in. Extraction is native (see `parse::pdf_text`).

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::office::document_attachment;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

pub struct PdfEnrich(ModuleDescriptor);

impl PdfEnrich {
    pub fn new() -> Self {
        Self(descriptor(
            "pdf_enrich",
            ModuleType::Expansion,
            json!({"input": ["attachment"], "output": ["freetext", "text"]}),
            json!({
                "version": "0.1",
                "author": "misp-modules-stack",
                "description": "Extracts the text of a PDF attachment so the freetext parser can pick indicators out of it.",
                "module-type": ["expansion"],
                "name": "PDF Enrich",
                "config": [],
                "requirements": [],
                "features": "Reads the PDF natively, page by page; no poppler or other local program is needed.",
                "input": "An attachment attribute holding a PDF document.",
                "output": "The document's text as freetext."
            }),
        ))
    }
}

fn analyze_error(detail: impl std::fmt::Display) -> ModuleError {
    ModuleError::reported(format!("Couldn't analyze file as PDF. Error was: {detail}"))
}

/// The text of each page. Runs off the async workers because extraction is CPU-bound, and
/// because a malformed file can make the parser panic: the panic stays in that thread and
/// becomes an error for this query only.
async fn page_texts(bytes: Vec<u8>) -> Result<Vec<String>, ModuleError> {
    if !bytes.windows(5).take(1024).any(|w| w == b"%PDF-") {
        return Err(analyze_error("the file is not a PDF document"));
    }
    tokio::task::spawn_blocking(move || crate::parse::pdf_text::pdf_page_texts(&bytes))
        .await
        .map_err(|_| analyze_error("the PDF structure could not be read"))?
        .map_err(analyze_error)
}

#[async_trait]
impl Module for PdfEnrich {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let (filename, bytes) = document_attachment(&request)?;
        let pages = page_texts(bytes).await?;
        Ok(json!({"results": [{
            "types": ["freetext"],
            "values": pages.join("\n\n"),
            "comment": format!("PDF-to-text from file {filename}"),
        }]}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{query, reported};
    use base64::Engine as _;

    const TWO_PAGES: &[u8] = include_bytes!("../testdata/two-pages.pdf");

    fn body(bytes: &[u8]) -> Value {
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        json!({"module": "pdf_enrich", "attachment": "report.pdf", "data": data})
    }

    #[tokio::test]
    async fn text_of_every_page() {
        let answer = query(&PdfEnrich::new(), body(TWO_PAGES)).await.unwrap();
        let result = &answer["results"][0];
        assert_eq!(result["types"], json!(["freetext"]));
        assert_eq!(result["comment"], "PDF-to-text from file report.pdf");
        assert_eq!(
            result["values"],
            "Visit evil.example.com today\nSecond line\n\n\u{c}\n\nPage two: 198.51.100.7\n\n\u{c}"
        );
        assert_eq!(answer["results"].as_array().unwrap().len(), 1);
    }

    /// The reference's answers (poppler's pdftotext) for PDFs that reportlab wrote.
    #[tokio::test]
    async fn layout_follows_poppler() {
        let cases: [(&[u8], &str); 5] = [
            (
                include_bytes!("../testdata/pdf-rotated.pdf"),
                "rotated text\n\nnormal line\n\n\u{c}",
            ),
            (
                include_bytes!("../testdata/pdf-columns.pdf"),
                "Left column text\nindented spaced words\n\nRight column text\n\n\u{c}",
            ),
            (
                include_bytes!("../testdata/pdf-fonts.pdf"),
                "Bold title\nTimes text\nCourier mono\n\ntext\n\n\u{c}",
            ),
            (
                include_bytes!("../testdata/pdf-text-objects.pdf"),
                "line A\nline B\nline D after blank\n\n\u{c}",
            ),
            (
                include_bytes!("../testdata/pdf-three-pages.pdf"),
                "Page one text\n\n\u{c}\n\nPage two text\nsecond line\n\n\u{c}\n\n\u{c}",
            ),
        ];
        for (pdf, expected) in cases {
            let answer = query(&PdfEnrich::new(), body(pdf)).await.unwrap();
            assert_eq!(answer["results"][0]["values"], expected);
        }
    }

    #[tokio::test]
    async fn unreadable_files_are_reported() {
        let module = PdfEnrich::new();
        assert_eq!(
            reported(query(&module, body(b"just some text")).await),
            "Couldn't analyze file as PDF. Error was: the file is not a PDF document"
        );
        let cut = &TWO_PAGES[..TWO_PAGES.len() / 2];
        let message = reported(query(&module, body(cut)).await);
        assert!(
            message.starts_with("Couldn't analyze file as PDF. Error was: "),
            "{message}"
        );
        let no_data = json!({"attachment": "report.pdf"});
        assert_eq!(
            reported(query(&module, no_data).await),
            "Couldn't fetch attachment (JSON 'data' is empty). Are you using the 'Query enrichment' action?"
        );
    }

    /// A form that draws itself used to overflow the stack and abort the server.
    #[tokio::test]
    async fn a_self_drawing_form_is_reported() {
        let pdf = crate::parse::pdf_testing::pdf_with_forms("/X1 Do", &[("X1", "/X1 Do")]);
        assert_eq!(
            reported(query(&PdfEnrich::new(), body(&pdf)).await),
            "Couldn't analyze file as PDF. Error was: a form XObject draws itself"
        );
    }
}

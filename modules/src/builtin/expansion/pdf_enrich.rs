//! `pdf_enrich`: the text of a PDF attachment, pages separated by a blank line, for the
//! freetext parser to find indicators in. Extraction is native (pdf-extract on lopdf).

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::office::attachment;
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
    tokio::task::spawn_blocking(move || pdf_extract::extract_text_from_mem_by_pages(&bytes))
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
        let (filename, bytes) = attachment(&request)?;
        // The extractor opens each page with blank lines; the reference's pages read as
        // their lines, each ending in a newline.
        let pages: Vec<String> = page_texts(bytes)
            .await?
            .iter()
            .map(|page| format!("{}\n", page.trim_matches('\n')))
            .collect();
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
            "Visit evil.example.com today\nSecond line\n\n\nPage two: 198.51.100.7\n"
        );
        assert_eq!(answer["results"].as_array().unwrap().len(), 1);
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
}

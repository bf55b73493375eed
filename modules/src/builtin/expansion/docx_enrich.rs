//! `docx_enrich`: the text of a Word (.docx) attachment, body paragraphs first and then
//! the paragraphs of each table cell, one per line.

use app::ModuleDescriptor;
use async_trait::async_trait;
use serde_json::Value;

use super::office::{
    analyze_error, attachment, document_descriptor, open_zip, read_member, text_answer,
};
use super::xml_text::{Step, walk};
use crate::engine::{Module, ModuleError, QueryRequest};

pub struct DocxEnrich(ModuleDescriptor);

impl DocxEnrich {
    pub fn new() -> Self {
        Self(document_descriptor("docx_enrich", "docx", "DOCX Enrich"))
    }
}

/// Body paragraphs and table-cell paragraphs, as python-docx would list them: only
/// paragraphs directly in the body, and only cells of tables directly in the body.
fn paragraphs(xml: &str) -> Result<(Vec<String>, Vec<String>), String> {
    let (mut body, mut cells) = (Vec::new(), Vec::new());
    let mut current: Option<(String, bool)> = None;
    let mut in_text = false;
    walk(xml, |step| match step {
        Step::Open { name, parents } => match name {
            "w:p" if current.is_none() => {
                let n = parents.len();
                let direct = n >= 1 && parents[n - 1] == "w:body";
                let in_cell = n >= 4
                    && parents[n - 1] == "w:tc"
                    && parents[n - 2] == "w:tr"
                    && parents[n - 3] == "w:tbl"
                    && parents[n - 4] == "w:body";
                if direct || in_cell {
                    current = Some((String::new(), direct));
                }
            }
            "w:t" => in_text = true,
            "w:tab" if parents.last().is_some_and(|p| p == "w:r") => {
                if let Some((text, _)) = current.as_mut() {
                    text.push('\t');
                }
            }
            "w:br" | "w:cr" => {
                if let Some((text, _)) = current.as_mut() {
                    text.push('\n');
                }
            }
            _ => {}
        },
        Step::Close { name, parents } => match name {
            "w:t" => in_text = false,
            "w:p" => {
                let n = parents.len();
                let ours = n >= 1 && (parents[n - 1] == "w:body" || parents[n - 1] == "w:tc");
                if ours && let Some((text, direct)) = current.take() {
                    if direct {
                        body.push(text)
                    } else {
                        cells.push(text)
                    }
                }
            }
            _ => {}
        },
        Step::Text { text, .. } => {
            if in_text && let Some((current, _)) = current.as_mut() {
                current.push_str(text);
            }
        }
    })?;
    Ok((body, cells))
}

#[async_trait]
impl Module for DocxEnrich {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let (filename, bytes) = attachment(&request)?;
        let mut archive = open_zip(&bytes, "docx")?;
        let xml = read_member(&mut archive, "word/document.xml", "docx")?;
        let (body, cells) = paragraphs(&xml).map_err(|e| analyze_error("docx", e))?;
        let text: String = body
            .iter()
            .chain(&cells)
            .map(|p| format!("\n{p}"))
            .collect();
        Ok(text_answer("docx", &filename, &text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::expansion::office::tests_support::zip_of;
    use crate::builtin::testing::{query, reported};
    use base64::Engine as _;
    use serde_json::json;

    const DOCUMENT: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>Visit </w:t></w:r><w:r><w:t xml:space="preserve">evil.example.com &amp; more</w:t><w:tab/><w:t>x</w:t></w:r></w:p>
<w:tbl><w:tr><w:tc><w:p><w:r><w:t>198.51.100.1</w:t></w:r></w:p></w:tc><w:tc><w:p/></w:tc></w:tr></w:tbl>
<w:p><w:r><w:t>Second</w:t><w:br/><w:t>line</w:t></w:r></w:p>
<w:sectPr/></w:body></w:document>"#;

    #[tokio::test]
    async fn paragraphs_then_table_cells() {
        let data = base64::engine::general_purpose::STANDARD
            .encode(zip_of(&[("word/document.xml", DOCUMENT)]));
        let body = json!({"module": "docx_enrich", "attachment": "a.docx", "data": data});
        let answer = query(&DocxEnrich::new(), body).await.unwrap();
        let want = "\nVisit evil.example.com & more\tx\nSecond\nline\n198.51.100.1\n";
        assert_eq!(answer["results"][0]["values"], want);
        assert_eq!(answer["results"][1]["types"], json!(["text"]));
        assert_eq!(
            answer["results"][1]["comment"],
            ".docx-to-text from file a.docx"
        );
    }

    #[tokio::test]
    async fn not_a_document() {
        let module = DocxEnrich::new();
        let bad = json!({"attachment": "x.docx", "data": "dGhpcyBpcyBub3QgYSB6aXA="});
        assert_eq!(
            reported(query(&module, bad).await),
            "Couldn't analyze file as .docx. Error was: File is not a zip file"
        );
        let data =
            base64::engine::general_purpose::STANDARD.encode(zip_of(&[("other.xml", "<a/>")]));
        let missing = json!({"attachment": "x.docx", "data": data});
        assert_eq!(
            reported(query(&module, missing).await),
            "Couldn't analyze file as .docx. Error was: There is no item named 'word/document.xml' in the archive"
        );
        let no_data = json!({"attachment": "x.docx"});
        assert!(reported(query(&module, no_data).await).starts_with("Couldn't fetch attachment"));
    }
}

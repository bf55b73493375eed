//! `docx_enrich`: the text of a Word (.docx) attachment, body paragraphs first and then
//! the paragraphs of each table cell, one per line.

use app::ModuleDescriptor;
use async_trait::async_trait;
use serde_json::Value;

use super::office::{
    analyze_error, document_attachment, document_descriptor, open_zip, read_member, text_answer,
};
use super::xml_text::{Step, attribute, walk};
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
        Step::Open {
            name,
            parents,
            element,
        } => match name {
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
            // Run content as python-docx's `run.text` renders it: tabs (w:ptab is an
            // absolute-position tab), line breaks, and the non-breaking hyphen. Page and
            // column breaks add nothing.
            "w:tab" | "w:ptab" if parents.last().is_some_and(|p| p == "w:r") => {
                if let Some((text, _)) = current.as_mut() {
                    text.push('\t');
                }
            }
            "w:noBreakHyphen" if parents.last().is_some_and(|p| p == "w:r") => {
                if let Some((text, _)) = current.as_mut() {
                    text.push('-');
                }
            }
            "w:br" | "w:cr" => {
                // Only a text-wrapping break (the default type) is a newline.
                let page_or_column = name == "w:br"
                    && !matches!(
                        attribute(element, "w:type").as_deref(),
                        None | Some("textWrapping")
                    );
                if !page_or_column && let Some((text, _)) = current.as_mut() {
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
        let (filename, bytes) = document_attachment(&request)?;
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
    async fn breaks_hyphens_and_tabs_as_python_docx_renders_them() {
        // The paragraphs of /tmp/diff/expansion docx_enrich2_breaks, _symbols and
        // _ptab_lastrender, with the reference's text.
        let document = r#"<?xml version="1.0" encoding="UTF-8"?>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>
<w:p><w:r><w:t>a</w:t><w:br/><w:t>b</w:t></w:r></w:p>
<w:p><w:r><w:t>c</w:t><w:br w:type="page"/><w:t>d</w:t></w:r></w:p>
<w:p><w:r><w:t>e</w:t><w:cr/><w:t>f</w:t><w:tab/><w:t>g</w:t></w:r></w:p>
<w:p><w:r><w:br w:type="column"/><w:t>h</w:t><w:br w:type="textWrapping"/></w:r></w:p>
<w:p><w:r><w:t>x</w:t><w:sym w:font="Wingdings" w:char="F04A"/><w:noBreakHyphen/><w:softHyphen/><w:t>y</w:t></w:r></w:p>
<w:p><w:r><w:t>a</w:t><w:ptab w:relativeTo="margin" w:alignment="right" w:leader="none"/><w:t>b</w:t><w:lastRenderedPageBreak/><w:t>c</w:t></w:r></w:p>
</w:body></w:document>"#;
        let data = base64::engine::general_purpose::STANDARD
            .encode(zip_of(&[("word/document.xml", document)]));
        let body = json!({"module": "docx_enrich", "attachment": "a.docx", "data": data});
        let answer = query(&DocxEnrich::new(), body).await.unwrap();
        assert_eq!(
            answer["results"][0]["values"],
            "\na\nb\ncd\ne\nf\tg\nh\n\nx-y\na\tbc"
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
        // An empty data string is an empty file (docx_enrich_emptydata).
        let empty = json!({"attachment": "x.docx", "data": ""});
        assert_eq!(
            reported(query(&module, empty).await),
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

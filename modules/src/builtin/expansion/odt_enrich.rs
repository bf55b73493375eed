//! `odt_enrich`: the text of an OpenDocument text (.odt) attachment, one line per
//! paragraph of the document body.

use app::ModuleDescriptor;
use async_trait::async_trait;
use serde_json::Value;

use super::office::{
    analyze_error, document_attachment, document_descriptor, open_zip, read_member, text_answer,
};
use super::xml_text::{Step, walk};
use crate::engine::{Module, ModuleError, QueryRequest};

pub struct OdtEnrich(ModuleDescriptor);

impl OdtEnrich {
    pub fn new() -> Self {
        Self(document_descriptor("odt_enrich", "odt", "ODT Enrich"))
    }
}

/// The paragraphs directly under `office:text`, each with all the text it holds (spans,
/// links, and the spacing elements written out).
fn body_text(xml: &str) -> Result<String, String> {
    let mut paragraphs: Vec<String> = Vec::new();
    let mut current: Option<String> = None;
    walk(xml, |step| match step {
        Step::Open { name, parents, .. } => {
            if name == "text:p" && parents.last().is_some_and(|p| p == "office:text") {
                current = Some(String::new());
            } else if let Some(text) = current.as_mut() {
                match name {
                    "text:s" => text.push(' '),
                    "text:tab" => text.push('\t'),
                    "text:line-break" => text.push('\n'),
                    _ => {}
                }
            }
        }
        Step::Close { name, parents } => {
            if name == "text:p" && parents.last().is_some_and(|p| p == "office:text") {
                paragraphs.extend(current.take());
            }
        }
        Step::Text { text, .. } => {
            if let Some(current) = current.as_mut() {
                current.push_str(text);
            }
        }
    })?;
    Ok(paragraphs.join("\n"))
}

#[async_trait]
impl Module for OdtEnrich {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let (filename, bytes) = document_attachment(&request)?;
        let mut archive = open_zip(&bytes, "odt")?;
        let xml = read_member(&mut archive, "content.xml", "odt")?;
        let text = body_text(&xml).map_err(|e| analyze_error("odt", e))?;
        Ok(text_answer("odt", &filename, &text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::expansion::office::tests_support::zip_of;
    use crate::builtin::testing::query;
    use base64::Engine as _;
    use serde_json::json;

    #[tokio::test]
    async fn paragraphs_with_their_spans() {
        let content = r#"<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text><text:sequence-decls/><text:p>Call <text:span>evil.example.com</text:span> now<text:s/>!</text:p><text:p/><text:p>a<text:tab/>b</text:p></office:text></office:body></office:document-content>"#;
        let data = base64::engine::general_purpose::STANDARD.encode(zip_of(&[
            ("mimetype", "application/vnd.oasis.opendocument.text"),
            ("content.xml", content),
        ]));
        let body = json!({"module": "odt_enrich", "attachment": "t.odt", "data": data});
        let answer = query(&OdtEnrich::new(), body).await.unwrap();
        assert_eq!(
            answer["results"][0]["values"],
            "Call evil.example.com now !\n\na\tb"
        );
        assert_eq!(
            answer["results"][0]["comment"],
            ".odt-to-text from file t.odt"
        );
    }
}

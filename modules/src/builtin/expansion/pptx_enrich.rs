//! `pptx_enrich`: the text of a PowerPoint (.pptx) attachment, one block per text shape,
//! slide after slide.

use app::ModuleDescriptor;
use async_trait::async_trait;
use serde_json::Value;

use super::office::{
    analyze_error, document_attachment, document_descriptor, open_zip, read_member, text_answer,
};
use super::xml_text::{Step, walk};
use crate::engine::{Module, ModuleError, QueryRequest};

pub struct PptxEnrich(ModuleDescriptor);

impl PptxEnrich {
    pub fn new() -> Self {
        Self(document_descriptor("pptx_enrich", "pptx", "PPTX Enrich"))
    }
}

/// The text of each top-level shape with a text body: paragraphs joined by newlines,
/// line breaks inside a paragraph written as vertical tabs (as python-pptx does).
fn shape_texts(xml: &str) -> Result<Vec<String>, String> {
    let mut shapes = Vec::new();
    let mut shape: Option<Vec<String>> = None;
    let mut in_text = false;
    walk(xml, |step| match step {
        Step::Open { name, parents, .. } => match name {
            "p:txBody"
                if parents.len() >= 2
                    && parents[parents.len() - 1] == "p:sp"
                    && parents[parents.len() - 2] == "p:spTree" =>
            {
                shape = Some(Vec::new());
            }
            "a:p" => {
                if let Some(paragraphs) = shape.as_mut() {
                    paragraphs.push(String::new());
                }
            }
            "a:br" => {
                if let Some(last) = shape.as_mut().and_then(|p| p.last_mut()) {
                    last.push('\u{0b}');
                }
            }
            "a:t" => in_text = true,
            _ => {}
        },
        Step::Close { name, .. } => match name {
            "a:t" => in_text = false,
            "p:txBody" => {
                if let Some(paragraphs) = shape.take() {
                    shapes.push(paragraphs.join("\n"));
                }
            }
            _ => {}
        },
        Step::Text { text, .. } => {
            if in_text && let Some(last) = shape.as_mut().and_then(|p| p.last_mut()) {
                last.push_str(text);
            }
        }
    })?;
    Ok(shapes)
}

/// Slide members in slide-number order.
fn slide_names(names: impl Iterator<Item = String>) -> Vec<String> {
    let mut slides: Vec<(u64, String)> = names
        .filter_map(|name| {
            let number = name
                .strip_prefix("ppt/slides/slide")?
                .strip_suffix(".xml")?
                .parse()
                .ok()?;
            Some((number, name))
        })
        .collect();
    slides.sort();
    slides.into_iter().map(|(_, name)| name).collect()
}

#[async_trait]
impl Module for PptxEnrich {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let (filename, bytes) = document_attachment(&request)?;
        let mut archive = open_zip(&bytes, "pptx")?;
        read_member(&mut archive, "ppt/presentation.xml", "pptx")?;
        let names = slide_names(
            archive
                .file_names()
                .filter_map(|n| n.ok().map(|n| n.into_owned())),
        );
        let mut text = String::new();
        for name in names {
            let xml = read_member(&mut archive, &name, "pptx")?;
            for shape in shape_texts(&xml).map_err(|e| analyze_error("pptx", e))? {
                text.push('\n');
                text.push_str(&shape);
            }
        }
        Ok(text_answer("pptx", &filename, &text))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::expansion::office::tests_support::zip_of;
    use crate::builtin::testing::query;
    use base64::Engine as _;
    use serde_json::json;

    fn slide(texts: &str) -> String {
        format!(
            r#"<p:sld xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"><p:cSld><p:spTree>{texts}</p:spTree></p:cSld></p:sld>"#
        )
    }

    #[tokio::test]
    async fn shapes_of_slides_in_order() {
        let two = slide(
            "<p:sp><p:txBody><a:p><a:r><a:t>Title</a:t></a:r></a:p><a:p><a:r><a:t>a</a:t></a:r><a:br/><a:r><a:t>b</a:t></a:r></a:p></p:txBody></p:sp><p:sp><p:spPr/></p:sp>",
        );
        let ten = slide(
            "<p:sp><p:txBody><a:p><a:r><a:t>198.51.100.2</a:t></a:r></a:p></p:txBody></p:sp>",
        );
        let data = base64::engine::general_purpose::STANDARD.encode(zip_of(&[
            ("ppt/presentation.xml", "<p:presentation/>"),
            ("ppt/slides/slide10.xml", &ten),
            ("ppt/slides/slide2.xml", &two),
        ]));
        let body = json!({"module": "pptx_enrich", "attachment": "p.pptx", "data": data});
        let answer = query(&PptxEnrich::new(), body).await.unwrap();
        assert_eq!(
            answer["results"][1]["values"],
            "\nTitle\na\u{b}b\n198.51.100.2"
        );
    }
}

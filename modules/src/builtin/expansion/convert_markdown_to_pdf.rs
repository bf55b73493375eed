//! `convert_markdown_to_pdf`: renders GitHub-flavoured markdown to a PDF with the local
//! `pandoc` and `wkhtmltopdf` programs, answered as base64.
//!
//! Raw HTML in the markdown is never rendered: pandoc parses the text to its JSON tree,
//! every raw HTML block or inline becomes literal code, and only that tree is rendered,
//! with JavaScript, images and local file access disabled in wkhtmltopdf.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use base64::Engine as _;
use serde_json::{Value, json};

use crate::builtin::external_tools::{PROGRAM_TIMEOUT, require, run};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

const PURPOSE: &str = "Converting markdown to PDF";
const DEFAULT_MARGIN: &str = "3";

pub struct ConvertMarkdownToPdf(ModuleDescriptor);

impl ConvertMarkdownToPdf {
    pub fn new() -> Self {
        Self(descriptor(
            "convert_markdown_to_pdf",
            ModuleType::Expansion,
            json!({"input": ["text"], "output": ["text"]}),
            json!({
                "version": "0.3",
                "author": "misp-modules-stack",
                "description": "Renders markdown (GitHub flavour) to a PDF document, returned base64-encoded.",
                "module-type": ["expansion"],
                "name": "Markdown to PDF converter",
                "config": [],
                "requirements": ["pandoc", "wkhtmltopdf (paths may be set in MISP_MODULES_PANDOC and MISP_MODULES_WKHTMLTOPDF)"],
                "features": "Raw HTML is shown as code, never rendered; the renderer runs without JavaScript, images or local file access, under a time limit. Mermaid diagrams stay as code blocks.",
                "input": "A text attribute holding JSON with a \"markdown\" key.",
                "output": "The PDF, base64-encoded, as a text value."
            }),
        ))
    }
}

/// Replaces raw HTML anywhere in a pandoc JSON tree by code showing the same text.
fn neutralise_raw_html(node: &mut Value) {
    match node {
        Value::Array(items) => items.iter_mut().for_each(neutralise_raw_html),
        Value::Object(map) => {
            let kind = map.get("t").and_then(Value::as_str).unwrap_or_default();
            let raw = matches!(kind, "RawBlock" | "RawInline");
            let content = map.get("c").and_then(Value::as_array);
            if raw && let Some([_format, Value::String(text)]) = content.map(Vec::as_slice) {
                let text = text.clone();
                *node = if kind == "RawBlock" {
                    json!({"t": "CodeBlock", "c": [["", ["html"], []], text]})
                } else {
                    json!({"t": "Code", "c": [["", [], []], text]})
                };
                return;
            }
            map.values_mut().for_each(neutralise_raw_html);
        }
        _ => {}
    }
}

/// A margin wkhtmltopdf accepts: a number, optionally with a unit.
fn checked_margin(margin: &str) -> Result<&str, ModuleError> {
    let digits = margin.trim_end_matches(|c: char| c.is_ascii_alphabetic());
    let unit = &margin[digits.len()..];
    let number_ok = !digits.is_empty()
        && digits.chars().all(|c| c.is_ascii_digit() || c == '.')
        && digits.matches('.').count() <= 1;
    if number_ok && ["", "mm", "cm", "in", "px", "pt"].contains(&unit) {
        Ok(margin)
    } else {
        Err(ModuleError::reported(format!(
            "Invalid margin {margin:?}: give a number, optionally followed by mm, cm, in, px or pt."
        )))
    }
}

async fn convert(markdown: &str, margin: &str) -> Result<Vec<u8>, ModuleError> {
    let pandoc = require("pandoc", PURPOSE)?;
    let wkhtmltopdf = require("wkhtmltopdf", PURPOSE)?;
    let tree = run(
        &pandoc,
        &["-f", "gfm", "-t", "json"],
        markdown.as_bytes(),
        PROGRAM_TIMEOUT,
    )
    .await?;
    let mut tree: Value = serde_json::from_slice(&tree)
        .map_err(|e| ModuleError::internal(format!("pandoc gave no JSON tree: {e}")))?;
    neutralise_raw_html(&mut tree);
    let tree = serde_json::to_vec(&tree).map_err(|e| ModuleError::internal(e.to_string()))?;
    let engine = format!("--pdf-engine={}", wkhtmltopdf.display());
    let margins: Vec<String> = ["left", "right", "top", "bottom"]
        .iter()
        .map(|side| format!("margin-{side}={margin}"))
        .collect();
    let mut args = vec!["-f", "json", "-t", "pdf", "-o", "-", &engine];
    for m in &margins {
        args.extend(["-V", m.as_str()]);
    }
    args.extend([
        // wkhtmltopdf wants a document title and warns without one.
        "--metadata=pagetitle:MISP",
        "--pdf-engine-opt=--disable-javascript",
        "--pdf-engine-opt=--no-images",
        "--pdf-engine-opt=--disable-local-file-access",
        "--pdf-engine-opt=--quiet",
    ]);
    run(&pandoc, &args, &tree, PROGRAM_TIMEOUT).await
}

#[async_trait]
impl Module for ConvertMarkdownToPdf {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        // The reference answers a plain `false` when there is no text to convert.
        let Some(text) = request.str_field("text").filter(|t| !t.is_empty()) else {
            return Ok(Value::Bool(false));
        };
        let data: Value = serde_json::from_str(text).map_err(|_| {
            ModuleError::reported(
                "The text must be JSON with a \"markdown\" key, e.g. {\"markdown\": \"# Title\"}.",
            )
        })?;
        let markdown = data
            .get("markdown")
            .and_then(Value::as_str)
            .ok_or_else(|| ModuleError::reported("The JSON text has no \"markdown\" string."))?;
        let margin = request
            .config_text("margin")
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| DEFAULT_MARGIN.to_owned());
        let pdf = convert(markdown, checked_margin(&margin)?).await?;
        let encoded = base64::engine::general_purpose::STANDARD.encode(pdf);
        Ok(json!({"results": [{"types": ["text"], "values": [encoded]}]}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::external_tools::available_or_skip;
    use crate::builtin::testing::{query, reported};

    #[test]
    fn raw_html_becomes_code() {
        let mut tree = json!({"blocks": [
            {"t": "RawBlock", "c": ["html", "<script>alert(1)</script>"]},
            {"t": "Para", "c": [{"t": "Str", "c": "Visit"}, {"t": "RawInline", "c": ["html", "<b>"]}]}
        ]});
        neutralise_raw_html(&mut tree);
        assert_eq!(
            tree,
            json!({"blocks": [
                {"t": "CodeBlock", "c": [["", ["html"], []], "<script>alert(1)</script>"]},
                {"t": "Para", "c": [{"t": "Str", "c": "Visit"}, {"t": "Code", "c": [["", [], []], "<b>"]}]}
            ]})
        );
    }

    #[test]
    fn margins_are_numbers() {
        assert_eq!(checked_margin("3").unwrap(), "3");
        assert_eq!(checked_margin("12.5mm").unwrap(), "12.5mm");
        assert!(checked_margin("3 --enable-local-file-access").is_err());
        assert!(checked_margin("1.2.3").is_err());
    }

    #[tokio::test]
    async fn renders_a_pdf() {
        let markdown = "# Report\n\nVisit `evil.example.com`.\n\n<script>alert(1)</script>\n";
        let body = json!({"module": "convert_markdown_to_pdf", "text": json!({"markdown": markdown}).to_string()});
        let result = query(&ConvertMarkdownToPdf::new(), body).await;
        let have_all = available_or_skip("pandoc", "convert_markdown_to_pdf::renders_a_pdf")
            && available_or_skip("wkhtmltopdf", "convert_markdown_to_pdf::renders_a_pdf");
        if !have_all {
            let message = reported(result);
            assert!(
                message.starts_with("Converting markdown to PDF needs the `"),
                "{message}"
            );
            return;
        }
        let answer = result.unwrap();
        assert_eq!(answer["results"][0]["types"], json!(["text"]));
        let encoded = answer["results"][0]["values"][0].as_str().unwrap();
        let pdf = base64::engine::general_purpose::STANDARD
            .decode(encoded)
            .unwrap();
        assert!(pdf.starts_with(b"%PDF-"));
        let pages = pdf_extract::extract_text_from_mem(&pdf).unwrap();
        assert!(pages.contains("Report"), "{pages}");
        assert!(pages.contains("<script>alert(1)</script>"), "{pages}");
    }

    #[tokio::test]
    async fn input_errors() {
        let module = ConvertMarkdownToPdf::new();
        assert_eq!(
            query(&module, json!({"module": "x"})).await.unwrap(),
            json!(false)
        );
        let not_json = json!({"text": "# just markdown"});
        assert!(reported(query(&module, not_json).await).starts_with("The text must be JSON"));
        let bad_margin = json!({"text": "{\"markdown\": \"x\"}", "config": {"margin": "3;rm"}});
        assert!(reported(query(&module, bad_margin).await).starts_with("Invalid margin"));
    }
}

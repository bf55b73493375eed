//! `ocr_enrich`: the text tesseract reads in an image attachment, one entry per non-blank
//! line, for the freetext parser. Needs the local `tesseract` program.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::office::attachment;
use crate::builtin::external_tools::{normalise_image, tesseract};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

pub struct OcrEnrich(ModuleDescriptor);

impl OcrEnrich {
    pub fn new() -> Self {
        Self(descriptor(
            "ocr_enrich",
            ModuleType::Expansion,
            json!({"input": ["attachment"], "output": ["freetext"]}),
            json!({
                "version": "0.2",
                "author": "misp-modules-stack",
                "description": "Reads the text in a picture attachment with OCR, for the freetext parser to find indicators in.",
                "module-type": ["expansion"],
                "name": "OCR Enrich",
                "config": [],
                "requirements": ["tesseract (on PATH, or its path in MISP_MODULES_TESSERACT)"],
                "features": "The image is decoded natively and handed to tesseract on stdin, with a time limit.",
                "input": "An attachment attribute holding a picture.",
                "output": "The recognised lines, as freetext."
            }),
        ))
    }
}

/// The recognised lines without surrounding blanks, empty ones dropped.
fn lines(text: &str) -> Vec<String> {
    text.split('\n')
        .map(|l| l.trim_matches(['\t', '\x0b', '\x0c', '\r', ' ']))
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[async_trait]
impl Module for OcrEnrich {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let (filename, bytes) = attachment(&request)?;
        let png = tokio::task::spawn_blocking(move || normalise_image(&bytes))
            .await
            .map_err(|e| ModuleError::internal(format!("image decoding stopped: {e}")))?
            .ok_or_else(|| {
                ModuleError::reported(
                    "Couldn't analyze file type. Only images are supported right now.",
                )
            })?;
        let text = tesseract(&png).await?;
        Ok(json!({"results": [{
            "types": ["freetext"],
            "values": lines(&text),
            "comment": format!("OCR from file {filename}"),
        }]}))
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
        json!({"module": "ocr_enrich", "attachment": "screenshot.png", "data": data})
    }

    #[tokio::test]
    async fn lines_of_a_screenshot() {
        let png = include_bytes!("../testdata/ocr-text.png");
        let result = query(&OcrEnrich::new(), body(png)).await;
        if !available_or_skip("tesseract", "ocr_enrich::lines_of_a_screenshot") {
            let message = reported(result);
            assert!(
                message.starts_with("Optical character recognition needs the `tesseract` program"),
                "{message}"
            );
            return;
        }
        assert_eq!(
            result.unwrap(),
            json!({"results": [{
                "types": ["freetext"],
                "values": ["Callback to evil.example.com", "Beacon 198.51.100.7"],
                "comment": "OCR from file screenshot.png"
            }]})
        );
    }

    #[test]
    fn blank_lines_are_dropped() {
        assert_eq!(
            lines(" first\t\r\n\n\x0c\nsecond line \n"),
            vec!["first", "second line"]
        );
    }

    #[tokio::test]
    async fn only_images() {
        let module = OcrEnrich::new();
        assert_eq!(
            reported(query(&module, body(b"%PDF-1.4 not a picture")).await),
            "Couldn't analyze file type. Only images are supported right now."
        );
        assert!(
            reported(query(&module, json!({"attachment": "a.png"})).await)
                .starts_with("Couldn't fetch attachment")
        );
    }
}

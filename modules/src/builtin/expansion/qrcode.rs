//! `qrcode`: decodes the QR code in an image attachment and answers what it points to: a
//! bitcoin address, a URL, or plain text.
//!
//! Only attachments are decoded. The reference also downloads an image named by a `url` or
//! `link` attribute; this build fetches nothing and answers such queries with an error.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use crate::builtin::external_tools::decode_grey;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

/// Schemes that make decoded text a URL rather than plain text.
const URL_SCHEMES: [&str; 3] = ["http://", "https://", "ftp://"];

pub struct QrCode(ModuleDescriptor);

impl QrCode {
    pub fn new() -> Self {
        Self(descriptor(
            "qrcode",
            ModuleType::Expansion,
            json!({"input": ["attachment", "url", "link"], "output": ["url", "btc"]}),
            json!({
                "version": "0.3",
                "author": "misp-modules-stack",
                "description": "Decodes the QR code in an image attachment, to reveal where a quishing lure points.",
                "module-type": ["expansion", "hover"],
                "name": "QR Code Decode",
                "config": [],
                "requirements": [],
                "features": "Decodes the image natively. Remote images (url/link attributes) are never downloaded: attach the image instead.",
                "input": "An attachment attribute holding an image with a QR code.",
                "output": "The URL, bitcoin address or text the QR code holds."
            }),
        ))
    }
}

/// The texts of the QR codes found in an image; `None` when the bytes are no image.
fn decode(bytes: &[u8]) -> Option<Vec<String>> {
    let grey = decode_grey(bytes)?;
    let (width, height) = grey.dimensions();
    let mut prepared =
        rqrr::PreparedImage::prepare_from_greyscale(width as usize, height as usize, |x, y| {
            grey.get_pixel(x as u32, y as u32).0[0]
        });
    Some(
        prepared
            .detect_grids()
            .into_iter()
            .filter_map(|grid| grid.decode().ok().map(|(_, content)| content))
            .collect(),
    )
}

/// What one decoded text becomes: `bitcoin:<address>[?...]` gives the address, text naming
/// a URL scheme a url, anything else text.
fn classify(content: &str, filename: &str) -> Value {
    if content.contains("bitcoin") {
        let mut parts = content.split([':', '?']);
        if parts.next() == Some("bitcoin")
            && let Some(address) = parts.next()
        {
            return json!({"results": [{
                "types": ["btc"],
                "values": address,
                "comment": format!("BTC found in {filename}"),
            }]});
        }
    }
    let kind = if URL_SCHEMES.iter().any(|s| content.contains(s)) {
        "url"
    } else {
        "text"
    };
    json!({"results": [{
        "types": [kind],
        "values": content,
        "comment": format!("Decoded from {filename}"),
    }]})
}

#[async_trait]
impl Module for QrCode {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let Some(filename) = request.str_field("attachment").map(str::to_owned) else {
            if request.legacy_input(&["url", "link"]).is_some() {
                return Err(ModuleError::reported(
                    "Fetching remote images is disabled in this build: only QR codes in attachments are decoded. Attach the image and query the attachment instead.",
                ));
            }
            return Err(ModuleError::reported(
                "Unsupported input. Provide an attachment or a URL.",
            ));
        };
        let bytes = request
            .import_data()
            .and_then(Result::ok)
            .filter(|b| !b.is_empty())
            .ok_or_else(|| ModuleError::reported("Attachment error: empty or invalid data."))?;
        // Decoding a large photo is CPU work; keep it off the async workers.
        let codes = tokio::task::spawn_blocking(move || decode(&bytes))
            .await
            .map_err(|e| ModuleError::internal(format!("QR decoding stopped: {e}")))?
            .ok_or_else(|| ModuleError::reported("Not a valid image file."))?;
        let first = codes
            .first()
            .ok_or_else(|| ModuleError::reported("No QR code found in image."))?;
        Ok(classify(first, &filename))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{query, reported};
    use base64::Engine as _;

    fn body(bytes: &[u8]) -> Value {
        let data = base64::engine::general_purpose::STANDARD.encode(bytes);
        json!({"module": "qrcode", "attachment": "lure.png", "data": data})
    }

    #[tokio::test]
    async fn a_url_in_a_png() {
        let png = include_bytes!("../testdata/qr-url.png");
        let answer = query(&QrCode::new(), body(png)).await.unwrap();
        assert_eq!(
            answer,
            json!({"results": [{"types": ["url"], "values": "https://evil.example.com/login", "comment": "Decoded from lure.png"}]})
        );
    }

    #[tokio::test]
    async fn a_bitcoin_payment_request() {
        let png = include_bytes!("../testdata/qr-bitcoin.png");
        let answer = query(&QrCode::new(), body(png)).await.unwrap();
        assert_eq!(
            answer,
            json!({"results": [{"types": ["btc"], "values": "1BoatSLRHtKNngkdXEeobR76b53LETtpyT", "comment": "BTC found in lure.png"}]})
        );
    }

    #[test]
    fn decoded_text_is_classified() {
        assert_eq!(
            classify("WIFI:S:office;T:WPA;;", "a.png")["results"][0]["types"],
            json!(["text"])
        );
        assert_eq!(
            classify("see ftp://files.example.org/x", "a.png")["results"][0]["types"],
            json!(["url"])
        );
        // "bitcoin" elsewhere than as the scheme is no payment request.
        assert_eq!(
            classify("https://example.com/bitcoin:x", "a.png")["results"][0]["types"],
            json!(["url"])
        );
    }

    #[tokio::test]
    async fn errors() {
        let module = QrCode::new();
        assert_eq!(
            reported(query(&module, body(b"not an image at all")).await),
            "Not a valid image file."
        );
        let blank = include_bytes!("../testdata/ocr-text.png");
        assert_eq!(
            reported(query(&module, body(blank)).await),
            "No QR code found in image."
        );
        let no_data = json!({"attachment": "lure.png"});
        assert_eq!(
            reported(query(&module, no_data).await),
            "Attachment error: empty or invalid data."
        );
        let remote = json!({"url": "https://example.com/qr.png"});
        assert!(
            reported(query(&module, remote).await)
                .starts_with("Fetching remote images is disabled")
        );
        assert_eq!(
            reported(query(&module, json!({"domain": "example.com"})).await),
            "Unsupported input. Provide an attachment or a URL."
        );
    }
}

//! `email_import`: an .eml file to a MISP email object, with file objects for its
//! attachments (optionally unzipped), url objects for links in its body, and dependent
//! email objects for messages attached to it.

mod codec;
mod date;
mod files;
mod headers;
mod links;
mod mail;
mod mime_params;
mod payload;
mod received;
mod unstructured;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

pub struct EmailImport(ModuleDescriptor);

impl EmailImport {
    pub fn new() -> Self {
        Self(descriptor(
            "email_import",
            ModuleType::Import,
            json!({
                "inputSource": ["file"],
                "output": ["MISP objects"],
                "format": "misp_standard"
            }),
            json!({
                "version": "0.2",
                "author": "misp-modules-stack",
                "description": "Turns an e-mail (.eml) into a MISP email object with its headers, bodies and the original message, plus file objects for attachments and url objects for links in the body.",
                "module-type": ["import"],
                "name": "Email Import",
                "requirements": [],
                "features": "Settings (yes/no): unzip_attachments opens zip attachments, guess_zip_attachment_passwords tries passwords found in the message on encrypted ones, extract_urls adds url objects for the links of the body, remove_subject_markers drops leading RE:/FW: style markers from the subject.",
                "references": [],
                "input": "E-mail file",
                "output": "MISP Event attributes",
                "logo": "",
                "config": [
                    "unzip_attachments",
                    "guess_zip_attachment_passwords",
                    "extract_urls",
                    "remove_subject_markers"
                ]
            }),
        ))
    }
}

/// What the caller switched on. The reference accepts y/yes/true/t in any case; numbers
/// and JSON booleans are read the same way, so "1" and `true` also count as yes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Options {
    pub unzip: bool,
    pub guess_passwords: bool,
    pub extract_urls: bool,
    pub remove_subject_markers: bool,
}

impl Options {
    fn from_request(request: &QueryRequest) -> Self {
        let yes = |key: &str| {
            request.config_text(key).is_some_and(|v| {
                matches!(
                    v.trim().to_ascii_lowercase().as_str(),
                    "y" | "yes" | "true" | "t" | "1"
                )
            })
        };
        Self {
            unzip: yes("unzip_attachments"),
            guess_passwords: yes("guess_zip_attachment_passwords"),
            extract_urls: yes("extract_urls"),
            remove_subject_markers: yes("remove_subject_markers"),
        }
    }
}

#[async_trait]
impl Module for EmailImport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let bytes = match request.import_data() {
            None => return Err(ModuleError::reported("No email data was sent (\"data\")")),
            Some(decoded) => decoded?,
        };
        let options = Options::from_request(&request);
        let objects = tokio::task::spawn_blocking(move || mail::import(&bytes, options, 0))
            .await
            .map_err(|e| ModuleError::internal(format!("email import task failed: {e}")))??;
        Ok(json!({"results": {"Object": objects}}))
    }
}

#[cfg(test)]
mod tests;

//! `joe_import`: a Joe Sandbox JSON analysis report becomes the analysed file (or URL)
//! with its executable details, processes, file and registry activity, network
//! connections, contacted domains, IPs and URLs, dropped files and ATT&CK techniques.

mod executable;
mod network;
mod parser;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::report::read_report;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::pycompat::python_int;

pub struct JoeImport(ModuleDescriptor);

impl JoeImport {
    pub fn new() -> Self {
        Self(descriptor(
            "joe_import",
            ModuleType::Import,
            json!({
                "userConfig": {
                    "Import Executable": {
                        "type": "Boolean",
                        "message": "Also import the executable details (PE, ELF or APK)"
                    },
                    "Mitre Att&ck": {
                        "type": "Boolean",
                        "message": "Tag the event with the ATT&CK techniques Joe Sandbox saw"
                    }
                },
                "inputSource": ["file"],
                "format": "misp_standard"
            }),
            json!({
                "version": "0.2",
                "author": "misp-modules-stack",
                "description": "Reads a Joe Sandbox JSON analysis report.",
                "module-type": ["import"],
                "name": "Joe Sandbox Import",
                "config": [],
                "input": "The JSON report of one Joe Sandbox analysis (file or URL).",
                "output": "Objects for the sample, its executable structure, processes, registry keys, network connections, domains and dropped files; attributes for files, keys, IPs and URLs; ATT&CK tags."
            }),
        ))
    }
}

/// A Boolean user setting: absent or empty is off; numbers and true/false text are read.
fn setting(request: &QueryRequest, key: &str) -> Result<bool, ModuleError> {
    let value = request.config().and_then(|config| config.get(key));
    match value {
        None | Some(Value::Null) => Ok(false),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(Value::String(text)) if text.trim().is_empty() => Ok(false),
        Some(Value::String(text)) if text.trim().eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(text)) if text.trim().eq_ignore_ascii_case("false") => Ok(false),
        Some(other) => python_int(other)
            .map(|n| n != 0)
            .ok_or_else(|| ModuleError::reported(format!("{key} must be 0 or 1."))),
    }
}

#[async_trait]
impl Module for JoeImport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let options = parser::Options {
            import_executable: setting(&request, "Import Executable")?,
            mitre_attack: setting(&request, "Mitre Att&ck")?,
        };
        if let Some(Ok(bytes)) = request.import_data()
            && bytes.is_empty()
        {
            // The reference answers an empty file with this JSON text, as a string.
            return Ok(json!("{\"success\": 0}"));
        }
        let report = read_report(&request)
            .ok_or_else(|| ModuleError::reported("The file is not a JSON report."))?;
        let analysis = report
            .get("analysis")
            .and_then(Value::as_object)
            .ok_or_else(|| {
                ModuleError::reported("The file is not a Joe Sandbox report: no analysis found.")
            })?;
        parser::parse(analysis, options)
    }
}

#[cfg(test)]
mod tests;

//! `cuckooimport`: a Cuckoo Sandbox analysis (the zip of the web interface or the
//! tar.bz2 of `/tasks/report/<id>/all`) as MISP objects: sandbox details, the sample,
//! processes, network activity, signatures, screenshots and dropped files and buffers.

mod event;
mod report;
mod values;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::sandbox_archive::{self, Files, LIMITS};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::pycompat::python_int_text;

/// The userConfig switches, in the order MISP shows (and the reference runs) them.
const OPTIONS: [(&str, &str); 11] = [
    ("Sandbox info", "Add info related to the sandbox"),
    ("Upload sample", "Upload the sample"),
    ("Processes", "Add info related to the processes"),
    ("DNS", "Add DNS queries/answers"),
    ("TCP", "Add TCP connections"),
    ("UDP", "Add UDP connections"),
    ("HTTP", "Add HTTP requests"),
    ("Signatures", "Add Cuckoo's triggered signatures"),
    ("Screenshots", "Upload the screenshots"),
    ("Dropped files", "Upload the dropped files"),
    ("Dropped buffers", "Upload the dropped buffers"),
];

const REPORT_PATH: &str = "reports/report.json";

pub struct CuckooImport(ModuleDescriptor);

impl CuckooImport {
    pub fn new() -> Self {
        let user_config: Map<String, Value> = OPTIONS
            .iter()
            .map(|(key, message)| {
                (
                    (*key).to_owned(),
                    json!({"type": "Boolean", "message": message, "checked": "true"}),
                )
            })
            .collect();
        Self(descriptor(
            "cuckooimport",
            ModuleType::Import,
            json!({
                "inputSource": ["file"],
                "output": ["MISP objects", "malware-sample"],
                "format": "misp_standard",
                "userConfig": user_config
            }),
            json!({
                "version": "1.1",
                "author": "misp-modules-stack",
                "description": "Reads a Cuckoo Sandbox analysis archive and returns MISP objects for the sandbox run, the submitted sample or URL, the process tree, DNS, TCP, UDP and HTTP activity, the triggered signatures, screenshots and dropped files and buffers.",
                "module-type": ["import"],
                "name": "Cuckoo Sandbox Import",
                "logo": "cuckoo.png",
                "requirements": [],
                "features": "Accepts the zip downloaded from the Cuckoo web interface, the bzip2 tarball of the API (/tasks/report/<task_id>/all), or a bare report.json (then without sample, screenshots or dropped file contents). Each userConfig switch turns one part of the report on or off.",
                "references": ["https://cuckoosandbox.org/", "https://github.com/cuckoosandbox/cuckoo"],
                "input": "Cuckoo analysis archive (zip or tar.bz2) or report JSON",
                "output": "MISP objects",
                "config": []
            }),
        ))
    }
}

/// Reads one switch: null means its default (on), as in the reference; numbers and
/// integer text as Python's `int()`; yes/no words and JSON booleans too.
fn switch(key: &str, value: &Value) -> Result<bool, ModuleError> {
    let invalid = || {
        ModuleError::reported(format!(
            "The option \"{key}\" must be 1 or 0 (or true or false)"
        ))
    };
    match value {
        Value::Null => Ok(true),
        Value::Bool(on) => Ok(*on),
        Value::Number(n) => Ok(n.as_f64().is_some_and(|f| f.trunc() != 0.0)),
        Value::String(text) => {
            if let Some(number) = python_int_text(text) {
                return Ok(number != 0);
            }
            match text.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "on" | "y" | "t" => Ok(true),
                "false" | "no" | "off" | "n" | "f" | "" => Ok(false),
                _ => Err(invalid()),
            }
        }
        _ => Err(invalid()),
    }
}

/// The options to run, in the caller's order. Without any config every option runs;
/// names the module does not know are ignored.
fn enabled_options(config: Option<&Map<String, Value>>) -> Result<Vec<&'static str>, ModuleError> {
    let Some(config) = config else {
        return Ok(OPTIONS.iter().map(|(key, _)| *key).collect());
    };
    let mut enabled = Vec::new();
    for (key, value) in config {
        let Some((known, _)) = OPTIONS.iter().find(|(name, _)| name == key) else {
            continue;
        };
        if switch(known, value)? {
            enabled.push(*known);
        }
    }
    Ok(enabled)
}

/// The analysis files and its parsed report.
fn read_input(bytes: &[u8]) -> Result<(Files, Value), ModuleError> {
    let files = if sandbox_archive::is_zip(bytes) {
        sandbox_archive::read_zip(bytes, LIMITS)?
    } else if bytes.starts_with(b"BZh") {
        sandbox_archive::read_tar_bz2(bytes, LIMITS)?
    } else if bytes
        .iter()
        .find(|b| !b.is_ascii_whitespace())
        .is_some_and(|b| *b == b'{')
    {
        vec![(REPORT_PATH.to_owned(), bytes.to_vec())]
    } else {
        return Err(ModuleError::reported(
            "The file is not a Cuckoo analysis: expected a zip or tar.bz2 archive, or a report.json",
        ));
    };
    let report = files
        .iter()
        .find(|(name, _)| name.trim_start_matches("./") == REPORT_PATH)
        .map(|(_, data)| data)
        .ok_or_else(|| ModuleError::reported(format!("The archive has no {REPORT_PATH}")))?;
    let report: Value = serde_json::from_slice(report).map_err(|error| {
        ModuleError::reported(format!("{REPORT_PATH} is not valid JSON: {error}"))
    })?;
    if !report.is_object() {
        return Err(ModuleError::reported(format!(
            "{REPORT_PATH} does not hold a JSON object"
        )));
    }
    Ok((files, report))
}

fn import(bytes: &[u8], options: &[&str]) -> Result<Value, ModuleError> {
    let (files, report) = read_input(bytes)?;
    let mut parser = report::Parser::new(&report, &files);
    for option in options {
        parser.run(option)?;
    }
    let objects = parser
        .objects
        .into_iter()
        .map(event::Object::into_json)
        .collect::<Result<Vec<_>, _>>()?;
    if objects.is_empty() {
        Ok(json!({"results": {}}))
    } else {
        Ok(json!({"results": {"Object": objects}}))
    }
}

#[async_trait]
impl Module for CuckooImport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let bytes = match request.import_data() {
            None => {
                return Err(ModuleError::reported(
                    "No Cuckoo archive was sent (\"data\")",
                ));
            }
            Some(decoded) => decoded?,
        };
        let options = enabled_options(request.config())?;
        tokio::task::spawn_blocking(move || import(&bytes, &options))
            .await
            .map_err(|e| ModuleError::internal(format!("cuckoo import task failed: {e}")))?
    }
}

#[cfg(test)]
mod tests;

//! `vmray_summary_json_import`: a VMRay `summary.json` (layout 1) or `summary_v2.json`
//! (layout 2) becomes a sandbox-report object, a signature object listing the VMRay
//! threat identifiers, one object per artifact and ATT&CK tags; or, with
//! `disable_misp_objects`, plain text and indicator attributes.

mod artifact;
mod summary;

use std::collections::{HashMap, HashSet};

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use base64::Engine as _;
use serde_json::{Value, json};

use super::report::{EventBuilder, python_str, python_strip, read_report};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::misp::{ObjectBuilder, new_attribute, new_uuid};
use crate::pycompat::{python_int, python_json_dumps};
use artifact::{Artifact, Flat};
use summary::Analysis;

const NOT_SUMMARY: &str = "Uploaded file is not a summary.json";
const NOT_JSON: &str = "The uploaded file is not a JSON document.";
/// Name given to the attached report when the request does not say the file's name.
const DEFAULT_NAME: &str = "summary.json";

pub struct VmraySummaryJsonImport(ModuleDescriptor);

impl VmraySummaryJsonImport {
    pub fn new() -> Self {
        Self(descriptor(
            "vmray_summary_json_import",
            ModuleType::Import,
            json!({
                "inputSource": ["file"],
                "output": ["MISP objects", "MISP attributes"],
                "format": "misp_standard",
                "userConfig": {
                    "Analysis ID": {"type": "Boolean", "message": "Add the analysis ID", "checked": "True"},
                    "VTI": {"type": "Boolean", "message": "Add the VMRay threat identifiers", "checked": "True"},
                    "IOCs": {"type": "Boolean", "message": "Add the artifacts VMRay flags as IOCs", "checked": "True"},
                    "Artifacts": {"type": "Boolean", "message": "Add every other artifact too"},
                    "Analysis Details": {"type": "Boolean", "message": "Add the analysis details"},
                    "Attach Report": {"type": "Boolean", "message": "Attach the uploaded report to the sandbox-report object"}
                }
            }),
            json!({
                "version": "0.1",
                "author": "misp-modules-stack",
                "description": "Reads the summary JSON of a VMRay analysis (summary.json or summary_v2.json).",
                "module-type": ["import"],
                "name": "VMRay Summary JSON Import",
                "config": ["disable_tags"],
                "input": "A VMRay summary.json or summary_v2.json file.",
                "output": "A sandbox-report object, the threat identifiers as a sb-signature object, objects for domains, e-mails, files, IPs, mutexes, processes, registry keys and URLs, ATT&CK and verdict tags."
            }),
        ))
    }
}

struct Options {
    vti: bool,
    iocs: bool,
    all_artifacts: bool,
    analysis_details: bool,
    attach_report: bool,
    objects: bool,
    tags: bool,
}

/// A Boolean user setting, 0 or 1 as MISP sends it; booleans and true/false text are
/// read too. Absent or null takes the default.
fn setting(request: &QueryRequest, key: &str, default: bool) -> Result<bool, ModuleError> {
    match request.config().and_then(|config| config.get(key)) {
        None | Some(Value::Null) => Ok(default),
        Some(Value::Bool(flag)) => Ok(*flag),
        Some(Value::String(text)) if text.trim().eq_ignore_ascii_case("true") => Ok(true),
        Some(Value::String(text)) if text.trim().eq_ignore_ascii_case("false") => Ok(false),
        Some(other) => python_int(other)
            .map(|n| n != 0)
            .ok_or_else(|| ModuleError::reported(format!("{key} must be 0 or 1."))),
    }
}

/// A server-side switch (`disable_tags`, `disable_misp_objects`): on for yes or true.
fn switch(request: &QueryRequest, key: &str) -> bool {
    match request.config().and_then(|config| config.get(key)) {
        Some(Value::String(text)) => matches!(text.to_lowercase().as_str(), "yes" | "true"),
        Some(Value::Bool(flag)) => *flag,
        _ => false,
    }
}

impl Options {
    fn read(request: &QueryRequest) -> Result<Self, ModuleError> {
        // "Analysis ID" adds the analysis permalink, which only the API gives: a summary
        // file has none, so the setting is checked but changes nothing here.
        setting(request, "Analysis ID", true)?;
        Ok(Self {
            vti: setting(request, "VTI", true)?,
            iocs: setting(request, "IOCs", true)?,
            all_artifacts: setting(request, "Artifacts", false)?,
            analysis_details: setting(request, "Analysis Details", true)?,
            attach_report: setting(request, "Attach Report", false)?,
            objects: !switch(request, "disable_misp_objects"),
            tags: !switch(request, "disable_tags"),
        })
    }

    fn wants(&self, artifact: &Artifact) -> bool {
        self.all_artifacts || (self.iocs && artifact.is_ioc)
    }
}

/// `vmray:vti_analysis_score` values for the scores VMRay gives.
fn score_tag(score: &Value) -> Option<&'static str> {
    let number = match score {
        Value::Bool(flag) => f64::from(u8::from(*flag)),
        Value::Number(n) => n.as_f64()?,
        _ => return None,
    };
    Some(match number {
        -1.0 => "-1",
        1.0 => "1/5",
        2.0 => "2/5",
        3.0 => "3/5",
        4.0 => "4/5",
        5.0 => "5/5",
        _ => return None,
    })
}

fn tag(name: String) -> app::MispTag {
    app::MispTag { name }
}

/// The default answer: objects, with the sample's artifacts merged by identity.
fn as_objects(
    analysis: &Analysis,
    options: &Options,
    report: &Value,
    name: &str,
) -> Result<Value, ModuleError> {
    let mut event = EventBuilder::default();
    let mut signature = ObjectBuilder::new("sb-signature")?;
    event.add_text(&mut signature, "software", "text", "VMRay Platform");
    let mut vtis: Vec<&summary::Vti> = Vec::new();
    let mut artifacts: Vec<Artifact> = Vec::new();
    if !analysis.static_only {
        let mut sandbox = ObjectBuilder::new("sandbox-report")?;
        event.add_text(&mut sandbox, "on-premise-sandbox", "text", "vmray");
        if options.attach_report {
            let text = python_json_dumps(report, Some(2));
            let data = base64::engine::general_purpose::STANDARD.encode(text);
            if event.add_text(&mut sandbox, "sandbox-file", "attachment", name)
                && let Some(attribute) = sandbox.last_attribute_mut()
            {
                attribute.extra.insert("data".into(), Value::String(data));
            }
        }
        if let Some(score) = &analysis.score
            && event.add_text(&mut sandbox, "score", "text", score.as_str())
            && options.tags
            && let Some(attribute) = sandbox.last_attribute_mut()
        {
            attribute
                .tags
                .push(tag(format!("vmray:verdict=\"{score}\"")));
        }
        event.add_text(
            &mut sandbox,
            "sandbox-type",
            "text",
            analysis.sandbox_type.as_str(),
        );
        if let Some(text) = &analysis.classifications {
            event.add_text(&mut sandbox, "results", "text", text.as_str());
        }
        event.push_object(sandbox.build());
        if options.vti {
            for vti in &analysis.vtis {
                if !vtis.contains(&vti) {
                    vtis.push(vti);
                }
            }
        }
        let mut seen: HashMap<String, usize> = HashMap::new();
        for artifact in analysis.artifacts.iter().filter(|a| options.wants(a)) {
            let artifact = artifact.clone();
            match seen.get(&artifact.identity()) {
                Some(&index) => artifacts[index].merge(artifact),
                None => {
                    seen.insert(artifact.identity(), artifacts.len());
                    artifacts.push(artifact);
                }
            }
        }
        // Repeated techniques collapse: the event keeps one tag per name.
        for (name, id) in &analysis.techniques {
            event.add_tag(format!(
                "misp-galaxy:mitre-attack-pattern=\"{name} - {id}\""
            ));
        }
    }
    for vti in vtis {
        let text = format!(
            "{}: {}. {}",
            python_str(&vti.category),
            python_str(&vti.operation),
            python_str(&vti.technique)
        );
        if event.add_text(&mut signature, "signature", "text", text)
            && options.tags
            && let Some(value) = score_tag(&vti.score)
            && let Some(attribute) = signature.last_attribute_mut()
        {
            attribute
                .tags
                .push(tag(format!("vmray:vti_analysis_score=\"{value}\"")));
        }
    }
    event.push_object(signature.build());
    for artifact in &artifacts {
        let object = artifact.to_object(&mut event, options.tags)?;
        event.push_object(object);
    }
    if options.tags
        && let Some(verdict) = &analysis.sample_verdict
    {
        event.add_tag(format!("vmray:verdict=\"{verdict}\""));
    }
    finish(event)
}

/// The answer with `disable_misp_objects`: plain attributes, repeats dropped.
fn as_attributes(analysis: &Analysis, options: &Options) -> Result<Value, ModuleError> {
    let mut flat: Vec<Flat> = Vec::new();
    if !analysis.static_only {
        if options.analysis_details {
            for detail in &analysis.details {
                flat.push(Flat::new("text", Value::String(detail.clone()), None));
            }
        }
        if let Some(text) = &analysis.classifications {
            flat.push(Flat::new("text", Value::String(text.clone()), None));
        }
        if options.vti {
            for vti in &analysis.vtis {
                flat.push(Flat::new("text", vti.operation.clone(), None));
            }
        }
        for artifact in analysis.artifacts.iter().filter(|a| options.wants(a)) {
            flat.extend(artifact.to_attributes());
        }
    }
    let mut event = EventBuilder::default();
    let mut seen = HashSet::new();
    for item in flat {
        if item.value.is_null() {
            continue;
        }
        let key = json!([
            item.attribute_type,
            item.value,
            item.category,
            item.comment,
            item.to_ids
        ]);
        if !seen.insert(key.to_string()) {
            continue;
        }
        let mut attribute = new_attribute(item.attribute_type, python_str(&item.value));
        if let Some(category) = item.category {
            attribute.category = category.to_owned();
        }
        attribute.comment = item.comment.map(|c| python_strip(&c).to_owned());
        attribute.to_ids = item.to_ids;
        if !attribute.value.trim().is_empty() {
            event.push_attribute(attribute);
        }
    }
    finish(event)
}

/// The builder's answer with the event's own UUID, which pymisp adds to `results`.
fn finish(event: EventBuilder) -> Result<Value, ModuleError> {
    let mut answer = event.finish(false)?;
    if let Some(results) = answer["results"].as_object_mut() {
        results.insert("uuid".into(), Value::String(new_uuid()));
    }
    Ok(answer)
}

fn import(request: &QueryRequest) -> Result<Value, ModuleError> {
    let options = Options::read(request)?;
    let report = read_report(request).ok_or_else(|| ModuleError::reported(NOT_JSON))?;
    let analysis = summary::read(&report).ok_or_else(|| ModuleError::reported(NOT_SUMMARY))?;
    if options.objects {
        let name = request
            .str_field("filename")
            .filter(|name| !name.trim().is_empty())
            .unwrap_or(DEFAULT_NAME);
        as_objects(&analysis, &options, &report, name)
    } else {
        as_attributes(&analysis, &options)
    }
}

#[async_trait]
impl Module for VmraySummaryJsonImport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        import(&request)
    }
}

#[cfg(test)]
mod tests;

//! `sigmf_expand`: SigMF radio recordings in MISP. A `sigmf-archive` object is unpacked
//! into `sigmf-recording` objects; a `sigmf-recording` object is expanded into a
//! `sigmf-expanded-recording` with the global metadata fields and a waterfall picture.

mod archive;
mod dataset;
mod waterfall;

use app::{MispAttribute, ModuleDescriptor, ModuleType, StandardResults};
use async_trait::async_trait;
use base64::Engine as _;
use serde_json::{Map, Value, json};

use crate::engine::{Module, ModuleError, QueryRequest, decode_base64, descriptor};
use crate::misp::{ObjectBuilder, new_attribute};
use crate::pycompat::python_json_dumps;
use archive::{DATA_EXT, Member, recordings};
use waterfall::{NoPlot, png, samples, spectrogram};

const NO_JSON: &str = "Provided .sigmf-meta is not a valid JSON string";
const NOT_SIGMF: &str = "Provided .sigmf-meta and .sigmf-data is not a valid SigMF file";
const NO_PLOTS: &str = "Could not generate plots";
const ARCHIVE_FAILED: &str = "An error occured when processing the SigMF archive";

/// The `core:` global fields copied into the expanded object: (key, relation, type).
const GLOBAL_FIELDS: [(&str, &str, &str); 9] = [
    ("core:author", "author", "text"),
    ("core:datatype", "datatype", "text"),
    ("core:description", "description", "text"),
    ("core:license", "license", "text"),
    ("core:num_channels", "num_channels", "counter"),
    ("core:recorder", "recorder", "text"),
    ("core:sample_rate", "sample_rate", "float"),
    ("core:sha512", "sha512", "text"),
    ("core:version", "version", "text"),
];

pub struct SigmfExpand(ModuleDescriptor);

impl SigmfExpand {
    pub fn new() -> Self {
        Self(descriptor(
            "sigmf_expand",
            ModuleType::Expansion,
            json!({
                "input": ["sigmf-recording", "sigmf-archive"],
                "output": ["MISP objects"],
                "format": "misp_standard"
            }),
            json!({
                "version": "0.1",
                "author": "misp-modules-stack",
                "name": "SigMF Expansion",
                "description": "Unpacks a SigMF archive object into SigMF recording objects, and expands a SigMF recording object into an expanded recording with its metadata and a waterfall plot.",
                "module-type": ["expansion"],
                "features": "Archives: one sigmf-recording per .sigmf-meta member, with the .sigmf-data member of the same name when present. Recordings: the core global fields (author, datatype, description, license, channels, recorder, sample rate, sha512, version) and a spectrogram PNG of 1024-point FFTs for ci16_le, ci16, cf32_le, ci8 and i8 data (a shorter recording is drawn as one zero-padded row). Works offline.",
                "input": "A sigmf-archive or sigmf-recording object.",
                "output": "sigmf-recording or sigmf-expanded-recording objects referencing the input object."
            }),
        ))
    }
}

fn attachment(name: &str, bytes: &[u8], comment: &str) -> MispAttribute {
    let mut attribute = new_attribute("attachment", name);
    let data = base64::engine::general_purpose::STANDARD.encode(bytes);
    attribute.extra.insert("data".into(), data.into());
    attribute.comment = Some(comment.to_owned());
    attribute
}

/// The attributes of the input object with the given relation; the last one counts.
fn related<'a>(object: &'a Map<String, Value>, relation: &str) -> Option<&'a Map<String, Value>> {
    object
        .get("Attribute")
        .and_then(Value::as_array)?
        .iter()
        .filter_map(Value::as_object)
        .rfind(|a| a.get("object_relation").and_then(Value::as_str) == Some(relation))
}

fn attached_bytes(attribute: &Map<String, Value>, refused: &str) -> Result<Vec<u8>, ModuleError> {
    let text = attribute.get("data").and_then(Value::as_str).unwrap_or("");
    decode_base64(text).map_err(|_| ModuleError::reported(refused))
}

fn link_to(builder: &mut ObjectBuilder, object: &Map<String, Value>) {
    if let Some(uuid) = object.get("uuid").and_then(Value::as_str) {
        builder.reference(uuid, "expands");
    }
}

fn expand_archive(object: &Map<String, Value>) -> Result<Value, ModuleError> {
    let archive = related(object, "SigMF-archive")
        .ok_or_else(|| ModuleError::reported("No SigMF-archive attribute found"))?;
    let bytes = attached_bytes(archive, ARCHIVE_FAILED)?;
    // Python's tarfile refuses an empty file (data that decodes to nothing, "%%%").
    if bytes.is_empty() {
        return Err(ModuleError::reported(ARCHIVE_FAILED));
    }
    let pairs = recordings(&bytes).map_err(|e| {
        tracing::debug!("unreadable SigMF archive: {e}");
        ModuleError::reported(ARCHIVE_FAILED)
    })?;
    if pairs.is_empty() {
        return Err(ModuleError::reported("No SigMF metadata file found"));
    }
    // The reference cannot build a recording without its data file and fails the archive.
    if pairs.iter().any(|pair| pair.data.is_none()) {
        return Err(ModuleError::reported(ARCHIVE_FAILED));
    }
    let mut objects = Vec::new();
    for pair in pairs {
        let mut recording = ObjectBuilder::new("sigmf-recording")?;
        let Member { name, bytes } = &pair.meta;
        recording.add_attribute("SigMF-meta", attachment(name, bytes, "SigMF metadata file"));
        if let Some(Member { name, bytes }) = &pair.data {
            recording.add_attribute("SigMF-data", attachment(name, bytes, "SigMF data file"));
        }
        link_to(&mut recording, object);
        objects.push(recording.build());
    }
    Ok(json!({"results": StandardResults { attributes: Vec::new(), objects }}))
}

/// A metadata value as attribute text, numbers written as Python would.
fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        other => python_json_dumps(other, None),
    }
}

fn expand_recording(object: &Map<String, Value>) -> Result<Value, ModuleError> {
    let meta = related(object, "SigMF-meta")
        .ok_or_else(|| ModuleError::reported("No SigMF-meta attribute"))?;
    let data = related(object, "SigMF-data")
        .ok_or_else(|| ModuleError::reported("No SigMF-data attribute"))?;
    let metadata: Value = attached_bytes(meta, NO_JSON)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| serde_json::from_str(&text).ok())
        .ok_or_else(|| ModuleError::reported(NO_JSON))?;
    let recording_data = attached_bytes(data, NOT_SIGMF)?;
    let global = metadata
        .get("global")
        .and_then(Value::as_object)
        .ok_or_else(|| ModuleError::reported(NOT_SIGMF))?;
    let datatype = global
        .get("core:datatype")
        .and_then(Value::as_str)
        .ok_or_else(|| ModuleError::reported(NOT_SIGMF))?;
    let readable = dataset::layout(datatype).is_some_and(|layout| {
        dataset::maps_onto_samples(&recording_data, layout, dataset::channels(global))
    });
    if !readable || !dataset::checksum_matches(global, &recording_data) {
        return Err(ModuleError::reported(NOT_SIGMF));
    }

    let mut expanded = ObjectBuilder::new("sigmf-expanded-recording")?;
    for (key, relation, kind) in GLOBAL_FIELDS {
        if let Some(value) = global.get(key) {
            expanded.add_attribute(relation, new_attribute(kind, text(value)));
            // pymisp keeps a float metadata value (`core:sample_rate` 1000000.0) as a
            // JSON number, where integers and text become strings.
            if value.as_number().is_some_and(serde_json::Number::is_f64) {
                expanded.keep_last_value(relation, value.clone());
            }
        }
    }
    link_to(&mut expanded, object);

    let sample_rate = global.get("core:sample_rate").and_then(Value::as_f64);
    if !sample_rate.is_some_and(|rate| rate.is_finite() && rate != 0.0) {
        return Err(ModuleError::reported(NO_PLOTS));
    }
    let picture = samples(&recording_data, datatype)
        .and_then(|s| spectrogram(&s))
        .and_then(|rows| png(&rows))
        .map_err(|why: NoPlot| {
            tracing::debug!("no waterfall plot: {why:?}");
            ModuleError::reported(NO_PLOTS)
        })?;
    let data_name = data.get("value").and_then(Value::as_str).unwrap_or("");
    let plot_name = format!("{}-waterfall.png", data_name.replace(DATA_EXT, ""));
    expanded.add_attribute(
        "waterfall-plot",
        attachment(&plot_name, &picture, "Waterfall plot of the recording"),
    );
    Ok(json!({"results": {"Object": [expanded.build_json()?]}}))
}

#[async_trait]
impl Module for SigmfExpand {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let object = match request.get("object") {
            Some(Value::Object(object)) if !object.is_empty() => object,
            _ => return Err(ModuleError::reported("No object provided")),
        };
        if !object.contains_key("Attribute") {
            return Err(ModuleError::reported("Empty Attribute list"));
        }
        let object = object.clone();
        // Decoding, FFTs and PNG encoding are CPU work; keep them off the async workers.
        tokio::task::spawn_blocking(move || match object.get("name").and_then(Value::as_str) {
            Some("sigmf-archive") => expand_archive(&object),
            Some("sigmf-recording") => expand_recording(&object),
            _ => Err(ModuleError::reported("No SigMF object provided")),
        })
        .await
        .map_err(|e| ModuleError::internal(format!("sigmf_expand task failed: {e}")))?
    }
}

#[cfg(test)]
mod tests;

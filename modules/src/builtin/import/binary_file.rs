//! The file object pymisp's `make_binary_objects` builds with its file extras, as the
//! reference deployment has them: name, size, entropy, four hashes, the bytes as a
//! malware-sample, the MIME type (pure-magic, the library pymisp uses, with the same
//! embedded database) and the ssdeep digest. Shared by the imports that carry files
//! (email attachments, sandbox samples and dropped files). For Windows executables it
//! also builds the `pe` and `pe-section` objects pymisp adds with lief (`pe.rs`).

use std::sync::LazyLock;

use base64::Engine as _;
use md5::Digest as _;
use serde_json::{Value, json};

use crate::engine::ModuleError;
use crate::misp::ObjectBuilder;

mod authentihash;
mod imphash;
mod ordinals;
mod pe;
mod pe_layout;
mod section_entropy;

pub use pe::{PeObjects, section_json};

/// A file object with the object-level comment pymisp serialises, and the PE objects
/// that come with it for a Windows executable.
pub struct FileObject {
    pub object: app::MispObject,
    pub comment: Option<String>,
    pub pe: Option<PeObjects>,
}

impl FileObject {
    /// The file object, then its pe and pe-section objects, as the imports list them.
    pub fn into_json_objects(self) -> Result<Vec<Value>, ModuleError> {
        let mut value = serde_json::to_value(&self.object)
            .map_err(|e| ModuleError::internal(format!("file object: {e}")))?;
        pymisp_file_values(&mut value);
        if let (Some(comment), Some(map)) = (self.comment, value.as_object_mut()) {
            map.insert("comment".to_owned(), Value::String(comment));
        }
        let mut objects = vec![value];
        if let Some(pe) = self.pe {
            objects.extend(pe.into_json()?);
        }
        Ok(objects)
    }
}

/// The embedded magic database, loaded once (`None` if it cannot be read: the MIME type
/// is then left out, as pymisp does without its magic library).
static MAGIC: LazyLock<Option<pure_magic::MagicDb>> = LazyLock::new(|| {
    magic_db::load()
        .map_err(|e| tracing::warn!("magic database unavailable: {e}"))
        .ok()
});

/// The MIME type pymisp's `best_magic_buffer` gives the bytes.
fn mime_type(data: &[u8]) -> Option<String> {
    let db = MAGIC.as_ref()?;
    db.best_magic_slice(data, None)
        .map(|magic| magic.mime_type().to_owned())
        .ok()
}

/// Gives a serialised file object what pymisp serialises beyond plain strings: the
/// (always null) `magic_db` field, the sample's correlation flag, the entropy as a float.
pub fn pymisp_file_values(object: &mut Value) {
    if let Some(map) = object.as_object_mut() {
        map.insert("magic_db".to_owned(), Value::Null);
    }
    let Some(attributes) = object.get_mut("Attribute").and_then(Value::as_array_mut) else {
        return;
    };
    for attribute in attributes {
        // pymisp passes disable_correlation=True for the sample itself.
        if attribute["object_relation"] == "malware-sample" {
            attribute["disable_correlation"] = json!(true);
        }
    }
    python_float(object, "entropy");
}

/// pymisp keeps a float value (the entropies) a JSON number, unlike every other value.
fn python_float(object: &mut Value, relation: &str) {
    let Some(attributes) = object.get_mut("Attribute").and_then(Value::as_array_mut) else {
        return;
    };
    for attribute in attributes {
        if attribute["object_relation"] == relation
            && let Some(number) = attribute["value"]
                .as_str()
                .and_then(|v| v.parse::<f64>().ok())
        {
            attribute["value"] = json!(number);
        }
    }
}

/// Shannon entropy of the bytes, summed in first-seen order as Python's `Counter` does.
fn entropy(data: &[u8]) -> f64 {
    let mut counts = [0usize; 256];
    let mut order = Vec::new();
    for &byte in data {
        if counts[usize::from(byte)] == 0 {
            order.push(byte);
        }
        counts[usize::from(byte)] += 1;
    }
    let total = data.len() as f64;
    let mut result = 0.0;
    for byte in order {
        let p = counts[usize::from(byte)] as f64 / total;
        result -= p * (p.ln() / 2f64.ln());
    }
    result
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// pymisp's FileObject under construction: name and size, and for non-empty data its
/// hashes and the malware-sample carrying the bytes. Callers may add their own attributes.
pub fn file_builder(filename: &str, data: &[u8]) -> Result<ObjectBuilder, ModuleError> {
    let mut builder = ObjectBuilder::new("file")?;
    let name = filename.trim();
    if !name.is_empty() {
        builder.add("filename", name)?;
    }
    builder.add("size-in-bytes", data.len().to_string())?;
    if !data.is_empty() {
        builder.add("entropy", format!("{:?}", entropy(data)))?;
        builder.add("md5", hex(&md5::Md5::digest(data)))?;
        builder.add("sha1", sha1_smol::Sha1::from(data).digest().to_string())?;
        builder.add("sha256", hex(&sha2::Sha256::digest(data)))?;
        builder.add("sha512", hex(&sha2::Sha512::digest(data)))?;
        let mut sample = crate::misp::new_attribute("malware-sample", name);
        sample.extra.insert(
            "data".to_owned(),
            json!(base64::engine::general_purpose::STANDARD.encode(data)),
        );
        sample
            .extra
            .insert("malware_filename".to_owned(), json!(name));
        sample.extra.insert("encrypt".to_owned(), json!(true));
        builder.add_attribute("malware-sample", sample);
        if let Some(mime) = mime_type(data) {
            builder.add("mimetype", mime)?;
        }
        if let Ok(digest) = ssdeep::hash_buf(data) {
            builder.add("ssdeep", digest.to_string())?;
        }
    }
    Ok(builder)
}

/// pymisp's `make_binary_objects`: the file object under construction and, for a PE,
/// its pe objects, which the file object already refers to ("includes", "PE indicators").
pub fn binary_objects(
    filename: &str,
    data: &[u8],
) -> Result<(ObjectBuilder, Option<PeObjects>), ModuleError> {
    let mut file = file_builder(filename, data)?;
    let pe = pe::pe_objects(data)?;
    if let Some(pe) = &pe {
        file.reference_with_comment(&pe.pe.uuid, "includes", Some("PE indicators"));
    }
    Ok((file, pe))
}

/// The finished file object (with its PE objects), with an optional object-level comment.
pub fn file_object(
    filename: &str,
    data: &[u8],
    comment: Option<String>,
) -> Result<FileObject, ModuleError> {
    let (file, pe) = binary_objects(filename, data)?;
    Ok(FileObject {
        object: file.build(),
        comment,
        pe,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// MIME types and ssdeep digests as the reference (pymisp with pure-magic-rs and
    /// pydeep2) gives them.
    #[test]
    fn mime_types_and_ssdeep_match_the_reference() {
        for (data, mime, digest) in [
            (&b"hello world\n"[..], "text/plain", "3:iKFSMPv:rJPv"),
            (
                b"<html><body>hi</body></html>\n",
                "text/html",
                "3:qVZqx+:qzy+",
            ),
            (b"{\"a\": 1}\n", "application/json", "3:YE/Xv:YEPv"),
            (
                b"#!/bin/sh\necho hi\n",
                "text/x-shellscript",
                "3:TKH4vAB8v:h9v",
            ),
            (b"caf\xe9\n", "application/octet-stream", "3:PMv:Pu"),
        ] {
            assert_eq!(mime_type(data).as_deref(), Some(mime));
            assert_eq!(ssdeep::hash_buf(data).unwrap().to_string(), digest);
        }
        let object = file_object("a.txt", b"hello world\n", None)
            .unwrap()
            .into_json_objects()
            .unwrap()
            .remove(0);
        assert_eq!(object["magic_db"], Value::Null);
        assert!(object.as_object().unwrap().contains_key("magic_db"));
        let last: Vec<&Value> = object["Attribute"].as_array().unwrap()[8..]
            .iter()
            .map(|a| &a["object_relation"])
            .collect();
        assert_eq!(last, [&json!("mimetype"), &json!("ssdeep")]);
    }

    #[test]
    fn entropy_matches_python() {
        assert_eq!(entropy(b"MZ\x90\x00hello"), 2.9477027792200903);
        assert_eq!(entropy(b"\x00\x01"), 1.0);
    }
}

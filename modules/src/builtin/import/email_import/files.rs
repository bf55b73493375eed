//! Attachments as file objects, and zip attachments opened (with guessed passwords when
//! asked) under limits that keep a zip bomb from exhausting the server.

use std::collections::HashSet;
use std::io::{Cursor, Read};
use std::sync::LazyLock;

use base64::Engine as _;
use md5::Digest as _;
use regex::Regex;
use serde_json::{Value, json};
use zip::ZipArchive;
use zip::result::ZipError;

use crate::engine::ModuleError;
use crate::misp::ObjectBuilder;

/// At most this many members are taken from one zip attachment.
pub const MAX_ZIP_ENTRIES: usize = 256;
/// At most this many bytes are inflated from one member.
pub const MAX_ZIP_ENTRY_BYTES: u64 = 32 * 1024 * 1024;
/// At most this many bytes are inflated from one zip attachment in all.
pub const MAX_ZIP_TOTAL_BYTES: u64 = 64 * 1024 * 1024;

/// Extensions of zip-based office documents, which are never opened as archives.
const OFFICE_EXTENSIONS: [&str; 30] = [
    "doc", "docx", "dot", "dotx", "xls", "xlsx", "xlm", "xla", "xlc", "xlt", "xltx", "xlw", "ppt",
    "pptx", "pps", "ppsx", "pot", "potx", "sldx", "odt", "ods", "odp", "odg", "odf", "fodt",
    "fods", "fodp", "fodg", "ott", "uot",
];

/// A file object with the object-level comment pymisp serialises.
pub struct FileObject {
    pub object: app::MispObject,
    pub comment: Option<String>,
}

impl FileObject {
    pub fn into_json(self) -> Result<Value, ModuleError> {
        let mut value = serde_json::to_value(&self.object)
            .map_err(|e| ModuleError::internal(format!("file object: {e}")))?;
        if let Some(attributes) = value.get_mut("Attribute").and_then(Value::as_array_mut) {
            for attribute in attributes {
                // pymisp passes disable_correlation=True for the sample itself.
                if attribute["object_relation"] == "malware-sample" {
                    attribute["disable_correlation"] = json!(true);
                }
                // pymisp keeps the entropy a float, unlike every other value.
                if attribute["object_relation"] == "entropy"
                    && let Some(number) = attribute["value"]
                        .as_str()
                        .and_then(|v| v.parse::<f64>().ok())
                {
                    attribute["value"] = json!(number);
                }
            }
        }
        if let (Some(comment), Some(map)) = (self.comment, value.as_object_mut()) {
            map.insert("comment".to_owned(), Value::String(comment));
        }
        Ok(value)
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

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// pymisp's FileObject: name and size, and for non-empty data its hashes and the
/// malware-sample carrying the bytes.
pub fn file_object(
    filename: &str,
    data: &[u8],
    comment: Option<String>,
) -> Result<FileObject, ModuleError> {
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
    }
    Ok(FileObject {
        object: builder.build(),
        comment,
    })
}

/// Whether an attachment of this name may be opened as a zip archive.
pub fn may_unzip(filename: &str) -> bool {
    let extension = std::path::Path::new(filename)
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    !OFFICE_EXTENSIONS.contains(&extension)
}

/// What became of one attachment: the file objects to emit.
pub fn unzip_or_file(
    filename: &str,
    data: &[u8],
    guess_passwords: Option<&[String]>,
) -> Result<Vec<FileObject>, ModuleError> {
    let whole = |comment: String| -> Result<Vec<FileObject>, ModuleError> {
        Ok(vec![file_object(filename, data, Some(comment))?])
    };
    let Ok(mut archive) = ZipArchive::new(Cursor::new(data)) else {
        return Ok(vec![file_object(filename, data, None)?]);
    };
    if archive.len() > MAX_ZIP_ENTRIES {
        return whole(format!(
            "Zip not extracted: {} entries, more than the limit of {MAX_ZIP_ENTRIES}",
            archive.len()
        ));
    }
    let encrypted = (0..archive.len()).any(|i| {
        matches!(
            archive.by_index(i),
            Err(ZipError::UnsupportedArchive(_)) | Err(ZipError::InvalidPassword)
        )
    });
    let password = if encrypted {
        let Some(candidates) = guess_passwords else {
            return whole("Encrypted Zip: password guessing is not enabled".to_owned());
        };
        match candidates
            .iter()
            .find(|p| first_entry_opens(&mut archive, p.as_bytes()))
        {
            Some(found) => Some(found.clone()),
            None => {
                return whole(
                    "Encrypted Zip: Password could not be cracked from message".to_owned(),
                );
            }
        }
    } else {
        None
    };
    match extract(&mut archive, password.as_deref()) {
        Ok(members) => {
            let comment = match &password {
                Some(p) => format!("Extracted from {filename} with password \"{p}\""),
                None => format!("Extracted from {filename}"),
            };
            members
                .into_iter()
                .map(|(name, bytes)| file_object(&name, &bytes, Some(comment.clone())))
                .collect()
        }
        Err(reason) => whole(format!("Zip not extracted: {reason}")),
    }
}

/// Reads the first file member with `password` to its end, so a wrong password that
/// happens to pass the one-byte header check is caught by the CRC.
fn first_entry_opens(archive: &mut ZipArchive<Cursor<&[u8]>>, password: &[u8]) -> bool {
    for index in 0..archive.len() {
        let Ok(entry) = archive.by_index_decrypt(index, password) else {
            return false;
        };
        if entry.is_dir() {
            continue;
        }
        let mut sink = Vec::new();
        return entry
            .take(MAX_ZIP_ENTRY_BYTES + 1)
            .read_to_end(&mut sink)
            .is_ok();
    }
    false
}

fn extract(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    password: Option<&str>,
) -> Result<Vec<(String, Vec<u8>)>, String> {
    let mut total = 0u64;
    let mut members = Vec::new();
    for index in 0..archive.len() {
        let entry = match password {
            Some(p) => archive.by_index_decrypt(index, p.as_bytes()),
            None => archive.by_index(index),
        };
        let entry = entry.map_err(|e| e.to_string())?;
        if entry.is_dir() {
            continue;
        }
        let name = entry
            .name()
            .map(|n| n.into_owned())
            .unwrap_or_else(|_| String::from_utf8_lossy(entry.name_raw()).into_owned());
        let mut bytes = Vec::new();
        entry
            .take(MAX_ZIP_ENTRY_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{name}: {e}"))?;
        if bytes.len() as u64 > MAX_ZIP_ENTRY_BYTES {
            return Err(format!(
                "{name} inflates past the limit of {MAX_ZIP_ENTRY_BYTES} bytes"
            ));
        }
        total += bytes.len() as u64;
        if total > MAX_ZIP_TOTAL_BYTES {
            return Err(format!(
                "the members inflate past the limit of {MAX_ZIP_TOTAL_BYTES} bytes"
            ));
        }
        members.push((name, bytes));
    }
    Ok(members)
}

/// The reference's password candidates: common malware and weak passwords, strings
/// quoted or bracketed in the message text, then its words. Duplicates are dropped,
/// first occurrence kept, so the order is stable.
pub fn password_candidates(texts: &[String], subject: Option<&str>) -> Vec<String> {
    static MARKED: LazyLock<[Regex; 4]> = LazyLock::new(|| {
        [
            r"'([^']*)'",
            r#""([^"]*)""#,
            r"\[([^\]]*)\]",
            r"\(([^)]*)\)",
        ]
        .map(|p| Regex::new(p).unwrap_or_else(|_| unreachable!()))
    });
    let mut candidates: Vec<String> = [
        "infected",
        "malware",
        "123456",
        "password",
        "12345678",
        "qwerty",
        "abc123",
        "123456789",
        "111111",
        "1234567",
        "iloveyou",
        "adobe123",
        "123123",
        "sunshine",
        "1234567890",
        "letmein",
        "1234",
        "monkey",
        "shadow",
        "12345",
        "password1",
        "princess",
        "azerty",
        "trustno1",
        "000000",
    ]
    .map(str::to_owned)
    .to_vec();
    let mut raw_text = texts.join("\n").trim().to_owned();
    if let Some(subject) = subject {
        raw_text.push(' ');
        raw_text.push_str(subject);
    }
    for pattern in MARKED.iter() {
        candidates.extend(pattern.captures_iter(&raw_text).map(|c| c[1].to_owned()));
    }
    let words: Vec<&str> = raw_text.split(char::is_whitespace).collect();
    candidates.extend(words.iter().map(|w| (*w).to_owned()));
    candidates.extend(
        words
            .iter()
            .map(|w| w.trim_matches(['.', ',', ';', ':', '?', '!']).to_owned()),
    );
    let mut seen = HashSet::new();
    candidates.retain(|c| !c.is_empty() && seen.insert(c.clone()));
    candidates
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entropy_matches_python() {
        assert_eq!(entropy(b"MZ\x90\x00hello"), 2.9477027792200903);
        assert_eq!(entropy(b"\x00\x01"), 1.0);
    }

    #[test]
    fn password_candidates_from_text() {
        let found = password_candidates(
            &["The password is \"s3cret\". Use (other) too.".to_owned()],
            Some("Invoice [x1]"),
        );
        assert_eq!(found[0], "infected");
        for expected in ["s3cret", "other", "x1", "too.", "too", "Invoice"] {
            assert!(found.contains(&expected.to_owned()), "{expected}");
        }
    }

    #[test]
    fn office_documents_stay_closed() {
        assert!(!may_unzip("report.docx"));
        assert!(may_unzip("archive.zip") && may_unzip("NameMissing.txt"));
    }
}

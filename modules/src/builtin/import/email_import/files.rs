//! Attachments as file objects, and zip attachments opened (with guessed passwords when
//! asked) under limits that keep a zip bomb from exhausting the server.

use std::collections::HashSet;
use std::io::{Cursor, Read};
use std::sync::LazyLock;

use regex::Regex;
use zip::ZipArchive;
use zip::result::ZipError;

use crate::builtin::import::binary_file::{FileObject, file_object};
use crate::engine::ModuleError;

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

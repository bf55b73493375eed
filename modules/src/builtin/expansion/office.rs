//! What the document-to-text modules share: reading the attachment, opening its ZIP
//! container within limits (against zip bombs), and the answer shape.

use std::io::{Cursor, Read};

use serde_json::{Value, json};
use zip::ZipArchive;

use crate::engine::{ModuleError, QueryRequest};

/// More members than any real office document has.
const MAX_ENTRIES: usize = 10_000;
/// Cap on the decompressed size of one member, and (declared) of the whole archive.
pub const MAX_MEMBER_BYTES: u64 = 64 * 1024 * 1024;
const MAX_TOTAL_BYTES: u64 = 256 * 1024 * 1024;

/// The attachment's file name and bytes.
pub fn attachment(request: &QueryRequest) -> Result<(String, Vec<u8>), ModuleError> {
    let filename = request
        .str_field("attachment")
        .ok_or_else(|| {
            ModuleError::reported(
                "This module requires an \"attachment\" field with the file name.",
            )
        })?
        .to_owned();
    let bytes = request
        .import_data()
        .and_then(Result::ok)
        .filter(|bytes| !bytes.is_empty())
        .ok_or_else(|| {
            ModuleError::reported(
                "Couldn't fetch attachment (JSON 'data' is empty). Are you using the 'Query enrichment' action?",
            )
        })?;
    Ok((filename, bytes))
}

/// The attachment of the document modules. An empty `data` string is an empty file, as
/// the reference decodes it, so it fails where the document is read ("File is not a zip
/// file"); a missing or undecodable `data` is refused as by [`attachment`].
pub fn document_attachment(request: &QueryRequest) -> Result<(String, Vec<u8>), ModuleError> {
    if let (Some(""), Some(filename)) = (request.str_field("data"), request.str_field("attachment"))
    {
        return Ok((filename.to_owned(), Vec::new()));
    }
    attachment(request)
}

/// The error the reference gives when a document cannot be read.
pub fn analyze_error(extension: &str, detail: impl std::fmt::Display) -> ModuleError {
    ModuleError::reported(format!(
        "Couldn't analyze file as .{extension}. Error was: {detail}"
    ))
}

/// Opens a ZIP container after checking its member count and declared sizes.
pub fn open_zip<'a>(
    bytes: &'a [u8],
    extension: &str,
) -> Result<ZipArchive<Cursor<&'a [u8]>>, ModuleError> {
    let archive = ZipArchive::new(Cursor::new(bytes))
        .map_err(|_| analyze_error(extension, "File is not a zip file"))?;
    if archive.len() > MAX_ENTRIES {
        return Err(analyze_error(extension, "the archive has too many members"));
    }
    let declared: u64 = archive.decompressed_size().map_or(0, |s| s as u64);
    if declared > MAX_TOTAL_BYTES {
        return Err(analyze_error(
            extension,
            "the archive expands to too much data",
        ));
    }
    Ok(archive)
}

/// One member as text, read no further than [`MAX_MEMBER_BYTES`].
pub fn read_member(
    archive: &mut ZipArchive<Cursor<&[u8]>>,
    name: &str,
    extension: &str,
) -> Result<String, ModuleError> {
    let member = archive.by_name(name).map_err(|_| {
        analyze_error(
            extension,
            format!("There is no item named '{name}' in the archive"),
        )
    })?;
    let mut bytes = Vec::new();
    member
        .take(MAX_MEMBER_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| analyze_error(extension, e))?;
    if bytes.len() as u64 > MAX_MEMBER_BYTES {
        return Err(analyze_error(extension, format!("{name} is too large")));
    }
    String::from_utf8(bytes).map_err(|_| analyze_error(extension, format!("{name} is not UTF-8")))
}

/// The descriptor every document-to-text module shares.
pub fn document_descriptor(name: &str, extension: &str, title: &str) -> app::ModuleDescriptor {
    crate::engine::descriptor(
        name,
        app::ModuleType::Expansion,
        json!({"input": ["attachment"], "output": ["freetext", "text"]}),
        json!({
            "version": "0.1",
            "author": "misp-modules-stack",
            "description": format!("Extracts the text of a .{extension} attachment, for the freetext parser to find indicators in."),
            "module-type": ["expansion"],
            "name": title,
            "config": [],
            "features": "Reads the file natively, with limits on archive size and member count.",
            "input": format!("An attachment attribute holding a .{extension} file."),
            "output": "The document's text, as freetext and as a text attribute."
        }),
    )
}

/// The answer: the text once for the freetext parser and once as a text attribute.
pub fn text_answer(extension: &str, filename: &str, text: &str) -> Value {
    let comment = format!(".{extension}-to-text from file {filename}");
    json!({"results": [
        {"types": ["freetext"], "values": text, "comment": comment},
        {"types": ["text"], "values": text, "comment": comment},
    ]})
}

#[cfg(test)]
pub mod tests_support {
    use std::io::Write;

    /// A ZIP archive holding `members`, as test input.
    pub fn zip_of(members: &[(&str, &str)]) -> Vec<u8> {
        let mut writer = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for (name, content) in members {
            writer
                .start_file(*name, zip::write::SimpleFileOptions::default())
                .unwrap();
            writer.write_all(content.as_bytes()).unwrap();
        }
        writer.finish().unwrap().into_inner()
    }
}

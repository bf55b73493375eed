//! The analysed sample: its file object and, when asked, its PE, ELF or APK structure.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::parser::{field, items, map};
use crate::builtin::import::report::{EventBuilder, python_str, truthy};
use crate::engine::ModuleError;
use crate::misp::ObjectBuilder;

const HASH_FIELDS: [&str; 6] = ["filename", "md5", "sha1", "sha256", "sha512", "ssdeep"];

/// Adds the sample's objects; returns the uuid of its file object.
pub(super) fn fileinfo(
    event: &mut EventBuilder,
    analysis: &Map<String, Value>,
    arch: Option<&str>,
    import_executable: bool,
) -> Result<String, ModuleError> {
    let empty = Map::new();
    let info = map(analysis, "fileinfo").unwrap_or(&empty);
    let mut file = ObjectBuilder::new("file")?;
    for name in HASH_FIELDS {
        event.add_value(&mut file, name, name, field(info, name));
    }
    for (key, kind, relation) in [
        ("entropy", "float", "entropy"),
        ("filesize", "size-in-bytes", "size-in-bytes"),
        ("filetype", "mime-type", "mimetype"),
    ] {
        event.add_value(&mut file, relation, kind, field(info, key));
    }
    let uuid = file.uuid().to_owned();
    match arch.filter(|_| import_executable) {
        Some("WINDOWS") => pe(event, info, file)?,
        Some("LINUX") => {
            event.push_object(file.build());
            elf(event, info, &uuid)?;
        }
        Some("ANDROID") => {
            event.push_object(file.build());
            apk(event, info, &uuid)?;
        }
        _ => event.push_object(file.build()),
    }
    Ok(uuid)
}

fn pe(
    event: &mut EventBuilder,
    info: &Map<String, Value>,
    mut file: ObjectBuilder,
) -> Result<(), ModuleError> {
    let Some(pe_info) = map(info, "pe") else {
        event.push_object(file.build());
        return Ok(());
    };
    let mut pe = ObjectBuilder::new("pe")?;
    file.reference(pe.uuid(), "includes");
    event.push_object(file.build());
    event.add_value(
        &mut pe,
        "entrypoint-address",
        "text",
        field(pe_info, "entrypoint"),
    );
    event.add_value(&mut pe, "imphash", "imphash", field(pe_info, "imphash"));
    // "0x5A3B1C2D [Thu Dec 21 02:05:33 2017 UTC]": the hexadecimal epoch comes first.
    let compiled = pe_info
        .get("timestamp")
        .and_then(Value::as_str)
        .and_then(|t| t.split_whitespace().next())
        .and_then(|hex| {
            let digits = hex
                .strip_prefix("0x")
                .or_else(|| hex.strip_prefix("0X"))
                .unwrap_or(hex);
            i64::from_str_radix(digits, 16).ok()
        });
    if let Some(seconds) = compiled {
        event.add_text(
            &mut pe,
            "compilation-timestamp",
            "datetime",
            seconds.to_string(),
        );
    }
    let mut program_name = python_str(field(info, "filename"));
    let versions = pe_info
        .get("versions")
        .filter(|v| truthy(v))
        .and_then(Value::as_object);
    for version in items(versions, "version") {
        let name = field(version, "name").as_str().unwrap_or_default();
        if name == "InternalName" {
            program_name = python_str(field(version, "value"));
        }
        let relation = match name {
            "CompanyName" => "company-name",
            "FileDescription" => "file-description",
            "FileVersion" => "file-version",
            "InternalName" => "internal-filename",
            "LegalCopyright" => "legal-copyright",
            "OriginalFilename" => "original-filename",
            "ProductName" => "product-filename",
            "ProductVersion" => "product-version",
            "Translation" => "lang-id",
            _ => continue,
        };
        event.add_value(&mut pe, relation, "text", field(version, "value"));
    }
    let sections: Vec<&Map<String, Value>> = items(map(pe_info, "sections"), "section").collect();
    event.add_text(
        &mut pe,
        "number-sections",
        "counter",
        sections.len().to_string(),
    );
    let signature = map(pe_info, "signature");
    let pe_uuid = pe.uuid().to_owned();
    match signature.filter(|s| truthy(field(s, "signed"))) {
        Some(signature) => {
            let mut signer = ObjectBuilder::new("authenticode-signerinfo")?;
            pe.reference(signer.uuid(), "signed-by");
            event.push_object(pe.build());
            event.add_text(&mut signer, "program-name", "text", program_name);
            event.add_value(&mut signer, "issuer", "text", field(signature, "sigissuer"));
            event.add_value(&mut signer, "version", "text", field(signature, "version"));
            event.push_object(signer.build());
        }
        None => event.push_object(pe.build()),
    }
    for section in sections {
        let mut object = ObjectBuilder::new("pe-section")?;
        for (key, kind, relation) in [
            ("characteristics", "text", "characteristic"),
            ("entropy", "float", "entropy"),
            ("name", "text", "name"),
            ("rawaddr", "hex", "offset"),
            ("rawsize", "size-in-bytes", "size-in-bytes"),
            ("virtaddr", "hex", "virtual_address"),
            ("virtsize", "size-in-bytes", "virtual_size"),
        ] {
            event.add_value(&mut object, relation, kind, field(section, key));
        }
        event.reference_later(&pe_uuid, object.uuid(), "includes");
        event.push_object(object.build());
    }
    Ok(())
}

fn elf(event: &mut EventBuilder, info: &Map<String, Value>, file: &str) -> Result<(), ModuleError> {
    for binary in items(map(info, "elf"), "file") {
        let mut elf = ObjectBuilder::new("elf")?;
        event.reference_later(file, elf.uuid(), "includes");
        let header = binary
            .get("main")
            .and_then(|m| m.get(0))
            .and_then(|m| m.get("header"))
            .and_then(|h| h.get(0))
            .and_then(Value::as_object);
        if let Some(header) = header {
            if let Some(kind) = header.get("type").filter(|t| truthy(t)) {
                let kind = match kind.as_str() {
                    Some("EXEC (Executable file)") => Value::String("EXECUTABLE".into()),
                    _ => kind.clone(),
                };
                event.add_value(&mut elf, "type", "text", &kind);
            }
            for (key, relation) in [
                ("epaddr", "entrypoint-address"),
                ("machine", "arch"),
                ("osabi", "os_abi"),
            ] {
                if let Some(value) = header.get(key).filter(|v| truthy(v)) {
                    event.add_value(&mut elf, relation, "text", value);
                }
            }
        }
        let sections: Vec<&Map<String, Value>> =
            items(map(binary, "sections"), "section").collect();
        event.add_text(
            &mut elf,
            "number-sections",
            "counter",
            sections.len().to_string(),
        );
        let elf_uuid = elf.uuid().to_owned();
        event.push_object(elf.build());
        for section in sections {
            let mut object = ObjectBuilder::new("elf-section")?;
            for feature in ["name", "type"] {
                if let Some(value) = section.get(feature).filter(|v| truthy(v)) {
                    event.add_value(&mut object, feature, "text", value);
                }
            }
            let size = field(section, "size").as_str().and_then(|hex| {
                let digits = hex
                    .strip_prefix("0x")
                    .or_else(|| hex.strip_prefix("0X"))
                    .unwrap_or(hex);
                u64::from_str_radix(digits, 16).ok()
            });
            if let Some(size) = size {
                event.add_text(
                    &mut object,
                    "size-in-bytes",
                    "size-in-bytes",
                    size.to_string(),
                );
            }
            // Joe writes the flags as one letter each, as readelf does.
            let flags = field(section, "flagsdesc").as_str().unwrap_or_default();
            for flag in flags.chars() {
                let name = match flag {
                    'A' => "ALLOC",
                    'I' => "INFO_LINK",
                    'M' => "MERGE",
                    'S' => "STRINGS",
                    'T' => "TLS",
                    'W' => "WRITE",
                    'X' => "EXECINSTR",
                    _ => continue,
                };
                event.add_text(&mut object, "flag", "text", name);
            }
            event.reference_later(&elf_uuid, object.uuid(), "includes");
            event.push_object(object.build());
        }
    }
    Ok(())
}

fn apk(event: &mut EventBuilder, info: &Map<String, Value>, file: &str) -> Result<(), ModuleError> {
    let permissions = map(info, "apk").and_then(|a| map(a, "requiredpermissions"));
    // Permissions grouped by their package prefix, in first-seen order.
    let mut groups: Vec<(String, Vec<String>)> = Vec::new();
    let mut group_of: HashMap<String, usize> = HashMap::new();
    for permission in items(permissions, "permission") {
        let name = python_str(field(permission, "@name"));
        let (prefix, last) = match name.rsplit_once('.') {
            Some((prefix, last)) => (prefix.replace('.', " "), last.to_owned()),
            None => (String::new(), name.clone()),
        };
        match group_of.get(&prefix) {
            Some(&index) => groups[index].1.push(last),
            None => {
                group_of.insert(prefix.clone(), groups.len());
                groups.push((prefix, vec![last]));
            }
        }
    }
    for (comment, list) in groups {
        let mut object = ObjectBuilder::new("android-permission")?;
        event.add_text(&mut object, "comment", "text", comment);
        for permission in list {
            event.add_text(&mut object, "permission", "text", permission);
        }
        event.reference_later(file, object.uuid(), "grants");
        event.push_object(object.build());
    }
    Ok(())
}

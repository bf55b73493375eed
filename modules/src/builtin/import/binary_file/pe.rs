//! The `pe` object and its `pe-section` objects that pymisp's `make_pe_objects` adds with
//! lief for a Windows executable, attribute for attribute as lief 1.0 fills them. (lief
//! 1.0's version resources are lists, which pymisp's check for one `ResourceVersion`
//! never accepts: the reference never adds original-filename, product-name & co.)

use app::MispObject;
use md5::Digest as _;
use serde_json::Value;

use super::authentihash::authentihash;
use super::imphash::imphash;
use super::pe_layout::{self, PeLayout, Section};
use super::section_entropy::lief_entropy;
use super::{hex, python_float};
use crate::engine::ModuleError;
use crate::misp::ObjectBuilder;

const CHARACTERISTIC_EXECUTABLE: u16 = 0x0002;
const CHARACTERISTIC_DLL: u16 = 0x2000;
/// pefile's list of kernel libraries: importing one makes a driver.
const SYSTEM_LIBRARIES: [&str; 5] = [
    "ntoskrnl.exe",
    "hal.dll",
    "ndis.sys",
    "bootvid.dll",
    "kdcom.dll",
];

/// A PE object with its sections, in the order pymisp returns them.
pub struct PeObjects {
    pub pe: MispObject,
    pub sections: Vec<MispObject>,
}

impl PeObjects {
    /// The pe object then its sections, serialised as pymisp does: the pe object also
    /// carries its sections under `sections` (pymisp serialises that attribute too).
    pub fn into_json(self) -> Result<Vec<Value>, ModuleError> {
        let sections: Vec<Value> = self
            .sections
            .iter()
            .map(section_json)
            .collect::<Result<_, _>>()?;
        let mut pe = to_json(&self.pe)?;
        if let Some(map) = pe.as_object_mut() {
            map.insert("sections".to_owned(), Value::Array(sections.clone()));
        }
        let mut all = vec![pe];
        all.extend(sections);
        Ok(all)
    }

    pub fn objects_mut(&mut self) -> impl Iterator<Item = &mut MispObject> {
        std::iter::once(&mut self.pe).chain(self.sections.iter_mut())
    }
}

fn to_json(object: &MispObject) -> Result<Value, ModuleError> {
    serde_json::to_value(object).map_err(|e| ModuleError::internal(format!("pe object: {e}")))
}

/// A serialised pe-section object with its entropy as the float pymisp keeps.
pub fn section_json(object: &MispObject) -> Result<Value, ModuleError> {
    let mut value = to_json(object)?;
    python_float(&mut value, "entropy");
    Ok(value)
}

/// The PE objects for `data`, or `None` when lief would not parse it as a PE.
pub fn pe_objects(data: &[u8]) -> Result<Option<PeObjects>, ModuleError> {
    let Some(layout) = pe_layout::parse(data) else {
        return Ok(None);
    };
    let mut pe = ObjectBuilder::new("pe")?;
    add_text(&mut pe, "type", pe_type(&layout))?;
    add_text(
        &mut pe,
        "entrypoint-address",
        &layout.entrypoint.to_string(),
    )?;
    add_text(
        &mut pe,
        "compilation-timestamp",
        &compilation_timestamp(layout.time_date_stamp),
    )?;
    if let Some(hash) = imphash(&layout.imports) {
        add_text(&mut pe, "imphash", &hash)?;
    }
    add_text(&mut pe, "authentihash", &authentihash(data, &layout))?;
    if let Some(pdb) = &layout.pdb {
        add_text(&mut pe, "pdb", pdb)?;
    }
    let mut sections = Vec::new();
    for section in &layout.sections {
        // pymisp skips nameless empty sections (and does not count them).
        if section.name.is_empty() && section.raw_size == 0 {
            continue;
        }
        let position = sections.len();
        let object = section_object(section)?;
        pe.reference_with_comment(
            &object.uuid,
            "includes",
            Some(&format!("Section {position} of PE")),
        );
        // pymisp compares lief's entrypoint (an address, image base included) with the
        // section's RVA range, so this is only found for an image base of (nearly) 0.
        let start = u64::from(section.virtual_address);
        if layout.entrypoint >= start && layout.entrypoint < start + u64::from(section.virtual_size)
        {
            add_text(
                &mut pe,
                "entrypoint-section-at-position",
                &format!("{}|{position}", section.name),
            )?;
        }
        sections.push(object);
    }
    add_text(&mut pe, "number-sections", &sections.len().to_string())?;
    Ok(Some(PeObjects {
        pe: pe.build(),
        sections,
    }))
}

/// Adds a value as pymisp's `add_attribute` does: stripped of spaces and NULs, and
/// skipped when nothing is left.
fn add_text(builder: &mut ObjectBuilder, relation: &str, value: &str) -> Result<(), ModuleError> {
    let value = value.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    if !value.is_empty() {
        builder.add(relation, value)?;
    }
    Ok(())
}

fn pe_type(layout: &PeLayout<'_>) -> &'static str {
    let is_driver = layout
        .imports
        .iter()
        .any(|i| SYSTEM_LIBRARIES.contains(&i.library.to_lowercase().as_str()));
    if layout.characteristics & CHARACTERISTIC_DLL != 0 {
        "dll"
    } else if is_driver {
        "driver"
    } else if layout.characteristics & CHARACTERISTIC_EXECUTABLE != 0 {
        "exe"
    } else {
        "unknown"
    }
}

/// `datetime.utcfromtimestamp(stamp).isoformat()`.
fn compilation_timestamp(stamp: u32) -> String {
    chrono::DateTime::from_timestamp(i64::from(stamp), 0)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S").to_string())
        .unwrap_or_default()
}

fn section_object(section: &Section<'_>) -> Result<MispObject, ModuleError> {
    let mut object = ObjectBuilder::new("pe-section")?;
    add_text(&mut object, "name", &section.name)?;
    object.add("size-in-bytes", section.raw_size.to_string())?;
    if section.raw_size > 0 {
        let data = section.content;
        let entropy = lief_entropy(data);
        // Zero-filled sections would correlate with everything: pymisp flags their
        // hashes off.
        let to_ids = entropy > 0.0;
        object.add("entropy", format!("{entropy:?}"))?;
        let hashes = [
            ("md5", hex(&md5::Md5::digest(data))),
            ("sha1", sha1_smol::Sha1::from(data).digest().to_string()),
            ("sha256", hex(&sha2::Sha256::digest(data))),
            ("sha512", hex(&sha2::Sha512::digest(data))),
        ];
        for (relation, hash) in hashes {
            object.add(relation, hash)?;
            flag(&mut object, to_ids);
        }
        if to_ids && let Ok(digest) = ssdeep::hash_buf(data) {
            object.add("ssdeep", digest.to_string())?;
            // The resources' fuzzy hash is shared by too many files to be an indicator.
            flag(&mut object, to_ids && section.name != ".rsrc");
        }
    }
    Ok(object.build())
}

fn flag(object: &mut ObjectBuilder, to_ids: bool) {
    object.edit_last(|attribute| {
        attribute.to_ids = to_ids;
        attribute.disable_correlation = !to_ids;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    const TESTDATA: &str = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/src/builtin/import/testdata/pe"
    );

    fn read(name: &str) -> Vec<u8> {
        std::fs::read(format!("{TESTDATA}/{name}")).unwrap()
    }

    /// The pe and pe-section objects as the reference (pymisp with lief 1.0) answered for
    /// these small PEs, built by `testdata/pe/mkpe.py`: attributes with their types and
    /// flags, and the references' comments.
    fn slim(objects: &[Value]) -> Vec<Value> {
        objects
            .iter()
            .map(|o| {
                let attributes: Vec<Value> = o["Attribute"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| {
                        serde_json::json!({
                            "object_relation": a["object_relation"], "value": a["value"],
                            "type": a["type"], "category": a["category"],
                            "to_ids": a["to_ids"], "disable_correlation": a["disable_correlation"],
                        })
                    })
                    .collect();
                let references: Vec<Value> = o["ObjectReference"]
                    .as_array()
                    .map(|r| r.iter().map(|r| r["comment"].clone()).collect())
                    .unwrap_or_default();
                serde_json::json!({"name": o["name"], "Attribute": attributes, "references": references})
            })
            .collect()
    }

    #[test]
    fn objects_match_the_reference() {
        for name in ["a32", "b64dll", "c32vs0", "ep0"] {
            let pe = pe_objects(&read(&format!("{name}.exe"))).unwrap().unwrap();
            let ours = pe.into_json().unwrap();
            let expected: Vec<Value> =
                serde_json::from_slice(&read(&format!("{name}.expected.json"))).unwrap();
            assert_eq!(slim(&ours), expected, "{name}");
        }
    }

    #[test]
    fn the_pe_object_embeds_its_sections_and_refers_to_them() {
        let pe = pe_objects(&read("a32.exe")).unwrap().unwrap();
        let uuids: Vec<String> = pe.sections.iter().map(|s| s.uuid.clone()).collect();
        let referenced: Vec<&str> = pe
            .pe
            .references
            .iter()
            .map(|r| r.referenced_uuid.as_str())
            .collect();
        assert_eq!(
            referenced,
            uuids.iter().map(String::as_str).collect::<Vec<_>>()
        );
        let json = pe.into_json().unwrap();
        assert_eq!(json.len(), 4);
        assert_eq!(json[0]["sections"].as_array().unwrap()[1], json[2]);
        // A single repeated byte has lief's negative zero entropy, as a float.
        assert_eq!(json[3]["Attribute"][2]["value"].to_string(), "-0.0");
    }

    #[test]
    fn not_a_pe_gives_no_objects() {
        for data in [&b""[..], b"MZ", b"hello world", &read("a32.exe")[..300]] {
            assert!(pe_objects(data).unwrap().is_none());
        }
    }

    /// Truncated and garbled copies never panic (a cheap deterministic fuzz).
    #[test]
    fn malformed_pes_do_not_panic() {
        let original = read("a32.exe");
        for length in (0..original.len()).step_by(7) {
            let _ = pe_objects(&original[..length]).unwrap();
        }
        let mut state = 0x2545_f491_u32;
        for _ in 0..3000 {
            let mut data = original.clone();
            for _ in 0..8 {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let at = state as usize % data.len();
                data[at] = (state >> 8) as u8;
            }
            let _ = pe_objects(&data).unwrap();
        }
    }
}

//! Small parsers shared by several modules.

pub mod pdf_guard;
#[cfg(test)]
pub(crate) mod pdf_testing;
pub mod pdf_text;
pub mod python_base64;
pub mod python_json;
pub mod stix2_hashes;
pub mod stix2_pattern;
pub mod url_parts;

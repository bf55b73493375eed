//! Small parsers shared by several modules.

pub mod stix2_pattern;
pub mod url_parts;

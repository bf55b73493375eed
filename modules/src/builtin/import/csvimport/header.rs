//! Which header describes the rows, and whether it names MISP attribute types (an
//! "external" CSV) or the fields of a MISP CSV export.

use super::rows::Row;
use super::settings::CsvSettings;
use crate::engine::ModuleError;
use crate::misp::is_attribute_type;
use crate::pycompat::python_repr_str;

/// The fields of MISP's CSV export, in its order.
pub const MISP_STANDARD: [&str; 13] = [
    "uuid",
    "event_id",
    "category",
    "type",
    "value",
    "comment",
    "to_ids",
    "date",
    "object_relation",
    "attribute_tag",
    "object_uuid",
    "object_name",
    "object_meta_category",
];

/// The export fields MISP adds when event columns are asked for.
const MISP_EVENT_FIELDS: [&str; 9] = [
    "event_info",
    "event_member_org",
    "event_source_org",
    "event_distribution",
    "event_threat_level_id",
    "event_analysis",
    "event_date",
    "event_tag",
    "event_timestamp",
];

/// Header values that mean "skip this column".
const SKIPPED: [&str; 3] = ["", "_", "object_id"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderKind {
    /// At least one column is named by a MISP attribute type.
    External,
    /// Every column is a MISP CSV export field.
    MispExport,
}

#[derive(Debug, Clone)]
pub struct Header {
    pub fields: Vec<String>,
    pub kind: HeaderKind,
}

impl Header {
    pub fn position(&self, field: &str) -> Option<usize> {
        self.fields.iter().position(|f| f == field)
    }
}

fn is_misp_field(field: &str) -> bool {
    MISP_STANDARD.contains(&field) || MISP_EVENT_FIELDS.contains(&field) || SKIPPED.contains(&field)
}

/// The header of the import, taken from the settings or from the first row (which is
/// then removed from `rows`), and checked.
pub fn resolve(settings: &CsvSettings, rows: &mut Vec<Row>) -> Result<Header, ModuleError> {
    let (mut fields, from_file) = if settings.header.is_empty() {
        if !settings.has_header {
            return Err(ModuleError::reported(
                "Configuration error. Provide a header or use the one within the csv file and tick the checkbox 'Has_header'.",
            ));
        }
        if rows.is_empty() {
            return Err(ModuleError::reported("The CSV data has no header line"));
        }
        (rows.remove(0), true)
    } else {
        if settings.has_header && !rows.is_empty() {
            rows.remove(0);
        }
        (settings.header.clone(), false)
    };
    // A full MISP export header with event columns reads like the standard one.
    let full: Vec<&str> = MISP_STANDARD
        .iter()
        .chain(MISP_EVENT_FIELDS.iter())
        .copied()
        .collect();
    if fields == full {
        fields.truncate(MISP_STANDARD.len());
    }
    for field in &fields {
        if !is_attribute_type(field) && !is_misp_field(field) {
            return Err(ModuleError::reported(format!(
                "Wrong header field: {field}. Please use a header value that can be recognized by MISP (or alternatively skip it using a whitespace)."
            )));
        }
    }
    let kind = if fields.iter().all(|f| is_misp_field(f)) {
        HeaderKind::MispExport
    } else {
        HeaderKind::External
    };
    let has = |name: &str| fields.iter().any(|f| f == name);
    match kind {
        HeaderKind::MispExport if !has("type") && !has("value") => Err(ModuleError::reported(
            "Please make sure the data you try to import can be identified with a type/value combinaison.",
        )),
        HeaderKind::External if has("type") || has("value") => {
            let clashing: Vec<&str> = ["type", "value"].into_iter().filter(|f| has(f)).collect();
            Err(ModuleError::reported(format!(
                "Error with the following header: {}. It contains the following field(s): {}, which is(are) already provided by the usage of at least on MISP attribute type in the header.",
                python_sequence(&fields, from_file),
                clashing.join("and")
            )))
        }
        _ => Ok(Header { fields, kind }),
    }
}

/// The header as Python prints it: a list from the settings, a tuple from the file.
fn python_sequence(fields: &[String], tuple: bool) -> String {
    let items: Vec<String> = fields.iter().map(|f| python_repr_str(f)).collect();
    match (tuple, items.len()) {
        (true, 1) => format!("({},)", items[0]),
        (true, _) => format!("({})", items.join(", ")),
        (false, _) => format!("[{}]", items.join(", ")),
    }
}

//! Spreadsheet reading shared by `ods_enrich` and `xlsx_enrich`: every sheet printed as
//! a table, the way the reference prints an .ods file.

use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};

use super::office::{analyze_error, frame_text, open_zip};
use crate::engine::ModuleError;

/// A cell as pandas prints it.
fn cell_text(cell: &Data) -> Option<String> {
    Some(match cell {
        Data::Empty => return None,
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e16 => format!("{f:.1}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(true) => "True".into(),
        Data::Bool(false) => "False".into(),
        Data::DateTime(d) => d.to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    })
}

/// Rows without the empty ones at the end, cells without the empty ones at row ends.
fn trimmed(range: &calamine::Range<Data>) -> Vec<Vec<String>> {
    let mut rows: Vec<Vec<Option<String>>> = range
        .rows()
        .map(|row| row.iter().map(cell_text).collect())
        .collect();
    while rows.last().is_some_and(|r| r.iter().all(Option::is_none)) {
        rows.pop();
    }
    let width = rows
        .iter()
        .filter_map(|r| r.iter().rposition(Option::is_some))
        .max()
        .map_or(0, |i| i + 1);
    rows.into_iter()
        .map(|r| {
            (0..width)
                .map(|i| r.get(i).cloned().flatten().unwrap_or_else(|| "None".into()))
                .collect()
        })
        .collect()
}

/// Every sheet of the workbook, each preceded by a newline.
pub fn workbook_text(bytes: &[u8], extension: &str) -> Result<String, ModuleError> {
    // Checked first for its limits; calamine then reads the same bytes.
    open_zip(bytes, extension)?;
    let mut workbook =
        open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| analyze_error(extension, e))?;
    let mut text = String::new();
    for name in workbook.sheet_names() {
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| analyze_error(extension, e))?;
        text.push('\n');
        text.push_str(&frame_text(&trimmed(&range)));
    }
    Ok(text)
}

//! Spreadsheet reading shared by `ods_enrich` and `xlsx_enrich`: every sheet printed as
//! a table, the way the reference prints an .ods file.

use std::io::Cursor;

use calamine::{Data, Reader, open_workbook_auto_from_rs};

use super::frame::{Cell, frame_text};
use super::office::{analyze_error, open_zip};
use crate::engine::ModuleError;

/// A date and time as Python's `str()` of a `datetime` (what openpyxl hands pandas):
/// `2024-01-02 03:04:05`, with microseconds only when there are some.
fn excel_datetime_text(moment: &calamine::ExcelDateTime) -> String {
    let (year, month, day, hour, minute, second, milli) = moment.to_ymd_hms_milli();
    let mut text = format!("{year:04}-{month:02}-{day:02} {hour:02}:{minute:02}:{second:02}");
    if milli > 0 {
        text.push_str(&format!(".{:06}", u32::from(milli) * 1000));
    }
    text
}

/// A cell as the reader hands it to pandas.
fn cell(data: &Data) -> Cell {
    match data {
        Data::Empty => Cell::Missing,
        Data::String(s) => Cell::Text(s.clone()),
        Data::Int(i) => Cell::Integer(*i),
        Data::Float(f) => Cell::Number(*f),
        Data::Bool(true) => Cell::Text("True".into()),
        Data::Bool(false) => Cell::Text("False".into()),
        Data::DateTime(d) if d.is_datetime() => Cell::Text(excel_datetime_text(d)),
        // A duration-formatted cell keeps its serial value.
        Data::DateTime(d) => Cell::Number(d.as_f64()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Cell::Text(s.clone()),
        Data::Error(e) => Cell::Text(format!("#{e:?}")),
    }
}

/// Rows without the empty ones at the end, cells without the empty ones at row ends.
fn trimmed(range: &calamine::Range<Data>) -> Vec<Vec<Cell>> {
    let mut rows: Vec<Vec<Cell>> = range
        .rows()
        .map(|row| row.iter().map(cell).collect())
        .collect();
    let empty = |c: &Cell| *c == Cell::Missing;
    while rows.last().is_some_and(|r| r.iter().all(empty)) {
        rows.pop();
    }
    let width = rows
        .iter()
        .filter_map(|r| r.iter().rposition(|c| !empty(c)))
        .max()
        .map_or(0, |i| i + 1);
    rows.into_iter()
        .map(|mut r| {
            r.resize(width, Cell::Missing);
            r
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

#[cfg(test)]
mod tests {
    use super::*;
    use calamine::{ExcelDateTime, ExcelDateTimeType};

    #[test]
    fn dates_print_as_python_datetimes() {
        // 2024-01-02 03:04:05, the cell of /tmp/diff/expansion xlsx_enrich_rich_xlsx.
        let moment = ExcelDateTime::new(45293.12783564815, ExcelDateTimeType::DateTime, false);
        assert_eq!(
            cell(&Data::DateTime(moment)),
            Cell::Text("2024-01-02 03:04:05".into())
        );
        let with_millis = ExcelDateTime::new(45293.5000058, ExcelDateTimeType::DateTime, false);
        assert_eq!(
            cell(&Data::DateTime(with_millis)),
            Cell::Text("2024-01-02 12:00:00.501000".into())
        );
    }
}

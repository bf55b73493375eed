//! Spreadsheet reading shared by `ods_enrich` and `xlsx_enrich`: every sheet printed as
//! a table, the way the reference prints an .ods file.

use std::io::Cursor;

use calamine::{Data, DataRef, Reader, Sheets, open_workbook_auto_from_rs};

use super::frame::{Cell, frame_text};
use super::office::{analyze_error, open_zip, read_member};
use super::sheet_extent::{Extent, MAX_SHEET_CELLS, ods_extents};
use crate::engine::ModuleError;

/// The text of all sheets together, the cap the jinja module uses for its output too.
const MAX_TEXT_BYTES: usize = 1024 * 1024;

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

fn too_large(extension: &str, extent: Extent) -> Result<(), ModuleError> {
    if extent.cells() > MAX_SHEET_CELLS {
        return Err(analyze_error(
            extension,
            format!(
                "a sheet spans {} cells, more than the {MAX_SHEET_CELLS} that can be read",
                extent.cells()
            ),
        ));
    }
    Ok(())
}

/// The rectangle around a sheet's used cells, from calamine's cell reader (xlsx and
/// xlsb), before `worksheet_range` allocates it.
fn streamed_extent<'a, E: std::fmt::Display>(
    mut next: impl FnMut() -> Result<Option<calamine::Cell<DataRef<'a>>>, E>,
    extension: &str,
) -> Result<Extent, ModuleError> {
    let mut extent = Extent::default();
    while let Some(cell) = next().map_err(|e| analyze_error(extension, e))? {
        if *cell.get_value() != DataRef::Empty {
            let (row, column) = cell.get_position();
            extent.add(row.into(), 1, column.into(), 1);
            // Refused as soon as it is too large: the reader keeps no grid itself.
            too_large(extension, extent)?;
        }
    }
    Ok(extent)
}

/// Every sheet of the workbook, each preceded by a newline.
pub fn workbook_text(bytes: &[u8], extension: &str) -> Result<String, ModuleError> {
    // Checked first for its limits; calamine then reads the same bytes.
    let mut archive = open_zip(bytes, extension)?;
    // calamine builds every ods sheet's grid when it opens the file, so ods sheets are
    // measured from content.xml first.
    if archive.index_for_name("content.xml").is_some() {
        let content = read_member(&mut archive, "content.xml", extension)?;
        let extents = ods_extents(&content).map_err(|e| analyze_error(extension, e))?;
        for extent in extents {
            too_large(extension, extent)?;
        }
    }
    let mut workbook =
        open_workbook_auto_from_rs(Cursor::new(bytes)).map_err(|e| analyze_error(extension, e))?;
    let mut text = String::new();
    for name in workbook.sheet_names() {
        match &mut workbook {
            Sheets::Xlsx(xlsx) => {
                let mut cells = xlsx
                    .worksheet_cells_reader(&name)
                    .map_err(|e| analyze_error(extension, e))?;
                streamed_extent(|| cells.next_cell(), extension)?;
            }
            Sheets::Xlsb(xlsb) => {
                let mut cells = xlsb
                    .worksheet_cells_reader(&name)
                    .map_err(|e| analyze_error(extension, e))?;
                streamed_extent(|| cells.next_cell(), extension)?;
            }
            Sheets::Xls(_) | Sheets::Ods(_) => {}
        }
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| analyze_error(extension, e))?;
        text.push('\n');
        text.push_str(&frame_text(&trimmed(&range)));
        if text.len() > MAX_TEXT_BYTES {
            return Err(analyze_error(
                extension,
                format!("the sheets' text is larger than {MAX_TEXT_BYTES} bytes"),
            ));
        }
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::expansion::office::tests_support::zip_of;
    use calamine::{ExcelDateTime, ExcelDateTimeType};

    /// A one-sheet xlsx whose sheet data is `rows`.
    fn xlsx(rows: &str) -> Vec<u8> {
        const MAIN: &str = "http://schemas.openxmlformats.org/spreadsheetml/2006/main";
        const RELS: &str = "http://schemas.openxmlformats.org/package/2006/relationships";
        const DOC: &str = "http://schemas.openxmlformats.org/officeDocument/2006/relationships";
        let workbook = format!(
            "<workbook xmlns=\"{MAIN}\" xmlns:r=\"{DOC}\"><sheets><sheet name=\"S\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"
        );
        let rels = format!(
            "<Relationships xmlns=\"{RELS}\"><Relationship Id=\"rId1\" Type=\"{DOC}/worksheet\" Target=\"worksheets/sheet1.xml\"/></Relationships>"
        );
        let sheet =
            format!("<worksheet xmlns=\"{MAIN}\"><sheetData>{rows}</sheetData></worksheet>");
        let root = format!(
            "<Relationships xmlns=\"{RELS}\"><Relationship Id=\"rId1\" Type=\"{DOC}/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"
        );
        zip_of(&[
            ("_rels/.rels", &root),
            ("xl/workbook.xml", &workbook),
            ("xl/_rels/workbook.xml.rels", &rels),
            ("xl/worksheets/sheet1.xml", &sheet),
        ])
    }

    /// A one-sheet ods whose table is `rows`.
    fn ods(rows: &str) -> Vec<u8> {
        let content = format!(
            "<office:document-content xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" \
             xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" \
             xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\">\
             <office:body><office:spreadsheet><table:table table:name=\"S\">{rows}</table:table>\
             </office:spreadsheet></office:body></office:document-content>"
        );
        zip_of(&[
            ("mimetype", "application/vnd.oasis.opendocument.spreadsheet"),
            (
                "META-INF/manifest.xml",
                "<manifest:manifest xmlns:manifest=\"urn:oasis:names:tc:opendocument:xmlns:manifest:1.0\"/>",
            ),
            ("content.xml", &content),
        ])
    }

    const ODS_CELL: &str =
        "<table:table-cell office:value-type=\"string\"><text:p>a</text:p></table:table-cell>";

    #[test]
    fn small_sheets_are_read() {
        let rows = "<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>a</t></is></c></row>\
                    <row r=\"2\"><c r=\"B2\"><v>2</v></c></row>";
        let expected = "\n  column.0  column.1\n0        a       NaN\n1     None       2.0";
        assert_eq!(workbook_text(&xlsx(rows), "xlsx").unwrap(), expected);
        // LibreOffice's filler: empty rows and columns up to the sheet's last cell.
        let rows = format!(
            "<table:table-row>{ODS_CELL}<table:table-cell table:number-columns-repeated=\"16383\"/></table:table-row>\
             <table:table-row table:number-rows-repeated=\"1048575\"><table:table-cell table:number-columns-repeated=\"16384\"/></table:table-row>"
        );
        assert_eq!(
            workbook_text(&ods(&rows), "ods").unwrap(),
            "\n  column.0\n0        a"
        );
    }

    /// Two cells at opposite corners: calamine would allocate all 17 billion cells
    /// between them and abort the process.
    #[test]
    fn sheets_spanning_huge_grids_are_refused() {
        let rows = "<row r=\"1\"><c r=\"A1\"><v>1</v></c></row>\
                    <row r=\"1048576\"><c r=\"XFD1048576\"><v>1</v></c></row>";
        let refused = |extension: &str| {
            format!(
                "Couldn't analyze file as .{extension}. Error was: a sheet spans {} cells, \
                 more than the 1000000 that can be read",
                1_048_576u64 * 16_384
            )
        };
        let error = workbook_text(&xlsx(rows), "xlsx").unwrap_err();
        // The xlsx reader stops at the first cell past the limit, its extent so far.
        assert!(
            error
                .to_string()
                .contains("a sheet spans 17179869184 cells"),
            "{error}"
        );
        let rows = format!(
            "<table:table-row>{ODS_CELL}</table:table-row>\
             <table:table-row table:number-rows-repeated=\"1048574\"><table:table-cell/></table:table-row>\
             <table:table-row><table:table-cell table:number-columns-repeated=\"16383\"/>{ODS_CELL}</table:table-row>"
        );
        let error = workbook_text(&ods(&rows), "ods").unwrap_err();
        assert_eq!(error.to_string(), refused("ods"));
    }

    #[test]
    fn text_past_the_cap_is_refused() {
        let long = "a".repeat(MAX_TEXT_BYTES);
        let rows = format!(
            "<table:table-row><table:table-cell office:value-type=\"string\"><text:p>{long}</text:p></table:table-cell></table:table-row>"
        );
        let error = workbook_text(&ods(&rows), "ods").unwrap_err();
        assert_eq!(
            error.to_string(),
            "Couldn't analyze file as .ods. Error was: the sheets' text is larger than 1048576 bytes"
        );
    }

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

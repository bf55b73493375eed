//! How large a grid calamine would build for each sheet, found before it builds one.
//!
//! calamine stores a sheet as the full rectangle around its used cells, so a file of a
//! few KB with cells at A1 and XFD1048576 asks for 17 billion cells and aborts the
//! process on allocation failure. The rectangle is measured here from the cells as they
//! stream: for xlsx/xlsb with calamine's own cell reader, for ods (which calamine
//! parses whole when the file is opened) from the rows and repeat counts of
//! `content.xml`.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

/// Every printed cell takes at least two characters (a space and a value), so a sheet
/// past this many cells could not fit the text cap anyway.
pub const MAX_SHEET_CELLS: u64 = 1_000_000;

/// The rectangle around the used cells of one sheet.
#[derive(Debug, Default, Clone, Copy, PartialEq)]
pub struct Extent {
    rows: Option<(u64, u64)>,
    columns: Option<(u64, u64)>,
}

impl Extent {
    /// Adds the used cells at `row` (and the `row_span - 1` rows below) from `column`
    /// over `column_span` columns.
    pub fn add(&mut self, row: u64, row_span: u64, column: u64, column_span: u64) {
        let widen = |range: Option<(u64, u64)>, start: u64, span: u64| {
            let end = start.saturating_add(span.max(1) - 1);
            Some(range.map_or((start, end), |(low, high)| (low.min(start), high.max(end))))
        };
        self.rows = widen(self.rows, row, row_span);
        self.columns = widen(self.columns, column, column_span);
    }

    pub fn cells(&self) -> u64 {
        let span = |range: Option<(u64, u64)>| range.map_or(0, |(low, high)| high - low + 1);
        span(self.rows).saturating_mul(span(self.columns))
    }
}

/// The extent of each sheet in an ods `content.xml`, in document order.
pub fn ods_extents(content: &str) -> Result<Vec<Extent>, quick_xml::Error> {
    let mut reader = Reader::from_str(content);
    let mut extents = Vec::new();
    // Position in the current table: the row being read and the next column in it.
    let (mut row, mut column) = (0u64, 0u64);
    let mut row_span = 1u64;
    // Used columns of the current row: (first, one past the last).
    let mut used: Option<(u64, u64)> = None;
    loop {
        let event = reader.read_event()?;
        let (tag, has_content) = match &event {
            Event::Start(tag) => (tag, true),
            Event::Empty(tag) => (tag, false),
            Event::End(tag) => {
                if tag.name().as_ref() == "table:table-row" {
                    close_row(&mut extents, row, row_span, used.take());
                    row = row.saturating_add(row_span);
                }
                continue;
            }
            Event::Eof => break,
            _ => continue,
        };
        match tag.name().as_ref() {
            "table:table" => {
                extents.push(Extent::default());
                row = 0;
            }
            "table:table-row" => {
                row_span = repeat(tag, "table:number-rows-repeated");
                column = 0;
                if !has_content {
                    row = row.saturating_add(row_span);
                }
            }
            "table:table-cell" | "table:covered-table-cell" => {
                let span = repeat(tag, "table:number-columns-repeated");
                // A cell with a value type or any content (text, annotations) is used;
                // an empty element without a type is only a placeholder.
                let typed = tag.try_get_attribute("office:value-type").ok().flatten();
                if has_content || typed.is_some() {
                    let end = column.saturating_add(span);
                    used = Some(used.map_or((column, end), |(low, high)| (low, high.max(end))));
                }
                column = column.saturating_add(span);
            }
            _ => {}
        }
    }
    Ok(extents)
}

fn close_row(extents: &mut [Extent], row: u64, row_span: u64, used: Option<(u64, u64)>) {
    if let (Some(extent), Some((first, end))) = (extents.last_mut(), used) {
        extent.add(row, row_span, first, end - first);
    }
}

/// A repeat count attribute, 1 when absent or unreadable (as calamine reads it).
fn repeat(tag: &BytesStart, name: &str) -> u64 {
    tag.try_get_attribute(name)
        .ok()
        .flatten()
        .and_then(|a| a.value.parse::<u64>().ok())
        .unwrap_or(1)
        .max(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(rows: &str) -> String {
        format!(
            "<office:spreadsheet><table:table table:name=\"S\">{rows}</table:table></office:spreadsheet>"
        )
    }

    const VALUE: &str =
        "<table:table-cell office:value-type=\"string\"><text:p>x</text:p></table:table-cell>";

    #[test]
    fn repeated_empty_rows_and_cells_do_not_count() {
        // What LibreOffice writes: empty filler up to the sheet's last row and column.
        let rows = format!(
            "<table:table-row>{VALUE}<table:table-cell table:number-columns-repeated=\"16383\"/></table:table-row>\
             <table:table-row table:number-rows-repeated=\"1048575\"><table:table-cell table:number-columns-repeated=\"16384\"/></table:table-row>"
        );
        let extents = ods_extents(&table(&rows)).unwrap();
        assert_eq!(extents.len(), 1);
        assert_eq!(extents[0].cells(), 1);
    }

    #[test]
    fn used_cells_far_apart_span_the_whole_rectangle() {
        let rows = format!(
            "<table:table-row>{VALUE}</table:table-row>\
             <table:table-row table:number-rows-repeated=\"1048574\"><table:table-cell/></table:table-row>\
             <table:table-row><table:table-cell table:number-columns-repeated=\"16383\"/>{VALUE}</table:table-row>"
        );
        let extents = ods_extents(&table(&rows)).unwrap();
        assert_eq!(extents[0].cells(), 1_048_576 * 16_384);
    }

    #[test]
    fn a_repeated_used_row_counts_every_repeat() {
        let rows = "<table:table-row table:number-rows-repeated=\"2000\">\
            <table:table-cell table:number-columns-repeated=\"3\" office:value-type=\"float\" office:value=\"1\"/>\
            </table:table-row>";
        assert_eq!(ods_extents(&table(rows)).unwrap()[0].cells(), 6000);
    }
}

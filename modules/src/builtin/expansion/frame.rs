//! A table printed as pandas' `DataFrame.to_string()` prints a sheet read without a
//! header: columns `column.0`, `column.1`, ... right-aligned, rows numbered from 0.
//!
//! pandas decides per column: a column whose present cells are all numbers is numeric
//! (missing cells are `NaN`, the numbers share one number of decimals, the header and
//! the values get a leading sign space); any other column holds objects (missing cells are
//! `None`, each value printed on its own after one space). Columns are separated by one
//! space and are as wide as their widest entry.

/// One cell as the spreadsheet reader hands it over.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Missing,
    Number(f64),
    Integer(i64),
    /// Any other value, already written as Python would `str()` it.
    Text(String),
}

/// How an object column writes a cell that is not a float: Python's `str()`, `None`
/// for a missing cell.
fn object_text(cell: &Cell) -> String {
    match cell {
        Cell::Missing => "None".into(),
        Cell::Number(f) => fixed_float(*f),
        Cell::Integer(i) => i.to_string(),
        Cell::Text(text) => text.clone(),
    }
}

/// An object column's entry. pandas writes the floats there with its display precision
/// (`f"{x: .6f}"`, trailing zeros trimmed to one decimal), not with `str()`: 1e16 is
/// `10000000000000000.0` and 1e-7 is `0.0` (checked against the reference with an .ods
/// file). Everything else gets one space before its `str()`.
fn object_entry(cell: &Cell) -> String {
    match cell {
        Cell::Number(f) => signed(fixed_float(*f)),
        other => format!(" {}", object_text(other)),
    }
}

/// Six decimals with trailing zeros trimmed, keeping one (`0.000000` → `0.0`).
fn fixed_float(value: f64) -> String {
    let mut text = format!("{value:.6}");
    if text.contains('.') {
        text.truncate(text.trim_end_matches('0').len());
        if text.ends_with('.') {
            text.push('0');
        }
    }
    text
}

/// A value of a numeric column pandas writes in scientific notation: `%.6e` with
/// Python's signed two-digit exponent (`1.000000e-07`, `1.000000e+16`).
fn scientific(value: f64) -> String {
    let text = format!("{value:.6e}");
    let Some((mantissa, exponent)) = text.split_once('e') else {
        return text; // inf and NaN have no exponent.
    };
    let (sign, digits) = match exponent.strip_prefix('-') {
        Some(digits) => ('-', digits),
        None => ('+', exponent),
    };
    format!("{mantissa}e{sign}{digits:0>2}")
}

/// A number with pandas' sign space: a space where a minus sign would go.
fn signed(text: String) -> String {
    if text.starts_with('-') {
        text
    } else {
        format!(" {text}")
    }
}

/// A numeric column's values with pandas' shared precision: six decimals, then trailing
/// zeros trimmed as long as every value has one, keeping at least one decimal. A column
/// of integers without missing cells stays integral. Where pandas would switch to
/// scientific notation (tiny values, or long and large ones), it does so for the whole
/// column.
fn numeric_texts(cells: &[&Cell]) -> Vec<String> {
    if cells.iter().all(|c| matches!(c, Cell::Integer(_))) {
        return cells.iter().map(|c| signed(object_text(c))).collect();
    }
    let value = |cell: &Cell| match cell {
        Cell::Number(f) => Some(*f),
        Cell::Integer(i) => Some(*i as f64),
        _ => None,
    };
    let values: Vec<Option<f64>> = cells.iter().map(|c| value(c)).collect();
    let mut fixed: Vec<Option<String>> = values
        .iter()
        .map(|v| v.map(|v| format!("{v:.6}")))
        .collect();
    while fixed.iter().flatten().next().is_some()
        && fixed.iter().flatten().all(|t| t.ends_with('0'))
    {
        for text in fixed.iter_mut().flatten() {
            text.pop();
        }
    }
    let fixed: Vec<Option<String>> = fixed
        .into_iter()
        .map(|text| {
            text.map(|mut text| {
                if text.ends_with('.') {
                    text.push('0');
                }
                signed(text)
            })
        })
        .collect();
    let present = || values.iter().flatten();
    let too_long = fixed.iter().flatten().any(|t| t.chars().count() > 12);
    let scientific = present().any(|v| !v.is_finite() || (*v != 0.0 && v.abs() < 1e-6))
        || (too_long && present().any(|v| v.abs() > 1e6));
    values
        .iter()
        .zip(fixed)
        .map(|(value, text)| match (value, text, scientific) {
            (Some(value), Some(_), true) => signed(self::scientific(*value)),
            (_, Some(text), _) => text,
            (_, None, _) => "NaN".into(),
        })
        .collect()
}

/// The entries (header first) of column `index`.
fn column_entries(rows: &[Vec<Cell>], index: usize) -> Vec<String> {
    let cells: Vec<&Cell> = rows
        .iter()
        .map(|row| row.get(index).unwrap_or(&Cell::Missing))
        .collect();
    let numeric = cells.iter().any(|c| !matches!(c, Cell::Missing))
        && cells
            .iter()
            .all(|c| matches!(c, Cell::Missing | Cell::Number(_) | Cell::Integer(_)));
    let header = format!("column.{index}");
    if numeric {
        let mut entries = vec![format!(" {header}")];
        entries.extend(numeric_texts(&cells));
        entries
    } else {
        let mut entries = vec![header];
        entries.extend(cells.iter().map(|c| object_entry(c)));
        entries
    }
}

pub fn frame_text(rows: &[Vec<Cell>]) -> String {
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    if rows.is_empty() || columns == 0 {
        return "Empty DataFrame\nColumns: []\nIndex: []".to_owned();
    }
    let index_width = (rows.len() - 1).to_string().len();
    let mut lines: Vec<String> = std::iter::once(" ".repeat(index_width))
        .chain((0..rows.len()).map(|n| format!("{n:<index_width$}")))
        .collect();
    for index in 0..columns {
        let entries = column_entries(rows, index);
        let width = entries.iter().map(|e| e.chars().count()).max().unwrap_or(0);
        for (line, entry) in lines.iter_mut().zip(&entries) {
            // Padded by hand: `format!("{:>width$}")` panics for widths past 65535,
            // and a cell can hold a longer text.
            let pad = width - entry.chars().count();
            line.push(' ');
            line.extend(std::iter::repeat_n(' ', pad));
            line.push_str(entry);
        }
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Cell {
        Cell::Text(s.into())
    }

    #[test]
    fn object_and_numeric_columns_print_like_pandas() {
        // The reference's answers for /tmp/diff/expansion ods_enrich_onecell_ods,
        // _intcol_ods and _sparse_ods.
        assert_eq!(frame_text(&[vec![text("solo")]]), "  column.0\n0     solo");
        let intcol = [
            vec![Cell::Number(1.0), text("x")],
            vec![Cell::Number(2.0), Cell::Missing],
            vec![Cell::Number(3.0), text("yy")],
        ];
        assert_eq!(
            frame_text(&intcol),
            "   column.0 column.1\n0       1.0        x\n1       2.0     None\n2       3.0       yy"
        );
        let sparse = [
            vec![text("a")],
            vec![Cell::Missing, Cell::Missing, text("True")],
            vec![Cell::Missing, Cell::Number(-7.0)],
            vec![Cell::Missing, Cell::Missing, Cell::Missing, text("d")],
        ];
        assert_eq!(
            frame_text(&sparse),
            "  column.0  column.1 column.2 column.3\n\
             0        a       NaN     None     None\n\
             1     None       NaN     True     None\n\
             2     None      -7.0     None     None\n\
             3     None       NaN     None        d"
        );
    }

    #[test]
    fn numbers_share_their_decimals() {
        let rows = [
            vec![Cell::Number(0.5)],
            vec![Cell::Number(0.25)],
            vec![Cell::Number(3.0)],
        ];
        assert_eq!(
            frame_text(&rows),
            "   column.0\n0      0.50\n1      0.25\n2      3.00"
        );
        let integers = [vec![Cell::Integer(7)], vec![Cell::Integer(-12)]];
        assert_eq!(
            frame_text(&integers),
            "   column.0\n0         7\n1       -12"
        );
    }

    #[test]
    fn long_indexes_and_wide_text() {
        let rows: Vec<Vec<Cell>> = (0..11)
            .map(|i| vec![text(&format!("v{i}")), text("x")])
            .collect();
        let printed = frame_text(&rows);
        assert!(
            printed.starts_with("   column.0 column.1\n0        v0        x\n"),
            "{printed}"
        );
        assert!(printed.ends_with("\n10      v10        x"), "{printed}");
        let wide = [vec![text("longer string value")], vec![Cell::Missing]];
        assert_eq!(
            frame_text(&wide),
            "              column.0\n0  longer string value\n1                 None"
        );
        assert_eq!(frame_text(&[]), "Empty DataFrame\nColumns: []\nIndex: []");
    }

    /// The reference's answers for an .ods file written with ezodf: floats in an
    /// object column, then numeric columns that pandas writes in scientific notation.
    #[test]
    fn floats_print_with_pandas_display_precision() {
        let mixed: Vec<Vec<Cell>> = [
            text("x"),
            Cell::Number(1e16),
            Cell::Number(1e-7),
            Cell::Number(0.1),
            Cell::Number(-2.5e-5),
            Cell::Number(123456789012345678.0),
            Cell::Number(9007199254740992.0),
        ]
        .into_iter()
        .map(|c| vec![c])
        .collect();
        assert_eq!(
            frame_text(&mixed),
            "               column.0\n\
             0                     x\n\
             1   10000000000000000.0\n\
             2                   0.0\n\
             3                   0.1\n\
             4             -0.000025\n\
             5  123456789012345680.0\n\
             6    9007199254740992.0"
        );
        let n = Cell::Number;
        let numeric = [
            vec![
                n(1e-7),
                n(1e16),
                n(1e-7),
                n(1e16),
                n(123456789.123),
                n(9007199254740992.0),
                n(-1e-7),
            ],
            vec![
                n(1.0),
                n(2.5),
                Cell::Missing,
                Cell::Missing,
                n(1e7),
                n(0.5),
                n(3.0),
            ],
        ];
        assert_eq!(
            frame_text(&numeric),
            "       column.0      column.1      column.2      column.3      column.4      column.5      column.6\n\
             0  1.000000e-07  1.000000e+16  1.000000e-07  1.000000e+16  1.234568e+08  9.007199e+15 -1.000000e-07\n\
             1  1.000000e+00  2.500000e+00           NaN           NaN  1.000000e+07  5.000000e-01  3.000000e+00"
        );
    }

    /// A column wider than 65535 characters used to panic in the padding format.
    #[test]
    fn very_wide_columns_are_padded() {
        let long = "a".repeat(70_000);
        let printed = frame_text(&[vec![text(&long)], vec![text("b")]]);
        let lines: Vec<&str> = printed.lines().collect();
        assert_eq!(lines.len(), 3);
        assert!(
            lines.iter().all(|l| l.chars().count() == 70_003),
            "{}",
            lines[0].len()
        );
        assert!(lines[2].ends_with(" b") && lines[2].starts_with("1  "));
    }
}

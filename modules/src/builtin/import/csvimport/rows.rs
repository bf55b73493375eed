//! Splits CSV text into rows of trimmed fields, without comments and blank lines.

use crate::engine::ModuleError;

pub type Row = Vec<String>;

/// Rows of `text`. A one-character delimiter gets full CSV quoting rules; a longer one
/// splits lines literally. A line whose first field starts with `#` is a comment.
pub fn split_rows(text: &str, delimiter: &str) -> Result<Vec<Row>, ModuleError> {
    let raw: Vec<Vec<String>> = match delimiter.as_bytes() {
        [single] if single.is_ascii() => {
            let mut reader = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .delimiter(*single)
                .from_reader(text.as_bytes());
            let mut rows = Vec::new();
            for (index, record) in reader.records().enumerate() {
                let record = record.map_err(|e| {
                    ModuleError::reported(format!("CSV line {} cannot be read: {e}", index + 1))
                })?;
                rows.push(record.iter().map(str::to_owned).collect());
            }
            rows
        }
        _ => text
            .lines()
            .filter(|line| !line.trim().is_empty())
            .map(|line| line.split(delimiter).map(str::to_owned).collect())
            .collect(),
    };
    Ok(raw
        .into_iter()
        .filter(|fields| !fields.first().is_some_and(|f| f.starts_with('#')))
        .map(|fields| {
            fields
                .into_iter()
                .map(|f| f.trim().to_owned())
                .collect::<Row>()
        })
        .filter(|fields| fields.iter().any(|f| !f.is_empty()))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_comments_and_blank_lines() {
        let rows = split_rows(
            "#ip,comment\n1.2.3.4,\"a, quoted\nvalue\"\n\n , \r\n5.6.7.8, x \n",
            ",",
        )
        .unwrap();
        assert_eq!(
            rows,
            vec![
                vec!["1.2.3.4".to_owned(), "a, quoted\nvalue".to_owned()],
                vec!["5.6.7.8".to_owned(), "x".to_owned()]
            ]
        );
    }

    #[test]
    fn other_delimiters() {
        assert_eq!(
            split_rows("a;b\n", ";").unwrap(),
            vec![vec!["a".to_owned(), "b".to_owned()]]
        );
        assert_eq!(
            split_rows("a||b\n\n", "||").unwrap(),
            vec![vec!["a".to_owned(), "b".to_owned()]]
        );
        assert_eq!(
            split_rows("a\tb\n", "\t").unwrap(),
            vec![vec!["a".to_owned(), "b".to_owned()]]
        );
    }
}

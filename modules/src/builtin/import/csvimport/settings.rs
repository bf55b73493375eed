//! The three settings of a CSV import, read leniently: what is missing takes its default,
//! what is unusable is reported by name.

use serde_json::Value;

use crate::engine::{ModuleError, QueryRequest};

pub struct CsvSettings {
    /// Header fields given in the settings; empty when the file's first line is the header.
    pub header: Vec<String>,
    pub has_header: bool,
    pub delimiter: String,
}

impl CsvSettings {
    pub fn from_request(request: &QueryRequest) -> Result<Self, ModuleError> {
        let config = match request.get("config") {
            None | Some(Value::Null) => None,
            Some(Value::Object(config)) => Some(config),
            Some(_) => {
                return Err(ModuleError::reported(
                    "The CSV import settings (config) must be an object",
                ));
            }
        };
        let text = |key: &str| -> Result<String, ModuleError> {
            match config.and_then(|c| c.get(key)) {
                None | Some(Value::Null) => Ok(String::new()),
                Some(Value::String(s)) => Ok(s.clone()),
                Some(_) => Err(ModuleError::reported(format!(
                    "The CSV import setting \"{key}\" must be text"
                ))),
            }
        };
        let header_text = text("header")?;
        let header = if header_text.trim().is_empty() {
            Vec::new()
        } else {
            header_text
                .split(',')
                .map(|h| h.trim().to_owned())
                .collect()
        };
        let has_header = match config.and_then(|c| c.get("has_header")) {
            Some(Value::Bool(flag)) => *flag,
            Some(Value::Number(n)) => n.as_i64() == Some(1),
            Some(Value::String(s)) => matches!(
                s.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            ),
            _ => false,
        };
        Ok(Self {
            header,
            has_header,
            delimiter: delimiter(&text("special_delimiter")?),
        })
    }
}

/// The column delimiter: a comma unless another one is given. A tab, typed or written
/// `\t`, means tab (the reference turned a typed tab into a comma).
fn delimiter(given: &str) -> String {
    if given.contains('\t') || given.trim() == "\\t" {
        return "\t".to_owned();
    }
    let trimmed = given.trim();
    if trimmed.is_empty() {
        ",".to_owned()
    } else {
        given.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters() {
        assert_eq!(delimiter(""), ",");
        assert_eq!(delimiter(" "), ",");
        assert_eq!(delimiter(";"), ";");
        assert_eq!(delimiter("\t"), "\t");
        assert_eq!(delimiter("\\t"), "\t");
        assert_eq!(delimiter("||"), "||");
    }
}

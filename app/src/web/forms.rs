//! Bodies of the UI's form posts. They are plain HTML forms, so every page works before
//! (or without) the wasm bundle; the server decodes them into these types.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct LoginForm {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub next: Option<String>,
}

/// A new query. `values` holds one value per line. `types` holds the chosen type for each
/// line (one per line, the browser fills it); lines without one get the suggested type.
/// `modules` are the checked module names (repeated form field).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct NewJobForm {
    pub values: String,
    #[serde(default)]
    pub types: String,
    #[serde(default)]
    pub modules: Vec<String>,
    #[serde(default)]
    pub parent: Option<i64>,
}

/// "Query this value again with the same modules", from a result.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PivotForm {
    pub parent: i64,
    pub value: String,
    pub value_type: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModuleToggleForm {
    pub module: String,
    pub enabled: bool,
}

/// Sets (non-empty `value`) or clears (`clear`) one stored module setting.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ModuleSettingForm {
    pub module: String,
    pub key: String,
    #[serde(default)]
    pub value: String,
    #[serde(default)]
    pub clear: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewUserForm {
    pub username: String,
    pub password: String,
    #[serde(default)]
    pub is_admin: Option<String>,
}

/// Deletes a query of the history, with the queries pivoted from it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct JobIdForm {
    pub id: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct UserIdForm {
    pub id: i64,
    #[serde(default)]
    pub password: Option<String>,
}

/// Where to go after login: only a local absolute path, so `?next=` cannot send the
/// user to another site (`//evil.example` and `/\evil.example` are refused too).
pub fn safe_next_path(next: Option<&str>) -> &str {
    match next {
        Some(path)
            if path.starts_with('/')
                && !path.starts_with("//")
                && !path.starts_with("/\\")
                && !path.chars().any(|c| c.is_control()) =>
        {
            path
        }
        _ => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        assert_eq!(safe_next_path(Some("/history?q=a")), "/history?q=a");
        assert_eq!(safe_next_path(Some("https://evil.example")), "/");
        assert_eq!(safe_next_path(Some("//evil.example/x")), "/");
        assert_eq!(safe_next_path(Some("/\\evil.example")), "/");
        assert_eq!(safe_next_path(Some("/a\r\nSet-Cookie: x")), "/");
        assert_eq!(safe_next_path(None), "/");
    }
}

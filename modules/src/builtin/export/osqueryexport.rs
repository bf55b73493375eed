//! `osqueryexport`: an osquery query pack (or plain SQL lines with format=sql) with one
//! literal-match query per indicator: sockets, DNS cache, registry, services, tasks,
//! pipes, mutexes and, under an explicit scan_path, files, hashes and YARA rules.

use crate::builtin::export::indicators::screened_kind;
use std::collections::HashMap;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::indicators::syntax::{ip_address, ip_text};
use super::indicators::{
    Checked, DataShape, Skips, answer, config, flag, push_unique, reference, sources, truthy,
};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::pycompat::python_json_dumps;

const WINDOWS_TYPES: [&str; 8] = [
    "regkey",
    "regkey|value",
    "mutex",
    "windows-service-displayname",
    "windows-scheduled-task",
    "windows-service-name",
    "named pipe",
    "domain",
];
const INPUT_TYPES: [&str; 13] = [
    "domain",
    "filename",
    "ip-dst",
    "ip-src",
    "mutex",
    "named pipe",
    "regkey",
    "regkey|value",
    "sha256",
    "windows-scheduled-task",
    "windows-service-displayname",
    "windows-service-name",
    "yara",
];
const MAX_QUERIES: usize = 1000;
/// The osquery release the YARA query was checked against; older ones lack `sigrule`.
const YARA_VERSION: &str = "5.24.0";

pub struct OsqueryExport(ModuleDescriptor);

impl OsqueryExport {
    pub fn new() -> Self {
        Self(descriptor(
            "osqueryexport",
            ModuleType::Export,
            json!({
                "input": INPUT_TYPES,
                "inputSource": ["event", "event-collection"],
                "outputFileExtension": "conf",
                "responseType": "application/json",
                "userConfig": {
                    "format": {"type": "String", "message": "pack (default) or sql (legacy text, save as .sql)"},
                    "interval": {"type": "String", "message": "Query interval in seconds (default 3600, maximum 604800)"},
                    "scan_path": {"type": "String", "message": "Absolute osquery file path pattern, e.g. /tmp/%%"},
                    "include_non_ids": {"type": "Boolean", "message": "Include non-IDS attributes (default false)"}
                }
            }),
            json!({
                "version": "2.0",
                "author": "misp-modules-stack",
                "description": "Turns host indicators of the events (registry keys, services, tasks, mutexes, pipes, sockets, DNS cache entries, files, hashes, YARA rules) into an osquery query pack.",
                "module-type": ["export"],
                "name": "OSQuery Export",
                "config": ["format", "interval", "scan_path", "include_non_ids"],
                "input": "Events in any MISP layout; object attributes are read too. File, hash and YARA scans need scan_path.",
                "output": "A JSON query pack with platform and interval per query, or SQL lines with format=sql; counts and the attributes behind each query come beside it."
            }),
        ))
    }
}

/// An SQL string literal.
fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

fn is_drive_path(value: &str) -> bool {
    let bytes = value.as_bytes();
    bytes.len() >= 3
        && bytes[0].is_ascii_alphabetic()
        && bytes[1] == b':'
        && matches!(bytes[2], b'\\' | b'/')
}

fn registry_condition(value: &str) -> String {
    let (root, rest) = match value.split_once('\\') {
        Some((root, rest)) => (root, format!("\\{rest}")),
        None => (value, String::new()),
    };
    let upper = root.to_uppercase();
    if upper == "HKCU" || upper == "HKEY_CURRENT_USER" {
        // The current user's hive is one of the loaded user hives; match each by equality
        // because LIKE patterns are not reliable on this virtual table.
        return format!(
            "key IN (SELECT path || {} FROM registry WHERE key = 'HKEY_USERS' AND type = 'subkey')",
            literal(&rest)
        );
    }
    let root = match upper.as_str() {
        "HKLM" => "HKEY_LOCAL_MACHINE",
        "HKU" => "HKEY_USERS",
        "HKCR" => "HKEY_CLASSES_ROOT",
        "HKCC" => "HKEY_CURRENT_CONFIG",
        _ => root,
    };
    format!("key = {}", literal(&format!("{root}{rest}")))
}

/// The query and platform for one indicator; the error text is the skip reason.
fn build_query(
    kind: &str,
    value: Option<&Value>,
    scan_path: &str,
) -> Result<(String, &'static str), String> {
    let value = match value {
        Some(Value::String(s)) if !s.trim().is_empty() && !s.contains('\0') => s.as_str(),
        _ => return Err("Empty or invalid value.".into()),
    };
    if kind != "yara" && value.chars().any(|c| (c as u32) < 32) {
        return Err("Control characters are unsupported.".into());
    }
    let platform = if WINDOWS_TYPES.contains(&kind) {
        "windows"
    } else {
        "all"
    };
    let quoted = literal(value);
    let simple = match kind {
        "mutex" => Some((
            "winbaseobj",
            "object_name",
            "",
            " AND object_type = 'Mutant'",
        )),
        "windows-service-displayname" => Some(("services", "display_name", "", "")),
        "windows-service-name" => Some(("services", "name", "", "")),
        "windows-scheduled-task" => Some(("scheduled_tasks", "name", "", "")),
        "named pipe" => Some(("pipes", "name", "", "")),
        "domain" => Some(("dns_cache", "name", " COLLATE NOCASE", "")),
        _ => None,
    };
    if let Some((table, column, collation, extra)) = simple {
        return Ok((
            format!("SELECT * FROM {table} WHERE {column} = {quoted}{collation}{extra};"),
            platform,
        ));
    }
    match kind {
        "regkey" => {
            return Ok((
                format!(
                    "SELECT * FROM registry WHERE {};",
                    registry_condition(value)
                ),
                platform,
            ));
        }
        "regkey|value" => {
            let Some((key, data)) = value.split_once('|').filter(|(k, _)| !k.is_empty()) else {
                return Err("regkey|value requires a key and data separated by |.".into());
            };
            return Ok((
                format!(
                    "SELECT * FROM registry WHERE {} AND data = {};",
                    registry_condition(key),
                    literal(data)
                ),
                platform,
            ));
        }
        "ip-src" | "ip-dst" => {
            let address = ip_address(value).map_err(|e| e.0)?;
            let column = if kind == "ip-src" {
                "local_address"
            } else {
                "remote_address"
            };
            return Ok((
                format!(
                    "SELECT * FROM process_open_sockets WHERE {column} = {};",
                    literal(&ip_text(address))
                ),
                platform,
            ));
        }
        _ => {}
    }
    if kind == "filename"
        && (value.starts_with('/') || is_drive_path(value) || value.starts_with("\\\\"))
    {
        let platform = if value.starts_with('/') {
            "posix"
        } else {
            "windows"
        };
        return Ok((
            format!("SELECT * FROM file WHERE path = {quoted};"),
            platform,
        ));
    }
    if scan_path.is_empty() {
        return Err("scan_path required for file scans.".into());
    }
    let platform = if scan_path.starts_with('/') {
        "posix"
    } else {
        "windows"
    };
    let scope = format!("file.path LIKE {}", literal(scan_path));
    let sql = match kind {
        "filename" => format!("SELECT * FROM file WHERE {scope} AND filename = {quoted};"),
        "sha256" => {
            if !(value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit())) {
                return Err("Invalid SHA-256.".into());
            }
            format!(
                "SELECT file.path, hash.sha256 FROM file JOIN hash ON file.path = hash.path WHERE {scope} AND file.type = 'regular' AND hash.sha256 = {};",
                literal(&value.to_ascii_lowercase())
            )
        }
        "yara" => format!(
            "SELECT file.path, yara_file.matches, yara_file.count FROM file JOIN yara_file ON file.path = yara_file.path WHERE {scope} AND file.type = 'regular' AND file.size < 8000000 AND yara_file.sigrule = {quoted} AND yara_file.count > 0;"
        ),
        _ => return Err("Unsupported indicator type.".into()),
    };
    Ok((sql, platform))
}

fn interval(config: &Map<String, Value>) -> Checked<u64> {
    let refused = || "interval must be an integer from 1 to 604800 seconds.".into();
    let text = match config.get("interval") {
        None | Some(Value::Null) => return Ok(3600),
        Some(Value::String(s)) if s.is_empty() => return Ok(3600),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.is_u64() || n.is_i64() => n.to_string(),
        Some(_) => return Err(refused()),
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Err(refused());
    }
    let digits = text.trim_start_matches('0');
    match digits.parse::<u64>() {
        Ok(n) if (1..=604_800).contains(&n) => Ok(n),
        _ => Err(refused()),
    }
}

fn scan_path(config: &Map<String, Value>) -> Checked<String> {
    let refused = || "scan_path must be an absolute osquery path pattern.".into();
    match config.get("scan_path") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) if s.is_empty() => Ok(String::new()),
        Some(Value::String(s)) => {
            if s.chars().any(|c| (c as u32) < 32) || !(s.starts_with('/') || is_drive_path(s)) {
                return Err(refused());
            }
            Ok(s.clone())
        }
        Some(_) => Err(refused()),
    }
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A query pack built from events, shared with the `osquery_pack_publish` action.
pub(crate) struct Pack {
    /// The queries by name, sorted by name.
    pub queries: Map<String, Value>,
    pub skipped: Skips,
    /// The attributes behind each query, in first-seen order of the queries.
    pub sources: Map<String, Value>,
}

impl Pack {
    pub fn summary(&self) -> Value {
        json!({"queries": self.queries.len(), "skipped": self.skipped.to_json()})
    }

    /// The pack file: `{"queries": ...}` as Python writes it with sorted keys, indent 2.
    pub fn file(&self) -> String {
        python_json_dumps(&json!({"queries": self.queries}), Some(2)) + "\n"
    }
}

/// The pack for `data` under the `interval`, `scan_path` and `include_non_ids` settings
/// of `settings` (the export's config, the action's params).
pub(crate) fn build_pack(data: Option<&Value>, settings: &Map<String, Value>) -> Checked<Pack> {
    let interval = interval(settings)?;
    let scan_path = scan_path(settings)?;
    let include_non_ids = flag(settings.get("include_non_ids"), "include_non_ids")?;
    let shape = DataShape::EventOrList(
        "data must contain an event or list of events.",
        "data must contain an event or list of events.",
    );
    let mut queries: HashMap<String, Value> = HashMap::new();
    let mut origins: Vec<(String, Vec<Value>)> = Vec::new();
    let mut origin_index: HashMap<String, usize> = HashMap::new();
    let mut skipped = Skips::default();
    for source in sources(data, shape)? {
        let Some(kind) = screened_kind(&source, include_non_ids, &INPUT_TYPES, &mut skipped)?
        else {
            continue;
        };
        let (sql, platform) = match build_query(kind, source.attribute.get("value"), &scan_path) {
            Ok(found) => found,
            Err(reason) => {
                skipped.add(&reason);
                continue;
            }
        };
        let name = format!("misp_{}", sha256_hex(&format!("{kind}\0{sql}")));
        // Keys in the order osquery's pack files are conventionally sorted.
        let mut entry =
            json!({"interval": interval, "platform": platform, "query": sql, "removed": false});
        if kind == "yara" {
            entry["version"] = json!(YARA_VERSION);
        }
        queries.insert(name.clone(), entry);
        let position = *origin_index.entry(name.clone()).or_insert_with(|| {
            origins.push((name, Vec::new()));
            origins.len() - 1
        });
        push_unique(&mut origins[position].1, reference(&source, kind));
        if queries.len() > MAX_QUERIES {
            return Err(
                format!("At most {MAX_QUERIES} queries are allowed; split the input.").into(),
            );
        }
    }
    let mut names: Vec<String> = queries.keys().cloned().collect();
    names.sort();
    let queries = names
        .into_iter()
        .filter_map(|name| queries.remove(&name).map(|query| (name, query)))
        .collect();
    let sources = origins
        .into_iter()
        .map(|(name, refs)| (name, Value::Array(refs)))
        .collect();
    Ok(Pack {
        queries,
        skipped,
        sources,
    })
}

fn export(request: &QueryRequest) -> Checked<Value> {
    let config = config(request, "Configuration must be an object.")?;
    let format = match config.get("format") {
        Some(value) if truthy(value) => match value.as_str() {
            Some("pack") => "pack",
            Some("sql") => "sql",
            _ => return Err("format must be pack or sql.".into()),
        },
        _ => "pack",
    };
    let pack = build_pack(request.get("data"), &config)?;
    let file = if format == "sql" {
        pack.queries
            .values()
            .map(|query| format!("{}\n", query["query"].as_str().unwrap_or_default()))
            .collect()
    } else {
        pack.file()
    };
    Ok(answer(
        &file,
        vec![
            ("summary", pack.summary()),
            ("sources", Value::Object(pack.sources)),
            ("warnings", json!(pack.skipped.colon_warnings())),
        ],
    ))
}

#[async_trait]
impl Module for OsqueryExport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        export(&request).map_err(|e| ModuleError::reported(format!("osquery export: {}", e.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{decoded_data, query, reported};

    fn attribute(kind: &str, value: &str) -> Value {
        json!({"uuid": format!("u-{value}"), "type": kind, "value": value, "to_ids": true})
    }

    #[tokio::test]
    async fn sql_lines_cover_registry_files_and_yara() {
        let body = json!({"data": {"Event": {"uuid": "e", "Attribute": [
            attribute("regkey", "HKLM\\Software\\Run"),
            attribute("regkey|value", "HKCU\\Software\\It's|bad.exe"),
            attribute("filename", "C:\\Temp\\x.exe"),
            attribute("filename", "dropper.exe"),
            attribute("sha256", &"AB".repeat(32)),
            attribute("ip-dst", "203.0.113.300"),
            attribute("mutex", "Global\\m\u{1}")
        ]}}, "config": {"format": "sql", "scan_path": "/tmp/%%", "interval": "60"}});
        let answer = query(&OsqueryExport::new(), body).await.unwrap();
        let mut lines: Vec<String> = decoded_data(&answer).lines().map(str::to_owned).collect();
        lines.sort();
        assert_eq!(
            lines,
            [
                "SELECT * FROM file WHERE file.path LIKE '/tmp/%%' AND filename = 'dropper.exe';",
                "SELECT * FROM file WHERE path = 'C:\\Temp\\x.exe';",
                "SELECT * FROM registry WHERE key = 'HKEY_LOCAL_MACHINE\\Software\\Run';",
                "SELECT * FROM registry WHERE key IN (SELECT path || '\\Software\\It''s' FROM registry WHERE key = 'HKEY_USERS' AND type = 'subkey') AND data = 'bad.exe';",
                &format!(
                    "SELECT file.path, hash.sha256 FROM file JOIN hash ON file.path = hash.path WHERE file.path LIKE '/tmp/%%' AND file.type = 'regular' AND hash.sha256 = '{}';",
                    "ab".repeat(32)
                ),
            ]
        );
        assert_eq!(
            answer["warnings"],
            json!([
                "Skipped 1: '203.0.113.300' does not appear to be an IPv4 or IPv6 address",
                "Skipped 1: Control characters are unsupported."
            ])
        );
        assert_eq!(answer["summary"]["queries"], 5);
    }

    #[tokio::test]
    async fn pack_is_sorted_indented_json() {
        let body = json!({"data": [{"Event": {"id": "3"}, "Attribute": [attribute("yara", "rule x { condition: true }")]}],
                          "config": {"scan_path": "C:\\Users\\%%", "include_non_ids": 1}});
        let answer = query(&OsqueryExport::new(), body).await.unwrap();
        let pack: Value = serde_json::from_str(&decoded_data(&answer)).unwrap();
        let (name, entry) = pack["queries"].as_object().unwrap().iter().next().unwrap();
        assert!(name.starts_with("misp_") && name.len() == 69);
        assert_eq!(entry["platform"], "windows");
        assert_eq!(entry["version"], "5.24.0");
        assert!(decoded_data(&answer).starts_with("{\n  \"queries\": {\n    \"misp_"));
        assert_eq!(
            answer["sources"][name],
            json!([{"event": "3", "attribute": "u-rule x { condition: true }", "misp_type": "yara"}])
        );
    }

    #[tokio::test]
    async fn settings_are_checked() {
        let module = OsqueryExport::new();
        for (config, message) in [
            (
                json!({"format": "csv"}),
                "osquery export: format must be pack or sql.",
            ),
            (
                json!({"interval": 0}),
                "osquery export: interval must be an integer from 1 to 604800 seconds.",
            ),
            (
                json!({"interval": true}),
                "osquery export: interval must be an integer from 1 to 604800 seconds.",
            ),
            (
                json!({"scan_path": "tmp/%"}),
                "osquery export: scan_path must be an absolute osquery path pattern.",
            ),
            (
                json!("x"),
                "osquery export: Configuration must be an object.",
            ),
        ] {
            let body = json!({"data": [], "config": config});
            assert_eq!(reported(query(&module, body).await), message);
        }
    }
}

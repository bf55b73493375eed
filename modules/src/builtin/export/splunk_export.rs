//! `splunk_export`: the events' indicators as a Splunk CSV lookup, one row per hunting
//! pivot (composites are split), with CIM field hints, the original value and the event,
//! object and attribute context of each.

use std::collections::HashSet;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::indicators::{
    Checked, DataShape, Gate, Skips, answer, config, csv_field, flag, gate, json_unicode, py_str,
    sources, tag_names,
};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

const INPUT_TYPES: [&str; 21] = [
    "domain",
    "domain|ip",
    "email-dst",
    "email-src",
    "filename",
    "filename|md5",
    "filename|sha1",
    "filename|sha256",
    "filename|sha512",
    "hostname",
    "hostname|port",
    "ip-dst",
    "ip-dst|port",
    "ip-src",
    "ip-src|port",
    "malware-sample",
    "md5",
    "sha1",
    "sha256",
    "sha512",
    "url",
];
const COLUMNS: [&str; 19] = [
    "indicator",
    "indicator_type",
    "cim_fields",
    "port",
    "misp_type",
    "original_value",
    "event_uuid",
    "event_id",
    "event_info",
    "attribute_uuid",
    "object_uuid",
    "object_name",
    "object_relation",
    "category",
    "comment",
    "to_ids",
    "tags",
    "first_seen",
    "last_seen",
];

pub struct SplunkExport(ModuleDescriptor);

impl SplunkExport {
    pub fn new() -> Self {
        Self(descriptor(
            "splunk_export",
            ModuleType::Export,
            json!({
                "input": INPUT_TYPES,
                "inputSource": ["event", "event-collection"],
                "outputFileExtension": "csv",
                "responseType": "text/csv",
                "userConfig": {}
            }),
            json!({
                "version": "1.0",
                "author": "misp-modules-stack",
                "description": "Writes the events' indicators as a Splunk lookup table: one row per pivot value with a hint of the CIM fields to match and its MISP context (UUIDs, object, category, tags, first/last seen).",
                "module-type": ["export"],
                "name": "Splunk Lookup Export",
                "config": ["include_non_ids"],
                "input": "A list of events in either layout; object attributes are read too. IDS-marked attributes unless include_non_ids.",
                "output": "A UTF-8 CSV lookup with a header row; warnings count skipped indicators."
            }),
        ))
    }
}

/// The lookup type and CIM fields a single-value MISP type maps to. These are matching
/// hints: not every CIM data model has every field.
fn mapping(kind: &str) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        "ip-src" => ("ip", "src_ip"),
        "ip-dst" => ("ip", "dest_ip"),
        "domain" => ("domain", "query"),
        "hostname" => ("hostname", "dest"),
        "url" => ("url", "url"),
        "email-src" => ("email", "src_user"),
        "email-dst" => ("email", "recipient"),
        "filename" => ("filename", "file_name"),
        "md5" => ("md5", "file_hash"),
        "sha1" => ("sha1", "file_hash"),
        "sha256" => ("sha256", "file_hash"),
        "sha512" => ("sha512", "file_hash"),
        _ => return None,
    })
}

/// (value, type, CIM fields, port) for each independent pivot of an attribute.
fn pivots(kind: &str, value: &str) -> Option<Vec<[String; 4]>> {
    let row = |v: &str, t: &str, c: &str, p: &str| {
        [v.to_owned(), t.to_owned(), c.to_owned(), p.to_owned()]
    };
    if let Some((t, c)) = mapping(kind) {
        return Some(vec![row(value, t, c, "")]);
    }
    // Split at the last pipe so file names holding one stay whole.
    let (first, second) = value
        .rsplit_once('|')
        .filter(|(a, b)| !a.is_empty() && !b.is_empty())?;
    if let Some(base) = kind.strip_suffix("|port") {
        let digits = second.trim_start_matches('0');
        let valid = second.bytes().all(|b| b.is_ascii_digit()) && digits.len() <= 5;
        let port = valid
            .then(|| digits.parse::<u32>().unwrap_or(0))
            .filter(|p| *p <= 65535)?;
        let (t, c) = mapping(base)?;
        return Some(vec![row(first, t, c, &port.to_string())]);
    }
    if kind == "domain|ip" {
        if first.contains('|') {
            return None;
        }
        return Some(vec![
            row(first, "domain", "query", ""),
            row(second, "ip", "src_ip,dest_ip", ""),
        ]);
    }
    let hash = if kind == "malware-sample" {
        "md5"
    } else {
        kind.split('|').nth(1)?
    };
    Some(vec![
        row(first, "filename", "file_name", ""),
        row(second, hash, "file_hash", ""),
    ])
}

fn cell(record: Option<&Map<String, Value>>, key: &str) -> String {
    match record.and_then(|r| r.get(key)) {
        None | Some(Value::Null) => String::new(),
        Some(value) => py_str(value),
    }
}

fn export(request: &QueryRequest) -> Checked<Value> {
    let refused = "data must be a list of MISP events.";
    let data = request.get("data");
    let is_list = data
        .and_then(Value::as_array)
        .is_some_and(|list| list.iter().all(Value::is_object));
    if !is_list {
        return Err(refused.into());
    }
    let config = config(request, "config must be an object.")?;
    let include_non_ids = flag(config.get("include_non_ids"), "include_non_ids")?;
    let mut file = COLUMNS.join(",") + "\n";
    let mut seen: HashSet<Vec<String>> = HashSet::new();
    let mut skipped = Skips::default();
    for source in sources(data, DataShape::List(refused))? {
        let to_ids = match gate(source.attribute, include_non_ids)? {
            Gate::Keep { to_ids } => to_ids,
            Gate::Deleted | Gate::NotIds => continue,
        };
        let Some(kind) = source.kind().filter(|k| INPUT_TYPES.contains(k)) else {
            skipped.add("unsupported");
            continue;
        };
        let value = match source.attribute.get("value") {
            Some(Value::String(v)) if !v.trim().is_empty() => v.as_str(),
            _ => {
                skipped.add("malformed");
                continue;
            }
        };
        let Some(pivots) = pivots(kind, value) else {
            skipped.add("malformed");
            continue;
        };
        let (event, attribute) = (Some(source.event.event), Some(source.attribute));
        let mut tagged = vec![source.event.event, source.event.envelope];
        tagged.extend(source.object);
        tagged.push(source.attribute);
        let tags = json_unicode(&json!(tag_names(&tagged)?));
        let context = [
            kind.to_owned(),
            value.to_owned(),
            cell(event, "uuid"),
            cell(event, "id"),
            cell(event, "info"),
            cell(attribute, "uuid"),
            cell(source.object, "uuid"),
            cell(source.object, "name"),
            cell(attribute, "object_relation"),
            cell(attribute, "category"),
            cell(attribute, "comment"),
            to_ids.to_string(),
            tags,
            cell(attribute, "first_seen"),
            cell(attribute, "last_seen"),
        ];
        for pivot in pivots {
            let row: Vec<String> = pivot.into_iter().chain(context.iter().cloned()).collect();
            let line = row
                .iter()
                .map(|f| csv_field(f))
                .collect::<Vec<_>>()
                .join(",");
            if seen.insert(row) {
                file.push_str(&line);
                file.push('\n');
            }
        }
    }
    let mut extra = Vec::new();
    if !skipped.is_empty() {
        extra.push(("warnings", json!(skipped.attribute_warnings())));
    }
    Ok(answer(&file, extra))
}

#[async_trait]
impl Module for SplunkExport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        export(&request).map_err(|e| ModuleError::reported(format!("Splunk export: {}", e.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{decoded_data, query, reported};

    #[tokio::test]
    async fn composites_split_into_pivots_with_context() {
        let body = json!({"data": [{"Event": {"uuid": "e", "id": 42, "info": "Phish, wave 2",
        "Tag": [{"name": "tlp:green"}]},
        "Attribute": [
            {"uuid": "a", "type": "ip-dst|port", "value": "203.0.113.9|0443", "to_ids": true,
             "category": "Network activity", "AttributeTag": [{"Tag": {"name": "c2"}}]},
            {"type": "ip-dst|port", "value": "203.0.113.9|70000", "to_ids": true},
            {"type": "text", "value": "x", "to_ids": true},
            {"type": "md5", "value": "x", "to_ids": false}
        ],
        "Object": [{"uuid": "o", "name": "file", "Attribute": [
            {"uuid": "b", "type": "filename|sha1", "value": "a|b.exe|3395856ce81f2b7382dee72602f798b642f14140",
             "object_relation": "sha1", "to_ids": "1"}
        ]}]}]});
        let answer = query(&SplunkExport::new(), body).await.unwrap();
        let lines: Vec<&str> = decoded_data(&answer).leak().lines().collect();
        assert_eq!(lines[0], COLUMNS.join(","));
        assert_eq!(
            lines[1],
            "203.0.113.9,ip,dest_ip,443,ip-dst|port,203.0.113.9|0443,e,42,\"Phish, wave 2\",a,,,,Network activity,,true,\"[\"\"c2\"\", \"\"tlp:green\"\"]\",,"
        );
        assert_eq!(
            lines[2],
            "a|b.exe,filename,file_name,,filename|sha1,a|b.exe|3395856ce81f2b7382dee72602f798b642f14140,e,42,\"Phish, wave 2\",b,o,file,sha1,,,true,\"[\"\"tlp:green\"\"]\",,"
        );
        assert!(lines[3].starts_with("3395856ce81f2b7382dee72602f798b642f14140,sha1,file_hash,,"));
        assert_eq!(lines.len(), 4);
        assert_eq!(
            answer["warnings"],
            json!([
                "Skipped 1 malformed attribute(s).",
                "Skipped 1 unsupported attribute(s)."
            ])
        );
    }

    #[tokio::test]
    async fn only_lists_of_events_are_taken() {
        let module = SplunkExport::new();
        assert_eq!(
            reported(query(&module, json!({"data": {"Event": {}}})).await),
            "Splunk export: data must be a list of MISP events."
        );
        let bad_tags = json!({"data": [{"Event": {"Tag": "x"}, "Attribute": [{"type": "url", "value": "http://a", "to_ids": 1}]}]});
        assert_eq!(
            reported(query(&module, bad_tags).await),
            "Splunk export: Tag must be a list of objects."
        );
        let none = query(&module, json!({"data": []})).await.unwrap();
        assert_eq!(decoded_data(&none), COLUMNS.join(",") + "\n");
        assert!(none.get("warnings").is_none());
    }
}

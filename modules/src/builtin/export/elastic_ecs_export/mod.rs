//! `elastic_ecs_export`: the events' indicators as ECS 9.2 `threat.indicator` documents
//! in Elasticsearch Bulk NDJSON. Document ids hash where the indicator came from, so
//! re-importing an export updates documents instead of duplicating them.

mod indicator;
mod timestamp;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

use super::indicators::{
    Checked, DataShape, Gate, Invalid, Skips, answer, config, flag, gate, json_unicode, py_str,
    setting, sources, syntax::SplitUrl, tag_names, truthy,
};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::pycompat::python_json_dumps;
use indicator::{SUPPORTED, indicators};
use timestamp::ecs_time;

const ECS_VERSION: &str = "9.2.0";
const DEFAULT_INDEX: &str = "misp-indicators";
const DATA_REFUSED: &str = "data must be a list of MISP events.";
/// Traffic Light Protocol levels, weakest first; the strictest one tagged wins.
const TLP_LEVELS: [&str; 6] = ["WHITE", "CLEAR", "GREEN", "AMBER", "AMBER+STRICT", "RED"];
const EVENT_FIELDS: [&str; 7] = [
    "uuid",
    "id",
    "info",
    "date",
    "timestamp",
    "distribution",
    "sharing_group_id",
];
const ATTRIBUTE_FIELDS: [&str; 12] = [
    "uuid",
    "id",
    "type",
    "value",
    "category",
    "comment",
    "object_relation",
    "timestamp",
    "first_seen",
    "last_seen",
    "distribution",
    "sharing_group_id",
];
const OBJECT_FIELDS: [&str; 4] = ["uuid", "id", "name", "meta-category"];

pub struct ElasticEcsExport(ModuleDescriptor);

impl ElasticEcsExport {
    pub fn new() -> Self {
        Self(descriptor(
            "elastic_ecs_export",
            ModuleType::Export,
            json!({
                "input": SUPPORTED,
                "inputSource": ["event", "event-collection"],
                "outputFileExtension": "ndjson",
                "responseType": "application/x-ndjson",
                "userConfig": {}
            }),
            json!({
                "version": "1.0",
                "author": "misp-modules-stack",
                "name": "Elastic ECS Export",
                "description": "Writes event and object indicators as ECS threat.indicator documents in Elasticsearch Bulk NDJSON, ready for the _bulk API.",
                "module-type": ["export"],
                "config": ["index", "include_non_ids", "misp_url"],
                "features": "ECS 9.2 threat.indicator fields for addresses, domains, URLs, e-mail addresses, file names and hashes and AS numbers. Bulk ids are derived from the event, object and attribute each indicator comes from, so exporting again overwrites rather than duplicates. IDS-marked attributes only unless include_non_ids; deleted events, objects and attributes are left out. Tags, TLP marking, first/last seen and the MISP provenance are kept; misp_url adds a link back to the event.",
                "input": "A list of events in either export layout.",
                "output": "Bulk NDJSON (an index action, then the document, per indicator); warnings count what was skipped."
            }),
        ))
    }
}

/// Sorts object keys at every depth, as `json.dumps(sort_keys=True)` writes them.
fn sorted_deep(value: &Value) -> Value {
    match value {
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Value::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), sorted_deep(v)))
                    .collect(),
            )
        }
        Value::Array(items) => Value::Array(items.iter().map(sorted_deep).collect()),
        other => other.clone(),
    }
}

/// What identifies a record for the document id: its uuid, else its id, else `fallback`.
fn source_key(record: Option<&Map<String, Value>>, fallback: Value) -> Value {
    for key in ["uuid", "id"] {
        if let Some(value) = record.and_then(|r| r.get(key)).filter(|v| truthy(v)) {
            return json!([key, py_str(value)]);
        }
    }
    json!(["content", fallback])
}

fn selected(record: &Map<String, Value>, fields: &[&str]) -> Value {
    Value::Object(
        fields
            .iter()
            .filter_map(|f| record.get(*f).map(|v| ((*f).to_owned(), v.clone())))
            .collect(),
    )
}

/// Percent-encodes everything but unreserved characters, as `quote(text, safe='')`.
fn quote_path_segment(text: &str) -> String {
    let mut out = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'_' | b'.' | b'-' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

fn tlp_marking(tags: &[String]) -> Option<Value> {
    let strictest = tags
        .iter()
        .filter(|tag| tag.to_lowercase().starts_with("tlp:"))
        .filter_map(|tag| {
            let level = tag.get(4..)?.to_uppercase();
            TLP_LEVELS.iter().position(|l| *l == level)
        })
        .max()?;
    let tlp = TLP_LEVELS[strictest];
    let mut marking = json!({"tlp": tlp});
    // TLP 2.0 renamed WHITE to CLEAR and added AMBER+STRICT; the others read the same in
    // both versions.
    let version = match tlp {
        "WHITE" => Some("1.0"),
        "CLEAR" | "AMBER+STRICT" => Some("2.0"),
        _ => None,
    };
    if let (Some(version), Some(fields)) = (version, marking.as_object_mut()) {
        fields.insert("tlp_version".into(), version.into());
    }
    Some(marking)
}

struct Settings {
    index: String,
    include_non_ids: bool,
    misp_url: String,
}

fn settings(request: &QueryRequest) -> Checked<Settings> {
    let config = config(request, "config must be an object.")?;
    let index = match setting(&config, "index") {
        None => DEFAULT_INDEX.to_owned(),
        Some(Value::String(index)) if valid_index(index) => index.clone(),
        Some(_) => {
            return Err("index must start with a lowercase letter or digit and contain only a-z, 0-9, dot, dash or underscore (max 255 characters).".into());
        }
    };
    let include_non_ids = flag(config.get("include_non_ids"), "include_non_ids")?;
    let misp_url = match config.get("misp_url") {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(url)) => url.clone(),
        Some(_) => return Err("misp_url must be an HTTP(S) base URL.".into()),
    };
    if !misp_url.is_empty() {
        let parsed = SplitUrl::parse(&misp_url)?;
        let usable = matches!(parsed.scheme.as_str(), "http" | "https")
            && parsed.hostname().is_some()
            && parsed.query.is_empty()
            && parsed.fragment.is_empty()
            && !parsed.has_userinfo();
        if !usable {
            return Err(
                "misp_url must be an HTTP(S) base URL without credentials, query or fragment."
                    .into(),
            );
        }
    }
    Ok(Settings {
        index,
        include_non_ids,
        misp_url: misp_url.trim_end_matches('/').to_owned(),
    })
}

fn valid_index(index: &str) -> bool {
    let allowed = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit();
    let bytes = index.as_bytes();
    (1..=255).contains(&bytes.len())
        && allowed(bytes[0])
        && bytes
            .iter()
            .all(|b| allowed(*b) || matches!(b, b'.' | b'_' | b'-'))
}

/// Documents by id, in first-seen order; a later document with the same id replaces the
/// earlier one, as a bulk import would.
#[derive(Default)]
struct Documents {
    order: Vec<(String, Value)>,
}

impl Documents {
    fn put(&mut self, id: String, document: Value) {
        match self.order.iter_mut().find(|(known, _)| *known == id) {
            Some(slot) => slot.1 = document,
            None => self.order.push((id, document)),
        }
    }
}

fn export(request: &QueryRequest, now: &str) -> Checked<Value> {
    let data = request.get("data");
    let is_list = data
        .and_then(Value::as_array)
        .is_some_and(|list| list.iter().all(Value::is_object));
    if !is_list {
        return Err(DATA_REFUSED.into());
    }
    let settings = settings(request)?;
    let mut skipped = Skips::default();
    let mut documents = Documents::default();
    for source in sources(data, DataShape::List(DATA_REFUSED))? {
        let to_ids = match gate(source.attribute, settings.include_non_ids)? {
            Gate::Keep { to_ids } => to_ids,
            Gate::Deleted | Gate::NotIds => continue,
        };
        let Some(kind) = source.kind().filter(|k| SUPPORTED.contains(k)) else {
            skipped.add("unsupported attribute(s)");
            continue;
        };
        let found = match source.attribute.get("value") {
            Some(Value::String(value)) if !value.trim().is_empty() => {
                indicators(kind, value).ok().map(|found| (value, found))
            }
            _ => None,
        };
        let Some((value, found)) = found else {
            skipped.add("malformed attribute(s)");
            continue;
        };
        let (event, attribute) = (source.event.event, source.attribute);
        let object = source.object.filter(|o| !o.is_empty());
        let mut tagged = vec![event, source.event.envelope];
        tagged.extend(source.object);
        tagged.push(attribute);
        let tags = tag_names(&tagged)?;

        let provider = match source.event.get("Orgc") {
            Some(Value::Object(org)) => org.get("name").cloned().unwrap_or("MISP".into()),
            _ => "MISP".into(),
        };
        let mut metadata = Map::new();
        metadata.insert("provider".into(), provider);
        metadata.insert("confidence".into(), "Not Specified".into());
        let modified = match attribute.get("timestamp") {
            Some(own) => Some(own),
            None => event.get("timestamp"),
        };
        let times = [
            ("modified_at", modified),
            ("first_seen", attribute.get("first_seen")),
            ("last_seen", attribute.get("last_seen")),
        ];
        for (field, raw) in times {
            let Some(raw) = raw.filter(|r| !r.is_null() && r.as_str() != Some("")) else {
                continue;
            };
            match ecs_time(raw) {
                Some(time) => {
                    metadata.insert(field.into(), time.into());
                }
                None => skipped.add("invalid timestamp field(s)"),
            }
        }
        if let Some(marking) = tlp_marking(&tags) {
            metadata.insert("marking".into(), marking);
        }
        if let Some(comment) = attribute.get("comment").filter(|c| truthy(c)) {
            metadata.insert("description".into(), comment.clone());
        }
        let event_ref = ["uuid", "id"]
            .iter()
            .filter_map(|k| event.get(*k))
            .find(|v| truthy(v));
        if let (false, Some(event_ref)) = (settings.misp_url.is_empty(), event_ref) {
            let link = format!(
                "{}/events/view/{}",
                settings.misp_url,
                quote_path_segment(&py_str(event_ref))
            );
            metadata.insert("reference".into(), link.into());
        }

        let mut provenance = Map::new();
        provenance.insert("event".into(), selected(event, &EVENT_FIELDS));
        provenance.insert("attribute".into(), selected(attribute, &ATTRIBUTE_FIELDS));
        provenance.insert("to_ids".into(), to_ids.into());
        if let Some(object) = object {
            provenance.insert("object".into(), selected(object, &OBJECT_FIELDS));
        }
        let origin = json!([
            source_key(Some(event), event.get("info").cloned().unwrap_or("".into())),
            source_key(
                object,
                object
                    .and_then(|o| o.get("name"))
                    .cloned()
                    .unwrap_or("".into())
            ),
            source_key(Some(attribute), json!([kind, value])),
        ]);

        for (position, mut indicator) in found.into_iter().enumerate() {
            let key = python_json_dumps(&sorted_deep(&json!([origin, position])), None);
            let id: String = Sha256::digest(key.as_bytes())
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect();
            indicator.extend(metadata.clone());
            let indicator_id = match attribute.get("uuid").filter(|u| truthy(u)) {
                Some(uuid) => py_str(uuid),
                None => id.clone(),
            };
            indicator.insert("id".into(), json!([indicator_id]));
            let mut document = json!({
                "@timestamp": now,
                "ecs": {"version": ECS_VERSION},
                "event": {
                    "kind": "enrichment",
                    "category": ["threat"],
                    "type": ["indicator"],
                    "dataset": "misp.indicator",
                    "module": "misp",
                    "id": id
                },
                "threat": {"indicator": indicator},
                "misp": provenance
            });
            if let (false, Some(fields)) = (tags.is_empty(), document.as_object_mut()) {
                fields.insert("tags".into(), json!(tags));
            }
            documents.put(id, document);
        }
    }
    let mut file = String::new();
    for (id, document) in &documents.order {
        let action = json!({"index": {"_index": settings.index, "_id": id}});
        file.push_str(&python_json_dumps(&action, None));
        file.push('\n');
        file.push_str(&json_unicode(document));
        file.push('\n');
    }
    let mut extra = Vec::new();
    if !skipped.is_empty() {
        let warnings =
            skipped.sorted_warnings(|reason, count| format!("Skipped {count} {reason}."));
        extra.push(("warnings", json!(warnings)));
    }
    Ok(answer(&file, extra))
}

fn now_millis() -> String {
    chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string()
}

#[async_trait]
impl Module for ElasticEcsExport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        export(&request, &now_millis())
            .map_err(|Invalid(e)| ModuleError::reported(format!("Elastic ECS export: {e}")))
    }
}

#[cfg(test)]
mod tests;

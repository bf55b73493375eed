//! `qradar_reference_set_export`: the values of one indicator type, normalised and
//! deduplicated, as a headerless one-column CSV (or a JSON array) to load into a QRadar
//! reference set.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::indicators::typed_list::{INPUT_TYPES, collect};
use super::indicators::{Checked, answer, config, csv_field, flag, json_unicode, setting};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

const LIST_TYPES: [&str; 8] = [
    "ipv4", "ipv6", "domain", "url", "md5", "sha1", "sha256", "sha512",
];

pub struct QradarReferenceSetExport(ModuleDescriptor);

impl QradarReferenceSetExport {
    pub fn new() -> Self {
        Self(descriptor(
            "qradar_reference_set_export",
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
                "description": "Lists one kind of indicator of the events (IPv4 by default, IPv6, domain, URL or a hash), checked and deduplicated, for import into a QRadar reference set.",
                "module-type": ["export"],
                "name": "QRadar Reference Set Export",
                "config": ["indicator_type", "format", "include_non_ids"],
                "input": "Events in any MISP layout; object attributes are read too.",
                "output": "A one-column CSV without header (format=json: a JSON array); counts and the attributes behind each value come beside it. MISP names the download .csv either way."
            }),
        ))
    }
}

fn export(request: &QueryRequest) -> Checked<Value> {
    let config = config(request, "config must be an object.")?;
    let selected = match setting(&config, "indicator_type") {
        None => "ipv4",
        Some(Value::String(s)) if LIST_TYPES.contains(&s.as_str()) => s.as_str(),
        Some(_) => {
            return Err(
                "indicator_type must be ipv4, ipv6, domain, url, md5, sha1, sha256 or sha512."
                    .into(),
            );
        }
    };
    let format = match setting(&config, "format") {
        None => "csv",
        Some(Value::String(s)) if s == "csv" || s == "json" => s.as_str(),
        Some(_) => return Err("format must be csv or json.".into()),
    };
    let include_non_ids = flag(config.get("include_non_ids"), "include_non_ids")?;
    let collected = collect(request.get("data"), selected, include_non_ids, None)?;
    let ordered = collected.sorted_values();
    let file = if format == "json" {
        json_unicode(&json!(ordered)) + "\n"
    } else {
        ordered.iter().map(|v| csv_field(v) + "\n").collect()
    };
    let mut extra = vec![
        (
            "summary",
            json!({"indicator_type": selected, "format": format, "count": ordered.len(), "skipped": collected.skipped.to_json()}),
        ),
        ("sources", collected.sources_json()),
    ];
    if !collected.skipped.is_empty() {
        extra.push(("warnings", json!(collected.skipped.attribute_warnings())));
    }
    Ok(answer(&file, extra))
}

#[async_trait]
impl Module for QradarReferenceSetExport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        export(&request)
            .map_err(|e| ModuleError::reported(format!("QRadar reference set export: {}", e.0)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{decoded_data, query, reported};

    fn event() -> Value {
        json!([{"Event": {"id": 7, "Attribute": [
            {"id": 1, "type": "url", "value": "http://b.example/x,y", "to_ids": true},
            {"id": 2, "type": "url", "value": "https://a.example/ü", "to_ids": true},
            {"id": 3, "type": "url", "value": "https://a.example/ü", "to_ids": true},
            {"id": 4, "type": "ip-src", "value": "192.0.2.1", "to_ids": true}
        ]}}])
    }

    #[tokio::test]
    async fn csv_quotes_only_when_needed() {
        let body = json!({"data": event(), "config": {"indicator_type": "url"}});
        let answer = query(&QradarReferenceSetExport::new(), body).await.unwrap();
        assert_eq!(
            decoded_data(&answer),
            "\"http://b.example/x,y\"\nhttps://a.example/ü\n"
        );
        assert_eq!(
            answer["summary"],
            json!({"indicator_type": "url", "format": "csv", "count": 2, "skipped": {"other indicator type": 1}})
        );
        assert_eq!(
            answer["sources"]["https://a.example/ü"],
            json!([{"event": "7", "attribute": "2", "misp_type": "url"}, {"event": "7", "attribute": "3", "misp_type": "url"}])
        );
        assert_eq!(
            answer["warnings"],
            json!(["Skipped 1 other indicator type attribute(s)."])
        );
    }

    #[tokio::test]
    async fn json_format_and_setting_errors() {
        let module = QradarReferenceSetExport::new();
        let body = json!({"data": event(), "config": {"indicator_type": "url", "format": "json"}});
        let answer = query(&module, body).await.unwrap();
        assert_eq!(
            decoded_data(&answer),
            "[\"http://b.example/x,y\", \"https://a.example/ü\"]\n"
        );
        let ipv4 = query(&module, json!({"data": event()})).await.unwrap();
        assert_eq!(decoded_data(&ipv4), "192.0.2.1\n");
        assert!(ipv4.get("warnings").is_some());
        let bad = json!({"data": [], "config": {"format": "xml"}});
        assert_eq!(
            reported(query(&module, bad).await),
            "QRadar reference set export: format must be csv or json."
        );
    }
}

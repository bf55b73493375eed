use serde_json::json;

use super::*;
use crate::builtin::testing::{decoded_data, query, reported};

/// The reference's clock in the fixtures was pinned to this instant.
const NOW: &str = "2025-03-04T05:06:07.891Z";

fn run(body: &str) -> Value {
    let body: Map<String, Value> = serde_json::from_str(body).unwrap();
    export(&QueryRequest::new(body), NOW)
        .map_err(|e| e.0)
        .unwrap()
}

#[test]
fn realistic_event_matches_the_reference_bulk_file() {
    let answer = run(include_str!("../testdata/elastic_ecs/event.json"));
    let expected = include_str!("../testdata/elastic_ecs/event.ndjson");
    let file = decoded_data(&answer);
    for (line, (got, want)) in file.lines().zip(expected.lines()).enumerate() {
        assert_eq!(got, want, "line {}", line + 1);
    }
    assert_eq!(file, expected);
    assert_eq!(
        answer["warnings"],
        json!([
            "Skipped 1 invalid timestamp field(s).",
            "Skipped 2 malformed attribute(s).",
            "Skipped 1 unsupported attribute(s)."
        ])
    );
    assert_eq!(answer["response"], json!([]));
    // The duplicate hostname|port of the second event collapses into one document.
    assert_eq!(file.lines().count(), 20);
}

#[test]
fn ids_of_records_without_uuid_hash_their_content_like_the_reference() {
    // Non-ASCII event info, numeric ids, an object without name, a URL-quoted event
    // reference, TLP 1.0/2.0 versions and include_non_ids.
    let answer = run(include_str!("../testdata/elastic_ecs/context.json"));
    let expected = include_str!("../testdata/elastic_ecs/context.ndjson");
    let file = decoded_data(&answer);
    for (line, (got, want)) in file.lines().zip(expected.lines()).enumerate() {
        assert_eq!(got, want, "line {}", line + 1);
    }
    assert_eq!(file, expected);
    assert_eq!(
        answer["warnings"],
        json!(["Skipped 2 invalid timestamp field(s)."])
    );
}

#[tokio::test]
async fn the_module_stamps_documents_with_the_current_time() {
    let body = json!({"data": [{"Event": {"uuid": "e"}, "Attribute": [
        {"uuid": "a", "type": "domain", "value": "c2.example", "to_ids": true}]}]});
    let answer = query(&ElasticEcsExport::new(), body).await.unwrap();
    let file = decoded_data(&answer);
    let document: Value = serde_json::from_str(file.lines().nth(1).unwrap()).unwrap();
    let stamp = document["@timestamp"].as_str().unwrap();
    assert_eq!(stamp.len(), "2025-03-04T05:06:07.891Z".len());
    assert!(stamp.ends_with('Z') && stamp.starts_with("20"));
    assert_eq!(
        file.lines().next().unwrap(),
        format!(
            "{{\"index\": {{\"_index\": \"misp-indicators\", \"_id\": \"{}\"}}}}",
            document["event"]["id"].as_str().unwrap()
        )
    );
    assert!(answer.get("warnings").is_none());
}

#[tokio::test]
async fn bad_requests_are_refused_with_the_reference_wording() {
    let module = ElasticEcsExport::new();
    let index_text = "index must start with a lowercase letter or digit and contain only a-z, 0-9, dot, dash or underscore (max 255 characters).";
    let url_text = "misp_url must be an HTTP(S) base URL without credentials, query or fragment.";
    let cases = [
        (
            json!({"data": {"Event": {}}}),
            "data must be a list of MISP events.",
        ),
        (
            json!({"data": [], "config": []}),
            "config must be an object.",
        ),
        (json!({"data": [], "config": {"index": "Bad"}}), index_text),
        (json!({"data": [], "config": {"index": 5}}), index_text),
        (
            json!({"data": [], "config": {"index": "a".repeat(256)}}),
            index_text,
        ),
        (
            json!({"data": [], "config": {"include_non_ids": "yes"}}),
            "include_non_ids must be true, false, 1 or 0.",
        ),
        (
            json!({"data": [], "config": {"misp_url": "ftp://x"}}),
            url_text,
        ),
        (
            json!({"data": [], "config": {"misp_url": "https://u:p@x"}}),
            url_text,
        ),
        (
            json!({"data": [], "config": {"misp_url": "https://x/?a=1"}}),
            url_text,
        ),
        (
            json!({"data": [], "config": {"misp_url": "https://[::1"}}),
            "Invalid IPv6 URL",
        ),
        (
            json!({"data": [], "config": {"misp_url": 3}}),
            "misp_url must be an HTTP(S) base URL.",
        ),
        (
            json!({"data": [{"Event": {"Attribute": [{"type": "md5", "value": "x", "to_ids": "maybe"}]}}]}),
            "to_ids must be true, false, 1 or 0.",
        ),
        (
            json!({"data": [{"Event": {"deleted": 2}}]}),
            "deleted must be true, false, 1 or 0.",
        ),
        (
            json!({"data": [{"Event": {}, "Attribute": [{"type": "domain", "value": "a.b", "to_ids": 1, "Tag": {"name": "x"}}]}]}),
            "Tag must be a list of objects.",
        ),
        (json!({"data": [{"Event": []}]}), "Event must be an object."),
    ];
    for (body, message) in cases {
        assert_eq!(
            reported(query(&module, body.clone()).await),
            format!("Elastic ECS export: {message}"),
            "{body}"
        );
    }
}

#[tokio::test]
async fn nothing_to_export_is_an_empty_file() {
    let module = ElasticEcsExport::new();
    for body in [
        json!({"data": []}),
        json!({"data": [], "config": {"index": "", "misp_url": ""}}),
        json!({"data": [{"Event": {"Attribute": [{"type": "domain", "value": "a.example"}]}}]}),
    ] {
        let answer = query(&module, body).await.unwrap();
        assert_eq!(answer, json!({"response": [], "data": ""}));
    }
}

#[test]
fn event_references_are_quoted_whole() {
    assert_eq!(quote_path_segment("a/b c~é"), "a%2Fb%20c~%C3%A9");
    assert!(valid_index("0.logs_misp-x"));
    assert!(!valid_index("_x") && !valid_index("a*b"));
}

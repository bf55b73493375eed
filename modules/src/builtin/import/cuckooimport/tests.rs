//! The expected answers in testdata/ are what misp-modules 3.1.1 answered for the same
//! report and files, packed as a tar.bz2 with directory entries; the file objects'
//! `mimetype`, `ssdeep` and `magic_db` are those of the all-extras reference for the same
//! bytes (its `pe` objects for executables are not produced, see docs/differences.md).

use std::collections::HashMap;

use base64::Engine as _;
use serde_json::{Value, json};

use super::CuckooImport;
use crate::builtin::import::sandbox_archive::tests::{tar_bz2_of, zip_of};
use crate::builtin::testing::{query, reported};

const REPORT: &str = include_str!("testdata/report.json");
const REPORT_URL: &str = include_str!("testdata/report_url.json");
const ALL_OPTIONS: &str = include_str!("testdata/all_options.response.json");
const URL_PARTIAL: &str = include_str!("testdata/url_partial.response.json");

const ALL: [&str; 11] = [
    "Sandbox info",
    "Upload sample",
    "Processes",
    "DNS",
    "TCP",
    "UDP",
    "HTTP",
    "Signatures",
    "Screenshots",
    "Dropped files",
    "Dropped buffers",
];

fn analysis_files(report: &str) -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("reports/report.json", report.as_bytes().to_vec()),
        ("binary", b"MZ\x90\x00sample-bytes".to_vec()),
        ("shots/0001.jpg", b"\xff\xd8\xff\xe0fakejpeg".to_vec()),
        (
            "files/0123456789/5d8f1a2b_payload.dll",
            b"MZ dll payload".to_vec(),
        ),
        ("files/99/deadbeef_notes.txt", b"hello notes\n".to_vec()),
        (
            "buffer/0a1b2c",
            b"\xfc\xe8\x82\x00\x00\x00shellcode".to_vec(),
        ),
    ]
}

fn tar_of(report: &str) -> Vec<u8> {
    let files = analysis_files(report);
    let entries: Vec<(&str, &[u8])> = files.iter().map(|(n, d)| (*n, d.as_slice())).collect();
    tar_bz2_of(&entries)
}

fn body(archive: &[u8], config: Value) -> Value {
    json!({
        "module": "cuckooimport",
        "data": base64::engine::general_purpose::STANDARD.encode(archive),
        "config": config
    })
}

fn all_on() -> Value {
    Value::Object(ALL.iter().map(|k| ((*k).to_owned(), json!("1"))).collect())
}

/// Replaces every uuid by its rank of first appearance (keys walked in sorted order), so
/// that answers with fresh uuids compare, references included.
fn normalise(value: &Value) -> Value {
    fn walk(value: &Value, seen: &mut HashMap<String, usize>) -> Value {
        match value {
            Value::Object(map) => {
                let mut keys: Vec<&String> = map.keys().collect();
                keys.sort();
                let mut out = serde_json::Map::new();
                for key in keys {
                    let item = &map[key];
                    let new = match (key.as_str(), item.as_str()) {
                        ("uuid" | "object_uuid" | "referenced_uuid", Some(uuid)) => {
                            let next = seen.len();
                            json!(format!(
                                "uuid-{}",
                                seen.entry(uuid.to_owned()).or_insert(next)
                            ))
                        }
                        _ => walk(item, seen),
                    };
                    out.insert(key.clone(), new);
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(|i| walk(i, seen)).collect()),
            other => other.clone(),
        }
    }
    walk(value, &mut HashMap::new())
}

fn assert_same(actual: &Value, expected: &str) {
    let expected: Value = serde_json::from_str(expected).unwrap();
    let (actual, expected) = (normalise(actual), normalise(&expected));
    if actual != expected {
        panic!(
            "answer differs:\n{}\nexpected:\n{}",
            serde_json::to_string_pretty(&actual).unwrap(),
            serde_json::to_string_pretty(&expected).unwrap()
        );
    }
}

#[tokio::test]
async fn every_option_of_a_tar_bz2_analysis() {
    let answer = query(&CuckooImport::new(), body(&tar_of(REPORT), all_on()))
        .await
        .unwrap();
    assert_same(&answer, ALL_OPTIONS);
}

#[tokio::test]
async fn a_zip_download_reads_the_same() {
    let files = analysis_files(REPORT);
    let entries: Vec<(&str, &[u8])> = files.iter().map(|(n, d)| (*n, d.as_slice())).collect();
    // MISP sends the switches as "1"/"0"; JSON booleans and null (the default) work too.
    let mut config = all_on();
    config["Sandbox info"] = json!(true);
    config["Screenshots"] = Value::Null;
    let answer = query(&CuckooImport::new(), body(&zip_of(&entries), config))
        .await
        .unwrap();
    assert_same(&answer, ALL_OPTIONS);
}

#[tokio::test]
async fn options_run_in_the_callers_order() {
    // Signatures before processes: no process exists yet to refer to the signature.
    // "HTTP": null falls back to its default (on); "DNS": "0" is off.
    let config = json!({
        "Upload sample": "1",
        "Signatures": "1",
        "Processes": "1",
        "DNS": "0",
        "HTTP": null
    });
    let answer = query(&CuckooImport::new(), body(&tar_of(REPORT_URL), config))
        .await
        .unwrap();
    assert_same(&answer, URL_PARTIAL);
}

#[tokio::test]
async fn each_option_adds_only_its_objects() {
    let expected: Value = serde_json::from_str(ALL_OPTIONS).unwrap();
    let names = |objects: &Value| -> Vec<String> {
        objects
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|o| {
                        let comment = o["comment"].as_str().unwrap_or("");
                        format!("{} {comment}", o["name"].as_str().unwrap())
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut all_names = Vec::new();
    for option in ALL {
        let config = json!({ option: "1" });
        let answer = query(&CuckooImport::new(), body(&tar_of(REPORT), config))
            .await
            .unwrap();
        all_names.extend(names(&answer["results"]["Object"]));
    }
    assert_eq!(all_names, names(&expected["results"]["Object"]));
    // With everything switched off the answer is empty, as the reference's.
    let off = Value::Object(ALL.iter().map(|k| ((*k).to_owned(), json!("0"))).collect());
    let answer = query(&CuckooImport::new(), body(&tar_of(REPORT), off))
        .await
        .unwrap();
    assert_eq!(answer, json!({"results": {}}));
}

#[tokio::test]
async fn a_bare_report_and_missing_files() {
    // A report.json alone (the reference only read archives): the sample and the dropped
    // files have no content, and the screenshot no file.
    let answer = query(&CuckooImport::new(), body(REPORT.as_bytes(), json!(null)))
        .await
        .unwrap();
    let objects = answer["results"]["Object"].as_array().unwrap();
    let sample = &objects[1];
    assert_eq!(sample["comment"], "Submitted sample");
    let relations: Vec<(&str, &Value)> = sample["Attribute"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| (a["object_relation"].as_str().unwrap(), &a["value"]))
        .collect();
    assert_eq!(
        relations,
        vec![
            ("filename", &json!("Invoice_0421.exe")),
            ("size-in-bytes", &json!("0"))
        ]
    );
    let shots = objects
        .iter()
        .filter(|o| o["name"] == "sandbox-report")
        .nth(1)
        .unwrap();
    assert_eq!(shots["Attribute"].as_array().unwrap().len(), 2);
    assert_eq!(objects.len(), 18);
}

#[tokio::test]
async fn bad_inputs_fail_clearly() {
    let module = CuckooImport::new();
    assert_eq!(
        reported(query(&module, json!({"module": "cuckooimport", "config": {}})).await),
        "No Cuckoo archive was sent (\"data\")"
    );
    assert_eq!(
        reported(query(&module, body(b"GIF89a...", all_on())).await),
        "The file is not a Cuckoo analysis: expected a zip or tar.bz2 archive, or a report.json"
    );
    let no_report = tar_bz2_of(&[("binary", b"MZ")]);
    assert_eq!(
        reported(query(&module, body(&no_report, all_on())).await),
        "The archive has no reports/report.json"
    );
    let broken = tar_bz2_of(&[("reports/report.json", b"{\"info\": ")]);
    assert!(
        reported(query(&module, body(&broken, all_on())).await)
            .starts_with("reports/report.json is not valid JSON")
    );
    assert_eq!(
        reported(query(&module, body(b"[1, 2]", all_on())).await),
        "The file is not a Cuckoo analysis: expected a zip or tar.bz2 archive, or a report.json"
    );
    assert_eq!(
        reported(query(&module, body(&tar_of(REPORT), json!({"DNS": "maybe"}))).await),
        "The option \"DNS\" must be 1 or 0 (or true or false)"
    );
}

#[tokio::test]
async fn unusual_report_shapes_do_not_crash() {
    // Missing fields, wrong types, marks without a type, a pid 0: the reference stopped
    // with a KeyError on several of these.
    let report = json!({
        "info": {"score": 10, "machine": {}},
        "target": {"category": "file", "file": {}},
        "network": {"tcp": "not a list", "dns": [{"request": "a.example"}]},
        "signatures": [{"description": "x", "marks": [{"pid": 0}, {"type": "ioc", "ioc": 5}], "ttp": []}],
        "behavior": {"processtree": [{"pid": 1, "children": [{"pid": 2}]}]},
        "dropped": [{"name": "nounderscore", "filepath": "C:\\x", "sha256": "ab"}],
        "buffer": [{}]
    });
    let answer = query(
        &CuckooImport::new(),
        body(report.to_string().as_bytes(), all_on()),
    )
    .await
    .unwrap();
    let objects = answer["results"]["Object"].as_array().unwrap();
    let raw = &objects[0]["Attribute"][3]["value"];
    assert_eq!(raw, "started on:None duration:Nones vm:None/None");
    assert_eq!(objects[0]["Attribute"][0]["value"], "10");
    let signature = objects
        .iter()
        .find(|o| o["name"] == "sb-signature")
        .unwrap();
    assert_eq!(signature["Attribute"][1]["value"], "x\n---\n5");
    let dropped = objects
        .iter()
        .find(|o| o["comment"] == "Dropped file")
        .unwrap();
    assert_eq!(dropped["Attribute"][0]["value"], "nounderscore");
}

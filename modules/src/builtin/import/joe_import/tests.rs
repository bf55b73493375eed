use serde_json::{Value, json};

use super::JoeImport;
use crate::builtin::import::expected::{body, canonical};
use crate::builtin::testing::{query, reported};
use crate::engine::ModuleError;

const BOTH: &str = r#"{"Import Executable": "1", "Mitre Att&ck": "1"}"#;

async fn run(data: &[u8], config: Value) -> Result<Value, ModuleError> {
    query(&JoeImport::new(), body("joe_import", data, config)).await
}

async fn matches_reference(report: &str, config: &str, expected: &str) {
    let answer = run(report.as_bytes(), serde_json::from_str(config).unwrap())
        .await
        .unwrap();
    let expected: Value = serde_json::from_str(expected).unwrap();
    assert_eq!(canonical(&answer), canonical(&expected));
}

#[tokio::test]
async fn windows_sample_with_behaviour_matches_the_reference() {
    let report = include_str!("../testdata/joe/pe.json");
    matches_reference(
        report,
        BOTH,
        include_str!("../testdata/joe/pe_expected.json"),
    )
    .await;
    matches_reference(
        report,
        r#"{"Import Executable": "0", "Mitre Att&ck": "0"}"#,
        include_str!("../testdata/joe/pe_plain_expected.json"),
    )
    .await;
}

#[tokio::test]
async fn elf_apk_and_url_analyses_match_the_reference() {
    matches_reference(
        include_str!("../testdata/joe/elf.json"),
        BOTH,
        include_str!("../testdata/joe/elf_expected.json"),
    )
    .await;
    matches_reference(
        include_str!("../testdata/joe/apk.json"),
        BOTH,
        include_str!("../testdata/joe/apk_expected.json"),
    )
    .await;
    matches_reference(
        include_str!("../testdata/joe/url.json"),
        BOTH,
        include_str!("../testdata/joe/url_expected.json"),
    )
    .await;
}

#[tokio::test]
async fn floats_stay_numbers_and_integers_become_text() {
    let answer = run(
        include_str!("../testdata/joe/pe.json").as_bytes(),
        json!({"Import Executable": true, "Mitre Att&ck": 0}),
    )
    .await
    .unwrap();
    let file = &answer["results"]["Object"][0];
    let value = |relation: &str| {
        file["Attribute"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["object_relation"] == relation)
            .unwrap()["value"]
            .clone()
    };
    assert_eq!(value("entropy"), json!(7.1234));
    assert_eq!(value("size-in-bytes"), json!("184320"));
    assert!(answer["results"].get("Tag").is_none());
}

#[tokio::test]
async fn unusual_inputs_get_clear_answers() {
    assert_eq!(
        run(b"", json!({})).await.unwrap(),
        json!("{\"success\": 0}")
    );
    assert_eq!(
        reported(run(b"<html>", json!({})).await),
        "The file is not a JSON report."
    );
    assert_eq!(
        reported(run(br#"{"report": {}}"#, json!({})).await),
        "The file is not a Joe Sandbox report: no analysis found."
    );
    let neither = br#"{"analysis": {"generalinfo": {"target": {"sample": null, "url": null}}}}"#;
    assert!(reported(run(neither, json!({})).await).starts_with("Unknown analysis type"));
    assert_eq!(
        reported(run(b"{}", json!({"Import Executable": "maybe"})).await),
        "Import Executable must be 0 or 1."
    );
}

#[tokio::test]
async fn a_report_with_a_bom_and_few_sections_still_imports() {
    let report = br#"{"analysis": {"generalinfo": {"target": {"url": "http://x.example/"}}}}"#;
    let mut data = b"\xef\xbb\xbf".to_vec();
    data.extend_from_slice(report);
    let answer = run(&data, json!({})).await.unwrap();
    let objects = answer["results"]["Object"].as_array().unwrap();
    assert_eq!(objects.len(), 1);
    assert_eq!(objects[0]["Attribute"][0]["value"], "http://x.example/");
}

/// Thousands of processes touching the same files: work grows with the input, not its
/// square (a quadratic walk would take minutes here).
#[tokio::test]
async fn large_reports_stay_linear() {
    let processes: Vec<Value> = (0..2000)
        .map(|i| {
            json!({
                "general": {"cmdline": format!("p{i}.exe"), "name": format!("p{i}.exe"), "parentpid": 1,
                    "pid": i, "path": format!("C:\\p{i}.exe"), "date": "01/01/2022", "time": "00:00:00", "targetid": i},
                "fileactivities": {"fileCreated": {"call": (0..20).map(|j| json!({"path": format!("C:\\shared{j}.dat")})).collect::<Vec<_>>()}}
            })
        })
        .collect();
    let packets: Vec<Value> = (0..5000)
        .map(|i| json!({"timestamp": "Jan 1, 2022 00:00:01.5 UTC", "srcip": "10.0.0.1", "dstip": format!("10.1.{}.{}", i / 250, i % 250), "srcport": 1000, "dstport": 443}))
        .collect();
    let report = json!({"analysis": {
        "generalinfo": {"target": {"sample": "a.exe"}, "arch": "WINDOWS"},
        "fileinfo": {"filename": "a.exe"},
        "behavior": {"system": {"processes": {"process": processes}}, "network": {"tcp": {"packet": packets}}}
    }});
    let started = std::time::Instant::now();
    let answer = run(report.to_string().as_bytes(), json!({})).await.unwrap();
    assert_eq!(answer["results"]["Attribute"].as_array().unwrap().len(), 20);
    assert_eq!(
        answer["results"]["Object"].as_array().unwrap().len(),
        1 + 2000 + 5000
    );
    assert!(started.elapsed().as_secs() < 60);
}

use base64::Engine as _;
use serde_json::{Value, json};

use super::{NOT_JSON, NOT_SUMMARY, VmraySummaryJsonImport};
use crate::builtin::import::expected::canonical;
use crate::builtin::testing::{query, reported};
use crate::engine::ModuleError;

const V1: &str = include_str!("../testdata/vmray/summary_v1.json");
const V2: &str = include_str!("../testdata/vmray/summary_v2.json");

async fn run_named(data: &[u8], name: Option<&str>, config: Value) -> Result<Value, ModuleError> {
    let mut body = json!({
        "module": "vmray_summary_json_import",
        "data": base64::engine::general_purpose::STANDARD.encode(data),
        "config": config
    });
    if let Some(name) = name {
        body["filename"] = json!(name);
    }
    query(&VmraySummaryJsonImport::new(), body).await
}

async fn run(data: &[u8], config: Value) -> Result<Value, ModuleError> {
    run_named(data, Some("summary.json"), config).await
}

/// The reference's answers were made with the fixture's own file name.
async fn matches_reference(report: &str, name: &str, config: Value, expected: &str) {
    let answer = run_named(report.as_bytes(), Some(name), config)
        .await
        .unwrap();
    let expected: Value = serde_json::from_str(expected).unwrap();
    assert_eq!(canonical(&answer), canonical(&expected));
}

#[tokio::test]
async fn summary_v2_matches_the_reference() {
    let name = "summary_v2.json";
    matches_reference(
        V2,
        name,
        json!({}),
        include_str!("../testdata/vmray/v2_expected.json"),
    )
    .await;
    matches_reference(
        V2,
        name,
        json!({"Analysis ID": "1", "VTI": "0", "IOCs": "1", "Artifacts": "1",
               "Analysis Details": "0", "Attach Report": "1", "disable_tags": "Yes"}),
        include_str!("../testdata/vmray/v2_all_artifacts_expected.json"),
    )
    .await;
    matches_reference(
        V2,
        name,
        json!({"VTI": "1", "IOCs": "0", "Artifacts": "0", "Attach Report": "0", "disable_tags": "false"}),
        include_str!("../testdata/vmray/v2_no_artifacts_expected.json"),
    )
    .await;
    matches_reference(
        V2,
        name,
        json!({"disable_misp_objects": "true", "Artifacts": "1", "Analysis Details": "1"}),
        include_str!("../testdata/vmray/v2_attributes_expected.json"),
    )
    .await;
}

#[tokio::test]
async fn summary_v1_matches_the_reference() {
    let name = "summary_v1.json";
    matches_reference(
        V1,
        name,
        json!({}),
        include_str!("../testdata/vmray/v1_expected.json"),
    )
    .await;
    matches_reference(
        V1,
        name,
        json!({"Artifacts": "1", "Attach Report": "1", "VTI": "1"}),
        include_str!("../testdata/vmray/v1_all_artifacts_expected.json"),
    )
    .await;
    matches_reference(
        V1,
        name,
        json!({"disable_misp_objects": "TRUE", "IOCs": "1", "Artifacts": "0",
               "Analysis Details": "0", "VTI": "0"}),
        include_str!("../testdata/vmray/v1_attributes_expected.json"),
    )
    .await;
    matches_reference(
        V1,
        name,
        json!({"disable_misp_objects": "yes", "Artifacts": "1"}),
        include_str!("../testdata/vmray/v1_attributes_all_expected.json"),
    )
    .await;
}

fn objects(answer: &Value) -> Vec<&str> {
    answer["results"]["Object"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn settings_accept_the_usual_spellings() {
    let base = run(V2.as_bytes(), json!({})).await.unwrap();
    for off in [
        json!("0"),
        json!(0),
        json!(false),
        json!("False"),
        json!(" 0 "),
    ] {
        let answer = run(V2.as_bytes(), json!({"IOCs": off, "VTI": off}))
            .await
            .unwrap();
        assert_eq!(
            objects(&answer),
            ["sandbox-report", "sb-signature"],
            "{off}"
        );
        assert_eq!(
            answer["results"]["Object"][1]["Attribute"]
                .as_array()
                .unwrap()
                .len(),
            1
        );
    }
    for on in [
        json!("1"),
        json!(1),
        json!(true),
        json!("true"),
        json!(null),
    ] {
        let answer = run(V2.as_bytes(), json!({"IOCs": on, "VTI": on}))
            .await
            .unwrap();
        assert_eq!(canonical(&answer), canonical(&base), "{on}");
    }
    assert_eq!(
        reported(run(V2.as_bytes(), json!({"Artifacts": "maybe"})).await),
        "Artifacts must be 0 or 1."
    );
    // Analysis ID only matters for API imports: accepted, checked, without effect here.
    let answer = run(V2.as_bytes(), json!({"Analysis ID": "0"}))
        .await
        .unwrap();
    assert_eq!(canonical(&answer), canonical(&base));
    assert_eq!(
        reported(run(V2.as_bytes(), json!({"Analysis ID": "x"})).await),
        "Analysis ID must be 0 or 1."
    );
}

#[tokio::test]
async fn analysis_details_only_shape_the_flat_answer() {
    let with = run(
        V1.as_bytes(),
        json!({"disable_misp_objects": "yes", "Analysis Details": "1"}),
    )
    .await
    .unwrap();
    let values: Vec<&str> = with["results"]["Attribute"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["value"].as_str().unwrap())
        .collect();
    assert_eq!(
        values[..3],
        [
            "Analysis: execution_successful: True",
            "Analysis: termination_reason: Timeout",
            "Analysis: result: Operation completed successfully"
        ]
    );
    let without = run(
        V1.as_bytes(),
        json!({"disable_misp_objects": "yes", "Analysis Details": "0"}),
    )
    .await
    .unwrap();
    assert_eq!(
        without["results"]["Attribute"].as_array().unwrap().len() + 3,
        values.len()
    );
}

#[tokio::test]
async fn attached_report_is_the_indented_json_under_the_file_name() {
    let answer = run_named(V1.as_bytes(), None, json!({"Attach Report": 1}))
        .await
        .unwrap();
    let file = &answer["results"]["Object"][0]["Attribute"][1];
    assert_eq!(file["object_relation"], "sandbox-file");
    assert_eq!(file["value"], "summary.json");
    let data = base64::engine::general_purpose::STANDARD
        .decode(file["data"].as_str().unwrap())
        .unwrap();
    let text = String::from_utf8(data).unwrap();
    assert!(text.starts_with("{\n  \"analysis_details\": {\n    \"analysis_duration\": 120,"));
    assert!(text.contains(r#""subject": "Salary review \u2013 Q3 \u2713","#));
}

#[tokio::test]
async fn repeated_artifacts_are_merged() {
    let report = json!({
        "analysis_details": {},
        "classifications": [],
        "vti": {"vti_rule_type": "Dynamic", "vti_score": 50},
        "mitre_attack": {"techniques": [
            {"description": "Modify Registry", "id": "T1112"},
            {"description": "Modify Registry", "id": "T1112"}
        ]},
        "artifacts": {
            "files": [
                {"filename": "a.exe", "operations": ["write"], "ioc": true, "classifications": ["X"],
                 "hashes": [{"md5_hash": "m", "sha1_hash": "s", "sha256_hash": "same", "ssdeep_hash": null}]},
                {"filename": "b.exe", "filenames": ["a.exe"], "operations": ["read", "write"], "ioc": true,
                 "classifications": ["Y"],
                 "hashes": [{"md5_hash": "m", "sha1_hash": "s", "sha256_hash": "same", "ssdeep_hash": null}]}
            ]
        }
    });
    let answer = run(report.to_string().as_bytes(), json!({})).await.unwrap();
    assert_eq!(objects(&answer), ["sandbox-report", "sb-signature", "file"]);
    let file = &answer["results"]["Object"][2]["Attribute"];
    let filenames: Vec<&Value> = file
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["object_relation"] == "filename")
        .map(|a| &a["value"])
        .collect();
    assert_eq!(filenames, [&json!("a.exe"), &json!("b.exe")]);
    assert_eq!(file[0]["comment"], "Classifications: X, Y");
    assert_eq!(file[3]["comment"], "Operations: write, read");
    assert_eq!(
        answer["results"]["Tag"],
        json!([{"name": "misp-galaxy:mitre-attack-pattern=\"Modify Registry - T1112\""}])
    );
    assert_eq!(
        answer["results"]["Object"][0]["Attribute"][1]["value"],
        "suspicious"
    );
}

/// Where the reference fails: a dangling file reference (KeyError) and a domain without
/// IP addresses (silently dropped).
#[tokio::test]
async fn dangling_references_and_domains_without_ips() {
    let mut report: Value = serde_json::from_str(V2).unwrap();
    report["artifacts"]["ref_files"].as_array_mut().unwrap().push(
        json!({"_type": "reference", "path": ["files", "file_404"], "source": "logs/summary_v2.json"}),
    );
    report["domains"]["domain_1"]
        .as_object_mut()
        .unwrap()
        .remove("ref_ip_addresses");
    let answer = run(report.to_string().as_bytes(), json!({"Artifacts": "1"}))
        .await
        .unwrap();
    let names = objects(&answer);
    assert_eq!(names.iter().filter(|n| **n == "file").count(), 2);
    let domains: Vec<&Value> = answer["results"]["Object"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| o["name"] == "domain-ip")
        .collect();
    assert_eq!(domains.len(), 2);
    assert_eq!(domains[1]["Attribute"].as_array().unwrap().len(), 1);
    assert_eq!(domains[1]["Attribute"][0]["value"], "www.msftncsi.com");
}

#[tokio::test]
async fn static_analyses_give_only_the_signature_and_verdict() {
    let mut report: Value = serde_json::from_str(V2).unwrap();
    report["vti"]["score_type"] = json!("static");
    let answer = run(report.to_string().as_bytes(), json!({})).await.unwrap();
    assert_eq!(objects(&answer), ["sb-signature"]);
    assert_eq!(
        answer["results"]["Tag"],
        json!([{"name": "vmray:verdict=\"malicious\""}])
    );
}

#[tokio::test]
async fn other_files_are_refused() {
    assert_eq!(
        reported(run(b"{\"analysis\": {}}", json!({})).await),
        NOT_SUMMARY
    );
    assert_eq!(reported(run(b"[1, 2]", json!({})).await), NOT_SUMMARY);
    assert_eq!(reported(run(b"<html>", json!({})).await), NOT_JSON);
    assert_eq!(reported(run(b"", json!({})).await), NOT_JSON);
    let missing = query(
        &VmraySummaryJsonImport::new(),
        json!({"module": "vmray_summary_json_import"}),
    )
    .await;
    assert_eq!(reported(missing), NOT_JSON);
    let mut bom = b"\xef\xbb\xbf".to_vec();
    bom.extend_from_slice(V1.as_bytes());
    let answer = run(&bom, json!({})).await.unwrap();
    assert_eq!(objects(&answer)[0], "sandbox-report");
}

/// Many artifacts, many of them the same: merging stays linear.
#[tokio::test]
async fn large_reports_stay_linear() {
    let ips: Vec<Value> = (0..20_000)
        .map(|i| json!({"ip_address": format!("10.0.{}.{}", (i % 5000) / 250, i % 250), "sources": [i % 3], "ioc": true}))
        .collect();
    let report =
        json!({"analysis_details": {}, "vti": {}, "mitre_attack": {}, "artifacts": {"ips": ips}});
    let started = std::time::Instant::now();
    let answer = run(report.to_string().as_bytes(), json!({})).await.unwrap();
    assert_eq!(objects(&answer).len(), 2 + 5000);
    assert!(started.elapsed().as_secs() < 30);
}

//! `darkmoon_import`: the findings file of the Darkmoon penetration-testing CLI becomes one
//! `vulnerability` object per finding, plus a `url` object for the endpoint it affects.

use app::{MispObject, MispTag, ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::report::{Stored, python_str, python_strip, read_report, stored, truthy, truthy_field};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::misp::ObjectBuilder;
use crate::pycompat::python_json_dumps;

const NOT_JSON: &str = "The input is not a valid JSON file.";
const NOT_DARKMOON: &str = "The input is not a Darkmoon JSON findings report.";
const SEVERITIES: [&str; 5] = ["critical", "high", "medium", "low", "info"];
const STATUSES: [&str; 3] = ["exploited", "confirmed", "unconfirmed"];

pub struct DarkmoonImport(ModuleDescriptor);

impl DarkmoonImport {
    pub fn new() -> Self {
        Self(descriptor(
            "darkmoon_import",
            ModuleType::Import,
            json!({
                "inputSource": ["file"],
                "output": ["MISP objects"],
                "format": "misp_standard",
                "userConfig": {
                    "include_unconfirmed": {
                        "type": "Boolean",
                        "message": "Also import findings whose exploitation was not confirmed",
                        "checked": "true"
                    }
                }
            }),
            json!({
                "version": "0.1",
                "author": "misp-modules-stack",
                "description": "Reads the JSON findings written by the Darkmoon penetration-testing CLI.",
                "module-type": ["import"],
                "name": "Darkmoon Import",
                "config": [],
                "input": "A Darkmoon findings file: a list of findings or an object with a findings list.",
                "output": "One vulnerability object per finding (CVE, CVSS, description with remediation and evidence, tagged with severity, status and ATT&CK technique) and a url object for its endpoint."
            }),
        ))
    }
}

/// The findings of a report, `None` when it is not one. Every finding must carry the
/// fields only Darkmoon writes (its agent and an exploitation status).
fn findings(report: &Value) -> Option<&Vec<Value>> {
    let list = match report {
        Value::Object(map) => map.get("findings")?,
        other => other,
    };
    let list = list.as_array().filter(|items| !items.is_empty())?;
    let all_darkmoon = list.iter().all(|finding| {
        finding.as_object().is_some_and(|f| {
            truthy_field(f, "title").is_some()
                && truthy_field(f, "discovered_by_agent").is_some()
                && status(f).is_some()
        })
    });
    all_darkmoon.then_some(list)
}

/// The exploitation status, lower-cased, when it is one Darkmoon writes.
fn status(finding: &Map<String, Value>) -> Option<String> {
    let text = finding.get("status")?.as_str()?.to_lowercase();
    STATUSES.contains(&text.as_str()).then_some(text)
}

/// `include_unconfirmed`: on unless the user turned it off; text counts as on only when
/// it reads 1, true, yes or on.
fn include_unconfirmed(request: &QueryRequest) -> bool {
    match request
        .config()
        .and_then(|config| config.get("include_unconfirmed"))
    {
        None | Some(Value::Null) => true,
        Some(Value::String(text)) => matches!(
            python_strip(text).to_lowercase().as_str(),
            "1" | "true" | "yes" | "on"
        ),
        Some(other) => truthy(other),
    }
}

fn description(finding: &Map<String, Value>) -> String {
    let text_of = |key: &str| truthy_field(finding, key).map(python_str);
    let mut parts = vec![python_strip(&text_of("description").unwrap_or_default()).to_owned()];
    if let Some(text) = text_of("remediation") {
        parts.push(format!("Remediation: {}", python_strip(&text)));
    }
    if let Some(text) = text_of("evidence_explanation") {
        parts.push(format!("Evidence: {}", python_strip(&text)));
    }
    match truthy_field(finding, "evidence_commands") {
        Some(Value::Array(commands)) => {
            let lines: Vec<String> = commands.iter().map(python_str).collect();
            parts.push(format!("Commands:\n{}", lines.join("\n")));
        }
        Some(other) => parts.push(format!("Commands:\n{}", python_str(other))),
        None => {}
    }
    for (key, label) in [
        ("evidence_logs", "Logs"),
        ("raw_request", "Request"),
        ("raw_response", "Response"),
    ] {
        if let Some(text) = text_of(key) {
            parts.push(format!("{label}:\n{text}"));
        }
    }
    parts.retain(|part| !part.is_empty());
    parts.join("\n\n")
}

/// A `namespace:predicate="value"` tag, the value quoted as JSON (ASCII-escaped).
fn tag(predicate: &str, value: &str) -> MispTag {
    MispTag {
        name: format!(
            "{predicate}={}",
            python_json_dumps(&Value::String(value.to_owned()), None)
        ),
    }
}

fn tags(finding: &Map<String, Value>, status: &str) -> Vec<MispTag> {
    let mut tags = vec![tag("darkmoon:exploitation-status", status)];
    let severity = truthy_field(finding, "severity")
        .map(|s| python_str(s).to_lowercase())
        .unwrap_or_default();
    if SEVERITIES.contains(&severity.as_str()) {
        tags.push(tag("darkmoon:severity", &severity));
    }
    if let Some(category) = truthy_field(finding, "category") {
        tags.push(tag("darkmoon:category", &python_str(category)));
    }
    if let Some(agent) = truthy_field(finding, "discovered_by_agent") {
        tags.push(tag("darkmoon:agent", &python_str(agent)));
    }
    if let (Some(technique), Some(name)) = (
        truthy_field(finding, "mitre_attack_id"),
        truthy_field(finding, "mitre_attack_name"),
    ) {
        let pattern = format!("{} - {}", python_str(name), python_str(technique));
        tags.push(tag("misp-galaxy:mitre-attack-pattern", &pattern));
    }
    tags
}

fn references(finding: &Map<String, Value>) -> Vec<String> {
    let mut links = Vec::new();
    if let Some(cve) = truthy_field(finding, "cve") {
        links.push(format!(
            "https://nvd.nist.gov/vuln/detail/{}",
            python_str(cve)
        ));
    }
    if let Some(technique) = truthy_field(finding, "mitre_attack_id") {
        links.push(format!(
            "https://attack.mitre.org/techniques/{}/",
            python_str(technique).replace('.', "/")
        ));
    }
    links
}

/// pymisp strips object attribute text and skips what is then empty.
fn cleaned(value: String) -> Option<String> {
    match stored(&Value::String(value)) {
        Some(Stored::Text(text)) => Some(text),
        _ => None,
    }
}

fn add(object: &mut ObjectBuilder, relation: &str, value: String) -> Result<(), ModuleError> {
    if let Some(text) = cleaned(value) {
        object.add(relation, text)?;
    }
    Ok(())
}

fn convert(finding: &Map<String, Value>, status: &str) -> Result<Vec<MispObject>, ModuleError> {
    let mut vulnerability = ObjectBuilder::new("vulnerability")?;
    let title = finding.get("title").map(python_str).unwrap_or_default();
    if let Some(title) = cleaned(title) {
        let mut summary = crate::misp::new_attribute("text", title);
        summary.tags = tags(finding, status);
        vulnerability.add_attribute("summary", summary);
    }
    add(&mut vulnerability, "description", description(finding))?;
    if let Some(cve) = truthy_field(finding, "cve") {
        add(&mut vulnerability, "id", python_str(cve))?;
    }
    if let Some(score) = finding.get("cvss_score").filter(|s| !s.is_null()) {
        add(&mut vulnerability, "cvss-score", python_str(score))?;
    }
    if let Some(vector) = truthy_field(finding, "cvss_vector") {
        add(&mut vulnerability, "cvss-string", python_str(vector))?;
    }
    for link in references(finding) {
        add(&mut vulnerability, "references", link)?;
    }
    let Some(endpoint) = truthy_field(finding, "endpoint") else {
        return Ok(vec![vulnerability.build()]);
    };
    let mut url = ObjectBuilder::new("url")?;
    add(&mut url, "url", python_str(endpoint))?;
    vulnerability.reference(url.uuid(), "affects");
    Ok(vec![vulnerability.build(), url.build()])
}

fn import(request: &QueryRequest) -> Result<Value, ModuleError> {
    let report = read_report(request).ok_or_else(|| ModuleError::reported(NOT_JSON))?;
    let list = findings(&report).ok_or_else(|| ModuleError::reported(NOT_DARKMOON))?;
    let keep_unconfirmed = include_unconfirmed(request);
    let mut objects = Vec::new();
    for finding in list.iter().filter_map(Value::as_object) {
        let Some(status) = status(finding) else {
            continue;
        };
        if status == "unconfirmed" && !keep_unconfirmed {
            continue;
        }
        objects.extend(convert(finding, &status)?);
    }
    let objects = serde_json::to_value(objects)
        .map_err(|e| ModuleError::internal(format!("darkmoon_import: {e}")))?;
    Ok(json!({"results": {"Object": objects}}))
}

#[async_trait]
impl Module for DarkmoonImport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        import(&request)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::import::expected::{body, canonical};
    use crate::builtin::testing::{query, reported};

    const REPORT: &str = include_str!("testdata/darkmoon/report.json");
    const EXPECTED: &str = include_str!("testdata/darkmoon/expected.json");
    const ODD: &str = include_str!("testdata/darkmoon/odd_values.json");
    const ODD_EXPECTED: &str = include_str!("testdata/darkmoon/odd_values_expected.json");

    async fn run(data: &[u8], config: Value) -> Result<Value, ModuleError> {
        query(
            &DarkmoonImport::new(),
            body("darkmoon_import", data, config),
        )
        .await
    }

    #[tokio::test]
    async fn findings_match_the_reference() {
        let answer = run(REPORT.as_bytes(), json!({})).await.unwrap();
        let expected: Value = serde_json::from_str(EXPECTED).unwrap();
        assert_eq!(canonical(&answer), canonical(&expected));
    }

    #[tokio::test]
    async fn non_text_fields_are_spelled_as_python_would() {
        let answer = run(ODD.as_bytes(), json!({"include_unconfirmed": "0"}))
            .await
            .unwrap();
        let expected: Value = serde_json::from_str(ODD_EXPECTED).unwrap();
        assert_eq!(canonical(&answer), canonical(&expected));
    }

    #[tokio::test]
    async fn unconfirmed_findings_can_be_left_out() {
        for off in [json!("0"), json!(" No "), json!(false), json!(0)] {
            let answer = run(REPORT.as_bytes(), json!({"include_unconfirmed": off}))
                .await
                .unwrap();
            let objects = answer["results"]["Object"].as_array().unwrap();
            assert_eq!(objects.len(), 2, "{off}");
        }
        let answer = run(REPORT.as_bytes(), json!({"include_unconfirmed": "yes"}))
            .await
            .unwrap();
        assert_eq!(answer["results"]["Object"].as_array().unwrap().len(), 3);
    }

    #[tokio::test]
    async fn other_files_are_refused() {
        assert_eq!(reported(run(b"{not json", json!({})).await), NOT_JSON);
        assert_eq!(reported(run(b"\xff\xfe{}", json!({})).await), NOT_JSON);
        for other in [
            r#"{"findings": []}"#,
            r#"[{"title": "x", "discovered_by_agent": "a", "status": "fixed"}]"#,
            r#"[{"title": "x", "status": "confirmed"}]"#,
            r#""text""#,
        ] {
            assert_eq!(
                reported(run(other.as_bytes(), json!({})).await),
                NOT_DARKMOON
            );
        }
        let missing = query(&DarkmoonImport::new(), json!({"module": "darkmoon_import"})).await;
        assert_eq!(reported(missing), NOT_JSON);
    }
}

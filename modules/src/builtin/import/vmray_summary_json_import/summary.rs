//! Reads the two layouts of VMRay's `summary.json` into one shape. Version 1 lists
//! artifacts inline; version 2 (`summary_v2.json`) keeps them in top-level tables and
//! points at them with `{"_type": "reference", "path": [...]}` records.

use serde_json::{Map, Value};

use super::artifact::{Artifact, Kind};
use crate::builtin::import::report::{python_str, truthy};

const V2_SOURCE: &str = "logs/summary_v2.json";

/// One VMRay threat identifier; two are the same when every field is.
#[derive(Clone, PartialEq)]
pub struct Vti {
    pub category: Value,
    pub operation: Value,
    pub technique: Value,
    pub score: Value,
}

/// What the importer needs from one analysis, whichever layout it came in.
pub struct Analysis {
    pub static_only: bool,
    pub score: Option<String>,
    pub sandbox_type: String,
    pub classifications: Option<String>,
    pub details: Vec<String>,
    pub vtis: Vec<Vti>,
    pub artifacts: Vec<Artifact>,
    /// ATT&CK techniques as (name, id).
    pub techniques: Vec<(String, String)>,
    /// The verdict of the whole sample, which only version 2 states.
    pub sample_verdict: Option<String>,
}

/// `None` when the file is neither layout.
pub fn read(report: &Value) -> Option<Analysis> {
    let map = report.as_object()?;
    if map.contains_key("analysis_details") {
        Some(V1(map).analysis())
    } else if map.contains_key("analysis_metadata") {
        Some(V2(map).analysis())
    } else {
        None
    }
}

fn field<'a>(value: &'a Value, key: &str) -> &'a Value {
    value.get(key).unwrap_or(&Value::Null)
}

fn path<'a>(value: &'a Value, keys: &[&str]) -> &'a Value {
    keys.iter().fold(value, |current, key| field(current, key))
}

/// A report list; a lone value counts as a list of one, nothing as an empty list.
fn list(value: &Value) -> Vec<Value> {
    match value {
        Value::Null => Vec::new(),
        Value::Array(items) => items.clone(),
        other => vec![other.clone()],
    }
}

fn is_ioc(value: &Value, key: &str) -> bool {
    truthy(field(value, key))
}

/// A truthy verdict as the text of its tag.
fn verdict_text(value: &Value) -> Option<String> {
    truthy(value).then(|| python_str(value))
}

fn details(label: &str, details: &Value, success_key: &str) -> Vec<String> {
    vec![
        format!(
            "{label}: execution_successful: {}",
            python_str(field(details, success_key))
        ),
        format!(
            "{label}: termination_reason: {}",
            python_str(field(details, "termination_reason"))
        ),
        format!(
            "{label}: result: {}",
            python_str(field(details, "result_str"))
        ),
    ]
}

fn joined(items: &[Value]) -> String {
    items.iter().map(python_str).collect::<Vec<_>>().join(", ")
}

struct V1<'a>(&'a Map<String, Value>);

impl V1<'_> {
    fn get(&self, key: &str) -> &Value {
        self.0.get(key).unwrap_or(&Value::Null)
    }

    fn analysis(&self) -> Analysis {
        let vti = self.get("vti");
        let classifications = list(self.get("classifications"));
        Analysis {
            static_only: field(vti, "vti_rule_type") == "Static",
            score: verdict_v1(field(vti, "vti_score")),
            sandbox_type: format!(
                "{} | {}",
                python_str(path(self.get("vm_and_analyzer_details"), &["vm_name"])),
                python_str(path(self.get("sample_details"), &["sample_type"]))
            ),
            classifications: (!classifications.is_empty())
                .then(|| format!("Classifications: {}", joined(&classifications))),
            // The file does not carry its analysis id; the label then has none.
            details: details(
                "Analysis",
                self.get("analysis_details"),
                "execution_successful",
            ),
            vtis: list(field(vti, "vti_rule_matches"))
                .iter()
                .map(|m| Vti {
                    category: field(m, "category_desc").clone(),
                    operation: field(m, "operation_desc").clone(),
                    technique: field(m, "technique_desc").clone(),
                    score: field(m, "rule_score").clone(),
                })
                .collect(),
            artifacts: self.artifacts(),
            techniques: list(path(self.get("mitre_attack"), &["techniques"]))
                .iter()
                .map(|t| {
                    (
                        python_str(field(t, "description")),
                        python_str(field(t, "id")),
                    )
                })
                .collect(),
            sample_verdict: None,
        }
    }

    fn artifacts(&self) -> Vec<Artifact> {
        let all = self.get("artifacts");
        let section = |key: &str| list(field(all, key));
        let mut out = Vec::new();
        let mut push = |item: &Value, kind: Kind| {
            out.push(Artifact {
                kind,
                is_ioc: is_ioc(item, "ioc"),
                verdict: verdict_v1(field(item, "severity")),
                classifications: list(field(item, "classifications")),
            });
        };
        for item in section("domains") {
            let kind = Kind::Domain {
                domain: field(&item, "domain").clone(),
                sources: list(field(&item, "sources")),
                ips: list(field(&item, "ip_addresses")),
            };
            push(&item, kind);
        }
        for item in section("emails") {
            let kind = Kind::Email {
                sender: field(&item, "sender").clone(),
                subject: field(&item, "subject").clone(),
                recipients: list(field(&item, "recipients")),
            };
            push(&item, kind);
        }
        for item in section("files") {
            let first = field(&item, "filename");
            if first.is_null() {
                continue;
            }
            let mut filenames = vec![first.clone()];
            filenames.extend(list(field(&item, "filenames")));
            for hashes in list(field(&item, "hashes")) {
                let kind = Kind::File {
                    filenames: filenames.clone(),
                    operations: list(field(&item, "operations")),
                    md5: field(&hashes, "md5_hash").clone(),
                    sha1: field(&hashes, "sha1_hash").clone(),
                    sha256: field(&hashes, "sha256_hash").clone(),
                    ssdeep: field(&hashes, "ssdeep_hash").clone(),
                    imphash: field(&hashes, "imp_hash").clone(),
                    size: field(&item, "file_size").clone(),
                    mimetype: field(&item, "mime_type").clone(),
                };
                push(&item, kind);
            }
        }
        for item in section("ips") {
            let kind = Kind::Ip {
                ip: field(&item, "ip_address").clone(),
                sources: list(field(&item, "sources")),
            };
            push(&item, kind);
        }
        for item in section("mutexes") {
            let kind = Kind::Mutex {
                name: field(&item, "mutex_name").clone(),
                operations: list(field(&item, "operations")),
            };
            // Version 1 mutexes carry no classifications the reference reads.
            let mut item = item.clone();
            if let Some(map) = item.as_object_mut() {
                map.remove("classifications");
            }
            push(&item, kind);
        }
        for item in section("processes") {
            let kind = Kind::Process {
                filename: field(&item, "image_name").clone(),
                pid: Value::Null,
                parent_pid: Value::Null,
                cmd_line: field(&item, "cmd_line").clone(),
                operations: Vec::new(),
            };
            push(&item, kind);
        }
        for item in section("registry") {
            let kind = Kind::Registry {
                key: field(&item, "reg_key_name").clone(),
                operations: list(field(&item, "operations")),
            };
            push(&item, kind);
        }
        for item in section("urls") {
            let kind = Kind::Url {
                url: field(&item, "url").clone(),
                operations: list(field(&item, "operations")),
                domain: Value::Null,
                ips: list(field(&item, "ip_addresses")),
            };
            push(&item, kind);
        }
        out
    }
}

/// Version 1 scores: 0-100 numbers or severity words, mapped to the verdict names.
fn verdict_v1(score: &Value) -> Option<String> {
    let number = match score {
        Value::Bool(flag) => Some(i64::from(*flag)),
        Value::Number(n) if !n.is_f64() => Some(n.as_i64().unwrap_or(i64::MAX)),
        Value::String(text) => {
            let text = text.to_lowercase();
            return Some(
                match text.as_str() {
                    "not_suspicious" | "whitelisted" => "clean",
                    "blacklisted" => "malicious",
                    "not_available" | "unknown" => "n/a",
                    other => other,
                }
                .to_owned(),
            );
        }
        _ => None,
    }?;
    Some(
        match number {
            0..=24 => "clean",
            25..=74 => "suspicious",
            75..=100 => "malicious",
            _ => "n/a",
        }
        .to_owned(),
    )
}

/// Version 2 verdicts are kept, except that a missing one reads `n/a`.
pub fn verdict_v2(verdict: &Value) -> String {
    if !truthy(verdict) || verdict == "not_available" {
        "n/a".to_owned()
    } else {
        python_str(verdict)
    }
}

struct V2<'a>(&'a Map<String, Value>);

impl V2<'_> {
    fn get(&self, key: &str) -> &Value {
        self.0.get(key).unwrap_or(&Value::Null)
    }

    /// The record a reference points at; `None` for references into other files, broken
    /// paths and anything that is not a reference.
    fn resolve(&self, reference: &Value) -> Option<&Value> {
        let reference = reference.as_object()?;
        if reference.get("_type")? != "reference" || reference.get("source")? != V2_SOURCE {
            return None;
        }
        let mut current = self.0.get(path_head(reference)?)?;
        for part in reference.get("path")?.as_array()?.iter().skip(1) {
            current = match (current, part) {
                (Value::Object(map), Value::String(key)) => map.get(key)?,
                (Value::Array(items), Value::Number(index)) => {
                    items.get(usize::try_from(index.as_u64()?).ok()?)?
                }
                _ => return None,
            };
        }
        // An empty record is what the reference gets for a dangling path; skip it too.
        current
            .as_object()
            .filter(|map| !map.is_empty())
            .map(|_| current)
    }

    /// Every record the references (one or a list) point at.
    fn resolve_all(&self, references: &Value) -> Vec<&Value> {
        list(references)
            .iter()
            .filter_map(|r| self.resolve(r))
            .collect()
    }

    fn analysis(&self) -> Analysis {
        let metadata = self.get("analysis_metadata");
        let vti = self.get("vti");
        let classifications = match self.get("classifications") {
            Value::Null => None,
            other => Some(format!("Classifications: {}", joined(&list(other)))),
        };
        let label = format!("Analysis {}", python_str(field(metadata, "analysis_id")));
        let vtis: Vec<&Value> = match field(vti, "matches") {
            Value::Object(matches) => matches.values().collect(),
            _ => Vec::new(),
        };
        let techniques = match path(self.get("mitre_attack"), &["v4", "techniques"]) {
            Value::Object(map) => map
                .iter()
                .map(|(id, t)| {
                    (
                        python_str(field(t, "description")),
                        id.replace("technique_", ""),
                    )
                })
                .collect(),
            _ => Vec::new(),
        };
        let verdict = verdict_v2(field(metadata, "verdict"));
        Analysis {
            static_only: field(vti, "score_type") == "static",
            score: Some(verdict.clone()),
            sandbox_type: format!(
                "{} | {}",
                python_str(path(self.get("virtual_machine"), &["description"])),
                python_str(field(metadata, "sample_type"))
            ),
            classifications,
            details: details(&label, metadata, "is_execution_successful"),
            vtis: vtis
                .into_iter()
                .filter(|m| m.is_object())
                .map(|m| Vti {
                    category: field(m, "category_desc").clone(),
                    operation: field(m, "operation_desc").clone(),
                    technique: field(m, "technique_desc").clone(),
                    score: field(m, "analysis_score").clone(),
                })
                .collect(),
            artifacts: self.artifacts(),
            techniques,
            sample_verdict: Some(verdict),
        }
    }

    fn ips_of(&self, item: &Value) -> Vec<Value> {
        self.resolve_all(field(item, "ref_ip_addresses"))
            .into_iter()
            .map(|ip| field(ip, "ip_address").clone())
            .filter(|ip| !ip.is_null())
            .collect()
    }

    fn artifacts(&self) -> Vec<Artifact> {
        let all = self.get("artifacts");
        let section = |key: &str| self.resolve_all(field(all, key));
        let mut out = Vec::new();
        let mut push = |item: &Value, kind: Kind| {
            out.push(Artifact {
                kind,
                is_ioc: is_ioc(item, "is_ioc"),
                verdict: verdict_text(field(item, "verdict")),
                classifications: list(field(item, "classifications")),
            });
        };
        for item in section("ref_domains") {
            let kind = Kind::Domain {
                domain: field(item, "domain").clone(),
                sources: list(field(item, "sources")),
                ips: self.ips_of(item),
            };
            push(item, kind);
        }
        for item in section("ref_emails") {
            let kind = Kind::Email {
                sender: field(item, "sender").clone(),
                subject: field(item, "subject").clone(),
                recipients: list(field(item, "recipients")),
            };
            push(item, kind);
        }
        for item in section("ref_files") {
            let hashes = field(item, "hash_values");
            let kind = Kind::File {
                filenames: self
                    .resolve_all(field(item, "ref_filenames"))
                    .into_iter()
                    .map(|f| field(f, "filename").clone())
                    .filter(|f| !f.is_null())
                    .collect(),
                operations: list(field(item, "operations")),
                md5: field(hashes, "md5").clone(),
                sha1: field(hashes, "sha1").clone(),
                sha256: field(hashes, "sha256").clone(),
                ssdeep: field(hashes, "ssdeep").clone(),
                imphash: Value::Null,
                size: field(item, "size").clone(),
                mimetype: field(item, "mime_type").clone(),
            };
            push(item, kind);
        }
        for item in section("ref_ip_addresses") {
            let kind = Kind::Ip {
                ip: field(item, "ip_address").clone(),
                sources: list(field(item, "sources")),
            };
            push(item, kind);
        }
        for item in section("ref_mutexes") {
            let kind = Kind::Mutex {
                name: field(item, "name").clone(),
                operations: list(field(item, "operations")),
            };
            push(item, kind);
        }
        for item in section("ref_processes") {
            let kind = Kind::Process {
                filename: field(item, "filename").clone(),
                pid: field(item, "os_pid").clone(),
                // What the reference reports as the parent PID.
                parent_pid: field(item, "origin_monitor_id").clone(),
                cmd_line: field(item, "cmd_line").clone(),
                operations: Vec::new(),
            };
            push(item, kind);
        }
        for item in section("ref_registry_records") {
            let kind = Kind::Registry {
                key: field(item, "reg_key_name").clone(),
                operations: list(field(item, "operations")),
            };
            push(item, kind);
        }
        for item in section("ref_urls") {
            let domain = self
                .resolve(field(item, "ref_domain"))
                .map(|d| field(d, "domain").clone())
                .unwrap_or_default();
            let kind = Kind::Url {
                url: field(item, "url").clone(),
                operations: list(field(item, "operations")),
                domain,
                ips: self.ips_of(item),
            };
            push(item, kind);
        }
        out
    }
}

fn path_head(reference: &Map<String, Value>) -> Option<&str> {
    reference.get("path")?.as_array()?.first()?.as_str()
}

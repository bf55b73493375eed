//! The walk over a Joe Sandbox report, in the order the reference adds things (which is
//! the order of the answer).

use std::collections::{HashMap, HashSet};

use serde_json::{Map, Value};

use super::{executable, network};
use crate::builtin::import::report::{EventBuilder, python_str, truthy};
use crate::engine::ModuleError;
use crate::misp::{ObjectBuilder, new_attribute};
use crate::pycompat::python_int;

pub(super) struct Options {
    pub import_executable: bool,
    pub mitre_attack: bool,
}

/// A JSON object field, when it is one.
pub(super) fn map<'a>(parent: &'a Map<String, Value>, key: &str) -> Option<&'a Map<String, Value>> {
    parent.get(key).and_then(Value::as_object)
}

/// The object items of a list field, `{"call": [...]}`-style containers included: Joe
/// writes `null` or an empty container for activity it did not see.
pub(super) fn items<'a>(
    parent: Option<&'a Map<String, Value>>,
    key: &str,
) -> impl Iterator<Item = &'a Map<String, Value>> {
    parent
        .and_then(|p| p.get(key))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_object)
}

const NULL: Value = Value::Null;

pub(super) fn field<'a>(parent: &'a Map<String, Value>, key: &str) -> &'a Value {
    parent.get(key).unwrap_or(&NULL)
}

/// The process a report entry names by target id and path.
type ProcessKey = (i128, String);

/// A file or registry key the processes touched, with the (process, relationship) pairs
/// that lead to it.
type Touched = (&'static str, String, Vec<(String, &'static str)>);

/// What the walk accumulates besides the event.
pub(super) struct Walk {
    pub event: EventBuilder,
    /// The object of the analysed file or URL.
    pub analysis: String,
    processes: HashMap<ProcessKey, String>,
    /// Files and registry keys the processes touched: one attribute per (type, value),
    /// in first-seen order, with the (process, relationship) pairs that lead to it.
    touched: Vec<Touched>,
    touched_index: HashMap<(&'static str, String), usize>,
    touched_pairs: HashSet<(usize, String, &'static str)>,
}

impl Walk {
    fn touch(
        &mut self,
        kind: &'static str,
        value: String,
        process: &str,
        relationship: &'static str,
    ) {
        let key = (kind, value.clone());
        let index = match self.touched_index.get(&key) {
            Some(index) => *index,
            None => {
                self.touched.push((kind, value, Vec::new()));
                self.touched_index.insert(key, self.touched.len() - 1);
                self.touched.len() - 1
            }
        };
        if self
            .touched_pairs
            .insert((index, process.to_owned(), relationship))
        {
            self.touched[index]
                .2
                .push((process.to_owned(), relationship));
        }
    }

    fn process(&self, target: &Value, path: &Value) -> Option<&String> {
        let path = path.as_str()?;
        self.processes.get(&(python_int(target)?, path.to_owned()))
    }

    /// `referenced` is linked from the process the entry names, else from the analysis.
    fn contacted_by(&mut self, entry: &Map<String, Value>, referenced: &str, relationship: &str) {
        let source = self
            .process(field(entry, "@targetid"), field(entry, "@currentpath"))
            .cloned()
            .unwrap_or_else(|| self.analysis.clone());
        self.event
            .reference_later(&source, referenced, relationship);
    }
}

pub(super) fn parse(analysis: &Map<String, Value>, options: Options) -> Result<Value, ModuleError> {
    let mut event = EventBuilder::default();
    let general = map(analysis, "generalinfo");
    let target = general.and_then(|g| map(g, "target"));
    let sample = target.is_some_and(|t| truthy(field(t, "sample")));
    let url = target.map(|t| field(t, "url")).filter(|u| truthy(u));
    let analysis_uuid = if sample {
        let arch = general.map(|g| field(g, "arch")).and_then(Value::as_str);
        executable::fileinfo(&mut event, analysis, arch, options.import_executable)?
    } else if let Some(url) = url {
        let mut object = ObjectBuilder::new("url")?;
        event.add_value(&mut object, "url", "url", url);
        let uuid = object.uuid().to_owned();
        event.push_object(object.build());
        uuid
    } else {
        return Err(ModuleError::reported(
            "Unknown analysis type: the report names neither a sample nor a URL.",
        ));
    };
    let mut walk = Walk {
        event,
        analysis: analysis_uuid,
        processes: HashMap::new(),
        touched: Vec::new(),
        touched_index: HashMap::new(),
        touched_pairs: HashSet::new(),
    };
    let behavior = map(analysis, "behavior");
    system_behavior(&mut walk, behavior)?;
    if let Some(network) = behavior.and_then(|b| map(b, "network")) {
        network::connections(&mut walk, network)?;
    }
    screenshot(&mut walk, behavior);
    interactions(&mut walk, analysis)?;
    dropped_files(&mut walk, analysis)?;
    for (kind, value, pairs) in std::mem::take(&mut walk.touched) {
        let mut attribute = new_attribute(kind, value);
        attribute.to_ids = false;
        let uuid = walk.event.push_attribute(attribute);
        for (process, relationship) in pairs {
            walk.event.reference_later(&process, &uuid, relationship);
        }
    }
    if options.mitre_attack {
        mitre_attack(&mut walk.event, analysis);
    }
    walk.event.finish(true)
}

fn system_behavior(
    walk: &mut Walk,
    behavior: Option<&Map<String, Value>>,
) -> Result<(), ModuleError> {
    let processes = behavior
        .and_then(|b| map(b, "system"))
        .and_then(|s| map(s, "processes"));
    for process in items(processes, "process") {
        let Some(general) = map(process, "general") else {
            continue;
        };
        let mut object = ObjectBuilder::new("process")?;
        for (feature, relation) in [
            ("cmdline", "command-line"),
            ("name", "name"),
            ("parentpid", "parent-pid"),
            ("pid", "pid"),
            ("path", "current-directory"),
        ] {
            walk.event
                .add_value(&mut object, relation, "text", field(general, feature));
        }
        let started = format!(
            "{} {}",
            python_str(field(general, "date")),
            python_str(field(general, "time"))
        );
        if let Ok(start) = chrono::NaiveDateTime::parse_from_str(&started, "%d/%m/%Y %H:%M:%S") {
            walk.event
                .add_text(&mut object, "start-time", "datetime", network::iso(&start));
        }
        let uuid = object.uuid().to_owned();
        walk.event.push_object(object.build());
        if let Some(activities) = map(process, "fileactivities") {
            file_activities(walk, &uuid, activities);
        }
        if let Some(activities) = map(process, "registryactivities") {
            registry_activities(walk, &uuid, activities)?;
        }
        walk.event
            .reference_later(&walk.analysis.clone(), &uuid, "calls");
        if let (Some(target), Some(path)) = (
            python_int(field(general, "targetid")),
            field(general, "path").as_str(),
        ) {
            walk.processes.insert((target, path.to_owned()), uuid);
        }
    }
    Ok(())
}

fn file_activities(walk: &mut Walk, process: &str, activities: &Map<String, Value>) {
    for (feature, files) in activities {
        let relationship = match feature.as_str() {
            "fileCreated" => "creates",
            "fileDeleted" => "deletes",
            "fileMoved" => "moves",
            "fileRead" => "reads",
            "fileWritten" => "writes",
            _ => continue,
        };
        for call in items(files.as_object(), "call") {
            if let Some(path) = call.get("path").filter(|p| !p.is_null()) {
                walk.touch("filename", python_str(path), process, relationship);
            }
        }
    }
}

fn registry_activities(
    walk: &mut Walk,
    process: &str,
    activities: &Map<String, Value>,
) -> Result<(), ModuleError> {
    for call in items(map(activities, "keyCreated"), "call") {
        if let Some(path) = call.get("path").filter(|p| !p.is_null()) {
            walk.touch("regkey", python_str(path), process, "creates");
        }
    }
    for (feature, relationship) in [
        ("keyValueCreated", "creates"),
        ("keyValueModified", "modifies"),
    ] {
        for call in items(map(activities, feature), "call") {
            let mut key = ObjectBuilder::new("registry-key")?;
            for (from, relation, kind) in [
                ("name", "name", "text"),
                ("newdata", "data", "text"),
                ("path", "key", "regkey"),
            ] {
                walk.event
                    .add_value(&mut key, relation, kind, field(call, from));
            }
            if let Some(data_type) = call.get("type").filter(|t| !t.is_null()) {
                let text = format!("REG_{}", python_str(data_type).to_uppercase());
                walk.event.add_text(&mut key, "data-type", "text", text);
            }
            let uuid = key.uuid().to_owned();
            walk.event.push_object(key.build());
            walk.event.reference_later(process, &uuid, relationship);
        }
    }
    Ok(())
}

fn screenshot(walk: &mut Walk, behavior: Option<&Map<String, Value>>) {
    let interesting = behavior
        .and_then(|b| map(b, "screenshotdata"))
        .and_then(|s| s.get("interesting"))
        .filter(|i| !i.is_null());
    let Some(data) = interesting.and_then(|i| i.get("$")).and_then(Value::as_str) else {
        return;
    };
    let mut attribute = new_attribute("attachment", "screenshot.jpg");
    attribute.to_ids = false;
    attribute.disable_correlation = true;
    attribute
        .extra
        .insert("data".into(), Value::String(data.to_owned()));
    walk.event.push_attribute(attribute);
}

fn interactions(walk: &mut Walk, analysis: &Map<String, Value>) -> Result<(), ModuleError> {
    for domain in items(map(analysis, "domaininfo"), "domain") {
        if field(domain, "@ip").as_str() != Some("unknown") {
            let mut object = ObjectBuilder::new("domain-ip")?;
            walk.event
                .add_value(&mut object, "ip", "ip-dst", field(domain, "@ip"));
            walk.event
                .add_value(&mut object, "domain", "domain", field(domain, "@name"));
            let uuid = object.uuid().to_owned();
            walk.event.push_object(object.build());
            walk.contacted_by(domain, &uuid, "contacts");
        } else {
            if let Some(uuid) = plain_attribute(walk, "domain", field(domain, "@name"), None) {
                walk.contacted_by(domain, &uuid, "contacts");
            }
        }
    }
    for ip in items(map(analysis, "ipinfo"), "ip") {
        if let Some(uuid) = plain_attribute(walk, "ip-dst", field(ip, "@ip"), None) {
            walk.contacted_by(ip, &uuid, "contacts");
        }
    }
    for url in items(map(analysis, "urlinfo"), "url") {
        let target = python_int(field(url, "@targetid"));
        let path = field(url, "@currentpath");
        if target.is_some_and(|t| t != -1) && path.as_str() != Some("unknown") {
            if let Some(uuid) = plain_attribute(walk, "url", field(url, "@name"), None) {
                walk.contacted_by(url, &uuid, "contacts");
            }
        } else {
            let comment = "From Memory - Enriched via the joe_import module";
            plain_attribute(walk, "url", field(url, "@name"), Some(comment));
        }
    }
    Ok(())
}

/// An event attribute; a missing value (which pymisp refuses outright) adds nothing.
fn plain_attribute(
    walk: &mut Walk,
    kind: &str,
    value: &Value,
    comment: Option<&str>,
) -> Option<String> {
    if value.is_null() {
        return None;
    }
    let mut attribute = new_attribute(kind, python_str(value));
    attribute.to_ids = false;
    attribute.comment = comment.map(str::to_owned);
    Some(walk.event.push_attribute(attribute))
}

fn dropped_files(walk: &mut Walk, analysis: &Map<String, Value>) -> Result<(), ModuleError> {
    for dropped in items(map(analysis, "droppedinfo"), "hash") {
        let mut object = ObjectBuilder::new("file")?;
        for (key, kind, relation) in [
            ("@entropy", "float", "entropy"),
            ("@file", "filename", "filename"),
            ("@size", "size-in-bytes", "size-in-bytes"),
            ("@type", "mime-type", "mimetype"),
        ] {
            walk.event
                .add_value(&mut object, relation, kind, field(dropped, key));
        }
        if field(dropped, "@malicious").as_str() == Some("true") {
            walk.event
                .add_text(&mut object, "state", "text", "Malicious");
        }
        for hash in dropped
            .get("value")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let kind = match hash.get("@algo").and_then(Value::as_str) {
                Some("MD5") => "md5",
                Some("SHA") => "sha1",
                Some("SHA-256") => "sha256",
                Some("SHA-512") => "sha512",
                _ => continue,
            };
            walk.event
                .add_value(&mut object, kind, kind, field_or_null(hash, "$"));
        }
        let uuid = object.uuid().to_owned();
        walk.event.push_object(object.build());
        if let Some(process) = walk
            .process(field(dropped, "@targetid"), field(dropped, "@process"))
            .cloned()
        {
            walk.event.reference_later(&process, &uuid, "drops");
        }
    }
    Ok(())
}

fn field_or_null<'a>(value: &'a Value, key: &str) -> &'a Value {
    value.get(key).unwrap_or(&NULL)
}

fn mitre_attack(event: &mut EventBuilder, analysis: &Map<String, Value>) {
    for tactic in items(map(analysis, "mitreattack"), "tactic") {
        for technique in items(Some(tactic), "technique") {
            event.add_tag(format!(
                "misp-galaxy:mitre-attack-pattern=\"{} - {}\"",
                python_str(field(technique, "name")),
                python_str(field(technique, "id"))
            ));
        }
    }
}

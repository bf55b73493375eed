//! One method per userConfig option, each adding its objects from the report. Objects
//! refer to the ones made before them (signatures and dropped files to processes), so
//! the options run in the order the caller lists them, as in the reference.

use std::collections::HashMap;

use app::MispTag;
use serde_json::Value;

use super::event::{Builder, Object};
use super::values::{NULL, at, list, pairs, py_str, truthy};
use crate::builtin::import::binary_file::binary_objects;
use crate::engine::ModuleError;

/// Types moved to the sample's or dropped file's category.
const FILE_TYPES: [&str; 8] = [
    "filename",
    "md5",
    "sha1",
    "sha256",
    "sha512",
    "malware-sample",
    "mimetype",
    "ssdeep",
];

pub struct Parser<'a> {
    report: &'a Value,
    files: HashMap<&'a str, &'a [u8]>,
    pub objects: Vec<Object>,
}

impl<'a> Parser<'a> {
    pub fn new(report: &'a Value, files: &'a [(String, Vec<u8>)]) -> Self {
        let files = files
            .iter()
            .map(|(name, data)| (name.trim_start_matches("./"), data.as_slice()))
            .collect();
        Self {
            report,
            files,
            objects: Vec::new(),
        }
    }

    pub fn run(&mut self, option: &str) -> Result<(), ModuleError> {
        match option {
            "Sandbox info" => self.sandbox_info(),
            "Upload sample" => self.sample(),
            "Processes" => self.processes(),
            "DNS" => self.dns(),
            "TCP" => self.network("tcp"),
            "UDP" => self.network("udp"),
            "HTTP" => self.http(),
            "Signatures" => self.signatures(),
            "Screenshots" => self.screenshots(),
            "Dropped files" => self.dropped_files(),
            "Dropped buffers" => self.dropped_buffers(),
            _ => Ok(()),
        }
    }

    fn section(&self, key: &str) -> &'a Value {
        at(self.report, key)
    }

    fn network_list(&self, key: &str) -> &'a [Value] {
        list(at(self.section("network"), key))
    }

    fn push(&mut self, builder: Builder) {
        self.objects.push(Object::from_builder(builder));
    }

    fn file(&self, path: &str) -> &'a [u8] {
        self.files.get(path).copied().unwrap_or_default()
    }

    /// The archive entry a path of the Cuckoo host names: the longest tail of its
    /// components that is a file of the archive, or "" when none is. (The reference
    /// walked directory entries and so missed files of archives that list none.)
    fn relpath(&self, path: &str) -> String {
        if path.ends_with('/') {
            return String::new();
        }
        let parts: Vec<&str> = path.split('/').filter(|p| !p.is_empty()).collect();
        (0..parts.len())
            .map(|start| parts[start..].join("/"))
            .find(|candidate| self.files.contains_key(candidate.as_str()))
            .unwrap_or_default()
    }

    /// The first process object with this pid, as the reference looks it up.
    fn process_index(&self, pid: &Value) -> Option<usize> {
        let pid = py_str(pid);
        self.objects
            .iter()
            .position(|o| o.has("process", "pid", &pid))
    }

    fn sandbox_info(&mut self) -> Result<(), ModuleError> {
        let info = self.section("info");
        if !truthy(info) {
            return Ok(());
        }
        let machine = at(info, "machine");
        let mut o = Builder::new("sandbox-report")?;
        o.add("score", at(info, "score"))?;
        o.add_text("sandbox-type", "on-premise")?;
        o.add_text("on-premise-sandbox", "cuckoo")?;
        o.add_text(
            "raw-report",
            &format!(
                "started on:{} duration:{}s vm:{}/{}",
                py_str(at(machine, "started_on")),
                py_str(at(info, "duration")),
                py_str(at(machine, "name")),
                py_str(at(machine, "label")),
            ),
        )?;
        self.push(o);
        Ok(())
    }

    fn sample(&mut self) -> Result<(), ModuleError> {
        let target = self.section("target");
        match at(target, "category").as_str() {
            Some("file") => {
                let name = text_or_empty(at(at(target, "file"), "name"));
                let (file, pe) = binary_objects(&name, self.file("binary"))?;
                let mut o = Builder::wrap(file);
                o.set_comment("Submitted sample");
                let mut object = Object::from_builder(o);
                recategorise(&mut object.object, "Payload delivery");
                self.objects.push(object);
                if let Some(mut pe) = pe {
                    pe.objects_mut()
                        .for_each(|o| recategorise(o, "Payload delivery"));
                    self.objects.extend(Object::from_pe(pe)?);
                }
            }
            Some("url") => {
                let mut o = Builder::new("url")?;
                o.add("url", at(target, "url"))?;
                o.add_text("text", "Submitted URL")?;
                self.push(o);
            }
            _ => {}
        }
        Ok(())
    }

    fn http(&mut self) -> Result<(), ModuleError> {
        for request in self.network_list("http") {
            let mut o = Builder::new("http-request")?;
            o.add("host", at(request, "host"))?;
            o.add("method", at(request, "method"))?;
            o.add("uri", at(request, "uri"))?;
            o.add("user-agent", at(request, "user-agent"))?;
            o.add_text(
                "text",
                &format!(
                    "count:{} port:{}",
                    py_str(at(request, "count")),
                    py_str(at(request, "port"))
                ),
            )?;
            self.push(o);
        }
        Ok(())
    }

    /// TCP or UDP connections, first seen first, one object per address and port pair.
    fn network(&mut self, proto: &str) -> Result<(), ModuleError> {
        let mut connections: Vec<&Value> = self.network_list(proto).iter().collect();
        connections.sort_by(|a, b| {
            let time = |v: &Value| at(v, "time").as_f64().unwrap_or(f64::NEG_INFINITY);
            time(a).total_cmp(&time(b))
        });
        let mut seen: Vec<[&Value; 4]> = Vec::new();
        for conn in connections {
            let key = ["src", "sport", "dst", "dport"].map(|k| at(conn, k));
            if seen.contains(&key) {
                continue;
            }
            seen.push(key);
            let mut o = Builder::new("network-connection")?;
            o.add("ip-src", at(conn, "src"))?;
            o.add("ip-dst", at(conn, "dst"))?;
            o.add("src-port", at(conn, "sport"))?;
            o.add("dst-port", at(conn, "dport"))?;
            o.add_text("layer3-protocol", "IP")?;
            o.add_text("layer4-protocol", &proto.to_uppercase())?;
            o.add("first-packet-seen", at(conn, "time"))?;
            self.push(o);
        }
        Ok(())
    }

    fn dns(&mut self) -> Result<(), ModuleError> {
        for record in self.network_list("dns") {
            let mut o = Builder::new("dns-record")?;
            o.add_text(
                "text",
                &format!("request type:{}", py_str(at(record, "type"))),
            )?;
            o.add("queried-domain", at(record, "request"))?;
            for answer in list(at(record, "answers")) {
                // Only address answers have a relation; MX, NS, CNAME are left out.
                if matches!(at(answer, "type").as_str(), Some("A" | "AAAA")) {
                    o.add("a-record", at(answer, "data"))?;
                }
            }
            self.push(o);
        }
        Ok(())
    }

    fn signatures(&mut self) -> Result<(), ModuleError> {
        let signatures = list(self.section("signatures"));
        if signatures.is_empty() {
            return Ok(());
        }
        let mut o = Builder::new("sb-signature")?;
        o.add_text("software", "Cuckoo")?;
        for signature in signatures {
            let marks = list(at(signature, "marks"));
            let mut lines: Vec<String> = Vec::new();
            for mark in marks {
                if let Some(line) = mark_text(mark)
                    && !lines.contains(&line)
                {
                    lines.push(line);
                }
            }
            let mut description = py_str(at(signature, "description"));
            if !lines.is_empty() {
                description.push_str("\n---\n");
                description.push_str(&lines.join("\n"));
            }
            let tags: Vec<MispTag> = at(signature, "ttp")
                .as_object()
                .into_iter()
                .flatten()
                .map(|(number, ttp)| MispTag {
                    name: format!(
                        "misp-galaxy:mitre-attack-pattern=\"{} - {number}\"",
                        py_str(at(ttp, "short"))
                    ),
                })
                .collect();
            let Some(uuid) = o.add_typed(
                "signature",
                "text",
                &Value::String(description),
                // The reference builds a stand-alone text attribute first, so its flags
                // are the text type's, not the template's.
                |attribute| {
                    attribute.tags = tags;
                    attribute.category = "Other".to_owned();
                    attribute.to_ids = false;
                    attribute.disable_correlation = false;
                },
            ) else {
                continue;
            };
            // The processes whose marks triggered it refer to the signature.
            let mut pids: Vec<&Value> = Vec::new();
            for pid in marks.iter().map(|m| at(m, "pid")).filter(|p| truthy(p)) {
                if !pids.contains(&pid) {
                    pids.push(pid);
                }
            }
            for pid in pids {
                if let Some(index) = self.process_index(pid) {
                    self.objects[index].refer(&uuid, "triggers");
                }
            }
        }
        self.push(o);
        Ok(())
    }

    fn processes(&mut self) -> Result<(), ModuleError> {
        let tree = list(at(self.section("behavior"), "processtree"));
        for process in tree {
            let mut accumulated = Vec::new();
            process_tree(process, &mut accumulated)?;
            self.objects
                .extend(accumulated.into_iter().map(Object::from_builder));
        }
        Ok(())
    }

    fn screenshots(&mut self) -> Result<(), ModuleError> {
        let shots = list(self.section("screenshots"));
        if shots.is_empty() {
            return Ok(());
        }
        let mut o = Builder::new("sandbox-report")?;
        o.add_text("sandbox-type", "on-premise")?;
        o.add_text("on-premise-sandbox", "cuckoo")?;
        for shot in shots {
            let path = self.relpath(&text_or_empty(at(shot, "path")));
            let data = base64_of(self.file(&path));
            let filename = path.rsplit('/').next().unwrap_or_default().to_owned();
            o.add_typed(
                "sandbox-file",
                "attachment",
                &Value::String(filename),
                |attribute| {
                    attribute.category = "External analysis".to_owned();
                    attribute
                        .extra
                        .insert("data".to_owned(), Value::String(data));
                },
            );
        }
        self.push(o);
        Ok(())
    }

    /// A dropped file or buffer as a file object with its Yara matches.
    fn dropped_object(
        &self,
        entry: &Value,
        filename: &str,
        comment: &str,
    ) -> Result<Builder, ModuleError> {
        let path = self.relpath(&text_or_empty(at(entry, "path")));
        let filename = if filename.is_empty() {
            path.rsplit('/').next().unwrap_or_default()
        } else {
            filename
        };
        // The reference builds the PE objects of a dropped file but only adds the file
        // object, whose reference to its (absent) pe object stays.
        let (file, _pe) = binary_objects(filename, self.file(&path))?;
        let mut o = Builder::wrap(file);
        o.set_comment(comment);
        for yara in list(at(entry, "yara")) {
            let text = format!(
                "Yara match\n(name) {}\n(description) {}",
                text_or_empty(at(yara, "name")),
                text_or_empty(at(at(yara, "meta"), "description")),
            );
            o.add_typed("text", "text", &Value::String(text), |attribute| {
                attribute.comment = Some("Yara match".to_owned());
            });
        }
        Ok(o)
    }

    fn dropped_files(&mut self) -> Result<(), ModuleError> {
        for dropped in list(self.section("dropped")) {
            let original_path = text_or_empty(at(dropped, "filepath"));
            let mut filename = restored_name(
                &text_or_empty(at(dropped, "name")),
                &original_path,
                &text_or_empty(at(dropped, "sha256")),
            );
            if filename.is_empty() {
                filename = "NO NAME FOUND IN THE REPORT".to_owned();
            }
            let mut o = self.dropped_object(dropped, &filename, "Dropped file")?;
            o.add_typed(
                "fullpath",
                "text",
                &Value::String(original_path),
                |attribute| attribute.category = "Artifacts dropped".to_owned(),
            );
            let mut object = Object::from_builder(o);
            recategorise(&mut object.object, "Artifacts dropped");
            for pid in list(at(dropped, "pids")) {
                if let Some(index) = self.process_index(pid) {
                    let process = self.objects[index].uuid().to_owned();
                    object.refer(&process, "dropped-by");
                }
            }
            self.objects.push(object);
        }
        Ok(())
    }

    fn dropped_buffers(&mut self) -> Result<(), ModuleError> {
        for (index, buffer) in list(self.section("buffer")).iter().enumerate() {
            let o = self.dropped_object(buffer, &format!("buffer {index}"), "Dropped buffer")?;
            let mut object = Object::from_builder(o);
            recategorise(&mut object.object, "Artifacts dropped");
            self.objects.push(object);
        }
        Ok(())
    }
}

/// Report text, or "" for a missing value.
fn text_or_empty(value: &Value) -> String {
    if value.is_null() {
        String::new()
    } else {
        py_str(value)
    }
}

fn base64_of(data: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn recategorise(object: &mut app::MispObject, category: &str) {
    for attribute in &mut object.attributes {
        if FILE_TYPES.contains(&attribute.attribute_type.as_str()) {
            attribute.category = category.to_owned();
        }
    }
}

/// Cuckoo names a dropped file `<first 8 hex digits of its sha256>_<lower-case name>`;
/// when that matches the path it was dropped to, the name gets its original case back.
fn restored_name(name: &str, original_path: &str, sha256: &str) -> String {
    if original_path.is_empty() || sha256.is_empty() {
        return name.to_owned();
    }
    let mut parts = name.split('_');
    let (Some(prefix), Some(lower_name)) = (parts.next(), parts.next()) else {
        return name.to_owned();
    };
    let lower_path = original_path.to_lowercase();
    if sha256.starts_with(prefix)
        && lower_path.ends_with(lower_name)
        && !lower_path.contains(name)
        && let Some(position) = lower_path.rfind(lower_name)
        && let Some(original) = original_path.get(position..)
    {
        return original.to_owned();
    }
    name.to_owned()
}

/// One process and, depth first after it, its children, each child referring to it.
fn process_tree(process: &Value, accumulated: &mut Vec<Builder>) -> Result<(), ModuleError> {
    let own = accumulated.len();
    let mut o = Builder::new("process")?;
    o.add("pid", at(process, "pid"))?;
    o.add("command-line", at(process, "command_line"))?;
    o.add("name", at(process, "process_name"))?;
    o.add("parent-pid", at(process, "ppid"))?;
    accumulated.push(o);
    for child in list(at(process, "children")) {
        accumulated[own].add("child-pid", at(child, "pid"))?;
        let child_index = accumulated.len();
        process_tree(child, accumulated)?;
        let parent = accumulated[own].uuid().to_owned();
        accumulated[child_index]
            .builder
            .reference(&parent, "child-of");
    }
    Ok(())
}

/// The text a signature mark adds to the signature's description, if its kind has one.
fn mark_text(mark: &Value) -> Option<String> {
    let map = mark.as_object()?;
    match map.get("type").and_then(Value::as_str)? {
        "generic" => Some(pairs(map.iter().filter(|(k, _)| k.as_str() != "type"))),
        "ioc" => Some(py_str(map.get("ioc").unwrap_or(&NULL))),
        "call" => {
            let call = at(mark, "call");
            // A missing dictionary prints as Python's `{}`, a present one as pairs.
            let details = |key: &str| match call.get(key) {
                None => "{}".to_owned(),
                Some(value) => py_str(value),
            };
            Some(format!(
                "Call API '{}' {} {}",
                py_str(at(call, "api")),
                details("arguments"),
                details("flags")
            ))
        }
        _ => None,
    }
}

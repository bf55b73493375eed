//! The artifacts of an analysis (domains, files, processes, ...), how two sightings of the
//! same one are told apart and merged, and what each becomes: a MISP object, or plain
//! attributes when objects are turned off.

use std::sync::LazyLock;

use app::{MispObject, MispTag};
use regex::Regex;
use serde_json::{Value, json};

use crate::builtin::import::report::{EventBuilder, python_str, python_strip, truthy};
use crate::engine::ModuleError;
use crate::misp::ObjectBuilder;

/// Artifacts are few per report and short-lived; the file variant's size is no cost.
#[allow(clippy::large_enum_variant)]
#[derive(Clone)]
pub enum Kind {
    Domain {
        domain: Value,
        sources: Vec<Value>,
        ips: Vec<Value>,
    },
    Email {
        sender: Value,
        subject: Value,
        recipients: Vec<Value>,
    },
    File {
        filenames: Vec<Value>,
        operations: Vec<Value>,
        md5: Value,
        sha1: Value,
        sha256: Value,
        ssdeep: Value,
        imphash: Value,
        size: Value,
        mimetype: Value,
    },
    Ip {
        ip: Value,
        sources: Vec<Value>,
    },
    Mutex {
        name: Value,
        operations: Vec<Value>,
    },
    Process {
        filename: Value,
        pid: Value,
        parent_pid: Value,
        cmd_line: Value,
        operations: Vec<Value>,
    },
    Registry {
        key: Value,
        operations: Vec<Value>,
    },
    Url {
        url: Value,
        operations: Vec<Value>,
        domain: Value,
        ips: Vec<Value>,
    },
}

#[derive(Clone)]
pub struct Artifact {
    pub kind: Kind,
    pub is_ioc: bool,
    pub verdict: Option<String>,
    pub classifications: Vec<Value>,
}

/// An attribute of the flat (object-less) answer.
#[derive(PartialEq)]
pub struct Flat {
    pub attribute_type: &'static str,
    pub value: Value,
    pub category: Option<&'static str>,
    pub comment: Option<String>,
    pub to_ids: bool,
}

impl Flat {
    pub fn new(attribute_type: &'static str, value: Value, comment: Option<String>) -> Self {
        Self {
            attribute_type,
            value,
            category: None,
            comment,
            to_ids: false,
        }
    }
}

/// Adds each item of `items` to `target` unless it is there already.
fn union(target: &mut Vec<Value>, items: &[Value]) {
    for item in items {
        if !target.contains(item) {
            target.push(item.clone());
        }
    }
}

fn unique(items: &mut Vec<Value>) {
    let mut seen = Vec::with_capacity(items.len());
    union(&mut seen, items);
    *items = seen;
}

fn joined(items: &[Value]) -> String {
    items.iter().map(python_str).collect::<Vec<_>>().join(", ")
}

fn classifications_text(items: &[Value]) -> Option<String> {
    (!items.is_empty()).then(|| format!("Classifications: {}", joined(items)))
}

fn operations_text(items: &[Value]) -> Option<String> {
    (!items.is_empty()).then(|| format!("Operations: {}", joined(items)))
}

static USER_PROFILES: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    [
        r"(?i).:.Users\\(.*?)\\",
        r"(?i).:.DOCUME~1.\\(.*?)\\",
        r"(?i).:.Documents and Settings\\(.*?)\\",
    ]
    .iter()
    .filter_map(|pattern| Regex::new(pattern).ok())
    .collect()
});

/// A Windows path written the way Python's `PureWindowsPath` prints it (backslashes, no
/// doubled separators or `.` parts), and its last part.
fn windows_path(text: &str) -> (String, String) {
    let unified = text.replace('/', "\\");
    let (drive, rest) = if let Some(unc) = unified.strip_prefix("\\\\") {
        // \\server\share is the drive of a UNC path.
        let mut parts = unc.splitn(3, '\\');
        match (parts.next(), parts.next()) {
            (Some(server), Some(share)) if !server.is_empty() && !share.is_empty() => {
                let rest = parts.next().map(|r| format!("\\{r}")).unwrap_or_default();
                (format!("\\\\{server}\\{share}"), rest)
            }
            _ => (String::new(), unified.clone()),
        }
    } else if unified.len() >= 2 && unified.as_bytes()[1] == b':' && unified.is_char_boundary(2) {
        (unified[..2].to_owned(), unified[2..].to_owned())
    } else {
        (String::new(), unified.clone())
    };
    let rooted = rest.starts_with('\\') || drive.starts_with("\\\\");
    let parts: Vec<&str> = rest
        .split('\\')
        .filter(|part| !part.is_empty() && *part != ".")
        .collect();
    let root = if rooted { "\\" } else { "" };
    let mut full = format!("{drive}{root}{}", parts.join("\\"));
    if full.is_empty() {
        full = ".".to_owned();
    }
    let name = if drive.starts_with("\\\\") && parts.is_empty() {
        String::new()
    } else {
        parts.last().map(|p| (*p).to_owned()).unwrap_or_default()
    };
    (full, name)
}

fn user_profile_path(path: &str) -> String {
    USER_PROFILES.iter().fold(path.to_owned(), |text, regex| {
        regex.replace_all(&text, r"%USERPROFILE%\").into_owned()
    })
}

impl Artifact {
    /// What makes two sightings the same artifact, as text for hashing.
    pub fn identity(&self) -> String {
        let key = match &self.kind {
            Kind::Domain { domain, .. } => json!(["domain", domain]),
            Kind::Email {
                sender, subject, ..
            } => json!(["email", sender, subject]),
            Kind::File { sha256, .. } => json!(["file", sha256]),
            Kind::Ip { ip, .. } => json!(["ip", ip]),
            Kind::Mutex { name, .. } => json!(["mutex", name]),
            Kind::Process {
                filename, cmd_line, ..
            } => json!(["process", filename, cmd_line]),
            Kind::Registry { key, .. } => json!(["registry", key]),
            Kind::Url { url, domain, .. } => json!(["url", url, domain]),
        };
        key.to_string()
    }

    /// Folds a later sighting into this one. The reference merges through sets, which
    /// also drops repeats already in the list; the order here is the order first seen.
    pub fn merge(&mut self, other: Artifact) {
        let mut classifications = true;
        match (&mut self.kind, other.kind) {
            (Kind::Domain { ips, .. }, Kind::Domain { ips: more, .. }) => merge(ips, &more),
            (
                Kind::Email { recipients, .. },
                Kind::Email {
                    recipients: more, ..
                },
            ) => merge(recipients, &more),
            (
                Kind::File {
                    filenames,
                    operations,
                    ..
                },
                Kind::File {
                    filenames: more_names,
                    operations: more_ops,
                    ..
                },
            ) => {
                merge(filenames, &more_names);
                merge(operations, &more_ops);
            }
            (Kind::Ip { sources, .. }, Kind::Ip { sources: more, .. }) => merge(sources, &more),
            (
                Kind::Mutex { operations, .. },
                Kind::Mutex {
                    operations: more, ..
                },
            )
            | (
                Kind::Process { operations, .. },
                Kind::Process {
                    operations: more, ..
                },
            ) => merge(operations, &more),
            (
                Kind::Registry { operations, .. },
                Kind::Registry {
                    operations: more, ..
                },
            ) => {
                merge(operations, &more);
                classifications = false;
            }
            (
                Kind::Url {
                    ips, operations, ..
                },
                Kind::Url {
                    ips: more_ips,
                    operations: more_ops,
                    ..
                },
            ) => {
                merge(ips, &more_ips);
                merge(operations, &more_ops);
                classifications = false;
            }
            _ => classifications = false,
        }
        if classifications {
            merge(&mut self.classifications, &other.classifications);
        }
    }

    fn tags(&self) -> Vec<MispTag> {
        let mut tags = Vec::new();
        if self.is_ioc {
            tags.push(MispTag {
                name: "vmray:artifact=\"IOC\"".to_owned(),
            });
        }
        if let Some(verdict) = &self.verdict {
            tags.push(MispTag {
                name: format!("vmray:verdict=\"{verdict}\""),
            });
        }
        tags
    }

    /// The artifact as a MISP object; `tag` adds the IOC and verdict tags to its main
    /// attribute.
    pub fn to_object(
        &self,
        event: &mut EventBuilder,
        tag: bool,
    ) -> Result<MispObject, ModuleError> {
        let mut adder = Adder {
            event,
            tags: tag.then(|| self.tags()),
        };
        let ioc = Some(self.is_ioc);
        let classifications = classifications_text(&self.classifications);
        let object = match &self.kind {
            Kind::Domain { domain, ips, .. } => {
                let mut object = ObjectBuilder::new("domain-ip")?;
                adder.main(
                    &mut object,
                    "domain",
                    "domain",
                    domain,
                    ioc,
                    None,
                    &classifications,
                );
                for ip in ips {
                    adder.add(&mut object, "ip", "ip-dst", ip, ioc, None, &None);
                }
                object
            }
            Kind::Email {
                sender,
                subject,
                recipients,
            } => {
                let mut object = ObjectBuilder::new("email")?;
                if truthy(sender) {
                    adder.main(
                        &mut object,
                        "from",
                        "email-src",
                        sender,
                        ioc,
                        None,
                        &classifications,
                    );
                }
                if truthy(subject) {
                    adder.add(
                        &mut object,
                        "subject",
                        "email-subject",
                        subject,
                        Some(false),
                        None,
                        &None,
                    );
                }
                for recipient in recipients {
                    adder.add(
                        &mut object,
                        "to",
                        "email-dst",
                        recipient,
                        Some(false),
                        None,
                        &None,
                    );
                }
                object
            }
            Kind::File {
                filenames,
                operations,
                md5,
                sha1,
                sha256,
                ssdeep,
                size,
                mimetype,
                ..
            } => {
                let mut object = ObjectBuilder::new("file")?;
                if truthy(size) {
                    adder.add(
                        &mut object,
                        "size-in-bytes",
                        "size-in-bytes",
                        size,
                        None,
                        None,
                        &None,
                    );
                }
                for (relation, value) in [
                    ("md5", md5),
                    ("sha1", sha1),
                    ("sha256", sha256),
                    ("ssdeep", ssdeep),
                ] {
                    if truthy(value) {
                        adder.main(
                            &mut object,
                            relation,
                            relation,
                            value,
                            ioc,
                            None,
                            &classifications,
                        );
                    }
                }
                if truthy(mimetype) {
                    adder.add(
                        &mut object,
                        "mimetype",
                        "mime-type",
                        mimetype,
                        Some(false),
                        None,
                        &None,
                    );
                }
                let operations = operations_text(operations);
                for filename in filenames {
                    let (full, name) = windows_path(&python_str(filename));
                    adder.add(
                        &mut object,
                        "filename",
                        "filename",
                        &Value::String(name),
                        None,
                        None,
                        &operations,
                    );
                    let full = Value::String(user_profile_path(&full));
                    adder.add(&mut object, "fullpath", "text", &full, None, None, &None);
                }
                object
            }
            Kind::Ip { ip, .. } => {
                let mut object = ObjectBuilder::new("ip-port")?;
                adder.main(&mut object, "ip", "ip-dst", ip, ioc, None, &classifications);
                object
            }
            Kind::Mutex { name, operations } => {
                let mut object = ObjectBuilder::new("mutex")?;
                let external = Some("External analysis");
                adder.main(
                    &mut object,
                    "name",
                    "text",
                    name,
                    Some(false),
                    external,
                    &classifications,
                );
                if let Some(text) = operations_text(operations) {
                    adder.add(
                        &mut object,
                        "description",
                        "text",
                        &Value::String(text),
                        Some(false),
                        None,
                        &None,
                    );
                }
                object
            }
            Kind::Process {
                filename,
                pid,
                parent_pid,
                cmd_line,
                ..
            } => {
                let mut object = ObjectBuilder::new("process")?;
                let external = Some("External analysis");
                if truthy(pid) {
                    adder.add(&mut object, "pid", "text", pid, None, external, &None);
                }
                if truthy(parent_pid) {
                    adder.add(
                        &mut object,
                        "parent-pid",
                        "text",
                        parent_pid,
                        None,
                        external,
                        &None,
                    );
                }
                adder.main(
                    &mut object,
                    "name",
                    "text",
                    filename,
                    None,
                    external,
                    &classifications,
                );
                adder.main(
                    &mut object,
                    "command-line",
                    "text",
                    cmd_line,
                    None,
                    None,
                    &None,
                );
                object
            }
            Kind::Registry { key, operations } => {
                let mut object = ObjectBuilder::new("registry-key")?;
                adder.main(
                    &mut object,
                    "key",
                    "regkey",
                    key,
                    ioc,
                    None,
                    &operations_text(operations),
                );
                object
            }
            Kind::Url {
                url,
                operations,
                domain,
                ips,
            } => {
                let mut object = ObjectBuilder::new("url")?;
                let external = Some("External analysis");
                let no = Some(false);
                adder.main(
                    &mut object,
                    "url",
                    "url",
                    url,
                    no,
                    external,
                    &operations_text(operations),
                );
                if truthy(domain) {
                    adder.add(&mut object, "domain", "domain", domain, no, external, &None);
                }
                for ip in ips {
                    adder.add(&mut object, "ip", "ip-dst", ip, no, external, &None);
                }
                object
            }
        };
        Ok(object.build())
    }

    /// The artifact as plain attributes, for the object-less answer.
    pub fn to_attributes(&self) -> Vec<Flat> {
        match &self.kind {
            Kind::Domain {
                domain, sources, ..
            } => {
                let comment = (!sources.is_empty()).then(|| joined(sources));
                vec![Flat::new("domain", domain.clone(), comment)]
            }
            Kind::Email {
                sender,
                subject,
                recipients,
            } => {
                let mut out = Vec::new();
                if truthy(sender) {
                    let comment = classifications_text(&self.classifications);
                    out.push(Flat::new("email-src", sender.clone(), comment));
                }
                if truthy(subject) {
                    out.push(Flat::new("email-subject", subject.clone(), None));
                }
                for recipient in recipients {
                    out.push(Flat::new("email-dst", recipient.clone(), None));
                }
                out
            }
            Kind::File {
                filenames,
                operations,
                md5,
                sha1,
                sha256,
                ssdeep,
                imphash,
                ..
            } => {
                let comment = format!("File operations: {}", joined(operations));
                let mut out: Vec<Flat> = filenames
                    .iter()
                    .map(|name| Flat::new("filename", name.clone(), Some(comment.clone())))
                    .collect();
                let hashes = [
                    ("filename|md5", md5),
                    ("filename|sha1", sha1),
                    ("filename|sha256", sha256),
                    ("filename|ssdeep", ssdeep),
                    ("filename|imphash", imphash),
                ];
                for (attribute_type, value) in hashes {
                    if value.is_null() {
                        continue;
                    }
                    for name in filenames {
                        let text = format!("{}|{}", python_str(name), python_str(value));
                        out.push(Flat {
                            attribute_type,
                            value: Value::String(text),
                            category: Some("Payload delivery"),
                            comment: None,
                            to_ids: true,
                        });
                    }
                }
                out
            }
            Kind::Ip { ip, sources } => {
                let comment = format!("Found in: {}", joined(sources));
                vec![Flat::new("ip-dst", ip.clone(), Some(comment))]
            }
            Kind::Mutex { name, operations } => {
                let comment = format!("Operations: {}", joined(operations));
                vec![Flat::new("mutex", name.clone(), Some(comment))]
            }
            Kind::Process { filename, pid, .. } => {
                let text = format!(
                    "Process created: {}\nPID: {}",
                    python_str(filename),
                    python_str(pid)
                );
                let comment = classifications_text(&self.classifications);
                vec![Flat::new("text", Value::String(text), comment)]
            }
            Kind::Registry { key, operations } => {
                let comment = format!("Operations: {}", joined(operations));
                vec![Flat::new("regkey", key.clone(), Some(comment))]
            }
            Kind::Url {
                url, operations, ..
            } => {
                let comment = format!("Operations: {}", joined(operations));
                vec![Flat::new("url", url.clone(), Some(comment))]
            }
        }
    }
}

fn merge(target: &mut Vec<Value>, more: &[Value]) {
    unique(target);
    union(target, more);
}

/// Adds attributes the way pymisp's `add_attribute` with keywords does: explicit
/// `to_ids`, category and comment win over the template.
struct Adder<'a> {
    event: &'a mut EventBuilder,
    /// The artifact's tags, when tagging is on.
    tags: Option<Vec<MispTag>>,
}

impl Adder<'_> {
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        object: &mut ObjectBuilder,
        relation: &str,
        attribute_type: &str,
        value: &Value,
        to_ids: Option<bool>,
        category: Option<&str>,
        comment: &Option<String>,
    ) -> bool {
        if !self
            .event
            .add_value(object, relation, attribute_type, value)
        {
            return false;
        }
        if let Some(attribute) = object.last_attribute_mut() {
            if let Some(to_ids) = to_ids {
                attribute.to_ids = to_ids;
            }
            if let Some(category) = category {
                attribute.category = category.to_owned();
            }
            // pymisp strips every text field when serialising.
            attribute.comment = comment.as_deref().map(|c| python_strip(c).to_owned());
        }
        true
    }

    /// The attribute that carries the artifact's tags.
    #[allow(clippy::too_many_arguments)]
    fn main(
        &mut self,
        object: &mut ObjectBuilder,
        relation: &str,
        attribute_type: &str,
        value: &Value,
        to_ids: Option<bool>,
        category: Option<&str>,
        comment: &Option<String>,
    ) {
        if self.add(
            object,
            relation,
            attribute_type,
            value,
            to_ids,
            category,
            comment,
        ) && let Some(tags) = &self.tags
            && let Some(attribute) = object.last_attribute_mut()
        {
            attribute.tags = tags.clone();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_paths_print_like_python() {
        let cases = [
            (r"C:\Users\a\x.exe", r"C:\Users\a\x.exe", "x.exe"),
            ("c:/docs/./b//c.txt", r"c:\docs\b\c.txt", "c.txt"),
            (r"\\srv\share\dir\f.dll", r"\\srv\share\dir\f.dll", "f.dll"),
            (r"\\srv\share", r"\\srv\share\", ""),
            ("name.exe", "name.exe", "name.exe"),
            (r"C:\", r"C:\", ""),
            ("C:", "C:", ""),
            ("", ".", ""),
            (r"dir\", "dir", "dir"),
        ];
        for (input, full, name) in cases {
            assert_eq!(
                windows_path(input),
                (full.to_owned(), name.to_owned()),
                "{input}"
            );
        }
    }

    #[test]
    fn user_profiles_are_generalised() {
        assert_eq!(
            user_profile_path(r"C:\Users\jdoe\AppData\x.exe"),
            r"%USERPROFILE%\AppData\x.exe"
        );
        assert_eq!(
            user_profile_path(r"c:\documents and settings\admin\start menu\x.lnk"),
            r"%USERPROFILE%\start menu\x.lnk"
        );
        assert_eq!(user_profile_path(r"D:\data\x"), r"D:\data\x");
    }
}

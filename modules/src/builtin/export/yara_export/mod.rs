//! `yara_export`: a YARA file for the events. Each event's yara attributes are copied with
//! their rules renamed after the event (and kept only if they parse); its other IDS-flagged
//! indicators become the strings of one generated rule per event.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::envelope::python_str;
use super::export_answer;
use crate::builtin::yara_check::check_yara;
use crate::engine::{ExportEvent, Module, ModuleError, QueryRequest, descriptor};

mod private_rules;
mod self_references;

pub struct YaraExport(ModuleDescriptor);

impl YaraExport {
    pub fn new() -> Self {
        Self(descriptor(
            "yara_export",
            ModuleType::Export,
            json!({
                "responseType": "text/plain",
                "userConfig": {},
                "outputFileExtension": "yara",
                "inputSource": ["event"]
            }),
            json!({
                "version": "0.1",
                "author": "misp-modules-stack",
                "description": "Builds a YARA file from the events: their yara attributes with rules renamed per event, plus one rule per event whose strings are the IDS-flagged network, e-mail, file-name and pattern indicators.",
                "module-type": ["export"],
                "name": "YARA Rule Export",
                "config": [],
                "input": "Events in either layout, attributes inside objects included.",
                "output": "A .yara file."
            }),
        ))
    }
}

/// Types whose value becomes a string of the generated rule.
const STRING_TYPES: &[&str] = &[
    "hostname",
    "domain",
    "ip",
    "ip-src",
    "ip-dst",
    "url",
    "email",
    "email-src",
    "email-dst",
    "email-subject",
    "email-attachment",
    "email-header",
    "email-reply-to",
    "email-x-mailer",
    "email-mime-boundary",
    "email-thread-index",
    "email-message-id",
    "filename",
    "pattern-in-file",
    "pattern-in-traffic",
    "pattern-in-memory",
];

/// `a|b` types whose parts are exported when the part's type is a string type.
const COMBINED_TYPES: &[&str] = &[
    "hostname|port",
    "domain|ip",
    "ip-dst|port",
    "ip-src|port",
    "filename|md5",
    "filename|sha1",
    "filename|sha256",
    "filename|authentihash",
    "filename|vhash",
    "filename|ssdeep",
    "filename|imphash",
    "filename|impfuzzy",
    "filename|pehash",
    "filename|sha224",
    "filename|sha384",
    "filename|sha512",
    "filename|sha512/224",
    "filename|sha512/256",
    "filename|sha3-224",
    "filename|sha3-256",
    "filename|sha3-384",
    "filename|sha3-512",
    "filename|tlsh",
];

/// `text` with everything but ASCII letters, digits and `_` replaced by `_`, so that it
/// can be part of a YARA identifier.
fn identifier_part(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect()
}

/// The body of a YARA text string. The reference writes values raw, so a quote or a
/// backslash (a Windows path) broke the whole generated rule.
fn yara_text(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c => out.push(c),
        }
    }
    out
}

/// Python truthiness of `to_ids`, missing meaning false.
fn flagged(attribute: &Map<String, Value>) -> bool {
    match attribute.get("to_ids") {
        Some(Value::Bool(flag)) => *flag,
        Some(Value::String(text)) => !text.is_empty(),
        Some(Value::Number(number)) => number.as_f64().is_some_and(|n| n != 0.0),
        _ => false,
    }
}

/// Meta values and strings of the generated rule by key, keys in first-seen order as
/// the reference's dicts keep them.
type Grouped = crate::grouped::Grouped<String, String>;

/// The rule generated for one event.
struct GeneratedRule {
    name: String,
    meta: Grouped,
    strings: Grouped,
}

impl GeneratedRule {
    fn add_string(&mut self, attribute_type: &str, value: &str) {
        if !value.is_empty() {
            self.strings
                .add(identifier_part(attribute_type), value.to_owned());
        }
    }

    fn render(&self) -> String {
        if self.strings.is_empty() {
            // Nothing to match on: the reference writes an empty line instead of a rule.
            return "\n".to_owned();
        }
        let mut lines = vec![format!("rule {} {{", self.name), "    meta:".to_owned()];
        for (key, values) in self.meta.iter() {
            if let [only] = values {
                lines.push(format!("        {key} = \"{}\"", yara_text(only)));
            } else {
                for (index, value) in values.iter().enumerate() {
                    lines.push(format!("        {key}_{index} = \"{}\"", yara_text(value)));
                }
            }
        }
        lines.push("    strings:".to_owned());
        for (key, values) in self.strings.iter() {
            for (index, value) in values.iter().enumerate() {
                lines.push(format!("        ${key}_{index} = \"{}\"", yara_text(value)));
            }
        }
        lines.push("    condition:".to_owned());
        lines.push("        any of them".to_owned());
        lines.push("}".to_owned());
        lines.push(String::new());
        lines.join("\n")
    }
}

/// A yara attribute's rules renamed `MISP_e<event>_<name>` and cleaned of characters that
/// word processors put in; `None` when the result does not parse, when the event id cannot
/// be part of a rule name, or when one of its rules refers to another by the name the
/// renaming took away (YARA would refuse the file; the reference drops such an attribute
/// too).
fn rewrite_rule(source: &str, event_id: &str) -> Option<String> {
    if !private_rules::usable_event_id(event_id) {
        return None;
    }
    let old_names = self_references::renamed_rule_names(source);
    let prefix = format!("rule MISP_e{event_id}_");
    let mut value = source
        .split('\n')
        .map(|line| {
            let indented = line.trim_start_matches([' ', '\t']);
            match indented.strip_prefix("rule ") {
                Some(rest) => format!("{prefix}{rest}"),
                None => line.to_owned(),
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    for (from, to) in [
        ("\u{201d}", "\""),
        ("\u{201c}", "\""),
        ("\u{2033}", "\""),
        ("`", "'"),
        ("\r", ""),
        ("Rule ", "rule "),
    ] {
        value = value.replace(from, to);
    }
    let value = private_rules::rename_private_rules(&value, event_id);
    check_yara(&value).ok()?;
    (!self_references::refers_to_old_name(&value, &old_names)).then_some(value)
}

fn event_text(meta: &Map<String, Value>, key: &str) -> String {
    meta.get(key).map(python_str).unwrap_or_default()
}

fn export_event(event: &ExportEvent, envelope: &Map<String, Value>, output: &mut Vec<String>) {
    // A bare event (no `Event` key) holds its fields itself, as pymisp's `load` reads it.
    let meta = event.meta_or_bare();
    let info = event_text(meta, "info");
    let event_id = event_text(meta, "id");
    let organisation = envelope
        .get("Orgc")
        .or_else(|| meta.get("Orgc"))
        .and_then(|orgc| orgc.get("name"))
        .map(python_str)
        .unwrap_or_default();
    let mut rule = GeneratedRule {
        name: format!("MISP_e{event_id}_{}", identifier_part(&info)),
        meta: Grouped::default(),
        strings: Grouped::default(),
    };
    rule.meta.add("description".into(), info.clone());
    rule.meta
        .add("author".into(), format!("MISP - {organisation}"));
    rule.meta
        .add("misp_event_date".into(), event_text(meta, "date"));
    rule.meta.add("misp_event_id".into(), event_id.clone());
    rule.meta
        .add("misp_event_uuid".into(), event_text(meta, "uuid"));

    let object_attributes = event
        .objects()
        .into_iter()
        .flat_map(|object| object.get("Attribute").and_then(Value::as_array))
        .flatten()
        .filter_map(Value::as_object);
    for attribute in event.attributes().into_iter().chain(object_attributes) {
        let (Some(attribute_type), Some(value)) = (
            attribute.get("type").and_then(Value::as_str),
            attribute.get("value").map(python_str),
        ) else {
            continue;
        };
        match attribute_type {
            "yara" => {
                let owner = attribute
                    .get("event_id")
                    .map(python_str)
                    .unwrap_or_else(|| event_id.clone());
                if let Some(text) = rewrite_rule(&value, &owner) {
                    output.push(text);
                }
            }
            "link" => rule.meta.add("link".into(), value),
            _ if !flagged(attribute) => {}
            "malware-sample" => {
                let file_name = value.rsplit_once('|').map_or(value.as_str(), |(f, _)| f);
                rule.add_string("filename", file_name);
            }
            t if STRING_TYPES.contains(&t) => rule.add_string(t, &value),
            t if COMBINED_TYPES.contains(&t) => {
                let (Some((first_type, second_type)), Some((first, second))) =
                    (t.split_once('|'), value.rsplit_once('|'))
                else {
                    continue;
                };
                for (part_type, part) in [(first_type, first), (second_type, second)] {
                    if STRING_TYPES.contains(&part_type) {
                        rule.add_string(part_type, part);
                    }
                }
            }
            _ => {}
        }
    }
    output.push(rule.render());
}

#[async_trait]
impl Module for YaraExport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let events = request
            .export_events()
            .ok_or_else(|| ModuleError::internal("yara_export: data is not a list"))?;
        let envelopes = request
            .get("data")
            .and_then(Value::as_array)
            .map(|list| list.iter().map(|e| e.as_object()).collect::<Vec<_>>())
            .unwrap_or_default();
        let empty = Map::new();
        let mut output = Vec::new();
        for (event, envelope) in events.iter().zip(envelopes) {
            export_event(event, envelope.unwrap_or(&empty), &mut output);
        }
        Ok(export_answer(&output.join("\n")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::query;
    use base64::Engine as _;

    async fn file(body: Value) -> String {
        let answer = query(&YaraExport::new(), body).await.unwrap();
        assert_eq!(answer["response"], json!([]));
        let text = base64::engine::general_purpose::STANDARD
            .decode(answer["data"].as_str().unwrap())
            .unwrap();
        String::from_utf8(text).unwrap()
    }

    #[tokio::test]
    async fn renamed_rules_and_a_generated_rule_per_event() {
        let body: Value = serde_json::from_str(r##"{"data": [{"Event": {"id": "12", "info": "Phish wave: Q3 (test)", "date": "2024-01-15", "uuid": "11111111-2222-4333-8444-555555555555"},
 "Orgc": {"name": "ResearchOrg"},
 "Attribute": [
  {"type": "domain", "value": "evil.example.com", "to_ids": true, "event_id": "12"},
  {"type": "ip-dst", "value": "203.0.113.9", "to_ids": false, "event_id": "12"},
  {"type": "url", "value": "http://evil.example.com/x", "to_ids": true, "event_id": "12"},
  {"type": "domain", "value": "second.example.com", "to_ids": true, "event_id": "12"},
  {"type": "link", "value": "https://blog.example/a", "to_ids": false, "event_id": "12"},
  {"type": "link", "value": "https://blog.example/b", "to_ids": false, "event_id": "12"},
  {"type": "yara", "value": "private rule Helper { condition: true }\n  rule Main\n{\n  condition: Helper and filesize < 10\n}", "to_ids": false, "event_id": "12"},
  {"type": "yara", "value": "rule Broken { condition: ", "to_ids": false, "event_id": "12"},
  {"type": "email-src", "value": "phish@example.org", "to_ids": true, "event_id": "12"}
 ],
 "Object": [{"Attribute": [{"type": "pattern-in-file", "value": "MZ payload", "to_ids": true, "event_id": "12"}]}]
},
{"Event": {"id": "13", "info": "empty", "date": "2024-01-16", "uuid": "u2"}, "Orgc": {"name": "X"}, "Attribute": []}]}"##).unwrap();
        assert_eq!(
            file(body).await,
            r##"private rule MISP_e12_Helper { condition: true }
rule MISP_e12_Main
{
  condition: MISP_e12_Helper and filesize < 10
}
rule MISP_e12_Phish_wave__Q3__test_ {
    meta:
        description = "Phish wave: Q3 (test)"
        author = "MISP - ResearchOrg"
        misp_event_date = "2024-01-15"
        misp_event_id = "12"
        misp_event_uuid = "11111111-2222-4333-8444-555555555555"
        link_0 = "https://blog.example/a"
        link_1 = "https://blog.example/b"
    strings:
        $domain_0 = "evil.example.com"
        $domain_1 = "second.example.com"
        $url_0 = "http://evil.example.com/x"
        $email_src_0 = "phish@example.org"
        $pattern_in_file_0 = "MZ payload"
    condition:
        any of them
}


"##
        );
    }

    #[tokio::test]
    async fn combined_values_samples_and_escaping() {
        // The reference fails on any IDS-flagged composite attribute; their parts are
        // exported here instead.
        let body = json!({"data": [{"Event": {"id": 3, "info": "Café \"x\"", "date": "d", "uuid": "u",
        "Orgc": {"name": "Org"}, "Attribute": [
            {"type": "domain|ip", "value": "a.example|192.0.2.1", "to_ids": true},
            {"type": "filename|sha1", "value": "C:\\tmp\\a.exe|3395856ce81f2b7382dee72602f798b642f14140", "to_ids": true},
            {"type": "malware-sample", "value": "b.exe|44d88612fea8a8f36de82e1278abb02f", "to_ids": true},
            {"type": "hostname|port", "value": "c.example|443", "to_ids": false}
        ]}}]});
        let text = file(body).await;
        assert_eq!(
            text,
            "rule MISP_e3_Caf___x_ {\n    meta:\n        description = \"Café \\\"x\\\"\"\n        author = \"MISP - Org\"\n        misp_event_date = \"d\"\n        misp_event_id = \"3\"\n        misp_event_uuid = \"u\"\n    strings:\n        $domain_0 = \"a.example\"\n        $ip_0 = \"192.0.2.1\"\n        $filename_0 = \"C:\\\\tmp\\\\a.exe\"\n        $filename_1 = \"b.exe\"\n    condition:\n        any of them\n}\n"
        );
        assert_eq!(check_yara(&text), Ok(()));
    }

    #[test]
    fn rule_rewriting() {
        assert_eq!(
            rewrite_rule("Rule x { condition: true }\r\n\trule Y { strings: $a = \u{201c}q\u{201d} condition: $a }", "9").as_deref(),
            Some("rule x { condition: true }\nrule MISP_e9_Y { strings: $a = \"q\" condition: $a }")
        );
        assert_eq!(rewrite_rule("rule { ", "9"), None);
    }

    #[tokio::test]
    async fn private_rules_renamed_in_one_pass() {
        // /tmp/rv/ye.json: repeated `private rule a` with event_id "aa" grew 3x per copy
        // (14 copies took 32 s, 20 would exhaust memory). Duplicates fail YARA's check, so
        // the attribute is dropped, and quickly; 500 copies here.
        let value = "private rule a { condition: true }\n".repeat(500);
        let body = json!({"data": [{"Event": {"id": "1", "info": "x", "date": "d", "uuid": "u"},
            "Attribute": [{"type": "yara", "value": value, "event_id": "aa"}]}]});
        assert_eq!(file(body).await, "\n");
        // Only identifiers naming the private rule change: not the letter `a` inside
        // `private`, the strings or longer names (the reference's substring replace broke
        // such an attribute).
        assert_eq!(
            rewrite_rule(
                "private rule a { condition: true }\nrule b { strings: $a = \"a\" condition: $a and a }",
                "aa"
            )
            .as_deref(),
            Some(
                "private rule MISP_eaa_a { condition: true }\nrule MISP_eaa_b { strings: $a = \"a\" condition: $a and MISP_eaa_a }"
            )
        );
    }

    #[test]
    fn an_event_id_that_cannot_be_in_a_rule_name_drops_the_attribute() {
        // The reference's renamed rules then fail to compile and it drops them; checked
        // against it with "x y", "1-2" and "é" (kept: "abc", 7, None).
        let source = "rule r { condition: true }";
        for event_id in ["x y", "1-2", "é", "1 { condition: true }\nrule z"] {
            assert_eq!(rewrite_rule(source, event_id), None, "{event_id}");
        }
        assert_eq!(
            rewrite_rule(source, "abc").as_deref(),
            Some("rule MISP_eabc_r { condition: true }")
        );
    }

    #[tokio::test]
    async fn a_bare_event_is_exported() {
        // pymisp's `load` takes an event without the `Event` wrapper, as pdfexport and
        // goamlexport accept it (the reference's yara_export failed on it).
        let body = json!({"data": [{"id": "5", "info": "bare", "date": "d", "uuid": "u",
            "Orgc": {"name": "O"},
            "Attribute": [{"type": "domain", "value": "a.example", "to_ids": true}]}]});
        assert_eq!(
            file(body).await,
            "rule MISP_e5_bare {\n    meta:\n        description = \"bare\"\n        author = \"MISP - O\"\n        misp_event_date = \"d\"\n        misp_event_id = \"5\"\n        misp_event_uuid = \"u\"\n    strings:\n        $domain_0 = \"a.example\"\n    condition:\n        any of them\n}\n"
        );
    }

    #[test]
    fn many_string_types_are_grouped_in_linear_time() {
        // Grouped::add searched the keys linearly; 20 000 distinct keys stay fast now,
        // and the groups keep their first-seen order.
        let mut rule = GeneratedRule {
            name: "r".into(),
            meta: Grouped::default(),
            strings: Grouped::default(),
        };
        for i in 0..20_000 {
            rule.add_string(&format!("t{i}"), "v");
        }
        rule.add_string("t0", "w");
        let text = rule.render();
        assert!(text.contains(
            "    strings:\n        $t0_0 = \"v\"\n        $t0_1 = \"w\"\n        $t1_0 = \"v\"\n"
        ));
        assert!(
            text.ends_with("        $t19999_0 = \"v\"\n    condition:\n        any of them\n}\n")
        );
    }

    #[tokio::test]
    async fn an_attribute_whose_rules_refer_to_each_other_is_dropped() {
        // /tmp/diff/export yara_export_rule_referencing_renamed_rule: the reference's
        // answer is an empty file (one newline), the attribute dropped.
        let body = json!({"data": [{"Event": {"id": "553", "info": "x", "date": "d", "uuid": "u"},
            "Orgc": {"name": "Org"}, "Attribute": [
            {"type": "yara", "value": "rule A { condition: true }\nrule B { condition: A }", "to_ids": true, "event_id": "553"}
        ]}]});
        assert_eq!(file(body).await, "\n");
    }
}

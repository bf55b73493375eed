//! One message to its MISP objects: the email object first, then the objects of its
//! attachments (files, or dependent email objects for attached messages), then the url
//! objects of its body.

use std::sync::LazyLock;

use base64::Engine as _;
use mail_parser::{HeaderName, Message, MessageParser, MessagePart, MimeHeaders, PartType};
use regex::Regex;
use serde_json::{Value, json};

use super::Options;
use super::files::{may_unzip, password_candidates, unzip_or_file};
use super::headers::{Field, fields};
use super::links::{html_links, text_links, url_object};
use super::payload;
use super::received::findings;
use crate::builtin::import::binary_file::{FileObject, file_object};
use crate::engine::ModuleError;
use crate::misp::{ObjectBuilder, template};

/// Attached messages are parsed this many levels deep; deeper ones stay files.
pub const MAX_DEPTH: usize = 3;
/// A message with more MIME parts than this is refused.
pub const MAX_PARTS: usize = 1000;

const NOT_AN_EMAIL: &str = "The data is not an e-mail in .eml (RFC 5322) format: no header was found. Outlook .msg files are not supported.";

fn parser() -> MessageParser {
    MessageParser::new()
        .with_mime_headers()
        // Dates are read from the raw text (see `headers`).
        .header_raw(HeaderName::Date)
        .header_raw(HeaderName::ResentDate)
        .with_address_headers()
        .header_text(HeaderName::ContentId)
        .default_header_text()
}

/// Whether the data opens like a message: a header field (`Name: value`, the name printable
/// ASCII without spaces or colons) or an mbox `From ` line. PDFs, binaries and prose do not,
/// and would otherwise become an email object whose header is their first line.
fn starts_with_header(content: &[u8]) -> bool {
    if content.starts_with(b"From ") {
        return true;
    }
    let first_line = content.split(|b| *b == b'\n').next().unwrap_or_default();
    match first_line.iter().position(|b| *b == b':') {
        Some(colon) if colon > 0 => first_line[..colon].iter().all(|b| (33..=126).contains(b)),
        _ => false,
    }
}

/// The objects for the message in `bytes`; `depth` counts enclosing messages.
pub fn import(bytes: &[u8], options: Options, depth: usize) -> Result<Vec<Value>, ModuleError> {
    let (content, original): (&[u8], &[u8]) = match bytes.strip_prefix(b"\xef\xbb\xbf") {
        Some(rest) => (trim_ascii(rest), rest),
        None => (trim_ascii(bytes), bytes),
    };
    if content.starts_with(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1") || !starts_with_header(content) {
        return Err(ModuleError::reported(NOT_AN_EMAIL));
    }
    let message = parser()
        .parse(content)
        .filter(|m| !m.parts.is_empty() && !m.parts[0].headers.is_empty())
        .ok_or_else(|| ModuleError::reported(NOT_AN_EMAIL))?;
    if message.parts.len() > MAX_PARTS {
        return Err(ModuleError::reported(format!(
            "The e-mail has {} MIME parts, more than the limit of {MAX_PARTS}",
            message.parts.len()
        )));
    }
    Importer {
        message: &message,
        options,
        depth,
    }
    .run(original)
}

fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let is_space = |b: &u8| matches!(b, b' ' | b'\t' | b'\n' | b'\r' | 0x0b | 0x0c);
    let start = bytes
        .iter()
        .position(|b| !is_space(b))
        .unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_space(b))
        .map_or(start, |e| e + 1);
    &bytes[start..end]
}

struct Importer<'m, 'x> {
    message: &'m Message<'x>,
    options: Options,
    depth: usize,
}

/// `(maintype, subtype)`, lower-cased; text/plain when the part does not say.
fn content_type(part: &MessagePart<'_>) -> (String, String) {
    match part.content_type() {
        Some(ct) => (
            ct.ctype().to_ascii_lowercase(),
            ct.subtype().unwrap_or_default().to_ascii_lowercase(),
        ),
        None => ("text".to_owned(), "plain".to_owned()),
    }
}

fn is_attachment(part: &MessagePart<'_>) -> bool {
    part.content_disposition()
        .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"))
}

/// The text of a part of the message `raw`, decoded as Python decodes it where the two
/// differ.
fn text_of(part: &MessagePart<'_>, raw: &[u8]) -> String {
    if let Some(text) = payload::python_text(part, raw) {
        return text;
    }
    match &part.body {
        PartType::Text(text) | PartType::Html(text) => text.to_string(),
        PartType::Binary(bytes) | PartType::InlineBinary(bytes) => {
            String::from_utf8_lossy(bytes).into_owned()
        }
        _ => String::new(),
    }
}

/// What an attachment holds.
enum Content<'p, 'x> {
    Bytes(Vec<u8>),
    Message(&'p Message<'x>),
}

/// Adds a value the way pymisp does: stripped, and skipped when nothing is left.
fn add(
    builder: &mut ObjectBuilder,
    relation: &str,
    value: &str,
    comment: Option<String>,
) -> Result<(), ModuleError> {
    let value = value.trim().trim_matches('\0');
    if value.is_empty() {
        return Ok(());
    }
    builder.add(relation, value)?;
    if let Some(comment) = comment {
        builder.set_last_comment(comment);
    }
    Ok(())
}

impl<'m, 'x> Importer<'m, 'x> {
    fn part(&self, id: u32) -> Option<&'m MessagePart<'x>> {
        self.message.parts.get(id as usize)
    }

    fn children(&self, part: &MessagePart<'_>) -> Vec<&'m MessagePart<'x>> {
        match &part.body {
            PartType::Multipart(ids) => ids.iter().filter_map(|id| self.part(*id)).collect(),
            _ => Vec::new(),
        }
    }

    /// Python's `EmailMessage.get_body`: the first non-attachment text part of the best
    /// preferred subtype, following only the start part of a multipart/related.
    fn body(&self, preference: &[&str]) -> Option<&'m MessagePart<'x>> {
        let mut best: Option<(usize, &'m MessagePart<'x>)> = None;
        let root = self.part(0)?;
        self.find_body(root, preference, &mut best, 0);
        best.map(|(_, part)| part)
    }

    fn find_body(
        &self,
        part: &'m MessagePart<'x>,
        preference: &[&str],
        best: &mut Option<(usize, &'m MessagePart<'x>)>,
        level: usize,
    ) {
        if is_attachment(part) || best.is_some_and(|(p, _)| p == 0) || level > MAX_PARTS {
            return;
        }
        let (main, sub) = content_type(part);
        if main == "text" {
            if let Some(rank) = preference.iter().position(|p| *p == sub)
                && best.is_none_or(|(p, _)| rank < p)
            {
                *best = Some((rank, part));
            }
            return;
        }
        if main != "multipart" {
            return;
        }
        let children = self.children(part);
        if sub != "related" {
            for child in children {
                self.find_body(child, preference, best, level + 1);
            }
            return;
        }
        if let Some(start) = self.related_start(part, &children) {
            self.find_body(start, preference, best, level + 1);
        }
    }

    fn related_start(
        &self,
        part: &MessagePart<'_>,
        children: &[&'m MessagePart<'x>],
    ) -> Option<&'m MessagePart<'x>> {
        let start = part.content_type().and_then(|ct| ct.attribute("start"));
        start
            .and_then(|s| {
                children
                    .iter()
                    .find(|c| c.content_id().is_some_and(|id| id.trim() == s.trim()))
                    .copied()
            })
            .or_else(|| children.first().copied())
    }

    /// Python's `iter_attachments`, except that a nested multipart is searched too
    /// (the reference crashes on one).
    fn attachments(&self, part: &'m MessagePart<'x>, out: &mut Vec<&'m MessagePart<'x>>) {
        let (main, sub) = content_type(part);
        if main != "multipart" || sub == "alternative" {
            return;
        }
        let mut children = self.children(part);
        if sub == "related" {
            match self.related_start(part, &children) {
                Some(start) => children.retain(|c| !std::ptr::eq(*c, start)),
                None => children.clear(),
            }
        }
        let mut seen: Vec<String> = Vec::new();
        for child in children {
            let (main, sub) = content_type(child);
            let body_type = matches!(
                (main.as_str(), sub.as_str()),
                ("text", "plain")
                    | ("text", "html")
                    | ("multipart", "related")
                    | ("multipart", "alternative")
            );
            if body_type && !is_attachment(child) && !seen.contains(&sub) {
                seen.push(sub);
                continue;
            }
            if main == "multipart" && out.len() <= MAX_PARTS {
                self.attachments(child, out);
                continue;
            }
            out.push(child);
        }
    }

    fn raw(&self) -> &[u8] {
        self.message.raw_message.as_ref()
    }

    /// The text of a body part, decoded as Python decodes it where the two differ.
    fn text_of(&self, part: &MessagePart<'_>) -> String {
        text_of(part, self.raw())
    }

    fn content(&self, part: &'m MessagePart<'x>) -> Content<'m, 'x> {
        match &part.body {
            PartType::Message(message) => Content::Message(message),
            PartType::Text(_) | PartType::Html(_) => {
                Content::Bytes(self.text_of(part).into_bytes())
            }
            PartType::Binary(bytes) | PartType::InlineBinary(bytes) => Content::Bytes(
                payload::python_decoded(part, self.raw()).unwrap_or_else(|| bytes.to_vec()),
            ),
            PartType::Multipart(_) => Content::Bytes(Vec::new()),
        }
    }

    fn run(&self, original: &[u8]) -> Result<Vec<Value>, ModuleError> {
        let root = self
            .part(0)
            .ok_or_else(|| ModuleError::reported(NOT_AN_EMAIL))?;
        let raw = self.message.raw_message.as_ref();
        let headers = fields(root, raw);
        let mut email = ObjectBuilder::new("email")?;
        self.email_attributes(&mut email, &headers, original)?;

        let mut others: Vec<Value> = Vec::new();
        let mut attachments = Vec::new();
        self.attachments(root, &mut attachments);
        let passwords = (self.options.unzip && self.options.guess_passwords).then(|| {
            let mut texts = Vec::new();
            collect_texts(self.message, &mut texts, 0);
            let subject = headers
                .iter()
                .find(|f| f.name.eq_ignore_ascii_case("subject"))
                .map(|f| f.value.as_str());
            password_candidates(&texts, subject)
        });
        for part in attachments {
            let name = part
                .attachment_name()
                .map(str::to_owned)
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| "NameMissing.txt".to_owned());
            let files: Vec<FileObject> = match self.content(part) {
                Content::Message(nested) if self.depth < MAX_DEPTH => {
                    let nested_objects =
                        import(nested.raw_message(), self.options, self.depth + 1)?;
                    if let Some(uuid) = nested_objects.first().and_then(|o| o["uuid"].as_str()) {
                        email.reference_with_comment(uuid, "includes", Some("Attached email"));
                    }
                    others.extend(nested_objects);
                    continue;
                }
                Content::Message(nested) => vec![file_object(
                    &name,
                    nested.raw_message(),
                    Some(format!(
                        "Attached email not parsed: messages nest deeper than {MAX_DEPTH} levels"
                    )),
                )?],
                Content::Bytes(data) if self.options.unzip && may_unzip(&name) => {
                    unzip_or_file(&name, &data, passwords.as_deref())?
                }
                Content::Bytes(data) => vec![file_object(&name, &data, None)?],
            };
            for file in files {
                email.reference_with_comment(
                    &file.object.uuid,
                    "includes",
                    Some("Email attachment"),
                );
                others.extend(file.into_json_objects()?);
            }
        }

        if self.options.extract_urls
            && let Some(body) = self.body(&["html", "plain"])
        {
            let text = self.text_of(body);
            let links = if content_type(body).1 == "html" {
                html_links(&text)
            } else {
                text_links(&text)
            };
            for link in links {
                if let Some(object) = url_object(&link)? {
                    email.reference_with_comment(
                        &object.uuid,
                        "includes",
                        Some("URL in email body"),
                    );
                    others.push(to_json(&object)?);
                }
            }
        }

        let mut email_json = to_json(&email.build())?;
        if let Some(map) = email_json.as_object_mut() {
            // pymisp serialises these generator fields along with the object.
            map.insert("attach_original_email".to_owned(), json!(true));
            map.insert("raw_emails".to_owned(), json!({"msg": null, "eml": null}));
            map.insert("email".to_owned(), Value::Null);
        }
        let mut objects = vec![email_json];
        objects.extend(others);
        Ok(objects)
    }

    fn email_attributes(
        &self,
        email: &mut ObjectBuilder,
        headers: &[Field],
        original: &[u8],
    ) -> Result<(), ModuleError> {
        let mut eml = crate::misp::new_attribute("attachment", "Full email.eml");
        if !original.is_empty() {
            eml.extra.insert(
                "data".to_owned(),
                json!(base64::engine::general_purpose::STANDARD.encode(original)),
            );
        }
        email.add_attribute("eml", eml);
        for subtype in ["plain", "html"] {
            if let Some(body) = self.body(&[subtype]) {
                add(
                    email,
                    "email-body",
                    &self.text_of(body),
                    Some(format!("text/{subtype} body")),
                )?;
            }
        }
        let lines: Vec<String> = headers
            .iter()
            .map(|f| format!("{}: {}", f.name, f.value))
            .collect();
        if !lines.is_empty() {
            add(email, "header", &lines.join("\n"), None)?;
        }
        let first = |name: &str| headers.iter().find(|f| f.name.eq_ignore_ascii_case(name));
        if let Some(date) = first("date").and_then(|f| f.date) {
            add(email, "send-date", &date.iso(), None)?;
        }
        if let Some(to) = first("to") {
            add_addresses(email, "to", &to.addresses)?;
        }
        if let Some(delivered) = first("delivered-to") {
            add_addresses(
                email,
                "to",
                &[("".to_owned(), bare_address(&delivered.value))],
            )?;
        }
        if let Some(from) = first("from") {
            add_addresses(email, "from", &from.addresses)?;
        }
        if let Some(path) = first("return-path") {
            add(email, "return-path", &bare_address(&path.value), None)?;
        }
        for (header, relation) in [("reply-to", "reply-to"), ("bcc", "bcc"), ("cc", "cc")] {
            if let Some(field) = first(header) {
                add_addresses(email, relation, &field.addresses)?;
            }
        }
        if let Some(subject) = first("subject") {
            let mut value = subject.value.clone();
            if self.options.remove_subject_markers {
                let stripped = remove_subject_markers(&value);
                if !stripped.is_empty() {
                    value = stripped;
                }
            }
            add(email, "subject", &value, None)?;
        }
        for (header, relation) in [("message-id", "message-id"), ("user-agent", "user-agent")] {
            if let Some(field) = first(header) {
                add(email, relation, &field.value, None)?;
            }
        }
        let root = self.part(0);
        if let Some(boundary) = root
            .and_then(|p| p.content_type())
            .filter(|ct| ct.ctype().eq_ignore_ascii_case("multipart"))
            .and_then(|ct| ct.attribute("boundary"))
        {
            add(email, "mime-boundary", boundary, None)?;
        }
        for (header, relation) in [("x-mailer", "x-mailer"), ("thread-index", "thread-index")] {
            if let Some(field) = first(header) {
                add(email, relation, &field.value, None)?;
            }
        }
        let received: Vec<String> = headers
            .iter()
            .filter(|f| f.name.eq_ignore_ascii_case("received"))
            .map(|f| f.value.clone())
            .collect();
        for (relation, value, comment) in findings(&received) {
            add(email, relation, &value, Some(comment))?;
        }
        Ok(())
    }
}

fn to_json(object: &app::MispObject) -> Result<Value, ModuleError> {
    serde_json::to_value(object).map_err(|e| ModuleError::internal(format!("object: {e}")))
}

/// `email.utils.parseaddr` for the single-address headers MIME parsing leaves as text.
fn bare_address(text: &str) -> String {
    match (text.find('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close => text[open + 1..close].trim().to_owned(),
        _ => text.trim().to_owned(),
    }
}

/// Addresses first, then the display names the template has a relation for.
fn add_addresses(
    email: &mut ObjectBuilder,
    relation: &str,
    pairs: &[(String, String)],
) -> Result<(), ModuleError> {
    let mut names = Vec::new();
    for (name, address) in pairs {
        if address.is_empty() {
            continue;
        }
        let comment = (!name.is_empty()).then(|| format!("{name} <{address}>"));
        add(email, relation, address, comment.clone())?;
        if !name.is_empty() {
            names.push((name.clone(), comment));
        }
    }
    let display = format!("{relation}-display-name");
    let known = template("email").is_some_and(|t| t.attributes.contains_key(&display));
    if known {
        for (name, comment) in names {
            add(email, &display, &name, comment)?;
        }
    }
    Ok(())
}

/// Text of every text/plain and text/html part, nested messages included, for password
/// guessing.
fn collect_texts(message: &Message<'_>, out: &mut Vec<String>, depth: usize) {
    static TAG: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"(?s)<[^>]*>").unwrap_or_else(|_| unreachable!()));
    for part in &message.parts {
        match &part.body {
            PartType::Message(nested) if depth < MAX_DEPTH => collect_texts(nested, out, depth + 1),
            PartType::Text(_) | PartType::Html(_) | PartType::Binary(_) => {
                match content_type(part) {
                    (main, sub) if main == "text" && sub == "plain" => {
                        out.push(text_of(part, message.raw_message.as_ref()))
                    }
                    (main, sub) if main == "text" && sub == "html" => out.extend(
                        TAG.split(&text_of(part, message.raw_message.as_ref()))
                            .filter(|t| !t.is_empty())
                            .map(super::links::unescape),
                    ),
                    _ => {}
                }
            }
            _ => {}
        }
    }
}

/// Drops leading `[tag]` groups followed by a reply/forward marker, repeatedly.
pub fn remove_subject_markers(subject: &str) -> String {
    static MARKER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"(?i)^\s*(?:\[[^\]]+\]\s*)*(?:re|fw|fwd|wg|aw|sv|tr|rv|vs)(?:\[\d+\])?\s*:\s*")
            .unwrap_or_else(|_| unreachable!())
    });
    let mut current = subject.to_owned();
    while let Some(found) = MARKER.find(&current) {
        current = current[found.end()..].to_owned();
    }
    current.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subject_markers() {
        assert_eq!(
            remove_subject_markers("RE: Fwd: [EXT] Your invoice"),
            "[EXT] Your invoice"
        );
        assert_eq!(remove_subject_markers("[EXT] AW[2]: sv: Hello "), "Hello");
        assert_eq!(remove_subject_markers("Regarding: x"), "Regarding: x");
    }
}

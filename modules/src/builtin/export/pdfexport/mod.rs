//! `pdfexport`: a printable PDF report of one event (metadata, tags, attributes, objects,
//! and on request a textual summary, galaxies and related events).
//!
//! The document is written with lopdf (already linked for PDF reading) in the standard
//! Helvetica fonts, so nothing is downloaded or read from disk: characters outside
//! WinAnsi are shown as `?`. The font options are accepted for compatibility only.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use base64::Engine as _;
use chrono::DateTime;
use pdf_extract::content::{Content, Operation};
use pdf_extract::{Dictionary, Document, Object, Stream, dictionary};
use serde_json::{Map, Value, json};

use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

mod category;
mod description;

const CONFIG: [&str; 7] = [
    "MISP_base_url_for_dynamic_link",
    "MISP_name_for_metadata",
    "Activate_textual_description",
    "Activate_galaxy_description",
    "Activate_related_events",
    "Activate_internationalization_fonts",
    "Custom_fonts_path",
];
const NO_VALUE: &str = "No value specified.";

pub struct PdfExport(ModuleDescriptor);

impl PdfExport {
    pub fn new() -> Self {
        Self(descriptor(
            "pdfexport",
            ModuleType::Export,
            json!({"responseType": "application/pdf", "outputFileExtension": "pdf"}),
            json!({
                "version": "2",
                "author": "misp-modules-stack",
                "description": "Writes a MISP event as a PDF report: general information, tags, every attribute and every object with its attributes.",
                "module-type": ["export"],
                "name": "Event to PDF Export",
                "require_standard_format": true,
                "config": CONFIG,
                "requirements": [],
                "features": "MISP_base_url_for_dynamic_link adds the event's address in MISP; MISP_name_for_metadata sets the PDF author. Present (non-null) Activate_textual_description, Activate_galaxy_description and Activate_related_events keys add a summary paragraph, the galaxies and the related events. The report uses the standard PDF Helvetica fonts: Activate_internationalization_fonts and Custom_fonts_path are accepted but no font is fetched or loaded.",
                "input": "A MISP event, in either the envelope or the nested layout.",
                "output": "A PDF document."
            }),
        ))
    }
}

/// Present and not null, which is how the reference tells an option is on.
fn enabled(config: Option<&Map<String, Value>>, key: &str) -> bool {
    config
        .and_then(|c| c.get(key))
        .is_some_and(|value| !value.is_null())
}

fn text(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "True" } else { "False" }.into()),
        _ => None,
    }
}

/// MISP timestamps arrive as epoch seconds, as a number or a string.
fn timestamp(value: Option<&Value>) -> Option<String> {
    let seconds = match value? {
        Value::Number(n) => n.as_i64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    DateTime::from_timestamp(seconds, 0).map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}

fn threat(value: Option<&Value>) -> String {
    match text(value).as_deref() {
        Some("0") => "undefined (0)",
        Some("1") => "High (1)",
        Some("2") => "Medium (2)",
        Some("3") => "Low (3)",
        _ => "No threat level specified.",
    }
    .into()
}

fn analysis(value: Option<&Value>) -> String {
    match text(value).as_deref() {
        Some("0") => "Initial (0)",
        Some("1") => "Ongoing (1)",
        Some("2") => "Completed (2)",
        _ => "No analysis status specified.",
    }
    .into()
}

/// Tag names joined; a tag without `colour` (which broke the reference) is still listed.
fn tags(value: Option<&Value>) -> Option<String> {
    let names: Vec<String> = value?
        .as_array()?
        .iter()
        .filter_map(|tag| text(tag.get("name")))
        .collect();
    (!names.is_empty()).then(|| names.join(", "))
}

fn list<'a>(holder: &'a Map<String, Value>, key: &str) -> Vec<&'a Map<String, Value>> {
    holder
        .get(key)
        .and_then(Value::as_array)
        .map(|items| items.iter().filter_map(Value::as_object).collect())
        .unwrap_or_default()
}

/// One line of the report, before wrapping.
enum Block {
    Title(String),
    Heading(String),
    Row(String, String),
    Paragraph(String),
    PageBreak,
}

struct Report<'a> {
    config: Option<&'a Map<String, Value>>,
    blocks: Vec<Block>,
}

impl Report<'_> {
    fn row(&mut self, label: &str, value: impl Into<String>) {
        self.blocks.push(Block::Row(label.into(), value.into()));
    }

    fn heading(&mut self, text: impl Into<String>) {
        self.blocks.push(Block::Heading(text.into()));
    }

    fn galaxies(&mut self, holder: &Map<String, Value>) {
        for galaxy in list(holder, "Galaxy") {
            let name = text(galaxy.get("name")).unwrap_or_else(|| NO_VALUE.into());
            self.row("Galaxy", name);
            if let Some(description) = text(galaxy.get("description")) {
                self.row("Description", description);
            }
            for cluster in list(galaxy, "GalaxyCluster") {
                let value = text(cluster.get("value")).unwrap_or_else(|| NO_VALUE.into());
                self.row("Cluster", value);
                if let Some(description) = text(cluster.get("description")) {
                    self.row("Description", description);
                }
            }
        }
    }

    fn attribute(&mut self, attribute: &Map<String, Value>) {
        if let Some(uuid) = text(attribute.get("uuid")) {
            self.row("UUID", uuid);
        }
        if let Some(category) = category::shown_category(attribute) {
            self.row("Category", category);
        }
        for (label, key) in [("Comment", "comment"), ("Type", "type"), ("Value", "value")] {
            if let Some(value) = text(attribute.get(key)) {
                self.row(label, value);
            }
        }
        if let Some(tags) = tags(attribute.get("Tag")) {
            self.row("Tags", tags);
        }
        let sightings = list(attribute, "Sighting").len();
        if sightings > 0 {
            self.row("Sighting", sightings.to_string());
        }
        if enabled(self.config, "Activate_galaxy_description") {
            self.galaxies(attribute);
        }
    }

    fn attributes(&mut self, attributes: &[&Map<String, Value>]) {
        if attributes.is_empty() {
            self.heading("No attributes");
        }
        for (index, attribute) in attributes.iter().enumerate() {
            self.heading(format!("Attribute #{}", index + 1));
            self.attribute(attribute);
        }
    }
}

fn build_blocks<'a>(
    event: &crate::engine::ExportEvent,
    config: Option<&'a Map<String, Value>>,
) -> Report<'a> {
    // A bare event (no {"Event": ...} wrapper) carries its metadata itself.
    let meta = event.meta_or_bare();
    let attributes = event.attributes();
    let objects = event.objects();
    let mut report = Report {
        config,
        blocks: Vec::new(),
    };
    let info = text(meta.get("info"));
    report.blocks.push(Block::Title(
        info.clone().unwrap_or_else(|| NO_VALUE.into()),
    ));
    let event_date = timestamp(meta.get("timestamp"));
    let org = meta.get("Orgc").and_then(|o| text(o.get("name")));
    if enabled(config, "Activate_textual_description") {
        report.heading("Description");
        let categorised: Vec<_> = attributes
            .iter()
            .map(|a| (*a, category::shown_category(a).unwrap_or_default()))
            .collect();
        let summary = description::summary(meta, &categorised, objects.len());
        report.blocks.push(Block::Paragraph(summary));
    }
    report.heading("General information");
    let uuid = text(meta.get("uuid"));
    report.row("UUID", uuid.clone().unwrap_or_else(|| NO_VALUE.into()));
    if let (Some(base), Some(uuid)) = (config_text(config, CONFIG[0]), &uuid) {
        report.row(
            "Link",
            format!("{}/events/view/{uuid}", base.trim_end_matches('/')),
        );
    }
    report.row(
        "Date",
        text(meta.get("date")).unwrap_or_else(|| NO_VALUE.into()),
    );
    report.row(
        "Owner org",
        text(meta.get("owner")).unwrap_or_else(|| NO_VALUE.into()),
    );
    report.row("Threat level", threat(meta.get("threat_level_id")));
    report.row("Analysis", analysis(meta.get("analysis")));
    report.row("Info", info.unwrap_or_else(|| NO_VALUE.into()));
    report.row(
        "Event date",
        event_date.unwrap_or_else(|| "No timestamp specified.".into()),
    );
    let published = match meta.get("published") {
        Some(Value::Bool(true)) => match timestamp(meta.get("publish_timestamp")) {
            Some(when) => format!("Yes ({when})"),
            None => "Yes (no date)".into(),
        },
        Some(Value::Bool(false)) => "No".into(),
        _ => NO_VALUE.into(),
    };
    report.row("Published", published);
    report.row("Creator Org", org.unwrap_or_else(|| NO_VALUE.into()));
    report.row(
        "# Attributes",
        if attributes.is_empty() {
            "0 - no attribute".into()
        } else {
            attributes.len().to_string()
        },
    );
    report.row(
        "Tags",
        tags(meta.get("Tag")).unwrap_or_else(|| NO_VALUE.into()),
    );
    let related_events = list(meta, "RelatedEvent");
    if enabled(config, "Activate_related_events") && !related_events.is_empty() {
        // On its own page, one short table per related event, as the reference lays it out.
        report.blocks.push(Block::PageBreak);
        report.heading("Related Events");
        for (index, related) in related_events.iter().enumerate() {
            let related = related
                .get("Event")
                .and_then(Value::as_object)
                .unwrap_or(related);
            report.heading(format!("Related Event #{}", index + 1));
            for (label, key) in [("UUID", "uuid"), ("Info", "info")] {
                report.row(
                    label,
                    text(related.get(key)).unwrap_or_else(|| NO_VALUE.into()),
                );
            }
            report.row(
                "Event date",
                timestamp(related.get("timestamp"))
                    .unwrap_or_else(|| "No timestamp specified.".into()),
            );
        }
    }
    if enabled(config, "Activate_galaxy_description") && !list(meta, "Galaxy").is_empty() {
        report.heading("Galaxies");
        report.galaxies(meta);
    }
    report.blocks.push(Block::PageBreak);
    report.heading("Attributes");
    report.attributes(&attributes);
    report.blocks.push(Block::PageBreak);
    report.heading("Objects");
    if objects.is_empty() {
        report.heading("No object");
    }
    for (index, object) in objects.iter().enumerate() {
        report.heading(format!("Object #{}", index + 1));
        for (label, key) in [
            ("UUID", "uuid"),
            ("Description", "description"),
            ("Meta Category", "meta-category"),
            ("Object Name", "name"),
            ("Comment", "comment"),
            ("Type", "type"),
        ] {
            if let Some(value) = text(object.get(key)) {
                report.row(label, value);
            }
        }
        report.row(
            "Object date",
            timestamp(object.get("timestamp")).unwrap_or_else(|| "No timestamp specified.".into()),
        );
        report.attributes(&list(object, "Attribute"));
    }
    report
}

fn config_text(config: Option<&Map<String, Value>>, key: &str) -> Option<String> {
    text(config?.get(key))
}

/// WinAnsi bytes for the standard fonts; what they cannot show becomes `?`.
fn win_ansi(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| match c as u32 {
            0x20..=0x7e | 0xa0..=0xff => c as u8,
            0x2013 => 0x96,
            0x2014 => 0x97,
            0x2018 => 0x91,
            0x2019 => 0x92,
            0x201c => 0x93,
            0x201d => 0x94,
            0x20ac => 0x80,
            0x09 => b' ',
            _ => b'?',
        })
        .collect()
}

/// Splits a text into lines of at most `width` characters, breaking at spaces when it can
/// and inside long tokens (hashes, URLs) when it must.
fn wrap(text: &str, width: usize) -> Vec<String> {
    let mut lines = Vec::new();
    for paragraph in text.split('\n') {
        let mut line = String::new();
        for word in paragraph.split(' ') {
            let mut word: Vec<char> = word.chars().collect();
            let used = line.chars().count();
            if used > 0 && used + 1 + word.len() > width {
                lines.push(std::mem::take(&mut line));
            }
            if !line.is_empty() {
                line.push(' ');
            }
            while line.chars().count() + word.len() > width {
                let room = width - line.chars().count();
                line.extend(word.drain(..room));
                lines.push(std::mem::take(&mut line));
            }
            line.extend(word);
        }
        lines.push(line);
    }
    lines
}

const PAGE_WIDTH: f32 = 595.0;
const PAGE_HEIGHT: f32 = 842.0;
const MARGIN: f32 = 50.0;
const LABEL_WIDTH: f32 = 110.0;

struct Pages {
    pages: Vec<Vec<Operation>>,
    y: f32,
}

impl Pages {
    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = PAGE_HEIGHT - MARGIN;
    }

    /// Starts a new page unless `lines` lines of `size` still fit on this one.
    fn keep_together(&mut self, lines: usize, size: f32) {
        if self.y - lines as f32 * (size + 3.0) < MARGIN + 20.0 {
            self.new_page();
        }
    }

    fn line(&mut self, font: &str, size: f32, x: f32, text: &str) {
        if self.y - size < MARGIN + 20.0 {
            self.new_page();
        }
        self.y -= size + 3.0;
        let page = self.pages.last_mut();
        if let Some(page) = page {
            page.extend([
                Operation::new("BT", vec![]),
                Operation::new("Tf", vec![font.into(), size.into()]),
                Operation::new("Td", vec![x.into(), self.y.into()]),
                Operation::new("Tj", vec![Object::string_literal(win_ansi(text))]),
                Operation::new("ET", vec![]),
            ]);
        }
    }
}

fn layout(blocks: &[Block]) -> Vec<Vec<Operation>> {
    let mut pages = Pages {
        pages: Vec::new(),
        y: 0.0,
    };
    pages.new_page();
    // Helvetica averages about half an em per character; these widths keep lines inside.
    let full = ((PAGE_WIDTH - 2.0 * MARGIN) / 5.6) as usize;
    let value_width = ((PAGE_WIDTH - 2.0 * MARGIN - LABEL_WIDTH) / 5.6) as usize;
    for block in blocks {
        match block {
            Block::Title(text) => {
                for line in wrap(text, full * 10 / 16) {
                    pages.line("F2", 16.0, MARGIN, &line);
                }
                pages.y -= 8.0;
            }
            Block::Heading(text) => {
                pages.y -= 6.0;
                for line in wrap(text, full * 10 / 12) {
                    pages.line("F2", 12.0, MARGIN, &line);
                }
            }
            Block::Row(label, value) => {
                // A wrapped value stays on one page, so a long hash or URL is not cut by
                // a page footer.
                let lines = wrap(value, value_width);
                pages.keep_together(lines.len(), 10.0);
                pages.line("F2", 10.0, MARGIN, label);
                pages.y += 13.0;
                for line in lines {
                    pages.line("F1", 10.0, MARGIN + LABEL_WIDTH, &line);
                }
            }
            Block::Paragraph(text) => {
                for line in wrap(text, full) {
                    pages.line("F1", 10.0, MARGIN, &line);
                }
            }
            Block::PageBreak => pages.new_page(),
        }
    }
    pages.pages
}

fn render(
    blocks: &[Block],
    title: Option<String>,
    author: Option<String>,
) -> Result<Vec<u8>, ModuleError> {
    let failed = |e: pdf_extract::Error| ModuleError::internal(format!("pdfexport: {e}"));
    let mut doc = Document::with_version("1.4");
    let pages_id = doc.new_object_id();
    let font = |name: &str| {
        dictionary! {
            "Type" => "Font",
            "Subtype" => "Type1",
            "BaseFont" => Object::Name(name.as_bytes().to_vec()),
            "Encoding" => "WinAnsiEncoding",
        }
    };
    let regular = doc.add_object(font("Helvetica"));
    let bold = doc.add_object(font("Helvetica-Bold"));
    let resources = doc.add_object(dictionary! {
        "Font" => dictionary! { "F1" => regular, "F2" => bold },
    });
    let contents = layout(blocks);
    let total = contents.len();
    let mut kids = Vec::new();
    for (number, mut operations) in contents.into_iter().enumerate() {
        let footer = format!("{} / {}", number + 1, total);
        operations.extend([
            Operation::new("BT", vec![]),
            Operation::new("Tf", vec!["F1".into(), 8.0.into()]),
            Operation::new("Td", vec![(PAGE_WIDTH - MARGIN - 30.0).into(), 30.0.into()]),
            Operation::new("Tj", vec![Object::string_literal(footer)]),
            Operation::new("ET", vec![]),
        ]);
        let content = Content { operations }.encode().map_err(failed)?;
        let stream = doc.add_object(Stream::new(Dictionary::new(), content));
        let page = doc.add_object(dictionary! {
            "Type" => "Page",
            "Parent" => pages_id,
            "Contents" => stream,
            "Resources" => resources,
            "MediaBox" => vec![0.into(), 0.into(), PAGE_WIDTH.into(), PAGE_HEIGHT.into()],
        });
        kids.push(Object::Reference(page));
    }
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! {
            "Type" => "Pages",
            "Count" => kids.len() as i64,
            "Kids" => kids,
        }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut info = Dictionary::new();
    info.set("Producer", Object::string_literal("misp-modules-stack"));
    if let Some(title) = title {
        info.set("Title", Object::string_literal(win_ansi(&title)));
    }
    if let Some(author) = author {
        info.set("Author", Object::string_literal(win_ansi(&author)));
        info.set("Creator", Object::string_literal(win_ansi(&author)));
    }
    let info = doc.add_object(info);
    doc.trailer.set("Info", info);
    doc.compress();
    let mut bytes = Vec::new();
    doc.save_to(&mut bytes)
        .map_err(|e| ModuleError::internal(format!("pdfexport: {e}")))?;
    Ok(bytes)
}

#[async_trait]
impl Module for PdfExport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        if request.get("data").is_none() {
            return Ok(Value::Bool(false));
        }
        let Some(events) = request.export_events() else {
            return Err(ModuleError::internal("pdfexport: data is not a list"));
        };
        // The reference answers for the first event only (and nothing for an empty list).
        let Some(event) = events.first() else {
            return Ok(Value::Null);
        };
        if !request
            .get("data")
            .and_then(|d| d.get(0))
            .is_some_and(Value::is_object)
        {
            return Err(ModuleError::internal("pdfexport: event is not an object"));
        }
        let config = request.config();
        let report = build_blocks(event, config);
        let title = text(event.meta_or_bare().get("info"));
        let author = config_text(config, "MISP_name_for_metadata");
        let pdf = render(&report.blocks, title, author)?;
        Ok(json!({
            "response": [],
            "data": base64::engine::general_purpose::STANDARD.encode(pdf),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::query;

    fn pdf_text(answer: &Value) -> String {
        let data = answer["data"].as_str().unwrap();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .unwrap();
        assert!(bytes.starts_with(b"%PDF-"));
        pdf_extract::extract_text_from_mem(&bytes).unwrap()
    }

    fn meta() -> Value {
        json!({"info": "Phishing wave against Café staff", "uuid": "5e2f8c2a-0000-4000-8000-000000000001",
               "date": "2024-03-01", "threat_level_id": "1", "analysis": "2", "timestamp": "1709294400",
               "published": false, "Orgc": {"name": "CIRCL"},
               "Tag": [{"name": "tlp:green", "colour": "#33FF00"}, {"name": "no-colour-tag"}],
               "Galaxy": [{"name": "Threat Actor", "GalaxyCluster": [{"value": "APT-TEST"}]}],
               "RelatedEvent": [{"Event": {"info": "Earlier wave", "uuid": "11111111-2222-4333-8444-555555555555"}}]})
    }

    fn attributes() -> Value {
        json!([{"uuid": "a1", "category": "Network activity", "type": "ip-dst", "value": "198.51.100.7",
                "comment": "C2", "Tag": [{"name": "kill-chain:c2", "colour": "#000000"}]}])
    }

    fn objects() -> Value {
        json!([{"name": "domain-ip", "meta-category": "network", "uuid": "o1", "timestamp": 1709294400,
                "Attribute": [{"type": "domain", "category": "Network activity", "value": "evil.example", "object_relation": "domain"}]}])
    }

    fn check(text: &str) {
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for needle in [
            "Phishing wave against Café staff",
            "General information",
            "High (1)",
            "Completed (2)",
            "2024-03-01 12:00:00",
            "CIRCL",
            "tlp:green, no-colour-tag",
            "Attribute #1",
            "198.51.100.7",
            "kill-chain:c2",
            "Object #1",
            "domain-ip",
            "evil.example",
        ] {
            assert!(flat.contains(needle), "{needle:?} missing from {flat}");
        }
    }

    #[tokio::test]
    async fn both_layouts_give_a_readable_report() {
        let module = PdfExport::new();
        let envelope =
            json!({"data": [{"Event": meta(), "Attribute": attributes(), "Object": objects()}]});
        check(&pdf_text(&query(&module, envelope).await.unwrap()));
        let mut nested = meta();
        nested["Attribute"] = attributes();
        nested["Object"] = objects();
        let answer = query(&module, json!({"data": [{"Event": nested}]}))
            .await
            .unwrap();
        assert_eq!(answer["response"], json!([]));
        let text = pdf_text(&answer);
        check(&text);
        // Options off: no summary, galaxies or related events.
        assert!(!text.contains("APT-TEST") && !text.contains("Earlier wave"));
        assert!(!text.contains("had been shared by"));
    }

    #[tokio::test]
    async fn options_add_summary_galaxies_related_events_and_link() {
        let config = json!({"MISP_base_url_for_dynamic_link": "https://misp.example/",
            "MISP_name_for_metadata": "CERT-X", "Activate_textual_description": "1",
            "Activate_galaxy_description": "1", "Activate_related_events": "1",
            "Activate_internationalization_fonts": "1", "Custom_fonts_path": "/etc/passwd"});
        let body =
            json!({"data": [{"Event": meta(), "Attribute": attributes()}], "config": config});
        let text = pdf_text(&query(&PdfExport::new(), body).await.unwrap());
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for needle in [
            "had been shared by an unknown organisation on the 2024-03-01.",
            "Related Events",
            "Related Event #1",
            "11111111-2222-4333-8444-555555555555",
            "No timestamp specified.",
            "The event is currently private, has 1 associated attributes and has 0 associated objects.",
            "For more information on the event, please consult following information.",
            "APT-TEST",
            "Earlier wave",
            "No object",
        ] {
            assert!(flat.contains(needle), "{needle:?} missing from {flat}");
        }
        // The long link wraps, so it is checked without the line breaks.
        let joined: String = text.split_whitespace().collect();
        assert!(
            joined
                .contains("https://misp.example/events/view/5e2f8c2a-0000-4000-8000-000000000001")
        );
    }

    #[tokio::test]
    async fn a_bare_event_keeps_its_metadata() {
        // The event without its {"Event": ...} wrapper, as pymisp's load accepts it.
        let mut bare = meta();
        bare["Attribute"] = attributes();
        bare["Object"] = objects();
        let answer = query(&PdfExport::new(), json!({"data": [bare]}))
            .await
            .unwrap();
        let text = pdf_text(&answer);
        check(&text);
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for needle in ["5e2f8c2a-0000-4000-8000-000000000001", "2024-03-01", "No"] {
            assert!(flat.contains(needle), "{needle:?} missing from {flat}");
        }
        // Only the owner org (the event has none) is left unspecified.
        assert_eq!(flat.matches("No value specified.").count(), 1, "{flat}");
    }

    #[tokio::test]
    async fn published_without_timestamp_and_invalid_categories() {
        let body = json!({"data": [{"Event": {"info": "x", "published": true, "Attribute": [
            {"type": "md5", "category": "Network activity", "value": "44d88612fea8a8f36de82e1278abb02f"},
            {"type": "mutex", "category": "Payload delivery", "value": "Global\\m"}
        ]}}]});
        let text = pdf_text(&query(&PdfExport::new(), body).await.unwrap());
        let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
        for needle in ["Yes (no date)", "Payload delivery", "Artifacts dropped"] {
            assert!(flat.contains(needle), "{needle:?} missing from {flat}");
        }
        assert!(!flat.contains("Network activity"), "{flat}");
    }

    #[tokio::test]
    async fn long_values_wrap_and_unknown_characters_degrade() {
        let long = "a".repeat(300);
        let body = json!({"data": [{"Event": {"info": "日本 report"}, "Attribute": [
            {"type": "text", "category": "Other", "value": long}]}]});
        let text = pdf_text(&query(&PdfExport::new(), body).await.unwrap());
        assert!(text.contains("?? report"));
        let joined: String = text.split_whitespace().collect();
        assert!(joined.contains(&"a".repeat(300)));
    }

    #[test]
    fn a_wrapped_value_is_not_split_across_pages() {
        let long = format!("c.bin|{}", "e3b0c442".repeat(12));
        let wrapped = wrap(
            &long,
            ((PAGE_WIDTH - 2.0 * MARGIN - LABEL_WIDTH) / 5.6) as usize,
        );
        assert!(wrapped.len() > 1);
        // Whatever the rows before it, the value's lines land on one page.
        for rows_before in 40..70 {
            let mut blocks: Vec<Block> = (0..rows_before)
                .map(|i| Block::Row("Row".into(), format!("value {i}")))
                .collect();
            blocks.push(Block::Row("Value".into(), long.clone()));
            let pages = layout(&blocks);
            let page_of = |needle: &str| {
                pages.iter().position(|page| {
                    page.iter().any(|op| {
                        op.operands
                            .iter()
                            .any(|o| o.as_str().is_ok_and(|t| t == needle.as_bytes()))
                    })
                })
            };
            let first = page_of(&wrapped[0]).unwrap();
            assert_eq!(
                page_of(wrapped.last().unwrap()),
                Some(first),
                "{rows_before}"
            );
        }
    }

    #[tokio::test]
    async fn reference_edge_answers() {
        let module = PdfExport::new();
        assert_eq!(query(&module, json!({})).await.unwrap(), json!(false));
        assert_eq!(
            query(&module, json!({"data": []})).await.unwrap(),
            Value::Null
        );
        assert!(matches!(
            query(&module, json!({"data": "x"})).await,
            Err(ModuleError::Internal(_))
        ));
        assert!(matches!(
            query(&module, json!({"data": [3]})).await,
            Err(ModuleError::Internal(_))
        ));
    }
}

//! Markdown for a module's answer: written from the parsed answer with every value
//! escaped, then parsed into blocks the UI renders as text (never as HTML).

use app::web::{AttributeView, Inline, MarkdownBlock, ObjectView};
use pulldown_cmark::{Event, Options, Parser, Tag, TagEnd};

pub fn results_markdown(
    objects: &[ObjectView],
    attributes: &[AttributeView],
    other: Option<&str>,
) -> String {
    let mut out = String::new();
    for object in objects {
        out.push_str(&format!("### Object: {}", escape(&object.name)));
        if let Some(category) = &object.meta_category {
            out.push_str(&format!(" ({})", escape(category)));
        }
        out.push_str("\n\n| Relation | Type | Category | Value |\n|---|---|---|---|\n");
        for a in &object.attributes {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                escape(a.object_relation.as_deref().unwrap_or("")),
                escape(&a.attribute_type),
                escape(a.category.as_deref().unwrap_or("")),
                escape(&a.value)
            ));
        }
        out.push('\n');
        for r in &object.references {
            let target = r.referenced_name.as_deref().unwrap_or(&r.referenced_uuid);
            out.push_str(&format!(
                "- {} → {}\n",
                escape(&r.relationship_type),
                escape(target)
            ));
        }
        if !object.references.is_empty() {
            out.push('\n');
        }
    }
    if !attributes.is_empty() {
        out.push_str(
            "### Attributes\n\n| Type | Category | Value | Comment |\n|---|---|---|---|\n",
        );
        for a in attributes {
            out.push_str(&format!(
                "| {} | {} | {} | {} |\n",
                escape(&a.attribute_type),
                escape(a.category.as_deref().unwrap_or("")),
                escape(&a.value),
                escape(a.comment.as_deref().unwrap_or(""))
            ));
        }
        out.push('\n');
    }
    if let Some(text) = other {
        out.push_str("```\n");
        out.push_str(&text.replace("```", "'''"));
        out.push_str("\n```\n");
    }
    if out.is_empty() {
        out.push_str("_No results._\n");
    }
    out
}

/// One value as Markdown text on one line: punctuation that Markdown reads is escaped.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\n' | '\r' | '\t' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '|' | '#' | '!' | '&' | '~' => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
    }
    out
}

/// Blocks of `markdown`; raw HTML is kept as text and links only for http(s) targets.
pub fn parse_markdown(markdown: &str) -> Vec<MarkdownBlock> {
    let mut blocks = Vec::new();
    let mut inlines: Vec<Inline> = Vec::new();
    let mut list: Vec<Vec<Inline>> = Vec::new();
    let mut header: Vec<Vec<Inline>> = Vec::new();
    let mut rows: Vec<Vec<Vec<Inline>>> = Vec::new();
    let mut row: Vec<Vec<Inline>> = Vec::new();
    let mut code: Option<String> = None;
    let mut in_head = false;
    let mut link: Option<String> = None;
    let mut style: Option<&'static str> = None;

    let push_text = |inlines: &mut Vec<Inline>, text: String, link: &Option<String>, style| {
        let inline = match (link, style) {
            (Some(href), _) => Inline::Link {
                href: href.clone(),
                text,
            },
            (None, Some("strong")) => Inline::Strong(text),
            (None, Some("em")) => Inline::Emphasis(text),
            _ => Inline::Text(text),
        };
        match (inlines.last_mut(), &inline) {
            (Some(Inline::Text(previous)), Inline::Text(more)) => previous.push_str(more),
            _ => inlines.push(inline),
        }
    };

    for event in Parser::new_ext(markdown, Options::ENABLE_TABLES) {
        match event {
            Event::Start(Tag::CodeBlock(_)) => code = Some(String::new()),
            Event::End(TagEnd::CodeBlock) => {
                blocks.push(MarkdownBlock::Code(code.take().unwrap_or_default()));
            }
            Event::Text(text) if code.is_some() => {
                if let Some(code) = code.as_mut() {
                    code.push_str(&text);
                }
            }
            Event::Start(Tag::TableHead) => in_head = true,
            Event::End(TagEnd::TableHead) => {
                in_head = false;
                header = std::mem::take(&mut row);
            }
            Event::End(TagEnd::TableCell) => row.push(std::mem::take(&mut inlines)),
            Event::End(TagEnd::TableRow) if !in_head => rows.push(std::mem::take(&mut row)),
            Event::End(TagEnd::Table) => blocks.push(MarkdownBlock::Table {
                header: std::mem::take(&mut header),
                rows: std::mem::take(&mut rows),
            }),
            Event::End(TagEnd::Heading(level)) => {
                blocks.push(MarkdownBlock::Heading(
                    level as u8,
                    std::mem::take(&mut inlines),
                ));
            }
            Event::End(TagEnd::Paragraph) if list.is_empty() && !inlines.is_empty() => {
                blocks.push(MarkdownBlock::Paragraph(std::mem::take(&mut inlines)));
            }
            Event::End(TagEnd::Item) => list.push(std::mem::take(&mut inlines)),
            Event::End(TagEnd::List(_)) => {
                blocks.push(MarkdownBlock::List(std::mem::take(&mut list)))
            }
            Event::Rule => blocks.push(MarkdownBlock::Rule),
            Event::Start(Tag::Link { dest_url, .. }) => {
                let safe = dest_url.starts_with("https://") || dest_url.starts_with("http://");
                link = safe.then(|| dest_url.to_string());
            }
            Event::End(TagEnd::Link) => link = None,
            Event::Start(Tag::Strong) => style = Some("strong"),
            Event::Start(Tag::Emphasis) => style = Some("em"),
            Event::End(TagEnd::Strong | TagEnd::Emphasis) => style = None,
            Event::Code(text) => inlines.push(Inline::Code(text.to_string())),
            Event::Text(text) | Event::Html(text) | Event::InlineHtml(text) => {
                push_text(&mut inlines, text.to_string(), &link, style);
            }
            Event::SoftBreak | Event::HardBreak => {
                push_text(&mut inlines, " ".into(), &link, style)
            }
            _ => {}
        }
    }
    if !inlines.is_empty() {
        blocks.push(MarkdownBlock::Paragraph(inlines));
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_headings_and_lists_parse() {
        let blocks = parse_markdown("### T\n\n| A | B |\n|---|---|\n| 1 | 2 |\n\n- x\n- y\n");
        assert!(
            matches!(&blocks[0], MarkdownBlock::Heading(3, t) if t == &[Inline::Text("T".into())])
        );
        assert!(
            matches!(&blocks[1], MarkdownBlock::Table { header, rows } if header.len() == 2 && rows.len() == 1)
        );
        assert!(matches!(&blocks[2], MarkdownBlock::List(items) if items.len() == 2));
    }

    #[test]
    fn only_web_links_survive() {
        let blocks = parse_markdown("[a](javascript:alert(1)) [b](https://example.com)");
        let MarkdownBlock::Paragraph(inlines) = &blocks[0] else {
            panic!("{blocks:?}");
        };
        assert!(inlines.contains(&Inline::Text("a ".into())));
        assert!(inlines.contains(&Inline::Link {
            href: "https://example.com".into(),
            text: "b".into()
        }));
    }

    #[test]
    fn raw_html_is_text() {
        let blocks = parse_markdown("<script>alert(1)</script>\n\nhello");
        let all = format!("{blocks:?}");
        assert!(all.contains("<script>alert(1)</script>"), "{all}");
    }

    #[test]
    fn escaped_values_round_trip_as_text() {
        let hostile = "*x* [y](javascript:z) `c` <b>";
        let attributes = [AttributeView {
            object_relation: None,
            attribute_type: "text".into(),
            category: None,
            value: hostile.into(),
            comment: None,
            to_ids: false,
        }];
        let blocks = parse_markdown(&results_markdown(&[], &attributes, None));
        let MarkdownBlock::Table { rows, .. } = &blocks[1] else {
            panic!("{blocks:?}");
        };
        assert_eq!(rows[0][2], vec![Inline::Text(hostile.into())]);
    }
}

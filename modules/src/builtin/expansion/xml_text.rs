//! Streaming over the XML parts of office documents: element names with their prefix,
//! text with entities resolved, and a guard on nesting depth.

use quick_xml::Reader;
use quick_xml::events::{BytesStart, Event};

const MAX_DEPTH: usize = 512;

/// What the walker sees, in document order.
pub enum Step<'a> {
    Open {
        name: &'a str,
        parents: &'a [String],
        /// The start tag, for the few elements whose attributes matter.
        element: &'a BytesStart<'a>,
    },
    Close {
        name: &'a str,
        parents: &'a [String],
    },
    Text {
        text: &'a str,
    },
}

/// The raw value of attribute `key` (with its prefix, `w:type`) of a start tag; the
/// attributes read this way hold plain keywords, with nothing to unescape.
pub fn attribute(element: &BytesStart<'_>, key: &str) -> Option<String> {
    element
        .try_get_attribute(key)
        .ok()
        .flatten()
        .map(|a| a.value.into_owned())
}

/// Walks `xml`, calling `visit` for each element start, end and text run.
pub fn walk(xml: &str, mut visit: impl FnMut(Step<'_>)) -> Result<(), String> {
    let mut reader = Reader::from_str(xml);
    let mut open: Vec<String> = Vec::new();
    loop {
        match reader.read_event().map_err(|e| e.to_string())? {
            Event::Start(tag) => {
                let name = tag.name().as_ref().to_owned();
                visit(Step::Open {
                    name: &name,
                    parents: &open,
                    element: &tag,
                });
                open.push(name);
                if open.len() > MAX_DEPTH {
                    return Err("the document is nested too deeply".into());
                }
            }
            Event::Empty(tag) => {
                let name = tag.name().as_ref().to_owned();
                visit(Step::Open {
                    name: &name,
                    parents: &open,
                    element: &tag,
                });
                visit(Step::Close {
                    name: &name,
                    parents: &open,
                });
            }
            Event::End(_) => {
                if let Some(name) = open.pop() {
                    visit(Step::Close {
                        name: &name,
                        parents: &open,
                    });
                }
            }
            Event::Text(text) => {
                let text = text.xml10_content();
                visit(Step::Text { text: &text });
            }
            Event::CData(data) => {
                let text = data.xml10_content();
                visit(Step::Text { text: &text });
            }
            Event::GeneralRef(reference) => {
                let name: &str = &reference;
                let text = match reference.resolve_char_ref() {
                    Ok(Some(c)) => c.to_string(),
                    _ => quick_xml::escape::resolve_predefined_entity(name)
                        .map(str::to_owned)
                        .unwrap_or_default(),
                };
                visit(Step::Text { text: &text });
            }
            Event::Eof => return Ok(()),
            _ => {}
        }
    }
}

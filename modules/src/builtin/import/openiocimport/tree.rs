//! A small element tree over an OpenIOC document, searched the way the reference's
//! HTML-parser soup is: tag and attribute names compared in lower case, prefixes kept,
//! text being every text node below an element.

use quick_xml::events::Event;
use quick_xml::{Reader, XmlVersion};

/// Documents nested deeper than this are refused rather than walked.
const MAX_DEPTH: usize = 256;

struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Node>,
}

enum Node {
    Element(usize),
    Text(String),
}

pub struct Tree {
    elements: Vec<Element>,
}

impl Tree {
    /// Parses `text`; the whole document hangs under a nameless root at index 0.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut reader = Reader::from_str(text);
        reader.config_mut().check_end_names = false;
        let mut elements = vec![Element {
            name: String::new(),
            attributes: Vec::new(),
            children: Vec::new(),
        }];
        let mut open = vec![0usize];
        loop {
            let event = reader
                .read_event()
                .map_err(|e| format!("{e} at byte {}", reader.error_position()))?;
            let parent = *open.last().unwrap_or(&0);
            match event {
                Event::Start(ref tag) | Event::Empty(ref tag) => {
                    let is_empty = matches!(event, Event::Empty(_));
                    let name = tag.name().as_ref().to_lowercase();
                    let mut attributes = Vec::new();
                    for attribute in tag.attributes().flatten() {
                        let key = attribute.key.as_ref().to_lowercase();
                        let value = attribute
                            .normalized_value(XmlVersion::Implicit1_0)
                            .map(|v| v.into_owned())
                            .unwrap_or_else(|_| attribute.value.to_string());
                        attributes.push((key, value));
                    }
                    let index = elements.len();
                    elements.push(Element {
                        name,
                        attributes,
                        children: Vec::new(),
                    });
                    elements[parent].children.push(Node::Element(index));
                    if !is_empty {
                        if open.len() > MAX_DEPTH {
                            return Err("the document is nested too deeply".into());
                        }
                        open.push(index);
                    }
                }
                Event::End(tag) => {
                    // Close up to the matching open element; a stray end tag is ignored,
                    // as a forgiving HTML parser would.
                    let name = tag.name().as_ref().to_lowercase();
                    if let Some(depth) = open
                        .iter()
                        .rposition(|i| *i != 0 && elements[*i].name == name)
                    {
                        open.truncate(depth);
                    }
                }
                Event::Text(content) => {
                    let text = content.xml10_content().into_owned();
                    elements[parent].children.push(Node::Text(text));
                }
                Event::GeneralRef(reference) => {
                    let name: &str = &reference;
                    let text = match reference.resolve_char_ref() {
                        Ok(Some(c)) => c.to_string(),
                        _ => quick_xml::escape::resolve_predefined_entity(name)
                            .map(str::to_owned)
                            .unwrap_or_else(|| format!("&{name};")),
                    };
                    elements[parent].children.push(Node::Text(text));
                }
                Event::CData(data) => {
                    let text = data.xml10_content().into_owned();
                    elements[parent].children.push(Node::Text(text));
                }
                Event::Eof => break,
                _ => {}
            }
        }
        Ok(Self { elements })
    }

    pub fn root(&self) -> usize {
        0
    }

    pub fn attribute(&self, index: usize, name: &str) -> Option<&str> {
        self.elements[index]
            .attributes
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Every element named `name` below `index`, in document order.
    pub fn find_all(&self, index: usize, name: &str) -> Vec<usize> {
        let mut found = Vec::new();
        let mut stack: Vec<usize> = vec![index];
        let mut order = Vec::new();
        while let Some(current) = stack.pop() {
            order.push(current);
            for child in self.elements[current].children.iter().rev() {
                if let Node::Element(i) = child {
                    stack.push(*i);
                }
            }
        }
        for i in order.into_iter().skip(1) {
            if self.elements[i].name == name {
                found.push(i);
            }
        }
        found
    }

    /// The first element named `name` below `index`.
    pub fn find(&self, index: usize, name: &str) -> Option<usize> {
        self.find_all(index, name).into_iter().next()
    }

    /// All text below `index`, concatenated.
    pub fn text(&self, index: usize) -> String {
        let mut out = String::new();
        let mut stack: Vec<&Node> = self.elements[index].children.iter().rev().collect();
        while let Some(node) = stack.pop() {
            match node {
                Node::Text(text) => out.push_str(text),
                Node::Element(i) => stack.extend(self.elements[*i].children.iter().rev()),
            }
        }
        out
    }

    /// The text of the first `name` element below `index`, or "" when there is none.
    pub fn field(&self, index: usize, name: &str) -> String {
        self.find(index, &name.to_lowercase())
            .map(|i| self.text(i))
            .unwrap_or_default()
    }
}

//! YAML documents as PyYAML's safe loader sees them.
//!
//! Sigma tooling reads rules with PyYAML, which resolves plain scalars by YAML 1.1 rules
//! (`yes`/`off` are booleans, `1e5` stays text, `0o`-less octals, `1_000`). yaml-rust2
//! follows YAML 1.2, so the tree is built from its events and plain scalars are resolved
//! here instead.

use std::collections::HashMap;
use std::sync::LazyLock;

use regex::Regex;
use serde_json::Value;
use yaml_rust2::parser::{Event, MarkedEventReceiver, Parser, Tag};
use yaml_rust2::scanner::{Marker, TScalarStyle};

use crate::pycompat::{python_float_repr, python_repr_str};

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Null,
    Bool(bool),
    /// Decimal text of the integer (Python integers are unbounded).
    Int(String),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    /// Keys in first-seen order; a repeated key keeps its place and takes the last value.
    Map(Vec<(Node, Node)>),
}

impl Node {
    pub fn get(&self, key: &str) -> Option<&Node> {
        match self {
            Node::Map(entries) => entries
                .iter()
                .find(|(k, _)| matches!(k, Node::Str(s) if s == key))
                .map(|(_, v)| v),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Node::Str(s) => Some(s),
            _ => None,
        }
    }

    /// Python's type name, for the messages the reference shows.
    pub fn py_type(&self) -> &'static str {
        match self {
            Node::Null => "NoneType",
            Node::Bool(_) => "bool",
            Node::Int(_) => "int",
            Node::Float(_) => "float",
            Node::Str(_) => "str",
            Node::Seq(_) => "list",
            Node::Map(_) => "dict",
        }
    }

    /// Python's `str()` of the loaded value.
    pub fn py_str(&self) -> String {
        match self {
            Node::Str(s) => s.clone(),
            other => other.py_repr(),
        }
    }

    /// Python's `repr()` of the loaded value.
    pub fn py_repr(&self) -> String {
        match self {
            Node::Null => "None".to_owned(),
            Node::Bool(b) => if *b { "True" } else { "False" }.to_owned(),
            Node::Int(i) => i.clone(),
            Node::Float(f) => python_float_repr(*f),
            Node::Str(s) => python_repr_str(s),
            Node::Seq(items) => format!(
                "[{}]",
                items
                    .iter()
                    .map(Node::py_repr)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Node::Map(entries) => format!(
                "{{{}}}",
                entries
                    .iter()
                    .map(|(k, v)| format!("{}: {}", k.py_repr(), v.py_repr()))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }
    }

    /// The value as `json.dumps` would see it.
    pub fn to_json(&self) -> Value {
        match self {
            Node::Null => Value::Null,
            Node::Bool(b) => Value::Bool(*b),
            Node::Int(i) => i
                .parse::<i64>()
                .map(Value::from)
                .unwrap_or_else(|_| Value::String(i.clone())),
            Node::Float(f) => serde_json::Number::from_f64(*f)
                .map(Value::Number)
                .unwrap_or(Value::Null),
            Node::Str(s) => Value::String(s.clone()),
            Node::Seq(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            Node::Map(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.py_str(), v.to_json()))
                    .collect(),
            ),
        }
    }
}

static INT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:[-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(?:0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+|[-+]?[1-9][0-9_]*(?::[0-5]?[0-9])+)$",
    )
    .expect("static regex")
});
static FLOAT_RE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+][0-9]+)?|\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+\.[0-9_]*|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
    )
    .expect("static regex")
});

fn resolve_int(text: &str) -> Option<String> {
    let cleaned = text.replace('_', "");
    let (negative, body) = match cleaned.as_bytes().first() {
        Some(b'-') => (true, &cleaned[1..]),
        Some(b'+') => (false, &cleaned[1..]),
        _ => (false, cleaned.as_str()),
    };
    let magnitude: Option<u128> = if body == "0" {
        Some(0)
    } else if let Some(bin) = body.strip_prefix("0b") {
        u128::from_str_radix(bin, 2).ok()
    } else if let Some(hex) = body.strip_prefix("0x") {
        u128::from_str_radix(hex, 16).ok()
    } else if body.starts_with('0') {
        u128::from_str_radix(body, 8).ok()
    } else if body.contains(':') {
        body.split(':').try_fold(0u128, |acc, part| {
            acc.checked_mul(60)?.checked_add(part.parse::<u128>().ok()?)
        })
    } else {
        // Plain decimal: keep the digits even past 128 bits.
        return Some(format!("{}{}", if negative { "-" } else { "" }, body));
    };
    let magnitude = magnitude?;
    Some(if negative && magnitude != 0 {
        format!("-{magnitude}")
    } else {
        magnitude.to_string()
    })
}

fn resolve_float(text: &str) -> Option<f64> {
    let cleaned = text.replace('_', "").to_ascii_lowercase();
    let (negative, body) = match cleaned.as_bytes().first() {
        Some(b'-') => (true, &cleaned[1..]),
        Some(b'+') => (false, &cleaned[1..]),
        _ => (false, cleaned.as_str()),
    };
    let value = if body == ".inf" {
        f64::INFINITY
    } else if body == ".nan" {
        f64::NAN
    } else if body.contains(':') {
        let (whole, frac) = body.split_once('.')?;
        let mut acc = 0f64;
        for part in whole.split(':') {
            acc = acc * 60.0 + part.parse::<f64>().ok()?;
        }
        acc + format!("0.{frac}").parse::<f64>().ok()?
    } else {
        body.parse::<f64>().ok()?
    };
    Some(if negative { -value } else { value })
}

fn resolve_plain(text: &str) -> Node {
    match text {
        "" | "~" | "null" | "Null" | "NULL" => return Node::Null,
        "yes" | "Yes" | "YES" | "true" | "True" | "TRUE" | "on" | "On" | "ON" => {
            return Node::Bool(true);
        }
        "no" | "No" | "NO" | "false" | "False" | "FALSE" | "off" | "Off" | "OFF" => {
            return Node::Bool(false);
        }
        _ => {}
    }
    if INT_RE.is_match(text)
        && let Some(i) = resolve_int(text)
    {
        return Node::Int(i);
    }
    if FLOAT_RE.is_match(text)
        && let Some(f) = resolve_float(text)
    {
        return Node::Float(f);
    }
    Node::Str(text.to_owned())
}

fn tagged(text: &str, tag: &Tag) -> Result<Node, String> {
    let suffix = if tag.handle == "!!" || tag.handle.ends_with(":2002:") {
        tag.suffix.as_str()
    } else {
        ""
    };
    match suffix {
        "str" => Ok(Node::Str(text.to_owned())),
        "null" => Ok(Node::Null),
        "bool" | "int" | "float" => match resolve_plain(text) {
            node @ (Node::Bool(_) | Node::Int(_) | Node::Float(_)) => Ok(node),
            _ => Err(format!("cannot read {text:?} as !!{suffix}")),
        },
        _ => Err(format!(
            "could not determine a constructor for the tag '{}{}'",
            tag.handle, tag.suffix
        )),
    }
}

enum Frame {
    Seq(usize, Vec<Node>),
    Map(usize, Vec<(Node, Node)>, Option<Node>),
}

#[derive(Default)]
struct Builder {
    docs: Vec<Node>,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    error: Option<String>,
}

impl Builder {
    fn push_value(&mut self, node: Node, anchor: usize) {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.docs.push(node),
            Some(Frame::Seq(_, items)) => items.push(node),
            Some(Frame::Map(_, entries, pending)) => match pending.take() {
                None => *pending = Some(node),
                Some(key) => {
                    if let Some(slot) = entries.iter_mut().find(|(k, _)| *k == key) {
                        slot.1 = node;
                    } else {
                        entries.push((key, node));
                    }
                }
            },
        }
    }
}

impl MarkedEventReceiver for Builder {
    fn on_event(&mut self, event: Event, _mark: Marker) {
        if self.error.is_some() {
            return;
        }
        match event {
            Event::Scalar(text, style, anchor, tag) => {
                let node = match (&tag, style) {
                    (Some(tag), _) => match tagged(&text, tag) {
                        Ok(node) => node,
                        Err(e) => {
                            self.error = Some(e);
                            return;
                        }
                    },
                    (None, TScalarStyle::Plain) => resolve_plain(&text),
                    (None, _) => Node::Str(text),
                };
                self.push_value(node, anchor);
            }
            Event::Alias(id) => match self.anchors.get(&id).cloned() {
                Some(node) => self.push_value(node, 0),
                None => self.error = Some("found undefined alias".to_owned()),
            },
            Event::SequenceStart(anchor, _) => self.stack.push(Frame::Seq(anchor, Vec::new())),
            Event::MappingStart(anchor, _) => {
                self.stack.push(Frame::Map(anchor, Vec::new(), None));
            }
            Event::SequenceEnd | Event::MappingEnd => match self.stack.pop() {
                Some(Frame::Seq(anchor, items)) => self.push_value(Node::Seq(items), anchor),
                Some(Frame::Map(anchor, entries, _)) => self.push_value(Node::Map(entries), anchor),
                None => {}
            },
            _ => {}
        }
    }
}

/// Every document of the stream, in order.
pub fn load_all(text: &str) -> Result<Vec<Node>, String> {
    let mut builder = Builder::default();
    let mut parser = Parser::new_from_str(text);
    parser.load(&mut builder, true).map_err(|e| e.to_string())?;
    match builder.error {
        Some(e) => Err(e),
        None => Ok(builder.docs),
    }
}

/// The single document of the stream (`yaml.safe_load`); an empty stream is null.
pub fn load_one(text: &str) -> Result<Node, String> {
    let mut docs = load_all(text)?;
    match docs.len() {
        0 => Ok(Node::Null),
        1 => Ok(docs.remove(0)),
        _ => Err("expected a single document in the stream, but found another document".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yaml_1_1_scalars() {
        let doc = load_one(
            "a: yes\nb: 1e5\nc: 0x1F\nd: 1_000\ne: '12'\nf: 1.50\ng: ~\nh: 010\ni: 1:30\n",
        )
        .unwrap();
        assert_eq!(doc.get("a"), Some(&Node::Bool(true)));
        assert_eq!(doc.get("b"), Some(&Node::Str("1e5".into())));
        assert_eq!(doc.get("c"), Some(&Node::Int("31".into())));
        assert_eq!(doc.get("d"), Some(&Node::Int("1000".into())));
        assert_eq!(doc.get("e"), Some(&Node::Str("12".into())));
        assert_eq!(doc.get("f"), Some(&Node::Float(1.5)));
        assert_eq!(doc.get("g"), Some(&Node::Null));
        assert_eq!(doc.get("h"), Some(&Node::Int("8".into())));
        assert_eq!(doc.get("i"), Some(&Node::Int("90".into())));
    }

    #[test]
    fn python_reprs() {
        let doc = load_one("x: [a, 1, null, true, 2.5, {k: \"it's\"}]").unwrap();
        assert_eq!(
            doc.get("x").unwrap().py_str(),
            "['a', 1, None, True, 2.5, {'k': \"it's\"}]"
        );
        assert_eq!(python_float_repr(1e16), "1e+16");
        assert_eq!(python_float_repr(0.0001), "0.0001");
        assert_eq!(python_float_repr(1e-5), "1e-05");
        assert_eq!(python_float_repr(123.0), "123.0");
    }

    #[test]
    fn anchors_duplicates_and_documents() {
        let docs = load_all("a: &x [1, 2]\nb: *x\na: 3\n---\nc: d\n").unwrap();
        assert_eq!(docs.len(), 2);
        assert_eq!(
            docs[0],
            Node::Map(vec![
                (Node::Str("a".into()), Node::Int("3".into())),
                (
                    Node::Str("b".into()),
                    Node::Seq(vec![Node::Int("1".into()), Node::Int("2".into())])
                ),
            ])
        );
        assert!(load_one("a: [1,").is_err());
        assert!(load_one("a: !!python/object x").is_err());
    }
}

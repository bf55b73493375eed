//! Value modifiers of Sigma field names (`CommandLine|contains|all`), as the legacy
//! sigmatools converter applies them: left to right, each checking the value it receives.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use regex::Regex;
use std::sync::LazyLock;

use super::yaml::Node;
use crate::pycompat::python_repr_str;

/// A detection value while modifiers work on it, and later inside a field condition.
#[derive(Debug, Clone)]
pub enum Val {
    Str(String),
    Int(String),
    Bytes(Vec<u8>),
    /// null, booleans, floats and maps, kept as loaded.
    Other(Node),
    List(Vec<Val>),
    /// Every value must match (`all`).
    And(Vec<Val>),
    /// Alternatives produced by a modifier (`base64offset`, `windash`).
    Or(Vec<Val>),
    /// A bracketed group around `Or`.
    Sub(Box<Val>),
    Regex(String),
}

impl Val {
    pub fn from_node(node: &Node) -> Val {
        match node {
            Node::Str(s) => Val::Str(s.clone()),
            Node::Int(i) => Val::Int(i.clone()),
            Node::Seq(items) => Val::List(items.iter().map(Val::from_node).collect()),
            other => Val::Other(other.clone()),
        }
    }

    /// Python's `str()` of the value where a backend formats it with `%s`.
    pub fn py_str(&self) -> Option<String> {
        match self {
            Val::Str(s) | Val::Int(s) | Val::Regex(s) => Some(s.clone()),
            Val::Other(node) => Some(node.py_str()),
            Val::List(items) => {
                let parts: Option<Vec<String>> = items.iter().map(Val::py_repr).collect();
                Some(format!("[{}]", parts?.join(", ")))
            }
            _ => None,
        }
    }

    fn py_repr(&self) -> Option<String> {
        match self {
            Val::Str(s) => Some(python_repr_str(s)),
            Val::Other(node) => Some(node.py_repr()),
            other => other.py_str(),
        }
    }
}

/// The reference raises a bare type error (empty message) when a modifier gets a value
/// of a type it does not take.
const TYPE_ERROR: &str = "";

fn list_or_string_valid(value: &Val, bytes_ok: bool) -> bool {
    match value {
        Val::Str(_) => true,
        Val::Bytes(_) => bytes_ok,
        Val::List(items) => items.iter().all(|v| list_or_string_valid(v, bytes_ok)),
        Val::And(_) | Val::Or(_) | Val::Sub(_) => true,
        _ => false,
    }
}

/// Applies `per_str` to every string of a (possibly nested) value, keeping its shape and
/// flattening nested lists one level as the reference does.
fn map_strings(
    value: Val,
    bytes_ok: bool,
    per_str: &dyn Fn(Val) -> Result<Val, String>,
) -> Result<Val, String> {
    match value {
        Val::Str(_) => per_str(value),
        Val::Bytes(_) if bytes_ok => per_str(value),
        Val::List(items) => {
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                match map_strings(item, bytes_ok, per_str)? {
                    Val::List(inner) => out.extend(inner),
                    other => out.push(other),
                }
            }
            Ok(Val::List(out))
        }
        Val::Sub(inner) => Ok(Val::Sub(Box::new(map_strings(*inner, bytes_ok, per_str)?))),
        Val::And(items) => match map_strings(Val::List(items), bytes_ok, per_str)? {
            Val::List(items) => Ok(Val::And(items)),
            other => Ok(other),
        },
        Val::Or(items) => match map_strings(Val::List(items), bytes_ok, per_str)? {
            Val::List(items) => Ok(Val::Or(items)),
            other => Ok(other),
        },
        _ => Err(TYPE_ERROR.to_owned()),
    }
}

fn contains(value: Val) -> Result<Val, String> {
    Ok(match value {
        Val::Str(s) => Val::Str(ends_with_star(starts_with_star(s))),
        other => other,
    })
}

fn starts_with_star(s: String) -> String {
    if s.starts_with('*') {
        s
    } else {
        format!("*{s}")
    }
}

/// A trailing backslash would escape the added wildcard, so it is doubled first.
fn ends_with_star(s: String) -> String {
    if s.ends_with('*') {
        s
    } else if s.ends_with('\\') {
        format!("{s}\\*")
    } else {
        format!("{s}*")
    }
}

fn bytes_of(value: Val) -> Vec<u8> {
    match value {
        Val::Str(s) => s.into_bytes(),
        Val::Bytes(b) => b,
        _ => Vec::new(),
    }
}

fn base64offset(value: Val) -> Result<Val, String> {
    let raw = bytes_of(value);
    let starts = [0usize, 2, 3];
    let ends = [None, Some(3usize), Some(2usize)];
    let mut items = Vec::with_capacity(3);
    for shift in 0..3 {
        let mut shifted = vec![b' '; shift];
        shifted.extend_from_slice(&raw);
        let encoded = STANDARD.encode(&shifted);
        let end = match ends[(raw.len() + shift) % 3] {
            None => encoded.len(),
            Some(cut) => encoded.len().saturating_sub(cut),
        };
        let start = starts[shift].min(encoded.len());
        items.push(Val::Str(
            encoded.get(start..end.max(start)).unwrap_or("").to_owned(),
        ));
    }
    Ok(Val::Sub(Box::new(Val::Or(items))))
}

static DASH: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"\B[-/]\b").expect("static regex"));

fn windash(value: Val) -> Result<Val, String> {
    let Val::Str(s) = value else {
        return Ok(value);
    };
    let spots: Vec<usize> = DASH.find_iter(&s).map(|m| m.start()).collect();
    if spots.is_empty() {
        return Ok(Val::Str(s));
    }
    // Every combination of '-' and '/' at the spots, the first spot varying slowest.
    let mut variants = vec![String::new()];
    let mut from = 0;
    for &spot in &spots {
        let head = &s[from..spot];
        variants = variants
            .into_iter()
            .flat_map(|v| ["-", "/"].map(|dash| format!("{v}{head}{dash}")))
            .collect();
        from = spot + 1;
    }
    let tail = &s[from..];
    let items = variants
        .into_iter()
        .map(|v| Val::Str(format!("{v}{tail}")))
        .collect();
    Ok(Val::Sub(Box::new(Val::Or(items))))
}

fn utf16(value: Val, bom: Option<[u8; 2]>, big_endian: bool) -> Result<Val, String> {
    let Val::Str(s) = value else {
        return Ok(value);
    };
    let mut out = Vec::new();
    if let Some(bom) = bom {
        out.extend_from_slice(&bom);
    }
    for unit in s.encode_utf16() {
        if big_endian {
            out.extend_from_slice(&unit.to_be_bytes());
        } else {
            out.extend_from_slice(&unit.to_le_bytes());
        }
    }
    Ok(Val::Bytes(out))
}

fn apply_one(name: &str, value: Val) -> Result<Val, String> {
    let string_modifier = |bytes_ok: bool, f: &dyn Fn(Val) -> Result<Val, String>| {
        if !list_or_string_valid(&value, bytes_ok) {
            return Err(TYPE_ERROR.to_owned());
        }
        map_strings(value.clone(), bytes_ok, f)
    };
    match name {
        "contains" => string_modifier(false, &contains),
        "startswith" => string_modifier(false, &|v| {
            Ok(match v {
                Val::Str(s) => Val::Str(ends_with_star(s)),
                other => other,
            })
        }),
        "endswith" => string_modifier(false, &|v| {
            Ok(match v {
                Val::Str(s) => Val::Str(starts_with_star(s)),
                other => other,
            })
        }),
        "base64" => string_modifier(true, &|v| Ok(Val::Str(STANDARD.encode(bytes_of(v))))),
        "base64offset" => string_modifier(true, &base64offset),
        "windash" => string_modifier(false, &windash),
        "utf16" => string_modifier(false, &|v| utf16(v, Some([0xff, 0xfe]), false)),
        "utf16le" | "wide" => string_modifier(false, &|v| utf16(v, None, false)),
        "utf16be" => string_modifier(false, &|v| utf16(v, None, true)),
        "all" => match value {
            Val::List(items) | Val::And(items) | Val::Or(items) => Ok(Val::And(items)),
            _ => Err(TYPE_ERROR.to_owned()),
        },
        "re" => match value {
            Val::Str(s) => Ok(Val::Regex(s)),
            _ => Err(TYPE_ERROR.to_owned()),
        },
        // The reference looks the name up in a dict: the error text is the key's repr.
        unknown => Err(python_repr_str(unknown)),
    }
}

pub fn apply_modifiers(mut value: Val, names: &[&str]) -> Result<Val, String> {
    for name in names {
        value = apply_one(name, value)?;
    }
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strs(v: &Val) -> Vec<String> {
        match v {
            Val::Str(s) => vec![s.clone()],
            Val::List(items) | Val::Or(items) | Val::And(items) => {
                items.iter().flat_map(strs).collect()
            }
            Val::Sub(inner) => strs(inner),
            _ => vec![],
        }
    }

    #[test]
    fn wildcards_and_encodings() {
        let v = apply_modifiers(Val::Str("C:\\dir\\".into()), &["contains"]).unwrap();
        assert_eq!(strs(&v), ["*C:\\dir\\\\*"]);
        let v = apply_modifiers(Val::Str("evil".into()), &["base64offset", "contains"]).unwrap();
        assert_eq!(strs(&v), ["*ZXZpb*", "*V2aW*", "*ldmls*"]);
        let v = apply_modifiers(Val::Str("ping".into()), &["utf16le", "base64"]).unwrap();
        assert_eq!(strs(&v), ["cABpAG4AZwA="]);
        let v = apply_modifiers(Val::Str(" -enc -x".into()), &["windash"]).unwrap();
        assert_eq!(strs(&v), [" -enc -x", " -enc /x", " /enc -x", " /enc /x"]);
    }

    #[test]
    fn type_errors_and_unknown_names() {
        assert_eq!(
            apply_modifiers(Val::Int("5".into()), &["contains"]).unwrap_err(),
            ""
        );
        assert_eq!(
            apply_modifiers(Val::Str("a".into()), &["all"]).unwrap_err(),
            ""
        );
        assert_eq!(
            apply_modifiers(Val::Str("a".into()), &["lt"]).unwrap_err(),
            "'lt'"
        );
    }
}

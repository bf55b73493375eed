//! Walking the attributes of events in any layout and screening them.

use serde_json::{Map, Value, json};

use super::*;
use crate::builtin::export::export_answer;

pub(super) fn records<'a>(
    list: Option<&'a Value>,
    key: &str,
) -> Result<Vec<&'a Map<String, Value>>, Invalid> {
    let bad = || Invalid(format!("{key} must be a list of objects."));
    match list {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|i| i.as_object().ok_or_else(bad))
            .collect(),
        Some(_) => Err(bad()),
    }
}

pub(super) fn walk<'a>(
    data: Option<&'a Value>,
    out: &mut Vec<Result<&'a Map<String, Value>, Invalid>>,
) -> Result<(), Invalid> {
    let envelopes: Vec<&Value> = match data {
        Some(single @ Value::Object(_)) => vec![single],
        Some(Value::Array(list)) => list.iter().collect(),
        _ => return Err("data must be an event object or a list of events.".into()),
    };
    for envelope in envelopes {
        let envelope = envelope
            .as_object()
            .ok_or("Each event must be an object.")?;
        let event = match envelope.get("Event") {
            None => envelope,
            Some(Value::Object(event)) => event,
            Some(_) => return Err("Event must be an object.".into()),
        };
        if flag(event.get("deleted"), "deleted")? {
            continue;
        }
        // Lists beside `Event` (one export layout) take precedence over nested ones.
        let pick = |key: &str| envelope.get(key).or_else(|| event.get(key));
        out.extend(records(pick("Attribute"), "Attribute")?.into_iter().map(Ok));
        for object in records(pick("Object"), "Object")? {
            if flag(object.get("deleted"), "deleted")? {
                continue;
            }
            out.extend(
                records(object.get("Attribute"), "Attribute")?
                    .into_iter()
                    .map(Ok),
            );
        }
    }
    Ok(())
}

/// Every attribute of the events (top level, then inside non-deleted objects) in order.
/// A structural problem becomes the last item, so that the attributes before it are
/// still screened first and the first problem met is the one reported.
pub(in crate::builtin::export) fn attribute_stream(
    data: Option<&Value>,
) -> Vec<Result<&Map<String, Value>, Invalid>> {
    let mut out = Vec::new();
    if let Err(problem) = walk(data, &mut out) {
        out.push(Err(problem));
    }
    out
}

/// The outcome of the common checks on one attribute.
pub(in crate::builtin::export) enum Screened<'a> {
    Skip(&'static str),
    Keep { kind: &'a str, value: &'a Value },
}

pub(in crate::builtin::export) fn screen<'a>(
    attribute: &'a Map<String, Value>,
    supported: &[&str],
) -> Result<Screened<'a>, Invalid> {
    if flag(attribute.get("deleted"), "deleted")? {
        return Ok(Screened::Skip("deleted"));
    }
    if !flag(attribute.get("to_ids"), "to_ids")? {
        return Ok(Screened::Skip("non-IDS"));
    }
    match attribute.get("type").and_then(Value::as_str) {
        Some(kind) if supported.contains(&kind) => Ok(Screened::Keep {
            kind,
            value: attribute.get("value").unwrap_or(&Value::Null),
        }),
        _ => Ok(Screened::Skip("unsupported")),
    }
}

/// Counts of skipped attributes per reason, in the order the reasons first occurred.
#[derive(Debug, Default)]
pub(in crate::builtin::export) struct Skipped(Vec<(&'static str, usize)>);

impl Skipped {
    pub fn add(&mut self, reason: &'static str) {
        match self.0.iter_mut().find(|(r, _)| *r == reason) {
            Some((_, count)) => *count += 1,
            None => self.0.push((reason, 1)),
        }
    }

    /// One warning per reason, sorted by reason.
    pub fn warnings(&self) -> Vec<String> {
        let mut sorted = self.0.clone();
        sorted.sort();
        sorted
            .into_iter()
            .map(|(reason, n)| format!("Skipped {n} {reason} attribute(s)."))
            .collect()
    }

    pub(super) fn to_json(&self) -> Value {
        Value::Object(
            self.0
                .iter()
                .map(|(r, n)| ((*r).to_owned(), json!(n)))
                .collect(),
        )
    }
}

/// The export answer with `summary` and, unless empty, `warnings`.
pub(in crate::builtin::export) fn answer(
    file: &str,
    count: usize,
    skipped: &Skipped,
    warnings: Vec<String>,
) -> Value {
    let mut answer = export_answer(file);
    answer["summary"] = json!({"count": count, "skipped": skipped.to_json()});
    if !warnings.is_empty() {
        answer["warnings"] = json!(warnings);
    }
    answer
}

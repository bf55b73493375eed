//! `cof2misp`: imports passive DNS records, one JSON object per line, either in the
//! Common Output Format (COF) or as the bare `rrname`/`rrtype` pairs dnsdbflex prints,
//! as MISP `passive-dns` objects.
//!
//! Errors read as the reference's: its messages quote Python's exception texts, which
//! clients may match on.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use serde_json::{Map, Value, json};

use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::misp::{ObjectBuilder, template};
use crate::parse::python_json::{python_json_error, python_splitlines, python_utf8_error};
use crate::pycompat::python_json_dumps;

pub struct Cof2Misp(ModuleDescriptor);

impl Cof2Misp {
    pub fn new() -> Self {
        Self(descriptor(
            "cof2misp",
            ModuleType::Import,
            json!({
                "inputSource": ["file"],
                "output": ["MISP objects"],
                "format": "misp_standard"
            }),
            json!({
                "version": "0.3",
                "author": "misp-modules-stack",
                "description": "Imports passive DNS records (Common Output Format, or dnsdbflex output) as passive-dns objects.",
                "module-type": ["import"],
                "name": "PDNS COF Importer",
                "config": [],
                "features": "One passive-dns object per input line, with its rdata values, first and last seen times and counters.",
                "references": ["https://tools.ietf.org/id/draft-dulaunoy-dnsop-passive-dns-cof-08.html"],
                "input": "Newline-delimited JSON in passive DNS Common Output Format, or dnsdbflex output.",
                "output": "MISP passive-dns objects."
            }),
        ))
    }
}

/// A failure worded like the Python exception the reference would report.
struct PyError(String);

fn parse_error(detail: impl Into<String>) -> ModuleError {
    ModuleError::reported(format!(
        "An error occured during parsing of input: '{}'",
        detail.into()
    ))
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "NoneType",
        Value::Bool(_) => "bool",
        Value::Number(n) if n.is_f64() => "float",
        Value::Number(_) => "int",
        Value::String(_) => "str",
        Value::Array(_) => "list",
        Value::Object(_) => "dict",
    }
}

/// `entry[key]` with Python's errors for a missing key or a non-dict entry.
fn item<'a>(entry: &'a Value, key: &str) -> Result<&'a Value, PyError> {
    match entry {
        Value::Object(map) => map.get(key).ok_or_else(|| PyError(format!("'{key}'"))),
        Value::Array(_) => Err(PyError(
            "list indices must be integers or slices, not str".into(),
        )),
        Value::String(_) => Err(PyError("string indices must be integers, not 'str'".into())),
        other => Err(PyError(format!(
            "'{}' object is not subscriptable",
            type_name(other)
        ))),
    }
}

/// A string method call on a JSON value: only strings have it.
fn text<'a>(value: &'a Value, method: &str) -> Result<&'a str, PyError> {
    value.as_str().ok_or_else(|| {
        PyError(format!(
            "'{}' object has no attribute '{method}'",
            type_name(value)
        ))
    })
}

/// Newline-delimited JSON, read the way the `ndjson` package does: the lines are joined
/// into one JSON array, so error positions count from that array's opening bracket.
fn load_ndjson(data: &str) -> Result<Vec<Value>, String> {
    // `json.loads` refuses a leading byte-order mark before it parses anything.
    if data.starts_with('\u{feff}') {
        return Err(
            "Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)".into(),
        );
    }
    let joined = format!("[{}]", python_splitlines(data).join(","));
    if let Some(message) = python_json_error(&joined) {
        return Err(message);
    }
    match serde_json::from_str::<Value>(&joined) {
        Ok(Value::Array(entries)) => Ok(entries),
        Ok(_) => Err("not a list".into()),
        Err(e) => Err(e.to_string()),
    }
}

/// Python's `repr()` of a JSON value, as `'%s' % entry` prints it.
fn python_repr(value: &Value) -> String {
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::String(s) => crate::pycompat::python_repr_str(s),
        Value::Number(_) => python_json_dumps(value, None),
        Value::Array(items) => {
            let inner: Vec<String> = items.iter().map(python_repr).collect();
            format!("[{}]", inner.join(", "))
        }
        Value::Object(map) => {
            let inner: Vec<String> = map
                .iter()
                .map(|(k, v)| {
                    format!(
                        "{}: {}",
                        crate::pycompat::python_repr_str(k),
                        python_repr(v)
                    )
                })
                .collect();
            format!("{{{}}}", inner.join(", "))
        }
    }
}

/// A datetime as pymisp writes it: ISO 8601, UTC offset kept when one was given.
fn iso_datetime(value: &Value) -> Result<String, PyError> {
    let broken = || {
        PyError(format!(
            "{} is not a valid datetime, the attribute is broken.",
            value.as_str().unwrap_or_default()
        ))
    };
    let Some(raw) = value.as_str() else {
        return Ok(scalar_text(value));
    };
    let raw = raw.trim();
    if let Ok(with_offset) = DateTime::parse_from_rfc3339(raw) {
        return Ok(python_isoformat(
            &with_offset.naive_local(),
            Some(with_offset.offset()),
        ));
    }
    for format in ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%d %H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(raw, format) {
            return Ok(python_isoformat(&naive, None));
        }
    }
    match NaiveDate::parse_from_str(raw, "%Y-%m-%d") {
        Ok(date) => Ok(format!("{date}T00:00:00")),
        Err(_) => Err(broken()),
    }
}

/// Python's `datetime.isoformat()`: microseconds (six digits) only when not zero.
fn python_isoformat(time: &NaiveDateTime, offset: Option<&FixedOffset>) -> String {
    let mut text = time.format("%Y-%m-%dT%H:%M:%S").to_string();
    let micros = time.and_utc().timestamp_subsec_micros();
    if micros != 0 {
        text.push_str(&format!(".{micros:06}"));
    }
    if let Some(offset) = offset {
        text.push_str(&offset.to_string());
    }
    text
}

/// An object's `first_seen`/`last_seen`: epoch seconds or a date, written in UTC.
fn seen_time(value: &Value) -> Option<String> {
    let utc = match value {
        Value::Number(n) => {
            let seconds = n.as_f64()?;
            let micros = (seconds * 1e6).round() as i64;
            DateTime::<Utc>::from_timestamp_micros(micros)?
        }
        Value::String(s) => match DateTime::parse_from_rfc3339(s.trim()) {
            Ok(dt) => return Some(python_isoformat(&dt.naive_local(), Some(dt.offset()))),
            Err(_) => iso_datetime(value)
                .ok()?
                .parse::<NaiveDateTime>()
                .ok()?
                .and_utc(),
        },
        _ => return None,
    };
    Some(python_isoformat(
        &utc.naive_utc(),
        Some(&FixedOffset::east_opt(0)?),
    ))
}

/// A JSON scalar as the text of an attribute value.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        other => python_json_dumps(other, None),
    }
}

fn add(
    object: &mut ObjectBuilder,
    relation: &str,
    value: &Value,
    comment: Option<&str>,
) -> Result<(), PyError> {
    let is_datetime = template("passive-dns")
        .and_then(|t| {
            t.attributes
                .get(relation)
                .map(|a| a.misp_attribute == "datetime")
        })
        .unwrap_or(false);
    let text = if is_datetime {
        iso_datetime(value)?
    } else {
        scalar_text(value)
    };
    // pymisp drops values that are empty once trimmed.
    let text = text.trim().trim_matches('\0');
    if text.is_empty() {
        return Ok(());
    }
    let mut attribute = crate::misp::new_attribute("text", text);
    if let Some(definition) =
        template("passive-dns").and_then(|t| t.attributes.get(relation).cloned())
    {
        attribute = crate::misp::new_attribute(&definition.misp_attribute, text);
    }
    attribute.extra.insert("distribution".into(), json!("0"));
    attribute.comment = comment.map(str::to_owned);
    object.add_attribute(relation, attribute);
    Ok(())
}

const OPTIONAL_FIELDS: [&str; 8] = [
    "count",
    "sensor_id",
    "origin",
    "text",
    "time_first_ms",
    "time_last_ms",
    "zone_time_first",
    "zone_time_last",
];

fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        Value::Object(o) => !o.is_empty(),
    }
}

/// The rdata values: a list's items, or (as the reference does) a string taken one
/// character at a time, or a dict's keys.
fn rdata_values(rdata: &Value) -> Result<Vec<String>, PyError> {
    let items: Vec<Value> = match rdata {
        Value::Array(items) => items.clone(),
        Value::String(s) => s.chars().map(|c| Value::String(c.to_string())).collect(),
        Value::Object(map) => map.keys().map(|k| Value::String(k.clone())).collect(),
        other => {
            return Err(PyError(format!(
                "'{}' object is not iterable",
                type_name(other)
            )));
        }
    };
    items
        .iter()
        .map(|item| text(item, "rstrip").map(|s| s.trim_end_matches('.').to_owned()))
        .collect()
}

fn to_json(object: ObjectBuilder, extra: Map<String, Value>) -> Result<Value, ModuleError> {
    let mut value = object.build_json()?;
    if let Some(map) = value.as_object_mut() {
        map.extend(extra);
    }
    Ok(value)
}

fn cof_object(entry: &Value) -> Result<Value, ModuleError> {
    let pe = |e: PyError| parse_error(e.0);
    let rrtype = text(item(entry, "rrtype").map_err(pe)?, "upper")
        .map_err(pe)?
        .to_uppercase();
    let rrname = text(item(entry, "rrname").map_err(pe)?, "rstrip")
        .map_err(pe)?
        .trim_end_matches('.')
        .to_owned();
    let rdata = rdata_values(item(entry, "rdata").map_err(pe)?).map_err(pe)?;
    let mut object = ObjectBuilder::new("passive-dns")?;
    if let Ok(bailiwick) = item(entry, "bailiwick") {
        let bailiwick = text(bailiwick, "rstrip").map_err(pe)?.trim_end_matches('.');
        add(&mut object, "bailiwick", &json!(bailiwick), None).map_err(pe)?;
    }
    add(&mut object, "rrname", &json!(rrname), None).map_err(pe)?;
    add(&mut object, "rrtype", &json!(rrtype), None).map_err(pe)?;
    for value in &rdata {
        add(&mut object, "rdata", &json!(value), None).map_err(pe)?;
    }
    let raw = python_json_dumps(&json!(rdata), None);
    add(&mut object, "raw_rdata", &json!(raw), None).map_err(pe)?;
    let first = item(entry, "time_first").map_err(pe)?;
    add(&mut object, "time_first", first, None).map_err(pe)?;
    keep_float_time(&mut object, "time_first", first);
    let last = item(entry, "time_last").map_err(pe)?;
    add(&mut object, "time_last", last, None).map_err(pe)?;
    keep_float_time(&mut object, "time_last", last);
    let mut extra = Map::new();
    if let Some(seen) = seen_time(first) {
        extra.insert("first_seen".into(), json!(seen));
    }
    if let Some(seen) = seen_time(last) {
        extra.insert("last_seen".into(), json!(seen));
    }
    for key in OPTIONAL_FIELDS {
        if let Some(value) = entry.get(key).filter(|v| truthy(v)) {
            add(&mut object, key, value, None).map_err(pe)?;
        }
    }
    to_json(object, extra)
}

/// pymisp stores a float `time_first`/`time_last` as the number it was given (an integer
/// becomes text like every other value).
fn keep_float_time(object: &mut ObjectBuilder, relation: &str, source: &Value) {
    if source.as_number().is_some_and(|n| n.is_f64()) {
        object.keep_last_value(relation, source.clone());
    }
}

fn dnsdbflex_object(entry: &Map<String, Value>) -> Result<Value, ModuleError> {
    const COMMENT: &str = "DNSDBFLEX import by cof2misp";
    let (Some(rrname), Some(rrtype)) = (
        entry.get("rrname").and_then(Value::as_str),
        entry.get("rrtype").and_then(Value::as_str),
    ) else {
        return Err(ModuleError::reported(format!(
            "Could not validate the dnsdbflex input '{}'",
            python_repr(&Value::Object(entry.clone()))
        )));
    };
    let mut object = ObjectBuilder::new("passive-dns")?;
    let pe = |e: PyError| parse_error(e.0);
    add(
        &mut object,
        "rrtype",
        &json!(rrtype.to_uppercase()),
        Some(COMMENT),
    )
    .map_err(pe)?;
    let rrname = rrname.trim_end_matches('.');
    add(&mut object, "rrname", &json!(rrname), Some(COMMENT)).map_err(pe)?;
    to_json(object, Map::new())
}

/// dnsdbflex lines hold exactly `rrname` and `rrtype`.
fn dnsdbflex_entries(entries: &[Value]) -> Option<Vec<&Map<String, Value>>> {
    entries
        .iter()
        .map(|entry| {
            entry.as_object().filter(|map| {
                map.len() == 2 && map.contains_key("rrname") && map.contains_key("rrtype")
            })
        })
        .collect()
}

#[async_trait]
impl Module for Cof2Misp {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let bytes = match request.import_data() {
            Some(result) => result?,
            None => return Err(ModuleError::reported("Got exception 'data'")),
        };
        if let Some(message) = python_utf8_error(&bytes) {
            return Err(ModuleError::reported(format!("Got exception {message}")));
        }
        let data = String::from_utf8_lossy(&bytes);
        if data.is_empty() {
            // The reference answers an empty file with this JSON text, as a string.
            return Ok(json!("{\"success\": 0}"));
        }
        let entries = load_ndjson(&data).map_err(parse_error)?;
        let objects = match dnsdbflex_entries(&entries) {
            Some(flex) => flex
                .into_iter()
                .map(dnsdbflex_object)
                .collect::<Result<Vec<_>, _>>()?,
            None => entries
                .iter()
                .map(cof_object)
                .collect::<Result<Vec<_>, _>>()?,
        };
        Ok(json!({"results": {"Object": objects}}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{object_relations, pairs, query, reported};
    use base64::Engine as _;

    fn body(text: &str) -> Value {
        let data = base64::engine::general_purpose::STANDARD.encode(text);
        json!({"module": "cof2misp", "data": data})
    }

    #[tokio::test]
    async fn cof_lines_become_passive_dns_objects() {
        let text = concat!(
            r#"{"count": 2, "time_first": 1619556027, "time_last": 1619556034, "rrname": "www.example.com.", "rrtype": "cname", "bailiwick": "example.com.", "rdata": ["cdn.example.net.", "other.example.net"]}"#,
            "\r\n",
            r#"{"rrname": "a.example.org", "rrtype": "A", "rdata": ["192.0.2.7"], "time_first": "2021-04-27T20:40:27Z", "time_last": "2021-04-28", "sensor_id": ""}"#
        );
        let answer = query(&Cof2Misp::new(), body(text)).await.unwrap();
        let objects = answer["results"]["Object"].as_array().unwrap();
        assert_eq!(
            object_relations(&objects[0]),
            pairs(&[
                ("bailiwick", "example.com"),
                ("rrname", "www.example.com"),
                ("rrtype", "CNAME"),
                ("rdata", "cdn.example.net"),
                ("rdata", "other.example.net"),
                ("raw_rdata", r#"["cdn.example.net", "other.example.net"]"#),
                ("time_first", "1619556027"),
                ("time_last", "1619556034"),
                ("count", "2"),
            ])
        );
        assert_eq!(objects[0]["first_seen"], "2021-04-27T20:40:27+00:00");
        assert_eq!(objects[0]["last_seen"], "2021-04-27T20:40:34+00:00");
        assert_eq!(objects[0]["Attribute"][0]["type"], "domain");
        assert_eq!(objects[0]["Attribute"][0]["distribution"], "0");
        assert_eq!(
            object_relations(&objects[1])[4..],
            pairs(&[
                ("time_first", "2021-04-27T20:40:27+00:00"),
                ("time_last", "2021-04-28T00:00:00"),
            ])
        );
        assert_eq!(objects[1]["last_seen"], "2021-04-28T00:00:00+00:00");
    }

    /// The reference keeps float times as numbers and writes microseconds as Python's
    /// `isoformat` does (six digits, only when not zero).
    #[tokio::test]
    async fn float_times_stay_numbers() {
        let text = r#"{"rrname": "www.example.com.", "rrtype": "A", "rdata": ["192.0.2.1"], "time_first": 1500000000.5, "time_last": 1600000000.25, "count": 5}"#;
        let answer = query(&Cof2Misp::new(), body(text)).await.unwrap();
        let object = &answer["results"]["Object"][0];
        let times: Vec<&Value> = object["Attribute"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|a| a["object_relation"].as_str().unwrap().starts_with("time_"))
            .map(|a| &a["value"])
            .collect();
        assert_eq!(times, [&json!(1500000000.5), &json!(1600000000.25)]);
        assert_eq!(object["first_seen"], "2017-07-14T02:40:00.500000+00:00");
        assert_eq!(object["last_seen"], "2020-09-13T12:26:40.250000+00:00");

        let text = r#"{"rrname": "a.example", "rrtype": "A", "rdata": ["192.0.2.1"], "time_first": "2017-07-14T02:40:00.5Z", "time_last": 1500000000.0}"#;
        let answer = query(&Cof2Misp::new(), body(text)).await.unwrap();
        let object = &answer["results"]["Object"][0];
        assert_eq!(
            object["Attribute"][4]["value"],
            "2017-07-14T02:40:00.500000+00:00"
        );
        assert_eq!(object["Attribute"][5]["value"], json!(1500000000.0));
        assert_eq!(object["last_seen"], "2017-07-14T02:40:00+00:00");
    }

    #[tokio::test]
    async fn byte_order_mark_is_refused_as_json_refuses_it() {
        let answer = query(&Cof2Misp::new(), body("\u{feff}{\"rrname\": \"a\"}")).await;
        assert_eq!(
            reported(answer),
            "An error occured during parsing of input: 'Unexpected UTF-8 BOM (decode using utf-8-sig): line 1 column 1 (char 0)'"
        );
    }

    #[tokio::test]
    async fn string_rdata_is_read_per_character_like_the_reference() {
        let text = r#"{"rrname": "x.example", "rrtype": "A", "rdata": "1.2", "time_first": 1, "time_last": 2}"#;
        let answer = query(&Cof2Misp::new(), body(text)).await.unwrap();
        let object = &answer["results"]["Object"][0];
        assert_eq!(
            object_relations(object)[2..5],
            pairs(&[
                ("rdata", "1"),
                ("rdata", "2"),
                ("raw_rdata", r#"["1", "", "2"]"#)
            ])
        );
    }

    #[tokio::test]
    async fn dnsdbflex_lines() {
        let text = "{\"rrname\":\"labs.example.ai.\",\"rrtype\":\"a\"}\n{\"rrtype\":\"CNAME\",\"rrname\":\"www.example.ca.\"}";
        let answer = query(&Cof2Misp::new(), body(text)).await.unwrap();
        let objects = answer["results"]["Object"].as_array().unwrap();
        assert_eq!(
            object_relations(&objects[0]),
            pairs(&[("rrtype", "A"), ("rrname", "labs.example.ai")])
        );
        assert_eq!(
            objects[1]["Attribute"][1]["comment"],
            "DNSDBFLEX import by cof2misp"
        );
        assert_eq!(
            reported(query(&Cof2Misp::new(), body(r#"{"rrname": 3, "rrtype": "A"}"#)).await),
            "Could not validate the dnsdbflex input '{'rrname': 3, 'rrtype': 'A'}'"
        );
    }

    #[tokio::test]
    async fn errors_quote_python() {
        let module = Cof2Misp::new();
        let cases = [
            (
                "hello world",
                "An error occured during parsing of input: 'Expecting value: line 1 column 2 (char 1)'",
            ),
            (
                "{\"a\": 1}\n\n{\"a\": 2}",
                "An error occured during parsing of input: 'Expecting value: line 1 column 11 (char 10)'",
            ),
            (
                r#"{"rrname": "a", "rdata": []}"#,
                "An error occured during parsing of input: ''rrtype''",
            ),
            (
                r#"{"rrname": "a", "rrtype": 1, "rdata": []}"#,
                "An error occured during parsing of input: ''int' object has no attribute 'upper''",
            ),
            (
                r#"{"rrname": "a", "rrtype": "A", "rdata": [1]}"#,
                "An error occured during parsing of input: ''int' object has no attribute 'rstrip''",
            ),
            (
                "[1]",
                "An error occured during parsing of input: 'list indices must be integers or slices, not str'",
            ),
            (
                r#"{"rrname": "a", "rrtype": "A", "rdata": [], "time_first": "1500000000", "time_last": 1}"#,
                "An error occured during parsing of input: '1500000000 is not a valid datetime, the attribute is broken.'",
            ),
        ];
        for (text, want) in cases {
            assert_eq!(reported(query(&module, body(text)).await), want, "{text}");
        }
        let latin1 = json!({"data": "/w=="});
        assert_eq!(
            reported(query(&module, latin1).await),
            "Got exception 'utf-8' codec can't decode byte 0xff in position 0: invalid start byte"
        );
        assert_eq!(
            query(&module, json!({"data": ""})).await.unwrap(),
            json!("{\"success\": 0}")
        );
    }
}

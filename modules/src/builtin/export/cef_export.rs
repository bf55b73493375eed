//! `cef_export`: one ArcSight Common Event Format line per network or hash indicator of
//! the events (`CEF:Version|Vendor|Product|DeviceVersion|SignatureID|Name|Severity|Ext`).

use std::net::IpAddr;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::export_answer;
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::pycompat::python_repr_str;

const SEVERITY_WORDS: [&str; 5] = ["Unknown", "Low", "Medium", "High", "Very-High"];

pub struct CefExport(ModuleDescriptor);

impl CefExport {
    pub fn new() -> Self {
        Self(descriptor(
            "cef_export",
            ModuleType::Export,
            json!({
                "input": ["ip-src", "ip-dst", "hostname", "domain", "md5", "sha1", "sha256", "url"],
                "responseType": "text/plain",
                "outputFileExtension": "cef",
                "inputSource": ["event", "event-collection"]
            }),
            json!({
                "version": "2",
                "author": "misp-modules-stack",
                "description": "Exports IP, host, domain, URL and hash indicators as Common Event Format lines for SIEMs.",
                "module-type": ["export"],
                "name": "CEF Export",
                "config": ["Default_Severity", "Device_Vendor", "Device_Product", "Device_Version"],
                "input": "Events in either layout; attributes inside objects are exported too.",
                "output": "One CEF line per supported attribute (CEF:1 for IPv6 addresses)."
            }),
        ))
    }
}

/// A message of the exporter's own; answered as "Unable to export CEF: <message>".
struct Invalid(String);

impl<T: Into<String>> From<T> for Invalid {
    fn from(message: T) -> Self {
        Invalid(message.into())
    }
}

/// The CEF extension key for a MISP attribute type, for the types this exporter handles.
fn extension_key(attribute_type: &str) -> Option<&'static str> {
    Some(match attribute_type {
        "ip-src" => "src",
        "ip-dst" => "dst",
        "hostname" | "domain" => "dhost",
        "md5" | "sha1" | "sha256" => "fileHash",
        "url" => "request",
        _ => return None,
    })
}

struct Header {
    vendor: String,
    product: String,
    version: String,
    severity: String,
}

fn severity(value: &Value) -> Result<String, Invalid> {
    let in_range = |n: i64| (0..=10).contains(&n);
    let accepted = match value {
        Value::Number(n) => n.as_i64().filter(|n| in_range(*n)).map(|n| n.to_string()),
        Value::String(s) if SEVERITY_WORDS.contains(&s.as_str()) => Some(s.clone()),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => s
            .parse::<i64>()
            .ok()
            .filter(|n| in_range(*n))
            .map(|n| n.to_string()),
        _ => None,
    };
    accepted.ok_or_else(|| "Default_Severity must be an integer from 0 to 10 or Unknown, Low, Medium, High, Very-High.".into())
}

fn has_control(text: &str, allow_whitespace: bool) -> bool {
    text.chars().any(|c| {
        let code = c as u32;
        (code < 0x20 && !(allow_whitespace && matches!(c, '\r' | '\n' | '\t'))) || code == 0x7f
    })
}

/// A header field: text (or an integer) of bounded length without control characters,
/// with `\` and `|` escaped.
fn header_field(name: &str, value: &Value, limit: usize) -> Result<String, Invalid> {
    let text = match value {
        Value::Number(n) if n.is_i64() || n.is_u64() => n.to_string(),
        Value::String(s) => s.clone(),
        _ => String::new(),
    };
    if text.trim().is_empty() || text.chars().count() > limit {
        return Err(
            format!("{name} must be a non-empty string of at most {limit} characters.").into(),
        );
    }
    if has_control(&text, false) {
        return Err(format!("{name} contains an unsupported control character.").into());
    }
    Ok(text.replace('\\', "\\\\").replace('|', "\\|"))
}

fn header(config: &Map<String, Value>) -> Result<Header, Invalid> {
    let get = |key: &str, default: Value| config.get(key).cloned().unwrap_or(default);
    Ok(Header {
        severity: severity(&get("Default_Severity", json!(1)))?,
        vendor: header_field("Device_Vendor", &get("Device_Vendor", json!("MISP")), 63)?,
        product: header_field("Device_Product", &get("Device_Product", json!("MISP")), 63)?,
        version: header_field("Device_Version", &get("Device_Version", json!(1)), 31)?,
    })
}

fn escape_extension(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('=', "\\=")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

/// The address as Python's `ipaddress` writes it (IPv4-mapped IPv6 in hex groups,
/// `::ffff:c633:6469`), and whether it is IPv6.
fn address(value: &str) -> Result<(String, bool), Invalid> {
    let scoped = value
        .split_once('%')
        .is_some_and(|(base, _zone)| base.parse::<std::net::Ipv6Addr>().is_ok());
    if scoped {
        return Err("Scoped IPv6 addresses cannot be represented in a CEF address field.".into());
    }
    match value.parse::<IpAddr>() {
        Ok(ip) => Ok((crate::pycompat::python_ip_text(ip), ip.is_ipv6())),
        Err(_) => Err(format!(
            "{} does not appear to be an IPv4 or IPv6 address",
            python_repr_str(value)
        )
        .into()),
    }
}

fn timestamp_millis(value: &Value) -> Result<u128, Invalid> {
    let seconds = match value {
        Value::Number(n) => n.as_u64().map(u128::from),
        Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
            s.parse::<u128>().ok()
        }
        _ => None,
    };
    seconds
        .and_then(|s| s.checked_mul(1000))
        .ok_or_else(|| "Attribute timestamp must be non-negative Unix seconds.".into())
}

/// The CEF line for one attribute, or `None` for a type this exporter does not handle.
fn line(header: &Header, attribute: &Map<String, Value>) -> Result<Option<String>, Invalid> {
    let Some(attribute_type) = attribute.get("type").and_then(Value::as_str) else {
        return Ok(None);
    };
    let Some(key) = extension_key(attribute_type) else {
        return Ok(None);
    };
    let limit = if key == "fileHash" { 255 } else { 1023 };
    let mut value = match attribute.get("value") {
        Some(Value::String(s)) if !s.trim().is_empty() && s.chars().count() <= limit => s.clone(),
        _ => {
            return Err(format!(
                "{attribute_type} must be a non-empty string of at most {limit} characters."
            )
            .into());
        }
    };
    if has_control(&value, true) {
        return Err(format!("{attribute_type} contains an unsupported control character.").into());
    }
    let mut cef_version = 0;
    if key == "src" || key == "dst" {
        let (canonical, ipv6) = address(&value)?;
        value = canonical;
        cef_version = u8::from(ipv6);
    }
    let category = attribute
        .get("category")
        .cloned()
        .unwrap_or_else(|| json!(attribute_type));
    let category = header_field("category", &category, 512)?;
    let mut extension = vec![(key, value), ("cat", category.clone())];
    if let Some(timestamp) = attribute.get("timestamp") {
        let millis = timestamp_millis(timestamp)?;
        extension.push(("deviceCustomDate1", millis.to_string()));
        extension.push((
            "deviceCustomDate1Label",
            "MISP attribute timestamp".to_owned(),
        ));
    }
    let extension: Vec<String> = extension
        .into_iter()
        .map(|(k, v)| format!("{k}={}", escape_extension(&v)))
        .collect();
    Ok(Some(format!(
        "CEF:{cef_version}|{}|{}|{}|{attribute_type}|{category}|{}|{}\n",
        header.vendor,
        header.product,
        header.version,
        header.severity,
        extension.join(" ")
    )))
}

fn objects_list<'a>(value: &'a Value, name: &str) -> Result<Vec<&'a Map<String, Value>>, Invalid> {
    let list = value
        .as_array()
        .ok_or_else(|| format!("{name} must be a list of objects."))?;
    list.iter()
        .map(|item| {
            item.as_object()
                .ok_or_else(|| Invalid(format!("{name} must be a list of objects.")))
        })
        .collect()
}

/// Attributes of one envelope: top-level lists win over the ones nested in `Event`.
fn event_attributes(envelope: &Map<String, Value>) -> Result<Vec<&Map<String, Value>>, Invalid> {
    let event = match envelope.get("Event") {
        None => envelope,
        Some(Value::Object(event)) => event,
        Some(_) => return Err("Event must be an object.".into()),
    };
    let collection = |key: &str| envelope.get(key).or_else(|| event.get(key));
    let mut attributes = match collection("Attribute") {
        Some(list) => objects_list(list, "Attribute")?,
        None => Vec::new(),
    };
    if let Some(objects) = collection("Object") {
        for object in objects_list(objects, "Object")? {
            if let Some(inner) = object.get("Attribute") {
                attributes.extend(objects_list(inner, "Attribute")?);
            }
        }
    }
    Ok(attributes)
}

fn export(request: &QueryRequest) -> Result<String, Invalid> {
    let data = request
        .get("data")
        .ok_or("A request object with data is required.")?;
    let config = match request.get("config") {
        None => Map::new(),
        Some(Value::Object(config)) => config.clone(),
        Some(_) => return Err("config must be an object.".into()),
    };
    let header = header(&config)?;
    let envelopes: Vec<&Map<String, Value>> = match data {
        Value::Object(single) => vec![single],
        Value::Array(list) => list
            .iter()
            .map(|e| {
                e.as_object()
                    .ok_or_else(|| Invalid("data must be a MISP event or a list of events.".into()))
            })
            .collect::<Result<_, _>>()?,
        _ => return Err("data must be a MISP event or a list of events.".into()),
    };
    let mut file = String::new();
    for envelope in envelopes {
        for attribute in event_attributes(envelope)? {
            if let Some(text) = line(&header, attribute)? {
                file.push_str(&text);
            }
        }
    }
    Ok(file)
}

#[async_trait]
impl Module for CefExport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        match export(&request) {
            Ok(file) => Ok(export_answer(&file)),
            Err(Invalid(message)) => Err(ModuleError::reported(format!(
                "Unable to export CEF: {message}"
            ))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{decoded_data, query, reported};

    async fn lines(body: Value) -> String {
        decoded_data(&query(&CefExport::new(), body).await.unwrap())
    }

    #[tokio::test]
    async fn formats_lines_with_defaults() {
        let event = json!({"Event": {"Attribute": [
            {"type": "ip-src", "category": "Network activity", "value": "198.51.100.7", "timestamp": "1705312800"},
            {"type": "ip-dst", "category": "Network activity", "value": "2001:DB8:0::1"},
            {"type": "text", "value": "skipped"}
        ], "Object": [{"Attribute": [{"type": "url", "category": "Network activity", "value": "http://a.example/?x=1"}]}]}});
        assert_eq!(
            lines(json!({"data": [event]})).await,
            "CEF:0|MISP|MISP|1|ip-src|Network activity|1|src=198.51.100.7 cat=Network activity deviceCustomDate1=1705312800000 deviceCustomDate1Label=MISP attribute timestamp\n\
             CEF:1|MISP|MISP|1|ip-dst|Network activity|1|dst=2001:db8::1 cat=Network activity\n\
             CEF:0|MISP|MISP|1|url|Network activity|1|request=http://a.example/?x\\=1 cat=Network activity\n"
        );
    }

    #[tokio::test]
    async fn ipv4_mapped_ipv6_is_written_in_hex_groups() {
        let event = json!({"Event": {}, "Attribute": [
            {"type": "ip-src", "category": "Network activity", "value": "::ffff:198.51.100.105", "timestamp": "1705313493"}
        ]});
        assert_eq!(
            lines(json!({"data": [event]})).await,
            "CEF:1|MISP|MISP|1|ip-src|Network activity|1|src=::ffff:c633:6469 cat=Network activity deviceCustomDate1=1705313493000 deviceCustomDate1Label=MISP attribute timestamp\n"
        );
    }

    #[tokio::test]
    async fn config_is_validated_and_escaped() {
        let event = json!({"Event": {}, "Attribute": [{"type": "domain", "value": "a.example"}]});
        let body = json!({"data": event, "config": {"Default_Severity": "High", "Device_Vendor": "A|B", "Device_Version": 7}});
        assert_eq!(
            lines(body).await,
            "CEF:0|A\\|B|MISP|7|domain|domain|High|dhost=a.example cat=domain\n"
        );
        let bad = json!({"data": [], "config": {"Default_Severity": 11}});
        assert!(
            reported(query(&CefExport::new(), bad).await)
                .starts_with("Unable to export CEF: Default_Severity must be")
        );
    }

    #[tokio::test]
    async fn invalid_input_is_reported() {
        let module = CefExport::new();
        assert_eq!(
            reported(query(&module, json!({"config": {}})).await),
            "Unable to export CEF: A request object with data is required."
        );
        let bad_ip = json!({"data": [{"Attribute": [{"type": "ip-src", "value": "999.1.1.1"}]}]});
        assert_eq!(
            reported(query(&module, bad_ip).await),
            "Unable to export CEF: '999.1.1.1' does not appear to be an IPv4 or IPv6 address"
        );
        let bad_ts =
            json!({"data": [{"Attribute": [{"type": "md5", "value": "x", "timestamp": -1}]}]});
        assert!(reported(query(&module, bad_ts).await).ends_with("non-negative Unix seconds."));
    }
}

//! One vocabulary for what IPGeolocation.io says about an address, whichever source said
//! it: the API v3 answer nests fields (`location.city`), while the MMDB databases use flat
//! or differently nested layouts, store names per language and booleans as text.

use std::collections::HashMap;

use serde_json::{Map, Value};

/// The shape a field's value must have to be kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Text,
    Number,
    Flag,
    /// A list of names, or one name.
    List,
    /// A list, or one text holding several values separated by commas.
    CommaList,
}

/// A field's value once read and checked.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue {
    Text(String),
    Number(f64),
    Flag(bool),
    List(Vec<String>),
}

/// Canonical field, its kind, and where each source layout keeps it (first match wins).
const FIELDS: &[(&str, Kind, &[&str])] = &[
    (
        "country_code",
        Kind::Text,
        &[
            "location.country_code2",
            "location.country.code2",
            "country.code2",
            "country_code2",
        ],
    ),
    (
        "country_name",
        Kind::Text,
        &[
            "location.country_name",
            "location.country.name",
            "country.name",
            "country_name",
        ],
    ),
    (
        "state_name",
        Kind::Text,
        &[
            "location.state_prov",
            "location.state.name",
            "state.name",
            "state_prov",
        ],
    ),
    (
        "city_name",
        Kind::Text,
        &["location.city", "location.city.name", "city.name", "city"],
    ),
    (
        "zip_code",
        Kind::Text,
        &[
            "location.zipcode",
            "location.zip_code",
            "zipcode",
            "zip_code",
            "postal_code",
        ],
    ),
    (
        "latitude",
        Kind::Number,
        &[
            "location.latitude",
            "location.coordinates.latitude",
            "latitude",
        ],
    ),
    (
        "longitude",
        Kind::Number,
        &[
            "location.longitude",
            "location.coordinates.longitude",
            "longitude",
        ],
    ),
    (
        "accuracy_radius",
        Kind::Number,
        &["location.accuracy_radius", "accuracy_radius"],
    ),
    ("route", Kind::Text, &["network.route", "route"]),
    (
        "asn",
        Kind::Text,
        &[
            "asn.as_number",
            "network.asn.as_number",
            "asn.asn",
            "as_number",
            "asn",
        ],
    ),
    (
        "asn_name",
        Kind::Text,
        &["asn.as_name", "network.asn.as_name", "as_name"],
    ),
    (
        "asn_organization",
        Kind::Text,
        &[
            "asn.organization",
            "network.asn.organization",
            "as_organization",
        ],
    ),
    (
        "asn_country",
        Kind::Text,
        &[
            "asn.country",
            "asn.country_code",
            "network.asn.country",
            "asn_country",
            "as_country",
        ],
    ),
    (
        "company_name",
        Kind::Text,
        &[
            "company.name",
            "network.company.name",
            "company_name",
            "isp",
        ],
    ),
    (
        "company_domain",
        Kind::Text,
        &["company.domain", "network.company.domain", "company_domain"],
    ),
    (
        "company_type",
        Kind::Text,
        &["company.type", "network.company.type", "company_type"],
    ),
    ("hostname", Kind::Text, &["hostname"]),
    (
        "threat_score",
        Kind::Number,
        &["security.threat_score", "threat_score"],
    ),
    (
        "is_known_attacker",
        Kind::Flag,
        &["security.is_known_attacker", "is_known_attacker"],
    ),
    ("is_tor", Kind::Flag, &["security.is_tor", "is_tor"]),
    ("is_vpn", Kind::Flag, &["security.is_vpn", "is_vpn"]),
    ("is_proxy", Kind::Flag, &["security.is_proxy", "is_proxy"]),
    (
        "is_residential_proxy",
        Kind::Flag,
        &["security.is_residential_proxy", "is_residential_proxy"],
    ),
    ("is_relay", Kind::Flag, &["security.is_relay", "is_relay"]),
    (
        "is_anonymous",
        Kind::Flag,
        &["security.is_anonymous", "is_anonymous"],
    ),
    ("is_bot", Kind::Flag, &["security.is_bot", "is_bot"]),
    ("is_spam", Kind::Flag, &["security.is_spam", "is_spam"]),
    (
        "is_cloud_provider",
        Kind::Flag,
        &["security.is_cloud_provider", "is_cloud_provider"],
    ),
    (
        "is_known_good_bot",
        Kind::Flag,
        &["security.is_known_good_bot", "is_known_good_bot"],
    ),
    (
        "is_corporate_gateway",
        Kind::Flag,
        &["security.is_corporate_gateway", "is_corporate_gateway"],
    ),
    (
        "bot_operator",
        Kind::Text,
        &["security.bot_operator_name", "bot_operator_name"],
    ),
    ("bot_type", Kind::Text, &["security.bot_type", "bot_type"]),
    (
        "bot_confidence",
        Kind::Number,
        &["security.bot_confidence_score", "bot_confidence_score"],
    ),
    (
        "bot_last_seen",
        Kind::Text,
        &["security.bot_last_seen", "bot_last_seen"],
    ),
    (
        "corporate_gateway_provider",
        Kind::Text,
        &[
            "security.corporate_gateway_provider_name",
            "corporate_gateway_provider_name",
        ],
    ),
    (
        "corporate_gateway_type",
        Kind::Text,
        &["security.corporate_gateway_type", "corporate_gateway_type"],
    ),
    (
        "vpn_providers",
        Kind::List,
        &[
            "security.vpn_provider_names",
            "vpn_provider_names",
            "vpn_provider",
        ],
    ),
    (
        "vpn_confidence",
        Kind::Number,
        &["security.vpn_confidence_score", "vpn_confidence_score"],
    ),
    (
        "vpn_last_seen",
        Kind::Text,
        &["security.vpn_last_seen", "vpn_last_seen"],
    ),
    (
        "proxy_providers",
        Kind::List,
        &[
            "security.proxy_provider_names",
            "proxy_provider_names",
            "proxy_provider",
        ],
    ),
    (
        "proxy_confidence",
        Kind::Number,
        &["security.proxy_confidence_score", "proxy_confidence_score"],
    ),
    (
        "proxy_last_seen",
        Kind::Text,
        &["security.proxy_last_seen", "proxy_last_seen"],
    ),
    (
        "relay_provider",
        Kind::Text,
        &[
            "security.relay_provider_name",
            "relay_provider_name",
            "relay_provider",
        ],
    ),
    (
        "cloud_provider",
        Kind::Text,
        &[
            "security.cloud_provider_name",
            "cloud_provider_name",
            "cloud_provider",
            "hosting_provider",
        ],
    ),
    ("abuse_name", Kind::Text, &["abuse.name", "abuse_name"]),
    (
        "abuse_organization",
        Kind::Text,
        &["abuse.organization", "abuse_organization"],
    ),
    (
        "abuse_emails",
        Kind::CommaList,
        &["abuse.emails", "abuse.email", "abuse_email"],
    ),
    (
        "abuse_phones",
        Kind::CommaList,
        &["abuse.phone_numbers", "abuse.phone", "abuse_phone"],
    ),
    (
        "abuse_address",
        Kind::Text,
        &["abuse.address", "abuse_address"],
    ),
    (
        "abuse_country",
        Kind::Text,
        &["abuse.country", "abuse.country_code", "abuse_country"],
    ),
    (
        "abuse_route",
        Kind::Text,
        &["abuse.route", "abuse.network", "abuse_route"],
    ),
];

/// What the sources said, by canonical field name.
pub type Fields = HashMap<&'static str, FieldValue>;

/// Reads the canonical fields from `records`, tried in order: with several databases the
/// first one holding a field wins. An AS number is kept as digits only ("AS1257" → "1257").
pub fn normalize(records: &[Value]) -> Fields {
    let mut fields = Fields::new();
    for (name, kind, paths) in FIELDS {
        let found = records.iter().find_map(|record| {
            paths
                .iter()
                .find_map(|path| dig(record, path).and_then(|v| coerce(*kind, v)))
        });
        if let Some(value) = found {
            fields.insert(name, value);
        }
    }
    if let Some(FieldValue::Text(asn)) = fields.get("asn") {
        let upper = asn.to_uppercase();
        let number = upper.strip_prefix("AS").unwrap_or(&upper);
        if !number.is_empty() && number.bytes().all(|b| b.is_ascii_digit()) {
            let number = number.to_owned();
            fields.insert("asn", FieldValue::Text(number));
        } else {
            fields.remove("asn");
        }
    }
    fields
}

fn dig<'a>(record: &'a Value, path: &str) -> Option<&'a Value> {
    path.split('.')
        .try_fold(record, |node, key| node.as_object()?.get(key))
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// The value in the field's kind, or `None` when it is empty or of another shape.
fn coerce(kind: Kind, value: &Value) -> Option<FieldValue> {
    if is_empty(value) {
        return None;
    }
    match kind {
        Kind::List | Kind::CommaList => list(kind, value).map(FieldValue::List),
        Kind::Flag => match value {
            Value::Bool(b) => Some(FieldValue::Flag(*b)),
            Value::String(s) => match s.to_lowercase().as_str() {
                "true" | "1" => Some(FieldValue::Flag(true)),
                "false" | "0" => Some(FieldValue::Flag(false)),
                _ => None,
            },
            _ => None,
        },
        Kind::Number => number(value).map(FieldValue::Number),
        Kind::Text => text(value).map(FieldValue::Text),
    }
}

fn list(kind: Kind, value: &Value) -> Option<Vec<String>> {
    let items: Vec<String> = match value {
        Value::String(s) if kind == Kind::CommaList => s
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect(),
        Value::String(s) => Some(s.trim())
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .into_iter()
            .collect(),
        Value::Array(values) => values
            .iter()
            .filter_map(Value::as_str)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect(),
        _ => Vec::new(),
    };
    (!items.is_empty()).then_some(items)
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        Value::Bool(b) => Some(f64::from(u8::from(*b))),
        _ => None,
    }
}

fn text(value: &Value) -> Option<String> {
    // Databases store names per language: {"en": "Japan", "de": "Japan", ...}.
    let value = match value {
        Value::Object(names) => english(names)?,
        other => other,
    };
    match value {
        Value::String(s) => Some(s.clone()),
        // Some databases store whole numbers, AS numbers among them, as doubles.
        Value::Number(n) => Some(match n.as_f64() {
            Some(f) if n.is_f64() && f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
            _ => n.to_string(),
        }),
        Value::Bool(true) => Some("True".to_owned()),
        Value::Bool(false) => Some("False".to_owned()),
        _ => None,
    }
}

fn english(names: &Map<String, Value>) -> Option<&Value> {
    names
        .get("en")
        .filter(|v| !is_empty(v) && !v.is_object() && !v.is_array())
}

/// Maps the single-purpose and older MMDB layouts onto the current Security database's
/// fields, by the database's declared type.
pub fn expand_database_record(record: Value, database_type: &str) -> Value {
    let Value::Object(mut record) = record else {
        return record;
    };
    let kind = database_type.to_lowercase();
    if kind.contains("residential") {
        // Residential Proxy database: {"proxy_provider": ..., "last_seen": ...}
        record
            .entry("is_residential_proxy")
            .or_insert(Value::Bool(true));
        record.entry("is_proxy").or_insert(Value::Bool(true));
        let last_seen = record.get("last_seen").cloned().unwrap_or(Value::Null);
        record.entry("proxy_last_seen").or_insert(last_seen);
    } else if kind.contains("hosting") {
        // IP Hosting database: {"hosting_provider": ...}
        record
            .entry("is_cloud_provider")
            .or_insert(Value::Bool(true));
    }
    let vpn_exit = record
        .get("proxy_type")
        .and_then(Value::as_str)
        .is_some_and(|t| t.eq_ignore_ascii_case("vpn"));
    if vpn_exit && !record.contains_key("is_vpn") {
        // The first Security database had no is_vpn: VPN exits were proxies of type VPN,
        // their provider named in proxy_provider.
        record.insert("is_vpn".into(), Value::Bool(true));
        let provider = record.remove("proxy_provider").unwrap_or(Value::Null);
        record.entry("vpn_provider_names").or_insert(provider);
    }
    Value::Object(record)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn text_of(fields: &Fields, name: &str) -> Option<String> {
        match fields.get(name)? {
            FieldValue::Text(t) => Some(t.clone()),
            other => panic!("{name} is {other:?}"),
        }
    }

    #[test]
    fn api_answer_fields_are_read_from_their_nesting() {
        let fields = normalize(&[json!({
            "ip": "91.128.103.196",
            "location": {"country_code2": "SE", "city": "Stockholm", "latitude": "59.40510",
                         "state_prov": "Stockholms län", "dma_code": ""},
            "network": {"route": "91.128.0.0/14"},
            "asn": {"as_number": "AS1257", "organization": "Tele2 Sverige AB"},
            "security": {"threat_score": 0, "is_tor": false, "vpn_provider_names": []},
            "abuse": {"emails": ["abuse@tele2.com"], "organization": ""}
        })]);
        assert_eq!(text_of(&fields, "country_code").as_deref(), Some("SE"));
        assert_eq!(
            text_of(&fields, "state_name").as_deref(),
            Some("Stockholms län")
        );
        assert_eq!(fields.get("latitude"), Some(&FieldValue::Number(59.4051)));
        assert_eq!(text_of(&fields, "asn").as_deref(), Some("1257"));
        assert_eq!(text_of(&fields, "route").as_deref(), Some("91.128.0.0/14"));
        assert_eq!(fields.get("threat_score"), Some(&FieldValue::Number(0.0)));
        assert_eq!(fields.get("is_tor"), Some(&FieldValue::Flag(false)));
        assert_eq!(
            fields.get("abuse_emails"),
            Some(&FieldValue::List(vec!["abuse@tele2.com".into()]))
        );
        for empty in ["vpn_providers", "abuse_organization", "zip_code"] {
            assert!(!fields.contains_key(empty), "{empty}");
        }
    }

    #[test]
    fn database_layouts_names_per_language_text_flags_and_doubles() {
        let fields = normalize(&[json!({
            "location": {"country": {"code2": "SE", "name": {"de": "Schweden", "en": "Sweden"}},
                         "city": {"name": {"de": "Stockholm"}}},
            "asn": {"as_number": 208294.0},
            "is_tor": "TRUE", "is_vpn": "maybe",
            "abuse": {"emails": "a@example.com, b@example.com,"}
        })]);
        assert_eq!(text_of(&fields, "country_name").as_deref(), Some("Sweden"));
        assert!(!fields.contains_key("city_name"), "no English name");
        assert_eq!(text_of(&fields, "asn").as_deref(), Some("208294"));
        assert_eq!(fields.get("is_tor"), Some(&FieldValue::Flag(true)));
        assert!(!fields.contains_key("is_vpn"));
        assert_eq!(
            fields.get("abuse_emails"),
            Some(&FieldValue::List(vec![
                "a@example.com".into(),
                "b@example.com".into()
            ]))
        );
    }

    #[test]
    fn the_first_record_holding_a_field_wins() {
        let fields = normalize(&[
            json!({"city": {"name": {"en": "Berlin"}}}),
            json!({"city": "Potsdam", "country_code2": "DE"}),
        ]);
        assert_eq!(text_of(&fields, "city_name").as_deref(), Some("Berlin"));
        assert_eq!(text_of(&fields, "country_code").as_deref(), Some("DE"));
    }

    #[test]
    fn an_asn_that_is_not_a_number_is_dropped() {
        let fields = normalize(&[json!({"asn": {"as_number": "unknown"}})]);
        assert!(!fields.contains_key("asn"));
    }

    #[test]
    fn older_and_single_purpose_layouts_are_expanded() {
        let vpn = expand_database_record(
            json!({"is_proxy": "true", "proxy_type": "VPN", "proxy_provider": "Nord VPN"}),
            "ipgeolocation.io IP-Security Database",
        );
        assert_eq!(vpn["is_vpn"], json!(true));
        assert_eq!(vpn["vpn_provider_names"], json!("Nord VPN"));
        assert!(vpn.get("proxy_provider").is_none());

        let residential = expand_database_record(
            json!({"proxy_provider": "ProxyShare", "last_seen": "2026-08-19"}),
            "ipgeolocation.io Residential Database",
        );
        assert_eq!(residential["is_residential_proxy"], json!(true));
        assert_eq!(residential["proxy_last_seen"], json!("2026-08-19"));

        let hosting = expand_database_record(
            json!({"hosting_provider": "Cloudflare, Inc."}),
            "ipgeolocation.io IP Hosting Database",
        );
        let fields = normalize(&[hosting]);
        assert_eq!(
            fields.get("is_cloud_provider"),
            Some(&FieldValue::Flag(true))
        );
        assert_eq!(
            text_of(&fields, "cloud_provider").as_deref(),
            Some("Cloudflare, Inc.")
        );
    }
}

//! The misp_standard answer: the input attribute, then geolocation, asn and domain-ip
//! objects, and an ipgeolocation-ip object for the threat signals, company and abuse
//! contact. Each object says in its comment which source answered.

use std::net::IpAddr;

use app::{MispObject, StandardResults};
use chrono::{NaiveDate, NaiveDateTime};
use serde_json::{Value, json};

use super::fields::{FieldValue, Fields};
use crate::builtin::expansion::geoip_db::numbers_for;
use crate::builtin::expansion::input_attribute::echo;
use crate::engine::{AttributeInput, ModuleError};
use crate::misp::{ObjectBuilder, type_defaults};
use crate::pycompat::python_ip_text;

const GEOLOCATION: &[(&str, &str)] = &[
    ("country_code", "countrycode"),
    ("country_name", "country"),
    ("state_name", "region"),
    ("city_name", "city"),
    ("zip_code", "zipcode"),
    ("latitude", "latitude"),
    ("longitude", "longitude"),
    ("accuracy_radius", "accuracy-radius"),
];
/// Geolocation values pymisp keeps as JSON numbers.
const NUMERIC: &[&str] = &["latitude", "longitude", "accuracy-radius"];

const FLAGS: &[(&str, &str)] = &[
    ("is_known_attacker", "is-known-attacker"),
    ("is_tor", "is-tor"),
    ("is_vpn", "is-vpn"),
    ("is_proxy", "is-proxy"),
    ("is_residential_proxy", "is-residential-proxy"),
    ("is_relay", "is-relay"),
    ("is_anonymous", "is-anonymous"),
    ("is_bot", "is-bot"),
    ("is_spam", "is-spam"),
    ("is_cloud_provider", "is-cloud-provider"),
    ("is_known_good_bot", "is-known-good-bot"),
    ("is_corporate_gateway", "is-corporate-gateway"),
];

const DETAILS: &[(&str, &str)] = &[
    ("threat_score", "threat-score"),
    ("vpn_providers", "vpn-provider"),
    ("vpn_confidence", "vpn-confidence-score"),
    ("vpn_last_seen", "vpn-last-seen"),
    ("proxy_providers", "proxy-provider"),
    ("proxy_confidence", "proxy-confidence-score"),
    ("proxy_last_seen", "proxy-last-seen"),
    ("relay_provider", "relay-provider"),
    ("cloud_provider", "cloud-provider"),
    ("bot_operator", "bot-operator"),
    ("bot_type", "bot-type"),
    ("bot_confidence", "bot-confidence-score"),
    ("bot_last_seen", "bot-last-seen"),
    ("corporate_gateway_provider", "corporate-gateway-provider"),
    ("corporate_gateway_type", "corporate-gateway-type"),
    ("company_name", "company-name"),
    ("company_domain", "company-domain"),
    ("company_type", "company-type"),
    ("abuse_name", "abuse-name"),
    ("abuse_organization", "abuse-organization"),
    ("abuse_emails", "abuse-email"),
    ("abuse_phones", "abuse-phone"),
    ("abuse_address", "abuse-address"),
    ("abuse_country", "abuse-country"),
    ("abuse_route", "abuse-route"),
];

/// Relations typed `integer` in the ipgeolocation-ip template: whole numbers as text.
const INTEGER: &[&str] = &[
    "threat-score",
    "vpn-confidence-score",
    "proxy-confidence-score",
    "bot-confidence-score",
];
/// Relations typed `datetime`: ISO 8601, as pymisp writes a parsed date.
const DATETIME: &[&str] = &["vpn-last-seen", "proxy-last-seen", "bot-last-seen"];

fn number_text(value: f64) -> String {
    // Python's repr of a float: 59.4051, 20.0.
    crate::pycompat::python_float_repr(value)
}

/// "2026-08-19" → "2026-08-19T00:00:00"; other shapes are kept as the source wrote them.
fn iso_datetime(text: &str) -> String {
    if let Ok(date) = NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return date.and_hms_opt(0, 0, 0).map_or_else(
            || text.to_owned(),
            |d| d.format("%Y-%m-%dT%H:%M:%S").to_string(),
        );
    }
    for format in ["%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S"] {
        if let Ok(moment) = NaiveDateTime::parse_from_str(text, format) {
            return moment.format("%Y-%m-%dT%H:%M:%S").to_string();
        }
    }
    text.to_owned()
}

/// The texts one field adds under `relation` (lists add one attribute per item).
fn texts(relation: &str, value: &FieldValue) -> Vec<String> {
    match value {
        FieldValue::List(items) => items.clone(),
        FieldValue::Text(text) if DATETIME.contains(&relation) => vec![iso_datetime(text)],
        FieldValue::Text(text) => vec![text.clone()],
        FieldValue::Number(n) if INTEGER.contains(&relation) => vec![format!("{}", n.trunc())],
        FieldValue::Number(n) => vec![number_text(*n)],
        FieldValue::Flag(flag) => vec![if *flag { "True" } else { "False" }.to_owned()],
    }
}

fn add_field(
    object: &mut ObjectBuilder,
    fields: &Fields,
    field: &str,
    relation: &str,
) -> Result<(), ModuleError> {
    if let Some(value) = fields.get(field) {
        for text in texts(relation, value) {
            object.add(relation, text)?;
        }
    }
    Ok(())
}

/// A confidence score of 0 only restates that the flag is false.
fn worth_showing(field: &str, value: &FieldValue) -> bool {
    !(field.ends_with("_confidence") && *value == FieldValue::Number(0.0))
}

pub fn build(
    attribute: &AttributeInput,
    fields: &Fields,
    address: IpAddr,
    source: &str,
) -> Result<Value, ModuleError> {
    let comment = format!("IPGeolocation.io {source}");
    let ip = python_ip_text(address);
    let mut objects = Vec::new();

    if GEOLOCATION
        .iter()
        .any(|(field, _)| fields.contains_key(field))
    {
        let mut geolocation = ObjectBuilder::new("geolocation")?;
        for (field, relation) in GEOLOCATION {
            add_field(&mut geolocation, fields, field, relation)?;
        }
        geolocation.set_comment(&comment);
        geolocation.reference(&attribute.uuid, "describes");
        objects.push(geolocation.build());
    }

    if fields.contains_key("asn") {
        let mut asn = ObjectBuilder::new("asn")?;
        add_field(&mut asn, fields, "asn", "asn")?;
        let description = ["asn_organization", "asn_name"]
            .into_iter()
            .find(|f| fields.contains_key(f));
        if let Some(field) = description {
            add_field(&mut asn, fields, field, "description")?;
        }
        add_field(&mut asn, fields, "asn_country", "country")?;
        add_field(&mut asn, fields, "route", "subnet-announced")?;
        asn.set_comment(&comment);
        asn.reference(&attribute.uuid, "includes");
        objects.push(asn.build());
    }

    if let Some(FieldValue::Text(hostname)) = fields.get("hostname")
        && *hostname != ip
    {
        let mut domain_ip = ObjectBuilder::new("domain-ip")?;
        domain_ip
            .add("hostname", hostname.clone())?
            .add("ip", ip.clone())?;
        domain_ip.set_comment(&comment);
        domain_ip.reference(&attribute.uuid, "related-to");
        objects.push(domain_ip.build());
    }

    let flags: Vec<&str> = FLAGS
        .iter()
        .filter(|(field, _)| fields.get(field) == Some(&FieldValue::Flag(true)))
        .map(|(_, relation)| *relation)
        .collect();
    let details: Vec<&(&str, &str)> = DETAILS
        .iter()
        .filter(|(field, _)| fields.get(field).is_some_and(|v| worth_showing(field, v)))
        .collect();
    if !flags.is_empty() || !details.is_empty() {
        let mut intelligence = ObjectBuilder::new("ipgeolocation-ip")?;
        intelligence.add("ip", ip.clone())?;
        for relation in flags {
            intelligence.add(relation, "1")?;
        }
        for (field, relation) in details {
            add_field(&mut intelligence, fields, field, relation)?;
        }
        intelligence.set_comment(&comment);
        intelligence.reference(&attribute.uuid, "describes");
        let mut intelligence = intelligence.build();
        as_without_template(&mut intelligence);
        objects.push(intelligence);
    }

    let results = StandardResults {
        attributes: vec![echo(attribute)],
        objects,
    };
    let mut results = serde_json::to_value(results)
        .map_err(|e| ModuleError::internal(format!("cannot serialise results: {e}")))?;
    numbers_for(&mut results, NUMERIC);
    Ok(json!({ "results": results }))
}

/// The reference's pymisp does not ship the ipgeolocation-ip template (only its
/// metadata is copied in), so each attribute gets what a typed attribute gets without a
/// template: the describeTypes category and `to_ids` of its type, correlation enabled.
fn as_without_template(object: &mut MispObject) {
    for attribute in &mut object.attributes {
        if let Some(defaults) = type_defaults(&attribute.attribute_type) {
            attribute.category = defaults.default_category.clone();
            attribute.to_ids = defaults.to_ids;
        }
        attribute.disable_correlation = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intelligence_attributes_take_untemplated_defaults() {
        // As the reference answers (/tmp/diff/expansion ipg_se_comb): correlation on,
        // describeTypes category and to_ids.
        let mut builder = ObjectBuilder::new("ipgeolocation-ip").unwrap();
        builder.add("company-name", "Example AB").unwrap();
        builder.add("abuse-email", "abuse@example.net").unwrap();
        let mut object = builder.build();
        as_without_template(&mut object);
        let flags: Vec<(&str, bool, bool)> = object
            .attributes
            .iter()
            .map(|a| (a.category.as_str(), a.to_ids, a.disable_correlation))
            .collect();
        assert_eq!(
            flags,
            [("Other", false, false), ("Social network", true, false)]
        );
    }

    #[test]
    fn dates_become_iso_datetimes() {
        assert_eq!(iso_datetime("2026-08-19"), "2026-08-19T00:00:00");
        assert_eq!(iso_datetime("2026-08-19 10:11:12"), "2026-08-19T10:11:12");
        assert_eq!(iso_datetime("last week"), "last week");
    }

    #[test]
    fn integer_relations_drop_fractions_and_flags_read_as_python_would() {
        assert_eq!(texts("threat-score", &FieldValue::Number(95.0)), ["95"]);
        assert_eq!(
            texts("bot-confidence-score", &FieldValue::Number(97.6)),
            ["97"]
        );
        assert_eq!(texts("latitude", &FieldValue::Number(59.4051)), ["59.4051"]);
        assert!(!worth_showing("vpn_confidence", &FieldValue::Number(0.0)));
        assert!(worth_showing("threat_score", &FieldValue::Number(0.0)));
    }
}

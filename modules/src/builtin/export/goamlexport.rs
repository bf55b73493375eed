//! `goamlexport`: writes the transactions of an event, with the accounts, persons, legal
//! entities and addresses they reference, as a goAML report.

use std::collections::{HashMap, HashSet};

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Map, Value, json};

use super::export_answer;
use crate::builtin::goaml::{
    self, BANK_ACCOUNT, GEOLOCATION, LEGAL_ENTITY, PERSON, TRANSACTION, party_bracket,
};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};

pub struct GoAmlExport(ModuleDescriptor);

impl GoAmlExport {
    pub fn new() -> Self {
        Self(descriptor(
            "goamlexport",
            ModuleType::Export,
            json!({"responseType": "application/xml", "outputFileExtension": "xml"}),
            json!({
                "version": "1",
                "author": "misp-modules-stack",
                "description": "Writes the transaction objects of an event, and the bank-account, person, legal-entity and geolocation objects they reference, as a goAML report.",
                "module-type": ["export"],
                "name": "GoAML Export",
                "config": ["rentity_id"],
                "require_standard_format": true,
                "logo": "goAML.jpg",
                "requirements": [],
                "references": ["http://goaml.unodc.org/"],
                "input": "An event with transaction objects whose references (from, from_my_client, to, to_my_client) point at their origin and target; accounts reference their signatory persons, parties their geolocation addresses.",
                "output": "A goAML XML report; rentity_id is the reporting entity's id."
            }),
        ))
    }
}

type Object = Map<String, Value>;

/// Attribute values as text, whatever JSON type they arrived in.
fn value_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if *b { "1" } else { "0" }.to_owned()),
        _ => None,
    }
}

/// `(relation, value)` of each attribute of an object, in order.
fn attributes(object: &Object) -> Vec<(String, String)> {
    object
        .get("Attribute")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|attribute| {
            let relation = attribute.get("object_relation")?.as_str()?;
            let value = value_text(attribute.get("value")?)?;
            Some((relation.to_owned(), value))
        })
        .collect()
}

fn first_value(object: &Object, relation: &str) -> Option<String> {
    attributes(object)
        .into_iter()
        .find(|(r, _)| r == relation)
        .map(|(_, value)| value)
}

fn name_of(object: &Object) -> &str {
    object.get("name").and_then(Value::as_str).unwrap_or("")
}

fn uuid_of(object: &Object) -> &str {
    object.get("uuid").and_then(Value::as_str).unwrap_or("")
}

/// Text content escaped for XML; the reference wrote values raw, which broke the
/// document on the first `&` or `<`.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            _ => out.push(c),
        }
    }
    out
}

fn element(out: &mut String, tag: &str, value: &str) {
    out.push_str(&format!("<{tag}>{}</{tag}>", escape(value)));
}

/// The most frequent value, the first seen winning ties.
fn most_common(values: &[String]) -> Option<&String> {
    let mut counts: Vec<(&String, usize)> = Vec::new();
    for value in values {
        match counts.iter_mut().find(|(v, _)| *v == value) {
            Some((_, count)) => *count += 1,
            None => counts.push((value, 1)),
        }
    }
    let best = counts.iter().map(|(_, c)| *c).max()?;
    counts.into_iter().find(|(_, c)| *c == best).map(|(v, _)| v)
}

/// The funds code and country of each side of the transaction being written.
#[derive(Default, Clone)]
struct Sides {
    from_funds: Option<String>,
    from_country: Option<String>,
    to_funds: Option<String>,
    to_country: Option<String>,
}

impl Sides {
    fn of(&self, side: &str) -> (Option<&String>, Option<&String>) {
        if side == "from" {
            (self.from_funds.as_ref(), self.from_country.as_ref())
        } else {
            (self.to_funds.as_ref(), self.to_country.as_ref())
        }
    }
}

struct Writer<'a> {
    objects: HashMap<&'a str, &'a Object>,
    written: HashSet<&'a str>,
    /// The objects being written, so that a reference cycle ends instead of recursing.
    path: Vec<&'a str>,
    sides: Sides,
}

impl<'a> Writer<'a> {
    fn new(objects: &[&'a Object]) -> Self {
        Self {
            objects: objects.iter().map(|o| (uuid_of(o), *o)).collect(),
            written: HashSet::new(),
            path: Vec::new(),
            sides: Sides::default(),
        }
    }

    fn transaction(&mut self, object: &'a Object, out: &mut String) {
        let uuid = uuid_of(object);
        self.written.insert(uuid);
        self.path.push(uuid);
        out.push_str("<transaction>");
        let mut sides = Sides::default();
        for (relation, value) in attributes(object) {
            let slot = match relation.as_str() {
                "from-funds-code" => Some(&mut sides.from_funds),
                "from-country" => Some(&mut sides.from_country),
                "to-funds-code" => Some(&mut sides.to_funds),
                "to-country" => Some(&mut sides.to_country),
                _ => None,
            };
            if let Some(slot) = slot {
                *slot = Some(value);
                continue;
            }
            if relation == "date-posting" {
                out.push_str("<late_deposit>True</late_deposit>");
            }
            if let Some(tag) = goaml::element_of(TRANSACTION, &relation) {
                element(out, tag, &value);
            }
        }
        self.sides = sides;
        self.references(object, out);
        out.push_str("</transaction>");
        self.path.pop();
    }

    /// A party, account, address ... as `<aml_type>...</aml_type>`, with the funds code
    /// and country around it when it is one side of the transaction.
    fn party(&mut self, object: &'a Object, aml_type: &str, out: &mut String) {
        let side = ["from", "to"]
            .into_iter()
            .find(|side| aml_type.starts_with(&format!("{side}_")));
        let (funds, country) = match side {
            Some(side) => {
                let (funds, country) = self.sides.of(side);
                (funds.cloned(), country.cloned())
            }
            None => (None, None),
        };
        if let (Some(side), Some(funds)) = (side, funds) {
            let code = funds.split(' ').next().unwrap_or_default();
            element(out, &format!("{side}_funds_code"), code);
        }
        let uuid = uuid_of(object);
        self.written.insert(uuid);
        self.path.push(uuid);
        out.push_str(&format!("<{aml_type}>"));
        let name = name_of(object);
        for (relation, value) in attributes(object) {
            let Some(tag) = goaml::element_of(name, &relation) else {
                continue;
            };
            // Code lists are picked as "A - Active"; goAML wants the code alone.
            let value = if name == BANK_ACCOUNT
                && matches!(relation.as_str(), "personal-account-type" | "status-code")
            {
                value.split(" - ").next().unwrap_or_default().to_owned()
            } else {
                value
            };
            element(out, tag, &value);
        }
        self.references(object, out);
        out.push_str(&format!("</{aml_type}>"));
        self.path.pop();
        if let (Some(side), Some(country)) = (side, country) {
            element(out, &format!("{side}_country"), &country);
        }
    }

    fn references(&mut self, object: &'a Object, out: &mut String) {
        let source = name_of(object);
        let references = object
            .get("ObjectReference")
            .and_then(Value::as_array)
            .into_iter()
            .flatten();
        for reference in references {
            let Some(target_uuid) = reference.get("referenced_uuid").and_then(Value::as_str) else {
                continue;
            };
            let Some(target) = self.objects.get(target_uuid).copied() else {
                continue;
            };
            if self.path.contains(&uuid_of(target)) {
                continue;
            }
            let relationship = reference
                .get("relationship_type")
                .and_then(Value::as_str)
                .unwrap_or("");
            self.reference(source, target, relationship, out);
        }
    }

    /// Where goAML puts `target` under an object called `source`; links goAML has no
    /// place for are left out.
    fn reference(
        &mut self,
        source: &str,
        target: &'a Object,
        relationship: &str,
        out: &mut String,
    ) {
        let target_name = name_of(target);
        let (bracket, aml_type): (Option<String>, String) = match (source, target_name) {
            (_, GEOLOCATION) => (Some("addresses".into()), "address".into()),
            (TRANSACTION, PERSON | BANK_ACCOUNT | LEGAL_ENTITY) => {
                let Some((bracket, side)) = party_bracket(relationship) else {
                    return;
                };
                let suffix = match target_name {
                    PERSON => "person",
                    BANK_ACCOUNT => "account",
                    _ => "entity",
                };
                (Some(bracket.into()), format!("{side}_{suffix}"))
            }
            (BANK_ACCOUNT, PERSON) => (Some("signatory".into()), "t_person".into()),
            (BANK_ACCOUNT, LEGAL_ENTITY) => (None, "t_entity".into()),
            _ => return,
        };
        if let Some(bracket) = &bracket {
            out.push_str(&format!("<{bracket}>"));
        }
        self.party(target, &aml_type, out);
        if let Some(bracket) = &bracket {
            out.push_str(&format!("</{bracket}>"));
        }
    }
}

/// The event timestamp as goAML's submission date, in UTC.
fn submission_date(event: &crate::engine::ExportEvent) -> String {
    let seconds = event.meta_or_bare().get("timestamp").and_then(|t| match t {
        Value::String(s) => s.trim().parse::<i64>().ok(),
        Value::Number(n) => n.as_i64(),
        _ => None,
    });
    let moment = seconds
        .and_then(|s| chrono::DateTime::from_timestamp(s, 0))
        .unwrap_or_else(chrono::Utc::now);
    moment.format("%Y-%m-%dT%H:%M:%S+00:00").to_string()
}

fn report(rentity_id: &str, event: &crate::engine::ExportEvent) -> Result<String, ModuleError> {
    let objects = event.objects();
    if objects.is_empty() {
        return Err(ModuleError::reported("There is no object in this event."));
    }
    if !objects.iter().any(|o| name_of(o) == TRANSACTION) {
        return Err(ModuleError::reported(
            "There is no transaction object in this event.",
        ));
    }
    let accounts = objects.iter().filter(|o| name_of(o) == BANK_ACCOUNT);
    let mut report_codes = Vec::new();
    let mut currencies = Vec::new();
    for account in accounts {
        if let Some(code) = first_value(account, "report-code") {
            report_codes.push(code.split(' ').next().unwrap_or_default().to_owned());
        }
        currencies.extend(first_value(account, "currency-code"));
    }
    let mut header = String::from("<report>");
    element(&mut header, "rentity_id", rentity_id);
    element(&mut header, "submission_code", "E");
    let report_code = if report_codes.iter().any(|c| c == "STR") {
        Some(&"STR".to_owned()).cloned()
    } else {
        most_common(&report_codes).cloned()
    };
    if let Some(code) = report_code {
        element(&mut header, "report_code", &code);
    }
    element(&mut header, "submission_date", &submission_date(event));
    if let Some(currency) = most_common(&currencies) {
        element(&mut header, "currency_code_local", currency);
    }

    let mut writer = Writer::new(&objects);
    let mut data = String::new();
    for transaction in objects.iter().filter(|o| name_of(o) == TRANSACTION) {
        writer.transaction(transaction, &mut data);
    }
    // A single person (address) nobody referenced is the one reporting (the reporter's
    // location), as the reference decides.
    for (name, aml_type) in [(PERSON, "reporting_person"), (GEOLOCATION, "location")] {
        let left: Vec<&&Object> = objects
            .iter()
            .filter(|o| name_of(o) == name && !writer.written.contains(uuid_of(o)))
            .collect();
        if let [only] = left.as_slice() {
            writer.party(only, aml_type, &mut header);
        }
    }
    Ok(format!("{header}{data}</report>"))
}

#[async_trait]
impl Module for GoAmlExport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        if request.get("data").is_none() {
            return Ok(Value::Bool(false));
        }
        let rentity_id = request
            .config_text("rentity_id")
            .filter(|id| !id.trim().is_empty())
            .ok_or_else(|| ModuleError::reported("Configuration error."))?;
        let events = request
            .export_events()
            .ok_or_else(|| ModuleError::reported("The \"data\" field must be a list of events"))?;
        let Some(event) = events.first() else {
            return Err(ModuleError::reported("There is no object in this event."));
        };
        Ok(export_answer(&report(&rentity_id, event)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{decoded_data, query, reported};

    fn attr(relation: &str, value: &str) -> Value {
        json!({"object_relation": relation, "type": "text", "value": value})
    }

    fn reference(uuid: &str, relationship: &str, name: &str) -> Value {
        json!({"referenced_uuid": uuid, "relationship_type": relationship, "Object": {"name": name, "uuid": uuid}})
    }

    fn u(n: u32) -> String {
        format!("11111111-0000-4000-8000-{n:012}")
    }

    /// The event goamlimport makes of the upstream sample, completed with what an analyst
    /// adds (report code, a reporting person, a stray legal entity).
    fn sample_event() -> Value {
        json!({"Event": {"info": "goAML test", "timestamp": "1519288456", "Object": [
            {"name": "transaction", "uuid": u(1), "Attribute": [
                attr("transaction-number", "TW00000901"), attr("location", "1 Manners Street Wellington"),
                attr("transmode-code", "BG"), attr("date", "2015-12-01T10:03:00"), attr("amount", "12345"),
                attr("text", "when it transacts & more"), attr("from-funds-code", "E Electronic"),
                attr("from-country", "FRA"), attr("to-funds-code", "K"), attr("to-country", "LUX")],
             "ObjectReference": [reference(&u(2), "from", "bank-account"), reference(&u(5), "to_my_client", "person")]},
            {"name": "bank-account", "uuid": u(2), "Attribute": [
                attr("status-code", "A - Active"), attr("personal-account-type", "A - Business"),
                attr("currency-code", "EUR"), attr("account", "31032027088"), attr("swift", "ATTBVI"),
                attr("institution-name", "The bank"), attr("report-code", "STR Suspicious Transaction Report")],
             "ObjectReference": [reference(&u(3), "signatory", "person")]},
            {"name": "person", "uuid": u(3), "Attribute": [
                attr("last-name", "Nick"), attr("first-name", "Pitt"), attr("title", "Sir"),
                attr("date-of-birth", "1993-09-25"), attr("place-of-birth", "Mulhouse, France"), attr("gender", "Male")],
             "ObjectReference": [reference(&u(4), "address", "geolocation")]},
            {"name": "geolocation", "uuid": u(4), "Attribute": [attr("city", "Paris"), attr("country", "France")]},
            {"name": "person", "uuid": u(5), "Attribute": [
                attr("last-name", "Michel"), attr("first-name", "Jean"), attr("title", "Himself"),
                attr("gender", "Prefer not to say")],
             "ObjectReference": [reference(&u(6), "address", "geolocation")]},
            {"name": "geolocation", "uuid": u(6), "Attribute": [attr("city", "Luxembourg"), attr("country", "Luxembourg")]},
            {"name": "person", "uuid": u(7), "Attribute": [attr("first-name", "Rita"), attr("last-name", "Porter")]},
            {"name": "legal-entity", "uuid": u(8), "Attribute": [attr("name", "ACME")]}
        ]}})
    }

    /// What the reference writes for `sample_event`, except the `&` it leaves raw.
    const SAMPLE_REPORT: &str = "<report><rentity_id>2510</rentity_id><submission_code>E</submission_code><report_code>STR</report_code><submission_date>2018-02-22T08:34:16+00:00</submission_date><currency_code_local>EUR</currency_code_local><reporting_person><first_name>Rita</first_name><last_name>Porter</last_name></reporting_person><transaction><transactionnumber>TW00000901</transactionnumber><transaction_location>1 Manners Street Wellington</transaction_location><transmode_code>BG</transmode_code><date_transaction>2015-12-01T10:03:00</date_transaction><amount_local>12345</amount_local><transaction_description>when it transacts &amp; more</transaction_description><t_from><from_funds_code>E</from_funds_code><from_account><status_code>A</status_code><personal_account_type>A</personal_account_type><currency_code>EUR</currency_code><account>31032027088</account><swift>ATTBVI</swift><institution_name>The bank</institution_name><signatory><t_person><last_name>Nick</last_name><first_name>Pitt</first_name><title>Sir</title><birthdate>1993-09-25</birthdate><birth_place>Mulhouse, France</birth_place><gender>Male</gender><addresses><address><city>Paris</city><country_code>France</country_code></address></addresses></t_person></signatory></from_account><from_country>FRA</from_country></t_from><t_to_my_client><to_funds_code>K</to_funds_code><to_person><last_name>Michel</last_name><first_name>Jean</first_name><title>Himself</title><gender>Prefer not to say</gender><addresses><address><city>Luxembourg</city><country_code>Luxembourg</country_code></address></addresses></to_person><to_country>LUX</to_country></t_to_my_client></transaction></report>";

    #[tokio::test]
    async fn writes_the_sample_report() {
        let answer = query(
            &GoAmlExport::new(),
            json!({"module": "goamlexport", "config": {"rentity_id": "2510"}, "data": [sample_event()]}),
        )
        .await
        .unwrap();
        assert_eq!(answer["response"], json!([]));
        assert_eq!(decoded_data(&answer), SAMPLE_REPORT);
    }

    #[tokio::test]
    async fn a_bare_event_keeps_its_timestamp() {
        // The event without its {"Event": ...} wrapper, as pymisp's load accepts it.
        let bare = sample_event()["Event"].clone();
        let answer = query(
            &GoAmlExport::new(),
            json!({"config": {"rentity_id": "2510"}, "data": [bare]}),
        )
        .await
        .unwrap();
        assert_eq!(decoded_data(&answer), SAMPLE_REPORT);
    }

    #[tokio::test]
    async fn round_trips_through_goamlimport() {
        let xml = decoded_data(
            &query(
                &GoAmlExport::new(),
                json!({"config": {"rentity_id": "1"}, "data": [sample_event()]}),
            )
            .await
            .unwrap(),
        );
        let import = crate::builtin::all()
            .into_iter()
            .find(|m| m.name() == "goamlimport")
            .unwrap();
        use base64::Engine as _;
        let data = base64::engine::general_purpose::STANDARD.encode(&xml);
        let answer = query(import.as_ref(), json!({"data": data})).await.unwrap();
        let objects = answer["results"]["Object"].as_array().unwrap().clone();
        let names: Vec<&str> = objects
            .iter()
            .map(|o| o["name"].as_str().unwrap())
            .collect();
        assert_eq!(
            names,
            [
                "person",
                "transaction",
                "bank-account",
                "person",
                "geolocation",
                "person",
                "geolocation"
            ]
        );
        assert_eq!(
            objects[1]["Attribute"][5]["value"],
            "when it transacts & more"
        );
    }

    #[tokio::test]
    async fn cycles_unknown_links_and_missing_codes() {
        let event = json!({"Event": {"timestamp": 0, "Object": [
            {"name": "transaction", "uuid": u(1), "Attribute": [attr("transaction-number", "T<1>"), attr("date-posting", "2020-01-02")],
             "ObjectReference": [reference(&u(2), "to", "bank-account"), reference(&u(3), "related-to", "person"),
                                 reference(&u(9), "from", "person")]},
            {"name": "bank-account", "uuid": u(2), "Attribute": [attr("account", "1")],
             "ObjectReference": [reference(&u(3), "signatory", "person"), reference(&u(4), "owner", "legal-entity")]},
            {"name": "person", "uuid": u(3), "Attribute": [attr("first-name", "A")],
             "ObjectReference": [reference(&u(2), "owns", "bank-account")]},
            {"name": "legal-entity", "uuid": u(4), "Attribute": [attr("name", "B")]}
        ]}});
        let answer = query(
            &GoAmlExport::new(),
            json!({"config": {"rentity_id": 7}, "data": [event]}),
        )
        .await
        .unwrap();
        assert_eq!(
            decoded_data(&answer),
            "<report><rentity_id>7</rentity_id><submission_code>E</submission_code><submission_date>1970-01-01T00:00:00+00:00</submission_date><transaction><transactionnumber>T&lt;1&gt;</transactionnumber><late_deposit>True</late_deposit><date_posting>2020-01-02</date_posting><t_to><to_account><account>1</account><signatory><t_person><first_name>A</first_name></t_person></signatory><t_entity><name>B</name></t_entity></to_account></t_to></transaction></report>"
        );
    }

    #[tokio::test]
    async fn errors() {
        let module = GoAmlExport::new();
        assert_eq!(
            query(&module, json!({"config": {"rentity_id": "1"}}))
                .await
                .unwrap(),
            json!(false)
        );
        for config in [json!({}), json!({"rentity_id": ""}), Value::Null] {
            let body = json!({"config": config, "data": [sample_event()]});
            assert_eq!(reported(query(&module, body).await), "Configuration error.");
        }
        let empty = json!({"config": {"rentity_id": "1"}, "data": [{"Event": {"info": "x"}}]});
        assert_eq!(
            reported(query(&module, empty).await),
            "There is no object in this event."
        );
        let no_transaction = json!({"config": {"rentity_id": "1"}, "data": [{"Event": {"Object": [
            {"name": "person", "uuid": u(1), "Attribute": [attr("first-name", "A")]}]}}]});
        assert_eq!(
            reported(query(&module, no_transaction).await),
            "There is no transaction object in this event."
        );
    }
}

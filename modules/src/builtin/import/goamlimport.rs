//! `goamlimport`: turns a goAML report (XML) into transaction, bank-account, person,
//! legal-entity and geolocation objects linked by object references, the shape
//! `goamlexport` reads back.

use app::{MispObject, ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use roxmltree::{Document, Node};
use serde_json::{Value, json};

use crate::builtin::goaml::{
    self, BANK_ACCOUNT, GEOLOCATION, LEGAL_ENTITY, PARTY_BRACKETS, PERSON, TRANSACTION,
};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::misp::ObjectBuilder;

const UNREADABLE: &str = "Impossible to read XML data";

pub struct GoAmlImport(ModuleDescriptor);

impl GoAmlImport {
    pub fn new() -> Self {
        Self(descriptor(
            "goamlimport",
            ModuleType::Import,
            json!({"inputSource": ["file"], "output": ["MISP objects"], "format": "misp_standard"}),
            json!({
                "version": 1,
                "author": "misp-modules-stack",
                "description": "Reads a goAML report and returns its transactions, with the accounts, persons, legal entities and addresses involved, as linked MISP objects.",
                "module-type": ["import"],
                "name": "GoAML Import",
                "config": [],
                "logo": "goAML.jpg",
                "requirements": [],
                "references": "http://goaml.unodc.org/",
                "input": "A goAML XML report.",
                "output": "transaction, bank-account, person, legal-entity and geolocation objects with their references."
            }),
        ))
    }
}

/// Collects the objects in document order, parents before the parties they reference.
#[derive(Default)]
struct Collector {
    objects: Vec<MispObject>,
}

fn children<'a, 'i>(node: Node<'a, 'i>, tag: &'a str) -> impl Iterator<Item = Node<'a, 'i>> {
    node.children()
        .filter(move |child| child.is_element() && child.tag_name().name() == tag)
}

fn child<'a, 'i>(node: Node<'a, 'i>, tag: &'a str) -> Option<Node<'a, 'i>> {
    children(node, tag).next()
}

/// The text of an element as pymisp would keep it: trimmed, and nothing when empty.
fn text_of<'a>(node: Node<'a, '_>) -> Option<&'a str> {
    node.text().map(str::trim).filter(|text| !text.is_empty())
}

impl Collector {
    /// Adds the object of `node` (filled from its goAML fields) and returns its index.
    fn push(&mut self, object_name: &str, node: Node<'_, '_>) -> Result<usize, ModuleError> {
        let mut builder = ObjectBuilder::new(object_name)?;
        fill(&mut builder, object_name, node)?;
        self.objects.push(builder.build());
        Ok(self.objects.len() - 1)
    }

    fn link(&mut self, from: usize, to: usize, relationship: &str) {
        let referenced = self.objects[to].uuid.clone();
        let object = &mut self.objects[from];
        object.references.push(app::ObjectReference {
            uuid: crate::misp::new_uuid(),
            object_uuid: object.uuid.clone(),
            referenced_uuid: referenced,
            relationship_type: relationship.to_owned(),
            comment: None,
        });
    }

    /// Every `<addresses><address>` of a party, each referenced as its `address`.
    fn addresses(&mut self, owner: usize, node: Node<'_, '_>) -> Result<(), ModuleError> {
        for addresses in children(node, "addresses") {
            for address in children(addresses, "address") {
                let index = self.push(GEOLOCATION, address)?;
                self.link(owner, index, "address");
            }
        }
        Ok(())
    }

    fn person(&mut self, node: Node<'_, '_>) -> Result<usize, ModuleError> {
        let index = self.push(PERSON, node)?;
        self.addresses(index, node)?;
        Ok(index)
    }

    fn entity(&mut self, node: Node<'_, '_>) -> Result<usize, ModuleError> {
        let index = self.push(LEGAL_ENTITY, node)?;
        self.addresses(index, node)?;
        Ok(index)
    }

    fn account(&mut self, node: Node<'_, '_>) -> Result<usize, ModuleError> {
        let index = self.push(BANK_ACCOUNT, node)?;
        for signatory in children(node, "signatory") {
            for person in children(signatory, "t_person") {
                let person = self.person(person)?;
                self.link(index, person, "signatory");
            }
        }
        // The account holder when it is a company; goamlexport writes it the same way.
        for entity in children(node, "t_entity") {
            let entity = self.entity(entity)?;
            self.link(index, entity, "entity");
        }
        Ok(index)
    }

    fn transaction(&mut self, node: Node<'_, '_>) -> Result<(), ModuleError> {
        let mut builder = ObjectBuilder::new(TRANSACTION)?;
        fill(&mut builder, TRANSACTION, node)?;
        // The funds code and country of each side live inside the party bracket but
        // belong to the transaction object.
        for (bracket, side, _) in PARTY_BRACKETS {
            let Some(party) = child(node, bracket) else {
                continue;
            };
            for field in ["funds_code", "country"] {
                let tag = format!("{side}_{field}");
                if let Some(value) = child(party, &tag).and_then(text_of) {
                    let relation = format!("{side}-{}", field.replace('_', "-"));
                    builder.add(&relation, value)?;
                }
            }
        }
        self.objects.push(builder.build());
        let index = self.objects.len() - 1;
        for (bracket, side, relationship) in PARTY_BRACKETS {
            let Some(party) = child(node, bracket) else {
                continue;
            };
            for suffix in ["person", "account", "entity"] {
                let tag = format!("{side}_{suffix}");
                let Some(element) = child(party, &tag) else {
                    continue;
                };
                let target = match suffix {
                    "person" => self.person(element)?,
                    "account" => self.account(element)?,
                    _ => self.entity(element)?,
                };
                self.link(index, target, relationship);
            }
        }
        Ok(())
    }

    fn report(&mut self, root: Node<'_, '_>) -> Result<(), ModuleError> {
        if let Some(reporter) = child(root, "reporting_person") {
            self.person(reporter)?;
        }
        if let Some(location) = child(root, "location") {
            self.push(GEOLOCATION, location)?;
        }
        for transaction in children(root, "transaction") {
            self.transaction(transaction)?;
        }
        Ok(())
    }
}

/// Adds the goAML fields of `node` that `object_name` knows, in the table's order.
fn fill(
    builder: &mut ObjectBuilder,
    object_name: &str,
    node: Node<'_, '_>,
) -> Result<(), ModuleError> {
    for (relation, tag) in goaml::fields(object_name).unwrap_or_default() {
        let mut element = child(node, tag);
        // The goAML sample shipped with misp-modules spells the country `country-code`.
        if element.is_none() && *tag == "country_code" {
            element = child(node, "country-code");
        }
        if let Some(value) = element.and_then(text_of) {
            builder.add(relation, value)?;
        }
    }
    Ok(())
}

/// The report as text: UTF-8 (with or without a byte order mark) or BOM-marked UTF-16.
fn decode(bytes: &[u8]) -> Result<String, ModuleError> {
    let utf16 = |bytes: &[u8], read: fn([u8; 2]) -> u16| {
        let units = bytes.chunks_exact(2).map(|pair| read([pair[0], pair[1]]));
        char::decode_utf16(units).collect::<Result<String, _>>()
    };
    let text = match bytes {
        [0xEF, 0xBB, 0xBF, rest @ ..] => String::from_utf8(rest.to_vec()).ok(),
        [0xFF, 0xFE, rest @ ..] => utf16(rest, u16::from_le_bytes).ok(),
        [0xFE, 0xFF, rest @ ..] => utf16(rest, u16::from_be_bytes).ok(),
        _ => String::from_utf8(bytes.to_vec()).ok(),
    };
    let text = text.ok_or_else(|| {
        ModuleError::reported(format!(
            "{UNREADABLE}: the file is not UTF-8 or UTF-16 text"
        ))
    })?;
    // The XML declaration may still name UTF-16 after the text was decoded; the parser
    // would refuse that, and the declaration says nothing the text does not.
    Ok(match text.strip_prefix("<?xml") {
        Some(rest) => match rest.find("?>") {
            Some(end) => rest[end + 2..].to_owned(),
            None => text,
        },
        None => text,
    })
}

fn import(bytes: &[u8]) -> Result<Vec<MispObject>, ModuleError> {
    let text = decode(bytes)?;
    let document = Document::parse(&text)
        .map_err(|error| ModuleError::reported(format!("{UNREADABLE}: {error}")))?;
    let mut collector = Collector::default();
    collector.report(document.root_element())?;
    Ok(collector.objects)
}

#[async_trait]
impl Module for GoAmlImport {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let bytes = match request.import_data() {
            Some(Ok(bytes)) if !bytes.is_empty() => bytes,
            Some(Err(error)) => return Err(error),
            _ => return Err(ModuleError::reported("Unsupported attributes type")),
        };
        let objects = import(&bytes)?;
        let objects =
            serde_json::to_value(objects).map_err(|e| ModuleError::internal(e.to_string()))?;
        Ok(json!({"results": {"Object": objects}}))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::{query, reported};
    use base64::Engine as _;

    /// The goAML report shipped in misp-modules' tests (the reference fails on it).
    const UPSTREAM_SAMPLE: &str = r#"<report><rentity_id>2510</rentity_id><submission_code>E</submission_code><report_code>STR</report_code><submission_date>2018-02-22T08:34:16+00:00</submission_date><currency_code_local>EUR</currency_code_local><transaction><transactionnumber>TW00000901</transactionnumber><transaction_location>1 Manners Street Wellington</transaction_location><transmode_code>BG</transmode_code><date_transaction>2015-12-01T10:03:00</date_transaction><amount_local>12345</amount_local><transaction_description>when it transacts</transaction_description><t_from><from_funds_code>E</from_funds_code><from_account><status_code>A</status_code><personal_account_type>A</personal_account_type><currency_code>EUR</currency_code><account>31032027088</account><swift>ATTBVI</swift><institution_name>The bank</institution_name><signatory><t_person><last_name>Nick</last_name><first_name>Pitt</first_name><title>Sir</title><birthdate>1993-09-25</birthdate><birth_place>Mulhouse, France</birth_place><gender>Male</gender><addresses><address><city>Paris</city><country-code>France</country-code></address></addresses></t_person></signatory></from_account><from_country>FRA</from_country></t_from><t_to_my_client><to_funds_code>K</to_funds_code><to_person><last_name>Michel</last_name><first_name>Jean</first_name><title>Himself</title><gender>Prefer not to say</gender><addresses><address><city>Luxembourg</city><country-code>Luxembourg</country-code></address></addresses></to_person><to_country>LUX</to_country></t_to_my_client></transaction></report>"#;

    fn body(bytes: &[u8]) -> Value {
        json!({"module": "goamlimport", "data": base64::engine::general_purpose::STANDARD.encode(bytes)})
    }

    /// `(name, [(relation, type, category, to_ids, disable_correlation, value)],
    /// [(referenced index, relationship)])` per object, uuids replaced by positions.
    type Shape = (
        String,
        Vec<(String, String, String, bool, bool, String)>,
        Vec<(usize, String)>,
    );

    fn shape(answer: &Value) -> Vec<Shape> {
        let objects = answer["results"]["Object"].as_array().unwrap();
        let position = |uuid: &Value| {
            objects
                .iter()
                .position(|o| &o["uuid"] == uuid)
                .expect("references point inside the answer")
        };
        objects
            .iter()
            .map(|o| {
                let attributes = o["Attribute"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|a| {
                        (
                            a["object_relation"].as_str().unwrap().to_owned(),
                            a["type"].as_str().unwrap().to_owned(),
                            a["category"].as_str().unwrap().to_owned(),
                            a["to_ids"].as_bool().unwrap(),
                            a["disable_correlation"].as_bool().unwrap(),
                            a["value"].as_str().unwrap().to_owned(),
                        )
                    })
                    .collect();
                let references = o["ObjectReference"]
                    .as_array()
                    .map(|refs| {
                        refs.iter()
                            .map(|r| {
                                assert_eq!(r["object_uuid"], o["uuid"]);
                                (
                                    position(&r["referenced_uuid"]),
                                    r["relationship_type"].as_str().unwrap().to_owned(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                (
                    o["name"].as_str().unwrap().to_owned(),
                    attributes,
                    references,
                )
            })
            .collect()
    }

    fn a(
        relation: &str,
        kind: &str,
        category: &str,
        to_ids: bool,
        no_correlation: bool,
        value: &str,
    ) -> (String, String, String, bool, bool, String) {
        (
            relation.into(),
            kind.into(),
            category.into(),
            to_ids,
            no_correlation,
            value.into(),
        )
    }

    fn text(
        relation: &str,
        no_correlation: bool,
        value: &str,
    ) -> (String, String, String, bool, bool, String) {
        a(relation, "text", "Other", false, no_correlation, value)
    }

    /// The upstream sample, with the answer the reference gives once its reference-adding
    /// crash is fixed, plus what it drops: the transaction description and the countries
    /// spelled `country-code`.
    #[tokio::test]
    async fn imports_the_upstream_sample() {
        let answer = query(&GoAmlImport::new(), body(UPSTREAM_SAMPLE.as_bytes()))
            .await
            .unwrap();
        let expected: Vec<Shape> = vec![
            (
                "transaction".into(),
                vec![
                    text("transaction-number", false, "TW00000901"),
                    text("location", false, "1 Manners Street Wellington"),
                    a(
                        "date",
                        "datetime",
                        "Other",
                        false,
                        false,
                        "2015-12-01T10:03:00",
                    ),
                    text("transmode-code", false, "BG"),
                    text("amount", false, "12345"),
                    text("text", true, "when it transacts"),
                    text("from-funds-code", true, "E"),
                    text("from-country", false, "FRA"),
                    text("to-funds-code", true, "K"),
                    text("to-country", false, "LUX"),
                ],
                vec![(1, "from".into()), (4, "to_my_client".into())],
            ),
            (
                "bank-account".into(),
                vec![
                    text("institution-name", true, "The bank"),
                    a("swift", "bic", "Financial fraud", true, true, "ATTBVI"),
                    a(
                        "account",
                        "bank-account-nr",
                        "Financial fraud",
                        true,
                        false,
                        "31032027088",
                    ),
                    text("currency-code", true, "EUR"),
                    text("personal-account-type", true, "A"),
                    text("status-code", true, "A"),
                ],
                vec![(2, "signatory".into())],
            ),
            (
                "person".into(),
                vec![
                    a("first-name", "first-name", "Person", false, true, "Pitt"),
                    a("last-name", "last-name", "Person", false, false, "Nick"),
                    a("gender", "gender", "Person", false, true, "Male"),
                    text("title", true, "Sir"),
                    a(
                        "date-of-birth",
                        "date-of-birth",
                        "Person",
                        false,
                        false,
                        "1993-09-25",
                    ),
                    a(
                        "place-of-birth",
                        "place-of-birth",
                        "Person",
                        false,
                        true,
                        "Mulhouse, France",
                    ),
                ],
                vec![(3, "address".into())],
            ),
            (
                "geolocation".into(),
                vec![
                    text("city", false, "Paris"),
                    text("country", false, "France"),
                ],
                vec![],
            ),
            (
                "person".into(),
                vec![
                    a("first-name", "first-name", "Person", false, true, "Jean"),
                    a("last-name", "last-name", "Person", false, false, "Michel"),
                    a(
                        "gender",
                        "gender",
                        "Person",
                        false,
                        true,
                        "Prefer not to say",
                    ),
                    text("title", true, "Himself"),
                ],
                vec![(5, "address".into())],
            ),
            (
                "geolocation".into(),
                vec![
                    text("city", false, "Luxembourg"),
                    text("country", false, "Luxembourg"),
                ],
                vec![],
            ),
        ];
        assert_eq!(shape(&answer), expected);
        assert!(answer["results"].get("Attribute").is_none());
        let bank = &answer["results"]["Object"][1];
        assert_eq!(
            bank["template_uuid"],
            "b4712203-95a8-4883-80e9-b566f5df11c9"
        );
        assert_eq!(bank["meta-category"], "financial");
    }

    #[tokio::test]
    async fn reads_report_parties_entities_and_several_addresses() {
        let xml = "\u{feff}<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<report>\
            <rentity_id>1</rentity_id><submission_date>2020-01-01T00:00:00</submission_date>\
            <reporting_person><first_name> Ann </first_name><last_name>Lee</last_name>\
              <addresses><address><address_type>B</address_type><city>Oslo</city><zip>0150</zip></address></addresses>\
            </reporting_person>\
            <location><address>Main st 1</address><country_code>NO</country_code><state>Oslo</state></location>\
            <transaction><transactionnumber>T2</transactionnumber><amount_local></amount_local>\
              <t_from_my_client><from_funds_code>C</from_funds_code>\
                <from_entity><name>ACME &amp; Co</name><phone>+4712345678</phone>\
                  <addresses><address><city>Bergen</city></address><address><city>Molde</city></address></addresses>\
                </from_entity></t_from_my_client>\
              <t_to><to_account><account>42</account><non_bank_institution>true</non_bank_institution>\
                <t_entity><name>Holder Ltd</name></t_entity></to_account><to_country>SE</to_country></t_to>\
            </transaction></report>";
        let answer = query(&GoAmlImport::new(), body(xml.as_bytes()))
            .await
            .unwrap();
        let got = shape(&answer);
        let names: Vec<&str> = got.iter().map(|(n, _, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "person",
                "geolocation",
                "geolocation",
                "transaction",
                "legal-entity",
                "geolocation",
                "geolocation",
                "bank-account",
                "legal-entity"
            ]
        );
        assert_eq!(
            got[0].1,
            vec![
                a("first-name", "first-name", "Person", false, true, "Ann"),
                a("last-name", "last-name", "Person", false, false, "Lee"),
            ]
        );
        assert_eq!(got[0].2, vec![(1, "address".to_owned())]);
        assert_eq!(
            got[1].1,
            vec![text("city", false, "Oslo"), text("zipcode", false, "0150")]
        );
        assert_eq!(
            got[2].1,
            vec![
                text("address", false, "Main st 1"),
                text("country", false, "NO"),
                text("region", false, "Oslo"),
            ]
        );
        assert!(got[2].2.is_empty());
        assert_eq!(
            got[3].1,
            vec![
                text("transaction-number", false, "T2"),
                text("from-funds-code", true, "C"),
                text("to-country", false, "SE"),
            ]
        );
        assert_eq!(
            got[3].2,
            vec![(4, "from_my_client".to_owned()), (7, "to".to_owned())]
        );
        assert_eq!(got[4].1[0].5, "ACME & Co");
        assert_eq!(
            got[4].2,
            vec![(5, "address".to_owned()), (6, "address".to_owned())]
        );
        assert_eq!(
            got[7].1[0],
            a(
                "non-banking-institution",
                "boolean",
                "Other",
                false,
                true,
                "true"
            )
        );
        assert_eq!(got[7].2, vec![(8, "entity".to_owned())]);
    }

    #[tokio::test]
    async fn utf16_reports_are_read() {
        let xml = "<?xml version=\"1.0\" encoding=\"UTF-16\"?><report><location><city>Zürich</city></location></report>";
        let mut bytes = vec![0xFF, 0xFE];
        bytes.extend(xml.encode_utf16().flat_map(u16::to_le_bytes));
        let answer = query(&GoAmlImport::new(), body(&bytes)).await.unwrap();
        assert_eq!(
            answer["results"]["Object"][0]["Attribute"][0]["value"],
            "Zürich"
        );
    }

    #[tokio::test]
    async fn unreadable_input_is_reported() {
        let module = GoAmlImport::new();
        assert_eq!(
            reported(query(&module, json!({"module": "goamlimport"})).await),
            "Unsupported attributes type"
        );
        let broken = reported(query(&module, body(b"<report><transaction></report>")).await);
        assert!(
            broken.starts_with("Impossible to read XML data: "),
            "{broken}"
        );
        assert_eq!(
            reported(query(&module, body(b"<report>\xC1</report>")).await),
            "Impossible to read XML data: the file is not UTF-8 or UTF-16 text"
        );
        let laughs = "<!DOCTYPE r [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\">\
            <!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\"><!ENTITY d \"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;\">\
            <!ENTITY e \"&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;\"><!ENTITY f \"&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;\">]>\
            <report><location><city>&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;</city></location></report>";
        // Entity expansion is bounded by the parser: either an error or a bounded value.
        if let Ok(answer) = query(&module, body(laughs.as_bytes())).await {
            let value = answer["results"]["Object"][0]["Attribute"][0]["value"]
                .as_str()
                .unwrap_or_default();
            assert!(value.len() <= 10_000_000);
        }
    }

    #[tokio::test]
    async fn an_empty_report_gives_no_objects() {
        let answer = query(
            &GoAmlImport::new(),
            body(b"<report><rentity_id>1</rentity_id></report>"),
        )
        .await
        .unwrap();
        assert_eq!(answer, json!({"results": {"Object": []}}));
    }
}

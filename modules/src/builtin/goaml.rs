//! goAML vocabulary shared by `goamlimport` (XML to MISP objects) and `goamlexport` (MISP
//! objects to XML): which goAML element carries which object relation, and how parties
//! hang off a transaction.

/// The MISP objects a goAML report is made of.
pub(crate) const TRANSACTION: &str = "transaction";
pub(crate) const BANK_ACCOUNT: &str = "bank-account";
pub(crate) const PERSON: &str = "person";
pub(crate) const LEGAL_ENTITY: &str = "legal-entity";
pub(crate) const GEOLOCATION: &str = "geolocation";

/// `(object relation, goAML element)` per object, in the order the import reads them.
const TRANSACTION_FIELDS: &[(&str, &str)] = &[
    ("transaction-number", "transactionnumber"),
    ("location", "transaction_location"),
    ("date", "date_transaction"),
    ("transmode-code", "transmode_code"),
    ("amount", "amount_local"),
    ("transmode-comment", "transmode_comment"),
    ("date-posting", "date_posting"),
    ("teller", "teller"),
    ("authorized", "authorized"),
    ("text", "transaction_description"),
];

const BANK_ACCOUNT_FIELDS: &[(&str, &str)] = &[
    ("institution-name", "institution_name"),
    ("institution-code", "institution_code"),
    ("swift", "swift"),
    ("branch", "branch"),
    ("non-banking-institution", "non_bank_institution"),
    ("account", "account"),
    ("currency-code", "currency_code"),
    ("account-name", "account_name"),
    ("iban", "iban"),
    ("client-number", "client_number"),
    ("opened", "opened"),
    ("closed", "closed"),
    ("personal-account-type", "personal_account_type"),
    ("balance", "balance"),
    ("date-balance", "date_balance"),
    ("status-code", "status_code"),
    ("beneficiary", "beneficiary"),
    ("beneficiary-comment", "beneficiary_comment"),
    ("comments", "comments"),
];

const PERSON_FIELDS: &[(&str, &str)] = &[
    ("first-name", "first_name"),
    ("middle-name", "middle_name"),
    ("last-name", "last_name"),
    ("gender", "gender"),
    ("title", "title"),
    ("mothers-name", "mothers_name"),
    ("date-of-birth", "birthdate"),
    ("passport-number", "passport_number"),
    ("passport-country", "passport_country"),
    ("identity-card-number", "id_number"),
    ("place-of-birth", "birth_place"),
    ("alias", "alias"),
    ("nationality", "nationality1"),
    ("social-security-number", "ssn"),
    ("text", "comments"),
];

const LEGAL_ENTITY_FIELDS: &[(&str, &str)] = &[
    ("name", "name"),
    ("commercial-name", "commercial_name"),
    ("legal-form", "incorporation_legal_form"),
    ("registration-number", "incorporation_number"),
    ("business", "business"),
    ("phone-number", "phone"),
];

const GEOLOCATION_FIELDS: &[(&str, &str)] = &[
    ("address", "address"),
    ("city", "city"),
    ("zipcode", "zip"),
    ("country", "country_code"),
    ("region", "state"),
];

/// The field table of a goAML object, `None` for objects goAML has no place for.
pub(crate) fn fields(object_name: &str) -> Option<&'static [(&'static str, &'static str)]> {
    match object_name {
        TRANSACTION => Some(TRANSACTION_FIELDS),
        BANK_ACCOUNT => Some(BANK_ACCOUNT_FIELDS),
        PERSON => Some(PERSON_FIELDS),
        LEGAL_ENTITY => Some(LEGAL_ENTITY_FIELDS),
        GEOLOCATION => Some(GEOLOCATION_FIELDS),
        _ => None,
    }
}

/// The goAML element of `relation` in an object called `object_name`.
pub(crate) fn element_of(object_name: &str, relation: &str) -> Option<&'static str> {
    fields(object_name)?
        .iter()
        .find(|(r, _)| *r == relation)
        .map(|(_, tag)| *tag)
}

/// The four ways a party is attached to a transaction: the bracket element, the side
/// (`from`/`to`, the prefix of the party and funds elements) and the relationship type
/// of the object reference (the bracket without its `t_`).
pub(crate) const PARTY_BRACKETS: &[(&str, &str, &str)] = &[
    ("t_from", "from", "from"),
    ("t_from_my_client", "from", "from_my_client"),
    ("t_to", "to", "to"),
    ("t_to_my_client", "to", "to_my_client"),
];

/// The bracket and side of a transaction reference's relationship type.
pub(crate) fn party_bracket(relationship: &str) -> Option<(&'static str, &'static str)> {
    PARTY_BRACKETS
        .iter()
        .find(|(_, _, rel)| *rel == relationship)
        .map(|(bracket, side, _)| (*bracket, *side))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_relation_exists_in_its_template() {
        for name in [TRANSACTION, BANK_ACCOUNT, PERSON, LEGAL_ENTITY, GEOLOCATION] {
            let template = crate::misp::template(name).unwrap();
            for (relation, _) in fields(name).unwrap() {
                assert!(
                    template.attributes.contains_key(*relation),
                    "{name} lacks {relation}"
                );
            }
        }
        for relation in [
            "from-funds-code",
            "from-country",
            "to-funds-code",
            "to-country",
        ] {
            assert!(
                crate::misp::template(TRANSACTION)
                    .unwrap()
                    .attributes
                    .contains_key(relation)
            );
        }
    }

    #[test]
    fn lookups() {
        assert_eq!(element_of(PERSON, "date-of-birth"), Some("birthdate"));
        assert_eq!(element_of(BANK_ACCOUNT, "report-code"), None);
        assert_eq!(
            party_bracket("to_my_client"),
            Some(("t_to_my_client", "to"))
        );
        assert_eq!(party_bracket("related-to"), None);
    }
}

//! `countrycode`: what a domain's top-level domain says about where it belongs.
//!
//! The reference knows six generic TLDs by heart and downloads a country list over plain
//! HTTP for every other query. Here the country table is compiled in (ISO 3166-1), so the
//! module answers offline, instantly, and the same way every time.

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use isocountry::CountryCode as Iso;
use serde_json::{Value, json};

use crate::engine::{Module, ModuleError, QueryRequest, descriptor, legacy_results};

const GENERIC_TLDS: [(&str, &str); 6] = [
    ("com", "Commercial (Worldwide)"),
    ("org", "Organisation (Worldwide)"),
    ("net", "Network (Worldwide)"),
    ("int", "International (Worldwide)"),
    ("edu", "Education (Usually USA)"),
    ("gov", "Government (USA)"),
];

/// Country-code TLDs that are not the ISO alpha-2 code of their country.
const TLD_EXCEPTIONS: [(&str, &str); 4] = [
    ("uk", "United Kingdom"),
    ("eu", "European Union"),
    ("su", "Soviet Union"),
    ("ac", "Ascension Island"),
];

pub struct CountryCode(ModuleDescriptor);

impl CountryCode {
    pub fn new() -> Self {
        Self(descriptor(
            "countrycode",
            ModuleType::Expansion,
            json!({"input": ["hostname", "domain"]}),
            json!({
                "version": "1",
                "author": "misp-modules-stack",
                "description": "Names the country or zone a domain's top-level domain stands for.",
                "module-type": ["hover"],
                "name": "Country Code",
                "config": [],
                "features": "Reads the last label of a domain or hostname and names the country (ISO 3166-1) or generic zone it belongs to. Works offline.",
                "input": "A domain or hostname.",
                "output": "The name of the country or zone, or Unknown."
            }),
        ))
    }
}

/// The zone name for a TLD (any case), or `Unknown`.
pub fn zone_name(tld: &str) -> String {
    let tld = tld.to_ascii_lowercase();
    if let Some((_, name)) = GENERIC_TLDS
        .iter()
        .chain(TLD_EXCEPTIONS.iter())
        .find(|(t, _)| *t == tld)
    {
        return (*name).to_owned();
    }
    if let Some(country) = (tld.len() == 2)
        .then(|| Iso::for_alpha2_caseless(&tld).ok())
        .flatten()
    {
        return country.name().to_owned();
    }
    "Unknown".to_owned()
}

#[async_trait]
impl Module for CountryCode {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.0
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        // The reference prefers `domain` when both keys are sent.
        let (_, domain) = request
            .legacy_input(&["domain", "hostname"])
            .ok_or_else(|| {
                ModuleError::internal("countrycode query without a domain or hostname")
            })?;
        let tld = domain
            .trim()
            .trim_end_matches('.')
            .rsplit('.')
            .next()
            .unwrap_or_default();
        Ok(legacy_results(&["text"], vec![zone_name(tld)]))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::testing::query;

    async fn answer(body: Value) -> Value {
        query(&CountryCode::new(), body).await.unwrap()["results"][0]["values"][0].clone()
    }

    #[tokio::test]
    async fn generic_and_country_tlds() {
        assert_eq!(
            answer(json!({"domain": "example.com"})).await,
            "Commercial (Worldwide)"
        );
        assert_eq!(answer(json!({"hostname": "www.gouv.fr"})).await, "France");
        assert_eq!(
            answer(json!({"domain": "bbc.co.uk"})).await,
            "United Kingdom"
        );
        assert_eq!(
            answer(json!({"domain": "EXAMPLE.ORG."})).await,
            "Organisation (Worldwide)"
        );
        assert_eq!(
            answer(json!({"domain": "example.invalid"})).await,
            "Unknown"
        );
    }

    #[tokio::test]
    async fn domain_wins_over_hostname() {
        assert_eq!(
            answer(json!({"domain": "a.gov", "hostname": "a.edu"})).await,
            "Government (USA)"
        );
    }

    #[tokio::test]
    async fn missing_input_is_an_internal_failure() {
        assert!(matches!(
            query(&CountryCode::new(), json!({"module": "countrycode"})).await,
            Err(ModuleError::Internal(_))
        ));
    }
}

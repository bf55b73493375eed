//! `geoip_country`: the country of an IP address, from a local GeoLite2 Country database.

use std::sync::Arc;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::geoip_db::{self, DbCache, Found, Kind, english_name, text_of};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::misp::ObjectBuilder;

pub struct GeoipCountry {
    descriptor: ModuleDescriptor,
    cache: Arc<DbCache>,
}

impl GeoipCountry {
    pub fn new() -> Self {
        let descriptor = descriptor(
            "geoip_country",
            ModuleType::Expansion,
            json!({"input": geoip_db::INPUT_TYPES, "format": "misp_standard"}),
            json!({
                "version": "0.3",
                "author": "misp-modules-stack",
                "description": "Finds the country an IP address is located in. Needs a local MaxMind GeoLite2/GeoIP2 Country database (.mmdb file) whose path is set in the local_geolite_db setting; without it the module answers an error naming the missing file.",
                "module-type": ["expansion", "hover"],
                "name": "GeoIP Country Lookup",
                "logo": "maxmind.png",
                "requirements": ["A local copy of a MaxMind Country database (.mmdb), path in local_geolite_db"],
                "features": "Reads the database on this server only; no network access. domain|ip attributes are looked up by their IP part.",
                "references": ["https://www.maxmind.com/en/home"],
                "input": "An ip-src, ip-dst or domain|ip attribute.",
                "output": "A geolocation object (country code, country, continent) referencing the input attribute.",
                "config": [geoip_db::CONFIG_KEY]
            }),
        );
        Self {
            descriptor,
            cache: Arc::default(),
        }
    }
}

fn build(found: &Found) -> Result<ObjectBuilder, ModuleError> {
    let record = &found.record;
    let mut geolocation = ObjectBuilder::new("geolocation")?;
    if let Some(code) = text_of(&record["country"]["iso_code"]) {
        geolocation.add("countrycode", code)?;
    }
    if let Some(country) = english_name(&record["country"]).filter(|n| !n.is_empty()) {
        geolocation.add("country", country)?;
    }
    // The template has no continent relation; free text keeps it visible.
    if let Some(continent) = english_name(&record["continent"]).filter(|n| !n.is_empty()) {
        geolocation.add("text", format!("continent: {continent}"))?;
    }
    Ok(geolocation)
}

#[async_trait]
impl Module for GeoipCountry {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.descriptor
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        geoip_db::query(&self.cache, Kind::Country, &request, &[], build).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::expansion::geoip_db::tests::{body, db, expect, triples};
    use crate::builtin::testing::{query, reported};

    #[tokio::test]
    async fn domain_ip_is_looked_up_by_its_ip() {
        let body = body(
            &db("test-country.mmdb"),
            "domain|ip",
            "example.org|2001:db8::1",
        );
        let answer = query(&GeoipCountry::new(), body).await.unwrap();
        assert_eq!(
            triples(&answer, "geolocation"),
            expect(&[
                ("countrycode", "text", json!("DE")),
                ("country", "text", json!("Germany")),
                ("text", "text", json!("continent: Europe")),
            ])
        );
    }

    #[tokio::test]
    async fn continent_only_record() {
        let body = body(&db("test-country.mmdb"), "ip-src", "203.0.113.1");
        let answer = query(&GeoipCountry::new(), body).await.unwrap();
        assert_eq!(
            triples(&answer, "geolocation"),
            expect(&[("text", "text", json!("continent: Europe"))])
        );
    }

    #[tokio::test]
    async fn city_database_is_refused_like_geoip2_does() {
        let body = body(&db("test-city.mmdb"), "ip-src", "192.0.2.1");
        assert_eq!(
            reported(query(&GeoipCountry::new(), body).await),
            "GeoIP resolving error: The country method cannot be used with the GeoLite2-City database"
        );
    }
}

//! `geoip_city`: where an IP address is located, down to the city, from a local GeoLite2
//! City database.

use std::sync::Arc;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::geoip_db::{self, DbCache, Found, Kind, english_name, text_of};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::misp::ObjectBuilder;

pub struct GeoipCity {
    descriptor: ModuleDescriptor,
    cache: Arc<DbCache>,
}

impl GeoipCity {
    pub fn new() -> Self {
        let descriptor = descriptor(
            "geoip_city",
            ModuleType::Expansion,
            json!({"input": geoip_db::INPUT_TYPES, "format": "misp_standard"}),
            json!({
                "version": "0.2",
                "author": "misp-modules-stack",
                "description": "Finds where an IP address is located: country, region, city, postal code and coordinates. Needs a local MaxMind GeoLite2/GeoIP2 City database (.mmdb file) whose path is set in the local_geolite_db setting; without it the module answers an error naming the missing file.",
                "module-type": ["expansion", "hover"],
                "name": "GeoIP City Lookup",
                "logo": "maxmind.png",
                "requirements": ["A local copy of a MaxMind City database (.mmdb), path in local_geolite_db"],
                "features": "Reads the database on this server only; no network access. domain|ip attributes are looked up by their IP part.",
                "references": ["https://www.maxmind.com/en/home"],
                "input": "An ip-src, ip-dst or domain|ip attribute.",
                "output": "A geolocation object referencing the input attribute.",
                "config": [geoip_db::CONFIG_KEY]
            }),
        );
        Self {
            descriptor,
            cache: Arc::default(),
        }
    }
}

/// Coordinates travel as JSON numbers, like the floats pymisp passes through.
const NUMERIC: [&str; 2] = ["latitude", "longitude"];

fn build(found: &Found) -> Result<ObjectBuilder, ModuleError> {
    let record = &found.record;
    let name = |node: &Value| {
        english_name(node)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
    };
    // MaxMind lists subdivisions from largest to smallest; the last is the most specific.
    let region = record["subdivisions"]
        .as_array()
        .and_then(|list| list.last())
        .and_then(name);
    let location = &record["location"];
    let entries = [
        ("country", name(&record["country"])),
        ("countrycode", text_of(&record["country"]["iso_code"])),
        ("region", region),
        ("city", name(&record["city"])),
        ("zipcode", text_of(&record["postal"]["code"])),
        ("latitude", text_of(&location["latitude"])),
        ("longitude", text_of(&location["longitude"])),
        ("accuracy-radius", text_of(&location["accuracy_radius"])),
        (
            "text",
            name(&record["continent"]).map(|c| format!("continent: {c}")),
        ),
    ];
    let mut geolocation = ObjectBuilder::new("geolocation")?;
    for (relation, value) in entries {
        if let Some(value) = value {
            geolocation.add(relation, value)?;
        }
    }
    Ok(geolocation)
}

#[async_trait]
impl Module for GeoipCity {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.descriptor
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        geoip_db::query(&self.cache, Kind::City, &request, &NUMERIC, build).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::expansion::geoip_db::tests::{body, db, expect, triples};
    use crate::builtin::testing::query;

    async fn answer(value: &str) -> Value {
        query(
            &GeoipCity::new(),
            body(&db("test-city.mmdb"), "ip-src", value),
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn full_record() {
        let answer = answer("192.0.2.7").await;
        assert_eq!(
            triples(&answer, "geolocation"),
            expect(&[
                ("country", "text", json!("Germany")),
                ("countrycode", "text", json!("DE")),
                ("region", "text", json!("Land Berlin")),
                ("city", "text", json!("Berlin")),
                ("zipcode", "text", json!("10115")),
                ("latitude", "float", json!(52.5244)),
                ("longitude", "float", json!(13.4105)),
                ("accuracy-radius", "float", json!("20")),
                ("text", "text", json!("continent: Europe")),
            ])
        );
        // Coordinates are correlation-free like the template says.
        let latitude = &answer["results"]["Object"][0]["Attribute"][5];
        assert_eq!(latitude["disable_correlation"], true);
    }

    #[tokio::test]
    async fn sparse_record() {
        assert_eq!(
            triples(&answer("198.51.100.9").await, "geolocation"),
            expect(&[
                ("country", "text", json!("United States")),
                ("countrycode", "text", json!("US")),
                ("latitude", "float", json!(37.751)),
                ("longitude", "float", json!(-97.822)),
                ("accuracy-radius", "float", json!("1000")),
                ("text", "text", json!("continent: North America")),
            ])
        );
    }
}

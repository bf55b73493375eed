//! `geoip_asn`: the autonomous system announcing an IP address, from a local GeoLite2 ASN
//! database.

use std::sync::Arc;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use super::geoip_db::{self, DbCache, Found, Kind, text_of};
use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::misp::ObjectBuilder;

pub struct GeoipAsn {
    descriptor: ModuleDescriptor,
    cache: Arc<DbCache>,
}

impl GeoipAsn {
    pub fn new() -> Self {
        let descriptor = descriptor(
            "geoip_asn",
            ModuleType::Expansion,
            json!({"input": geoip_db::INPUT_TYPES, "format": "misp_standard"}),
            json!({
                "version": "0.2",
                "author": "misp-modules-stack",
                "description": "Finds the autonomous system that announces an IP address. Needs a local MaxMind GeoLite2/GeoIP2 ASN database (.mmdb file) whose path is set in the local_geolite_db setting; without it the module answers an error naming the missing file.",
                "module-type": ["expansion", "hover"],
                "name": "GeoIP ASN Lookup",
                "logo": "maxmind.png",
                "requirements": ["A local copy of a MaxMind ASN database (.mmdb), path in local_geolite_db"],
                "features": "Reads the database on this server only; no network access. domain|ip attributes are looked up by their IP part.",
                "references": ["https://www.maxmind.com/en/home"],
                "input": "An ip-src, ip-dst or domain|ip attribute.",
                "output": "An asn object (AS number, organisation, announced subnet) referencing the input attribute.",
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
    let mut asn = ObjectBuilder::new("asn")?;
    if let Some(number) = record["autonomous_system_number"].as_u64() {
        asn.add("asn", format!("AS{number}"))?;
    }
    if let Some(organization) = text_of(&record["autonomous_system_organization"]) {
        asn.add("organization", organization)?;
    }
    if let Some(network) = &found.network {
        asn.add("subnet-announced", network.clone())?;
    }
    Ok(asn)
}

#[async_trait]
impl Module for GeoipAsn {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.descriptor
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        geoip_db::query(&self.cache, Kind::Asn, &request, &[], build).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::builtin::expansion::geoip_db::tests::{body, db, expect, triples};
    use crate::builtin::testing::query;

    async fn answer(value: &str) -> Value {
        query(
            &GeoipAsn::new(),
            body(&db("test-asn.mmdb"), "ip-dst", value),
        )
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn ipv4_with_organisation() {
        let answer = answer("192.0.2.7").await;
        assert_eq!(
            answer["results"]["Attribute"][0],
            json!({"uuid": geoip_db::tests::UUID, "type": "ip-dst", "value": "192.0.2.7",
                   "category": "Network activity", "to_ids": true, "disable_correlation": false})
        );
        assert_eq!(
            triples(&answer, "asn"),
            expect(&[
                ("asn", "AS", json!("AS64496")),
                ("organization", "text", json!("Example Transit GmbH")),
                ("subnet-announced", "ip-src", json!("192.0.2.0/24")),
            ])
        );
    }

    #[tokio::test]
    async fn ipv6_and_missing_organisation() {
        assert_eq!(
            triples(&answer("2001:db8:5::1").await, "asn"),
            expect(&[
                ("asn", "AS", json!("AS64497")),
                ("organization", "text", json!("Example Six e.V.")),
                ("subnet-announced", "ip-src", json!("2001:db8::/32")),
            ])
        );
        assert_eq!(
            triples(&answer("198.51.100.9").await, "asn"),
            expect(&[
                ("asn", "AS", json!("AS64511")),
                ("subnet-announced", "ip-src", json!("198.51.100.0/24")),
            ])
        );
    }
}

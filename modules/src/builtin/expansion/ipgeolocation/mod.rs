//! `ipgeolocation`: geolocation, AS, company, threat signals (Tor, VPN, proxy, bots, ...)
//! and abuse contact of an IP address, from IPGeolocation.io: its API with `api_key`, or
//! its MMDB databases on this host with `mmdb_paths` (then nothing is sent anywhere).

mod address;
mod api;
mod fields;
mod mmdb;
mod results;

use std::sync::Arc;
use std::time::Duration;

use app::{ModuleDescriptor, ModuleType};
use async_trait::async_trait;
use serde_json::{Value, json};

use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
use crate::pycompat::{python_int, python_ip_text};
use crate::service::{base_url, http_client};

const NAME: &str = "ipgeolocation";
const INPUT_TYPES: [&str; 5] = [
    "ip-src",
    "ip-dst",
    "ip-src|port",
    "ip-dst|port",
    "domain|ip",
];

pub struct Ipgeolocation {
    descriptor: ModuleDescriptor,
    api: api::Api,
    databases: Arc<mmdb::Databases>,
}

impl Ipgeolocation {
    /// The API at its public address, or at `MISP_MODULES_IPGEOLOCATION_BASE_URL`.
    pub fn new() -> Self {
        Self::with(base_url(NAME, api::DEFAULT_URL), mmdb::RECHECK)
    }

    fn with(api_url: String, recheck: Duration) -> Self {
        let descriptor = descriptor(
            NAME,
            ModuleType::Expansion,
            json!({"input": INPUT_TYPES, "format": "misp_standard"}),
            json!({
                "version": 1,
                "author": "misp-modules-stack",
                "description": "Enriches an IP address with its location, autonomous system, company, threat signals (threat score, Tor, VPN, proxy, relay, bot, spam, known attacker) and abuse contact from IPGeolocation.io, through its API or from its MMDB databases kept on this server.",
                "module-type": ["expansion", "hover"],
                "name": "IPGeolocation.io Lookup",
                "logo": "ipgeolocation.png",
                "requirements": ["An IPGeolocation.io API key (api_key), or IPGeolocation.io .mmdb databases on this server (mmdb_paths)"],
                "features": "Two sources. With mmdb_paths (.mmdb files or folders of them, comma-separated) the lookup runs on this server and nothing is sent to IPGeolocation.io; when several databases hold a field the first listed wins, and replaced files are picked up within a minute. Otherwise api_key queries the API; include picks the optional API modules (default security,abuse,hostname; none for the base lookup) and a plan that refuses them gets the base lookup. API answers are cached for cache_ttl seconds (default 3600, 0 to turn off). Private and reserved addresses are refused before any lookup.",
                "references": [
                    "https://ipgeolocation.io/documentation/ip-location-api.html",
                    "https://ipgeolocation.io/ip-security-database.html"
                ],
                "input": "An ip-src, ip-dst, ip-src|port, ip-dst|port or domain|ip attribute.",
                "output": "geolocation, asn and domain-ip objects, and an ipgeolocation-ip object with the threat score, anonymisation signals, company and abuse contact, each referencing the input attribute.",
                "config": ["api_key", "mmdb_paths", "include", "cache_ttl"]
            }),
        );
        Self {
            descriptor,
            api: api::Api::new(api_url, http_client("misp-modules-stack-ipgeolocation/1")),
            databases: Arc::new(mmdb::Databases::new(recheck)),
        }
    }
}

/// The `include` setting: blank for the default modules, `none` for none.
fn include_setting(request: &QueryRequest) -> String {
    let setting: String = request
        .config_text("include")
        .unwrap_or_default()
        .chars()
        .filter(|c| *c != ' ')
        .collect();
    if setting.is_empty() {
        api::DEFAULT_INCLUDE.to_owned()
    } else if setting.eq_ignore_ascii_case("none") {
        String::new()
    } else {
        setting
    }
}

fn cache_ttl_setting(request: &QueryRequest) -> Result<u64, ModuleError> {
    let invalid = || ModuleError::reported("cache_ttl must be a number of seconds.");
    match request.config().and_then(|c| c.get("cache_ttl")) {
        None | Some(Value::Null) => Ok(api::DEFAULT_CACHE_TTL),
        Some(Value::String(s)) if s.is_empty() => Ok(api::DEFAULT_CACHE_TTL),
        // A negative lifetime means no caching, as 0 does.
        Some(value) => python_int(value)
            .map(|n| u64::try_from(n.max(0)).unwrap_or(u64::MAX))
            .ok_or_else(invalid),
    }
}

#[async_trait]
impl Module for Ipgeolocation {
    fn descriptor(&self) -> &ModuleDescriptor {
        &self.descriptor
    }

    async fn query(&self, request: QueryRequest) -> Result<Value, ModuleError> {
        let attribute = request.standard_attribute()?;
        if !INPUT_TYPES.contains(&attribute.attribute_type.as_str()) {
            return Err(ModuleError::reported("Wrong input attribute type."));
        }
        let Some(address) = address::input_ip(&attribute.attribute_type, &attribute.value) else {
            return Err(ModuleError::reported(format!(
                "{} does not contain a valid IP address.",
                attribute.value
            )));
        };
        if !address::is_global(address) {
            return Err(ModuleError::reported(format!(
                "{} is a private or reserved address and cannot be looked up.",
                python_ip_text(address)
            )));
        }

        let mmdb_paths = request.config_text("mmdb_paths").unwrap_or_default();
        let api_key = request.config_text("api_key").unwrap_or_default();
        let (fields, source) = if !mmdb_paths.is_empty() {
            let databases = Arc::clone(&self.databases);
            tokio::task::spawn_blocking(move || databases.lookup(address, &mmdb_paths))
                .await
                .map_err(|e| ModuleError::internal(format!("MMDB lookup task failed: {e}")))??
        } else if !api_key.is_empty() {
            let include = include_setting(&request);
            let cache_ttl = cache_ttl_setting(&request)?;
            let fields = self
                .api
                .lookup(address, &api_key, &include, cache_ttl)
                .await?;
            (fields, "API".to_owned())
        } else {
            return Err(ModuleError::reported(
                "Set api_key to use the IPGeolocation.io API, or mmdb_paths to use local databases.",
            ));
        };
        results::build(&attribute, &fields, address, &source)
    }
}

#[cfg(test)]
mod tests;

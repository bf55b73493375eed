//! What the three `geoip_*` modules share: the local MaxMind DB named by
//! `local_geolite_db`, opened once and reused while the file is unchanged, and the query
//! flow from input attribute to one object referencing it.

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use app::StandardResults;
use maxminddb::{MaxMindDbError, Reader};
use serde_json::{Value, json};

use super::input_attribute::echo;
use crate::engine::{ModuleError, QueryRequest};
use crate::misp::ObjectBuilder;

pub const INPUT_TYPES: [&str; 3] = ["ip-src", "ip-dst", "domain|ip"];
pub const CONFIG_KEY: &str = "local_geolite_db";

/// Which GeoIP2 record a module reads; the database must be of the matching kind.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Asn,
    City,
    Country,
}

impl Kind {
    /// The geoip2 reader method whose name appears in the reference's type error.
    fn method(self) -> &'static str {
        match self {
            Kind::Asn => "asn",
            Kind::City => "city",
            Kind::Country => "country",
        }
    }

    /// The word a `database_type` must contain ("GeoLite2-City", "GeoIP2-ASN", ...).
    fn database_marker(self) -> &'static str {
        match self {
            Kind::Asn => "ASN",
            Kind::City => "City",
            Kind::Country => "Country",
        }
    }

    fn missing_config(self) -> &'static str {
        match self {
            Kind::Asn => {
                "Please specify the path of your local copy of the Maxmind Geolite ASN database"
            }
            Kind::City | Kind::Country => {
                "Please specify the path of your local copy of Maxminds Geolite database"
            }
        }
    }
}

/// What a lookup found: the decoded record and the network it belongs to.
pub struct Found {
    pub record: Value,
    pub network: Option<String>,
}

/// The reader of the last database a module opened, kept while the file is unchanged
/// (a City database is tens of megabytes; reading it per query would dominate).
#[derive(Default)]
pub struct DbCache {
    current: Mutex<Option<Opened>>,
}

struct Opened {
    path: PathBuf,
    stamp: (Option<SystemTime>, u64),
    reader: Arc<Reader<Vec<u8>>>,
}

impl DbCache {
    fn open(&self, path: &Path) -> Result<Arc<Reader<Vec<u8>>>, ModuleError> {
        let shown = path.display();
        let metadata = std::fs::metadata(path).map_err(|e| io_error(path, &e))?;
        if metadata.is_dir() {
            return Err(ModuleError::reported(format!(
                "The GeoLite database you specified ({shown}) is a directory, not a .mmdb file."
            )));
        }
        let stamp = (metadata.modified().ok(), metadata.len());
        let mut current = self
            .current
            .lock()
            .map_err(|_| ModuleError::internal("GeoIP reader cache poisoned"))?;
        if let Some(opened) = current.as_ref()
            && opened.path == path
            && opened.stamp == stamp
        {
            return Ok(opened.reader.clone());
        }
        let reader = Reader::open_readfile(path).map_err(|e| match e {
            MaxMindDbError::Io(io) => io_error(path, &io),
            other => ModuleError::reported(format!(
                "The GeoLite database you specified ({shown}) is not a valid MaxMind DB file: {other}"
            )),
        })?;
        let reader = Arc::new(reader);
        *current = Some(Opened {
            path: path.to_owned(),
            stamp,
            reader: reader.clone(),
        });
        Ok(reader)
    }
}

fn io_error(path: &Path, error: &std::io::Error) -> ModuleError {
    let shown = path.display();
    if error.kind() == std::io::ErrorKind::NotFound {
        ModuleError::reported(format!(
            "Unable to locate the GeoLite database you specified ({shown})."
        ))
    } else {
        ModuleError::reported(format!(
            "Unable to read the GeoLite database you specified ({shown}): {error}"
        ))
    }
}

fn resolving(message: impl std::fmt::Display) -> ModuleError {
    ModuleError::reported(format!("GeoIP resolving error: {message}"))
}

fn lookup(reader: &Reader<Vec<u8>>, kind: Kind, text: &str) -> Result<Found, ModuleError> {
    let database_type = &reader.metadata().database_type;
    if !database_type.contains(kind.database_marker()) {
        return Err(resolving(format!(
            "The {} method cannot be used with the {database_type} database",
            kind.method()
        )));
    }
    let ip: IpAddr = text.parse().map_err(|_| {
        resolving(format!(
            "'{text}' does not appear to be an IPv4 or IPv6 address."
        ))
    })?;
    if ip.is_ipv6() && reader.metadata().ip_version == 4 {
        return Err(resolving(format!(
            "Error looking up {text}. You attempted to look up an IPv6 address in an IPv4-only database."
        )));
    }
    let result = reader.lookup(ip).map_err(resolving)?;
    let record = result
        .decode::<Value>()
        .map_err(resolving)?
        .ok_or_else(|| resolving(format!("The address {text} is not in the database.")))?;
    let network = result.network().ok().map(|n| n.to_string());
    Ok(Found { record, network })
}

/// Runs one geoip query: checks config and input like the reference, looks the address
/// up, and answers the input attribute plus the object `build` makes from the record.
/// Values under `numeric` relations are sent as JSON numbers, as pymisp sends floats.
pub async fn query(
    cache: &Arc<DbCache>,
    kind: Kind,
    request: &QueryRequest,
    numeric: &[&str],
    build: fn(&Found) -> Result<ObjectBuilder, ModuleError>,
) -> Result<Value, ModuleError> {
    let path = request
        .config_text(CONFIG_KEY)
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ModuleError::reported(kind.missing_config()))?;
    let attribute = request.standard_attribute()?;
    if !INPUT_TYPES.contains(&attribute.attribute_type.as_str()) {
        return Err(ModuleError::reported("Wrong input attribute type."));
    }
    let address = if attribute.attribute_type == "domain|ip" {
        match attribute.value.split('|').collect::<Vec<_>>().as_slice() {
            [_, ip] => (*ip).to_owned(),
            _ => {
                return Err(ModuleError::reported(
                    "Invalid domain|ip composite attribute.",
                ));
            }
        }
    } else {
        attribute.value.clone()
    };

    let cache = cache.clone();
    let found = tokio::task::spawn_blocking(move || {
        let reader = cache.open(Path::new(&path))?;
        lookup(&reader, kind, &address)
    })
    .await
    .map_err(|e| ModuleError::internal(format!("GeoIP lookup task failed: {e}")))??;

    let mut object = build(&found)?;
    object.reference(&attribute.uuid, "related-to");
    let results = StandardResults {
        attributes: vec![echo(&attribute)],
        objects: vec![object.build()],
    };
    let mut results = serde_json::to_value(results)
        .map_err(|e| ModuleError::internal(format!("cannot serialise results: {e}")))?;
    numbers_for(&mut results, numeric);
    Ok(json!({ "results": results }))
}

pub(crate) fn numbers_for(results: &mut Value, relations: &[&str]) {
    let Some(objects) = results["Object"].as_array_mut() else {
        return;
    };
    for attribute in objects
        .iter_mut()
        .filter_map(|o| o["Attribute"].as_array_mut())
        .flatten()
    {
        let relation = attribute["object_relation"].as_str().unwrap_or_default();
        if !relations.contains(&relation) {
            continue;
        }
        let number = attribute["value"]
            .as_str()
            .and_then(|v| v.parse::<f64>().ok())
            .and_then(serde_json::Number::from_f64);
        if let Some(number) = number {
            attribute["value"] = Value::Number(number);
        }
    }
}

/// The English name in a GeoIP2 `names` map, the locale geoip2 answers by default.
pub fn english_name(node: &Value) -> Option<&str> {
    node["names"]["en"].as_str()
}

/// Text of a record value as Python's `str()` would give it (numbers unquoted).
pub fn text_of(value: &Value) -> Option<String> {
    match value {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use crate::builtin::testing::{query as run, reported};
    use crate::engine::Module;

    pub const UUID: &str = "5a5d2c1e-3c2b-4a8e-9c7d-0123456789ab";

    pub fn db(name: &str) -> String {
        format!("{}/tests/data/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    pub fn body(db: &str, attribute_type: &str, value: &str) -> Value {
        json!({"module": "geoip", "config": {"local_geolite_db": db},
               "attribute": {"type": attribute_type, "value": value, "uuid": UUID}})
    }

    /// The object's (relation, type, value) triples, after checking the answer's frame.
    pub fn triples(answer: &Value, template: &str) -> Vec<(String, String, Value)> {
        let results = &answer["results"];
        assert_eq!(results["Attribute"][0]["uuid"], UUID);
        let object = &results["Object"][0];
        assert_eq!(object["name"], template);
        assert_eq!(object["ObjectReference"][0]["referenced_uuid"], UUID);
        assert_eq!(
            object["ObjectReference"][0]["relationship_type"],
            "related-to"
        );
        object["Attribute"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a["object_relation"].as_str().unwrap().to_owned(),
                    a["type"].as_str().unwrap().to_owned(),
                    a["value"].clone(),
                )
            })
            .collect()
    }

    pub fn expect(items: &[(&str, &str, Value)]) -> Vec<(String, String, Value)> {
        items
            .iter()
            .map(|(r, t, v)| (r.to_string(), t.to_string(), v.clone()))
            .collect()
    }

    async fn error(module: &dyn Module, body: Value) -> String {
        reported(run(module, body).await)
    }

    #[tokio::test]
    async fn config_and_input_errors() {
        let asn = super::super::geoip_asn::GeoipAsn::new();
        let city = super::super::geoip_city::GeoipCity::new();
        let no_config =
            json!({"attribute": {"type": "ip-src", "value": "192.0.2.1", "uuid": UUID}});
        assert_eq!(
            error(&asn, no_config.clone()).await,
            "Please specify the path of your local copy of the Maxmind Geolite ASN database"
        );
        assert_eq!(
            error(&city, no_config).await,
            "Please specify the path of your local copy of Maxminds Geolite database"
        );
        let path = db("test-city.mmdb");
        assert_eq!(
            error(&city, json!({"config": {"local_geolite_db": path}})).await,
            "This module requires an \"attribute\" field as input, which should contain at least a type, a value and an uuid."
        );
        assert_eq!(
            error(&city, body(&path, "domain", "example.org")).await,
            "Wrong input attribute type."
        );
        assert_eq!(
            error(&city, body(&path, "domain|ip", "example.org")).await,
            "Invalid domain|ip composite attribute."
        );
        assert_eq!(
            error(&city, body(&path, "ip-src", "not-an-ip")).await,
            "GeoIP resolving error: 'not-an-ip' does not appear to be an IPv4 or IPv6 address."
        );
        assert_eq!(
            error(&city, body(&path, "ip-src", "10.1.2.3")).await,
            "GeoIP resolving error: The address 10.1.2.3 is not in the database."
        );
    }

    #[tokio::test]
    async fn missing_unreadable_and_mismatched_databases_are_named() {
        let city = super::super::geoip_city::GeoipCity::new();
        let missing = db("no-such.mmdb");
        assert_eq!(
            error(&city, body(&missing, "ip-src", "192.0.2.1")).await,
            format!("Unable to locate the GeoLite database you specified ({missing}).")
        );
        let directory = db("");
        let message = error(&city, body(&directory, "ip-src", "192.0.2.1")).await;
        assert!(message.contains("is a directory"), "{message}");
        let not_mmdb = db("make_mmdb.py");
        assert_eq!(
            error(&city, body(&not_mmdb, "ip-src", "192.0.2.1")).await,
            format!(
                "The GeoLite database you specified ({not_mmdb}) is not a valid MaxMind DB file: {}",
                Reader::open_readfile(&not_mmdb).err().unwrap()
            )
        );
        assert_eq!(
            error(&city, body(&db("test-asn.mmdb"), "ip-src", "192.0.2.1")).await,
            "GeoIP resolving error: The city method cannot be used with the GeoLite2-ASN database"
        );
    }

    #[tokio::test]
    async fn reader_is_reused_until_the_file_changes() {
        let cache = DbCache::default();
        let path = db("test-asn.mmdb");
        let first = cache.open(Path::new(&path)).unwrap();
        let second = cache.open(Path::new(&path)).unwrap();
        assert!(Arc::ptr_eq(&first, &second));
        let other = cache.open(Path::new(&db("test-city.mmdb"))).unwrap();
        assert!(!Arc::ptr_eq(&first, &other));
    }
}

//! Module settings supplied by the deployment rather than by each query.
//!
//! MISP, FlowIntel and the web UI each send their own `config`; a deployment that sets
//! `VIRUSTOTAL_API_KEY` (or `MISP_MODULES_<MODULE>_<KEY>`) once lets all of them share a key.
//! A value the query sends wins; an absent or empty one is filled from here. Keys the
//! operator pins (`MISP_MODULES_PINNED_SETTINGS`) are the exception: for them the query's
//! value is dropped, so a caller cannot point a module at another file, host or service;
//! only the deployment (the environment, or an administrator in the web UI) sets them.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;

use serde_json::{Map, Value};

use super::Registry;

/// Shared names used by existing misp-modules deployments, and the settings they fill.
const WELL_KNOWN: &[(&str, &[(&str, &str)])] = &[
    (
        "VIRUSTOTAL_API_KEY",
        &[
            ("virustotal", "apikey"),
            ("virustotal_public", "apikey"),
            ("virustotal_downloader", "apikey"),
            ("virustotal_upload", "virustotal_apikey"),
            ("virustotal_collections", "vt_api_key"),
            ("vt_graph", "vt_api_key"),
        ],
    ),
    ("SHODAN_API_KEY", &[("shodan", "apikey")]),
    ("PASSIVETOTAL_API_KEY", &[("passivetotal", "api_key")]),
    ("PASSIVETOTAL_USERNAME", &[("passivetotal", "username")]),
    ("GREYNOISE_API_KEY", &[("greynoise", "api_key")]),
    ("CENSYS_API_ID", &[("censys_enrich", "api_id")]),
    ("CENSYS_API_SECRET", &[("censys_enrich", "api_secret")]),
    ("CROWDSEC_API_KEY", &[("crowdsec", "api_key")]),
    ("RECORDED_FUTURE_API_KEY", &[("recordedfuture", "token")]),
];

/// The variable listing pinned settings: `module.key` entries (or `module.*` for every
/// key of a module), separated by commas or white space.
pub const PINNED_VARIABLE: &str = "MISP_MODULES_PINNED_SETTINGS";

/// `MISP_MODULES_<MODULE>_<KEY>`, upper-cased, anything but letters and digits as `_`.
pub fn config_env_name(module: &str, key: &str) -> String {
    format!("MISP_MODULES_{}_{}", env_word(module), env_word(key))
}

fn env_word(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_uppercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// Setting values per module and key. Its `Debug` never prints a value.
#[derive(Default, Clone)]
pub struct ConfigDefaults {
    values: HashMap<String, BTreeMap<String, String>>,
    /// (module, key) pairs a query may not set.
    pinned: HashSet<(String, String)>,
}

impl fmt::Debug for ConfigDefaults {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: BTreeMap<_, Vec<_>> = self
            .values
            .iter()
            .map(|(module, keys)| (module, keys.keys().collect()))
            .collect();
        f.debug_struct("ConfigDefaults")
            .field("keys", &keys)
            .field("pinned", &self.pinned)
            .finish()
    }
}

impl ConfigDefaults {
    /// Reads the settings of the registered modules' declared keys from `vars`
    /// (normally `std::env::vars()`). Only declared keys are taken, so a typo in a
    /// variable name cannot inject an arbitrary key into a module's config.
    pub fn from_vars(
        registry: &Registry,
        vars: impl IntoIterator<Item = (String, String)>,
    ) -> Self {
        let vars: HashMap<String, String> = vars
            .into_iter()
            .filter(|(_, value)| !value.is_empty())
            .collect();
        let mut defaults = Self::default();
        let pins: Vec<(&str, &str)> = vars
            .get(PINNED_VARIABLE)
            .map(|list| {
                list.split(|c: char| c == ',' || c.is_whitespace())
                    .filter_map(|entry| entry.split_once('.'))
                    .collect()
            })
            .unwrap_or_default();
        // Pinning is a safety control: an entry that pins nothing (a typo, a module that
        // is not loaded) must not go unnoticed.
        let malformed = vars.get(PINNED_VARIABLE).into_iter().flat_map(|list| {
            list.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|entry| !entry.is_empty() && !entry.contains('.'))
        });
        for entry in malformed {
            tracing::warn!("{PINNED_VARIABLE}: {entry:?} is not module.key; it pins nothing");
        }
        for (pinned_module, pinned_key) in &pins {
            let matches = registry.iter().any(|module| {
                module.name() == *pinned_module
                    && (*pinned_key == "*" || module.config_keys().iter().any(|k| k == pinned_key))
            });
            if !matches {
                tracing::warn!(
                    "{PINNED_VARIABLE}: {pinned_module}.{pinned_key} names no setting of a loaded module; it pins nothing"
                );
            }
        }
        for module in registry.iter() {
            let keys = module.config_keys();
            for (pinned_module, pinned_key) in &pins {
                if *pinned_module != module.name() {
                    continue;
                }
                for key in keys
                    .iter()
                    .filter(|k| *pinned_key == "*" || k == pinned_key)
                {
                    defaults
                        .pinned
                        .insert((module.name().to_owned(), key.clone()));
                }
            }
            for (variable, targets) in WELL_KNOWN {
                let Some(value) = vars.get(*variable) else {
                    continue;
                };
                for (target_module, key) in targets.iter() {
                    if *target_module == module.name() && keys.iter().any(|k| k == key) {
                        defaults.set(module.name(), key, value.clone());
                    }
                }
            }
            // The specific form is read last so it wins over the shared names.
            for key in &keys {
                if let Some(value) = vars.get(&config_env_name(module.name(), key)) {
                    defaults.set(module.name(), key, value.clone());
                }
            }
        }
        defaults
    }

    pub fn set(&mut self, module: &str, key: &str, value: String) {
        self.values
            .entry(module.to_owned())
            .or_default()
            .insert(key.to_owned(), value);
    }

    /// Keys that have a deployment value for `module` (never the values).
    pub fn keys_for(&self, module: &str) -> Vec<String> {
        self.values
            .get(module)
            .map(|keys| keys.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// Whether `key` of `module` is pinned: only the deployment sets it.
    pub fn is_pinned(&self, module: &str, key: &str) -> bool {
        self.pinned.contains(&(module.to_owned(), key.to_owned()))
    }

    /// Drops the values a query gives for pinned keys, so that [`ConfigDefaults::fill`]
    /// (of any layer) puts the deployment's value there, or nothing.
    pub fn strip_pinned(&self, module: &str, body: &mut Map<String, Value>) {
        if let Some(Value::Object(config)) = body.get_mut("config") {
            config.retain(|key, _| !self.is_pinned(module, key));
        }
    }

    /// Fills the `config` of a query body with the deployment values it leaves out or
    /// leaves empty. A body without `config` gets one only if there is something to fill.
    pub fn fill(&self, module: &str, body: &mut Map<String, Value>) {
        let Some(values) = self.values.get(module) else {
            return;
        };
        let config = body
            .entry("config")
            .or_insert_with(|| Value::Object(Map::new()));
        let Value::Object(config) = config else {
            // A non-object config is the caller's mistake; the module reports it.
            return;
        };
        for (key, value) in values {
            let missing = match config.get(key) {
                None | Some(Value::Null) => true,
                Some(Value::String(s)) => s.is_empty(),
                Some(_) => false,
            };
            if missing {
                config.insert(key.clone(), Value::String(value.clone()));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::{Module, ModuleError, QueryRequest, descriptor};
    use app::{ModuleDescriptor, ModuleType};
    use async_trait::async_trait;
    use serde_json::json;
    use std::sync::Arc;

    struct Keyed(ModuleDescriptor);

    #[async_trait]
    impl Module for Keyed {
        fn descriptor(&self) -> &ModuleDescriptor {
            &self.0
        }
        async fn query(&self, _: QueryRequest) -> Result<Value, ModuleError> {
            Ok(Value::Null)
        }
    }

    fn registry() -> Registry {
        let mut registry = Registry::new();
        for (name, keys) in [
            ("virustotal", json!(["apikey", "event_limit"])),
            ("dns", json!(["nameserver"])),
        ] {
            registry.register(Arc::new(Keyed(descriptor(
                name,
                ModuleType::Expansion,
                json!({}),
                json!({"config": keys}),
            ))));
        }
        registry
    }

    fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn env_names_are_upper_snake() {
        assert_eq!(
            config_env_name("dns", "nameserver"),
            "MISP_MODULES_DNS_NAMESERVER"
        );
        assert_eq!(
            config_env_name("testaction", "Data extraction path"),
            "MISP_MODULES_TESTACTION_DATA_EXTRACTION_PATH"
        );
    }

    #[test]
    fn specific_variable_wins_over_shared_one() {
        let defaults = ConfigDefaults::from_vars(
            &registry(),
            vars(&[
                ("VIRUSTOTAL_API_KEY", "shared"),
                ("MISP_MODULES_VIRUSTOTAL_APIKEY", "own"),
            ]),
        );
        let mut body = json!({"module": "virustotal"})
            .as_object()
            .cloned()
            .unwrap();
        defaults.fill("virustotal", &mut body);
        assert_eq!(body["config"]["apikey"], "own");
    }

    #[test]
    fn query_value_wins_and_empty_values_are_filled() {
        let defaults = ConfigDefaults::from_vars(
            &registry(),
            vars(&[
                ("MISP_MODULES_DNS_NAMESERVER", "192.0.2.53"),
                ("MISP_MODULES_VIRUSTOTAL_APIKEY", "k"),
            ]),
        );
        let mut given = json!({"config": {"nameserver": "198.51.100.53"}})
            .as_object()
            .cloned()
            .unwrap();
        defaults.fill("dns", &mut given);
        assert_eq!(given["config"]["nameserver"], "198.51.100.53");
        let mut empty = json!({"config": {"apikey": "", "event_limit": "5"}})
            .as_object()
            .cloned()
            .unwrap();
        defaults.fill("virustotal", &mut empty);
        assert_eq!(empty["config"], json!({"apikey": "k", "event_limit": "5"}));
    }

    #[test]
    fn undeclared_keys_and_unknown_modules_are_ignored() {
        let defaults = ConfigDefaults::from_vars(
            &registry(),
            vars(&[
                ("MISP_MODULES_DNS_EVIL", "x"),
                ("MISP_MODULES_NOPE_KEY", "y"),
            ]),
        );
        assert!(defaults.keys_for("dns").is_empty());
        let mut body = json!({"module": "dns"}).as_object().cloned().unwrap();
        defaults.fill("dns", &mut body);
        assert!(
            !body.contains_key("config"),
            "no config is invented when nothing fills it"
        );
    }

    #[test]
    fn pinned_keys_ignore_the_query() {
        let defaults = ConfigDefaults::from_vars(
            &registry(),
            vars(&[
                ("MISP_MODULES_DNS_NAMESERVER", "192.0.2.53"),
                (
                    PINNED_VARIABLE,
                    "dns.nameserver, virustotal.*  dns.undeclared",
                ),
            ]),
        );
        assert!(defaults.is_pinned("dns", "nameserver"));
        assert!(defaults.is_pinned("virustotal", "apikey"));
        assert!(defaults.is_pinned("virustotal", "event_limit"));
        assert!(!defaults.is_pinned("dns", "undeclared"));
        let mut body = json!({"config": {"nameserver": "127.0.0.1"}})
            .as_object()
            .cloned()
            .unwrap();
        defaults.strip_pinned("dns", &mut body);
        defaults.fill("dns", &mut body);
        assert_eq!(body["config"]["nameserver"], "192.0.2.53");
        // Pinned without a value: the caller's value is dropped, nothing replaces it.
        let mut body = json!({"config": {"apikey": "callers", "other": 1}})
            .as_object()
            .cloned()
            .unwrap();
        defaults.strip_pinned("virustotal", &mut body);
        defaults.fill("virustotal", &mut body);
        assert_eq!(body["config"], json!({"other": 1}));
    }

    #[test]
    fn debug_output_hides_values() {
        let defaults =
            ConfigDefaults::from_vars(&registry(), vars(&[("VIRUSTOTAL_API_KEY", "SENTINEL-123")]));
        let shown = format!("{defaults:?}");
        assert!(shown.contains("apikey"));
        assert!(!shown.contains("SENTINEL-123"));
    }
}

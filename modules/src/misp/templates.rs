//! MISP object templates (`misp-objects`), compiled into the binary and parsed on first use.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, OnceLock};

use serde::Deserialize;

include!(concat!(env!("OUT_DIR"), "/object_templates.rs"));

#[derive(Debug, Clone, Deserialize)]
pub struct TemplateAttribute {
    #[serde(rename = "misp-attribute")]
    pub misp_attribute: String,
    #[serde(default)]
    pub to_ids: Option<bool>,
    #[serde(default)]
    pub disable_correlation: Option<bool>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(rename = "ui-priority", default)]
    pub ui_priority: i64,
    #[serde(default)]
    pub multiple: bool,
}

#[derive(Debug, Clone, Deserialize)]
pub struct ObjectTemplate {
    pub name: String,
    pub uuid: String,
    pub version: u64,
    #[serde(rename = "meta-category")]
    pub meta_category: String,
    pub description: String,
    pub attributes: BTreeMap<String, TemplateAttribute>,
}

type Cache = Mutex<HashMap<&'static str, Arc<ObjectTemplate>>>;

/// The template called `name`, or `None` if misp-objects has no such template.
pub fn template(name: &str) -> Option<Arc<ObjectTemplate>> {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Cache::default);
    let index = TEMPLATES.binary_search_by(|(n, _)| (*n).cmp(name)).ok()?;
    let (key, text) = TEMPLATES[index];
    let mut parsed = cache
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(found) = parsed.get(key) {
        return Some(Arc::clone(found));
    }
    match serde_json::from_str::<ObjectTemplate>(text) {
        Ok(template) => {
            let template = Arc::new(template);
            parsed.insert(key, Arc::clone(&template));
            Some(template)
        }
        Err(error) => {
            tracing::error!("object template {name} is invalid: {error}");
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_template_parses() {
        assert!(TEMPLATES.len() > 400);
        for (name, _) in TEMPLATES {
            assert!(template(name).is_some(), "template {name} does not parse");
        }
    }

    #[test]
    fn url_template_has_its_identity() {
        let url = template("url").unwrap();
        assert_eq!(url.uuid, "60efb77b-40b5-4c46-871b-ed1ed999fce5");
        assert_eq!(url.meta_category, "network");
        assert_eq!(url.attributes["port"].misp_attribute, "port");
        assert_eq!(url.attributes["port"].disable_correlation, Some(true));
    }
}
